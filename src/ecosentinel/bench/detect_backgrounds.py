"""Real public series as monitoring points for ``bench detect`` (the clean backgrounds of issue 17).

Every series is read from the shared data folder at run time (never copied into the project); each
folder's SOURCE file gives origin, licence and quirks. A background is a list of ``Track`` s, one per
monitoring point, on a regular grid (hourly, or minute for the ``*-minute`` variants). Local wall-clock
times are placed on the China-Standard-Time clock (a plant's 08:00 stays 08:00), so daily cycles fall on
the hours a Chinese point would show them; CST days are the point-days of the benchmark.

Backgrounds and their mapping (limits are the ``FactorSpec`` the rules see):

``epa-cems`` — US EPA Part 75 CEMS, 8 power units, hourly 2007 (flue gas, ``PointType.GAS``).
    The files give NOx *rate* E (lb/MMBtu), heat input H (MMBtu/h) and gross load (MW), no O2 and no
    flow. Conversion (EPA Method 19, F-factor): at a reference O2 of 6 % (GB 13223-2011 for coal units)
    the dry concentration is ``C_ref = E / Fd · (20.9 − 6) / 20.9`` lb/dscf, with the coal F-factor
    ``Fd = 9780`` dscf/MMBtu (gas-fired units, CT4 and MAG1: 8710), times 1.6018e7 mg/m3 per lb/ft3.
    C_ref is the reported O2-converted value (``zs``) of NOx (``a21002``, 0.1 mg/m3 steps). O2 is not
    measured, so it is *modelled* from load: ``O2 = 3.5 + 4·(1 − load/max load)`` % plus a slow AR(1)
    wobble (sd 0.15 points, 0.01 steps), the usual excess-air curve of a boiler. The measured (wet of
    O2) concentration is ``C = C_ref · (21 − O2) / (21 − 6)``; stack flow (``a00000``, m3/h) is
    ``H · Fd · 20.9 / (20.9 − O2) · 0.0283168`` (modelled, not measured). Gross load × 1000 is the
    production power series (``wc_prod_kw``), the working-condition signal. Off hours (OPTIME 0, -9)
    carry flag F (stopped) on every channel. Substitute data (NOx-rate method code 3 or 4, Part 75
    missing-data procedure: long flat runs at the maximum potential value) carry flag S (set value) on
    NOx, and substitute heat input (its own method code 3 or 4) flag S on the flow derived from it:
    legitimate, never a falsification label. The NOx limit of a unit is its "permit": 1.1 × the 99th
    percentile of its own converted value over measured operating hours, rounded up to 10 mg/m3 (these
    2007 units would break a Chinese 100 mg/m3 limit almost every hour, which makes every injection
    pointless); the range is 2.5 × the limit.
``cn-effluent`` — one Chinese enterprise's effluent analyser, hourly 2021-01..2022-10 (water).
    Probably NH3-N (``w21003``), mg/L, 0.01 steps, kept as is: values held over several hours, gaps
    (absent hours are missing rows), spikes. Limit 5 mg/L (GB 8978-1996 grade 1 ammonia 15 mg/L is far
    above the data; 5 mg/L is the GB 18918-2002 1A and common indirect-discharge permit level; the
    series' 99th percentile is about 9, so spikes exceed it legitimately). Range 0–100 mg/L. Held values
    mean a measuring cycle of more than an hour: ``cycles_per_hour`` is left unknown.
``tilburg-wwtp`` — Dutch WWTP sensors, 15-minute (water). Platform hourly means of the 15-minute
    values. 2021 (50 days): influent flow ``w00000`` (m3/h), NH4-N as ``w21003`` (limit 5 mg/L, range
    20) and NO3-N as nitrate nitrogen ``w21007`` (limit 15 mg/L: the GB 18918-2002 1A total-nitrogen
    limit bounds nitrate, range 50). 2022 (90 days): flow only (with the all-zero outage rows). Both
    years: the treatment facility's power (``wc_treat_kw``) is modelled from the real aeration air flow,
    the sum of ``Q_air_1..5`` (Nm3/h) × 0.025 kWh/Nm3 (a typical blower's specific energy; the rules
    only use its level relative to its own 95th percentile): the working condition of the biological
    treatment. Influent flow is the discharge that runs while it does (no production meter).
``dk-wwtp-inflow`` — Danish WWTP inflow, hourly 2023-11..2025-02 (water, flow only, ``w00000``,
    zero flows and rain peaks kept).
``beijing-aq`` — Beijing ambient stations (12), hourly 2013–2017, mapped to gas codes with GB 3095-2012
    grade II limits (as before; not source data, a trap for co-movement rules).
``epa-cems-minute`` — minute variant of two base-load EPA units (3BLR, Y1BR): minutes are generated
    between the real hours (linear between hour centres plus AR(1) noise of 2 %, then shifted so each
    hour's minute mean equals the real hour exactly); the hour rows are the minutes' mean.
``tilburg-wwtp-minute`` — minute variant of the 2021 Tilburg series: flow linear between the real
    15-minute values plus 1 % noise; the NH4 and NO3 analysers measure once per 60-minute cycle (the
    value at the cycle start) and hold it for the cycle (``cycles_per_hour`` 1); hour rows are the means.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from ecosentinel.detection.context import GAS_FLOW, O2_CODE, WATER_FLOW, FactorSpec, PointType
from ecosentinel.readings import CST

NOX = "a21002"
NH3N = "w21003"
NO3N = "w21007"
REF_O2 = 6.0
LB_PER_FT3_TO_MG_PER_M3 = 1.6018463e7
FT3_TO_M3 = 0.0283168
FD_COAL = 9780.0
FD_GAS = 8710.0
AERATION_KWH_PER_NM3 = 0.025
"""Specific energy of aeration blowers (kWh per Nm3 of air): Tilburg's treatment power from air flow."""
AIR_COLUMNS = [f"Q_air_{i}" for i in range(1, 6)]
GAS_UNITS = ("CT4", "MAY1")
"""Unit files that are gas-fired combustion turbines (peaking units): natural-gas F-factor."""


