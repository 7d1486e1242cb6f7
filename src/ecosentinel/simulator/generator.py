"""Clean (honest) station data, vectorised with numpy: one array per factor over the minutes of the run.

A :class:`Station` holds the minute-level state that scenarios modify before it is turned into readings
(see ``build.py``). Water analysers for COD, NH3-N, TP and TN run in cycles: each minute shows the last
result, which measured a sample taken one cycle earlier. Legitimate look-alikes of falsification are
part of clean data: night shutdowns, planned shutdowns (flag F) and gas start-ups with high O2, storms
that dilute water, daily calibration (C) and maintenance (M) with O&M records, transmission gaps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter  # type: ignore[import-untyped]

from ecosentinel.registry.enums import PointType
from ecosentinel.simulator import messages
from ecosentinel.simulator.profiles import (
    COD,
    GAS_POLLUTANTS,
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
    WATER_POLLUTANTS,
    WFLOW,
    FactorSpec,
    Industry,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

FLAGS = ("N", "F", "M", "S", "D", "C", "T", "B")
"""HJ 212 flags; flag arrays hold indexes into this tuple."""
F_N, F_F, F_M, F_S, F_D, F_C, F_T, F_B = range(len(FLAGS))

MINUTE_US = 60_000_000
CST_OFFSET_MIN = 480


@dataclass(frozen=True, slots=True)
class Clock:
    """The minutes of a run (UTC, aligned to the minute) with their China Standard Time calendar."""

    start: dt.datetime
    n: int
    epoch_min: IntArray  # minutes since 1970-01-01T00:00Z
    cst_mod: IntArray  # minute of the CST day
    cst_day: IntArray  # CST day number since 1970-01-01
    weekday: IntArray  # CST weekday, Monday = 0

    @classmethod
    def create(cls, start: dt.datetime, days: float) -> Clock:
        start = start.astimezone(dt.UTC).replace(second=0, microsecond=0)
        n = max(1, round(days * 1440))
        m0 = int(start.timestamp()) // 60
        epoch_min = np.arange(m0, m0 + n, dtype=np.int64)
        cst = epoch_min + CST_OFFSET_MIN
        cst_day = cst // 1440
        return cls(start, n, epoch_min, cst % 1440, cst_day, (cst_day + 3) % 7)

    def time_at(self, index: int) -> dt.datetime:
        return self.start + dt.timedelta(minutes=index)

    def index_of_cst(self, day: int, minute_of_day: int) -> int:
        """Minute index of a CST day and minute of day (may fall outside the run)."""
        return int(day * 1440 + minute_of_day - CST_OFFSET_MIN - self.epoch_min[0])

    @property
    def days(self) -> IntArray:
        return np.unique(self.cst_day)


@dataclass(slots=True)
class Journal:
    """Side records of a run, filled while stations are generated and scenarios applied."""

    events: list[dict[str, Any]] = field(default_factory=list)
    om_records: list[dict[str, Any]] = field(default_factory=list)
    episodes: list[dict[str, Any]] = field(default_factory=list)

    def event(self, mn: str, time: dt.datetime, type_: str, detail_key: str | None = None) -> None:
        self.events.append(
            {"mn": mn, "time": time, "type": type_, "detail": messages.EVENT_DETAIL[detail_key or type_]}
        )

    def om(self, mn: str, start: dt.datetime, end: dt.datetime, kind: str, person: str, note: str) -> None:
        self.om_records.append(
            {"mn": mn, "start": start, "end": end, "kind": kind, "person": person, "note": note}
        )

    def episode(self, mn: str, kind: str, start: dt.datetime, end: dt.datetime) -> None:
        self.episodes.append({"mn": mn, "kind": kind, "start": start, "end": end})


@dataclass(eq=False, slots=True)
class Station:
    """Minute-level state of one monitoring point. ``values`` are what the analyser measured."""

    index: int
    mn: str
    pw: str
    industry: Industry
    factors: dict[str, FactorSpec]
    person: str
    clock: Clock
    values: dict[str, FloatArray] = field(default_factory=dict)
    flags: dict[str, NDArray[np.int8]] = field(default_factory=dict)
    spread: dict[str, FloatArray] = field(default_factory=dict)  # half width of the minute Min..Max
    first_minute: dict[str, IntArray] = field(default_factory=dict)  # cycled codes: start of shown cycle
    present: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    load: FloatArray = field(default_factory=lambda: np.zeros(0))
    prod_on: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    shutdown: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    rain: FloatArray = field(default_factory=lambda: np.zeros(0))
    wc_prod: FloatArray = field(default_factory=lambda: np.zeros(0))
    wc_treat: FloatArray = field(default_factory=lambda: np.zeros(0))
    platform_scale: dict[str, FloatArray] = field(default_factory=dict)
    zs_scale: dict[str, FloatArray] = field(default_factory=dict)
    hour_scale: dict[str, FloatArray] = field(default_factory=dict)
    cou_scale: FloatArray | None = None
    filed: dict[tuple[str, str], float] = field(default_factory=dict)
    param_changes: list[tuple[int, str, str, float]] = field(default_factory=list)

    @property
    def type(self) -> PointType:
        return self.industry.type

    @property
    def ref_o2(self) -> float | None:
        return self.industry.ref_o2

    @property
    def pollutants(self) -> tuple[str, ...]:
        return WATER_POLLUTANTS if self.type is PointType.WATER else GAS_POLLUTANTS

    @property
    def flow_code(self) -> str:
        return WFLOW if self.type is PointType.WATER else GFLOW

    @property
    def main_code(self) -> str:
        return COD if self.type is PointType.WATER else NOX

    def limit_of(self, code: str) -> float:
        limit = self.factors[code].limit
        assert limit is not None, code
        return limit

    def zs_factor(self, sl: slice | IntArray | BoolArray) -> FloatArray:
        """(21 − O2_ref)/(21 − O2) over minutes: multiply a measured concentration to get the 折算 value."""
        ref = self.ref_o2
        if ref is None:
            raise ValueError("not a flue-gas station")
        o2 = np.minimum(self.values[O2][sl], 20.0)
        return np.asarray((21.0 - ref) / (21.0 - o2), dtype=np.float64)

    def transform(self, code: str, i0: int, i1: int, fn: Any) -> tuple[int, int]:
        """Apply ``fn(values, minute_indexes) -> values`` to a code over [i0, i1).

        Cycled codes change per analyser cycle: every cycle whose result arrives in the window gets one new
        value, shown for the whole cycle. Returns the minute range actually changed.
        """
        v = self.values[code]
        if code in self.first_minute:
            fm = self.first_minute[code]
            mask = (fm >= i0) & (fm < i1)
            idx = np.flatnonzero(mask)
            if idx.size == 0:
                return i0, i0
            starts, inverse = np.unique(fm[idx], return_inverse=True)
            new = np.asarray(fn(v[starts].copy(), starts), dtype=np.float64)
            v[idx] = new[inverse]
            return int(idx[0]), int(idx[-1]) + 1
        idx = np.arange(i0, i1)
        v[i0:i1] = np.asarray(fn(v[i0:i1].copy(), idx), dtype=np.float64)
        return i0, i1


def ar1(rng: np.random.Generator, n: int, tau: float) -> FloatArray:
    """Stationary AR(1) noise with unit variance and a correlation time of ``tau`` minutes."""
    a = float(np.exp(-1.0 / tau))
    e = rng.standard_normal(n)
    y0 = float(rng.standard_normal())
    out, _ = lfilter([np.sqrt(1 - a * a)], [1.0, -a], e, zi=[a * y0])
    return np.asarray(out, dtype=np.float64)


def smooth(x: FloatArray, tau: float) -> FloatArray:
    """First-order lag (exponential smoothing) with a time constant of ``tau`` minutes."""
    a = float(np.exp(-1.0 / tau))
    out, _ = lfilter([1 - a], [1.0, -a], x, zi=[a * float(x[0])])
    return np.asarray(out, dtype=np.float64)


def _bump(m: IntArray, centre: float, width: float) -> FloatArray:
    d = np.minimum(np.abs(m - centre), 1440 - np.abs(m - centre))
    return np.asarray(np.exp(-0.5 * (d / width) ** 2), dtype=np.float64)


def schedule(kind: str, clock: Clock, rng: np.random.Generator) -> FloatArray:
    """Production load (0…1) per minute for an industry's working pattern."""
    m, wd = clock.cst_mod, clock.weekday
    if kind == "two_shift":  # 08:00–24:00 in two shifts, Sunday off
        on = (m >= 480) & (wd != 6)
        base = np.where(on, 1.0, 0.03)
        base = np.where(on & (m >= 960) & (m < 980), 0.85, base)  # shift change
    elif kind == "day_shift":  # 08:00–17:30 on weekdays, lunch break, nights and weekends off
        on = (m >= 480) & (m < 1050) & (wd < 5)
        base = np.where(on, 1.0, 0.02)
        base = np.where(on & (m >= 720) & (m < 780), 0.5, base)
    elif kind == "load_follow":  # grid demand: morning and evening peaks, night trough
        demand = np.minimum(_bump(m, 630, 130) + 0.9 * _bump(m, 1170, 120), 1.0)
        base = 0.58 + 0.36 * demand - 0.06 * (wd >= 5)
    elif kind == "wwtp":  # influent follows the town's water use
        base = 0.7 + 0.18 * _bump(m, 560, 100) + 0.14 * _bump(m, 1230, 120)
    else:
        phase = float(rng.uniform(0, 2 * np.pi))
        base = 0.92 + 0.04 * np.sin(2 * np.pi * m / 1440 + phase)
    load = smooth(np.asarray(base, dtype=np.float64), 15.0) * (1 + 0.03 * ar1(rng, clock.n, 30))
    return np.clip(load, 0.0, 1.05)


