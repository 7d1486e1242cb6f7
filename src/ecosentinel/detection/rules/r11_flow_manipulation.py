"""R11 flow manipulation (流量造假): zero or frozen flow while producing, Cou inconsistent, ratio collapse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule, Series, true_runs
from ecosentinel.detection.calibration import budget_level, budget_level_low
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import FLOW_CODES, WC_PRODUCTION
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.messages import calibration_text
from ecosentinel.detection.profile import CalibratedLevel, PointProfile
from ecosentinel.detection.rules._common import (
    WC_KINDS,
    align,
    fmt,
    mean_of,
    measured_only,
    pct,
    power_on_threshold,
)
from ecosentinel.readings import CST, DataKind

_FLOW_KINDS = (DataKind.MINUTE, DataKind.HOUR)


class FlowManipulationParams(RuleParams):
    """Thresholds of R11 (research notes §1 R11; HJ 355-2019 flow comparison ±10% [M])."""

    on_fraction: float = 0.2
    """[P] production is on above this share of its 95th-percentile power (as R10)."""
    on_floor_kw: float = 1.0
    """[P] and above this absolute power (as R10)."""
    align_minutes: float = 60.0
    """How far back a production-power value may be matched to a flow value."""
    zero_fraction: float = 0.01
    """[P] flow at or below this share of its own median while producing counts as zero."""
    zero_minutes: float = 60.0
    """[P] shortest zero-flow run while producing."""
    zero_min_rows: int = 2
    """[P] and at least this many values: one hourly value near zero while the unit runs is a dropout
    of the meter, not a bypass (measured in bench detect: single hours of 1 % of the usual stack flow on
    real CEMS data made clean point-days red)."""
    flat_minutes: float = 120.0
    """[P] shortest run of identical flow values while producing."""
    flat_min_rows: int = 3
    """[P] and at least this many identical values (two equal hourly values prove nothing)."""
    cou_tolerance: float = 0.1
    """[M] HJ 355-2019: flow comparison tolerance ±10%; Cou / (flow x interval) may deviate this much
    from the point's usual ratio (the ratio absorbs the unit conversion, L/s to m3 etc.)."""
    cou_min_minutes: float = 60.0
    """[P] shortest run of Cou mismatches."""
    ratio_drop: float = 0.5
    """[P] flow/production ratio at or below this share of its baseline is a collapse."""
    ratio_baseline_days: float = 7.0
    """[P] baseline: median hourly flow/production ratio of the previous 7 days."""
    ratio_min_hours: int = 3
    """[P] shortest collapse run (hours)."""
    ratio_min_baseline_hours: int = 24
    """The baseline needs at least this many operating hours."""
    calibrated_ceiling_minutes: float = 1440.0
    """[P] per-point calibration of ``flat_minutes`` (statistic ``flat_run_minutes``: per clean history
    day the longest run of identical flow values while producing, its quantile at the budget plus one
    step): never below ``flat_minutes``, never above a day (a meter whose history holds flat stretches,
    e.g. a flow computed from a steady load, is judged on runs longer than its own)."""
    calibrated_floor_ratio: float = 0.1
    """[P] per-point calibration of ``ratio_drop`` (statistic ``flow_power_ratio``: per clean history day
    the deepest fall of the flow/power ratio below its 7-day baseline sustained for ``ratio_min_hours``):
    0.9 x the history's lower quantile at the budget, at most ``ratio_drop``, never below 0.1."""
    calibrated_margin: float = 0.9
    """[P] the calibrated ratio is this share of the history quantile (strictly deeper than the deepest
    natural fall the budget allows)."""


