"""R16 flag abuse (标记滥用): calibration / maintenance / fault flags used to hide data."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.config import RuleParams
from ecosentinel.detection.context import PointType
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.rules._common import (
    Run,
    compared_values,
    fmt,
    hazard,
    held_share,
    holds_results,
    pct,
    runs_around,
)
from ecosentinel.readings import CST, DataKind

ABUSABLE_FLAGS = ("C", "M", "D")


class FlagAbuseParams(RuleParams):
    """Thresholds of R16 (research notes §1 R16; HJ 75-2017 daily zero/span [M])."""

    exceed_fraction: float = 0.9
    """[P] a value counts as 'near or over the limit' at or above this share of the limit."""
    lookback_hours: float = 3.0
    """[P] the last valid value before a flagged run must be this recent."""
    pattern_min_runs: int = 3
    """[P] the concentration pattern needs at least this many flagged runs after high values."""
    pattern_ratio: float = 3.0
    """[P] and a rate after high values at least this many times the rate after low values."""
    max_calibration_minutes_gas: float = 120.0
    """[P] longest plausible C run for a flue-gas CEMS (zero/span check takes well under an hour)."""
    max_calibration_minutes_water: float = 240.0
    """[P] longest plausible C run for a water analyser (standard-sample check takes 1-2 cycles)."""
    min_distinct_raw: int = 3
    """[P] values measured under a flag count as real measurements (not a zero/span or standard-sample
    reading) when they take at least this many distinct values (two for hour means: each is already the
    mean of at least 45 minutes of readings, so two different hour means over the limit are not one
    reference value; two also for an analyser that holds each result for its measuring cycle
    (``_common.holds_results``): its distinct values are measurements) ..."""
    min_raw_minutes: float = 30.0
    """[P] ... over at least this long (a gas zero/span check takes about 15 min)."""
    om_slack_minutes: float = 60.0
    """[P] an O&M record within this many minutes of a C/M run covers it."""
    stand_out: float = 1.0
    """[P] without an O&M feed, the median measured under the flag must also exceed this multiple of
    the valid values just before and just after the flagged run: the flag covers a hump that stands out
    from the data around it (a point that runs at that level all along is not hiding a peak). This
    local comparison replaced a comparison with the point's own 99th percentile over the window, which
    let a point that exceeds often hide its exceedances (it has the most reason to; issue 17 measured
    flag-abuse recall 0.00-0.33 on the real backgrounds with it)."""
    own_change_share: float = 0.5
    """[P] without an O&M feed, the readings under the flag must change from one row to the next at
    least this share as often as the point's own valid readings do (measured, not substituted)."""
    skip_om_check_without_records: bool = True
    """[P] skip the 'no O&M record' check for a point with no O&M records at all in the window: a feed
    that was never connected is not evidence against the enterprise."""


