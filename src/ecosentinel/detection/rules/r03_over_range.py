"""R03 over-range, clipping and piling below the limit (超量程/平顶)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.calibration import budget_level
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.messages import calibration_text
from ecosentinel.detection.profile import CalibratedLevel, FactorProfile, PointProfile
from ecosentinel.detection.rules._common import cst_wall, fmt, output_step, pct
from ecosentinel.readings import DataKind


class OverRangeParams(RuleParams):
    """Thresholds of R03 (research notes §1 R3)."""

    min_unflagged: int = 1
    """[V] HJ 212: a value over the upper measurement limit must carry flag T; one unflagged is enough."""
    clip_share: float = 0.05
    """[P] share of a day's valid values sitting exactly at the range ceiling (flag T or not)."""
    clip_min_count: int = 3
    """[P] and at least this many of them."""
    pile_low_fraction: float = 0.8
    """[P] piling counts in [pile_low_fraction x limit, limit)."""
    pile_share: float = 0.25
    """[P] share of a day's valid values equal to one value in that band."""
    pile_min_count: int = 4
    """[P] and at least this many of them."""
    pile_max_above: float = 0.05
    """[P] a pile is a ceiling: at most this share of the day's values lie above the piled value. A
    value preset or clipped to stay under the limit replaces what would have been above it, so the pile
    is the day's top; an analyser reporting in coarse steps, or a source held near its set point,
    repeats a value with others above it the same day (measured in bench detect: the real EPA NOx
    series at a step of 10 mg/m3 piled 4-9 of a day's values on one value under the limit on 1 % of
    clean point-days, each with higher values that day)."""
    calibrated_pile_margin: float = 0.05
    """[P] per-point calibration (statistic ``pile_share``: per clean history day, the largest share of
    its values equal to one value in the band): a day piles when its share exceeds the history's
    quantile at the budget plus this margin (and ``pile_share`` at least). An analyser that reports in
    coarse steps (whole mg/m3 on a stack whose limit is a few hundred), or a source held at a set point
    by its controls, repeats the same few values in the band every day (measured in bench detect: the
    real EPA NOx series rounded to 1 % of the limit made 15.7 % of clean point-days yellow with piles,
    21 % at 2 %)."""
    min_band_values: int = 10
    """[P] a pile needs a band [pile_low_fraction x limit, limit) holding at least this many possible
    readings at the factor's output step: with fewer, a steady source reads the same few values all day
    and one of them is the day's top by arithmetic, so a pile is a clue (low). Measured in bench detect:
    US NOx rounded to a 10 mg/m3 step on a 350 mg/m3 limit (7 readings in the band) piled 4 of a day's 7
    measurements on 310-320 on clean days and made them yellow. An integer-output analyser on an
    ultra-low limit (SO2 35 mg/m3: 7 readings in the band) is the same case."""
    coarse_score: float = 0.2
    """[P] the score of such a pile: weight 0.4 x 0.2 = 0.08, so beside R12's monthly bunching clue on the
    same factor (the same evidence: mass under the limit) the day stays green."""
    window_pile_days: float = 0.2
    """[P] without a history profile, the rest of the screening window stands in for it: when at least
    this share of its other days (seven at least) pile as much, piling is how this point reports, and
    the day is a clue (low) instead of a warning."""
    window_min_days: int = 7
    """[P] ... the fewest other days in the window for that judgement."""


