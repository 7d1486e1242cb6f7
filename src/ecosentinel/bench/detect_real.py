"""Real backgrounds as labelled point runs: segments with one injection each, and untouched segments.

Every track of a background (``detect_backgrounds``) is cut into segments of the background's
``segment_days``. Injected runs: for each applicable (scenario, severity) ``per_combo`` segments, taken
round robin over the tracks and segments that can carry it (``detect_inject.place``), each a copy with
one injection. Clean runs: every segment untouched (their point-days give the clean false-positive rate).
Hourly tracks become platform hour rows; minute tracks become minute rows plus hour rows (the mean of
the hour's minutes, times ``hour_scale`` where an hourly mismatch is injected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from ecosentinel.bench.detect_backgrounds import Background, Track
from ecosentinel.bench.detect_corpus import SEVERITIES, PointRun, cst_days
from ecosentinel.bench.detect_inject import INJECTORS, NEVER, place, why_not
from ecosentinel.detection.calibration import MIN_HISTORY_DAYS, build_profile, with_profile
from ecosentinel.detection.context import WC_PRODUCTION, WC_TREATMENT, PointContext
from ecosentinel.detection.profile import PointProfile
from ecosentinel.readings import CST, READING_SCHEMA
from ecosentinel.simulator import SCENARIO_IDS
from ecosentinel.simulator.models import Label

_SEGREGATED = ("C", "M", "D", "F", "P", "B")


@dataclass(frozen=True, slots=True)
class Segment:
    track: Track
    index: int
    a: int
    b: int


def segments(bg: Background, max_per_track: int | None = None) -> list[Segment]:
    """Consecutive CST-day-aligned segments of ``segment_days`` (a shorter track is one segment)."""
    out: list[Segment] = []
    for tr in bg.tracks:
        seg = bg.segment_days * 24 * tr.per_hour
        first = tr.first_midnight
        if tr.n - first < seg:
            starts = [first]
            seg = (tr.n - first) // (24 * tr.per_hour) * 24 * tr.per_hour
        else:
            starts = list(range(first, tr.n - seg + 1, seg))
        k = 0
        for a in starts:
            code = tr.target or next(iter(tr.values))
            present = np.isfinite(tr.values[code][a : a + seg]).mean()
            if present < 0.3:  # cn-effluent's empty months: nothing to screen
                continue
            out.append(Segment(tr, k, a, a + seg))
            k += 1
            if max_per_track is not None and k >= max_per_track:
                break
    return out


def applicable(bg: Background) -> dict[str, str | None]:
    """Per scenario id: None when some point of the background can carry it, else why not."""
    out: dict[str, str | None] = {}
    for sid in SCENARIO_IDS:
        reasons = [why_not(tr, sid) for tr in bg.tracks]
        out[sid] = None if any(r is None for r in reasons) else (reasons[0] or NEVER.get(sid, "?"))
    return out


def _times(tr: Track) -> pl.Series:
    start = np.datetime64(tr.start.replace(tzinfo=None), "us")
    arr = start + np.arange(tr.n) * np.timedelta64(tr.step_min * 60_000_000, "us")
    return pl.Series("time", arr).dt.replace_time_zone("UTC")


def _rows(
    mn: str,
    code: str,
    kind: str,
    times: pl.Series,
    value: np.ndarray,
    flag: np.ndarray,
    zs: np.ndarray | None,
) -> pl.DataFrame:
    n = len(value)
    return pl.DataFrame(
        {
            "mn": pl.Series([mn] * n, dtype=pl.Utf8),
            "code": pl.Series([code] * n, dtype=pl.Utf8),
            "kind": pl.Series([kind] * n, dtype=pl.Utf8),
            "time": times,
            "source": pl.Series(["platform"] * n, dtype=pl.Utf8),
            "value": pl.Series(value, dtype=pl.Float64, nan_to_null=True),
            "vmin": pl.Series([None] * n, dtype=pl.Float64),
            "vmax": pl.Series([None] * n, dtype=pl.Float64),
            "cou": pl.Series([None] * n, dtype=pl.Float64),
            "zs": pl.Series(zs if zs is not None else [None] * n, dtype=pl.Float64, nan_to_null=True),
            "flag": pl.Series(flag.astype(str), dtype=pl.Utf8),
        },
        schema=READING_SCHEMA,
    ).filter(pl.col("value").is_not_null())


def _hour_of(tr: Track, code: str, arr: np.ndarray, flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hour means of valid minutes (≥ 45 valid, HJ 75), the hour's most common flag otherwise."""
    n_h = tr.n // 60
    m = arr[: n_h * 60].reshape(n_h, 60).copy()
    f = flags[: n_h * 60].reshape(n_h, 60)
    valid = np.isfinite(m) & ~np.isin(f, _SEGREGATED)
    count = valid.sum(axis=1)
    mean = np.where(count > 0, np.where(valid, m, 0.0).sum(axis=1) / np.maximum(count, 1), np.nan)
    hour_flag = np.full(n_h, "N", dtype="<U1")
    bad = count < 45
    for i in np.flatnonzero(bad):
        vals, cnt = np.unique(f[i], return_counts=True)
        hour_flag[i] = vals[int(np.argmax(cnt))]
    mean = np.where(bad & ~np.isfinite(m).any(axis=1), np.nan, mean)
    present = np.isfinite(m).any(axis=1)
    mean = np.where(
        present & ~np.isfinite(mean), np.nanmean(np.where(np.isfinite(m), m, np.nan), axis=1), mean
    )
    if tr.hour_scale is not None and code in tr.pollutants:
        mean = mean * tr.hour_scale[: n_h * 60].reshape(n_h, 60).mean(axis=1)
    res = tr.resolution.get(code, 0.0)
    return (np.round(mean / res) * res if res > 0 else mean), hour_flag


