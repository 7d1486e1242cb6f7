"""R05 dilution: all water pollutants fall by a common factor (稀释：暗管注水、采样管转接自来水、挂瓶)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule, true_runs
from ecosentinel.detection.calibration import budget_level_low
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import WATER_FLOW, WC_PRODUCTION, EventType, PointType
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.messages import calibration_text
from ecosentinel.detection.profile import CalibratedLevel, PointProfile, State
from ecosentinel.detection.rules._common import WC_KINDS, fmt, mean_of, output_step, pct
from ecosentinel.readings import CST, DataKind

_EVENTS = frozenset(
    {
        EventType.DOOR_OPEN.value,
        EventType.CAMERA_MOVED.value,
        EventType.VIDEO_LOST.value,
        EventType.CAMERA_OFFLINE.value,
    }
)


_KINDS = (DataKind.HOUR, DataKind.MINUTE)
"""Hour data first; minute data (e.g. 15-minute plant sensors) are averaged to hours."""


class DilutionParams(RuleParams):
    """Thresholds of R05 (research notes §1 R5)."""

    factors: tuple[str, ...] = ("w01018", "w21003", "w21011", "w21001", "w21007")
    """Pollutants whose joint fall is dilution (COD, NH3-N, TP, TN, nitrate N): water added to the sample
    divides every dissolved pollutant alike, nitrate included (in treated effluent nitrate and ammonia
    move apart, nitrification turning one into the other, so a joint proportional fall is not their
    natural co-movement)."""
    min_factors: int = 2
    """At least this many of them must have data."""
    baseline_hours: float = 24.0
    """[P] baseline: median of the previous 24 hours."""
    operating_flow_fraction: float = 0.2
    """[P] hours with flow at or above this share of its p95 are operating hours (the baseline's hours;
    the R02/R10 production-power share)."""
    drop_ratio: float = 0.5
    """[P] every factor at or below this share of its baseline."""
    ratio_tolerance: float = 0.25
    """[P] 'ratios kept': every factor's ratio within +/-25% of the factors' median ratio."""
    min_hours: float = 2.0
    """[P] shortest diluted run."""
    min_base_steps: float = 10.0
    """[P] a factor's ratio counts at an hour only when its baseline is at least this many of its output
    steps (the reporting quantum, from the profile or the window): a nitrate analyser reporting whole
    mg/L on a 2 mg/L baseline falls to half in one step, which says nothing of a common fall (measured on
    the real Tilburg series rounded to such steps: NH4 and nitrate a step or two above zero made 'common
    falls' that turned clean point-days yellow)."""
    flow_keep: float = 0.7
    """[P] flow at or above this share of its baseline: not a shutdown (night-shutdown trap)."""
    storm_flow_rise: float = 1.3
    """[P] flow up by this factor: storm / combined-sewer look-alike (trap), reported low."""
    night_ratio: float = 0.5
    """[P] research R5(c): night/day median ratio below this with no production reason."""
    min_rows_per_period: int = 4
    """Night and day medians need at least this many valid hours each."""
    event_minutes: float = 30.0
    """[P] R15 link: door / camera events within this many minutes of the step."""
    production_keep: float = 0.7
    """[P] production power (wc_prod_kw) below this share of its 24-h operating median: the process
    changed (natural co-movement of all pollutants), not dilution; no finding."""
    not_running_share: float = 0.5
    """[P] a window in which the source was stopped or starting up for at least this share of hours
    (profile's operating state) is not dilution."""
    calibrated_floor_ratio: float = 0.1
    """[P] per-point calibration: the calibrated drop / night ratio is never below 0.1 (a tenfold
    dilution is caught whatever the history)."""
    calibrated_margin: float = 0.9
    """[P] the calibrated ratio is 0.9 x the history quantile at the budget (strictly deeper than the
    deepest natural co-movement allowed by the budget)."""


class DilutionRule(PointRule[DilutionParams]):
    """Catches dilution of the sample or the discharge: a hidden pipe injecting tap water into the
    outfall channel (暗管注水), the sampling tube switched to a tap-water hose at night (采样管转接自来水)
    or a bottle on the sampling tube (挂瓶). Dilution divides every pollutant by the same factor, so
    their ratios stay constant; a real change in the process moves them differently.

    Source: seed 004 (Jiaxing 2022: PVC pipe injecting tap water into the discharge channel; a dyeing
    plant that discharged only at night with the sampling tube switched to a tap-water hose and the
    camera turned away); research notes R5 (65 publicised cases, 30 of 39 water cases interfered with
    the sample). Two checks: a step below the 24-h baseline, and a night/day drop. Traps: a night
    shutdown lowers flow too (not flagged); rain in combined sewers raises flow (reported low).
    """

    code = "R05_dilution"
    title_zh = "样品稀释"
    title_en = "Dilution"
    params_model = DilutionParams
    context_series = (WATER_FLOW, WC_PRODUCTION)
    point_types = frozenset({PointType.WATER})

    def detect(self, data: PointData, params: DilutionParams, config: ScreeningConfig) -> list[Finding]:
        codes = [c for c in params.factors if data.series(c, _KINDS) is not None]
        if len(codes) < params.min_factors:
            return []
        wide = self._wide(data, [*codes, WATER_FLOW])
        flow = WATER_FLOW if WATER_FLOW in wide.columns else None
        out = self._steps(data, params, wide, codes, flow)
        out.extend(self._nights(data, params, wide, codes, flow))
        return out

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """Levels of ``common_drop_ratio`` (per clean history day: the deepest fall of the least-fallen
        factor sustained for min_hours) and ``night_day_ratio`` (per night: the largest factor's
        night/day ratio, ratios kept or not) at the budget's lower quantile x calibrated_margin, at
        most the default, at least calibrated_floor_ratio."""
        p: DilutionParams = config.params_for(self, data.context, None)
        codes = [c for c in p.factors if data.series(c, _KINDS) is not None]
        if len(codes) < p.min_factors or not p.enabled:
            return []
        wide = self._wide(data, [*codes, WATER_FLOW])
        flow = WATER_FLOW if WATER_FLOW in wide.columns else None
        w = self._hourly(data, p, wide, codes, flow)
        hours = max(1, round(p.min_hours))
        days = (
            w.with_columns(
                pl.col("common_any").fill_null(float("inf")).rolling_max(hours).alias("sustained"),
                pl.col("time").dt.convert_time_zone(CST.key).dt.date().alias("day"),
            )
            .group_by("day")
            .agg(pl.col("sustained").min(), pl.col("common_any").count().alias("n"))
            .filter(pl.col("n") > 0)
        )
        step_units = [min(1.0, float(x)) for x in days["sustained"].to_list() if x is not None]
        night_units = [min(1.0, r) for r in self._night_ratios(data, p, wide, codes, flow)]
        out = []
        for statistic, units, default in (
            ("common_drop_ratio", step_units, p.drop_ratio),
            ("night_day_ratio", night_units, p.night_ratio),
        ):
            level = budget_level_low(
                "R05",
                statistic,
                None,
                units,
                budget=budget,
                floor=p.calibrated_floor_ratio,
                default=default,
                factor_margin=p.calibrated_margin,
                profile=profile,
            )
            if level is not None:
                out.append(level)
        return out

    def _wide(self, data: PointData, codes: list[str]) -> pl.DataFrame:
        """Hourly values per factor: hour data, else the hourly mean of the valid minute values (on an
        hourly grid; an hour with no valid minute is missing)."""
        wide: pl.DataFrame | None = None
        for code in codes:
            s = data.series(code, _KINDS)
            if s is None:
                continue
            if s.kind is DataKind.MINUTE:
                hourly = (
                    s.frame.group_by(pl.col("time").dt.truncate("1h"))
                    .agg(pl.col("value").mean())
                    .sort("time")
                )
                first, last = hourly["time"][0], hourly["time"][-1]
                grid = pl.DataFrame(
                    {
                        "time": pl.datetime_range(
                            first, last, "1h", time_unit="us", time_zone="UTC", eager=True
                        )
                    }
                )
                part = grid.join(hourly, on="time", how="left").select("time", pl.col("value").alias(code))
            else:
                part = s.frame.select("time", pl.col("value").alias(code))
            wide = part if wide is None else wide.join(part, on="time", how="full", coalesce=True)
        assert wide is not None
        return wide.sort("time")

    def _hourly(
        self, data: PointData, p: DilutionParams, wide: pl.DataFrame, codes: list[str], flow: str | None
    ) -> pl.DataFrame:
        """Per hour: each factor's (and flow's) ratio to its 24-h operating baseline and ``common``, the
        largest factor ratio when >= min_factors factors agree within the tolerance and the flow is not
        a shutdown (null otherwise): the hour's common fall, the statistic of the step check."""
        window = dt.timedelta(hours=p.baseline_hours)
        base_cols = [*codes, *([flow] if flow else [])]
        # baseline over operating hours only: a day-shift plant's idle nights pull a plain 24-h median
        # down (measured: diluted day hours of a simulated electroplating plant were 0.5x the plain
        # median but 0.35x its operating level)
        operating = pl.lit(True)
        if flow:
            high = wide[flow].drop_nulls().quantile(0.95)
            if high is not None and high > 0:
                operating = pl.col(flow).is_null() | (pl.col(flow) >= p.operating_flow_fraction * high)
        w = wide.with_columns(
            [
                pl.when(operating)
                .then(pl.col(c))
                .otherwise(None)
                .rolling_median_by("time", window_size=window, closed="left")
                .alias(f"{c}_base")
                for c in base_cols
            ]
        ).with_columns([(pl.col(c) / pl.col(f"{c}_base")).alias(f"{c}_r") for c in base_cols])
        steps = {c: _step(data, c) for c in codes}
        w = w.with_columns(
            [
                pl.when(pl.col(f"{c}_base") >= p.min_base_steps * steps[c])
                .then(pl.col(f"{c}_r"))
                .otherwise(None)
                .alias(f"{c}_r")
                for c in codes
                if steps[c] > 0
            ]
        )
        ratios = [pl.col(f"{c}_r") for c in codes]
        med = pl.concat_list(ratios).list.drop_nulls().list.median()
        present = pl.sum_horizontal([r.is_not_null().cast(pl.Int32) for r in ratios])
        # Factors missing or flagged at that hour are left out; the rest must all agree.
        agree = (present >= p.min_factors) & pl.all_horizontal(
            [r.is_null() | ((r - med).abs() <= p.ratio_tolerance * med) for r in ratios]
        )
        if flow:
            agree = agree & (pl.col(f"{flow}_r").is_null() | (pl.col(f"{flow}_r") >= p.flow_keep))
        common = pl.max_horizontal(ratios)
        present_ok = present >= p.min_factors
        if flow:
            present_ok = present_ok & (pl.col(f"{flow}_r").is_null() | (pl.col(f"{flow}_r") >= p.flow_keep))
        return w.with_columns(
            pl.when(agree.fill_null(False)).then(common).otherwise(None).alias("common"),
            # the calibration statistic: how far the least-fallen factor falls, agreeing or not (the
            # natural co-movement depth; the agreement is rare in a clean history, so calibrating on
            # agreeing hours only left too few units: measured on the Beijing series)
            pl.when(present_ok.fill_null(False)).then(common).otherwise(None).alias("common_any"),
            med.alias("med"),
        )

    def _steps(
        self, data: PointData, p: DilutionParams, wide: pl.DataFrame, codes: list[str], flow: str | None
    ) -> list[Finding]:
        calibrated = data.profile.level("R05", "common_drop_ratio") if data.profile else None
        drop = calibrated.level if calibrated is not None else p.drop_ratio
        w = self._hourly(data, p, wide, codes, flow)
        w = w.with_columns((pl.col("common") <= drop).fill_null(False).alias("diluted"))
        out = []
        for a, b in true_runs(w["diluted"]):
            rows = w.slice(a, b - a + 1)
            start, end = rows["time"][0], rows["time"][-1] + dt.timedelta(hours=1)
            if end - start < dt.timedelta(hours=p.min_hours):
                continue
            if self._natural(data, p, start, end):
                continue
            per = {c: m for c in codes if (m := mean_of(rows[f"{c}_r"])) is not None}
            flow_r = mean_of(rows[f"{flow}_r"]) if flow else None
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "baseline": {c: rows[f"{c}_base"][0] for c in per},
                "during_mean": {c: mean_of(rows[c]) for c in per},
                "ratios": {c: round(v, 4) for c, v in per.items()},
                "flow_ratio": None if flow_r is None else round(flow_r, 4),
                "threshold": {"drop_ratio": round(drop, 4), "ratio_tolerance": p.ratio_tolerance},
                "calibration": calibrated.evidence() if calibrated is not None else None,
                "comparison": "every factor <= drop_ratio x its 24 h median, ratios within tolerance",
            }
            text = calibration_text(calibrated, "", p.drop_ratio)
            out.append(
                self._make(data, p, list(per), start, end, per, flow_r, evidence, "step", text, calibrated)
            )
        return out

    def _natural(self, data: PointData, p: DilutionParams, start: dt.datetime, end: dt.datetime) -> bool:
        """Natural co-movement: the source stopped or starting up, or production power fell."""
        stopped = data.state_share(start, end, State.STOPPED)
        startup = data.state_share(start, end, State.STARTUP)
        if stopped is not None and (stopped + (startup or 0.0)) >= p.not_running_share:
            return True
        prod = data.series(WC_PRODUCTION, WC_KINDS)
        if prod is None or prod.n_valid == 0:
            return False
        v = prod.valid
        before = v.filter(
            pl.col("time").is_between(start - dt.timedelta(hours=p.baseline_hours), start, closed="left")
        )["value"]
        during = v.filter(pl.col("time").is_between(start, end, closed="left"))["value"]
        base, now = before.median(), during.median()
        if not isinstance(base, int | float) or not isinstance(now, int | float) or base <= 0:
            return False
        return float(now) < p.production_keep * float(base)

    def _night_rows(
        self,
        data: PointData,
        p: DilutionParams,
        wide: pl.DataFrame,
        codes: list[str],
        flow: str | None,
        kept_only: bool = True,
    ) -> list[tuple[dict[str, Any], dict[str, float], float | None]]:
        """Nights whose factors all have night and day medians, whose night/day ratios are kept (within
        the tolerance) and whose flow did not fall (no night shutdown): (row, ratios, flow ratio)."""
        local = wide.with_columns(pl.col("time").dt.convert_time_zone(CST.key).alias("local"))
        local = local.with_columns(
            pl.col("local").dt.hour().alias("h"),
            (pl.col("local") + dt.timedelta(hours=2)).dt.date().alias("night_of"),
        ).with_columns(
            pl.when((pl.col("h") >= 22) | (pl.col("h") < 6))
            .then(pl.lit("night"))
            .when((pl.col("h") >= 8) & (pl.col("h") < 20))
            .then(pl.lit("day"))
            .otherwise(None)
            .alias("period")
        )
        cols = [*codes, *([flow] if flow else [])]
        agg = (
            local.filter(pl.col("period").is_not_null())
            .group_by("night_of", "period")
            .agg(
                *[pl.col(c).median().alias(c) for c in cols],
                *[pl.col(c).count().alias(f"{c}_n") for c in codes],
                pl.col("time").min().alias("start"),
                pl.col("time").max().alias("last"),
            )
        )
        nights = agg.filter(pl.col("period") == "night")
        days = agg.filter(pl.col("period") == "day")
        joined = nights.join(days, on="night_of", suffix="_day").sort("night_of")
        out = []
        for row in joined.iter_rows(named=True):
            if any(
                (row[f"{c}_n"] or 0) < p.min_rows_per_period
                or (row[f"{c}_n_day"] or 0) < p.min_rows_per_period
                for c in codes
            ):
                continue
            per: dict[str, float] = {}
            for c in codes:
                night, day = row[c], row[f"{c}_day"]
                if night is None or day is None or day <= 0:
                    break
                per[c] = night / day
            if len(per) < len(codes):
                continue
            med = sorted(per.values())[len(per) // 2]
            if kept_only and any(abs(r - med) > p.ratio_tolerance * med for r in per.values()):
                continue
            flow_r = None
            if flow and row[flow] is not None and row[f"{flow}_day"]:
                flow_r = row[flow] / row[f"{flow}_day"]
                if flow_r < p.flow_keep:
                    continue  # night shutdown: less water, not diluted water
            out.append((row, per, flow_r))
        return out

    def _night_ratios(
        self, data: PointData, p: DilutionParams, wide: pl.DataFrame, codes: list[str], flow: str | None
    ) -> list[float]:
        """Per night, the largest factor's night/day ratio, ratios kept or not (the calibration
        statistic of the night check: kept ratios alone are too rare in a clean history)."""
        rows = self._night_rows(data, p, wide, codes, flow, kept_only=False)
        return [max(per.values()) for _, per, _ in rows]

    def _nights(
        self, data: PointData, p: DilutionParams, wide: pl.DataFrame, codes: list[str], flow: str | None
    ) -> list[Finding]:
        calibrated = data.profile.level("R05", "night_day_ratio") if data.profile else None
        level = calibrated.level if calibrated is not None else p.night_ratio
        out = []
        for row, per, flow_r in self._night_rows(data, p, wide, codes, flow):
            if any(r > level for r in per.values()):
                continue
            start, end = row["start"], row["last"] + dt.timedelta(hours=1)
            if self._natural(data, p, start, end):
                continue
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "night_median": {c: row[c] for c in codes},
                "day_median": {c: row[f"{c}_day"] for c in codes},
                "ratios": {c: round(v, 4) for c, v in per.items()},
                "flow_ratio": None if flow_r is None else round(flow_r, 4),
                "threshold": {"night_ratio": round(level, 4), "ratio_tolerance": p.ratio_tolerance},
                "calibration": calibrated.evidence() if calibrated is not None else None,
                "comparison": "night/day median <= night_ratio for all factors, ratios kept",
            }
            text = calibration_text(calibrated, "", p.night_ratio)
            out.append(
                self._make(data, p, codes, start, end, per, flow_r, evidence, "night", text, calibrated)
            )
        return out

    def _make(
        self,
        data: PointData,
        p: DilutionParams,
        codes: list[str],
        start: dt.datetime,
        end: dt.datetime,
        per: dict[str, float],
        flow_r: float | None,
        evidence: dict[str, Any],
        variant: str,
        calibration: str,
        level: CalibratedLevel | None,
    ) -> Finding:
        events = data.context.events_near(start, start, dt.timedelta(minutes=p.event_minutes), _EVENTS)
        evidence["events"] = [
            {"time": iso(t), "type": ty} for t, ty in events.select("time", "type").iter_rows()
        ]
        mean_r = sum(per.values()) / len(per)
        if flow_r is not None and flow_r >= p.storm_flow_rise:
            severity, score = Severity.LOW, 0.3
            flow_text = f"但同期流量上升至{pct(flow_r)}%，也可能是降雨进入合流管网"
        elif flow_r is None:
            severity, score = Severity.MEDIUM, 0.55
            flow_text = "（无流量数据可供核对）"
        else:
            severity, score = Severity.MEDIUM, 0.65
            flow_text = f"同期流量为基线的{pct(flow_r)}%，排水量并未减少"
        if events.height and severity is not Severity.LOW:
            severity, score = Severity.HIGH, 0.9
        elif _uninformative(level, p):
            # the point's own history co-moves deeper than the floor: this statistic cannot tell
            # dilution from its natural co-movement here (a clue only; a door/camera event still counts)
            severity, score = Severity.LOW, 0.3
            flow_text += "；该点位历史上各因子自然同步下降已深于判定下限，此项仅作提示"
        event_text = (
            f"；下降前后{fmt(p.event_minutes)}分钟内有{events.height}次站房门禁或视频异常事件"
            if events.height
            else ""
        )
        return self.finding(
            data.context,
            factors=codes,
            start=start,
            end=end,
            severity=severity,
            score=score,
            evidence=evidence,
            variant=variant,
            ratio_pct=pct(mean_r),
            ratios="、".join(pct(per[c]) + "%" for c in codes),
            flow_text=flow_text,
            event_text=event_text,
            calibration=calibration,
        )


def _step(data: PointData, code: str) -> float:
    """The factor's output step (``_common.output_step``; 0 without its series)."""
    s = data.series(code, _KINDS)
    return output_step(s, data) if s is not None else 0.0


def _uninformative(level: CalibratedLevel | None, p: DilutionParams) -> bool:
    """Whether the history's natural co-movement already reaches the floor (quantile x margin < floor)."""
    if level is None or level.quantile is None:
        return False
    return level.quantile * p.calibrated_margin < level.floor
