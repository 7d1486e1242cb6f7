"""R08 O2 dilution and wrong O2-converted concentration (氧含量稀释、折算浓度错误)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import PointData, PointRule, Series, true_runs
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import GAS_FLOW, O2_CODE, WC_PRODUCTION, PointType
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.rules._common import WC_KINDS, align, fmt, mean_of, measured_only, pct
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
    """Kept so existing configurations stay valid; no longer used. [V] CRAES patent: O2 above the 90%
    quantile of normal operation; replaced by the excess over the point's own O2 at the same condition."""
    o2_mad_multiple: float = 4.0
    """[P] O2 is high when it exceeds the point's own O2 at the same working condition by more than this
    many robust standard deviations (1.4826 x MAD) of its own excesses, and by o2_margin at least. A
    quantile threshold is pulled up by a dilution lasting days (48 h in 28 days moved the q90 into it)."""
    o2_margin: float = 1.0
    """[P] O2 is high above the point's own median + max(this many points, its own q90 - median)."""
    min_hours: float = 2.0
    """[P] shortest high-O2 run."""
    load_tolerance: float = 0.1
    """[P] kept for configurations; the working-condition check is now ``max_explained_share``."""
    condition_bin: float = 0.1
    """[P] width of the working-condition bins (10 % steps of power or fuel-equivalent flow)."""
    max_explained_share: float = 0.5
    """[P] the O2 rise is 'explained' by the working condition (low load, less fuel: the trap) when the
    point's own O2 at the new condition is higher by at least this share of the observed rise. A fixed
    +/-10 % load band missed dilutions on load-following EPA CEMS units (load moves 11 % in 6 h)."""
    conc_drop: float = 0.85
    """Kept so existing configurations stay valid; no longer used (the fall must match the dilution
    factor d instead, which a fixed 0.85 missed at mid-ramp: 0.86 for d = 0.87)."""
    edge_hours: float = 6.0
    """[P] the run's first (last) this many hours, at most half the run, are compared with the point's
    own normal rows in as many hours before (after) it. Comparing whole multi-day runs with the day
    before missed 40 % of the injected dilutions on the EPA CEMS units: their NOx drifts 15 % a day."""
    episode_gap_hours: float = 24.0
    """[P] two high-O2 runs at most this far apart are one episode when O2 never came back down in
    between (every row at least ``o2 before the first run + the excess threshold``): a load dip during
    an air leak raises the point's expected O2 and splits the run, and the later part has no clean edge
    of its own (measured in bench detect: a 72-hour dilution on an EPA unit found only in its first 6 h,
    the night at low load cutting the run)."""
    proportion_tolerance: float = 0.5
    """[P] 'in proportion': |ln(ratio) - ln(d)| for the measured value, |ln(ratio)| for the converted
    value and for the fuel-equivalent flow, each within this share of |ln d| (d = the dilution factor
    (21 - O2 during)/(21 - O2 before))."""