def frame_of(tr: Track, mn: str) -> pl.DataFrame:
    """The readings frame of a track (READING_SCHEMA)."""
    times = _times(tr)
    kind = "hour" if tr.step_min == 60 else "minute"
    parts = []
    for code, arr in tr.values.items():
        parts.append(_rows(mn, code, kind, times, arr, tr.flags[code], tr.zs.get(code)))
    if tr.wc is not None:
        parts.append(_rows(mn, WC_PRODUCTION, kind, times, tr.wc, np.full(tr.n, "N"), None))
    if tr.treat is not None:
        parts.append(_rows(mn, WC_TREATMENT, kind, times, tr.treat, np.full(tr.n, "N"), None))
    if kind == "minute":
        n_h = tr.n // 60
        htimes = times.gather(np.arange(n_h) * 60)
        for code, arr in tr.values.items():
            mean, hflag = _hour_of(tr, code, arr, tr.flags[code])
            zs = None
            if code in tr.zs:
                zs, _ = _hour_of(tr, code, tr.zs[code], tr.flags[code])
            parts.append(_rows(mn, code, "hour", htimes, mean, hflag, zs))
    return pl.concat(parts)


def context_of(tr: Track, mn: str) -> PointContext:
    return PointContext(
        mn=mn, point_type=tr.point_type, enterprise_id=mn, factors=dict(tr.factors), ref_o2=tr.ref_o2
    )


PROFILE_DAYS = 30
"""History before a segment that calibrates its point, as the screening service reads it."""


