"""R09 strategic missing data: gaps when an exceedance was likely (策略性缺失)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.profile import CalibratedLevel, PointProfile
from ecosentinel.detection.rules._common import Run, compared_values, fmt, pct, runs_with_levels
from ecosentinel.readings import CST, DataKind

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
    before such gaps, as high or higher after them). Values at or above it are 'high' for the
    association test."""
    scan_fraction: float = 0.5
    """[P] outages at or above this share of the limit are tested for an association with the level:
    each one's own level is tried as the threshold (an hourly value before a cut on a climbing
    concentration can sit well short of the limit: 0.58 of it on the cn-effluent analyser whose usual
    level is 0.06, where 0.7 would have hidden the gap). A threshold the point often reaches carries its
    many hours as exposure, so trying low levels costs only the Bonferroni factor."""
    alpha: float = 0.01
    """[P] association test per CST month: the chance of at least as many outages after high values as
    observed, if outages followed high values no more often than low ones (Poisson on effective values,
    base rate from the month's outages after low values plus the point's history), must be at most
    alpha for any finding; between alpha_strong and alpha the gaps are low-severity clues."""
    alpha_strong: float = 0.001
    """[P] at or below this the gaps keep their severity (medium; high when >= limit for >= 3 h).
    Measured on the Beijing series (a design background): with 2,300 factor-months, alpha = 0.01 alone
    left 1.1 % of clean point-days yellow; real outages of saturated analysers in extreme episodes
    (CO at 9,900-10,000, PM2.5 over 400) are associated with the level without being fraud."""
    cluster_hours: float = 3.0
    """[P] gaps starting within this many hours of the previous gap's end are one outage: one piece of
    evidence (measured on the Beijing series: one station outage during a pollution episode makes
    several gaps after high values, which a per-gap count took for an association). Except a gap at a
    high level after the values came back below ``bracket_fraction`` x limit since the previous gap:
    the data returned while the level was low and went silent again as it rose, a second decision to
    cut (measured on the simulated corpus: monitoring cut over each of two humps 1.5-2 h apart was one
    outage, and one outage in a month is never an association)."""
    pattern_min_gaps: int = 3
    """[P] a month with at least this many associated gaps is also reported as a pattern (high)."""
    pattern_ratio: float = 3.0
    """[P] and a gap rate after high values at least this many times the base rate."""


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
        gaps = self._gaps(series, f, params, data, spec.limit)
        floor = params.scan_fraction * spec.limit
        # every finding comes from a month with a candidate gap: without one anywhere, the hourly levels
        # (a group-by and a time-zone conversion of the whole series) are not needed
        if not any(g.level >= floor and not g.on_record(spec.limit) for g in gaps):
            return []
        calibrated = data.profile.level("R09", "gap_rate", series.code) if data.profile else None
        bracket = params.bracket_fraction * spec.limit
        levels = _hour_levels(f)
        # the window's own usual outage rate at low levels (all its months): a floor of the base rate, so
        # that a long window is judged against the point's usual rate, not month by month only
        all_low_hours = sum(int(np.searchsorted(lv, bracket, side="left")) for lv in levels.values())
        all_low_outages = _clusters([g for g in gaps if g.level < bracket], params.cluster_hours)
        window_rate = all_low_outages / all_low_hours if all_low_hours else 0.0
        out: list[Finding] = []
        for key in sorted({g.month for g in gaps}):
            in_month = [g for g in gaps if g.month == key]
            # a gap with the exceedance on record on both sides hides nothing (the values just before
            # and after it are over the limit already): not a strategic gap
            candidates = [g for g in in_month if g.level >= floor and not g.on_record(spec.limit)]
            month_levels = levels.get(key, np.empty(0))
            if not candidates or month_levels.size == 0:
                continue
            hist_gaps = hist_n = 0.0
            if calibrated is not None:
                hist_n = float(calibrated.n)
                hist_gaps = calibrated.level * hist_n
            # the level that separates: every candidate outage's own level is a threshold to try; the
            # exposure is the month's clock hours at or above it (the same at minute and hour
            # resolution), the base rate the outages below it; the smallest tail probability counts,
            # times the number of thresholds tried (Bonferroni)
            cuts = sorted({bracket, *(g.level for g in candidates if g.level < spec.limit)})
            best: _Cut | None = None
            for v in cuts:
                n_high_v = max(1, int(month_levels.size - np.searchsorted(month_levels, v, side="left")))
                n_low_v = int(month_levels.size) - n_high_v
                above = [g for g in candidates if g.level >= v]
                k_v = _clusters(above, params.cluster_hours, min(v, bracket))
                k_low_v = _clusters([g for g in in_month if g.level < v], params.cluster_hours)
                # base rate: outages per valid hour away from the level (this month + the point's
                # history), with half a pseudo-outage so that a month with no other gap is not a
                # certainty
                p0_v = (k_low_v + hist_gaps + 0.5) / (n_low_v + hist_n + 1.0)
                if n_low_v > 0:
                    # a month that drops out more than its history keeps its own rate: the history
                    # lowers the base rate only where the month itself has too little to say (measured
                    # on the Beijing series: pooling alone made 35 % more point-days flagged than no
                    # history)
                    p0_v = max(p0_v, k_low_v / n_low_v)
                p0_v = max(p0_v, window_rate)
                p_v = _poisson_tail(k_v, n_high_v * p0_v)
                if best is None or p_v < best.p:
                    best = _Cut(p_v, v, p0_v, above, k_v, k_low_v, n_high_v, n_low_v)
            assert best is not None
            p_value = min(1.0, best.p * len(cuts))
            level_cut, p0, highs = best.level, best.p0, best.highs
            k_high, k_low, n_high, n_low = best.k_high, best.k_low, best.n_high, best.n_low
            rate_high = k_high / n_high
            r_low = len(in_month) - len(highs)
            if p_value > params.alpha:
                continue
            assoc = {
                "month": key,
                "gaps_after_high": len(highs),
                "values_high": n_high,
                "gaps_after_low": r_low,
                "values_low": n_low,
                "outages_after_high": k_high,
                "outages_after_low": k_low,
                "level_threshold": round(level_cut, 6),
                "thresholds_tried": len(cuts),
                "base_rate": round(p0, 6),
                "rate_high": round(rate_high, 6),
                "p_value": float(f"{p_value:.3g}"),
                "alpha": params.alpha,
                "alpha_strong": params.alpha_strong,
                "calibration": calibrated.evidence() if calibrated is not None else None,
            }
            text = messages.explain(
                "R09_strategic_gap",
                "association",
                month=f"{key[:4]}年{key[5:7]}月",
                bracket=pct(level_cut / spec.limit),
                n_high=k_high,
                p_high=pct(rate_high),
                p0=pct(p0),
                p_value=f"{p_value:.2g}",
                alpha=fmt(params.alpha),
                calibration=_history_text(calibrated),
            )
            strong_assoc = p_value <= params.alpha_strong
            for g in highs:
                out.append(self._gap_finding(series, params, data, spec.limit, g, assoc, text, strong_assoc))
            # a pattern: every outage of the month at or above the level (a point that also drops out
            # below it has another explanation for some of its gaps; measured on the Beijing series:
            # CO and NO2 stations losing data in winter smog episodes and on ordinary days alike)
            if (
                strong_assoc
                and k_low == 0
                and k_high >= params.pattern_min_gaps
                and rate_high >= params.pattern_ratio * p0
            ):
                out.append(self._pattern(series, params, data, highs, assoc, text))
        return out

    def _gaps(
        self, series: Series, f: pl.DataFrame, params: StrategicGapParams, data: PointData, limit: float
    ) -> list[_Gap]:
        """Gaps (>= min_gap_hours, outside declared maintenance) with the level expected over them."""
        mask = f["value"].is_null() & (f["flag"].is_null() | f["flag"].is_in(list(GAP_FLAGS)))
        lookback = dt.timedelta(hours=params.lookback_hours)
        runs = runs_with_levels(f, mask, series.step, lookback)
        values = f["value"].to_numpy()  # NaN where missing
        out: list[_Gap] = []
        last_row = 0  # the row after the previous counted gap
        for r in runs:
            # the first valid value after the gap, when it comes within the lookback of the gap's end
            # (sorted times: nothing nearer was valid)
            after = r.after if r.after_time is not None and r.after_time - r.end <= lookback else None
            level = _level(r, after)
            if r.before is None or r.before_time is None or level is None:
                continue
            hours = (r.end - r.start).total_seconds() / 3600
            if hours < params.min_gap_hours or data.context.excused(r.start, r.end, (series.code,)):
                continue
            flags = f.slice(r.a, r.rows)["flag"].fill_null("absent").unique().sort().to_list()
            month = r.start.astimezone(CST).strftime("%Y-%m")
            between = values[last_row : r.a]
            between = between[np.isfinite(between)]
            trough = float(between.min()) if out and between.size else None
            out.append(_Gap(r, after, level, hours, flags, month, trough))
            last_row = r.b + 1
        return out

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """``gap_rate`` per factor: outages (gap clusters, as the rule counts them) per valid clock hour
        of the clean history (history_units = valid hours); the association test's base rate is pooled
        with it."""
        out = []
        for code in data.factor_codes(self.roles):
            p: StrategicGapParams = config.params_for(self, data.context, code)
            s = data.series(code, self.kinds)
            spec = data.context.factor(code)
            if s is None or not p.enabled or spec.limit is None or spec.limit <= 0:
                continue
            f = compared_values(s.frame)
            if s.n_valid == 0:
                continue
            gaps = self._gaps(s, f, p, data, spec.limit)
            n = max(1, sum(lv.size for lv in _hour_levels(f).values()))
            rate = _clusters(gaps, p.cluster_hours) / n
            out.append(
                CalibratedLevel(
                    "R09",
                    "gap_rate",
                    code,
                    rate,
                    rate,
                    0.0,
                    0.0,
                    budget,
                    n,
                    (iso(profile.start), iso(profile.end)),
                )
            )
        return out

    def _gap_finding(
        self,
        series: Series,
        params: StrategicGapParams,
        data: PointData,
        limit: float,
        g: _Gap,
        assoc: dict[str, Any],
        assoc_text: str,
        strong_assoc: bool,
    ) -> Finding:
        r = g.run
        assert r.before is not None
        assert r.before_time is not None
        high = params.exceed_fraction * limit
        strong = g.level >= limit and g.hours >= 3
        # a gap only bracketed by near-limit values is a clue (low), unless the month's association rests
        # on two or more separate outages and every outage of the month came at a high level (the data
        # went silent each time the level rose, never otherwise). A point that also drops out at low
        # levels has another explanation for its gaps (measured on the Beijing series: a PM2.5 station
        # with 14 outages at high levels and 10 at low ones in a smog month)
        repeated = assoc["outages_after_high"] >= 2 and assoc["outages_after_low"] == 0
        severity = (
            Severity.HIGH if strong else (Severity.MEDIUM if r.before >= high or repeated else Severity.LOW)
        )
        if not strong_assoc:
            # a weak association: a clue only, unless the gap itself hides a full exceedance (>= limit
            # for >= 3 h), which stays medium (yellow alone, never red alone)
            severity = Severity.MEDIUM if strong else Severity.LOW
            strong = False
        return self.finding(
            data.context,
            factors=[series.code],
            start=r.start,
            end=r.end,
            severity=severity,
            score=(0.75 if strong else 0.5) + 0.2 * min(1.0, g.hours / 24),
            evidence={
                "window": [iso(r.start), iso(r.end)],
                "data_kind": series.kind.value,
                "hours": round(g.hours, 2),
                "before": {"time": iso(r.before_time), "value": r.before},
                "after": g.after,
                "missing_flags": g.flags,
                "limit": limit,
                "threshold": high,
                "level": g.level,
                "association": assoc,
                "comparison": "gap >= min_gap_hours with max(before, after) >= bracket_fraction x limit, "
                "in a month where gaps follow high values more often than chance (binomial p <= alpha)",
            },
            variant="gap",
            hours=fmt(g.hours),
            before=fmt(r.before),
            after=fmt(g.after) if g.after is not None else "无",
            limit=fmt(limit),
            pct=pct(g.level / limit),
            association=assoc_text
            + (
                messages.R09_ALL_HIGH.format(
                    n=assoc["outages_after_high"], bracket=pct(params.bracket_fraction)
                )
                if repeated and strong_assoc
                else ""
            ),
        )

    def _pattern(
        self,
        series: Series,
        p: StrategicGapParams,
        data: PointData,
        highs: list[_Gap],
        assoc: dict[str, Any],
        assoc_text: str,
    ) -> Finding:
        # the finding sits on the latest occurrence (its evidence lists them all): a point-level pattern
        # spanning months would otherwise colour its last 31 days (measured on the Beijing series: one
        # CO pattern made 202 point-days red)
        last = highs[-1].run
        return self.finding(
            data.context,
            factors=[series.code],
            start=last.start,
            end=last.end,
            severity=Severity.HIGH,
            score=0.8 + 0.2 * min(1.0, len(highs) / (3 * p.pattern_min_gaps)),
            evidence={
                "window": [iso(last.start), iso(last.end)],
                "pattern_since": iso(highs[0].run.start),
                "data_kind": series.kind.value,
                **{k: v for k, v in assoc.items() if k != "calibration"},
                "calibration": assoc["calibration"],
                "threshold": {"min_gaps": p.pattern_min_gaps, "ratio": p.pattern_ratio, "alpha": p.alpha},
                "comparison": "gap rate after high values >= ratio x base rate, binomial p <= alpha",
                "gap_starts": [iso(g.run.start) for g in highs[:50]],
            },
            variant="pattern",
            pct=fmt(p.bracket_fraction * 100),
            p_high=assoc_text,
        )