@dataclass(slots=True)
class Track:
    """One monitoring point's series on a regular grid (NaN = no row received)."""

    name: str
    point_type: PointType
    start: dt.datetime
    """UTC time of index 0 (aware)."""
    step_min: int
    """Grid step in minutes (60 hourly, 1 minute)."""
    values: dict[str, np.ndarray]
    flags: dict[str, np.ndarray]
    factors: dict[str, FactorSpec]
    resolution: dict[str, float]
    """Reporting step per code (0 = unrounded floats)."""
    target: str | None
    """The pollutant single-factor scenarios act on; None on flow-only points."""
    zs: dict[str, np.ndarray] = field(default_factory=dict)
    wc: np.ndarray | None = None
    """Production power (kW) per grid step, when the point has a working-condition meter."""
    treat: np.ndarray | None = None
    """Treatment-facility power (kW) per grid step, when the point has a treatment meter."""
    hold_min: int = 0
    """Analyser measuring cycle in minutes when it holds its value (minute variants), else 0."""
    ref_o2: float | None = None
    hour_scale: np.ndarray | None = None
    """Minute variants: factor applied to the reported hour values of pollutants (hourly_mismatch)."""

    @property
    def n(self) -> int:
        return len(next(iter(self.values.values())))

    @property
    def per_hour(self) -> int:
        return 60 // self.step_min

    @property
    def first_midnight(self) -> int:
        """Index of the track's first CST midnight (tracks start on a whole hour): CST days, and the
        windows placed on them, count from here."""
        return (24 - self.start.astimezone(CST).hour) % 24 * self.per_hour

    @property
    def pollutants(self) -> list[str]:
        return [c for c in self.values if c not in (O2_CODE, WATER_FLOW, GAS_FLOW)]

    @property
    def flow_code(self) -> str | None:
        return next((c for c in (WATER_FLOW, GAS_FLOW) if c in self.values), None)

    def time_at(self, i: int) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.step_min * i)

    def operating(self) -> np.ndarray:
        """Per step: is the source running (load > 0 and not flagged stopped)."""
        on = np.ones(self.n, dtype=bool)
        if self.wc is not None:
            on &= self.wc > 0
        code = self.target or next(iter(self.values))
        on &= self.flags[code] != "F"
        return on

    def slice(self, a: int, b: int, name: str) -> Track:
        """A copy of steps [a, b) as a new point."""
        return Track(
            name=name,
            point_type=self.point_type,
            start=self.time_at(a),
            step_min=self.step_min,
            values={k: v[a:b].copy() for k, v in self.values.items()},
            flags={k: v[a:b].copy() for k, v in self.flags.items()},
            factors=dict(self.factors),
            resolution=dict(self.resolution),
            target=self.target,
            zs={k: v[a:b].copy() for k, v in self.zs.items()},
            wc=None if self.wc is None else self.wc[a:b].copy(),
            treat=None if self.treat is None else self.treat[a:b].copy(),
            hold_min=self.hold_min,
            ref_o2=self.ref_o2,
            hour_scale=None if self.hour_scale is None else self.hour_scale[a:b].copy(),
        )


