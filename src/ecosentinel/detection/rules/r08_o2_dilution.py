"""R08 O2 dilution and wrong O2-converted concentration (氧含量稀释、折算浓度错误)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule, Series, true_runs
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import O2_CODE, WC_PRODUCTION, PointType
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.rules._common import WC_KINDS, align, fmt, mean_of, pct
from ecosentinel.readings import DataKind

_KINDS = (DataKind.HOUR, DataKind.MINUTE)


class O2DilutionParams(RuleParams):
    """Thresholds of R08 (research notes §1 R8, §2 reference-O2 conversion)."""

    zs_rel_tolerance: float = 0.05
    """[P] reported vs recomputed converted concentration: relative tolerance (rounding, averaging)."""
    zs_abs_tolerance: float = 0.5
    """[P] and absolute tolerance, mg/m3 (ultra-low values)."""
    o2_max_valid: float = 20.5
    """Above this O2 (%) the conversion is undefined (air); such rows are skipped, not flagged."""
    o2_quantile: float = 0.9
    """[V] CRAES patent: alarm when O2 exceeds the 90% quantile of normal operation."""
    o2_margin: float = 1.0
    """[P] and exceeds it by at least this many percentage points."""
    min_hours: float = 2.0
    """[P] shortest high-O2 run."""
    load_tolerance: float = 0.1
    """[P] production power within +/-10% of its normal-O2 median: 'no load change'. Lower load is
    the low-load trap (high excess air) and is not flagged."""
    conc_drop: float = 0.85
    """[P] some pollutant's measured concentration must fall to at most this share of normal."""