def _random_days(rng: np.random.Generator, clock: Clock, rate_per_30d: float) -> list[int]:
    """CST day numbers (within the run) for events happening at a Poisson rate."""
    k = int(rng.poisson(rate_per_30d * clock.n / (30 * 1440)))
    days = clock.days
    return [int(days[int(rng.integers(len(days)))]) for _ in range(k)]


@dataclass(frozen=True, slots=True)
class Storm:
    """A region-wide storm: every water station gets wet at once, each as much as its sewers let rain in."""

    i0: int
    i1: int
    intensity: float  # extra flow ratio at the peak for a fully exposed outlet
    profile: FloatArray  # 0…1 over the whole run: rises during the rain, decays after it


def make_storms(clock: Clock, rng: np.random.Generator) -> list[Storm]:
    """Storms at about three per 30 days."""
    storms: list[Storm] = []
    for _ in range(int(rng.poisson(3.0 * clock.n / (30 * 1440)))):
        i0 = int(rng.integers(0, clock.n))
        i1 = min(clock.n, i0 + int(rng.integers(120, 600)))
        wet = np.zeros(clock.n)
        wet[i0:i1] = 1.0
        profile = smooth(wet, 90.0)
        storms.append(Storm(i0, i1, float(rng.uniform(0.5, 2.5)), profile / max(float(profile.max()), 1e-9)))
    return sorted(storms, key=lambda s: s.i0)