@dataclass(frozen=True, slots=True)
class Background:
    """A named background: its points, the scenario types it can carry, and why not the others."""

    name: str
    folder: str
    summary: str
    tracks: list[Track]
    segment_days: int


def with_limits_scaled(bg: Background, scale: float) -> Background:
    """The background with every factor limit (and band limit) times ``scale``: the same series judged
    against a different permit (a robustness check: how much the clean-day rate depends on the limit
    mapping chosen here). Series arrays are shared, not copied; only the factor specs change."""
    tracks = []
    for tr in bg.tracks:
        factors = {
            code: dataclasses.replace(
                spec,
                limit=None if spec.limit is None else spec.limit * scale,
                limit_low=None if spec.limit_low is None else spec.limit_low * scale,
            )
            for code, spec in tr.factors.items()
        }
        tracks.append(dataclasses.replace(tr, factors=factors))
    return dataclasses.replace(bg, name=f"{bg.name}@limits×{scale:g}", tracks=tracks)


def with_output_step(bg: Background, share: float) -> Background:
    """The background as a low-resolution analyser would report it: every pollutant with a limit rounded
    to the power of ten at or below ``share`` x its limit (NH3-N limit 5 mg/L, share 0.1: 0.1 mg/L
    steps), the O2-converted value recomputed from the rounded measured value and rounded to 0.1, as a
    data logger would (a robustness check: issue 17 measured 18.7 % of clean point-days yellow or red on
    series that kept the coarse steps of a low-resolution analyser). Other channels are shared."""
    tracks = []
    for tr in bg.tracks:
        values, zs = dict(tr.values), dict(tr.zs)
        for code in tr.pollutants:
            limit = tr.factors[code].limit
            if limit is None or limit <= 0:
                continue
            step = 10.0 ** math.floor(math.log10(share * limit))
            values[code] = _quantise(tr.values[code], step)
            if code in zs and tr.ref_o2 is not None and O2_CODE in tr.values:
                o2 = np.minimum(tr.values[O2_CODE], 20.0)
                zs[code] = _quantise(values[code] * (21 - tr.ref_o2) / (21 - o2), 0.1)
        tracks.append(dataclasses.replace(tr, values=values, zs=zs))
    return dataclasses.replace(bg, name=f"{bg.name}@step{share:g}", tracks=tracks)


def _cst_start(naive_local: dt.datetime) -> dt.datetime:
    """A local wall-clock time placed on the CST clock, as UTC."""
    return naive_local.replace(tzinfo=CST).astimezone(dt.UTC)


def _quantise(x: np.ndarray, res: float) -> np.ndarray:
    if res <= 0:
        return x
    return np.round(np.round(x / res) * res, 6)


def _ar1(n: int, rng: np.random.Generator, sd: float, phi: float = 0.9) -> np.ndarray:
    e = rng.standard_normal(n) * sd * math.sqrt(1 - phi * phi)
    out = np.empty(n)
    acc = 0.0
    for i in range(n):
        acc = phi * acc + e[i]
        out[i] = acc
    return out


# --- EPA CEMS ------------------------------------------------------------------------------------------