class FlowManipulationRule(PointRule[FlowManipulationParams]):
    """Catches manipulated discharge flow (流量计造假): the flow meter disconnected, bypassed or its output
    fixed so that the discharged amount (排放量) is under-reported, and a cumulative flow (Cou) that does
    not follow the instantaneous flow.

    Source: research notes R11 (flow flat-line or zero while the pump is on; instantaneous flow
    inconsistent with cumulative flow; flow-to-load ratio as in 40 CFR Part 75 flow-to-load checks);
    seed 000 points 4 and 9 (production, treatment and discharge must match, 物料衡算); seed 004
    (electricity monitoring of production facilities). Three checks on the wastewater (or flue-gas) flow:
    (a) zero or identical values for a long time while production power is on; (b) Cou / (flow x
    interval) away from the point's usual ratio; (c) the hourly flow/production-power ratio collapsing
    below half of its 7-day baseline while production goes on. (a) and (c) need production power
    (``wc_prod_kw``); without it they are not claimed. Flagged flow rows count as missing.
    """

    code = "R11_flow_manipulation"
    title_zh = "流量异常"
    title_en = "Flow manipulation"
    params_model = FlowManipulationParams
    context_series = (WC_PRODUCTION,)

    def detect(
        self, data: PointData, params: FlowManipulationParams, config: ScreeningConfig
    ) -> list[Finding]:
        out: list[Finding] = []
        prod = data.series(WC_PRODUCTION, WC_KINDS)
        for code in sorted(FLOW_CODES):
            flow = data.series(code, _FLOW_KINDS)
            if flow is None or flow.n_valid == 0:
                continue
            taken: list[tuple[dt.datetime, dt.datetime]] = []
            if prod is not None and prod.n_valid:
                on = power_on_threshold(prod, params.on_fraction, params.on_floor_kw)
                # substitute (S) or over-range (T) flow is never evidence by itself (measured on EPA
                # units: substituted heat input held the F-factor flow identical for 3-4 h at full load)
                measured = measured_only(flow)
                found = self._zero_flat(measured, prod, on, params, data)
                taken = [(f.start, f.end) for f in found]
                out.extend(found)
                out.extend(self._ratio(measured, prod, on, params, data, taken))
            out.extend(self._cou(flow, params, data))
        return out

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """Per flow factor, from the clean history while producing: ``flat_run_minutes`` (per CST day the
        longest run of identical flow values, upper quantile at the budget plus one step, between
        ``flat_minutes`` and ``calibrated_ceiling_minutes``) and ``flow_power_ratio`` (per CST day the
        deepest fall of flow/power below its 7-day baseline held for ``ratio_min_hours``, 0.9 x the
        lower quantile at the budget, at most ``ratio_drop``, at least ``calibrated_floor_ratio``)."""
        p: FlowManipulationParams = config.params_for(self, data.context, None)
        prod = data.series(WC_PRODUCTION, WC_KINDS)
        if not p.enabled or prod is None or prod.n_valid == 0:
            return []
        on = power_on_threshold(prod, p.on_fraction, p.on_floor_kw)
        out: list[CalibratedLevel] = []
        for code in sorted(FLOW_CODES):
            found_flow = data.series(code, _FLOW_KINDS)
            if found_flow is None or found_flow.n_valid == 0:
                continue
            flow = measured_only(found_flow)
            f, _ = self._flagged(flow, prod, on, p)
            step_min = (flow.step or dt.timedelta(hours=1)).total_seconds() / 60
            longest: dict[dt.date, float] = {
                d: 0.0 for d in f.filter(pl.col("operating"))["time"].dt.convert_time_zone(CST.key).dt.date()
            }
            times = f["time"].to_list()
            for a, b in _value_runs(f, f["flat"], True):
                if b - a + 1 < p.flat_min_rows:
                    continue
                day = times[a].astimezone(CST).date()
                minutes = (times[b] - times[a]).total_seconds() / 60 + step_min
                longest[day] = max(longest.get(day, 0.0), minutes)
            flat = budget_level(
                "R11",
                "flat_run_minutes",
                code,
                list(longest.values()),
                budget=budget,
                floor=p.flat_minutes,
                default=p.flat_minutes,
                margin=step_min,
                ceiling=p.calibrated_ceiling_minutes,
                profile=profile,
            )
            if flat is not None:
                out.append(flat)
            h = _ratio_frame(flow, prod, on, p)
            if h is None:
                continue
            units = (
                h.filter(pl.col("n_base") >= p.ratio_min_baseline_hours)
                .with_columns(
                    pl.col("rel").rolling_max(p.ratio_min_hours).over("block").alias("held"),
                    pl.col("time").dt.convert_time_zone(CST.key).dt.date().alias("day"),
                )
                .group_by("day")
                .agg(pl.col("held").min())
            )["held"].to_list()
            ratio = budget_level_low(
                "R11",
                "flow_power_ratio",
                code,
                [min(1.0, float(x)) for x in units if x is not None and x > 0],
                budget=budget,
                floor=p.calibrated_floor_ratio,
                default=p.ratio_drop,
                factor_margin=p.calibrated_margin,
                profile=profile,
            )
            if ratio is not None:
                out.append(ratio)
        return out

    def _flagged(
        self, flow: Series, prod: Series, on: float, p: FlowManipulationParams
    ) -> tuple[pl.DataFrame, float]:
        """Flow rows with production power aligned and the ``operating``, ``zero`` and ``flat`` masks, and
        the flow's median (the level 'zero' is relative to)."""
        tol = dt.timedelta(minutes=p.align_minutes)
        f = align(flow.frame.select("time", "value"), prod, "prod", tol).with_columns(
            (pl.col("prod") >= on).fill_null(False).alias("operating")
        )
        median = flow.valid["value"].median()
        level = float(median) if isinstance(median, int | float) else 0.0
        zero = (pl.col("value") <= p.zero_fraction * max(level, 0.0)) & pl.col("operating")
        same = (
            (pl.col("value") == pl.col("value").shift(1)) | (pl.col("value") == pl.col("value").shift(-1))
        ) & pl.col("operating")
        flagged = f.with_columns(
            zero.fill_null(False).alias("zero"), (same & ~zero).fill_null(False).alias("flat")
        )
        return flagged, level

    def _zero_flat(
        self, flow: Series, prod: Series, on: float, p: FlowManipulationParams, data: PointData
    ) -> list[Finding]:
        f, level = self._flagged(flow, prod, on, p)
        step = flow.step or dt.timedelta(0)
        calibrated = data.profile.level("R11", "flat_run_minutes", flow.code) if data.profile else None
        flat_minutes = calibrated.level if calibrated is not None else p.flat_minutes
        out = []
        for variant, threshold in (("zero", p.zero_minutes), ("flat", flat_minutes)):
            for a, b in _value_runs(f, f[variant], variant == "flat"):
                rows = f.slice(a, b - a + 1)
                start, end = rows["time"][0], rows["time"][-1] + step
                minutes = (end - start).total_seconds() / 60
                min_rows = p.flat_min_rows if variant == "flat" else p.zero_min_rows
                if minutes < threshold or rows.height < min_rows:
                    continue
                prod_kw = mean_of(rows["prod"])
                evidence: dict[str, Any] = {
                    "window": [iso(start), iso(end)],
                    "data_kind": flow.kind.value,
                    "minutes": round(minutes, 1),
                    "rows": rows.height,
                    "flow_value": rows["value"][0] if variant == "flat" else mean_of(rows["value"]),
                    "flow_median": round(level, 4),
                    "production_kw": None if prod_kw is None else round(prod_kw, 3),
                    "threshold": {
                        "production_on_kw": round(on, 3),
                        "minutes": round(threshold, 3),
                        "zero_fraction": p.zero_fraction,
                    },
                    "calibration": (
                        calibrated.evidence() if calibrated is not None and variant == "flat" else None
                    ),
                    "comparison": (
                        "flow <= zero_fraction x median while production >= on"
                        if variant == "zero"
                        else "identical flow values while production >= on"
                    ),
                }
                out.append(
                    self.finding(
                        data.context,
                        factors=[flow.code],
                        start=start,
                        end=end,
                        severity=Severity.HIGH if variant == "zero" else Severity.MEDIUM,
                        score=(0.75 if variant == "zero" else 0.55) + 0.2 * min(1.0, minutes / 1440),
                        evidence=evidence,
                        variant=variant,
                        minutes=fmt(minutes),
                        prod=fmt(None if prod_kw is None else round(prod_kw, 1)),
                        prod_on=fmt(on),
                        count=rows.height,
                        value=fmt(rows["value"][0]),
                        calibration=(
                            calibration_text(calibrated, "分钟", p.flat_minutes) if variant == "flat" else ""
                        ),
                    )
                )
        return out

    def _cou(self, flow: Series, p: FlowManipulationParams, data: PointData) -> list[Finding]:
        if flow.step is None:
            return []
        seconds = flow.step.total_seconds()
        f = flow.frame.select("time", "value", "cou").with_columns(
            pl.when(pl.col("value") > 0).then(pl.col("cou") / (pl.col("value") * seconds)).alias("r")
        )
        ref = f["r"].drop_nulls().median()
        if not isinstance(ref, float) or ref <= 0:
            return []
        bad = ((pl.col("r") / ref - 1).abs() > p.cou_tolerance) | (
            (pl.col("value") == 0) & (pl.col("cou") > 0)
        )
        f = f.with_columns(bad.fill_null(False).alias("bad"))
        out = []
        for a, b in true_runs(f["bad"]):
            rows = f.slice(a, b - a + 1)
            start, end = rows["time"][0], rows["time"][-1] + flow.step
            minutes = (end - start).total_seconds() / 60
            if minutes < p.cou_min_minutes:
                continue
            ratio = mean_of(rows["r"])
            rel = ratio / ref if ratio is not None else 0.0
            ex = rows.row(0, named=True)
            out.append(
                self.finding(
                    data.context,
                    factors=[flow.code],
                    start=start,
                    end=end,
                    severity=Severity.MEDIUM if rel < 1 else Severity.LOW,
                    score=(0.55 if rel < 1 else 0.35) + 0.2 * min(1.0, minutes / 1440),
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": flow.kind.value,
                        "rows": rows.height,
                        "usual_ratio": ref,
                        "ratio_in_window": None if ratio is None else round(ratio, 8),
                        "relative": round(rel, 4),
                        "examples": [
                            {"time": iso(t), "value": v, "cou": c}
                            for t, v, c in rows.select("time", "value", "cou").head(10).iter_rows()
                        ],
                        "threshold": {"tolerance": p.cou_tolerance, "minutes": p.cou_min_minutes},
                        "comparison": "|Cou / (flow x interval) / usual - 1| > tolerance",
                    },
                    variant="cou_mismatch",
                    count=rows.height,
                    ratio_pct=pct(rel),
                    tolerance=fmt(100 * p.cou_tolerance),
                    example_time=cst_text(ex["time"]),
                    value=fmt(ex["value"]),
                    cou=fmt(ex["cou"]),
                )
            )
        return out

    def _ratio(
        self,
        flow: Series,
        prod: Series,
        on: float,
        p: FlowManipulationParams,
        data: PointData,
        taken: list[tuple[dt.datetime, dt.datetime]],
    ) -> list[Finding]:
        calibrated = data.profile.level("R11", "flow_power_ratio", flow.code) if data.profile else None
        drop = calibrated.level if calibrated is not None else p.ratio_drop
        h = _ratio_frame(flow, prod, on, p)
        if h is None:
            return []
        h = h.with_columns(
            ((pl.col("rel") <= drop) & (pl.col("n_base") >= p.ratio_min_baseline_hours))
            .fill_null(False)
            .alias("bad"),
        )
        out = []
        for a, b in true_runs(h["bad"]):
            for rows in h.slice(a, b - a + 1).partition_by("block", maintain_order=True):
                start, end = rows["time"][0], rows["time"][-1] + dt.timedelta(hours=1)
                if rows.height < p.ratio_min_hours or any(s < end and start < e for s, e in taken):
                    continue
                rel = mean_of(rows["ratio"] / rows["base"]) or 0.0
                prod_kw = mean_of(rows["prod"])
                out.append(
                    self.finding(
                        data.context,
                        factors=[flow.code],
                        start=start,
                        end=end,
                        severity=Severity.MEDIUM,
                        score=0.5 + 0.3 * min(1.0, max(0.0, (drop - rel) / drop)),
                        evidence={
                            "window": [iso(start), iso(end)],
                            "hours": rows.height,
                            "flow_mean": mean_of(rows["flow"]),
                            "production_kw": prod_kw,
                            "ratio_mean": mean_of(rows["ratio"]),
                            "baseline_ratio": mean_of(rows["base"]),
                            "relative": round(rel, 4),
                            "threshold": {
                                "ratio_drop": round(drop, 4),
                                "baseline_days": p.ratio_baseline_days,
                                "min_hours": p.ratio_min_hours,
                            },
                            "calibration": calibrated.evidence() if calibrated is not None else None,
                            "comparison": "hourly flow/power <= ratio_drop x 7-day median, power on",
                        },
                        variant="ratio_collapse",
                        baseline_days=fmt(p.ratio_baseline_days),
                        ratio_pct=pct(rel),
                        threshold_pct=pct(drop),
                        hours=rows.height,
                        prod=fmt(None if prod_kw is None else round(prod_kw, 1)),
                        calibration=calibration_text(calibrated, "", p.ratio_drop),
                    )
                )
        return out