def _shutdowns(st: Station, rng: np.random.Generator, journal: Journal) -> None:
    clock = st.clock
    st.shutdown = np.zeros(clock.n, dtype=bool)
    if clock.n < 3 * 1440:
        return
    for day in _random_days(rng, clock, st.industry.shutdown_rate):
        i0 = clock.index_of_cst(day, 8 * 60)
        i1 = i0 + int(rng.integers(24, 60)) * 60
        i0, i1 = max(i0, 1440), min(i1, clock.n)
        if i1 - i0 < 60:
            continue
        st.shutdown[i0:i1] = True
        journal.episode(st.mn, "shutdown", clock.time_at(i0), clock.time_at(i1))


def _startup_ramp(st: Station) -> FloatArray:
    """1 right after a shutdown ends, falling to 0 over three hours (gas start-up, 启炉)."""
    n = st.clock.n
    ramp = np.zeros(n)
    ends = np.flatnonzero(st.shutdown[:-1] & ~st.shutdown[1:]) + 1
    for e in ends.tolist():
        k = min(180, n - int(e))
        ramp[e : e + k] = np.maximum(ramp[e : e + k], np.linspace(1.0, 0.0, 180)[:k])
    return ramp


def _cycled(st: Station, code: str, c: FloatArray, rng: np.random.Generator) -> FloatArray:
    """Hold analyser results: each minute shows the result of the sample taken one cycle earlier."""
    clock = st.clock
    period = st.factors[code].cycle_min
    phase = int(rng.integers(0, period))
    pos = (clock.epoch_min - phase) % period
    idx = np.arange(clock.n, dtype=np.int64)
    first = idx - pos
    st.first_minute[code] = first
    sample = np.clip(first - period, 0, clock.n - 1)
    return np.asarray(c[sample], dtype=np.float64)


