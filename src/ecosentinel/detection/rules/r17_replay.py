"""R17 cloned or replayed data (数据复制、回放): a day identical or near-identical to an earlier day."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import FactorRule, PointData, Series, true_runs
from ecosentinel.detection.calibration import budget_level_low
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import WC_PRODUCTION
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.messages import calibration_text, kind_name
from ecosentinel.detection.profile import CalibratedLevel, PointProfile, run_counts, run_heads, us_view
from ecosentinel.detection.rules._common import WC_KINDS, fmt, pct
from ecosentinel.detection.rules.r13_digit_test import resolution_of
from ecosentinel.readings import CST, DataKind


class ReplayParams(RuleParams):
    """Thresholds of R17 (research notes §1 R17)."""

    lag_days: int = 7
    """[P] compare each window with the same clock time 1..7 days earlier (a copied day or week)."""
    window_hours: float = 24.0
    """[P] research notes R17: day-long subsequences."""
    min_coverage: float = 0.8
    """[P] share of a window where both days have valid values."""
    min_corr: float = 0.99
    """[P] near-identical: correlation at least this ('correlation ≈ 1')."""
    max_distance: float = 0.02
    """[P] and root-mean-square difference at most 2% of the mean level ('distance ≈ 0')."""
    identical_share: float = 0.95
    """[P] 'identical' when at least this share of compared values are exactly equal."""
    min_std_steps: float = 2.0
    """Windows whose standard deviation is under this many resolution steps (the resolution most values
    have) are not compared: constant or nearly constant data are R01's finding, not a replay."""
    calibrated_margin: float = 0.9
    """[P] per-point calibration (statistic ``replay_distance``: per clean history day, the smallest
    RMS difference over level of any window of that day against the same clock time 1..7 days earlier
    that correlates at ``min_corr``): the near-identical level is 0.9 x the history's lower quantile at
    the budget, never looser than ``max_distance`` ... A base-load unit dispatched on the same daily
    schedule repeats its NOx day within 1-2 % (measured in bench detect: 22 of the 37 clean epa-cems
    point-days made yellow were such near-identical days) ..."""
    calibrated_floor: float = 0.002
    """[P] ... nor tighter than 0.2 % of the level (a copy with less noise than that is a copy)."""
    other_not_copied: float = 2.0
    """[P] a near-identical factor is a clue only (low) when another pollutant or flow of the point, over
    the same window, differs from its own earlier day by more than the near-identical level and either
    more than this many times the factor's own difference or with a correlation under ``min_corr``: a
    replay copies every factor alike (the same relative jitter, correlation near 1), a steady process
    repeats one (base-load EPA units' flue-gas flow at 1.5-1.8 % while their NOx differed by 3-4.8 %,
    correlating at 0.89 on one of them)."""
    explained_score: float = 0.3
    """[P] score of a near copy the finding explains itself (the production load repeats its day as
    closely, or another factor was not copied): a weak clue (low weight 0.4 x 0.3 = 0.12), which with one
    other low clue of the day stays under yellow (measured through import and screen: such clues beside a
    monthly bunching clue made 4 clean EPA point-days yellow)."""
    min_distinct: int = 6
    """[P] and the matching window must hold at least this many distinct values (a day at the
    detection floor, 2, 2, 2, ..., 4, repeats by itself: seen in the real Beijing SO2 series) ..."""
    min_bits: float = 24.0
    """[P] ... unless the copy is identical and its sequence of held values is improbable by chance:
    the sum over the window's runs of -log2(the share of runs holding that value, counted over the
    screened series and the point's calibration history, ``FactorProfile.run_values``) is at least
    this (one chance in 1.7e7 for the values alone; the change times matching too are not counted).
    An analyser that holds each result for hours copies a day in a few runs (cn-effluent: 1.97, 2.14,
    2.28, 2.44, 2.49 mg/L over 24 hours, identical five days later: 27 bits, each value held by 2-3 %
    of the month's runs); a detection-floor day (2, 2, ..., 4, 2) is a few bits."""