def _value_runs(f: pl.DataFrame, mask: pl.Series, by_value: bool) -> list[tuple[int, int]]:
    """Runs of ``mask``; with ``by_value`` also split where the value changes."""
    runs = true_runs(mask)
    if not by_value:
        return runs
    values = f["value"].to_list()
    out = []
    for a, b in runs:
        s = a
        for i in range(a + 1, b + 1):
            if values[i] != values[i - 1]:
                out.append((s, i - 1))
                s = i
        out.append((s, b))
    return out


def _ratio_frame(flow: Series, prod: Series, on: float, p: FlowManipulationParams) -> pl.DataFrame | None:
    """Operating hours with the flow/power ratio, its 7-day median baseline (``base``, ``n_base``
    hours behind it), ``rel`` = ratio / base and ``block`` (runs of consecutive hours); None when the
    point never ran."""
    hourly = (
        flow.valid.group_by(pl.col("time").dt.truncate("1h"))
        .agg(pl.col("value").mean().alias("flow"))
        .join(
            prod.valid.group_by(pl.col("time").dt.truncate("1h")).agg(pl.col("value").mean().alias("prod")),
            on="time",
        )
        .filter(pl.col("prod") >= on)
        .sort("time")
        .with_columns((pl.col("flow") / pl.col("prod")).alias("ratio"))
    )
    if hourly.height == 0:
        return None
    window = dt.timedelta(days=p.ratio_baseline_days)
    return hourly.with_columns(
        pl.col("ratio").rolling_median_by("time", window_size=window, closed="left").alias("base"),
        pl.col("ratio")
        .is_not_null()
        .cast(pl.Int32)
        .rolling_sum_by("time", window_size=window, closed="left")
        .alias("n_base"),
        (pl.col("time").diff() != dt.timedelta(hours=1)).fill_null(True).cum_sum().alias("block"),
    ).with_columns((pl.col("ratio") / pl.col("base")).alias("rel"))