@dataclass(frozen=True, slots=True)
class _Cut:
    """The association test of one month at one threshold level (R09's scan)."""

    p: float
    """Poisson tail probability before the Bonferroni factor."""
    level: float
    p0: float
    """Base rate: outages per valid clock hour below the level."""
    highs: list[_Gap]
    """The candidate gaps at or above the level."""
    k_high: int
    k_low: int
    n_high: int
    """Valid clock hours at or above the level (at least 1)."""
    n_low: int


@dataclass(frozen=True, slots=True)
class _Gap:
    run: Run
    after: float | None
    level: float
    hours: float
    flags: list[str]
    month: str
    trough: float | None = None
    """The lowest valid value since the previous gap (None for the window's first gap)."""

    def on_record(self, limit: float) -> bool:
        """The exceedance is on record around the gap: the valid values just before and just after it
        are both at or over the limit (measured on the Beijing series: outages in the middle of
        smog episodes at 2-6 x the limit made most of R09's clean point-days yellow)."""
        before = self.run.before
        return before is not None and before >= limit and self.after is not None and self.after >= limit


def _clusters(gaps: list[_Gap], hours: float, bracket: float | None = None) -> int:
    """Number of outages: gaps whose start is within ``hours`` of the previous gap's end join it, unless
    (with ``bracket``) the gap is at a high level and the values fell below ``bracket`` since the previous
    gap (the data came back low and went silent again as the level rose)."""
    count, last_end = 0, None
    for g in sorted(gaps, key=lambda g: g.run.start):
        rearmed = bracket is not None and g.level >= bracket and g.trough is not None and g.trough < bracket
        if last_end is None or rearmed or g.run.start - last_end > dt.timedelta(hours=hours):
            count += 1
        last_end = g.run.end if last_end is None else max(last_end, g.run.end)
    return count