class FlagAbuseRule(FactorRule[FlagAbuseParams]):
    """Catches fraud hidden under flags: exceedance data flagged C (calibration), M (maintenance) or D
    (fault) so they drop out of the hourly and daily means, calibration flags far longer than a
    calibration takes, and calibration / maintenance flags with no matching O&M record.

    Source: research notes R16; HJ 212 data flags; HJ 75-2017 / HJ 356-2019 validity rules (flagged data
    are excluded from valid means, which is what makes the flag worth abusing); seed 000 point 7 (read
    the O&M, fault and spare-part records). Every other rule segregates flagged rows; this one reads them.
    """

    code = "R16_flag_abuse"
    title_zh = "数据标记滥用"
    title_en = "Flag abuse"
    params_model = FlagAbuseParams
    kinds = (DataKind.MINUTE, DataKind.HOUR)
    """Minute data first: an hour is flagged N when any of its minutes is, so flags over part of an
    hour vanish from hourly data (measured on the simulated corpus)."""

    def detect(self, series: Series, params: FlagAbuseParams, data: PointData) -> list[Finding]:
        # the three flag masks in one polars call (they were six)
        flag = pl.col("flag")
        masks = series.frame.select(
            flag.is_in(list(ABUSABLE_FLAGS)).fill_null(False).alias("abusable"),
            (flag == "C").fill_null(False).alias("c"),
            flag.is_in(["C", "M"]).fill_null(False).alias("cm"),
        )
        if params.pattern_min_runs >= 1 and not masks["abusable"].any():
            # no C/M/D row: no run for any of the checks below (C and C/M runs are C/M/D runs), so
            # every one of them finds nothing
            return []
        f = compared_values(series.frame)
        out: list[Finding] = []
        lookback = dt.timedelta(hours=params.lookback_hours)
        runs = runs_around(f, masks["abusable"], series.step, lookback)
        spec = data.context.factor(series.code)
        if spec.limit is not None and spec.limit > 0 and spec.limit_low is None:  # not a band (pH 6-9)
            out.extend(self._pattern(series, params, data, runs, params.exceed_fraction * spec.limit, f))
            out.extend(self._hidden_exceedance(series, params, data, runs, spec.limit, f))
        c_runs = runs_around(f, masks["c"], series.step, lookback)
        out.extend(self._long_calibration(series, params, data, c_runs))
        cm_runs = runs_around(f, masks["cm"], series.step, lookback)
        out.extend(self._no_record(series, params, data, cm_runs))
        return out

    def _pattern(
        self, s: Series, p: FlagAbuseParams, data: PointData, runs: list[Run], high: float, f: pl.DataFrame
    ) -> list[Finding]:
        """``f``: ``compared_values(s.frame)``, computed once by ``detect``."""
        r_high, n_high, r_low, n_low = hazard(f, runs, high)
        if r_high < p.pattern_min_runs or n_high == 0:
            return []
        p_high, p_low = r_high / n_high, (r_low / n_low if n_low else 0.0)
        if p_low > 0 and p_high < p.pattern_ratio * p_low:
            return []
        highs = [r for r in runs if r.before is not None and r.before >= high]
        # the finding sits on the latest occurrence (its evidence lists them all): a point-level pattern
        # spanning months would otherwise colour its last 31 days (measured on the Beijing series: one
        # CO pattern made 202 point-days red)
        start, end = highs[-1].start, highs[-1].end
        first = highs[0].start
        flags = s.frame.filter(pl.col("flag").is_in(list(ABUSABLE_FLAGS)))["flag"].unique().sort().to_list()
        return [
            self.finding(
                data.context,
                factors=[s.code],
                start=start,
                end=end,
                severity=Severity.HIGH,
                score=0.8 + 0.2 * min(1.0, r_high / (3 * p.pattern_min_runs)),
                evidence={
                    "window": [iso(start), iso(end)],
                    "pattern_since": iso(first),
                    "data_kind": s.kind.value,
                    "flags": flags,
                    "runs_after_high": r_high,
                    "values_high": n_high,
                    "runs_after_low": r_low,
                    "values_low": n_low,
                    "rate_high": round(p_high, 5),
                    "rate_low": round(p_low, 5),
                    "threshold": {"min_runs": p.pattern_min_runs, "ratio": p.pattern_ratio},
                    "comparison": "flagged-run rate after high values >= ratio x rate after low values",
                    "run_starts": [iso(r.start) for r in highs[:50]],
                },
                variant="flag_near_exceedance",
                pct=fmt(p.exceed_fraction * 100),
                flags="/".join(flags),
                p_high=pct(p_high),
                p_low=pct(p_low),
                n_high=r_high,
                n_low=r_low,
            )
        ]

    def _hidden_exceedance(
        self, s: Series, p: FlagAbuseParams, data: PointData, runs: list[Run], limit: float, f: pl.DataFrame
    ) -> list[Finding]:
        """A C/M/D run that starts right after a value near the limit and has no O&M record (``f``:
        ``compared_values(s.frame)``)."""
        ctx = data.context
        high = p.exceed_fraction * limit
        if _nothing_high(s.frame, runs, high, limit):
            return []
        # Without an O&M feed the 'no record' part cannot be judged, but what the analyser measured under
        # the flag still can: several distinct readings for half an hour or more, above the limit and
        # above the point's own 99th percentile of valid values, are an exceedance, not a zero/span check
        # (issue 17: flag abuse recall 0.21; every benchmark background has no O&M feed).
        no_feed = p.skip_om_check_without_records and ctx.om_records.height == 0
        cmp = f["value"].drop_nulls()
        own_change = 1.0 - held_share(cmp) if cmp.len() > 1 else 0.0
        # an analyser that holds each result for its measuring cycle (the point's profile, else this
        # window) shows one value per measurement: its distinct values count measurements, like hour
        # means (each an independent reading), not minutes (measured in bench detect: a 60-min NH4
        # analyser's flagged humps held two measurements, never three, and none was found)
        holding = holds_results(s, data, cmp)
        distinct = min(p.min_distinct_raw, 2) if s.kind is DataKind.HOUR or holding else p.min_distinct_raw
        slack = dt.timedelta(minutes=p.om_slack_minutes)
        out = []
        for r, (n_raw, n_distinct, median, change) in zip(runs, _under_flag(s.frame, runs), strict=True):
            minutes = (r.end - r.start).total_seconds() / 60
            # what the analyser still measured under the flag: a calibration reads one or two reference
            # values; several distinct values for half an hour or more are real measurements
            under = median if n_raw and n_distinct >= distinct and minutes >= p.min_raw_minutes else None
            level = max(v for v in (r.before, under, -1.0) if v is not None)
            if no_feed:
                # measured, not substituted: the readings under the flag change about as often as the
                # point's own valid readings (EPA substitute data hold 1-3 values for many hours)
                around = max((v for v in (r.before, r.after) if v is not None), default=None)
                if (
                    under is None
                    or under < limit
                    or (around is not None and under <= p.stand_out * around)
                    or change < p.own_change_share * own_change
                ):
                    continue
                level = under
            elif level < high or ctx.om_overlapping(r.start, r.end, slack).height:
                continue
            if ctx.excused(r.start, r.end, (s.code,)):
                continue
            flags = sorted(set(s.frame.slice(r.a, r.rows)["flag"].drop_nulls().to_list()))
            strong = level >= limit and not no_feed
            out.append(
                self.finding(
                    ctx,
                    factors=[s.code],
                    start=r.start,
                    end=r.end,
                    severity=Severity.HIGH if strong else Severity.MEDIUM,
                    score=0.8 if strong else 0.6,
                    evidence={
                        "window": [iso(r.start), iso(r.end)],
                        "data_kind": s.kind.value,
                        "flags": flags,
                        "before": {"time": iso(r.before_time) if r.before_time else None, "value": r.before},
                        "median_under_flag": under,
                        "om_feed": not no_feed,
                        "around": {"before": r.before, "after": r.after},
                        "limit": limit,
                        "minutes": round(minutes, 1),
                        "threshold": {
                            "exceed_fraction": p.exceed_fraction,
                            "slack_minutes": p.om_slack_minutes,
                        },
                        "comparison": "C/M/D run right after a value >= exceed_fraction x limit, "
                        "no O&M record within slack",
                    },
                    variant="hidden_exceedance_no_feed" if no_feed else "hidden_exceedance",
                    flags="/".join(flags),
                    around=messages.around_text(
                        None if r.before is None else fmt(r.before), None if r.after is None else fmt(r.after)
                    ),
                    minutes=fmt(minutes),
                    before=fmt(level),
                    pct=pct(level / limit),
                    slack=fmt(p.om_slack_minutes),
                )
            )
        return out

    def _long_calibration(
        self, s: Series, p: FlagAbuseParams, data: PointData, runs: list[Run]
    ) -> list[Finding]:
        limit = (
            p.max_calibration_minutes_gas
            if data.context.point_type is PointType.GAS
            else p.max_calibration_minutes_water
        )
        out = []
        for r in runs:
            start, end = r.start, r.end
            minutes = (end - start).total_seconds() / 60
            if minutes <= limit:
                continue
            out.append(
                self.finding(
                    data.context,
                    factors=[s.code],
                    start=start,
                    end=end,
                    severity=Severity.MEDIUM if minutes > 2 * limit else Severity.LOW,
                    score=0.4 + 0.3 * min(1.0, minutes / limit - 1),
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": s.kind.value,
                        "minutes": round(minutes, 1),
                        "rows": r.rows,
                        "before": r.before,
                        "threshold_minutes": limit,
                        "comparison": "C-flag run length > threshold_minutes",
                    },
                    variant="long_calibration",
                    minutes=fmt(minutes),
                    threshold=fmt(limit),
                )
            )
        return out

    def _no_record(self, s: Series, p: FlagAbuseParams, data: PointData, runs: list[Run]) -> list[Finding]:
        ctx = data.context
        if not runs or (p.skip_om_check_without_records and ctx.om_records.height == 0):
            return []
        slack = dt.timedelta(minutes=p.om_slack_minutes)
        bare = []
        for r in runs:
            start, end = r.start, r.end
            if ctx.om_overlapping(start, end, slack).height == 0:
                bare.append((start, end, s.frame.slice(r.a, r.rows)["flag"].unique().to_list()))
        out = []
        by_day: dict[object, list[tuple[dt.datetime, dt.datetime, list[str]]]] = {}
        for item in bare:
            by_day.setdefault(item[0].astimezone(CST).date(), []).append(item)
        for day, items in by_day.items():
            start, end = items[0][0], items[-1][1]
            minutes = sum((b - a).total_seconds() / 60 for a, b, _ in items)
            flags = sorted({fl for _, _, fls in items for fl in fls})
            windows = [[iso(a), iso(b)] for a, b, _ in items]
            out.append(
                self.finding(
                    ctx,
                    factors=[s.code],
                    start=start,
                    end=end,
                    severity=Severity.LOW,
                    score=0.3 + 0.2 * min(1.0, minutes / 480),
                    evidence={
                        "window": [iso(start), iso(end)],
                        "day": str(day),
                        "data_kind": s.kind.value,
                        "flags": flags,
                        "runs": windows,
                        "minutes": round(minutes, 1),
                        "threshold_slack_minutes": p.om_slack_minutes,
                        "comparison": "C/M-flagged run with no O&M record within slack",
                    },
                    variant="no_om_record",
                    flags="/".join(flags),
                    minutes=fmt(minutes),
                    slack=fmt(p.om_slack_minutes),
                    window_text=f"（共{len(items)}段）" if len(items) > 1 else "",
                )
            )
        return out