class O2DilutionRule(PointRule[O2DilutionParams]):
    """Catches air let into the flue or the sampling line to dilute flue gas (掺风稀释), and converted
    concentrations (折算浓度) that do not follow from the measured concentration and O2.

    Source: research notes R8 and §2 (reference-O2 conversion, GB 13223 / GB 13271 / HJ 75); CRAES
    patent (joint O2-concentration KDE, O2 above its 90% quantile); BRIEF line 4 (O2 dilution).
    (a) Recompute C_ref = C x (21 - O2_ref) / (21 - O2) and compare with
    the reported ZsAvg / ZsRtd: any mismatch means the data were altered between analyser and platform.
    (b) O2 above the point's own O2 at the same working condition (research notes R8(b)/(c): O2 above a
    historical baseline at the same load; without a power meter the condition is the fuel-equivalent
    flow Q x (21 - O2), R8(d)), and at the run's edge the physical signature of air: measured values
    fall by the dilution factor, the converted value stays, the flow rises.
    Traps: low load and start-up / shut-down raise O2 honestly (the condition's own O2 explains the
    rise); correct normalisation cancels pure air dilution, so (b) matters where compliance uses
    measured values or where O2 is sampled elsewhere.
    """

    code = "R08_o2_dilution"
    title_zh = "掺风稀释或折算错误"
    title_en = "O2 dilution and wrong O2-converted concentration"
    params_model = O2DilutionParams
    context_series = (O2_CODE, GAS_FLOW, WC_PRODUCTION)
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

    def _minute_converted(
        self, data: PointData, p: O2DilutionParams, s: Series, ref: float
    ) -> pl.DataFrame | None:
        """For hour rows with minute data under them: per clock hour (``time``) the mean of the valid
        minutes each converted at its own O2 (``alt``); None without minute data of both."""
        if s.kind is not DataKind.HOUR:
            return None
        m = data.series(s.code, (DataKind.MINUTE,))
        mo2 = data.series(O2_CODE, (DataKind.MINUTE,))
        if m is None or mo2 is None or m.n_valid == 0 or mo2.n_valid == 0:
            return None
        return (
            m.valid.select("time", "value")
            .join(mo2.valid.select("time", pl.col("value").alias("o2")), on="time")
            .filter(pl.col("o2") < p.o2_max_valid)
            .group_by(pl.col("time").dt.truncate("1h"))
            .agg((pl.col("value") * (21 - ref) / (21 - pl.col("o2"))).mean().alias("alt"))
        )

    def _zs(self, data: PointData, p: O2DilutionParams, s: Series, o2: Series, ref: float) -> list[Finding]:
        f = (
            s.frame.filter(pl.col("value").is_not_null() & pl.col("zs").is_not_null())
            .select("time", "value", "zs")
            .join(o2.valid.select("time", pl.col("value").alias("o2")), on="time", how="inner")
            .filter(pl.col("o2") < p.o2_max_valid)
            .sort("time")
            .with_columns((pl.col("value") * (21 - ref) / (21 - pl.col("o2"))).alias("expected"))
            .with_columns((pl.col("zs") - pl.col("expected")).abs().alias("diff"))
        )
        tolerance = pl.max_horizontal(p.zs_rel_tolerance * pl.col("expected").abs(), p.zs_abs_tolerance)
        alt = self._minute_converted(data, p, s, ref)
        if alt is not None:
            # an hour whose reported zs equals the mean of its minutes each converted at its own O2 is
            # right (the other convention; they differ when O2 moves within the hour: measured in bench
            # detect, a start-up hour on real CEMS minutes differed by 11 %)
            f = f.join(alt, on="time", how="left").with_columns(
                (
                    (pl.col("diff") > tolerance)
                    & ~((pl.col("zs") - pl.col("alt")).abs() <= tolerance).fill_null(False)
                ).alias("bad")
            )
        else:
            f = f.with_columns((pl.col("diff") > tolerance).alias("bad"))
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
        """O2 above the point's own level, with the physical signature of air let in (issue 17).

        Air dilution multiplies every measured concentration by d = (21 - O2_during)/(21 - O2_before),
        leaves the O2-converted value C x 21/(21 - O2) where it was, and divides the flue-gas flow by d,
        so the fuel-equivalent flow Q x (21 - O2) stays put. An honest O2 rise at low load lowers the
        flow and the production power instead. Each run's first (last) ``edge_hours`` are compared with
        the point's own normal rows just before (after) it, so minute and hourly data, and runs of hours
        or days, are judged alike.
        """
        step = o2.step or dt.timedelta(hours=1)
        f = o2.frame.select("time", pl.col("value").alias("o2"))
        tol = step * 1.5
        prod = data.series(WC_PRODUCTION, WC_KINDS)
        if prod is not None and prod.n_valid:
            f = align(f, prod, "load", tol)
        # substitute (S) and over-range (T) values are never evidence: only measured flow and
        # concentrations are compared (measured on EPA units: a substitute NOx hour at twice the measured
        # level inside a 6-hour edge block hid a dilution's proportional fall)
        flow = data.series(GAS_FLOW, (o2.kind, *_KINDS))
        if flow is not None and flow.n_valid:
            f = align(f, measured_only(flow), "flow", tol)
        f, base, proxy = _o2_excess(f, p)
        if base is None:
            return []
        conc: list[str] = []
        for code in pollutants:
            s = data.series(code, (o2.kind,))
            if s is not None and s.n_valid:
                s = measured_only(s)
                conc.append(code)
                f = f.join(s.frame.select("time", pl.col("value").alias(code)), on="time", how="left")
        if not conc:
            return []
        out = []
        for a, b in _episodes(f, true_runs(f["high"]), base, p):
            rows = f.slice(a, b - a + 1)
            start, end = rows["time"][0], rows["time"][-1] + step
            if end - start < dt.timedelta(hours=p.min_hours):
                continue
            edge = min(dt.timedelta(hours=p.edge_hours), (end - start) / 2)
            edges = (
                ("onset", _block(f, start - edge, start, normal=True), _block(f, start, start + edge)),
                ("end", _block(f, end, end + edge, normal=True), _block(f, end - edge, end)),
            )
            found: _Edge | None = None
            for name, outside, inside in edges:
                found = _compare(name, outside, inside, conc, p)
                if found is not None:
                    break
            if found is None:
                continue
            ref = found.outside
            d, dropped = found.d, found.dropped
            o2_during, o2_before = found.o2_in, found.o2_out
            core = (start, end)
            start, end = _with_ramps(f, a, b, step, base / 2, dt.timedelta(hours=p.edge_hours))
            flow_ratio, fuel_ratio, load_ratio = found.flow_ratio, found.fuel_ratio, found.load_ratio
            if load_ratio is not None:
                severity, score = Severity.HIGH, 0.85
                load_text = (
                    f"同期生产用电为之前的{pct(load_ratio)}%，按本点位自身在各负荷下的氧含量，"
                    f"负荷变化只能解释氧含量升幅的{pct(max(0.0, found.explained))}%"
                )
            elif flow_ratio is not None and fuel_ratio is not None:
                severity, score = Severity.MEDIUM, 0.65
                load_text = (
                    f"没有生产用电计量，但烟气流量升至之前的{pct(flow_ratio)}%，"
                    f"而燃料当量流量Q×(21−O2)为之前的{pct(fuel_ratio)}%，按本点位自身数据只能解释氧含量升幅的"
                    f"{pct(max(0.0, found.explained))}%"
                )
            else:
                severity, score = Severity.LOW, 0.35
                load_text = "无生产工况和烟气流量数据核对负荷"
            worst = min(dropped, key=lambda c: dropped[c][0])
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "high_o2_run": [iso(core[0]), iso(core[1])],
                "ramp_excess": round(base / 2, 4),
                "data_kind": o2.kind.value,
                "o2_during": round(o2_during, 3),
                "o2_before": round(o2_before, 3),
                "o2_excess_threshold": round(base, 4),
                "o2_expected_from": proxy,
                "dilution_factor": round(d, 4),
                "edge": found.name,
                "reference": [iso(ref["time"][0]), iso(ref["time"][-1] + step)],
                "load_ratio": None if load_ratio is None else round(load_ratio, 4),
                "o2_rise_explained_by_condition": round(found.explained, 4),
                "flow_ratio": None if flow_ratio is None else round(flow_ratio, 4),
                "fuel_flow_ratio": None if fuel_ratio is None else round(fuel_ratio, 4),
                "concentration_ratios": {c: round(r, 4) for c, (r, _) in dropped.items()},
                "converted_ratios": {c: round(rz, 4) for c, (_, rz) in dropped.items()},
                "threshold": {
                    "o2_margin": p.o2_margin,
                    "proportion_tolerance": p.proportion_tolerance,
                    "max_explained_share": p.max_explained_share,
                },
                "comparison": "O2 - own O2 at the same condition > max(margin, 4 robust SD); at the run's "
                "edge measured C ratio ~ d and converted ratio ~ 1 within tolerance x |ln d|; flow up; "
                "the condition explains < max_explained_share of the O2 rise",
            }
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
                    o2_median=fmt(round(o2_during, 2)),
                    o2_before=fmt(round(o2_before, 2)),
                    o2_base=fmt(round(base, 2)),
                    proxy=_PROXY_NAMES[proxy],
                    load_text=load_text,
                    conc_pct=pct(dropped[worst][0]),
                    d_pct=pct(d),
                    zs_pct=pct(dropped[worst][1]),
                    ramps=(
                        messages.R08_RAMPS.format(level=fmt(round(base / 2, 2)), proxy=_PROXY_NAMES[proxy])
                        if (start, end) != core
                        else ""
                    ),
                )
            )
        return out