def generate_station(
    *,
    index: int,
    mn: str,
    pw: str,
    industry: Industry,
    clock: Clock,
    seed: int,
    storms: list[Storm],
    person: str,
    journal: Journal,
) -> Station:
    """Generate the clean minute-level state of one monitoring point."""
    rng = np.random.default_rng([seed, 1, index])
    scale = float(rng.uniform(0.75, 1.15))
    factors = {}
    for f in industry.factors:
        if f.code in (*WATER_POLLUTANTS, *GAS_POLLUTANTS):
            factors[f.code] = _replace_mean(f, f.mean * scale)
        elif f.code in (WFLOW, GFLOW):
            factors[f.code] = _replace_mean(f, f.mean * float(rng.uniform(0.6, 1.5)))
        else:
            factors[f.code] = f
    st = Station(index, mn, pw, industry, factors, person, clock)
    n = clock.n
    st.present = np.ones(n, dtype=bool)
    _shutdowns(st, rng, journal)
    load = schedule(industry.schedule, clock, rng)
    startup = _startup_ramp(st) if industry.type is PointType.GAS else np.zeros(n)
    load = np.where(st.shutdown, 0.0, load * (1 - 0.85 * startup))
    st.load = load
    st.prod_on = load > 0.15
    for e in np.flatnonzero(startup[1:] > startup[:-1]) + 1:
        journal.episode(mn, "startup", clock.time_at(int(e)), clock.time_at(min(n, int(e) + 180)))
    slow = smooth(load, 120.0)
    common = np.exp(0.12 * ar1(rng, n, 360))
    if industry.type is PointType.WATER:
        _water(st, rng, slow, common, storms, journal)
    else:
        _gas(st, rng, slow, common, startup)
    for code in st.values:
        st.flags[code] = np.zeros(n, dtype=np.int8)
        st.values[code] = np.maximum(st.values[code], 0.0)
    for code in st.values:
        st.flags[code][st.shutdown] = F_F
    _working_condition(st, rng, slow)
    _calibrations(st, rng, journal)
    _maintenance(st, rng, journal)
    _gaps_and_cameras(st, rng, journal)
    _filed_parameters(st, rng)
    return st


def _replace_mean(f: FactorSpec, mean: float) -> FactorSpec:
    return FactorSpec(f.code, f.unit, f.resolution, f.range_hi, mean, f.limit, f.limit_low, f.cycle_min)


def _water(
    st: Station,
    rng: np.random.Generator,
    slow: FloatArray,
    common: FloatArray,
    storms: list[Storm],
    journal: Journal,
) -> None:
    n, clock = st.clock.n, st.clock
    lo, hi = st.industry.storm_susceptibility
    susceptibility = float(rng.uniform(lo, hi))
    rain = np.ones(n)
    for storm in storms:
        rain += susceptibility * storm.intensity * storm.profile
        if susceptibility * storm.intensity > 0.05:
            journal.episode(st.mn, "storm", clock.time_at(storm.i0), clock.time_at(min(n, storm.i1 + 360)))
    st.rain = rain
    # Storm water carries some COD of its own, so dilution is not uniform across pollutants.
    dilution_exponent = {COD: 0.7, NH3N: 1.0, TP: 0.85, TN: 0.95}
    for code in WATER_POLLUTANTS:
        f = st.factors[code]
        c = f.mean * (0.72 + 0.35 * slow) * common * np.exp(0.08 * ar1(rng, n, 120))
        c = c / rain ** dilution_exponent[code]
        st.values[code] = _cycled(st, code, c, rng)
        st.spread[code] = np.zeros(n)
    ph = st.factors[PH].mean + 0.12 * ar1(rng, n, 180) + 0.15 * (slow - 0.6)
    st.values[PH] = 7.0 + (ph - 7.0) / rain
    st.spread[PH] = 0.01 + 0.02 * np.abs(ar1(rng, n, 5))
    flow = st.factors[WFLOW].mean * (0.08 + 0.92 * st.load) * (1 + 0.04 * ar1(rng, n, 30)) * rain
    st.values[WFLOW] = np.where(st.shutdown, 0.0, flow)
    st.spread[WFLOW] = st.values[WFLOW] * (0.01 + 0.03 * np.abs(ar1(rng, n, 5)))


