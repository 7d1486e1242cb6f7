"""R12 bunching just below the limit (贴限排放): a weak prior that raises other rules' weight."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.profile import CalibratedLevel, PointProfile, float_view
from ecosentinel.detection.rules._common import compared_values, fmt, holds_results, measurements, pct
from ecosentinel.readings import CST, DataKind


class BunchingParams(RuleParams):
    """Thresholds of R12 (research notes §1 R12: share test and Saez/Kleven-style excess mass)."""

    band: float = 0.1
    """[P] research notes R12(c): compare [0.9L, L) with (L, 1.1L]; also the excluded band of the fit."""
    bin_width: float = 0.02
    """[P] histogram bin width as a share of the limit."""
    fit_span: float = 0.5
    """[P] the counterfactual is fitted on [L(1 - band - span), L(1 - band)) and (L(1 + band), L(1 + band
    + span)]."""
    degree: int = 2
    """[P] polynomial degree of the counterfactual histogram."""
    min_values: int = 96
    """[P] a month needs at least four days of valid hourly values."""
    min_below: int = 15
    """[P] and at least this many values in [0.9L, L)."""
    min_excess: float = 0.5
    """[P] observed count in [0.9L, L) at least 1.5 x the counterfactual."""
    min_z: float = 3.0
    """[P] and (observed - expected) / sqrt(expected) at least 3 (Poisson)."""
    min_share_ratio: float = 2.0
    """[P] and at least twice as many values in [0.9L, L) as in (L, 1.1L]."""
    ceiling_days: int = 3
    """[P] 'ceiling' variant: windows of this many CST days are compared with the point's own values
    before them (issue 17: concentrations clipped just under the limit for three days)."""
    ceiling_min_share: float = 0.4
    """[P] at least this share of the window's hourly values lie in [0.9L, L). 0.3 let three winter
    haze plateaus on the untouched Beijing series (CO at 9000-9900 against 10000, NO2 at 180-199 against
    200; shares 0.30-0.39) make clean point-days yellow in bench detect; 0.4 keeps the default-severity
    recall (57/64 EPA hourly, 45/46 minute) but halves it at severity 0.5."""
    ceiling_min_ratio: float = 5.0
    """[P] and that share is at least this many times the point's own pre-window share (Laplace-smoothed)."""
    ceiling_max_p: float = 1e-6
    """[P] and the binomial tail P(X >= count | n, pre-window share) is at most this."""
    ceiling_max_above: float = 0.05
    """[P] values above the limit in the window are at most this share of the pile (a clipped ceiling:
    honest operation that drifts up to the limit also crosses it)."""
    ceiling_day_max_p: float = 1e-3
    """[P] a CST day next to a found pile joins it when that day alone is in band at least
    ``ceiling_min_ratio`` times the pre-window share, with a binomial tail at most this and almost
    nothing above the limit: a clipped stretch starts and ends on any day, while the test windows are
    whole ``ceiling_days`` (measured in bench detect: on the Beijing NO2 series, whose diurnal lows stay
    under the band after the lift, the first or last one or two days of injected piles held 20-35 % of
    their values in band and stayed green beside the found pile). One day holds 24 hourly values: at the
    window's 1e-6 it would need nearly all of them in band."""
    ceiling_min_pre_hours: int = 72
    """[P] the point's own pre-window distribution needs at least this many valid hourly values."""