def _nothing_high(frame: pl.DataFrame, runs: list[Run], high: float, limit: float) -> bool:
    """True only when no run can be a hidden exceedance: none starts right after a value at or above
    ``high``, and none holds a reading (``zs`` where sent, else ``raw``: what ``_under_flag`` takes the
    median of) at or above min(high, limit), so neither the value before a run nor the median under its
    flag can reach a threshold. False when it cannot tell (a NaN reading, non-float columns).

    Why: nearly every flagged run is a routine zero/span check far below the limit, and the per-run
    group-by of ``_under_flag`` cost more than the rest of the check; numpy finds the maxima instead."""
    if not runs:
        return True
    if any(r.before is not None and r.before >= high for r in runs):
        return False
    raw, zs = frame["raw"], frame["zs"]
    if raw.dtype != pl.Float64 or zs.dtype != pl.Float64:
        return False
    r, z = raw.to_numpy(), zs.to_numpy()  # nulls as NaN
    if np.count_nonzero(np.isnan(r)) != raw.null_count() or np.count_nonzero(np.isnan(z)) != zs.null_count():
        return False  # a NaN reading: polars' median orders it as the largest value
    x = np.where(np.isnan(z), r, z)  # coalesce(zs, raw); NaN only where both are null (never counted)
    bar = min(high, limit)
    return not any(bool(np.any(x[run.a : run.b + 1] >= bar)) for run in runs)