_PROXY_NAMES = {
    "load": "同等生产用电负荷下",
    "fuel_flow": "同等燃料当量流量Q×(21−O2)下",
    "none": "全时段",
}


def _with_ramps(
    f: pl.DataFrame, a: int, b: int, step: dt.timedelta, level: float, reach: dt.timedelta
) -> tuple[dt.datetime, dt.datetime]:
    """The window of the high-O2 run ``a..b`` widened over the O2 ramps into and out of it: the adjoining
    rows whose O2 still exceeds the point's own O2 at the same condition by more than ``level`` (half the
    excess that makes a row high), at most ``reach`` on each side. Air let in by opening a damper or a
    valve ramps O2 up and back down; the ramps are part of the episode but stay under the 'high'
    threshold (measured in bench detect: a 12-hour dilution on minute data whose last ramp hour fell on
    the next day, reported as ending an hour early)."""
    times, o2 = f["time"].to_list(), f["_excess"].to_list()
    first, last = a, b
    while first > 0 and times[a] - times[first - 1] <= reach and (o2[first - 1] or 0.0) > level:
        first -= 1
    while last + 1 < len(o2) and times[last + 1] - times[b] <= reach and (o2[last + 1] or 0.0) > level:
        last += 1
    return times[first], times[last] + step


def _o2_excess(f: pl.DataFrame, p: O2DilutionParams) -> tuple[pl.DataFrame, float | None, str]:
    """Mark rows whose O2 is above what the point itself shows at the same working condition.

    Expected O2 = the point's own median O2 in its decile of production power (metered) or, without a
    meter, of the fuel-equivalent flow Q x (21 - O2) (unchanged by air let in, lower at low load); else
    the overall median. A row is high when O2 - expected > max(o2_margin, o2_mad_multiple robust SDs of
    the point's own excesses): low load raises O2 honestly and is absorbed by the same-condition baseline.
    """
    proxy = "none"
    if "load" in f.columns and f["load"].drop_nulls().len() >= 20:
        proxy = "load"
        f = f.with_columns(pl.col("load").alias("_wc"))
    elif "flow" in f.columns and f["flow"].drop_nulls().len() >= 20:
        proxy = "fuel_flow"
        f = f.with_columns((pl.col("flow") * (21 - pl.col("o2"))).alias("_wc"))
    else:
        f = f.with_columns(pl.lit(0.0).alias("_wc"))
    ok = f.filter(pl.col("o2").is_not_null() & pl.col("_wc").is_not_null())
    if ok.height < 20:
        return f.with_columns(pl.lit(False).alias("high")), None, proxy
    # condition bins 10 % wide (log scale): a level the plant rarely runs at keeps its own baseline
    f = f.with_columns(
        pl.when(pl.col("_wc") > 0)
        .then((pl.col("_wc").log() / math.log(1 + p.condition_bin)).floor())
        .otherwise(None)
        .alias("_bin")
    )
    f = f.with_columns(pl.col("o2").median().over("_bin").alias("_expected"))
    f = f.with_columns((pl.col("o2") - pl.col("_expected")).alias("_excess"))
    ex = f["_excess"].drop_nulls()
    mad = (ex - ex.median()).abs().median() if ex.len() else None
    base = max(p.o2_margin, p.o2_mad_multiple * 1.4826 * float(mad) if isinstance(mad, int | float) else 0.0)
    f = f.with_columns((pl.col("_excess") > base).fill_null(False).alias("high"))
    return f.drop("_wc", "_bin"), base, proxy


