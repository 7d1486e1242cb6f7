"""R11 flow manipulation (流量造假): zero or frozen flow while producing, Cou inconsistent, ratio collapse."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule, Series, true_runs
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import FLOW_CODES, WC_PRODUCTION
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.rules._common import WC_KINDS, align, fmt, mean_of, pct, power_on_threshold
from ecosentinel.readings import DataKind

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
                found = self._zero_flat(flow, prod, on, params, data)
                taken = [(f.start, f.end) for f in found]
                out.extend(found)
                out.extend(self._ratio(flow, prod, on, params, data, taken))
            out.extend(self._cou(flow, params, data))
        return out

    def _zero_flat(
        self, flow: Series, prod: Series, on: float, p: FlowManipulationParams, data: PointData
    ) -> list[Finding]:
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
        f = f.with_columns(zero.fill_null(False).alias("zero"), (same & ~zero).fill_null(False).alias("flat"))
        step = flow.step or dt.timedelta(0)
        out = []
        for variant, threshold in (("zero", p.zero_minutes), ("flat", p.flat_minutes)):
            for a, b in _value_runs(f, f[variant], variant == "flat"):
                rows = f.slice(a, b - a + 1)
                start, end = rows["time"][0], rows["time"][-1] + step
                minutes = (end - start).total_seconds() / 60
                if minutes < threshold or (variant == "flat" and rows.height < p.flat_min_rows):
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
                        "minutes": threshold,
                        "zero_fraction": p.zero_fraction,
                    },
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
        hourly = (
            flow.valid.group_by(pl.col("time").dt.truncate("1h"))
            .agg(pl.col("value").mean().alias("flow"))
            .join(
                prod.valid.group_by(pl.col("time").dt.truncate("1h")).agg(
                    pl.col("value").mean().alias("prod")
                ),
                on="time",
            )
            .filter(pl.col("prod") >= on)
            .sort("time")
            .with_columns((pl.col("flow") / pl.col("prod")).alias("ratio"))
        )
        if hourly.height == 0:
            return []
        window = dt.timedelta(days=p.ratio_baseline_days)
        h = hourly.with_columns(
            pl.col("ratio").rolling_median_by("time", window_size=window, closed="left").alias("base"),
            pl.col("ratio")
            .is_not_null()
            .cast(pl.Int32)
            .rolling_sum_by("time", window_size=window, closed="left")
            .alias("n_base"),
        )
        h = h.with_columns(
            (
                (pl.col("ratio") <= p.ratio_drop * pl.col("base"))
                & (pl.col("n_base") >= p.ratio_min_baseline_hours)
            )
            .fill_null(False)
            .alias("bad"),
            (pl.col("time").diff() != dt.timedelta(hours=1)).fill_null(True).cum_sum().alias("block"),
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
                        score=0.5 + 0.3 * min(1.0, max(0.0, (p.ratio_drop - rel) / p.ratio_drop)),
                        evidence={
                            "window": [iso(start), iso(end)],
                            "hours": rows.height,
                            "flow_mean": mean_of(rows["flow"]),
                            "production_kw": prod_kw,
                            "ratio_mean": mean_of(rows["ratio"]),
                            "baseline_ratio": mean_of(rows["base"]),
                            "relative": round(rel, 4),
                            "threshold": {
                                "ratio_drop": p.ratio_drop,
                                "baseline_days": p.ratio_baseline_days,
                                "min_hours": p.ratio_min_hours,
                            },
                            "comparison": "hourly flow/power <= ratio_drop x 7-day median, power on",
                        },
                        variant="ratio_collapse",
                        baseline_days=fmt(p.ratio_baseline_days),
                        ratio_pct=pct(rel),
                        threshold_pct=pct(p.ratio_drop),
                        hours=rows.height,
                        prod=fmt(None if prod_kw is None else round(prod_kw, 1)),
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
