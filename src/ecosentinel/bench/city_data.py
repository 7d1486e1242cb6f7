"""Synthetic city data for ``bench city``: a registry and minute readings written straight into the archive.

The simulator (``ecosentinel.simulator``) builds a few stations with every side record and scenario, one
Python loop per station; at city size (800 points x 30 days x 1440 minutes x 8 factors, about 276 million
readings) that is far too slow and too large for memory. This generator is vectorised instead: one day at a
time, every point at once as numpy arrays of shape (points, 8 factors, 1440 minutes), with the AR(1) noise
states carried from one day to the next, then one Parquet partition per (day, bucket) sealed into the hash
chain with the archive's own ``seal_partition`` (same layout, schema, order, compression and chain as
``archive build``). Memory stays bounded by one day.

The series follow the simulator's industry profiles (``simulator.profiles``): 70 % wastewater points
(COD, NH3-N, TP, TN held per analyser cycle, pH, flow with its cumulative volume, the production and
treatment power of the working-condition series), 30 % flue-gas points (SO2, NOx, PM measured and O2-converted
``zs``, O2, temperature, humidity, flow, production power): 8 series per point, daily production cycles,
AR(1) noise, values rounded to the analyser's resolution, transmission gaps (every factor of a point missing
for a few minutes to a few hours) and a few injected anomalies (a pollutant held flat for six hours, a
water point's flow at zero while production runs) so the rules have real work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
from scipy.signal import lfilter  # type: ignore[import-untyped]

from ecosentinel.archive.build import locked, seal_partition
from ecosentinel.archive.chain import Entry, read_chain
from ecosentinel.archive.layout import READINGS, Layout, day_bounds, open_layout
from ecosentinel.errors import EcoSentinelError
from ecosentinel.readings import READING_SCHEMA, DataFlag, DataKind, Source
from ecosentinel.registry.enums import PointType
from ecosentinel.simulator.profiles import (
    COD,
    GAS_INDUSTRIES,
    GFLOW,
    HUM,
    NH3N,
    NOX,
    O2,
    PH,
    PM,
    SO2,
    TEMP,
    TN,
    TP,
    WATER_INDUSTRIES,
    WC_PROD,
    WC_TREAT,
    WFLOW,
    Industry,
    credit_code,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

MINUTES = 1440
FACTORS_PER_POINT = 8
FIRST_DAY = dt.date(2026, 1, 5)
"""The generated month starts here (a Monday, China Standard Time): fixed, so runs are comparable."""
WATER_CODES = tuple(sorted((COD, NH3N, TP, TN, PH, WFLOW, WC_PROD, WC_TREAT)))
GAS_CODES = tuple(sorted((SO2, NOX, PM, O2, TEMP, HUM, GFLOW, WC_PROD)))
GAPS_PER_POINT_DAY = 0.3
"""Expected transmission gaps per point and day (lengths 3 minutes to 4 hours, log-normal around 20)."""
FLAT_PER_POINT_DAY = 0.01
"""Injected: the main pollutant held at one value for six hours."""
ZERO_FLOW_PER_POINT_DAY = 0.005
"""Injected (wastewater): flow reported as zero for three hours while production runs."""


@dataclass(frozen=True, slots=True)
class CityPoint:
    """One generated monitoring point."""

    index: int
    mn: str
    industry: Industry

    @property
    def water(self) -> bool:
        return self.industry.type is PointType.WATER

    @property
    def codes(self) -> tuple[str, ...]:
        return WATER_CODES if self.water else GAS_CODES


def plan_points(points: int, seed: int = 7) -> list[CityPoint]:
    """``points`` points, 30 % flue gas (the rest wastewater), industries in turn; sorted by MN."""
    gas = points * 3 // 10
    out: list[CityPoint] = []
    for i in range(points):
        industry = (
            GAS_INDUSTRIES[(i - (points - gas)) % len(GAS_INDUSTRIES)]
            if i >= points - gas
            else WATER_INDUSTRIES[i % len(WATER_INDUSTRIES)]
        )
        out.append(CityPoint(i, f"330499{seed % 10**12:012d}{i + 1:06d}", industry))
    return out


def registry_of(points: list[CityPoint]) -> dict[str, Any]:
    """The registry (``import_registry`` shape): one enterprise per wastewater point; each flue-gas point
    belongs to a wastewater point's enterprise in turn (an enterprise with both), or its own when there is
    none."""
    enterprises: list[dict[str, Any]] = []
    water = [p for p in points if p.water]
    for k, p in enumerate(points):
        if not p.water and water:
            enterprise = enterprises[k % len(water)]
        else:
            enterprise = {
                "name": f"嘉兴城市基准{p.industry.name}企业{k + 1:04d}",
                "credit_code": credit_code(f"91330400MA{k + 1:07d}"),
                "industry": p.industry.name,
                "address": f"浙江省嘉兴市南湖区基准路{k + 1}号",
                "points": [],
            }
            enterprises.append(enterprise)
        entry: dict[str, Any] = {
            "mn": p.mn,
            "pw": "123456",
            "name": p.industry.point_name,
            "type": p.industry.type.value,
            "factors": [
                {
                    "code": f.code,
                    **({"limit": f.limit} if f.limit is not None else {}),
                    **({"limit_low": f.limit_low} if f.limit_low is not None else {}),
                    **({"unit": f.unit} if f.unit else {}),
                    "range": f.range_hi,
                }
                for f in p.industry.factors
            ],
        }
        if p.industry.ref_o2 is not None:
            entry["ref_o2"] = p.industry.ref_o2
        enterprise["points"].append(entry)
    return {"enterprises": enterprises}


@dataclass(slots=True)
class GenerationResult:
    """What ``generate_archive`` wrote."""

    points: int
    days: int
    readings: int = 0
    gap_readings: int = 0  # readings absent because of transmission gaps (every factor of the point)
    flat_anomalies: int = 0
    zero_flow_anomalies: int = 0
    partitions: int = 0
    bytes: int = 0
    entries: list[Entry] = field(default_factory=list)

    @property
    def expected_readings(self) -> int:
        return self.points * self.days * MINUTES * FACTORS_PER_POINT - self.gap_readings


def _bump(m: FloatArray, centre: float, width: float) -> FloatArray:
    d = np.minimum(np.abs(m - centre), MINUTES - np.abs(m - centre))
    return np.asarray(np.exp(-0.5 * (d / width) ** 2), dtype=np.float64)


def _base_load(schedule: str, weekday: int) -> FloatArray:
    """Production load (0…1) over one day's minutes for a working pattern (the simulator's shapes)."""
    m = np.arange(MINUTES, dtype=np.float64)
    if schedule == "two_shift":
        on = (m >= 480) & (weekday != 6)
        base = np.where(on, 1.0, 0.03)
        base = np.where(on & (m >= 960) & (m < 980), 0.85, base)
    elif schedule == "day_shift":
        on = (m >= 480) & (m < 1050) & (weekday < 5)
        base = np.where(on, 1.0, 0.02)
        base = np.where(on & (m >= 720) & (m < 780), 0.5, base)
    elif schedule == "load_follow":
        demand = np.minimum(_bump(m, 630, 130) + 0.9 * _bump(m, 1170, 120), 1.0)
        base = 0.58 + 0.36 * demand - 0.06 * (weekday >= 5)
    elif schedule == "wwtp":
        base = 0.7 + 0.18 * _bump(m, 560, 100) + 0.14 * _bump(m, 1230, 120)
    else:
        base = 0.92 + 0.04 * np.sin(2 * np.pi * m / MINUTES)
    # a first-order lag of 15 minutes, so starts and stops ramp
    a = float(np.exp(-1.0 / 15.0))
    out, _ = lfilter([1 - a], [1.0, -a], base, zi=[a * float(base[0])])
    return np.asarray(out, dtype=np.float64)


class _Noise:
    """AR(1) noise with unit variance per row, its state carried from one day to the next."""

    def __init__(self, rng: np.random.Generator, rows: int, tau: float) -> None:
        self.rng = rng
        self.a = float(np.exp(-1.0 / tau))
        self.state = rng.standard_normal(rows)

    def day(self) -> FloatArray:
        e = self.rng.standard_normal((self.state.size, MINUTES))
        out, _ = lfilter(
            [np.sqrt(1 - self.a * self.a)], [1.0, -self.a], e, axis=1, zi=self.a * self.state[:, None]
        )
        self.state = out[:, -1].copy()
        return np.asarray(out, dtype=np.float64)


def _round(values: FloatArray, resolution: FloatArray) -> FloatArray:
    """Round to each factor's printed resolution (broadcast over the last axis)."""
    return np.asarray(np.round(values / resolution) * resolution, dtype=np.float64)


