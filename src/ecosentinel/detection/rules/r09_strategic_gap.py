"""R09 strategic missing data: gaps when an exceedance was likely (策略性缺失)."""

from __future__ import annotations

import datetime as dt

from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.config import RuleParams
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.rules._common import Run, compared_values, fmt, hazard, pct, runs_with_levels
from ecosentinel.readings import DataKind

GAP_FLAGS = ("D", "B", "P", "N", "T", "S")
"""A missing value counts as a gap unless flagged C/M (declared work, R16's business) or F (stopped, R10)."""


class StrategicGapParams(RuleParams):
    """Thresholds of R09 (research notes §1 R9)."""

    exceed_fraction: float = 0.9
    """[P] the value before the gap counts as 'likely exceedance' at or above this share of the limit."""
    min_gap_hours: float = 1.0
    """[P] shortest gap that counts."""
    lookback_hours: float = 3.0
    """[P] the last valid value must be this recent to predict the gap."""
    bracket_fraction: float = 0.7
    """[P] a gap also counts when the larger of the values just before and just after it (within
    ``lookback_hours``) reaches this share of the limit: monitoring cut while the concentration climbs
    leaves a last value short of the limit (measured on the simulated corpus: 0.74-0.84 of the limit
    before such gaps, as high or higher after them)."""
    pattern_min_gaps: int = 3
    """[P] the point-level pattern needs at least this many gaps after high values."""
    pattern_ratio: float = 3.0
    """[P] and a gap rate after high values at least this many times the rate after low values."""
    gap_min_ratio: float = 2.0
    """[P] single gaps are reported only where gaps follow high values at least this many times as often
    as low ones (or never follow low ones): where exceedances are common, one gap after a high value is
    no evidence (base-rate trap found on the Beijing series)."""