def _epa_unit(path: Path, rng: np.random.Generator) -> Track:
    frame = pl.read_csv(path, has_header=False, infer_schema=False)
    raw = np.column_stack(
        [
            frame[:, i].cast(pl.Float64, strict=False).fill_null(-9.0).to_numpy()
            for i in (4, 6, 7, 8, 10, 14, 11)
        ]
    )
    rate, optime, load, heat, rmeas, hmeas = raw[:, 1], raw[:, 2], raw[:, 3], raw[:, 4], raw[:, 5], raw[:, 6]
    n = raw.shape[0]
    fd = FD_GAS if any(u in path.name for u in GAS_UNITS) else FD_COAL
    on = (optime > 0) & (rate >= 0) & (heat > 0)
    c_ref = np.where(on, rate / fd * (20.9 - REF_O2) / 20.9 * LB_PER_FT3_TO_MG_PER_M3, 0.0)
    load_on = np.where(on & (load > 0), load, 0.0)
    max_load = float(np.max(load_on)) if load_on.any() else 1.0
    o2 = 3.5 + 4.0 * (1 - np.clip(load_on / max_load, 0, 1)) + _ar1(n, rng, 0.15, 0.95)
    o2 = np.where(on, _quantise(np.clip(o2, 2.0, 15.0), 0.01), 20.9)
    conc = np.where(on, c_ref * (21 - o2) / (21 - REF_O2), 0.0)
    flow = np.where(on, heat * fd * 20.9 / (20.9 - np.minimum(o2, 20.0)) * FT3_TO_M3, 0.0)
    substitute = on & ((rmeas == 3) | (rmeas == 4))
    heat_substitute = on & ((hmeas == 3) | (hmeas == 4))
    measured = on & ~substitute
    p99 = float(np.percentile(c_ref[measured], 99)) if measured.any() else 100.0
    limit = math.ceil(1.1 * p99 / 10) * 10
    flag = np.where(on, np.where(substitute, "S", "N"), "F")
    unit = path.name.split(".")[0]
    return Track(
        name=unit,
        point_type=PointType.GAS,
        start=_cst_start(dt.datetime(2007, 1, 1)),
        step_min=60,
        values={NOX: _quantise(conc, 0.1), O2_CODE: o2, GAS_FLOW: _quantise(flow, 1.0)},
        flags={
            NOX: flag.copy(),
            O2_CODE: np.where(on, "N", "F"),
            GAS_FLOW: np.where(on, np.where(heat_substitute, "S", "N"), "F"),
        },
        factors={
            NOX: FactorSpec(limit=float(limit), range_high=2.5 * limit, detection_limit=1.0, unit="mg/m3"),
            O2_CODE: FactorSpec(range_high=25.0, unit="%"),
            GAS_FLOW: FactorSpec(unit="m3/h"),
        },
        resolution={NOX: 0.1, O2_CODE: 0.01, GAS_FLOW: 1.0},
        target=NOX,
        zs={NOX: _quantise(c_ref, 0.1)},
        wc=load_on * 1000.0,
        ref_o2=REF_O2,
    )


def load_epa(data: Path, units: int | None = None, seed: int = 0) -> list[Track]:
    paths = sorted((data / "epa-cems-2007-units").glob("*.annual_raw.txt"))
    if not paths:
        raise FileNotFoundError(f"no *.annual_raw.txt under {data / 'epa-cems-2007-units'}")
    rng = np.random.default_rng(seed)
    return [_epa_unit(p, rng) for p in paths[:units]]


# --- Chinese effluent analyser ---------------------------------------------------------------------------