class _Block:
    """The points of one type (wastewater or flue gas), generated together one day at a time."""

    def __init__(self, points: list[CityPoint], rng: np.random.Generator) -> None:
        self.points = points
        n = len(points)
        self.n = n
        self.rng = rng
        self.codes = points[0].codes if points else ()
        industries = [p.industry for p in points]
        self.schedules = [i.schedule for i in industries]

        def spec(attr: str, code: str, default: float = 0.0) -> FloatArray:
            values = []
            for ind in industries:
                try:
                    values.append(float(getattr(ind.factor(code), attr)))
                except KeyError:
                    values.append(default)
            return np.asarray(values, dtype=np.float64)[:, None]

        self.spec = spec
        self.prod_kw = np.asarray([i.prod_kw for i in industries], dtype=np.float64)[:, None]
        self.treat_kw = np.asarray([i.treat_kw for i in industries], dtype=np.float64)[:, None]
        self.ref_o2 = np.asarray([i.ref_o2 or 0.0 for i in industries], dtype=np.float64)[:, None]
        self.o2_full = np.asarray([i.o2_full for i in industries], dtype=np.float64)[:, None]
        self.o2_low = np.asarray([i.o2_low_extra for i in industries], dtype=np.float64)[:, None]
        self.resolution = np.asarray(
            [[_resolution(ind, c) for c in self.codes] for ind in industries], dtype=np.float64
        ).reshape(n, len(self.codes), 1)
        self.load_noise = _Noise(rng, n, 30)
        self.slow = _Noise(rng, n, 600)
        self.factor_noise = {c: _Noise(rng, n, tau) for c, tau in _TAUS.items() if c in self.codes}
        self.phase = rng.integers(0, 120, size=n)

    def load(self, weekday: int) -> FloatArray:
        bases = {s: _base_load(s, weekday) for s in set(self.schedules)}
        base = np.stack([bases[s] for s in self.schedules]) if self.n else np.zeros((0, MINUTES))
        return np.clip(base * (1 + 0.03 * self.load_noise.day()), 0.0, 1.05)


