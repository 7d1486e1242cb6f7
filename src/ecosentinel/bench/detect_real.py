"""Real public series for the accuracy benchmark: clean runs and scenario injections.

Reads the Beijing multi-site air-quality CSVs (12 ambient stations, hourly, 2013-03..2017-02; UCI,
CC BY 4.0 [M]) from the shared data folder at run time (never copied into the project). SO2, NO2, CO and
PM2.5 are mapped to flue-gas factor codes with GB 3095-2012 grade II hourly limits (PM2.5: the 24-h
value 75, a deliberately harsh test). Each station's series is cut into segments of ``segment_days``;
one scenario is injected per segment, in turn over ``REAL_SCENARIOS``, and the untouched point-days stay
clean. Only hourly data of one source exist, so scenarios that need minute data, working-condition
series, O&M records, door events or parameter uploads cannot be injected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import polars as pl

from ecosentinel.bench.detect_corpus import SEVERITIES, PointRun, cst_days
from ecosentinel.detection.context import FactorSpec, PointContext, PointType
from ecosentinel.readings import CST, READING_SCHEMA
from ecosentinel.simulator.models import Label

BEIJING: dict[str, tuple[str, float, float, float]] = {
    # column -> (code, limit, range_high, detection_limit)
    "SO2": ("a21026", 500.0, 1000.0, 3.0),
    "NO2": ("a21004", 200.0, 500.0, 2.0),
    "CO": ("a21005", 10000.0, 20000.0, 100.0),
    "PM2.5": ("a34013", 75.0, 1000.0, 3.0),
}
TARGET = "a21004"
"""The factor single-factor scenarios act on (NO2: rarely over its limit, so injected peaks stand out)."""

Injector = Callable[[dict[str, np.ndarray], int, float, np.random.Generator], tuple[list[str], int, int]]
"""(values per code, hour index of the window start, severity, rng) -> (codes changed, first, last+1)."""


def _constant_value(
    v: dict[str, np.ndarray], i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    i1 = i0 + 24
    for code, arr in v.items():
        base = arr[i0]
        if np.isnan(base):
            base = float(np.nanmedian(arr[max(0, i0 - 24) : i0 + 1])) if i0 else 1.0
        if sev >= 0.75:
            arr[i0:i1] = base
        else:
            span = BEIJING_RANGE[code] * 0.004 * (1 - sev)
            arr[i0:i1] = np.round(base + rng.uniform(-span / 2, span / 2, i1 - i0))
    return list(v), i0, i1


def _zero_negative(
    v: dict[str, np.ndarray], i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    i1 = i0 + 6
    codes = list(v) if sev >= 0.75 else [TARGET]
    for code in codes:
        v[code][i0:i1] = 0.0
    return codes, i0, i1


def _replay(
    v: dict[str, np.ndarray], i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    back = 24 * int(rng.integers(1, 8))
    i1 = i0 + 24
    for arr in v.values():
        copy = arr[i0 - back : i1 - back].copy()
        if sev < 1:
            copy = np.round(copy * (1 + 0.01 * rng.uniform(-1, 1, copy.size)))
        arr[i0:i1] = copy
    return list(v), i0, i1


def _bunching(
    v: dict[str, np.ndarray], i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    i1 = i0 + 5 * 24
    limit = BEIJING_LIMIT[TARGET]
    arr = v[TARGET]
    seg = arr[i0:i1]
    median = float(np.nanmedian(seg)) or 1.0
    lifted = seg * ((0.8 + 0.12 * sev) * limit / median)
    over = lifted > 0.93 * limit
    lifted[over] = rng.uniform(0.93, 0.995, int(over.sum())) * limit
    arr[i0:i1] = np.round(lifted)
    return [TARGET], i0, i1


def _humps(n: int, peak: float, base: float) -> np.ndarray:
    t = np.arange(n, dtype=np.float64)
    shape = np.maximum(np.exp(-0.5 * ((t - n * 0.25) / max(1.0, n / 12)) ** 2), 0)
    shape = np.maximum(shape, np.exp(-0.5 * ((t - n * 0.75) / max(1.0, n / 12)) ** 2))
    return base + (peak - base) * shape


def _exceed(arr: np.ndarray, i0: int, i1: int, limit: float, rng: np.random.Generator) -> None:
    base = float(np.nanmedian(arr[i0:i1])) if np.isfinite(arr[i0:i1]).any() else limit * 0.3
    peak = limit * rng.uniform(1.3, 1.7)
    arr[i0:i1] = np.round(np.maximum(arr[i0:i1], _humps(i1 - i0, peak, base)))


def _gap_during_exceedance(
    v: dict[str, np.ndarray], i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    i1 = i0 + 6
    limit = BEIJING_LIMIT[TARGET]
    _exceed(v[TARGET], i0, i1, limit, rng)
    over = np.flatnonzero(v[TARGET][i0:i1] > limit) + i0
    for arr in v.values():
        arr[over] = np.nan  # the whole station goes silent while over the limit
    return [TARGET], i0, i1


def _post_exceedance_drop(
    v: dict[str, np.ndarray], i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    limit = BEIJING_LIMIT[TARGET]
    arr = v[TARGET]
    prev = float(arr[i0 - 1]) if np.isfinite(arr[i0 - 1]) else limit * 0.3
    arr[i0] = round(limit * (1.25 + 0.35 * sev))
    n_low = 1 + round(sev)
    arr[i0 + 1 : i0 + 1 + n_low] = round(prev * (0.3 + 0.7 * (1 - sev)))
    return [TARGET], i0, i0 + 1 + n_low


def _flag_abuse(
    v: dict[str, np.ndarray], i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    i1 = i0 + 8
    _exceed(v[TARGET], i0, i1, BEIJING_LIMIT[TARGET], rng)
    return [TARGET], i0, i1  # the hours over 0.9·limit are flagged C by ``_flags``


REAL_SCENARIOS: dict[str, Injector] = {
    "constant_value": _constant_value,
    "zero_negative": _zero_negative,
    "replay": _replay,
    "bunching": _bunching,
    "gap_during_exceedance": _gap_during_exceedance,
    "post_exceedance_drop": _post_exceedance_drop,
    "flag_abuse": _flag_abuse,
}
BEIJING_LIMIT = {code: limit for code, limit, _, _ in BEIJING.values()}
BEIJING_RANGE = {code: hi for code, _, hi, _ in BEIJING.values()}


def _context(mn: str) -> PointContext:
    return PointContext(
        mn=mn,
        point_type=PointType.GAS,
        enterprise_id=mn,
        factors={
            code: FactorSpec(limit=lim, range_high=hi, detection_limit=dl)
            for code, lim, hi, dl in BEIJING.values()
        },
    )


def _frame(
    mn: str, times: list[dt.datetime], values: dict[str, np.ndarray], flags: dict[str, list[str]]
) -> pl.DataFrame:
    parts = []
    n = len(times)
    for code, arr in values.items():
        parts.append(
            pl.DataFrame(
                {
                    "mn": [mn] * n,
                    "code": [code] * n,
                    "kind": ["hour"] * n,
                    "time": times,
                    "source": ["platform"] * n,
                    "value": arr,
                    "vmin": [None] * n,
                    "vmax": [None] * n,
                    "cou": [None] * n,
                    "zs": [None] * n,
                    "flag": flags.get(code, ["N"] * n),
                },
                schema=READING_SCHEMA,
                nan_to_null=True,
            ).filter(pl.col("value").is_not_null())
        )
    return pl.concat(parts)


def load_beijing(
    data: Path, stations: int | None = None
) -> list[tuple[str, list[dt.datetime], dict[str, np.ndarray]]]:
    """(station, hourly UTC times, values per code) for each station file, sorted by name."""
    out = []
    paths = sorted((data / "beijing-multisite-aq").glob("PRSA_Data_*.csv"))
    if not paths:
        raise FileNotFoundError(f"no PRSA_Data_*.csv under {data / 'beijing-multisite-aq'}")
    for path in paths[:stations]:
        raw = pl.read_csv(path, null_values="NA", infer_schema=False).with_columns(
            pl.col(["year", "month", "day", "hour"]).cast(pl.Int32), pl.col(list(BEIJING)).cast(pl.Float64)
        )
        times = (
            raw.select(pl.datetime("year", "month", "day", "hour", time_zone=CST.key).alias("t"))["t"]
            .dt.convert_time_zone("UTC")
            .dt.cast_time_unit("us")
            .to_list()
        )
        values = {code: raw[col].to_numpy().astype(np.float64) for col, (code, _, _, _) in BEIJING.items()}
        out.append((str(raw["station"][0]), times, values))
    return out


def real_runs(
    data: Path,
    *,
    seed: int,
    severities: list[str],
    segment_days: int = 60,
    stations: int | None = None,
    max_segments: int | None = None,
) -> Iterator[PointRun]:
    """One run per station segment, each with one injected scenario (round robin over types, severities)."""
    rng = np.random.default_rng(seed)
    names = list(REAL_SCENARIOS)
    k = 0
    for station, times, values in load_beijing(data, stations):
        seg = segment_days * 24
        for s0 in range(0, len(times) - seg + 1, seg):
            if max_segments is not None and k >= max_segments:
                return
            scenario = names[k % len(names)]
            sev_name = severities[(k // len(names)) % len(severities)]
            k += 1
            v = {code: arr[s0 : s0 + seg].copy() for code, arr in values.items()}
            seg_times = times[s0 : s0 + seg]
            # a window on a CST day boundary, well inside the segment (history before, days after)
            day0 = int(rng.integers(segment_days // 3, segment_days - 8))
            offset = (24 - seg_times[0].astimezone(CST).hour) % 24
            i0 = (
                offset
                + day0 * 24
                + (0 if scenario in ("replay", "constant_value") else int(rng.integers(0, 18)))
            )
            codes, a, b = REAL_SCENARIOS[scenario](v, i0, SEVERITIES[sev_name], rng)
            flags: dict[str, list[str]] = {}
            if scenario == "flag_abuse":
                limit = BEIJING_LIMIT[TARGET]
                flags[TARGET] = [
                    "C" if a <= i < b and np.isfinite(x) and x > 0.9 * limit else "N"
                    for i, x in enumerate(v[TARGET])
                ]
            mn = f"{station}-{s0 // seg:02d}"
            frame = _frame(mn, seg_times, v, flags)
            end = seg_times[min(b, seg) - 1] + dt.timedelta(hours=1)
            label = Label(mn, scenario, seg_times[a], end, tuple(codes), SEVERITIES[sev_name])
            yield PointRun(
                source="real",
                batch=f"real:{scenario}@{sev_name}",
                frame=frame,
                context=_context(mn),
                labels=[label],
                days=cst_days(pl.Series(seg_times, dtype=pl.Datetime("us", "UTC"))),
                severity_name=sev_name,
            )


def clean_station_runs(data: Path, stations: int | None = None) -> Iterator[PointRun]:
    """Each station's whole series, untouched (per-rule false-positive rates on real data)."""
    for station, times, values in load_beijing(data, stations):
        yield PointRun(
            source="real-clean",
            batch="real:clean",
            frame=_frame(station, times, values, {}),
            context=_context(station),
            labels=[],
            days=cst_days(pl.Series(times, dtype=pl.Datetime("us", "UTC"))),
            severity_name="-",
        )
