"""The falsification catalogue: each scenario modifies one station over one window and says what it changed.

Every scenario is a function ``(ctx, station, i0, i1, severity, params, rng) -> (codes, i0, i1)`` over
minute indexes; it returns the factor codes it falsified and the minute range it actually changed (analyser
cycles can stretch it a little). Severity 1.0 is a case an inspector would call falsification; 0.5 is
subtle. The ids are the contract with the screening benchmark: do not rename them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ecosentinel.errors import ValidationError
from ecosentinel.registry.enums import PointType
from ecosentinel.simulator import messages
from ecosentinel.simulator.generator import F_C, F_D, F_M, F_N, Clock, FloatArray, IntArray, Journal, Station
from ecosentinel.simulator.profiles import COD, GAS_POLLUTANTS, GFLOW, NH3N, O2, PH, TEMP, TN, TP, WC_TREAT

Params = Mapping[str, float | str]


@dataclass(slots=True)
class ScenarioContext:
    """What a scenario may look at besides its own station."""

    clock: Clock
    stations: list[Station]
    journal: Journal


ScenarioFn = Callable[
    [ScenarioContext, Station, int, int, float, Params, np.random.Generator], tuple[list[str], int, int]
]

WATER = frozenset({PointType.WATER})
GAS = frozenset({PointType.GAS})
BOTH = frozenset({PointType.WATER, PointType.GAS})


@dataclass(frozen=True, slots=True)
class ScenarioDef:
    """A catalogue entry. ``align``: any | night (22:00 CST) | day (a CST day) | production | hour."""

    id: str
    types: frozenset[PointType]
    minutes: int
    align: str
    avoid_rain: bool
    apply: ScenarioFn
    summary: str


def _code(st: Station, params: Params, default: str) -> str:
    code = str(params.get("code", default))
    if code not in st.values or (code not in st.factors or st.factors[code].limit is None):
        raise ValidationError(messages.ERR_CODE.format(mn=st.mn, code=code))
    return code


def _conv(st: Station, idx: IntArray) -> FloatArray:
    """Factor from a stored (measured) value to the value compared with the limit."""
    if st.type is PointType.GAS:
        return st.zs_factor(idx)
    return np.ones(idx.size)


def _first_cycle_start(st: Station, code: str, i: int) -> int:
    start = int(st.first_minute[code][i])
    return start if start == i else start + st.factors[code].cycle_min


def _humps(n_minutes: int, rng: np.random.Generator, count: int = 2) -> FloatArray:
    """Smooth bumps (0…1) inside a window: episodes when the treatment falls behind."""
    t = np.arange(n_minutes, dtype=np.float64)
    out = np.zeros(n_minutes)
    for k in range(count):
        centre = n_minutes * (k + 0.5) / count + rng.uniform(-0.1, 0.1) * n_minutes / count
        width = max(20.0, n_minutes / count / 6)
        out = np.maximum(out, np.exp(-0.5 * ((t - centre) / width) ** 2))
    return out


def _raise_to(
    st: Station, code: str, i0: int, i1: int, peak_ratio: float, rng: np.random.Generator
) -> tuple[int, int]:
    """Multiply a code by humps whose peaks reach ``peak_ratio`` × limit (compared as the limit is)."""
    limit = st.limit_of(code)
    idx = np.arange(i0, i1)
    base = float(np.median(st.values[code][i0:i1] * _conv(st, idx)))
    amp = max(peak_ratio * limit / max(base, 1e-6) - 1.0, 0.0)
    shape = _humps(i1 - i0, rng)
    return st.transform(code, i0, i1, lambda v, j: v * (1 + amp * shape[np.clip(j - i0, 0, i1 - i0 - 1)]))


def _dilate(mask: np.ndarray, k: int) -> np.ndarray:
    if not mask.any():
        return mask
    kernel = np.ones(2 * k + 1)
    return np.convolve(mask.astype(float), kernel, mode="same") > 0


# --- water ---------------------------------------------------------------------------------------------


def post_exceedance_drop(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """COD exceeds; water is poured into the sample cup and the analyser re-run: the next results collapse."""
    code = _code(st, params, COD)
    n, period = ctx.clock.n, st.factors[code].cycle_min
    b = _first_cycle_start(st, code, i0)
    prev = float(st.values[code][max(b - 1, 0)])
    exceed = st.limit_of(code) * (1.25 + 0.35 * sev) * (1 + 0.03 * rng.standard_normal())
    low = prev * (0.3 + 0.7 * (1 - sev))
    n_low = 1 + round(sev)
    v = st.values[code]
    segments = [(b, b + 20, exceed), (b + 20, b + 40, low * (1 + 0.05 * rng.standard_normal()))]
    segments.append((b + 40, b + period, low * (1 + 0.05 * rng.standard_normal())))
    for k in range(1, n_low + 1):
        segments.append((b + k * period, b + (k + 1) * period, low * (1 + 0.08 * rng.standard_normal())))
    end = b
    for s, e, value in segments:
        s, e = min(s, n), min(e, n)
        v[s:e] = value
        st.flags[code][s:e] = F_N
        st.spread[code][s:e] = 0.0
        end = max(end, e)
    return [code], b, end


def dilution(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """Hidden pipe (暗管) or clean water added: every pollutant falls by one common factor, ratios kept."""
    d = 1 - 0.65 * sev
    lo, hi = i1, i0
    for code in st.pollutants:
        a, b = st.transform(code, i0, i1, lambda v, _j: v * d)
        lo, hi = min(lo, a), max(hi, b)
    st.transform(PH, i0, i1, lambda v, _j: 7.2 + (v - 7.2) * d)
    codes = [*st.pollutants, PH]
    if float(params.get("flow_rise", 0)):
        st.transform(st.flow_code, i0, i1, lambda v, _j: v / d)
        codes.append(st.flow_code)
    return codes, min(lo, i0), max(hi, i1)


TAP_WATER = {COD: 4.0, NH3N: 0.08, TP: 0.02, TN: 1.2}


def tap_water_night(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """At night the sample tube goes into a tap-water hose, the camera is turned away, no O&M record."""
    mix = min(1.0, sev)
    lo, hi = i1, i0
    for code, tap in TAP_WATER.items():

        def fn(v: FloatArray, _j: IntArray, tap: float = tap) -> FloatArray:
            noisy = tap * (1 + 0.25 * np.abs(rng.standard_normal(v.size)))
            return v * (1 - mix) + noisy * mix

        a, b = st.transform(code, i0, i1, fn)
        lo, hi = min(lo, a), max(hi, b)
    st.transform(PH, i0, i1, lambda v, _j: v * (1 - mix) + (7.35 + 0.04 * rng.standard_normal(v.size)) * mix)
    st.spread[PH][i0:i1] = 0.01
    clock, j = ctx.clock, ctx.journal
    t0, t1 = clock.time_at(i0), clock.time_at(min(i1, clock.n - 1))
    minutes = dt.timedelta(minutes=1)
    camera_moved = bool(rng.random() < 0.5)
    j.event(st.mn, t0 - 12 * minutes, "camera_moved" if camera_moved else "video_lost")
    j.event(st.mn, t0 - int(rng.integers(5, 10)) * minutes, "door_open")
    j.event(st.mn, t0 - int(rng.integers(1, 4)) * minutes, "door_close")
    j.event(st.mn, t1 - int(rng.integers(6, 12)) * minutes, "door_open")
    j.event(st.mn, t1 - int(rng.integers(1, 5)) * minutes, "door_close")
    if camera_moved:
        j.event(st.mn, t1 + 3 * minutes, "camera_moved", "camera_restored")
    else:
        j.event(st.mn, t1 + 3 * minutes, "camera_online")
    return [*TAP_WATER, PH], min(lo, i0), max(hi, i1)


# --- both kinds ----------------------------------------------------------------------------------------


def parameter_change(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """The analyser's slope (or intercept) is changed from its filed value: a step in the data and in 3020."""
    code = _code(st, params, st.main_code)
    k_f, b_f = st.filed[(code, "i13008")], st.filed[(code, "i13007")]
    if str(params.get("info", "slope")) == "intercept":
        info, new = "i13007", round(b_f - 0.3 * sev * st.limit_of(code), 3)

        def fn(v: FloatArray, _j: IntArray) -> FloatArray:
            return np.maximum(v + (new - b_f), 0.0)
    else:
        info, new = "i13008", round(k_f * (1 - 0.45 * sev), 3)

        def fn(v: FloatArray, _j: IntArray) -> FloatArray:
            return b_f + (v - b_f) * new / k_f

    lo, hi = st.transform(code, i0, i1, fn)
    hi = max(hi, i1)
    st.param_changes.append((i0, code, info, new))
    if hi < ctx.clock.n:  # put back once the last result computed with the wrong value has been shown
        st.param_changes.append((hi, code, info, st.filed[(code, info)]))
    return [code], min(lo, i0), hi