class OverRangeRule(FactorRule[OverRangeParams]):
    """Catches range tampering and clipping: values at or above the analyser's filed range ceiling that
    are not flagged T, a pile of values at the ceiling (the real concentration is above the range), and
    a pile of identical values just under the emission limit (a preset value that avoids exceedance).

    Source: HJ 212-2017 flag T (超测上限); MEP 2012 field guide §7.2 (仪器参数设置异常, range);
    research notes R3 (trap: genuine over-range must be flagged T, not suppressed). Grouped per day in
    China Standard Time.
    """

    code = "R03_over_range"
    title_zh = "超量程或平顶"
    title_en = "Over-range and clipping"
    params_model = OverRangeParams
    kinds = (DataKind.HOUR, DataKind.MINUTE)

    def detect(self, series: Series, params: OverRangeParams, data: PointData) -> list[Finding]:
        spec = data.context.factor(series.code)
        step = series.step or dt.timedelta(0)
        f = series.valid
        f = _with_day(f)
        if f.height == 0:
            return []
        out: list[Finding] = []
        if spec.range_high is not None:
            hi = spec.range_high
            unflagged = f.filter((pl.col("value") >= hi) & (pl.col("flag") != "T"))
            for (day,), rows in unflagged.group_by("day", maintain_order=True):
                if rows.height < params.min_unflagged:
                    continue
                start, end = rows["time"][0], rows["time"][-1] + step
                vmax = float(rows["value"].max())  # type: ignore[arg-type]
                out.append(
                    self.finding(
                        data.context,
                        factors=[series.code],
                        start=start,
                        end=end,
                        severity=Severity.MEDIUM,
                        score=0.55 + 0.05 * min(rows.height, 6),
                        evidence={
                            "window": [iso(start), iso(end)],
                            "day": str(day),
                            "count": rows.height,
                            "values": rows["value"].head(24).to_list(),
                            "times": [iso(t) for t in rows["time"].head(24)],
                            "range_high": hi,
                            "comparison": "value >= range_high without flag T",
                        },
                        variant="unflagged_over_range",
                        count=rows.height,
                        range_high=fmt(hi),
                        vmax=fmt(vmax),
                    )
                )
            per_day = f.group_by("day", maintain_order=True).agg(
                pl.len().alias("n"),
                (pl.col("value") == hi).sum().alias("at_ceiling"),
                pl.col("time").filter(pl.col("value") == hi).min().alias("start"),
                pl.col("time").filter(pl.col("value") == hi).max().alias("last"),
            )
            for day, n, at, start, last in per_day.iter_rows():
                if at < params.clip_min_count or at / n < params.clip_share:
                    continue
                out.append(
                    self.finding(
                        data.context,
                        factors=[series.code],
                        start=start,
                        end=last + step,
                        severity=Severity.LOW,
                        score=0.3 + 0.4 * min(1.0, at / n),
                        evidence={
                            "window": [iso(start), iso(last + step)],
                            "day": str(day),
                            "count": at,
                            "valid_count": n,
                            "share": round(at / n, 4),
                            "range_high": hi,
                            "threshold_share": params.clip_share,
                            "comparison": "share of values == range_high >= threshold_share",
                        },
                        variant="clipped_at_range",
                        count=at,
                        range_high=fmt(hi),
                        share=pct(at / n),
                    )
                )
        # not for a band limit (pH 6-9): pH sits in [0.8 x 9, 9) all the time (measured on the simulated
        # corpus: every dyeing plant's pH made piles)
        if spec.limit is not None and spec.limit > 0 and spec.limit_low is None:
            out.extend(self._piles(series, params, data, f, spec.limit, step))
        return out

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """``pile_share`` per factor with a limit: per clean history day, the largest share of its values
        (held measurements for a holding analyser) equal to one value in [pile_low_fraction x limit,
        limit); 0 on days without one."""
        out = []
        for code in data.factor_codes(self.roles):
            p: OverRangeParams = config.params_for(self, data.context, code)
            s = data.series(code, self.kinds)
            spec = data.context.factor(code)
            if s is None or not p.enabled or s.n_valid == 0:
                continue
            if spec.limit is None or spec.limit <= 0 or spec.limit_low is not None:
                continue
            fp = profile.factor(code)
            # every pile of the history, the day's top or not: how much this point piles at all
            shares = _day_shares(*_piles_per_day(s, _with_day(s.valid), p, spec.limit, _holds(fp)))
            level = budget_level(
                "R03",
                "pile_share",
                code,
                list(shares.values()),
                budget=budget,
                floor=p.pile_share,
                default=p.pile_share,
                margin=p.calibrated_pile_margin,
                ceiling=None,
                profile=profile,
            )
            if level is not None:
                out.append(level)
        return out

    def _piles(
        self,
        series: Series,
        params: OverRangeParams,
        data: PointData,
        f: pl.DataFrame,
        limit: float,
        step: dt.timedelta,
    ) -> list[Finding]:
        fp = data.profile.factor(series.code) if data.profile else None
        held = _holds(fp)
        piles, totals = _piles_per_day(series, f, params, limit, held)
        calibrated = data.profile.level("R03", "pile_share", series.code) if data.profile else None
        level = calibrated.level if calibrated is not None else params.pile_share
        shares = _day_shares(piles, totals) if calibrated is None else {}
        quantum = output_step(series, data)
        band_values = (1 - params.pile_low_fraction) * limit / quantum if quantum else None
        coarse = ""
        if band_values is not None and round(band_values, 6) < params.min_band_values:
            coarse = messages.R03_COARSE_BAND.format(
                step=fmt(quantum),
                low=fmt(params.pile_low_fraction * limit),
                limit=fmt(limit),
                n=round(band_values),
            )
        out = []
        for day, value, count, start, last, above, above_share in piles:
            n = totals[day]
            if count < params.pile_min_count or count / n < level or above_share > params.pile_max_above:
                continue
            severity, habit, alike = Severity.MEDIUM, "", None
            others = [x for d, x in shares.items() if d != day]
            if coarse:
                # too few possible readings in the band for one of them to stand out: a clue only
                severity = Severity.LOW
                habit = coarse
            elif calibrated is None and len(others) >= params.window_min_days:
                alike = sum(1 for x in others if x >= params.pile_share)
                if alike < params.window_pile_days * len(others):
                    alike = None
                else:
                    # piling is how this point reports (coarse steps, a set point): a clue only
                    severity = Severity.LOW
                    habit = messages.R03_PILE_HABIT.format(days=len(others), alike=alike)
            out.append(
                self.finding(
                    data.context,
                    factors=[series.code],
                    start=start,
                    end=last + step,
                    severity=severity,
                    score=params.coarse_score
                    if coarse
                    else (0.45 if severity is Severity.MEDIUM else 0.25) + 0.4 * min(1.0, count / n),
                    evidence={
                        "window": [iso(start), iso(last + step)],
                        "day": str(day),
                        "value": value,
                        "count": count,
                        "valid_count": n,
                        "share": round(count / n, 4),
                        "limit": limit,
                        "band": [params.pile_low_fraction * limit, limit],
                        "threshold_share": level,
                        "calibration": calibrated.evidence() if calibrated is not None else None,
                        "window_days_alike": None if alike is None else [alike, len(others)],
                        "output_step": quantum or None,
                        "band_readings": None if band_values is None else round(band_values, 1),
                        "min_band_readings": params.min_band_values,
                        "counted": "measurements (runs of a held value)" if held else "values",
                        "above": above,
                        "max_above_share": params.pile_max_above,
                        "comparison": "share of a day's values equal to one value just under the limit, "
                        "with at most max_above_share of the day's values above it",
                    },
                    variant="pile_below_limit",
                    count=count,
                    unit=messages.R03_HELD_UNIT if held else "有效值",
                    share=pct(count / n),
                    value=fmt(value),
                    limit=fmt(limit),
                    low_pct=fmt(params.pile_low_fraction * 100),
                    above=above,
                    threshold=calibration_text(calibrated, "", params.pile_share) + habit,
                )
            )
        return out