def _gas(
    st: Station, rng: np.random.Generator, slow: FloatArray, common: FloatArray, startup: FloatArray
) -> None:
    n, ind = st.clock.n, st.industry
    assert ind.ref_o2 is not None
    load = st.load
    o2 = ind.o2_full + ind.o2_low_extra * np.clip(1 - load, 0, 1) ** 1.5 + 0.25 * ar1(rng, n, 30)
    o2 = np.clip(o2, ind.o2_full - 1.5, 19.5)
    o2 = np.where(st.shutdown, 20.6 + 0.1 * ar1(rng, n, 30), o2)
    st.values[O2] = o2
    st.spread[O2] = 0.02 + 0.05 * np.abs(ar1(rng, n, 5))
    conv_back = (21.0 - o2) / (21.0 - ind.ref_o2)  # converted -> measured
    for code in GAS_POLLUTANTS:
        f = st.factors[code]
        zs = f.mean * (0.85 + 0.25 * slow) * common * np.exp(0.12 * ar1(rng, n, 60))
        if code == NOX:  # the SCR is cold during start-up
            zs = zs * (1 + 1.2 * startup)
        measured = np.where(st.shutdown, f.resolution * 0.3 * np.abs(ar1(rng, n, 10)), zs * conv_back)
        st.values[code] = measured
        st.spread[code] = measured * (0.02 + 0.04 * np.abs(ar1(rng, n, 5)))
    temp = st.factors[TEMP].mean - 8.0 * (1 - load) + 0.6 * ar1(rng, n, 60)
    st.values[TEMP] = np.where(st.shutdown, 25.0 + 0.5 * ar1(rng, n, 60), temp)
    st.spread[TEMP] = 0.1 + 0.2 * np.abs(ar1(rng, n, 5))
    st.values[HUM] = st.factors[HUM].mean + 0.4 * ar1(rng, n, 120)
    st.spread[HUM] = 0.05 + 0.1 * np.abs(ar1(rng, n, 5))
    full = st.factors[GFLOW].mean
    flow = full * (0.1 + 0.9 * load) * (21 - ind.o2_full) / (21 - np.minimum(o2, 19.5))
    flow = flow * (1 + 0.02 * ar1(rng, n, 20))
    st.values[GFLOW] = np.where(st.shutdown, full * 0.02, flow)
    st.spread[GFLOW] = st.values[GFLOW] * (0.01 + 0.02 * np.abs(ar1(rng, n, 5)))


def _working_condition(st: Station, rng: np.random.Generator, slow: FloatArray) -> None:
    n, ind = st.clock.n, st.industry
    st.wc_prod = ind.prod_kw * (0.02 + 0.98 * st.load) * (1 + 0.015 * ar1(rng, n, 10))
    off_after = np.zeros(n, dtype=bool)
    delay = 360 if ind.type is PointType.WATER else 60
    starts = np.flatnonzero(st.shutdown[1:] & ~st.shutdown[:-1]) + 1
    if st.shutdown[0]:
        starts = np.r_[0, starts]
    for s in starts:
        run = st.shutdown[s:]
        end = s + (int(np.argmin(run)) if not run.all() else run.size)
        off_after[min(end, s + delay) : end] = True
    if ind.type is PointType.WATER:  # biological treatment runs day and night
        treat = ind.treat_kw * (0.55 + 0.45 * slow)
    else:
        treat = ind.treat_kw * (0.25 + 0.75 * st.load)
    treat = treat * (1 + 0.02 * ar1(rng, n, 15))
    st.wc_treat = np.where(off_after, ind.treat_kw * 0.03, treat)