class Profiles:
    """Each segment's profile from the ``PROFILE_DAYS`` of its own track before it, as the screening
    service calibrates each month on the 30 days before it; a segment with less than
    ``MIN_HISTORY_DAYS`` before it (a track's first) is calibrated on the ``PROFILE_DAYS`` after it
    instead, as the service does for a point's first month (``screening.profiles``), and keeps the rules'
    constants when neither side is long enough. Built once per segment: injected copies of a segment
    share the clean history around it."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self._built: dict[tuple[str, int], PointProfile | None] = {}

    def context(self, seg: Segment, tr: Track, mn: str) -> PointContext:
        context = context_of(tr, mn)
        if not self.enabled:
            return context
        key = (seg.track.name, seg.a)
        if key not in self._built:
            per_day = 24 * seg.track.per_hour
            n = PROFILE_DAYS * per_day
            enough = MIN_HISTORY_DAYS * per_day
            a, b = max(0, seg.a - n), seg.a
            if b - a < enough:  # calibration needs two weeks at least: the days after the segment
                a, b = seg.b, min(seg.track.n, seg.b + n)
            profile = None
            if b - a >= enough:
                history = seg.track.slice(a, b, f"{seg.track.name}-history")
                profile = build_profile(frame_of(history, mn), context_of(history, mn))
            self._built[key] = profile
        profile = self._built[key]
        return context if profile is None else with_profile(context, replace(profile, mn=mn))


def _run(
    bg: Background,
    tr: Track,
    mn: str,
    batch: str,
    labels: list[Label],
    sev: str,
    context: PointContext | None = None,
) -> PointRun:
    return PointRun(
        source=bg.name,
        batch=batch,
        frame=frame_of(tr, mn),
        context=context or context_of(tr, mn),
        labels=labels,
        days=_days(tr),
        severity_name=sev,
    )


def _days(tr: Track) -> list[dt.date]:
    """CST days fully covered by the track (partial first/last days are not point-days)."""
    days = cst_days(_times(tr))
    first, last = tr.start, tr.time_at(tr.n)
    out = []
    for d in days:
        a = dt.datetime.combine(d, dt.time(0), tzinfo=CST)
        if a >= first and a + dt.timedelta(days=1) <= last:
            out.append(d)
    return out


def injected_runs(
    bg: Background,
    *,
    seed: int,
    severities: list[str],
    scenarios: list[str],
    per_combo: int,
    max_segments: int | None = None,
    profiles: Profiles | None = None,
    gap_episodes: int = 1,
) -> Iterator[PointRun]:
    """``per_combo`` runs per applicable (scenario, severity), each one segment with one injection.

    ``gap_episodes`` > 1: a ``gap_during_exceedance`` segment carries up to that many silenced
    exceedances (as many as its operating days can place), at least two days apart, each its own
    label (a point that cuts its monitoring whenever an exceedance comes, which R09 judges over the
    month; one episode is the default)."""
    profiles = profiles or Profiles(enabled=False)
    rng = np.random.default_rng(seed)
    segs = segments(bg, max_segments)
    pointer = 0
    for sid in scenarios:
        fitting = [s for s in segs if why_not(s.track, sid) is None]
        if not fitting:
            continue
        for sev_name in severities:
            made, tries = 0, 0
            while made < per_combo and tries < len(fitting) + per_combo:
                seg = fitting[pointer % len(fitting)]
                pointer += 1
                tries += 1
                tr = seg.track.slice(seg.a, seg.b, f"{seg.track.name}-{seg.index:02d}")
                i0 = place(tr, sid, rng)
                if i0 is None:
                    continue
                codes, a, b = INJECTORS[sid](tr, i0, SEVERITIES[sev_name], rng)
                mn = f"{tr.name}-{sid}-{sev_name}-{made}"
                labels = [Label(mn, sid, tr.time_at(a), tr.time_at(b), tuple(codes), SEVERITIES[sev_name])]
                if sid == "gap_during_exceedance":
                    labels += _more_episodes(tr, sid, mn, sev_name, gap_episodes - 1, labels, rng)
                made += 1
                context = profiles.context(seg, tr, mn)
                yield _run(bg, tr, mn, f"{bg.name}:{sid}@{sev_name}", labels, sev_name, context)


EPISODE_APART = dt.timedelta(days=2)
"""Extra episodes of one segment start at least this far from each other."""


def _more_episodes(
    tr: Track, sid: str, mn: str, sev_name: str, n: int, labels: list[Label], rng: np.random.Generator
) -> list[Label]:
    """Up to ``n`` more injections of ``sid`` into ``tr``, each ``EPISODE_APART`` from the others."""
    out: list[Label] = []
    for _ in range(max(0, n)):
        for _try in range(20):
            i0 = place(tr, sid, rng)
            apart = i0 is not None and all(
                abs(tr.time_at(i0) - lab.start) >= EPISODE_APART for lab in labels + out
            )
            if i0 is not None and apart:
                codes, a, b = INJECTORS[sid](tr, i0, SEVERITIES[sev_name], rng)
                out.append(Label(mn, sid, tr.time_at(a), tr.time_at(b), tuple(codes), SEVERITIES[sev_name]))
                break
    return out


def clean_runs(
    bg: Background, max_segments: int | None = None, profiles: Profiles | None = None
) -> Iterator[PointRun]:
    """Every segment untouched."""
    profiles = profiles or Profiles(enabled=False)
    for seg in segments(bg, max_segments):
        tr = seg.track.slice(seg.a, seg.b, f"{seg.track.name}-{seg.index:02d}")
        mn = f"{tr.name}-clean"
        yield _run(bg, tr, mn, f"{bg.name}:clean", [], "-", profiles.context(seg, tr, mn))