def constant_value(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """Frozen output (恒值): the logger repeats one value; at lower severity a very narrow band."""
    codes = [_code(st, params, "")] if "code" in params else list(st.pollutants)
    if st.type is PointType.GAS and "code" not in params:
        codes.append(O2)
    for code in codes:
        v0 = float(st.values[code][i0])
        if sev >= 0.75:
            st.values[code][i0:i1] = v0
            st.spread[code][i0:i1] = 0.0
        else:
            band = 0.004 * st.factors[code].range_hi * (1 - sev)
            st.values[code][i0:i1] = v0 + band * rng.uniform(-1, 1, i1 - i0)
            st.spread[code][i0:i1] = band / 2
        st.flags[code][i0:i1] = F_N
    return codes, i0, i1


def gap_during_exceedance(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """The logger goes silent exactly while the concentration is over the limit (strategic gaps)."""
    code = _code(st, params, st.main_code)
    _, hi = _raise_to(st, code, i0, i1, 1.3 + 0.4 * sev, rng)
    hi = max(hi, i1)
    idx = np.arange(i0, hi)
    over = st.values[code][i0:hi] * _conv(st, idx) > st.limit_of(code) * (1.05 - 0.1 * sev)
    st.present[i0:hi] &= ~_dilate(over, 10)
    return [code], i0, hi


def treatment_off(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """The treatment facility is switched off while production runs; reported emissions stay normal."""
    keep = 1 - 0.97 * sev
    st.wc_treat[i0:i1] = st.wc_treat[i0:i1] * keep * (1 + 0.05 * np.abs(rng.standard_normal(i1 - i0)))
    return [WC_TREAT], i0, i1


def flag_abuse(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """Exceedances hidden under calibration / maintenance / fault flags with no O&M record."""
    code = _code(st, params, st.main_code)
    _, hi = _raise_to(st, code, i0, i1, 1.3 + 0.4 * sev, rng)
    hi = max(hi, i1)
    idx = np.arange(i0, hi)
    over = st.values[code][i0:hi] * _conv(st, idx) > st.limit_of(code) * (1.0 - 0.1 * sev)
    hidden = _dilate(over, 10)
    flags = np.array([F_C, F_M, F_D], dtype=np.int8)
    segment_flag = flags[rng.integers(0, 3, size=hi - i0)]
    # one flag per contiguous hidden stretch
    starts = np.flatnonzero(np.diff(np.r_[0, hidden.astype(int)]) == 1)
    for s in starts:
        run = hidden[s:]
        e = s + (int(np.argmin(run)) if not run.all() else run.size)
        st.flags[code][i0 + s : i0 + e] = segment_flag[s]
    return [code], i0, hi


def replay(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """A day of data copied from another day (or, with ``source=point``, from another point)."""
    source = st
    if str(params.get("source", "day")) == "point":
        others = [o for o in ctx.stations if o.type is st.type and o is not st]
        if others:
            source = others[int(rng.integers(len(others)))]
    if source is st:
        back = int(rng.integers(1, min(7, i0 // 1440) + 1)) * 1440
        s0 = i0 - back
    else:
        s0 = i0
    length = i1 - i0
    jitter = 0.0 if sev >= 1 else 0.01 * (1 - sev)
    codes = list(st.values)
    for code in codes:
        src = source.values[code][s0 : s0 + length]
        st.values[code][i0:i1] = src * (1 + jitter * rng.standard_normal(length))
        st.flags[code][i0:i1] = source.flags[code][s0 : s0 + length]
        st.spread[code][i0:i1] = source.spread[code][s0 : s0 + length]
    return codes, i0, i1


def flow_manipulation(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """Flow flat or zero while production runs (``mode`` flat|zero), or Cou inconsistent with flow (cou)."""
    code = st.flow_code
    mode = str(params.get("mode", "flat"))
    if mode == "cou":
        if st.cou_scale is None:
            st.cou_scale = np.ones(ctx.clock.n)
        st.cou_scale[i0:i1] = 1 - 0.6 * sev
    else:
        level = 0.0 if mode == "zero" else float(np.mean(st.values[code][i0:i1])) * (1 - 0.6 * sev)
        st.values[code][i0:i1] = level
        st.spread[code][i0:i1] = 0.0
    return [code], i0, i1


def _scale(store: dict[str, FloatArray], n: int, codes: list[str], i0: int, i1: int, factor: float) -> None:
    for code in codes:
        arr = store.setdefault(code, np.ones(n))
        arr[i0:i1] = factor


def hourly_mismatch(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """The reported hourly average is lower than the mean of its own minute data."""
    codes = [_code(st, params, "")] if "code" in params else list(st.pollutants)
    _scale(st.hour_scale, ctx.clock.n, codes, i0, i1, 1 - 0.35 * sev)
    return codes, i0, i1


def three_way_mismatch(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """Platform values lower than what the analyser measured and the logger stored (三方比对)."""
    codes = [_code(st, params, "")] if "code" in params else list(st.pollutants)
    _scale(st.platform_scale, ctx.clock.n, codes, i0, i1, 1 - 0.35 * sev)
    return codes, i0, i1


def bunching(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """Emissions run near the limit and every value that would pass it is reported just below (贴限)."""
    code = _code(st, params, st.main_code)
    limit = st.limit_of(code)
    idx = np.arange(i0, i1)
    valid = st.flags[code][i0:i1] == F_N
    conv = _conv(st, idx)
    median = float(np.median((st.values[code][i0:i1] * conv)[valid])) if valid.any() else limit / 2
    lift = (0.8 + 0.12 * sev) * limit / max(median, 1e-6)

    def fn(v: FloatArray, j: IntArray) -> FloatArray:
        c = _conv(st, j)
        raised = v * lift
        pile = raised * c > 0.93 * limit
        piled = rng.uniform(0.93, 0.995, v.size) * limit / c
        ok = st.flags[code][j] == F_N
        return np.where(ok, np.where(pile, piled, raised), v)

    lo, hi = st.transform(code, i0, i1, fn)
    return [code], min(lo, i0), max(hi, i1)


def zero_negative(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """Zeros and negatives with flag N while the plant is operating."""
    codes = list(st.pollutants) if sev >= 0.75 else [st.main_code]
    hi = i1
    for code in codes:
        res = st.factors[code].resolution

        def fn(v: FloatArray, j: IntArray, res: float = res, code: str = code) -> FloatArray:
            neg = -res * rng.integers(1, 6, v.size)
            new = np.where(rng.random(v.size) < 0.3, neg, 0.0)
            return np.where(st.prod_on[j] & (st.flags[code][j] == F_N), new, v)

        _, b = st.transform(code, i0, i1, fn)
        hi = max(hi, b)
        st.spread[code][i0:b] = 0.0
    return codes, i0, hi


# --- flue gas ------------------------------------------------------------------------------------------


def o2_dilution(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """Air leaks into the flue (稀释): O2 up, measured concentrations down, flow up, load unchanged."""
    length = i1 - i0
    ramp = np.minimum(1.0, np.minimum(np.arange(length) + 1, length - np.arange(length)) / 10.0)
    sel = st.flags[O2][i0:i1] != F_C
    o2 = st.values[O2][i0:i1]
    new_o2 = np.where(sel, np.minimum(o2 + 4.0 * sev * ramp, 19.8), o2)
    factor = (21.0 - new_o2) / (21.0 - np.minimum(o2, 20.0))
    st.values[O2][i0:i1] = new_o2
    for code in GAS_POLLUTANTS:
        st.values[code][i0:i1] *= np.where(st.flags[code][i0:i1] == F_C, 1.0, factor)
    st.values[GFLOW][i0:i1] /= factor
    st.values[TEMP][i0:i1] -= 3.0 * sev * ramp
    return [O2, *GAS_POLLUTANTS, GFLOW], i0, i1


def zs_mismatch(
    ctx: ScenarioContext, st: Station, i0: int, i1: int, sev: float, params: Params, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    """The reported O2-converted (折算) value does not follow C × (21 − O2_ref)/(21 − O2)."""
    codes = [_code(st, params, "")] if "code" in params else list(GAS_POLLUTANTS)
    _scale(st.zs_scale, ctx.clock.n, codes, i0, i1, 1 - 0.4 * sev)
    return codes, i0, i1


CATALOGUE: dict[str, ScenarioDef] = {
    d.id: d
    for d in (
        ScenarioDef("post_exceedance_drop", WATER, 180, "any", True, post_exceedance_drop,
                    "COD over the limit, then water into the sample cup: extra cycles, sharp drop"),
        ScenarioDef("dilution", WATER, 8 * 60, "any", True, dilution,
                    "all pollutants fall by one common factor, ratios kept, no rain"),
        ScenarioDef("tap_water_night", WATER, 8 * 60, "night", True, tap_water_night,
                    "sample tube on tap water at night, camera away, door open without O&M record"),
        ScenarioDef("parameter_change", BOTH, 3 * 1440, "any", False, parameter_change,
                    "slope or intercept changed from the filed value (3020 uploads show it)"),
        ScenarioDef("constant_value", BOTH, 1440, "any", False, constant_value,
                    "frozen value or a very narrow band"),
        ScenarioDef("gap_during_exceedance", BOTH, 6 * 60, "production", False, gap_during_exceedance,
                    "data missing exactly when concentrations would exceed"),
        ScenarioDef("treatment_off", BOTH, 6 * 60, "production", False, treatment_off,
                    "treatment power off while production runs, emissions look normal"),
        ScenarioDef("o2_dilution", GAS, 1440, "any", False, o2_dilution,
                    "air leaked into the flue: O2 up, measured concentrations down, flow up"),
        ScenarioDef("zs_mismatch", GAS, 2 * 1440, "any", False, zs_mismatch,
                    "reported O2-converted value does not match the formula"),
        ScenarioDef("flag_abuse", BOTH, 8 * 60, "production", False, flag_abuse,
                    "exceedances hidden under C/M/D flags without O&M records"),
        ScenarioDef("replay", BOTH, 1440, "day", False, replay,
                    "a day's data copied from another day or another point"),
        ScenarioDef("flow_manipulation", BOTH, 1440, "production", False, flow_manipulation,
                    "flow flat or zero while production runs, or Cou inconsistent with flow"),
        ScenarioDef("hourly_mismatch", BOTH, 1440, "hour", False, hourly_mismatch,
                    "hourly average not equal to the mean of its minute data"),
        ScenarioDef("three_way_mismatch", BOTH, 2 * 1440, "hour", False, three_way_mismatch,
                    "platform values differ from the analyser's and the logger's"),
        ScenarioDef("bunching", BOTH, 5 * 1440, "any", False, bunching,
                    "values piled just below the limit"),
        ScenarioDef("zero_negative", BOTH, 6 * 60, "production", False, zero_negative,
                    "zeros and negatives with flag N while operating"),
    )
}  # fmt: skip
"""All scenarios by id (the ids the screening benchmark maps its rules to)."""