class O2DilutionRule(PointRule[O2DilutionParams]):
    """Catches air let into the flue or the sampling line to dilute flue gas (掺风稀释), and converted
    concentrations (折算浓度) that do not follow from the measured concentration and O2.

    Source: research notes R8 and §2 (reference-O2 conversion, GB 13223 / GB 13271 / HJ 75); CRAES
    patent (joint O2-concentration KDE, O2 above its 90% quantile); BRIEF line 4 (O2 dilution).
    (a) Recompute C_ref = C x (21 - O2_ref) / (21 - O2) and compare with
    the reported ZsAvg / ZsRtd: any mismatch means the data were altered between analyser and platform.
    (b) O2 above its own 90% quantile + 1 point while production power is unchanged and the measured
    concentration falls (CRAES patent: O2 above the 90% quantile with a pollutant near the limit).
    Traps: low load and start-up / shut-down raise O2 honestly (load must be unchanged); correct
    normalisation cancels pure air dilution, so (b) matters where compliance uses measured values.
    """

    code = "R08_o2_dilution"
    title_zh = "掺风稀释或折算错误"
    title_en = "O2 dilution and wrong O2-converted concentration"
    params_model = O2DilutionParams
    point_types = frozenset({PointType.GAS})

    def detect(self, data: PointData, params: O2DilutionParams, config: ScreeningConfig) -> list[Finding]:
        o2 = data.series(O2_CODE, _KINDS)
        if o2 is None or o2.n_valid == 0:
            return []
        out: list[Finding] = []
        pollutants = data.factor_codes({"pollutant"})
        if data.context.ref_o2 is not None:
            for code in pollutants:
                s = data.series(code, (o2.kind,))
                if s is not None:
                    out.extend(self._zs(data, params, s, o2, data.context.ref_o2))
        out.extend(self._high_o2(data, params, o2, pollutants))
        return out

    def _zs(self, data: PointData, p: O2DilutionParams, s: Series, o2: Series, ref: float) -> list[Finding]:
        f = (
            s.frame.filter(pl.col("value").is_not_null() & pl.col("zs").is_not_null())
            .select("time", "value", "zs")
            .join(o2.valid.select("time", pl.col("value").alias("o2")), on="time", how="inner")
            .filter(pl.col("o2") < p.o2_max_valid)
            .sort("time")
            .with_columns((pl.col("value") * (21 - ref) / (21 - pl.col("o2"))).alias("expected"))
            .with_columns((pl.col("zs") - pl.col("expected")).abs().alias("diff"))
            .with_columns(
                (
                    pl.col("diff")
                    > pl.max_horizontal(p.zs_rel_tolerance * pl.col("expected").abs(), p.zs_abs_tolerance)
                ).alias("bad")
            )
        )
        out = []
        for a, b in true_runs(f["bad"]):
            rows = f.slice(a, b - a + 1)
            worst = (
                rows.with_columns((pl.col("diff") / pl.col("expected").abs()).alias("rel"))
                .sort("rel")
                .tail(1)
            )
            w = worst.row(0, named=True)
            start, end = rows["time"][0], rows["time"][-1] + (s.step or dt.timedelta(0))
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "data_kind": s.kind.value,
                "count": rows.height,
                "ref_o2": ref,
                "rows": [
                    {"time": iso(t), "measured": v, "o2": o, "reported": z, "expected": round(e, 4)}
                    for t, v, o, z, e in rows.select("time", "value", "o2", "zs", "expected")
                    .head(24)
                    .iter_rows()
                ],
                "threshold": {"rel": p.zs_rel_tolerance, "abs": p.zs_abs_tolerance},
                "comparison": "|reported zs - C x (21 - ref_o2)/(21 - O2)| > max(rel x expected, abs)",
            }
            out.append(
                self.finding(
                    data.context,
                    factors=[s.code],
                    start=start,
                    end=end,
                    severity=Severity.HIGH if rows.height >= 3 else Severity.MEDIUM,
                    score=0.7 + 0.1 * min(3, rows.height),
                    evidence=evidence,
                    variant="zs_mismatch",
                    count=rows.height,
                    max_diff_pct=pct(w["rel"]) if w["expected"] else "∞",
                    example_time=cst_text(w["time"]),
                    measured=fmt(w["value"]),
                    o2=fmt(w["o2"]),
                    reported=fmt(w["zs"]),
                    expected=fmt(w["expected"]),
                    ref_o2=fmt(ref),
                )
            )
        return out

    def _high_o2(
        self, data: PointData, p: O2DilutionParams, o2: Series, pollutants: list[str]
    ) -> list[Finding]:
        q = o2.valid["value"].quantile(p.o2_quantile)
        if q is None:
            return []
        base = float(q)
        f = o2.frame.select("time", pl.col("value").alias("o2")).with_columns(
            (pl.col("o2") > base + p.o2_margin).fill_null(False).alias("high")
        )
        prod = data.series(WC_PRODUCTION, WC_KINDS)
        tol = (o2.step or dt.timedelta(hours=1)) * 1.5
        if prod is not None and prod.n_valid:
            f = align(f, prod, "load", tol)
        conc: dict[str, Series] = {}
        for code in pollutants:
            s = data.series(code, (o2.kind,))
            if s is not None and s.n_valid:
                conc[code] = s
                f = f.join(s.frame.select("time", pl.col("value").alias(code)), on="time", how="left")
        normal = f.filter(~pl.col("high") & pl.col("o2").is_not_null())
        out = []
        for a, b in true_runs(f["high"]):
            rows = f.slice(a, b - a + 1)
            start, end = rows["time"][0], rows["time"][-1] + (o2.step or dt.timedelta(0))
            if end - start < dt.timedelta(hours=p.min_hours):
                continue
            ratios = {
                c: (m / n)
                for c in conc
                if (m := mean_of(rows[c])) is not None and (n := mean_of(normal[c])) is not None and n > 0
            }
            dropped = {c: r for c, r in ratios.items() if r <= p.conc_drop}
            if not dropped:
                continue
            load_text, severity, score = "无生产工况数据核对负荷", Severity.LOW, 0.35
            load_ratio = None
            if "load" in f.columns:
                during, usual = mean_of(rows["load"]), mean_of(normal["load"])
                if during is not None and usual:
                    load_ratio = during / usual
                    if load_ratio < 1 - p.load_tolerance:
                        continue  # low load: honest excess air (trap)
                    if load_ratio <= 1 + p.load_tolerance:
                        load_text = f"同期生产负荷为正常时段的{pct(load_ratio)}%，负荷未变"
                        severity, score = Severity.MEDIUM, 0.6
                        if min(dropped.values()) <= 0.7:
                            severity, score = Severity.HIGH, 0.8
            worst = min(dropped, key=lambda c: dropped[c])
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "data_kind": o2.kind.value,
                "o2_median": mean_of(rows["o2"]),
                "o2_baseline_quantile": round(base, 4),
                "threshold": round(base + p.o2_margin, 4),
                "load_ratio": None if load_ratio is None else round(load_ratio, 4),
                "concentration_ratios": {c: round(r, 4) for c, r in ratios.items()},
                "comparison": "O2 > q90 + margin for >= min_hours, load unchanged, concentration down",
            }
            o2_med = rows["o2"].median()
            out.append(
                self.finding(
                    data.context,
                    factors=sorted(dropped),
                    start=start,
                    end=end,
                    severity=severity,
                    score=score,
                    evidence=evidence,
                    variant="o2_high",
                    o2_median=fmt(float(o2_med) if isinstance(o2_med, int | float) else None),
                    o2_q=fmt(p.o2_quantile * 100),
                    o2_base=fmt(base),
                    load_text=load_text,
                    conc_pct=pct(dropped[worst]),
                )
            )
        return out