class BunchingRule(FactorRule[BunchingParams]):
    """Catches data held just under the emission limit (贴限排放): values that would exceed the limit are
    reported slightly below it, so they pile up in [0.9L, L) and leave a hole in (L, 1.1L].

    Source: research notes R12 (share in [0.9L, L) vs (L, 1.1L]; bunching estimator: fit a polynomial to
    the histogram excluding [L - δ, L + δ] and report the excess mass; Ghanem & Zhang 2014 and Chen et
    al. 2013 found the same discontinuity at the API 100 cut-off in city air-quality reports); the 2026
    CNKI paper on 贴限排放 cited there. Per China-Standard-Time month of valid hourly values. Trap:
    dosing reagent to sit just under a limit is legal, so this is a prior only: always low severity.
    """

    code = "R12_bunching"
    title_zh = "贴限排放"
    title_en = "Bunching below the limit"
    params_model = BunchingParams
    kinds = (DataKind.HOUR, DataKind.MINUTE)

    def detect(self, series: Series, params: BunchingParams, data: PointData) -> list[Finding]:
        spec = data.context.factor(series.code)
        limit = spec.limit
        if limit is None or limit <= 0 or spec.limit_low is not None:  # no bunching test on a band (pH)
            return []
        hourly = _hourly(series)
        out = self._ceilings(series, hourly, limit, params, data)
        if series.kind is not DataKind.HOUR:
            return out
        valid = series.valid.select("time", "value")
        if _fewer_in_band(valid["value"], limit, params.band, params.min_below):
            # every month's in-band count is at most the whole window's (``_month`` counts a subset of
            # these values, with the same arithmetic): no month can reach ``min_below``
            return out
        if holds_results(series, data):
            # an analyser that holds each result for its measuring cycle is counted in measurements: a
            # value held for days is one result, not a pile (measured on a real effluent analyser stuck
            # for three days just under a limit set at 0.6 x: R01 reports it as what it is)
            valid = measurements(valid)
        valid = valid.with_columns(
            pl.col("time").dt.convert_time_zone(CST.key).dt.strftime("%Y-%m").alias("month")
        )
        for (month,), part in valid.group_by("month", maintain_order=True):
            if part.height >= params.min_values:
                found = self._month(series, part, str(month), limit, params, data)
                if found is not None:
                    out.append(found)
        return out

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """``band_share`` per factor with a limit: the share of the clean history's hourly values in
        [(1 - band) L, L) (history_units = those hourly values). The ceiling test's baseline when the
        window itself holds too few values before a pile (a short screening window, a source that just
        restarted)."""
        out = []
        for code in data.factor_codes(self.roles):
            p: BunchingParams = config.params_for(self, data.context, code)
            s = data.series(code, self.kinds)
            spec = data.context.factor(code)
            if (
                s is None
                or not p.enabled
                or spec.limit is None
                or spec.limit <= 0
                or spec.limit_low is not None
            ):
                continue
            hourly = _hourly(s)
            if hourly.height < p.ceiling_min_pre_hours:
                continue
            if holds_results(s, data, hourly["value"]):
                hourly = measurements(hourly)  # results, as the ceiling test counts them
            values = hourly["value"]
            k = int(values.is_between((1 - p.band) * spec.limit, spec.limit, closed="left").sum())
            share = k / values.len()
            span = (iso(profile.start), iso(profile.end))
            out.append(
                CalibratedLevel("R12", "band_share", code, share, share, 0.0, 0.0, budget, values.len(), span)
            )
        return out

    def _ceilings(
        self, s: Series, hourly: pl.DataFrame, limit: float, p: BunchingParams, data: PointData
    ) -> list[Finding]:
        """Values piled just under the limit for days, measured against the point's own earlier values:
        those of the window before the pile, or, when the window holds fewer than
        ``ceiling_min_pre_hours`` of them, those of the point's clean history (profile ``band_share``);
        when both together are still too few, those of the window after the pile as well."""
        history = data.profile.level("R12", "band_share", s.code) if data.profile else None
        hist_n = history.n if history is not None else 0
        hist_k = round(history.level * history.n) if history is not None else 0
        if hourly.height < p.ceiling_min_pre_hours and hist_n < p.ceiling_min_pre_hours:
            return []
        low = (1 - p.band) * limit
        if p.ceiling_min_share > 0 and not _any_between(hourly["value"], low, limit):
            # no value in band anywhere: every window's share is 0, below ``ceiling_min_share``
            return []
        # an analyser that holds each result for its cycle is counted in results (a value stuck just under
        # the limit for days is one measurement, R01's business, not a pile: measured with a real effluent
        # analyser at 0.6 x its limit); the coverage checks stay in hours
        holding = holds_results(s, data, hourly["value"])
        new = pl.col("value").ne_missing(pl.col("value").shift(1)) if holding else pl.lit(True)
        f = hourly.with_columns(
            pl.col("time").dt.convert_time_zone(CST.key).dt.date().alias("day"),
            pl.col("value").is_between(low, limit, closed="left").alias("in_band"),
            (pl.col("value") > limit).alias("above"),
            new.alias("new"),
        )
        # Per-day counts once, then every window of ceiling_days days (and everything before it) by
        # differences of cumulative integer counts, instead of two filters of the hourly frame per window.
        per_day = (
            f.group_by("day")
            .agg(
                pl.len().alias("hours"),
                pl.col("new").sum().alias("n"),
                (pl.col("in_band") & pl.col("new")).sum().alias("k"),
                pl.col("above").sum().alias("above"),
            )
            .sort("day")
        )
        days = per_day["day"].to_list()
        cum = {
            c: np.concatenate(([0], np.cumsum(per_day[c].cast(pl.Int64).to_numpy()))).tolist()
            for c in ("hours", "n", "k", "above")
        }
        hits: list[tuple[int, dict[str, Any]]] = []
        for i in range(len(days) - p.ceiling_days + 1):
            j = i + p.ceiling_days
            pre_hours, hours = cum["hours"][i], cum["hours"][j] - cum["hours"][i]
            pre_n, n = cum["n"][i], cum["n"][j] - cum["n"][i]
            pre_k = cum["k"][i]
            pooled = pre_hours < p.ceiling_min_pre_hours and hist_n > 0
            if pooled:
                # too little of the window before the pile: the point's clean history stands in for it
                pre_hours, pre_n, pre_k = pre_hours + hist_n, pre_n + hist_n, pre_k + hist_k
            after = pre_hours < p.ceiling_min_pre_hours
            if after:
                # still too little (a source back from a long outage, no clean history): the point's own
                # values after the candidate window count too, a baseline from outside the pile (measured
                # in bench detect: an EPA unit off for the month before and nine days into the window had
                # a five-day clipped pile no test could reach)
                pre_hours += cum["hours"][-1] - cum["hours"][j]
                pre_n += cum["n"][-1] - cum["n"][j]
                pre_k += cum["k"][-1] - cum["k"][j]
            if pre_hours < p.ceiling_min_pre_hours or hours < 12 * p.ceiling_days or n == 0:
                continue
            k = cum["k"][j] - cum["k"][i]
            above = cum["above"][j] - cum["above"][i]
            share = k / n
            p0 = (pre_k + 1) / (pre_n + 2)
            if share < p.ceiling_min_share or share < p.ceiling_min_ratio * p0:
                continue
            if above > p.ceiling_max_above * k:
                continue
            tail = _binomial_tail(k, n, p0)
            if tail > p.ceiling_max_p:
                continue
            hits.append(
                (
                    i,
                    {
                        "k": k,
                        "n": n,
                        "above": above,
                        "share": share,
                        "p0": p0,
                        "tail": tail,
                        "pre_n": pre_n,
                        "pooled": pooled,
                        "after": after,
                    },
                )
            )
        # merge overlapping windows; report the strongest one's statistics on the merged span
        out: list[Finding] = []
        groups: list[list[tuple[int, dict[str, Any]]]] = []
        for hit in hits:
            if groups and hit[0] <= groups[-1][-1][0] + p.ceiling_days - 1:
                groups[-1].append(hit)
            else:
                groups.append([hit])
        day_k, day_n, day_above = (per_day[c].to_list() for c in ("k", "n", "above"))

        def pile_day(d: int, p0: float) -> bool:
            """Day ``d`` is in band far above the pre-window share on its own (a pile's edge day)."""
            k, n = day_k[d], day_n[d]
            return (
                n > 0
                and k >= p.ceiling_min_ratio * p0 * n
                and day_above[d] <= p.ceiling_max_above * k
                and _binomial_tail(k, n, p0) <= p.ceiling_day_max_p
            )

        one_day = dt.timedelta(days=1)
        for g in groups:
            best = min(g, key=lambda h: h[1]["tail"])[1]
            a, b = g[0][0], g[-1][0] + p.ceiling_days - 1
            while a > 0 and days[a - 1] == days[a] - one_day and pile_day(a - 1, best["p0"]):
                a -= 1
            while b < len(days) - 1 and days[b + 1] == days[b] + one_day and pile_day(b + 1, best["p0"]):
                b += 1
            first, last = days[a], days[b]
            joined = (g[0][0] - a) + (b - g[-1][0] - p.ceiling_days + 1)
            span = f.filter(pl.col("day").is_between(first, last))
            band_rows = span.filter(pl.col("in_band"))
            step = dt.timedelta(hours=1)
            start, end = band_rows["time"][0], band_rows["time"][-1] + step
            start, end = _pile_edges(f, start, end, p.ceiling_min_share)
            vmax = float(span["value"].max())  # type: ignore[arg-type]
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "data_kind": s.kind.value,
                "compared_as": "hourly values" if s.kind is DataKind.HOUR else "clock-hour means of minutes",
                "limit": limit,
                "band": [round(low, 4), limit],
                "window_count": best["n"],
                "window_in_band": best["k"],
                "window_share": round(best["share"], 4),
                "pre_window_values": best["pre_n"],
                "pre_window_share": round(best["p0"], 5),
                "history": history.evidence() if history is not None and best["pooled"] else None,
                "baseline": "window before and after" if best["after"] else "window before",
                "above_limit": best["above"],
                "max_value": vmax,
                "binomial_tail": float(f"{best['tail']:.3g}"),
                "threshold": {
                    "min_share": p.ceiling_min_share,
                    "min_ratio": p.ceiling_min_ratio,
                    "max_p": p.ceiling_max_p,
                    "max_above": p.ceiling_max_above,
                    "day_max_p": p.ceiling_day_max_p,
                },
                "edge_days_joined": joined,
                "comparison": "share in [0.9L, L) over ceiling_days vs the point's own pre-window share "
                "(binomial tail), with almost nothing above L",
            }
            out.append(
                self.finding(
                    data.context,
                    factors=[s.code],
                    start=start,
                    end=end,
                    severity=Severity.MEDIUM,
                    score=0.6,
                    evidence=evidence,
                    variant="ceiling",
                    limit=fmt(limit),
                    low=fmt(round(low, 4)),
                    days=p.ceiling_days,
                    n=best["n"],
                    k=best["k"],
                    share_pct=pct(best["share"]),
                    pre_n=best["pre_n"],
                    pre_source=(
                        messages.R12_WITH_HISTORY.format(
                            h0=history.history[0][:10], h1=history.history[1][:10]
                        )
                        if history is not None and best["pooled"]
                        else ""
                    )
                    + (messages.R12_WITH_AFTER if best["after"] else ""),
                    pre_pct=pct(best["p0"]),
                    ratio=fmt(round(best["share"] / best["p0"], 1)),
                    above=best["above"],
                    vmax=fmt(vmax),
                    tail=f"{best['tail']:.1e}",
                    edges=(
                        messages.R12_EDGE_DAYS.format(n=joined, max_p=fmt(p.ceiling_day_max_p))
                        if joined
                        else ""
                    ),
                )
            )
        return out

    def _month(
        self, s: Series, part: pl.DataFrame, month: str, limit: float, p: BunchingParams, data: PointData
    ) -> Finding | None:
        x = part["value"].to_numpy() / limit
        below = int(((x >= 1 - p.band) & (x < 1)).sum())
        above = int(((x > 1) & (x <= 1 + p.band)).sum())
        if below < p.min_below or below < p.min_share_ratio * above:
            return None
        expected = _counterfactual(x, p)
        excess = (below - expected) / expected if expected > 0 else math.inf
        z = (below - expected) / math.sqrt(max(expected, 1.0))
        if excess < p.min_excess or z < p.min_z:
            return None
        in_band = part.filter(pl.col("value").is_between((1 - p.band) * limit, limit, closed="left"))
        # to the end of the last in-band hour, as every other window (it ended at that hour's start)
        start, end = in_band["time"][0], in_band["time"][-1] + (s.step or dt.timedelta(0))
        evidence: dict[str, Any] = {
            "window": [iso(start), iso(end)],
            "month": month,
            "data_kind": s.kind.value,
            "limit": limit,
            "valid_values": part.height,
            "below_band": [round((1 - p.band) * limit, 4), limit],
            "below_count": below,
            "above_count": above,
            "expected_below": round(expected, 2),
            "excess_mass": None if math.isinf(excess) else round(excess, 4),
            "z": round(z, 3),
            "threshold": {
                "min_excess": p.min_excess,
                "min_z": p.min_z,
                "min_share_ratio": p.min_share_ratio,
            },
            "comparison": "count in [0.9L, L) vs polynomial counterfactual fitted outside [0.9L, 1.1L]",
        }
        return self.finding(
            data.context,
            factors=[s.code],
            start=start,
            end=end,
            severity=Severity.LOW,
            score=0.2 + 0.15 * min(1.0, z / (3 * p.min_z)),
            evidence=evidence,
            limit=fmt(limit),
            low=fmt((1 - p.band) * limit),
            high=fmt((1 + p.band) * limit),
            below=below,
            above=above,
            expected=fmt(round(expected, 1)),
            excess_pct="∞" if math.isinf(excess) else pct(excess),
            z=fmt(round(z, 1)),
        )