class StrategicGapRule(FactorRule[StrategicGapParams]):
    """Catches monitoring turned off or disconnected when an exceedance is coming (策略性停运/断线),
    leaving no valid data while the concentration is above or near the limit.

    Source: Wang et al. 2022, J Environ Manage 314:115081 (Henan firms 'strategically turning down the
    CEMS when a pollutant's concentration is expected to exceed the limit'); MEP 2012 field guide §7
    ('no data for a long time without reason'); BRIEF (data gaps during exceedances). The expected
    concentration is the last valid value before the gap. Two outputs: each gap that starts at a high
    value, and a point-level pattern when gaps follow high values far more often than low ones.
    Traps: declared maintenance windows (skipped), region-wide outages (need cross-station checks,
    done outside this per-point rule).
    """

    code = "R09_strategic_gap"
    title_zh = "超标时段策略性缺失"
    title_en = "Strategic gaps during likely exceedances"
    params_model = StrategicGapParams
    kinds = (DataKind.MINUTE, DataKind.HOUR)
    """Minute data first: an hourly mean hides a gap that covers part of an hour (measured on the
    simulated corpus: gaps over exceedances were invisible in hourly data)."""

    def detect(self, series: Series, params: StrategicGapParams, data: PointData) -> list[Finding]:
        spec = data.context.factor(series.code)
        if spec.limit is None or spec.limit <= 0 or spec.limit_low is not None:
            # a band limit (pH 6-9): a share of the upper limit says nothing about exceeding it
            return []
        f = compared_values(series.frame)
        mask = f["value"].is_null() & (f["flag"].is_null() | f["flag"].is_in(list(GAP_FLAGS)))
        runs = runs_with_levels(f, mask, series.step, dt.timedelta(hours=params.lookback_hours))
        high = params.exceed_fraction * spec.limit
        bracket = params.bracket_fraction * spec.limit
        lookback = dt.timedelta(hours=params.lookback_hours)
        times, values = f["time"].to_list(), f["value"].to_list()
        levels = [_level(r, _after_within(times, values, r.b, r.end, lookback)) for r in runs]
        # base rate (trap): gaps near high values must be clearly more frequent than gaps near low ones
        valid = f["value"].drop_nulls()
        n_high = int((valid >= bracket).sum())
        n_low = valid.len() - n_high
        r_high = sum(1 for lv in levels if lv is not None and lv >= bracket)
        r_low = sum(1 for lv in levels if lv is not None and lv < bracket)
        rate_high = r_high / n_high if n_high else 0.0
        rate_low = r_low / n_low if n_low else 0.0
        out: list[Finding] = []
        if rate_low > 0 and rate_high < params.gap_min_ratio * rate_low:
            runs_for_gaps: list[Run] = []
        else:
            runs_for_gaps = runs
        for r in runs_for_gaps:
            start, end, before = r.start, r.end, r.before
            after = _after_within(times, values, r.b, end, lookback)
            level = _level(r, after)
            if before is None or r.before_time is None or level is None:
                continue
            if before < high and level < bracket:
                continue
            hours = (end - start).total_seconds() / 3600
            if hours < params.min_gap_hours or data.context.in_maintenance_window(start, end):
                continue
            strong = level >= spec.limit and hours >= 3
            # a gap only bracketed by near-limit values is a clue (low): two on one day add up to
            # yellow; as medium it made 0.5 % of the Beijing point-days yellow on its own
            severity = Severity.HIGH if strong else (Severity.MEDIUM if before >= high else Severity.LOW)
            flags = f.slice(r.a, r.rows)["flag"].fill_null("absent").unique().sort().to_list()
            out.append(
                self.finding(
                    data.context,
                    factors=[series.code],
                    start=start,
                    end=end,
                    severity=severity,
                    score=(0.75 if strong else 0.5) + 0.2 * min(1.0, hours / 24),
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": series.kind.value,
                        "hours": round(hours, 2),
                        "before": {"time": iso(r.before_time), "value": before},
                        "after": after,
                        "missing_flags": flags,
                        "limit": spec.limit,
                        "threshold": high,
                        "level": level,
                        "comparison": "gap >= min_gap_hours after a value >= exceed_fraction x limit, "
                        "or max(before, after) >= bracket_fraction x limit",
                    },
                    variant="gap",
                    hours=fmt(hours),
                    before=fmt(before),
                    after=fmt(after) if after is not None else "无",
                    limit=fmt(spec.limit),
                    pct=pct(level / spec.limit),
                )
            )
        out.extend(self._pattern(series, params, data, runs, high))
        return out

    def _pattern(
        self,
        series: Series,
        p: StrategicGapParams,
        data: PointData,
        runs: list[Run],
        high: float,
    ) -> list[Finding]:
        r_high, n_high, r_low, n_low = hazard(compared_values(series.frame), runs, high)
        if r_high < p.pattern_min_gaps or n_high == 0:
            return []
        p_high = r_high / n_high
        p_low = r_low / n_low if n_low else 0.0
        if p_low > 0 and p_high < p.pattern_ratio * p_low:
            return []
        highs = [r for r in runs if r.before is not None and r.before >= high]
        # the finding sits on the latest occurrence (its evidence lists them all): a point-level pattern
        # spanning months would otherwise colour its last 31 days (measured on the Beijing series: one
        # CO pattern made 202 point-days red)
        start, end = highs[-1].start, highs[-1].end
        first = highs[0].start
        return [
            self.finding(
                data.context,
                factors=[series.code],
                start=start,
                end=end,
                severity=Severity.HIGH,
                score=0.8 + 0.2 * min(1.0, r_high / (3 * p.pattern_min_gaps)),
                evidence={
                    "window": [iso(start), iso(end)],
                    "pattern_since": iso(first),
                    "data_kind": series.kind.value,
                    "gaps_after_high": r_high,
                    "values_high": n_high,
                    "gaps_after_low": r_low,
                    "values_low": n_low,
                    "rate_high": round(p_high, 5),
                    "rate_low": round(p_low, 5),
                    "threshold": {"min_gaps": p.pattern_min_gaps, "ratio": p.pattern_ratio},
                    "comparison": "gap rate after high values >= ratio x gap rate after low values",
                    "gap_starts": [iso(r.start) for r in highs[:50]],
                },
                variant="pattern",
                pct=fmt(p.exceed_fraction * 100),
                p_high=pct(p_high),
                p_low=pct(p_low),
                n_high=r_high,
                n_low=r_low,
            )
        ]


def _after_within(
    times: list[dt.datetime], values: list[float | None], b: int, end: dt.datetime, lookahead: dt.timedelta
) -> float | None:
    """First valid value after row ``b`` within ``lookahead`` of the gap's end."""
    for i in range(b + 1, len(values)):
        if times[i] - end > lookahead:
            return None
        v = values[i]
        if v is not None:
            return float(v)
    return None


def _level(r: Run, after: float | None) -> float | None:
    """The expected concentration over a gap: the larger of the values around it (None without before)."""
    if r.before is None:
        return None
    return max(r.before, after) if after is not None else r.before