Pile = tuple[dt.date, float, int, dt.datetime, dt.datetime, int, float]
"""(day, value, count, first time, last time, values of the day above it, their share of the day)."""


def _holds(fp: FactorProfile | None) -> bool:
    """An analyser that holds each result for its measuring cycle (profile): count measurements (runs of
    a held value), not reports (measured in bench detect: a real effluent analyser holding 4.22 mg/L for
    15 h made a clean day yellow as a 'pile')."""
    return fp is not None and fp.cycle_hours is not None


def _with_day(f: pl.DataFrame) -> pl.DataFrame:
    """The rows with their CST day (R03 counts per day)."""
    return f.with_columns(cst_wall(f["time"]).dt.date().alias("day"))


def _piles_per_day(
    series: Series, f: pl.DataFrame, p: OverRangeParams, limit: float, held: bool
) -> tuple[list[Pile], dict[dt.date, int]]:
    """Per CST day and value in [pile_low_fraction x limit, limit): (day, value, count, first time, last
    time, values of the day above it and their share of the day's values), counting
    held measurements for a holding analyser; and per day its valid count."""
    if f.height == 0:
        return [], {}
    if held:  # the run numbers only count held measurements (the join cost 1-2 ms per minute series)
        runs = (
            series.frame.sort("time")
            .with_columns(pl.col("value").rle_id().alias("run"))
            .select("time", "run")
        )
        f = f.join(runs, on="time", how="left")
    counted = pl.col("run").n_unique() if held else pl.len()
    in_band = pl.col("value").is_between(p.pile_low_fraction * limit, limit, closed="left")
    totals = dict(f.group_by("day").agg(counted).iter_rows())
    # per day and value: how many of the day's values lie above it (the values counted from the top)
    ranked = (
        f.group_by("day", "value")
        .agg(
            counted.alias("count"),
            pl.len().alias("rows"),
            pl.col("time").min().alias("start"),
            pl.col("time").max().alias("last"),
        )
        .sort("day", "value", descending=[False, True])
        .with_columns((pl.col("rows").cum_sum().over("day") - pl.col("rows")).alias("above"))
        .with_columns((pl.col("above") / pl.col("rows").sum().over("day")).alias("above_share"))
    )
    piles = ranked.filter(in_band).select("day", "value", "count", "start", "last", "above", "above_share")
    return list(piles.sort("day", "value").iter_rows()), totals


def _day_shares(piles: list[Pile], totals: dict[dt.date, int]) -> dict[dt.date, float]:
    """Per day, the largest share of one value in the band (0 on a day without one)."""
    out = dict.fromkeys(totals, 0.0)
    for day, _, count, _, _, _, _ in piles:
        out[day] = max(out[day], count / totals[day])
    return out