def _calibrations(st: Station, rng: np.random.Generator, journal: Journal) -> None:
    """Daily automatic calibration (flag C) with its O&M record."""
    clock, n = st.clock, st.clock.n
    cal_minute = int(rng.integers(60, 300))
    for day in clock.days:
        i0 = clock.index_of_cst(int(day), cal_minute)
        if i0 < 0 or i0 >= n or st.shutdown[i0]:
            continue
        if st.type is PointType.WATER:
            end = i0
            for code in WATER_POLLUTANTS:
                period = st.factors[code].cycle_min
                start = int(st.first_minute[code][i0])
                b = start if start == i0 else start + period  # the first cycle starting at or after i0
                e = min(n, b + period)
                if b >= n:
                    continue
                standard = 0.2 * st.factors[code].range_hi
                st.values[code][b:e] = standard * (1 + 0.02 * float(rng.standard_normal()))
                st.flags[code][b:e] = F_C
                end = max(end, e)
            kind_note = messages.OM_NOTE["calibration_water"]
        else:
            end = min(n, i0 + 15)
            mid = min(n, i0 + 7)
            for code in (SO2, NOX):
                span = 0.8 * st.factors[code].range_hi
                st.values[code][i0:mid] = np.abs(rng.normal(0, st.factors[code].resolution, mid - i0))
                st.values[code][mid:end] = span * (1 + 0.01 * rng.standard_normal(end - mid))
            st.values[O2][i0:mid] = np.abs(rng.normal(0, 0.03, mid - i0))
            st.values[O2][mid:end] = 20.9 + rng.normal(0, 0.03, end - mid)
            st.values[PM][i0:end] = st.values[PM][i0]
            for code in (SO2, NOX, PM, O2):
                st.flags[code][i0:end] = F_C
            kind_note = messages.OM_NOTE["calibration_gas"]
        if end > i0:
            journal.om(st.mn, clock.time_at(i0), clock.time_at(end), "calibration", st.person, kind_note)


def _maintenance(st: Station, rng: np.random.Generator, journal: Journal) -> None:
    """Routine visits by the O&M agency (flag M) with door events and an O&M record."""
    clock, n = st.clock, st.clock.n
    codes = (*st.pollutants, PH if st.type is PointType.WATER else O2)
    for day in _random_days(rng, clock, 2.0):
        i0 = clock.index_of_cst(day, int(rng.integers(9 * 60, 15 * 60)))
        i1 = i0 + int(rng.integers(60, 180))
        if i0 < 0 or i1 > n or st.shutdown[i0:i1].any():
            continue
        for code in codes:
            if st.type is PointType.WATER:
                st.values[code][i0:i1] = st.values[code][i0]
                st.spread[code][i0:i1] = 0.0
            st.flags[code][i0:i1] = np.where(st.flags[code][i0:i1] == F_C, F_C, F_M)
        kind = str(rng.choice(["maintenance", "cleaning", "repair"], p=[0.6, 0.3, 0.1]))
        t0, t1 = clock.time_at(i0), clock.time_at(i1)
        journal.event(st.mn, t0 - dt.timedelta(minutes=int(rng.integers(2, 10))), "door_open")
        journal.event(st.mn, t1 + dt.timedelta(minutes=int(rng.integers(1, 10))), "door_close")
        journal.om(st.mn, t0, t1, kind, st.person, messages.OM_NOTE[kind])


def _gaps_and_cameras(st: Station, rng: np.random.Generator, journal: Journal) -> None:
    clock, n = st.clock, st.clock.n
    for _ in range(int(rng.poisson(1.5 * n / (30 * 1440)))):
        i0 = int(rng.integers(0, n))
        i1 = min(n, i0 + int(np.clip(rng.lognormal(np.log(20), 1.0), 3, 240)))
        st.present[i0:i1] = False
        journal.episode(st.mn, "transmission_gap", clock.time_at(i0), clock.time_at(i1))
    for _ in range(int(rng.poisson(1.0 * n / (30 * 1440)))):
        i0 = int(rng.integers(0, n))
        i1 = min(n, i0 + int(rng.integers(5, 60)))
        journal.event(st.mn, clock.time_at(i0), "camera_offline")
        journal.event(st.mn, clock.time_at(i1), "camera_online")
        journal.episode(st.mn, "camera_offline", clock.time_at(i0), clock.time_at(i1))


def _filed_parameters(st: Station, rng: np.random.Generator) -> None:
    """Filed instrument parameters (备案参数) per pollutant: range, slope, intercept, COD settings."""
    codes = (*st.pollutants, O2) if st.type is PointType.GAS else st.pollutants
    for code in codes:
        f = st.factors[code]
        st.filed[(code, "i13013")] = f.range_hi
        st.filed[(code, "i13008")] = round(float(rng.uniform(0.97, 1.03)), 3)
        st.filed[(code, "i13007")] = round(float(rng.uniform(-0.02, 0.02)) * f.resolution * 10, 4)
        if f.cycle_min:
            st.filed[(code, "i13003")] = float(f.cycle_min)
    if st.type is PointType.WATER:
        st.filed[(COD, "i13004")] = 165.0
        st.filed[(COD, "i13005")] = 15.0


__all__ = ["FLAGS", "Clock", "Journal", "Station", "Storm", "generate_station", "make_storms"]