def _under_flag(frame: pl.DataFrame, runs: list[Run]) -> list[tuple[int, int, float | None, float]]:
    """Per run, what was measured under the flag, all runs in one group-by: (readings, distinct values,
    median, share of consecutive readings that change). Flue gas: the O2-converted value is what the
    limit applies to (and what a substitute or reference reading holds constant); the measured value
    varies with O2 alone, so ``zs`` is read where present, else the raw value."""
    if not runs:
        return []
    run_of = np.full(frame.height, -1, dtype=np.int64)
    for k, r in enumerate(runs):
        run_of[r.a : r.b + 1] = k
    stats = (
        frame.select(pl.Series("_run", run_of), pl.coalesce("zs", "raw").alias("x"))
        .filter((pl.col("_run") >= 0) & pl.col("x").is_not_null())
        .group_by("_run")
        .agg(
            pl.len().alias("n"),
            pl.col("x").n_unique().alias("distinct"),
            pl.col("x").median().alias("median"),
            (pl.col("x").diff().drop_nulls() != 0).mean().alias("change"),
        )
    )
    found = {
        int(k): (int(n), int(d), None if m is None else float(m), float(c or 0.0))
        for k, n, d, m, c in stats.iter_rows()
    }
    return [found.get(k, (0, 0, None, 0.0)) for k in range(len(runs))]