class ReplayRule(FactorRule[ReplayParams]):
    """Catches cloned or replayed data (复制、回放历史数据): a day of data copied from an earlier day of the
    same point, exactly or with a little noise, instead of being measured (a data logger or an O&M
    company that replays stored data while the analyser is off or the sample is interfered with).

    Source: research notes R17 (identical day-long subsequences: hash 24-h windows or matrix-profile
    motifs with distance ≈ 0; exact 24-h periodicity; trap: shared DAS channels misconfigured by the O&M
    company); seed 002 (原始数据直传). Per factor on minute data (hourly otherwise): every 24-h window is
    compared with the same clock time 1..7 days earlier; flagged when its values are exactly equal or
    correlate at ≥ 0.99 with an RMS difference ≤ 2% of the level. Cross-point cloning needs two points
    and is left to the engine (this function sees one point).
    """

    code = "R17_replay"
    title_zh = "数据复制回放"
    title_en = "Replayed or cloned data"
    params_model = ReplayParams
    kinds = (DataKind.MINUTE, DataKind.HOUR)
    roles = frozenset({"pollutant", "flow"})

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """``replay_distance`` per factor: per clean history day, the smallest distance (RMS difference
        over level) of a correlated window ending that day against 1..7 days earlier; the level is
        ``calibrated_margin`` x its lower quantile at the budget, between ``calibrated_floor`` and
        ``max_distance``."""
        out = []
        for code in data.factor_codes(self.roles):
            p: ReplayParams = config.params_for(self, data.context, code)
            s = data.series(code, self.kinds)
            if s is None or s.step is None or s.n_valid == 0 or not p.enabled:
                continue
            w = round(dt.timedelta(hours=p.window_hours) / s.step)
            if w < 4:
                continue
            min_std = p.min_std_steps * resolution_of(s.valid["value"], 0.5)
            nearest: dict[dt.date, float] = {}
            for _, j in _lagged(s, p):
                ok, dist, corr, cnt = _windows(j, w, min_std, p)
                if not ok.size:
                    continue
                # every comparable window is a unit of its day: its distance when it correlates, else
                # 1 (no near match that day); days with nothing to compare are no unit
                comparable = (cnt >= p.min_coverage * w) & np.isfinite(corr)
                ends = j["time"].dt.convert_time_zone(CST.key).dt.date().to_list()[w - 1 :]
                for i in np.flatnonzero(comparable):
                    d = float(dist[i]) if ok[i] and np.isfinite(dist[i]) else 1.0
                    nearest[ends[i]] = min(nearest.get(ends[i], math.inf), d)
            units = [min(1.0, d) for d in nearest.values()]
            level = budget_level_low(
                "R17",
                "replay_distance",
                code,
                units,
                budget=budget,
                floor=p.calibrated_floor,
                default=p.max_distance,
                factor_margin=p.calibrated_margin,
                profile=profile,
            )
            if level is not None:
                out.append(level)
        return out

    def detect(self, series: Series, params: ReplayParams, data: PointData) -> list[Finding]:
        if series.step is None or series.n_valid == 0:
            return []
        step = series.step
        w = round(dt.timedelta(hours=params.window_hours) / step)
        if w < 4:
            return []
        res = resolution_of(series.valid["value"], 0.5)
        min_std = params.min_std_steps * res
        calibrated = data.profile.level("R17", "replay_distance", series.code) if data.profile else None
        out: list[Finding] = []
        taken: list[tuple[dt.datetime, dt.datetime]] = []
        # run_shares of the series, computed on first use (only held, few-valued copies need it)
        fp = data.profile.factor(series.code) if data.profile else None
        history = fp.run_values if fp is not None else ()
        sh = functools.cache(lambda: run_shares(_floats(series.frame["value"]), history))
        for lag, times, x, y in _lagged_xy(series, params):
            for found in self._matches(series, times, (x, y), w, lag, min_std, params, data, sh, calibrated):
                if any(found.start < e and s < found.end for s, e in taken):
                    continue
                taken.append((found.start, found.end))
                out.append(found)
        return out

    def _matches(
        self,
        s: Series,
        times: pl.Series,
        xy: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]],
        w: int,
        lag: int,
        min_std: float,
        p: ReplayParams,
        data: PointData,
        shares: Callable[[], dict[float, float]],
        calibrated: CalibratedLevel | None = None,
    ) -> list[Finding]:
        """Findings of one lag: ``times`` of the compared rows, ``xy`` their values and the values
        ``lag`` days earlier (``_lagged_xy``)."""
        x, y = xy
        n = x.size
        if n < w:
            return []
        m = np.isfinite(x) & np.isfinite(y)
        max_distance = calibrated.level if calibrated is not None else p.max_distance
        correlated, dist, corr, _ = _windows(None, w, min_std, p, (x, y), max_distance)
        with np.errstate(invalid="ignore"):
            ok = correlated & (dist <= max_distance)
        ok = np.nan_to_num(ok, nan=0.0).astype(bool)
        if not ok.any():
            return []
        # ``times`` is indexed only where a run matched (a whole-column to_list() dominated the rule)
        out = []
        for a, b in true_runs(pl.Series(ok)):
            # the best window of the run: the smallest distance
            best = a + int(np.nanargmin(dist[a : b + 1]))
            lo, hi = best, best + w  # rows [lo, hi)
            sel = m[lo:hi]
            xs, ys = x[lo:hi][sel], y[lo:hi][sel]
            same = float(np.mean(np.abs(xs - ys) <= 1e-9 * np.maximum(1.0, np.abs(xs))))
            if min(np.unique(xs).size, np.unique(ys).size) < p.min_distinct and not (
                same >= p.identical_share and run_bits(xs, shares()) >= p.min_bits
            ):
                continue
            lag_td = dt.timedelta(days=lag)
            identical = same >= p.identical_share
            # The reported window: every row of the matching run's windows that was compared (and, for an
            # identical copy, that is identical), so it names the replayed stretch itself, not the best
            # 24-hour window around it (which may reach into rows with nothing to compare).
            # A near-identical copy (noise added) is the best window itself: windows that only partly
            # overlap it also fall under the level, and their union would widen the stretch by hours.
            u_lo, u_hi = (a, min(b + w, n)) if identical else (best, min(best + w, n))
            keep = m[u_lo:u_hi]
            if identical:
                xu, yu = np.where(keep, x[u_lo:u_hi], np.nan), np.where(keep, y[u_lo:u_hi], np.nan)
                keep = keep & (np.abs(xu - yu) <= 1e-9 * np.maximum(1.0, np.abs(np.nan_to_num(xu))))
                # The stretch is bounded by replicated changes: two consecutive identical rows whose
                # value changes between them. Equal values that only coincide (2, 2, 2 at a detection
                # floor on both days) must not carry the stretch into a neighbouring day (measured on
                # Beijing SO2: identical copies reached 4-6 h into the next or previous day, red there).
                xs_all = x[u_lo:u_hi]
                changed = np.zeros_like(keep)
                changed[1:] = ~(
                    np.abs(xs_all[1:] - xs_all[:-1]) <= 1e-9 * np.maximum(1.0, np.abs(xs_all[:-1]))
                )
                replicated = np.flatnonzero(keep[1:] & keep[:-1] & changed[1:]) + 1
                if replicated.size:
                    edge = np.zeros_like(keep)
                    edge[int(replicated[0]) - 1 : int(replicated[-1]) + 1] = True
                    keep = keep & edge
                # ... and contiguous: a copied stretch has no compared row that differs inside it, so it
                # ends at the first differing row on each side of the best window (measured on Beijing
                # CO at 100-unit steps: a coincident pair three hours before a copied day, with
                # differing hours between, carried the finding into the previous day and made it red)
                differs = m[u_lo:u_hi] & ~keep
                centre = max(0, min(best + w // 2 - u_lo, differs.size - 1))  # the best window's middle
                left = np.flatnonzero(differs[:centre])
                right = np.flatnonzero(differs[centre:])
                lo_c = int(left[-1]) + 1 if left.size else 0
                hi_c = centre + int(right[0]) if right.size else differs.size
                bounded = np.zeros_like(keep)
                bounded[lo_c:hi_c] = True
                keep = keep & bounded
            rows = np.flatnonzero(keep)
            if identical and rows.size:
                # ... and within the rows the point's other copied factors agree on: a logger replay copies
                # every factor over the same rows, so where a factor copied over the best window differs
                # from its source the copy has not begun (measured on Beijing CO at 100-unit steps: two
                # hours matching by chance just before a replayed day, SO2/NO2/PM2.5 differing there)
                t0 = times[u_lo + int(rows[0])]
                t1 = times[u_lo + int(rows[-1])] + (s.step or dt.timedelta(0))
                # the core: the middle half of the best window (its edges may hold coincident rows)
                c0, c1 = times[best + w // 4], times[min(best + 3 * w // 4, n) - 1]
                b0, b1 = _co_copied_bounds(data, s, lag_td, (t0, t1), (c0, c1), p.identical_share)
                rel = times[u_lo:u_hi]
                inside = ((rel >= b0) & (rel < b1)).to_numpy()
                keep = keep & inside
                rows = np.flatnonzero(keep)
            if rows.size:
                lo, hi = u_lo + int(rows[0]), u_lo + int(rows[-1]) + 1
                sel = m[lo:hi]
                xs, ys = x[lo:hi][sel], y[lo:hi][sel]
                same = float(np.mean(np.abs(xs - ys) <= 1e-9 * np.maximum(1.0, np.abs(xs))))
            start, end = times[lo], times[hi - 1] + (s.step or dt.timedelta(0))
            c, d = float(corr[best]), float(dist[best])
            load = None if identical else _load_distance(data, start, end, lag_td)
            load_repeats = load is not None and load <= max_distance
            # a logger replaying a day copies every factor it sends: a near-identical factor beside one
            # that clearly differs from its own earlier day is a steady process, not a copy (measured
            # through import and screen of six months: base-load EPA units' flue-gas flow, set by a
            # steady heat input, repeated its day within 1-2 % while their NOx did not, 9 clean days
            # yellow)
            other = (
                None
                if identical
                else _other_not_copied(
                    data, s, (start, end, lag_td), p, max(max_distance, p.other_not_copied * d), max_distance
                )
            )
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "data_kind": s.kind.value,
                "lag_days": lag,
                "source_window": [iso(start - lag_td), iso(end - lag_td)],
                "compared": int(sel.sum()),
                "identical_share": round(same, 4),
                "corr": None if math.isnan(c) else round(c, 6),
                "rms_over_level": None if math.isnan(d) else round(d, 6),
                "matching_windows": [iso(times[a]), iso(times[b])],
                # the key a near copy is stored under: its first matching window, which more data never
                # moves (``screening.service.fingerprint``); the best window moved with each pass's new
                # hour of data (measured with ``bench detect-live``: six findings for one EPA day)
                **({} if identical else {"key_start": iso(times[a])}),
                "load_rms_over_level": None if load is None else round(load, 6),
                "other_factor_not_copied": None
                if other is None
                else {"factor": other[0], "rms_over_level": round(other[1], 6)},
                "calibration": calibrated.evidence() if calibrated is not None else None,
                "threshold": {
                    "min_corr": p.min_corr,
                    "max_distance": round(max_distance, 6),
                    "identical_share": p.identical_share,
                    "window_hours": p.window_hours,
                },
                "comparison": "window vs same clock time lag days earlier: corr >= min_corr and "
                "rms/level <= max_distance",
            }
            out.append(
                self.finding(
                    data.context,
                    factors=[s.code],
                    start=start,
                    end=end,
                    # a production load that repeats its earlier day as closely explains the match (a
                    # unit on a repeating dispatch schedule): a clue only. A replayed logger output does
                    # not replay the separate power-monitoring feed.
                    severity=Severity.HIGH
                    if identical
                    else (Severity.LOW if load_repeats or other is not None else Severity.MEDIUM),
                    # a near copy the finding itself explains (the load repeats, or another factor
                    # was not copied) is a weak clue: with one other clue of the day it stays green
                    score=0.9
                    if identical
                    else (
                        p.explained_score
                        if load_repeats or other is not None
                        else 0.6 + 0.2 * max(0.0, 1 - d / max_distance)
                    ),
                    evidence=evidence,
                    variant="identical" if identical else "near_identical",
                    kind=kind_name(s.kind.value),
                    count=int(sel.sum()),
                    lag=lag,
                    source_start=cst_text(start - lag_td),
                    source_end=cst_text(end - lag_td),
                    same_pct=pct(same),
                    corr=fmt(round(c, 4)),
                    corr_threshold=fmt(p.min_corr),
                    dist_pct=pct(d),
                    dist_threshold=fmt(round(100 * max_distance, 3)),
                    calibration=(
                        calibration_text(calibrated, "", p.max_distance)
                        + (
                            messages.R17_LOAD_REPEATS.format(load_pct=pct(load))
                            if load is not None and load_repeats
                            else ""
                        )
                        + (
                            messages.R17_OTHER_NOT_COPIED.format(
                                other=messages.factor_name(other[0]),
                                lag=lag,
                                other_pct=pct(other[1]),
                                factor=messages.factor_name(s.code),
                            )
                            if other is not None
                            else ""
                        )
                        if not identical
                        else ""
                    ),
                )
            )
        return out


def run_shares(values: np.ndarray[Any, Any], history: Iterable[tuple[float, int]] = ()) -> dict[float, float]:
    """Per value, the share of the runs holding it: the series' runs and, when given, the point's history
    runs (``FactorProfile.run_values``; the history and a pass's context may share days, which then
    count twice: a small reweighting, not a bias towards copies)."""
    counts = Counter(run_counts(values))
    counts.update(dict(history))
    total = sum(counts.values())
    return {u: c / total for u, c in counts.items()} if total else {}


def run_bits(window: np.ndarray[Any, Any], shares: dict[float, float]) -> float:
    """Information of a window's sequence of runs: sum of -log2(share) over its runs (a value the
    series never held counts as one run in the series)."""
    heads = run_heads(window)
    if heads.size == 0 or not shares:
        return 0.0
    floor = min(shares.values())
    return float(sum(-math.log2(shares.get(float(h), floor)) for h in heads))


def _regular(base: pl.DataFrame, step: dt.timedelta | None) -> bool:
    """On a strictly regular grid (every row one step after the previous: what PointData makes of hour
    and minute data) the same clock time ``lag`` days earlier is ``lag`` days of rows earlier."""
    if (
        step is None
        or step <= dt.timedelta(0)
        or dt.timedelta(days=1) % step != dt.timedelta(0)
        or base.height <= 1
    ):
        return False
    times = base["time"]
    us = us_view(times)
    if us is not None:
        # numpy on the microseconds (zero-copy) instead of three polars calls per series
        return bool(np.all(np.diff(us) == step // dt.timedelta(microseconds=1)))
    return bool((times.diff().drop_nulls() == step).all())


def _lagged_xy(
    series: Series, p: ReplayParams
) -> list[tuple[int, pl.Series, np.ndarray[Any, Any], np.ndarray[Any, Any]]]:
    """``_lagged`` as arrays: (lag, times, values, values ``lag`` days earlier; NaN where missing).

    On a regular grid the values are converted once and each lag is a shifted copy of them (the
    same arrays ``_xy`` gives of ``_lagged``'s frames, without a frame and two conversions per lag)."""
    base = series.frame
    if not _regular(base, series.step):
        return [(lag, j["time"], *_xy(j)) for lag, j in _lagged(series, p)]
    assert series.step is not None
    x = _floats(base["value"])
    n = x.size
    out = []
    for lag in range(1, p.lag_days + 1):
        rows = dt.timedelta(days=lag) // series.step
        y = np.full(n, np.nan)
        if rows < n:
            y[rows:] = x[: n - rows]
        if rows < n and not np.isnan(x[: n - rows]).all():  # ``past`` holds a value
            out.append((lag, base["time"], x, y))
    return out


def _lagged(series: Series, p: ReplayParams) -> list[tuple[int, pl.DataFrame]]:
    """(lag in days, the series joined with itself ``lag`` days earlier as ``past``) for 1..lag_days."""
    base = series.frame.select("time", "value")
    step = series.step
    # On a regular grid the same clock time ``lag`` days earlier is a shift, not a join per lag.
    regular = _regular(base, step)
    out = []
    for lag in range(1, p.lag_days + 1):
        if regular:
            assert step is not None
            rows = dt.timedelta(days=lag) // step
            j = base.with_columns(pl.col("value").shift(rows).alias("past"))
        else:
            past = base.select(
                (pl.col("time") + dt.timedelta(days=lag)).alias("time"), pl.col("value").alias("past")
            )
            j = base.join(past, on="time", how="left").sort("time")
        if j["past"].null_count() < j.height:
            out.append((lag, j))
    return out


def _xy(j: pl.DataFrame) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """The values and the values ``lag`` days earlier as float arrays, NaN where missing."""
    return _floats(j["value"]), _floats(j["past"])


def _floats(values: pl.Series) -> np.ndarray[Any, Any]:
    """``values.cast(pl.Float64).fill_null(np.nan).to_numpy()``: a Float64 series converts with its
    nulls as NaN by itself, without the two polars calls (read-only when zero-copy: never written)."""
    if values.dtype == pl.Float64:
        return values.to_numpy()
    return values.cast(pl.Float64).fill_null(np.nan).to_numpy()


def _windows(
    j: pl.DataFrame | None,
    w: int,
    min_std: float,
    p: ReplayParams,
    xy: tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]] | None = None,
    max_distance: float | None = None,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Per window of ``w`` rows ending at each row (from row w - 1): (correlated: covered, varying and
    correlated at ``min_corr``; distance = RMS difference over level; correlation; compared count).
    ``xy``: the arrays of ``_xy(j)`` when the caller already has them (converted once per lag).
    ``max_distance``: the caller keeps only windows within this distance; when no covered window is,
    the arrays come back empty without computing the correlation (most lags of most series)."""
    if xy is None:
        assert j is not None
        xy = _xy(j)
    x, y = xy
    m = np.isfinite(x) & np.isfinite(y)
    empty = np.zeros(0)
    if x.size < w or not m.any():
        return empty.astype(bool), empty, empty, empty
    x0, y0 = np.where(m, x, 0.0), np.where(m, y, 0.0)
    if max_distance is not None and _none_within(x0, y0, m, w, p.min_coverage * w, max_distance):
        return empty.astype(bool), empty, empty, empty

    prefix = np.zeros(x.size + 1)

    def wsum(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        # the cumulative sums into one reused buffer after its leading 0: the same sequential sums as
        # concatenating [0] and np.cumsum(a), without a new array and a copy per sum (measured on a
        # minute month: 370 -> 130 us per sum, eight sums per lag that passes the prefilter)
        np.cumsum(a, out=prefix[1:])
        sums: np.ndarray[Any, Any] = prefix[w:] - prefix[:-w]
        return sums

    # Window sums by cumulative sums (windows end at each row).
    cnt = wsum(m.astype(float))
    covered = cnt >= p.min_coverage * w
    with np.errstate(divide="ignore", invalid="ignore"):
        rms = np.sqrt(wsum((x0 - y0) ** 2) / cnt)
        level = np.abs(wsum(x0) / cnt)
        dist = rms / level
        if max_distance is not None and not (covered & (dist <= max_distance)).any():
            return empty.astype(bool), empty, empty, empty
        # centred for numerical stability
        cx, cy = x0 - np.mean(x[m]), y0 - np.mean(y[m])
        cx, cy = np.where(m, cx, 0.0), np.where(m, cy, 0.0)
        mx, my = wsum(cx) / cnt, wsum(cy) / cnt
        vx, vy = wsum(cx * cx) / cnt - mx * mx, wsum(cy * cy) / cnt - my * my
        cov = wsum(cx * cy) / cnt - mx * my
        corr = cov / np.sqrt(vx * vy)
        ok = (
            covered
            & (np.sqrt(np.maximum(vx, 0)) > min_std)
            & (np.sqrt(np.maximum(vy, 0)) > min_std)
            & (corr >= p.min_corr)
        )
    return np.nan_to_num(ok, nan=0.0).astype(bool), dist, corr, cnt


PREFILTER_BLOCKS = 24
"""Blocks per window of ``_none_within`` (an hour each on a day of minute data)."""
PREFILTER_MIN_WINDOW = 4 * PREFILTER_BLOCKS
"""Windows shorter than this (hourly data: 24 rows) are cheap enough to compute exactly."""
_EPS = float(np.finfo(np.float64).eps)


def _none_within(
    x0: np.ndarray[Any, Any],
    y0: np.ndarray[Any, Any],
    m: np.ndarray[Any, Any],
    w: int,
    covered_at: float,
    max_distance: float,
) -> bool:
    """True only when provably no window of ``w`` rows with at least ``covered_at`` compared rows has an
    RMS difference over level (``_windows``' ``dist``) within ``max_distance``; False when it cannot tell.

    Why: most lags of most series are nowhere near a copy, and ``_windows`` then computed three window
    sums over every row (cumulative sums) only to find nothing (measured on bench city, 32 points x 30
    days of minute data: 1,057 of 1,218 calls, about 1.5 of R17's 2.4 CPU-s). Here the rows are summed
    in blocks of w / 24 rows (one pass each) and every window is bounded from the blocks it covers:
    its sum of squared differences from below (the blocks wholly inside it), the absolute sum of its
    values from above (every block it touches), its compared rows from below (``covered_at`` or the
    whole blocks' count). dist <= max_distance means S2 x cnt <= max_distance^2 x S1^2, so a window
    whose bounds already violate that cannot match. The rounding of ``_windows``' cumulative sums
    (at most about n x eps times the sum of all terms, n rows) is added to the bounds, so the exact
    computation can never find a window this rules out; a window near the level falls through to it.
    """
    n = x0.size
    if w < PREFILTER_MIN_WINDOW or n < w:
        return False
    size = w // PREFILTER_BLOCKS  # rows per block
    blocks = -(-n // size)
    heads = np.arange(0, n, size)

    def block_sums(a: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        # the sums of the blocks, cumulated: prefix[k] = sum of blocks 0 .. k-1
        prefix = np.zeros(blocks + 1)
        np.cumsum(np.add.reduceat(a, heads), out=prefix[1:])
        return prefix

    with np.errstate(over="ignore", invalid="ignore"):
        d2 = np.square(x0 - y0)
        p2, p1, pc = block_sums(d2), block_sums(np.abs(x0)), block_sums(m.astype(np.float64))
        # the windows starting in block j (rows j*size .. j*size + size - 1) wholly cover blocks
        # j+1 .. j+full-1 and touch no block outside j .. j+touch-1
        full = w // size
        touch = -(-(size - 1 + w) // size)
        j = np.arange((n - w) // size + 1)
        inner_hi = np.minimum(j + full, blocks)
        inner_lo = np.minimum(j + 1, inner_hi)
        s2_low = p2[inner_hi] - p2[inner_lo]
        cnt_low = np.maximum(pc[inner_hi] - pc[inner_lo], covered_at)
        outer = np.minimum(j + touch, blocks)
        s1_high = p1[outer] - p1[j]
        # rounding of both computations: relative n x eps of the totals, four times over
        slack = 4.0 * (n + blocks + 2) * _EPS
        e2, e1 = slack * p2[-1], slack * p1[-1]
        apart = (s2_low - e2) * cnt_low > (max_distance * max_distance) * (s1_high + e1) ** 2 * (1 + 1e-9)
        # windows that cannot reach the coverage (the first ``lag`` days, long gaps) are never compared
        uncovered = pc[outer] - pc[j] < covered_at
    return bool((apart | uncovered).all())


def _load_distance(data: PointData, start: dt.datetime, end: dt.datetime, lag: dt.timedelta) -> float | None:
    """RMS difference over level between the production power (wc_prod_kw) of [start, end) and of the
    same clock hours ``lag`` earlier, on hourly means; None without power data on both."""
    prod = data.series(WC_PRODUCTION, WC_KINDS)
    if prod is None or prod.n_valid == 0:
        return None
    hourly = prod.valid.group_by(pl.col("time").dt.truncate("1h")).agg(pl.col("value").mean())
    x, y = _aligned(hourly, start, end, lag)
    if x.size < 4:
        return None
    return _rms_over_level(x, y)


def _aligned(
    values: pl.DataFrame, start: dt.datetime, end: dt.datetime, lag: dt.timedelta
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(values of [start, end), the values at the same times ``lag`` earlier), joined on time: only the
    times both hold (``values`` has columns time and value)."""
    now = values.filter(pl.col("time").is_between(start, end, closed="left"))
    past = values.filter(pl.col("time").is_between(start - lag, end - lag, closed="left")).select(
        (pl.col("time") + lag).alias("time"), pl.col("value").alias("past")
    )
    both = now.join(past, on="time")
    return both["value"].to_numpy(), both["past"].to_numpy()


def _rms_over_level(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float | None:
    """RMS of x - y over the mean absolute level of x; None at level zero."""
    level = float(np.mean(np.abs(x)))
    if level <= 0:
        return None
    return float(np.sqrt(np.mean((x - y) ** 2)) / level)


def _other_not_copied(
    data: PointData,
    s: Series,
    window: tuple[dt.datetime, dt.datetime, dt.timedelta],
    p: ReplayParams,
    beyond: float,
    level_of_copy: float,
) -> tuple[str, float] | None:
    """(code, RMS difference over level) of another pollutant or flow of the point that clearly was not
    copied over [start, end) from ``lag`` earlier (``window``): at least ``min_coverage`` of the window
    compared and a difference over ``beyond``; None when every other factor with data is as close (or
    there is none)."""
    start, end, lag = window
    worst: tuple[str, float] | None = None
    for code in data.factor_codes(("pollutant", "flow")):
        if code == s.code:
            continue
        other = data.series(code, (s.kind,))
        if other is None or other.n_valid == 0 or other.step is None:
            continue
        x, y = _aligned(other.valid.select("time", "value"), start, end, lag)
        if x.size < p.min_coverage * ((end - start) / other.step):
            continue
        d = _rms_over_level(x, y)
        if d is None:
            continue
        # not copied: clearly farther from its earlier day than the matched factor, or not even
        # correlated with it as a copy is (and not near-identical by the level either)
        uncorrelated = d > level_of_copy and _corr(x, y) < p.min_corr
        if (d > beyond or uncorrelated) and (worst is None or d > worst[1]):
            worst = (code, d)
    return worst


def _corr(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> float:
    """Pearson correlation of two equal-length series (0 when either is constant)."""
    if x.size < 2 or float(np.std(x)) == 0.0 or float(np.std(y)) == 0.0:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def _co_copied_bounds(
    data: PointData,
    s: Series,
    lag: dt.timedelta,
    stretch: tuple[dt.datetime, dt.datetime],
    core: tuple[dt.datetime, dt.datetime],
    identical_share: float,
) -> tuple[dt.datetime, dt.datetime]:
    """The part of ``stretch`` the point's other factors agree on: each other factor of the same data
    kind that is identical to its own values ``lag`` earlier over ``core`` (a copied factor) bounds the
    stretch at its nearest differing row before and after the core."""
    lo, hi = stretch
    for code in data.factor_codes(("pollutant", "flow", "auxiliary")):
        if code == s.code:
            continue
        other = data.series(code, (s.kind,))
        if other is None or other.n_valid == 0:
            continue
        v = other.valid.select("time", "value")
        j = (
            v.filter(pl.col("time").is_between(lo, hi, closed="left"))
            .join(v.select((pl.col("time") + lag).alias("time"), pl.col("value").alias("past")), on="time")
            .with_columns(
                ((pl.col("value") - pl.col("past")).abs() <= 1e-9 * pl.col("value").abs().clip(1.0)).alias(
                    "same"
                )
            )
        )
        in_core = j.filter(pl.col("time").is_between(core[0], core[1], closed="left"))["same"]
        if in_core.len() == 0 or float(in_core.mean() or 0.0) < identical_share:  # type: ignore[arg-type]
            continue  # not copied with this factor
        differs: list[dt.datetime] = j.filter(~pl.col("same"))["time"].to_list()
        before = [t for t in differs if t < core[0]]
        after = [t for t in differs if t >= core[1]]
        if before:
            lo = max(lo, max(before) + (other.step or dt.timedelta(0)))
        if after:
            hi = min(hi, min(after))
    return lo, hi