def _fewer_in_band(values: pl.Series, limit: float, band: float, min_below: int) -> bool:
    """Whether fewer than ``min_below`` of ``values`` are in [1 - band, 1) x limit, counted as ``_month``
    counts them (numpy on value / limit), so that the month split can be skipped for a factor that never
    comes near its limit (False when the values are not a null-free float column: cannot tell)."""
    v = float_view(values)
    if v is None:
        return False
    x = v / limit
    return int(((x >= 1 - band) & (x < 1)).sum()) < min_below


def _any_between(values: pl.Series, low: float, high: float) -> bool:
    """``values.is_between(low, high, closed="left").any()`` in numpy for a null-free float column (one
    polars call less per factor); True (cannot rule it out) otherwise."""
    v = float_view(values)
    if v is None:
        return True
    return bool(np.any((v >= low) & (v < high)))


def _hourly(series: Series) -> pl.DataFrame:
    """Valid hourly values compared with the limit (O2-converted where sent); minute data are averaged
    per clock hour first (hours with >= 45 valid minutes, HJ 75 [M])."""
    f = compared_values(series.frame).filter(pl.col("value").is_not_null()).select("time", "value")
    if series.kind is DataKind.MINUTE:
        f = (
            f.group_by_dynamic("time", every="1h")
            .agg(pl.col("value").mean(), pl.len().alias("n"))
            .filter(pl.col("n") >= 45)
            .select("time", "value")
        )
    return f


