"""``simulate(config)``: registry, clean stations, injected scenarios, then readings in READING_SCHEMA.

Aggregation rules (what a data logger does, and what screening may rely on for clean data):

- Minute values are rounded to the factor's resolution; values above the analyser range are clipped to the
  range and flagged T.
- Hourly and daily ``value`` = mean of the minute values flagged N in the period (all present minutes when
  none is N), rounded to the resolution; ``vmin``/``vmax`` = min/max of those minutes; flag N when at least
  one minute is N, else the most frequent flag; ``cou`` = sum of the minute ``cou``. Days are CST days.
- ``zs`` (flue-gas pollutants) = value × (21 − ref O2)/(21 − O2) from the rounded value and O2 of the same
  row (hourly: the hourly value and hourly O2), rounded; missing when the row is flagged F or C or O2 ≥ 20.
- Flow ``cou`` per minute: water L/s × 60 s / 1000 = m3; flue gas m3/s × 60 s = m3.
- Real-time rows (optional) repeat the minute value, one per minute.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.errors import ValidationError
from ecosentinel.readings import CST, READING_SCHEMA, DataKind, Source
from ecosentinel.registry.enums import PointType
from ecosentinel.simulator import messages
from ecosentinel.simulator.generator import (
    F_C,
    F_F,
    F_N,
    F_T,
    FLAGS,
    MINUTE_US,
    Clock,
    FloatArray,
    IntArray,
    Journal,
    Station,
    Storm,
    generate_station,
    make_storms,
)
from ecosentinel.simulator.models import (
    EPISODE_SCHEMA,
    EVENT_SCHEMA,
    FILED_SCHEMA,
    OM_SCHEMA,
    UPLOAD_SCHEMA,
    Label,
    ScenarioSpec,
    SimulationConfig,
    SimulationResult,
)
from ecosentinel.simulator.profiles import (
    BRANDS,
    DISTRICTS,
    GAS_INDUSTRIES,
    GAS_POLLUTANTS,
    O2,
    PLACES,
    ROADS,
    WATER_INDUSTRIES,
    WC_PROD,
    WC_TREAT,
    WFLOW,
    Industry,
    credit_code,
    person_name,
)
from ecosentinel.simulator.scenarios import CATALOGUE, ScenarioContext, ScenarioDef

logger = logging.getLogger(__name__)

KIND_NAMES = [k.value for k in DataKind]
SOURCE_NAMES = [s.value for s in Source]

_Agg = tuple[IntArray, FloatArray, FloatArray, FloatArray, FloatArray | None, np.ndarray]
"""Rows (period numbers present), mean, min, max, cou sum, flag."""


def simulate(config: SimulationConfig) -> SimulationResult:
    """Generate a deterministic run for ``config.seed``: readings, side records, labels and the registry."""
    _validate(config)
    start = config.start if config.start.tzinfo else config.start.replace(tzinfo=CST)
    clock = Clock.create(start, config.days)
    journal = Journal()
    storms = make_storms(clock, np.random.default_rng([config.seed, 2]))
    registry, stations = _registry_and_stations(config, clock, storms, journal)
    ctx = ScenarioContext(clock, stations, journal)
    labels = [_apply(ctx, spec, k, config.seed) for k, spec in enumerate(config.scenarios)]
    frames = [_station_readings(st, config) for st in stations]
    readings = (
        pl.concat(frames, how="vertical", rechunk=False) if frames else pl.DataFrame(schema=READING_SCHEMA)
    )
    logger.info("simulated %d stations, %d readings, %d labels", len(stations), readings.height, len(labels))
    return SimulationResult(
        config=config,
        readings=readings,
        events=_frame(journal.events, EVENT_SCHEMA, ["mn", "time"]),
        om_records=_frame(journal.om_records, OM_SCHEMA, ["mn", "start"]),
        filed_parameters=_frame(_filed_rows(stations), FILED_SCHEMA, ["mn", "pol_id", "info_id"]),
        parameter_uploads=_frame(_upload_rows(stations, clock), UPLOAD_SCHEMA, ["mn", "time", "pol_id"]),
        episodes=_frame(journal.episodes, EPISODE_SCHEMA, ["mn", "start"]),
        labels=labels,
        registry=registry,
        station_mns=[st.mn for st in stations],
    )


def _validate(config: SimulationConfig) -> None:
    if config.days <= 0 or config.days > 400:
        raise ValidationError(messages.ERR_CONFIG.format(what="days"))
    if config.water < 0 or config.gas < 0 or config.water + config.gas == 0:
        raise ValidationError(messages.ERR_CONFIG.format(what="water/gas"))
    for spec in config.scenarios:
        if spec.id not in CATALOGUE:
            raise ValidationError(
                messages.ERR_UNKNOWN_SCENARIO.format(id=spec.id, known=", ".join(CATALOGUE))
            )
        if not 0 < spec.severity <= 2:
            raise ValidationError(messages.ERR_CONFIG.format(what=f"severity {spec.severity}"))


# --- registry ------------------------------------------------------------------------------------------


def _registry_and_stations(
    config: SimulationConfig, clock: Clock, storms: list[Storm], journal: Journal
) -> tuple[dict[str, Any], list[Station]]:
    rng = np.random.default_rng([config.seed, 3])
    water_order = rng.permutation(len(WATER_INDUSTRIES))
    gas_order = rng.permutation(len(GAS_INDUSTRIES))
    industries: list[Industry] = [
        WATER_INDUSTRIES[int(water_order[i % len(water_order)])] for i in range(config.water)
    ]
    industries += [GAS_INDUSTRIES[int(gas_order[i % len(gas_order)])] for i in range(config.gas)]
    names = [p + b for p in PLACES for b in BRANDS]
    name_order = rng.permutation(len(names))
    enterprises: list[dict[str, Any]] = []
    by_industry_without_gas: dict[str, dict[str, Any]] = {}
    stations: list[Station] = []
    for index, industry in enumerate(industries):
        mn = f"330400{config.seed % 10**12:012d}{index + 1:06d}"
        pw = f"{int(rng.integers(0, 10**6)):06d}"
        enterprise = None
        if industry.type is PointType.GAS:
            enterprise = by_industry_without_gas.pop(industry.name, None)
        if enterprise is None:
            k = len(enterprises)
            name = (
                "嘉兴" + names[int(name_order[k % len(names)])] + str(rng.choice(industry.company_suffixes))
            )
            body = f"913304{k + 1:02d}MA2B{int(rng.integers(0, 10**7)):07d}"
            enterprise = {
                "name": name,
                "credit_code": credit_code(body[:17]),
                "industry": industry.name,
                "address": "浙江省嘉兴市"
                + str(rng.choice(DISTRICTS))
                + str(rng.choice(ROADS))
                + f"{int(rng.integers(1, 999))}号",
                "points": [],
                "_person": person_name(rng),
            }
            enterprises.append(enterprise)
            if industry.type is PointType.WATER:
                by_industry_without_gas[industry.name] = enterprise
        station = generate_station(
            index=index,
            mn=mn,
            pw=pw,
            industry=industry,
            clock=clock,
            seed=config.seed,
            storms=storms,
            person=str(enterprise["_person"]),
            journal=journal,
        )
        stations.append(station)
        enterprise["points"].append(_point_entry(station))
    for e in enterprises:
        del e["_person"]
    return {"enterprises": enterprises}, stations


def _point_entry(st: Station) -> dict[str, Any]:
    point: dict[str, Any] = {"mn": st.mn, "pw": st.pw, "name": st.industry.point_name, "type": st.type.value}
    if st.ref_o2 is not None:
        point["ref_o2"] = st.ref_o2
    factors = []
    for f in st.industry.factors:
        entry: dict[str, Any] = {"code": f.code}
        if f.limit_low is not None:
            entry["limit_low"] = f.limit_low
        if f.limit is not None:
            entry["limit"] = f.limit
        if f.unit:
            entry["unit"] = f.unit
        entry["range"] = f.range_hi
        factors.append(entry)
    point["factors"] = factors
    return point


# --- scenarios -----------------------------------------------------------------------------------------


def _apply(ctx: ScenarioContext, spec: ScenarioSpec, k: int, seed: int) -> Label:
    sdef = CATALOGUE[spec.id]
    rng = np.random.default_rng([seed, 4, k])
    st = _pick_station(ctx, spec, sdef, rng)
    i0, i1 = _pick_window(ctx, st, spec, sdef, rng)
    codes, a, b = sdef.apply(ctx, st, i0, i1, spec.severity, spec.params, rng)
    clock = ctx.clock
    return Label(
        st.mn, spec.id, clock.time_at(min(a, i0)), clock.time_at(max(b, i1)), tuple(codes), spec.severity
    )


def _pick_station(
    ctx: ScenarioContext, spec: ScenarioSpec, sdef: ScenarioDef, rng: np.random.Generator
) -> Station:
    type_names = "/".join("废水" if t is PointType.WATER else "废气" for t in sorted(sdef.types))
    if spec.station is None:
        fits = [s for s in ctx.stations if s.type in sdef.types]
        if not fits:
            raise ValidationError(messages.ERR_NO_STATION.format(id=spec.id, type=type_names))
        return fits[int(rng.integers(len(fits)))]
    if isinstance(spec.station, int) or (str(spec.station).isdigit() and len(str(spec.station)) < 10):
        i = int(spec.station)
        if not 0 <= i < len(ctx.stations):
            raise ValidationError(messages.ERR_STATION.format(id=spec.id, station=spec.station))
        st = ctx.stations[i]
    else:
        found = [s for s in ctx.stations if s.mn == spec.station]
        if not found:
            raise ValidationError(messages.ERR_STATION.format(id=spec.id, station=spec.station))
        st = found[0]
    if st.type not in sdef.types:
        raise ValidationError(messages.ERR_TYPE.format(id=spec.id, type=type_names, mn=st.mn))
    return st


def _pick_window(
    ctx: ScenarioContext, st: Station, spec: ScenarioSpec, sdef: ScenarioDef, rng: np.random.Generator
) -> tuple[int, int]:
    n = ctx.clock.n
    duration = int(spec.duration.total_seconds() // 60) if spec.duration is not None else sdef.minutes
    if sdef.align == "day":
        duration = 1440
        if n < 2 * 1440:
            raise ValidationError(messages.ERR_TOO_SHORT.format(id=spec.id, days=2))
    duration = max(1, min(duration, n))
    if spec.start_offset is not None:
        i0 = _align(st, sdef, int(spec.start_offset.total_seconds() // 60))
        i0 = max(0, min(i0, n - 1))
        return i0, min(n, i0 + duration)
    lo = min(1440, max(0, n - duration)) if sdef.align != "day" else 1440
    best: tuple[int, int] | None = None
    for _ in range(200):
        i0 = _align(st, sdef, int(rng.integers(lo, max(lo, n - duration) + 1)))
        i1 = i0 + duration
        if i0 < 0 or i1 > n or (sdef.align == "day" and i0 < 1440):
            continue
        if best is None:
            best = (i0, i1)
        if st.shutdown[max(0, i0 - 1440 if sdef.align == "day" else i0) : i1].any():
            continue
        if sdef.avoid_rain and st.rain.size and float(st.rain[i0:i1].max()) > 1.05:
            continue
        if sdef.align == "production" and float(st.prod_on[i0:i1].mean()) < 0.8:
            continue
        return i0, i1
    if best is None:
        i0 = max(0, n - duration)
        return i0, n
    return best


def _align(st: Station, sdef: ScenarioDef, i: int) -> int:
    clock = st.clock
    i = max(0, min(i, clock.n - 1))
    if sdef.align == "night":
        day = int(clock.cst_day[i])
        j = clock.index_of_cst(day, 22 * 60)
        return j if j >= i else clock.index_of_cst(day + 1, 22 * 60)
    if sdef.align == "day":
        return clock.index_of_cst(int(clock.cst_day[i]), 0)
    if sdef.align == "hour":
        return i - int(clock.epoch_min[i] % 60)
    if sdef.align == "production":
        on = np.flatnonzero(st.prod_on[i:])
        return i + int(on[0]) if on.size else i
    return i


# --- readings ------------------------------------------------------------------------------------------


def _round(x: FloatArray, resolution: float, decimals: int) -> FloatArray:
    return np.round(np.round(x / resolution) * resolution, decimals)


class _Pieces:
    """Column pieces of one station's readings, concatenated once at the end."""

    def __init__(self) -> None:
        self.cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("code", "kind", "source", "time", "value", "vmin", "vmax", "cou", "zs", "flag")
        }
        self.codes: list[str] = []

    def add(
        self,
        code: str,
        kind: DataKind,
        source: Source,
        time_us: IntArray,
        value: FloatArray,
        flag: np.ndarray,
        *,
        vmin: FloatArray | None = None,
        vmax: FloatArray | None = None,
        cou: FloatArray | None = None,
        zs: FloatArray | None = None,
    ) -> None:
        m = time_us.size
        nan = np.full(m, np.nan)
        c = self.cols
        if code not in self.codes:
            self.codes.append(code)
        c["code"].append(np.full(m, self.codes.index(code), dtype=np.int16))
        c["kind"].append(np.full(m, KIND_NAMES.index(kind.value), dtype=np.int8))
        c["source"].append(np.full(m, SOURCE_NAMES.index(source.value), dtype=np.int8))
        c["time"].append(time_us)
        c["value"].append(value)
        c["vmin"].append(nan if vmin is None else vmin)
        c["vmax"].append(nan if vmax is None else vmax)
        c["cou"].append(nan if cou is None else cou)
        c["zs"].append(nan if zs is None else zs)
        c["flag"].append(flag.astype(np.int8))

    def frame(self, mn: str) -> pl.DataFrame:
        if not self.cols["time"]:
            return pl.DataFrame(schema=READING_SCHEMA)
        cat = {k: np.concatenate(v) for k, v in self.cols.items()}
        df = pl.DataFrame(
            {
                "code_i": cat["code"],
                "kind_i": cat["kind"],
                "source_i": cat["source"],
                "time_us": cat["time"],
                "value": cat["value"],
                "vmin": cat["vmin"],
                "vmax": cat["vmax"],
                "cou": cat["cou"],
                "zs": cat["zs"],
                "flag_i": cat["flag"],
            }
        )
        kinds = pl.Series(KIND_NAMES, dtype=pl.Utf8)
        sources = pl.Series(SOURCE_NAMES, dtype=pl.Utf8)
        flags = pl.Series(list(FLAGS), dtype=pl.Utf8)
        return df.select(
            pl.lit(mn, dtype=pl.Utf8).alias("mn"),
            pl.Series(self.codes, dtype=pl.Utf8).gather(df["code_i"]).alias("code"),
            kinds.gather(df["kind_i"]).alias("kind"),
            pl.col("time_us").cast(pl.Datetime("us")).dt.replace_time_zone("UTC").alias("time"),
            sources.gather(df["source_i"]).alias("source"),
            *(pl.col(k).fill_nan(None) for k in ("value", "vmin", "vmax", "cou", "zs")),
            flags.gather(df["flag_i"]).alias("flag"),
        )