def _hour_levels(f: pl.DataFrame) -> dict[str, np.ndarray]:
    """Per CST month: the sorted hourly maxima of the valid values (the level a gap starting then would
    show), whatever the data resolution."""
    hours = (
        f.filter(pl.col("value").is_not_null())
        .group_by(pl.col("time").dt.truncate("1h").alias("hour"))
        .agg(pl.col("value").max().alias("level"))
        .with_columns(pl.col("hour").dt.convert_time_zone(CST.key).dt.strftime("%Y-%m").alias("month"))
    )
    months = hours["month"].to_numpy()
    levels = hours["level"].to_numpy()
    return {str(m): np.sort(levels[months == m]) for m in np.unique(months)}


def _poisson_tail(k: int, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam) (the rare-event limit of the binomial on effective values)."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    term = math.exp(-lam)
    below = term
    for i in range(1, k):
        term *= lam / i
        below += term
    return max(0.0, 1.0 - below)


def _history_text(level: CalibratedLevel | None) -> str:
    if level is None:
        return "本月低浓度时段"
    return (
        f"本月低浓度时段与该点位{level.history[0][:10]}至{level.history[1][:10]}的数据"
        f"（{level.n}个有效小时中中断{round(level.level * level.n)}次）"
    )


def _level(r: Run, after: float | None) -> float | None:
    """The expected concentration over a gap: the larger of the values around it (None without before)."""
    if r.before is None:
        return None
    return max(r.before, after) if after is not None else r.before