def _binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space."""
    if k <= 0:
        return 1.0
    logs = [
        math.lgamma(n + 1)
        - math.lgamma(i + 1)
        - math.lgamma(n - i + 1)
        + i * math.log(p)
        + (n - i) * math.log1p(-p)
        for i in range(k, n + 1)
    ]
    top = max(logs)
    return float(min(1.0, math.exp(top) * sum(math.exp(x - top) for x in logs)))


def _counterfactual(x: np.ndarray[Any, Any], p: BunchingParams) -> float:
    """Expected count in [1 - band, 1) from a polynomial fitted to the histogram outside the band."""
    lo, hi = 1 - p.band - p.fit_span, 1 + p.band + p.fit_span
    edges = np.arange(lo, hi + p.bin_width / 2, p.bin_width)
    counts, _ = np.histogram(x, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    outside = (centres < 1 - p.band) | (centres > 1 + p.band)
    if outside.sum() <= p.degree:
        return 0.0
    coef = np.polyfit(centres[outside], counts[outside], p.degree)
    inside = (centres >= 1 - p.band) & (centres < 1)
    return float(np.clip(np.polyval(coef, centres[inside]), 0.0, None).sum())


def _pile_edges(
    f: pl.DataFrame, start: dt.datetime, end: dt.datetime, min_share: float
) -> tuple[dt.datetime, dt.datetime]:
    """The pile's edges: the CST-day windows start and end at midnight, while a pile starts and ends at
    any hour. Widen [start, end) by up to a day on each side to the farthest in-band value such that
    the values between it and the window are still in band at ``min_share`` (the window's own test)."""
    day = dt.timedelta(days=1)
    hour = dt.timedelta(hours=1)
    before = f.filter(pl.col("time").is_between(start - day, start, closed="left")).sort("time")
    times, band = before["time"].to_list(), before["in_band"].to_list()
    for i, t in enumerate(times):
        if band[i] and sum(band[i:]) >= min_share * (len(band) - i):
            start = t
            break
    after = f.filter(pl.col("time").is_between(end, end + day, closed="left")).sort("time")
    times, band = after["time"].to_list(), after["in_band"].to_list()
    for i in range(len(times) - 1, -1, -1):
        if band[i] and sum(band[: i + 1]) >= min_share * (i + 1):
            end = times[i] + hour
            break
    return start, end