def load_cn_effluent(data: Path) -> list[Track]:
    path = data / "cn-effluent-hourly" / "monitor_hourly.csv"
    raw = pl.read_csv(path, try_parse_dates=True, schema_overrides={"monitorAvgValue": pl.Float64})
    raw = raw.filter(pl.col("monitorTime").is_not_null()).sort("monitorTime")
    t = raw["monitorTime"].to_list()
    first, last = t[0], t[-1]
    n = int((last - first).total_seconds() // 3600) + 1
    v = np.full(n, np.nan)
    idx = np.array([int((x - first).total_seconds() // 3600) for x in t])
    v[idx] = raw["monitorAvgValue"].cast(pl.Float64).to_numpy()
    return [
        Track(
            name="cn-effluent",
            point_type=PointType.WATER,
            start=_cst_start(first),
            step_min=60,
            values={NH3N: v},
            flags={NH3N: np.full(n, "N")},
            factors={NH3N: FactorSpec(limit=5.0, range_high=100.0, detection_limit=0.025, unit="mg/L")},
            resolution={NH3N: 0.01},
            target=NH3N,
        )
    ]


# --- Tilburg WWTP ----------------------------------------------------------------------------------------

_TB_FACTORS = {
    WATER_FLOW: FactorSpec(unit="m3/h"),
    NH3N: FactorSpec(limit=5.0, range_high=20.0, detection_limit=0.05, unit="mg/L"),
    NO3N: FactorSpec(limit=15.0, range_high=50.0, detection_limit=0.1, unit="mg/L"),
}


def _tilburg_raw(data: Path, name: str, sep: str) -> pl.DataFrame:
    return pl.read_csv(data / "tilburg-wwtp" / name, separator=sep, try_parse_dates=True)


def _hourly_means(raw: pl.DataFrame, cols: dict[str, str]) -> tuple[dt.datetime, dict[str, np.ndarray]]:
    hourly = (
        raw.with_columns(pl.col("DATETIME").dt.truncate("1h").alias("h"))
        .group_by("h")
        .agg([pl.col(c).mean().alias(code) for c, code in cols.items()])
        .sort("h")
        .upsample("h", every="1h")
    )
    first = hourly["h"][0]
    return first, {code: hourly[code].cast(pl.Float64).to_numpy().copy() for code in cols.values()}


def _with_air(raw: pl.DataFrame) -> pl.DataFrame:
    """The raw Tilburg frame with ``AIR``: total aeration air flow (Nm3/h) over the five tanks."""
    return raw.with_columns(pl.sum_horizontal([pl.col(c).cast(pl.Float64) for c in AIR_COLUMNS]).alias("AIR"))


def load_tilburg(data: Path) -> list[Track]:
    out = []
    for name, sep, cols in (
        ("online_2021-05-05_2021-06-24.csv", ",", {"Q_inf": WATER_FLOW, "NH4": NH3N, "NO3": NO3N}),
        ("evaluation_online_2022.tsv", "\t", {"Q_inf": WATER_FLOW}),
    ):
        first, values = _hourly_means(_with_air(_tilburg_raw(data, name, sep)), {**cols, "AIR": "AIR"})
        air = values.pop("AIR")
        n = len(values[WATER_FLOW])
        out.append(
            Track(
                name=f"tilburg-{first.year}",
                point_type=PointType.WATER,
                start=_cst_start(first),
                step_min=60,
                values=values,
                flags={c: np.full(n, "N") for c in values},
                factors={c: _TB_FACTORS[c] for c in values},
                resolution={c: 0.0 for c in values},
                target=NH3N if NH3N in values else None,
                treat=air * AERATION_KWH_PER_NM3,
            )
        )
    return out


def load_dk(data: Path) -> list[Track]:
    raw = pl.read_csv(data / "dk-wwtp-inflow" / "wwtp.csv", separator=";", try_parse_dates=True)
    raw = raw.sort("datetime").upsample("datetime", every="1h")
    v = raw["flow"].cast(pl.Float64).to_numpy().copy()
    return [
        Track(
            name="dk-inflow",
            point_type=PointType.WATER,
            start=_cst_start(raw["datetime"][0]),
            step_min=60,
            values={WATER_FLOW: v},
            flags={WATER_FLOW: np.full(v.size, "N")},
            factors={WATER_FLOW: FactorSpec(unit="m3/h")},
            resolution={WATER_FLOW: 0.0},
            target=None,
        )
    ]


# --- Beijing ---------------------------------------------------------------------------------------------

BEIJING: dict[str, tuple[str, float, float, float]] = {
    # column -> (code, limit, range_high, detection_limit)
    "SO2": ("a21026", 500.0, 1000.0, 3.0),
    "NO2": ("a21004", 200.0, 500.0, 2.0),
    "CO": ("a21005", 10000.0, 20000.0, 100.0),
    "PM2.5": ("a34013", 75.0, 1000.0, 3.0),
}


def load_beijing(data: Path, stations: int | None = None) -> list[Track]:
    paths = sorted((data / "beijing-multisite-aq").glob("PRSA_Data_*.csv"))
    if not paths:
        raise FileNotFoundError(f"no PRSA_Data_*.csv under {data / 'beijing-multisite-aq'}")
    out = []
    for path in paths[:stations]:
        raw = pl.read_csv(path, null_values="NA", infer_schema=False)
        values = {code: raw[col].cast(pl.Float64).to_numpy().copy() for col, (code, *_) in BEIJING.items()}
        y, m, d, h = (int(raw[c][0]) for c in ("year", "month", "day", "hour"))
        n = raw.height
        out.append(
            Track(
                name=str(raw["station"][0]),
                point_type=PointType.GAS,
                start=_cst_start(dt.datetime(y, m, d, h)),
                step_min=60,
                values=values,
                flags={c: np.full(n, "N") for c in values},
                factors={
                    code: FactorSpec(limit=lim, range_high=hi, detection_limit=dl)
                    for code, lim, hi, dl in BEIJING.values()
                },
                resolution={c: 1.0 for c in values},
                target="a21004",
            )
        )
    return out


# --- minute variants -------------------------------------------------------------------------------------


def _minutes_between_hours(hourly: np.ndarray, rng: np.random.Generator, rel_sd: float) -> np.ndarray:
    """Minute values whose hour means equal ``hourly`` exactly (NaN hours stay NaN)."""
    n = hourly.size
    centres = np.arange(n) * 60 + 29.5
    good = np.isfinite(hourly)
    if not good.any():
        return np.full(n * 60, np.nan)
    base = np.interp(np.arange(n * 60), centres[good], hourly[good])
    noise = _ar1(n * 60, rng, rel_sd, 0.97) * np.abs(base)
    m = (base + noise).reshape(n, 60)
    m += (hourly - m.mean(axis=1))[:, None]
    m[~good] = np.nan
    out: np.ndarray = np.maximum(m.reshape(-1), 0.0)
    return out


def epa_minute(track: Track, days: int, seed: int) -> Track:
    """The first ``days`` days of a unit where it runs, as minutes (see the module docstring)."""
    rng = np.random.default_rng(seed)
    on = track.operating()
    n_h = days * 24
    # the first window of ``days`` CST days that is >= 95 % operating
    offset = (24 - track.start.astimezone(CST).hour) % 24
    a = offset
    while a + n_h <= track.n and on[a : a + n_h].mean() < 0.95:
        a += 24
    a = min(a, max(0, track.n - n_h))
    h = track.slice(a, a + n_h, f"{track.name}-min")
    values, flags, zs = {}, {}, {}
    for code, arr in h.values.items():
        values[code] = _quantise(
            _minutes_between_hours(arr, rng, 0.02 if code != O2_CODE else 0.005), h.resolution[code]
        )
        flags[code] = np.repeat(h.flags[code], 60)
    # keep zs consistent with the minute O2 and concentration
    zs[NOX] = _quantise(values[NOX] * (21 - REF_O2) / (21 - np.minimum(values[O2_CODE], 20.0)), 0.1)
    off = np.repeat(h.flags[NOX] == "F", 60)
    for code in values:
        values[code][off] = 0.0 if code != O2_CODE else 20.9
    zs[NOX][off] = 0.0
    return Track(
        name=h.name,
        point_type=h.point_type,
        start=h.start,
        step_min=1,
        values=values,
        flags=flags,
        factors=h.factors,
        resolution=h.resolution,
        target=h.target,
        zs=zs,
        wc=np.repeat(h.wc, 60) if h.wc is not None else None,
        ref_o2=h.ref_o2,
    )


def tilburg_minute(data: Path, seed: int, hold_min: int = 60) -> Track:
    """The 2021 Tilburg series at minute resolution; NH4/NO3 held per ``hold_min`` analyser cycle."""
    rng = np.random.default_rng(seed)
    raw = _with_air(_tilburg_raw(data, "online_2021-05-05_2021-06-24.csv", ","))
    t0 = raw["DATETIME"][0].replace(minute=0, second=0) + dt.timedelta(hours=1)
    t_min = (raw["DATETIME"] - t0).dt.total_seconds().to_numpy() / 60.0
    n = int(t_min[-1] // 60) * 60
    grid = np.arange(n, dtype=np.float64)
    values: dict[str, np.ndarray] = {}
    for col, code in (("Q_inf", WATER_FLOW), ("NH4", NH3N), ("NO3", NO3N)):
        base = np.interp(grid, t_min, raw[col].cast(pl.Float64).to_numpy())
        if code == WATER_FLOW:
            values[code] = np.maximum(base * (1 + _ar1(n, rng, 0.01, 0.9)), 0.0)
        else:
            held = np.repeat(base[::hold_min], hold_min)[:n]
            values[code] = _quantise(np.maximum(held, 0.0), 0.01)
    air = np.interp(grid, t_min, raw["AIR"].to_numpy())
    factors = {
        c: FactorSpec(
            limit=s.limit,
            range_high=s.range_high,
            detection_limit=s.detection_limit,
            unit=s.unit,
            cycles_per_hour=60.0 / hold_min if c != WATER_FLOW else None,
        )
        for c, s in _TB_FACTORS.items()
    }
    return Track(
        name="tilburg-2021-min",
        point_type=PointType.WATER,
        start=_cst_start(t0),
        step_min=1,
        values=values,
        flags={c: np.full(n, "N") for c in values},
        factors=factors,
        resolution={WATER_FLOW: 0.0, NH3N: 0.01, NO3N: 0.01},
        target=NH3N,
        hold_min=hold_min,
        treat=air * AERATION_KWH_PER_NM3,
    )


# --- registry --------------------------------------------------------------------------------------------

Loader = Callable[[Path, int], list[Track]]


def _epa_minute_tracks(data: Path, seed: int) -> list[Track]:
    units = {t.name: t for t in load_epa(data, seed=seed)}
    return [epa_minute(units[name], 42, seed + k) for k, name in enumerate(("GA_703-3BLR", "GA_728-Y1BR"))]


LOADERS: dict[str, tuple[str, str, Loader, int]] = {
    # name -> (folder, summary, loader(data, seed), segment days)
    "epa-cems": (
        "epa-cems-2007-units",
        "8 US power units, hourly 2007, NOx converted to mg/m3 at 6 % O2, O2 and flow modelled, load as "
        "working condition, substitute data flag S; stopped days count as point-days (peaking units CT4 "
        "and MAG1 run 3-13 % of hours)",
        lambda d, s: load_epa(d, seed=s),
        30,
    ),
    "epa-cems-minute": (
        "epa-cems-2007-units",
        "2 base-load units (3BLR, Y1BR), 42 operating days as minutes generated between the real hours",
        _epa_minute_tracks,
        14,
    ),
    "cn-effluent": (
        "cn-effluent-hourly",
        "one Chinese effluent analyser (NH3-N, mg/L), hourly 2021-22, held values and big gaps kept",
        lambda d, s: load_cn_effluent(d),
        30,
    ),
    "tilburg-wwtp": (
        "tilburg-wwtp",
        "Dutch WWTP, hourly means of 15-min sensors: 2021 flow + NH4 + NO3 (50 d), 2022 flow only (90 d)",
        lambda d, s: load_tilburg(d),
        24,
    ),
    "tilburg-wwtp-minute": (
        "tilburg-wwtp",
        "Tilburg 2021 as minutes: flow interpolated, NH4/NO3 analysers holding each 60-min measurement",
        lambda d, s: [tilburg_minute(d, s)],
        14,
    ),
    "dk-wwtp-inflow": (
        "dk-wwtp-inflow",
        "Danish WWTP inflow, hourly 2023-11..2025-02, flow only (rain peaks, zero flows)",
        lambda d, s: load_dk(d),
        30,
    ),
    "beijing-aq": (
        "beijing-multisite-aq",
        "12 Beijing ambient stations, hourly 2013-17, SO2/NO2/CO/PM2.5 as gas codes, GB 3095 grade II",
        lambda d, s: load_beijing(d),
        30,
    ),
}
BACKGROUNDS = tuple(LOADERS)


class UnknownBackgroundError(ValueError):
    """A background name that is not in ``BACKGROUNDS``."""


def load_background(name: str, data: Path, seed: int = 0) -> Background:
    """Load one background by name (raises UnknownBackgroundError, FileNotFoundError)."""
    if name not in LOADERS:
        raise UnknownBackgroundError(name)
    folder, summary, loader, seg = LOADERS[name]
    return Background(name, folder, summary, loader(data, seed), seg)