_TAUS: dict[str, float] = {
    COD: 120,
    NH3N: 120,
    TP: 120,
    TN: 120,
    PH: 180,
    WFLOW: 30,
    WC_PROD: 10,
    WC_TREAT: 15,
    SO2: 60,
    NOX: 60,
    PM: 60,
    O2: 30,
    TEMP: 60,
    HUM: 120,
    GFLOW: 20,
}
_CYCLES = {COD: 60, NH3N: 60, TP: 120, TN: 120}
"""Water analysers measure in cycles: each minute shows the last result (minutes per cycle)."""


def _resolution(industry: Industry, code: str) -> float:
    try:
        return industry.factor(code).resolution
    except KeyError:
        return 0.1  # the working-condition power series (kW)


@dataclass(slots=True)
class DayArrays:
    """One day of one block: (points, 8, 1440) per column, NaN = no value; ``present`` (points, 1440)."""

    value: FloatArray
    vmin: FloatArray
    vmax: FloatArray
    cou: FloatArray
    zs: FloatArray
    present: BoolArray


def _gaps(rng: np.random.Generator, n: int) -> BoolArray:
    present = np.ones((n, MINUTES), dtype=bool)
    counts = rng.poisson(GAPS_PER_POINT_DAY, size=n)
    for p in np.flatnonzero(counts).tolist():
        for _ in range(int(counts[p])):
            i0 = int(rng.integers(0, MINUTES))
            length = int(np.clip(rng.lognormal(np.log(20), 1.0), 3, 240))
            present[p, i0 : i0 + length] = False
    return present