def _station_readings(st: Station, config: SimulationConfig) -> pl.DataFrame:
    clock, n = st.clock, st.clock.n
    time_us = clock.epoch_min * MINUTE_US
    kinds = set(config.kinds)
    want_rtd = config.include_rtd or DataKind.RTD in kinds
    pieces = _Pieces()
    true_v: dict[str, FloatArray] = {}
    plat_v: dict[str, FloatArray] = {}
    flags: dict[str, np.ndarray] = {}
    for code, f in st.factors.items():
        v = _round(st.values[code], f.resolution, f.decimals)
        fl = st.flags[code].copy()
        if code in st.pollutants:
            over = v > f.range_hi
            v = np.where(over, f.range_hi, v)
            fl = np.where(over & (fl == F_N), F_T, fl).astype(np.int8)
        true_v[code] = v
        scale = st.platform_scale.get(code)
        plat_v[code] = v if scale is None else _round(v * scale, f.resolution, f.decimals)
        flags[code] = fl
    present = st.present
    hour_p = clock.epoch_min // 60
    hour_p = hour_p - hour_p[0]
    day_p = clock.cst_day - clock.cst_day[0]
    hour_time = (clock.epoch_min // 60) * 60 * MINUTE_US
    day_time = (clock.cst_day * 1440 - 480) * MINUTE_US
    is_gas = st.type is PointType.GAS
    for code, f in st.factors.items():
        v, fl = plat_v[code], flags[code]
        spread = st.spread[code]
        vmin = _round(v - spread, f.resolution, f.decimals)
        vmax = _round(v + spread, f.resolution, f.decimals)
        cou = _minute_cou(st, code, v)
        zs = (
            _zs(st, code, v, plat_v.get(O2), fl, st.zs_scale.get(code))
            if is_gas and code in GAS_POLLUTANTS
            else None
        )
        sel = present
        if DataKind.MINUTE in kinds:
            pieces.add(
                code, DataKind.MINUTE, Source.PLATFORM, time_us[sel], v[sel], fl[sel],
                vmin=vmin[sel], vmax=vmax[sel], cou=None if cou is None else cou[sel],
                zs=None if zs is None else zs[sel],
            )  # fmt: skip
        if want_rtd:
            pieces.add(
                code, DataKind.RTD, Source.PLATFORM, time_us[sel], v[sel], fl[sel],
                zs=None if zs is None else zs[sel],
            )  # fmt: skip
    periods: list[tuple[DataKind, IntArray, IntArray]] = []
    if DataKind.HOUR in kinds:
        periods.append((DataKind.HOUR, hour_p, hour_time))
    if DataKind.DAY in kinds:
        periods.append((DataKind.DAY, day_p, day_time))
    for kind, period, ptime in periods:
        first = _first_index(period)
        base_true = {
            code: _aggregate(
                period, true_v[code], flags[code], present, cou=_minute_cou(st, code, true_v[code])
            )
            for code in st.factors
        }
        base_plat = {
            code: base_true[code]
            if code not in st.platform_scale
            else _aggregate(
                period, plat_v[code], flags[code], present, cou=_minute_cou(st, code, plat_v[code])
            )
            for code in st.factors
        }
        sources: list[tuple[Source, dict[str, _Agg], bool]] = [(Source.PLATFORM, base_plat, True)]
        if config.three_way and kind is DataKind.HOUR:
            sources += [(Source.LOGGER, base_true, True), (Source.ANALYSER, base_true, False)]
        for source, agg, falsified_hourly in sources:
            means: dict[str, FloatArray] = {}
            for code, f in st.factors.items():
                rows, mean = agg[code][0], agg[code][1]
                hscale = st.hour_scale.get(code) if falsified_hourly and kind is DataKind.HOUR else None
                if hscale is not None:
                    mean = mean * _period_mean(period, hscale, present)[rows]
                means[code] = _round(mean, f.resolution, f.decimals)
            for code, f in st.factors.items():
                rows, _, vmin, vmax, cou, flag = agg[code]
                value = means[code]
                zs = None
                if is_gas and code in GAS_POLLUTANTS:
                    o2_by_period = np.full(int(period.max()) + 1, np.nan)
                    o2_by_period[agg[O2][0]] = means[O2]
                    zscale = st.zs_scale.get(code) if source is Source.PLATFORM else None
                    zs_scale_p = _period_mean(period, zscale, present)[rows] if zscale is not None else None
                    zs = _zs(st, code, value, o2_by_period[rows], flag, zs_scale_p)
                pieces.add(
                    code, kind, source, ptime[first][rows], value, flag,
                    vmin=_round(vmin, f.resolution, f.decimals), vmax=_round(vmax, f.resolution, f.decimals),
                    cou=cou, zs=zs,
                )  # fmt: skip
    if DataKind.MINUTE in kinds:
        flag0 = np.zeros(n, dtype=np.int8)
        pieces.add(WC_PROD, DataKind.MINUTE, Source.PLATFORM, time_us, np.round(st.wc_prod, 1), flag0)
        pieces.add(WC_TREAT, DataKind.MINUTE, Source.PLATFORM, time_us, np.round(st.wc_treat, 1), flag0)
    return pieces.frame(st.mn)


def _first_index(period: IntArray) -> IntArray:
    """Index of the first minute of each period (periods are consecutive from 0)."""
    firsts = np.flatnonzero(np.r_[True, period[1:] != period[:-1]])
    out = np.zeros(int(period.max()) + 1, dtype=np.int64)
    out[period[firsts]] = firsts
    return out


def _minute_cou(st: Station, code: str, v: FloatArray) -> FloatArray | None:
    if code != st.flow_code:
        return None
    water = code == WFLOW
    cou = v * 60.0 / (1000.0 if water else 1.0)
    if st.cou_scale is not None:
        cou = cou * st.cou_scale
    return np.round(cou, 3 if water else 1)


def _zs(
    st: Station,
    code: str,
    value: FloatArray,
    o2: FloatArray | None,
    flag: np.ndarray,
    scale: FloatArray | None,
) -> FloatArray:
    assert st.ref_o2 is not None
    assert o2 is not None
    f = st.factors[code]
    with np.errstate(divide="ignore", invalid="ignore"):
        zs = value * (21.0 - st.ref_o2) / (21.0 - o2)
    if scale is not None:
        zs = zs * scale
    zs = _round(zs, f.resolution, f.decimals)
    bad = (flag == F_F) | (flag == F_C) | ~(o2 < 20.0)
    return np.where(bad, np.nan, zs)


def _period_mean(period: IntArray, x: FloatArray, present: np.ndarray) -> FloatArray:
    p, w = period[present], x[present]
    cnt = np.bincount(p, minlength=int(period.max()) + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.bincount(p, weights=w, minlength=cnt.size) / cnt


def _aggregate(
    period: IntArray,
    value: FloatArray,
    flag: np.ndarray,
    present: np.ndarray,
    *,
    cou: FloatArray | None,
) -> _Agg:
    """Per-period statistics as a data logger computes them (see the module docstring)."""
    size = int(period.max()) + 1
    valid = present & (flag == F_N)
    cnt_v = np.bincount(period[valid], minlength=size)
    cnt_a = np.bincount(period[present], minlength=size)
    sum_v = np.bincount(period[valid], weights=value[valid], minlength=size)
    sum_a = np.bincount(period[present], weights=value[present], minlength=size)
    rows = np.flatnonzero(cnt_a > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(cnt_v > 0, sum_v / np.maximum(cnt_v, 1), sum_a / np.maximum(cnt_a, 1))
    use = np.where(cnt_v[period] > 0, valid, present)
    vmin = np.full(size, np.nan)
    vmax = np.full(size, np.nan)
    pu, vu = period[use], value[use]
    if pu.size:  # periods are sorted, so each period's minutes are one contiguous run
        starts = np.flatnonzero(np.r_[True, pu[1:] != pu[:-1]])
        vmin[pu[starts]] = np.minimum.reduceat(vu, starts)
        vmax[pu[starts]] = np.maximum.reduceat(vu, starts)
    counts = np.bincount(
        period[present] * len(FLAGS) + flag[present].astype(np.int64), minlength=size * len(FLAGS)
    ).reshape(size, len(FLAGS))
    pflag = np.where(cnt_v > 0, F_N, counts.argmax(axis=1)).astype(np.int8)
    pcou = None
    if cou is not None:
        pcou = np.round(np.bincount(period[present], weights=cou[present], minlength=size)[rows], 3)
    return (
        rows.astype(np.int64),
        np.asarray(mean[rows], dtype=np.float64),
        vmin[rows],
        vmax[rows],
        None if pcou is None else np.asarray(pcou, dtype=np.float64),
        pflag[rows],
    )


# --- side records --------------------------------------------------------------------------------------


def _frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType], sort: list[str]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=schema)
    return pl.DataFrame(rows, schema=schema).sort(sort, maintain_order=True)


def _filed_rows(stations: list[Station]) -> list[dict[str, Any]]:
    return [
        {"mn": st.mn, "pol_id": code, "info_id": info, "name": messages.PARAMETER_NAME[info], "value": value}
        for st in stations
        for (code, info), value in st.filed.items()
    ]


def _upload_rows(stations: list[Station], clock: Clock) -> list[dict[str, Any]]:
    """3020 uploads: every parameter once a CST day at 00:10, and at once when a parameter changes."""
    rows: list[dict[str, Any]] = []
    for st in stations:
        times = [clock.index_of_cst(int(d), 10) for d in clock.days]
        times = [i for i in times if 0 <= i < clock.n]
        changes = sorted(st.param_changes)
        for i in times:
            current = dict(st.filed)
            for ci, code, info, value in changes:
                if ci <= i:
                    current[(code, info)] = value
            for (code, info), value in current.items():
                rows.append(
                    {"mn": st.mn, "time": clock.time_at(i), "pol_id": code, "info_id": info, "value": value}
                )
        for ci, code, info, value in changes:
            t = clock.time_at(ci) + dt.timedelta(seconds=30)
            rows.append({"mn": st.mn, "time": t, "pol_id": code, "info_id": info, "value": value})
    return rows