@dataclass(frozen=True, slots=True)
class _Edge:
    """The dilution signature at one edge of a high-O2 run (outside = the point's own normal rows)."""

    name: str
    outside: pl.DataFrame
    o2_in: float
    o2_out: float
    d: float
    dropped: dict[str, tuple[float, float]]
    flow_ratio: float | None
    fuel_ratio: float | None
    load_ratio: float | None
    explained: float


def _episodes(
    f: pl.DataFrame, runs: list[tuple[int, int]], base: float, p: O2DilutionParams
) -> list[tuple[int, int]]:
    """High-O2 runs joined into episodes: the next run joins when it starts within
    ``episode_gap_hours`` and O2 stayed at least ``base`` above the level before the episode throughout
    the gap (the point's normal rows in the ``edge_hours`` before it)."""
    if len(runs) < 2:
        return runs
    times, o2 = f["time"].to_list(), f["o2"].to_list()
    gap_max = dt.timedelta(hours=p.episode_gap_hours)
    out: list[tuple[int, int]] = []
    level: float | None = None
    for a, b in runs:
        if out:
            a0, b0 = out[-1]
            gap = [v for v in o2[b0 + 1 : a] if v is not None]
            if level is not None and times[a] - times[b0] <= gap_max and gap and min(gap) >= level + base:
                out[-1] = (a0, b)
                continue
        start = times[a]
        before = _block(f, start - dt.timedelta(hours=p.edge_hours), start, normal=True)["o2"]
        mean = before.mean() if before.len() else None
        level = float(mean) if isinstance(mean, int | float) else None
        out.append((a, b))
    return out