def _water_day(b: _Block, weekday: int, result: GenerationResult) -> DayArrays:
    n, codes, rng = b.n, b.codes, b.rng
    load = b.load(weekday)
    slow = b.slow.day()
    col = {c: i for i, c in enumerate(codes)}
    value = np.empty((n, len(codes), MINUTES))
    spread = np.zeros((n, len(codes), MINUTES))
    cou = np.full((n, len(codes), MINUTES), np.nan)
    m = np.arange(MINUTES)
    for code, period in _CYCLES.items():
        c = (
            b.spec("mean", code)
            * (0.75 + 0.35 * load + 0.05 * slow)
            * np.exp(0.08 * b.factor_noise[code].day())
        )
        first = np.clip(m[None, :] - (m[None, :] - b.phase[:, None]) % period, 0, MINUTES - 1)
        value[:, col[code]] = np.take_along_axis(c, first, axis=1)  # the result shown until the next one
    value[:, col[PH]] = b.spec("mean", PH) + 0.12 * b.factor_noise[PH].day() + 0.15 * (load - 0.6)
    spread[:, col[PH]] = 0.02
    flow = b.spec("mean", WFLOW) * (0.08 + 0.92 * load) * (1 + 0.04 * b.factor_noise[WFLOW].day())
    value[:, col[WFLOW]] = flow
    spread[:, col[WFLOW]] = flow * 0.02
    value[:, col[WC_PROD]] = b.prod_kw * (0.02 + 0.98 * load) * (1 + 0.015 * b.factor_noise[WC_PROD].day())
    value[:, col[WC_TREAT]] = (
        b.treat_kw * (0.55 + 0.1 * slow + 0.35 * load) * (1 + 0.02 * b.factor_noise[WC_TREAT].day())
    )
    spread[:, col[WC_PROD]] = value[:, col[WC_PROD]] * 0.015
    # injected: COD held flat for six hours; flow at zero for three hours while production runs
    for p in np.flatnonzero(rng.random(n) < FLAT_PER_POINT_DAY).tolist():
        i0 = int(rng.integers(0, MINUTES - 360))
        value[p, col[COD], i0 : i0 + 360] = value[p, col[COD], i0]
        result.flat_anomalies += 1
    for p in np.flatnonzero(rng.random(n) < ZERO_FLOW_PER_POINT_DAY).tolist():
        i0 = int(rng.integers(600, MINUTES - 180))
        value[p, col[WFLOW], i0 : i0 + 180] = 0.0
        spread[p, col[WFLOW], i0 : i0 + 180] = 0.0
        result.zero_flow_anomalies += 1
    value = _round(np.maximum(value, 0.0), b.resolution)
    cou[:, col[WFLOW]] = np.round(value[:, col[WFLOW]] * 0.06, 3)  # L/s over a minute -> m3
    zs = np.full_like(value, np.nan)
    return DayArrays(
        value,
        _round(np.maximum(value - spread, 0.0), b.resolution),
        _round(value + spread, b.resolution),
        cou,
        zs,
        _gaps(rng, n),
    )


def _gas_day(b: _Block, weekday: int, result: GenerationResult) -> DayArrays:
    n, codes, rng = b.n, b.codes, b.rng
    load = b.load(weekday)
    slow = b.slow.day()
    col = {c: i for i, c in enumerate(codes)}
    value = np.empty((n, len(codes), MINUTES))
    spread = np.zeros((n, len(codes), MINUTES))
    zs = np.full((n, len(codes), MINUTES), np.nan)
    o2 = b.o2_full + b.o2_low * np.clip(1 - load, 0, 1) ** 1.5 + 0.25 * b.factor_noise[O2].day()
    o2 = np.clip(o2, b.o2_full - 1.5, 19.5)
    value[:, col[O2]] = o2
    spread[:, col[O2]] = 0.05
    conv_back = (21.0 - o2) / (21.0 - b.ref_o2)
    for code in (SO2, NOX, PM):
        converted = (
            b.spec("mean", code)
            * (0.85 + 0.25 * load + 0.05 * slow)
            * np.exp(0.12 * b.factor_noise[code].day())
        )
        value[:, col[code]] = converted * conv_back
        spread[:, col[code]] = value[:, col[code]] * 0.03
    value[:, col[TEMP]] = b.spec("mean", TEMP) - 8.0 * (1 - load) + 0.6 * b.factor_noise[TEMP].day()
    spread[:, col[TEMP]] = 0.2
    value[:, col[HUM]] = b.spec("mean", HUM) + 0.4 * b.factor_noise[HUM].day()
    spread[:, col[HUM]] = 0.1
    full = b.spec("mean", GFLOW)
    flow = full * (0.1 + 0.9 * load) * (21 - b.o2_full) / (21 - np.minimum(o2, 19.5))
    value[:, col[GFLOW]] = flow * (1 + 0.02 * b.factor_noise[GFLOW].day())
    spread[:, col[GFLOW]] = value[:, col[GFLOW]] * 0.02
    value[:, col[WC_PROD]] = b.prod_kw * (0.02 + 0.98 * load) * (1 + 0.015 * b.factor_noise[WC_PROD].day())
    spread[:, col[WC_PROD]] = value[:, col[WC_PROD]] * 0.015
    for p in np.flatnonzero(rng.random(n) < FLAT_PER_POINT_DAY).tolist():  # injected: SO2 held flat
        i0 = int(rng.integers(0, MINUTES - 360))
        value[p, col[SO2], i0 : i0 + 360] = value[p, col[SO2], i0]
        spread[p, col[SO2], i0 : i0 + 360] = 0.0
        result.flat_anomalies += 1
    value = _round(np.maximum(value, 0.0), b.resolution)
    # the logger converts what it reports: zs from the printed concentration and O2
    factor = (21.0 - b.ref_o2) / (21.0 - value[:, col[O2]])
    for code in (SO2, NOX, PM):
        zs[:, col[code]] = np.round(value[:, col[code]] * factor, 2)
    cou = np.full_like(value, np.nan)
    cou[:, col[GFLOW]] = np.round(value[:, col[GFLOW]] * 60.0, 1)  # m3/s over a minute -> m3
    return DayArrays(
        value,
        _round(np.maximum(value - spread, 0.0), b.resolution),
        _round(value + spread, b.resolution),
        cou,
        zs,
        _gaps(rng, n),
    )


def _column(values: FloatArray, keep: BoolArray) -> pl.Series:
    return pl.Series(values.reshape(-1)[keep], dtype=pl.Float64, nan_to_null=True)


def bucket_frame(
    mns: pl.Series, codes: pl.Series, code_index: IntArray, day: DayArrays, start: dt.datetime
) -> pl.DataFrame:
    """Readings of a set of points (sorted by MN) for one day, already in the archive's order
    (mn, code, kind, source, time) and READING_SCHEMA; absent minutes left out."""
    n, factors, _ = day.value.shape
    keep = np.broadcast_to(day.present[:, None, :], (n, factors, MINUTES)).reshape(-1)
    row_point = np.repeat(np.arange(n), factors * MINUTES)[keep]
    row_code = np.repeat(code_index.reshape(-1), MINUTES)[keep]
    start_us = int(start.timestamp()) * 1_000_000
    row_time = (start_us + np.tile(np.arange(MINUTES, dtype=np.int64) * 60_000_000, n * factors))[keep]
    height = int(keep.sum())
    return pl.DataFrame(
        {
            "mn": mns.gather(row_point),
            "code": codes.gather(row_code),
            "kind": pl.Series([DataKind.MINUTE.value]).gather(np.zeros(height, dtype=np.int64)),
            "time": pl.Series(row_time, dtype=pl.Int64).cast(pl.Datetime("us", "UTC")),
            "source": pl.Series([Source.PLATFORM.value]).gather(np.zeros(height, dtype=np.int64)),
            "value": _column(day.value, keep),
            "vmin": _column(day.vmin, keep),
            "vmax": _column(day.vmax, keep),
            "cou": _column(day.cou, keep),
            "zs": _column(day.zs, keep),
            "flag": pl.Series([DataFlag.NORMAL.value]).gather(np.zeros(height, dtype=np.int64)),
        },
        schema=READING_SCHEMA,
    )