def _block(f: pl.DataFrame, a: dt.datetime, b: dt.datetime, normal: bool = False) -> pl.DataFrame:
    rows = f.filter(pl.col("time").is_between(a, b, closed="left") & pl.col("o2").is_not_null())
    return rows.filter(~pl.col("high")) if normal else rows


def _compare(
    name: str, outside: pl.DataFrame, inside: pl.DataFrame, conc: list[str], p: O2DilutionParams
) -> _Edge | None:
    """Does the step from ``outside`` to ``inside`` look like air let in? None when it does not.

    Measured concentrations fall by about d = (21 - O2_in)/(21 - O2_out) while the converted value stays
    (within proportion_tolerance x |ln d|); the flow rises; the working condition explains less than
    max_explained_share of the O2 rise. Compared over short blocks at the edge of the run, so the
    plant's own day-to-day drift does not blur the step.
    """
    if outside.height < 3 or inside.height < 3:
        return None
    o2_in, o2_out = mean_of(inside["o2"]), mean_of(outside["o2"])
    if o2_in is None or o2_out is None or o2_in >= p.o2_max_valid:
        return None
    d = (21 - o2_in) / (21 - o2_out)
    if d >= 1:
        return None
    tol_log = p.proportion_tolerance * abs(math.log(d))
    # the working condition must not explain the rise: the point's own O2 at the inside condition
    # (production power, else fuel-equivalent flow) is not much above its O2 at the outside condition
    exp_in, exp_out = mean_of(inside["_expected"]), mean_of(outside["_expected"])
    explained = 0.0 if exp_in is None or exp_out is None else (exp_in - exp_out) / (o2_in - o2_out)
    if explained >= p.max_explained_share:
        return None  # low load / less fuel: honest excess air (trap)
    dropped: dict[str, tuple[float, float]] = {}
    for c in conc:
        during, before = mean_of(inside[c]), mean_of(outside[c])
        conv_d, conv_b = _converted_mean(inside, c), _converted_mean(outside, c)
        if not during or not before or not conv_d or not conv_b or during <= 0 or before <= 0:
            continue
        r, rz = during / before, conv_d / conv_b
        if abs(math.log(r) - math.log(d)) <= tol_log and abs(math.log(rz)) <= tol_log:
            dropped[c] = (r, rz)
    if not dropped:
        return None
    flow_ratio = fuel_ratio = load_ratio = None
    if "flow" in inside.columns:
        qd, qb = _fuel_flow(inside), _fuel_flow(outside)
        fd, fb = mean_of(inside["flow"]), mean_of(outside["flow"])
        if qd is not None and qb and fd is not None and fb:
            fuel_ratio, flow_ratio = qd / qb, fd / fb
            if flow_ratio <= 1:
                return None  # air let in always raises the flow
    if "load" in inside.columns:
        during_l, usual = mean_of(inside["load"]), mean_of(outside["load"])
        if during_l is not None and usual:
            load_ratio = during_l / usual
    return _Edge(name, outside, o2_in, o2_out, d, dropped, flow_ratio, fuel_ratio, load_ratio, explained)


def _converted_mean(rows: pl.DataFrame, code: str) -> float | None:
    """Mean of C x 21/(21 - O2): the dilution-invariant (O2-normalised) concentration."""
    return mean_of(rows.select(pl.col(code) * 21 / (21 - pl.col("o2")))[code])


def _fuel_flow(rows: pl.DataFrame) -> float | None:
    """Mean of Q x (21 - O2): proportional to the fuel burnt (F-factor logic), unchanged by air let in."""
    return mean_of(rows.select(pl.col("flow") * (21 - pl.col("o2")))["flow"])