def _stack(water: DayArrays | None, gas: DayArrays | None, order: IntArray) -> DayArrays:
    """Both blocks' arrays as one, rows in point order (``order``: row of each point in water + gas)."""
    parts = [d for d in (water, gas) if d is not None]

    def cat(name: str) -> Any:
        return np.concatenate([getattr(d, name) for d in parts])[order]

    return DayArrays(cat("value"), cat("vmin"), cat("vmax"), cat("cou"), cat("zs"), cat("present"))


def generate_archive(
    root: Path,
    points: list[CityPoint],
    days: int,
    *,
    seed: int = 7,
    first_day: dt.date = FIRST_DAY,
    progress: Any = None,
) -> GenerationResult:
    """Generate ``days`` days of minute readings of ``points`` into a new archive at ``root``: one
    partition per (day, bucket), sealed and chained with the archive's own functions."""
    layout: Layout = open_layout(root, create=True)
    if read_chain(layout):
        raise EcoSentinelError(f"archive {root} already holds partitions: give an empty directory")
    rng = np.random.default_rng([seed, 11])
    water_points = [p for p in points if p.water]
    gas_points = [p for p in points if not p.water]
    water = _Block(water_points, rng) if water_points else None
    gas = _Block(gas_points, rng) if gas_points else None
    # row of each point (sorted by MN) in the stacked water + gas arrays
    stacked = [*water_points, *gas_points]
    position = {p.mn: i for i, p in enumerate(stacked)}
    ordered = sorted(points, key=lambda p: p.mn)
    order = np.asarray([position[p.mn] for p in ordered], dtype=np.int64)
    all_codes = sorted({c for p in points for c in p.codes})
    codes = pl.Series("code", all_codes, dtype=pl.Utf8)
    code_of = {c: i for i, c in enumerate(all_codes)}
    code_index = np.asarray([[code_of[c] for c in p.codes] for p in ordered], dtype=np.int64)
    buckets: dict[int, IntArray] = {}
    for i, p in enumerate(ordered):
        buckets.setdefault(layout.bucket_of(p.mn), np.empty(0, dtype=np.int64))
        buckets[layout.bucket_of(p.mn)] = np.append(buckets[layout.bucket_of(p.mn)], i)
    mns = pl.Series("mn", [p.mn for p in ordered], dtype=pl.Utf8)
    result = GenerationResult(points=len(points), days=days)
    last: Entry | None = None
    with locked(layout):
        for d in range(days):
            day = first_day + dt.timedelta(days=d)
            weekday = day.weekday()
            arrays = _stack(
                _water_day(water, weekday, result) if water else None,
                _gas_day(gas, weekday, result) if gas else None,
                order,
            )
            result.gap_readings += int((~arrays.present).sum()) * FACTORS_PER_POINT
            start, _ = day_bounds(day)
            for bucket in sorted(buckets):
                rows = buckets[bucket]
                part = DayArrays(
                    arrays.value[rows],
                    arrays.vmin[rows],
                    arrays.vmax[rows],
                    arrays.cou[rows],
                    arrays.zs[rows],
                    arrays.present[rows],
                )
                frame = bucket_frame(mns.gather(rows), codes, code_index[rows], part, start)
                if frame.height == 0:
                    continue
                last = seal_partition(layout, READINGS, day, bucket, 0, frame, last, presorted=True)
                result.entries.append(last)
                result.readings += last.rows
                result.partitions += 1
                result.bytes += last.bytes
            if progress is not None:
                progress(d + 1, days)
    return result
