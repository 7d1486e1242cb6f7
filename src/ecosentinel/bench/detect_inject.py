"""Scenario injection into real backgrounds (``Track``), with the simulator's scenario ids and severities.

Each injector changes a copy of one point's segment in place and returns (codes changed, first index,
last index + 1). Windows are expressed in time, so the same injector works on hourly and minute grids;
water analysers that hold a value for their measuring cycle (``hold_min``) keep holding it (a falsified
result is also held for the cycle). Flue-gas limits apply to the O2-converted value (``zs``): injectors
that move "the value compared with the limit" move zs and derive the measured value from O2, and the
O2 dilution moves O2, the measured value and flow while the converted value stays put.

What each scenario does (severity s: low 0.5, default 1.0, high 1.5):

* ``constant_value``: every pollutant (and O2) frozen at its first value for 24 h (8 h on minute data,
  while load keeps varying); at s < 0.75 a band of 0.4 %·(1 − s) of the range instead.
* ``zero_negative``: 6 h of zeros (30 % small negatives) while operating; the main factor only at s < 0.75.
* ``replay``: one CST day copied from 1 to 7 days earlier (every channel, flags too, not the load; a
  source day with the main channel present on ≥ 80 % of its steps where there is one);
  0.5 %·(1 − s)… jitter below s = 1.
* ``bunching``: 5 days (3 on minute data), each CST day lifted so its median sits at (0.8 + 0.12 s)·limit,
  and every value that would pass 0.93·limit is reported at 0.93–0.995·limit (clipping just under the
  limit, on every day of the label).
* ``gap_during_exceedance``: 6 h of humps peaking at (1.3 + 0.4 s)·limit; every channel goes silent
  while the value is over (1.05 − 0.1 s)·limit.
* ``post_exceedance_drop``: one analyser cycle (60 min, or the analyser's cycle) at (1.25 + 0.35 s)·limit,
  then 1 + round(s) near-zero cycles at max(0.02, 0.5 − 0.3 s)·the value before (0.2× at default: water
  in the sample cup; on flue gas the probe / sample-line analogue), while the source keeps running.
* ``flag_abuse``: 8 h of humps to (1.3 + 0.4 s)·limit, the stretches over (1 − 0.1 s)·limit flagged C, M
  or D with no O&M record.
* ``dilution`` (water): 8 h, every pollutant × (1 − 0.65 s) (at least 0.05), flow unchanged.
* ``tap_water_night`` (water): 22:00–06:00 CST, pollutants mixed min(1, s) with tap-water levels
  (NH3-N 0.08, NO3-N 1.2 mg/L, +25 % noise). No door or camera events: the backgrounds have none.
* ``o2_dilution`` (flue gas): 72 h (12 h on minute data), O2 up by 4·s points (2 h ramps, ≤ 19.8 %),
  measured concentration × (21 − O2new)/(21 − O2), flow ÷ the same factor, zs and load unchanged.
* ``zs_mismatch`` (flue gas): 48 h (12 h on minute data), reported zs × (1 − 0.4 s).
* ``flow_manipulation``: 24 h (8 h on minute data) of flat flow at (1 − 0.6 s)·its mean while operating,
  reported as measured (flag N, also where the real value was substituted).
* ``hourly_mismatch`` (minute data): 24 h of reported hour values × (1 − 0.35 s) against their minutes.
* ``treatment_off`` (a point with a treatment meter, Tilburg's aeration): 6 h of treatment power ×
  max(0.02, 1 − 0.97 s) (+5 % noise) while the influent keeps flowing; the pollutants are left as they
  were (the reported numbers look fine), as in the simulator.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ecosentinel.bench.detect_backgrounds import NH3N, NO3N, Track
from ecosentinel.detection.context import O2_CODE, WC_TREATMENT, PointType

Injector = Callable[[Track, int, float, np.random.Generator], tuple[list[str], int, int]]

NEVER: dict[str, str] = {
    "parameter_change": "no analyser parameter records (CN 3020 uploads, filed slope/intercept)",
    "three_way_mismatch": "one source per background (no analyser and data-logger copies to compare)",
}
"""Scenario types no background can carry, and why."""


def _hours(tr: Track, hours: float) -> int:
    return max(1, round(hours * tr.per_hour))


def _minute(tr: Track) -> bool:
    return tr.step_min < 60


def _res(tr: Track, code: str) -> float:
    return tr.resolution.get(code, 0.0)


def _q(tr: Track, code: str, x: np.ndarray) -> np.ndarray:
    res = _res(tr, code)
    return x if res <= 0 else np.round(np.round(x / res) * res, 6)


def _limit(tr: Track, code: str) -> float:
    limit = tr.factors[code].limit
    assert limit is not None
    return limit


def _compared(tr: Track, code: str, a: int, b: int) -> np.ndarray:
    return (tr.zs[code] if code in tr.zs else tr.values[code])[a:b].copy()


def _set_compared(tr: Track, code: str, a: int, b: int, new: np.ndarray) -> None:
    """Set the value compared with the limit; on flue gas the measured value follows from O2."""
    if code in tr.zs:
        tr.zs[code][a:b] = _q(tr, code, new)
        o2 = np.minimum(tr.values[O2_CODE][a:b], 20.0)
        ref = tr.ref_o2 if tr.ref_o2 is not None else 0.0
        tr.values[code][a:b] = _q(tr, code, new * (21 - o2) / (21 - ref))
    else:
        tr.values[code][a:b] = _q(tr, code, new)


def _rehold(tr: Track, code: str, a: int, b: int) -> None:
    """Analysers that hold their result: each cycle shows the value at its start."""
    if not tr.hold_min or code not in tr.pollutants:
        return
    h = tr.hold_min
    start = (a // h) * h
    for c0 in range(start, b, h):
        c1 = min(c0 + h, tr.n)
        tr.values[code][max(c0, a) : c1] = tr.values[code][c0]


def _humps(n: int, peak: float, base: float) -> np.ndarray:
    t = np.arange(n, dtype=np.float64)
    w = max(1.0, n / 12)
    shape = np.maximum(np.exp(-0.5 * ((t - n * 0.25) / w) ** 2), np.exp(-0.5 * ((t - n * 0.75) / w) ** 2))
    return base + (peak - base) * shape


def _raise(tr: Track, code: str, a: int, b: int, peak_ratio: float) -> None:
    cur = _compared(tr, code, a, b)
    good = np.isfinite(cur)
    base = float(np.median(cur[good])) if good.any() else 0.3 * _limit(tr, code)
    base = min(base, 0.6 * _limit(tr, code))
    hump = _humps(b - a, peak_ratio * _limit(tr, code), base)
    filled = np.where(good, cur, base)
    _set_compared(tr, code, a, b, np.maximum(filled, hump))
    _rehold(tr, code, a, b)


def _fill_missing(tr: Track, code: str, a: int, b: int) -> None:
    """A logger that keeps sending: missing steps take the last value before them."""
    v = tr.values[code]
    for i in range(a, b):
        if not np.isfinite(v[i]):
            v[i] = v[i - 1] if i > 0 and np.isfinite(v[i - 1]) else np.nanmedian(v[max(0, a - 48) : b])
            tr.flags[code][i] = "N"


def constant_value(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    i1 = min(tr.n, i0 + _hours(tr, 8 if _minute(tr) else 24))
    codes = tr.pollutants or [c for c in tr.values]
    if tr.point_type is PointType.GAS and O2_CODE in tr.values:
        codes = [*codes, O2_CODE]
    for code in codes:
        _fill_missing(tr, code, i0, i1)
        v0 = float(tr.values[code][i0])
        if sev >= 0.75:
            tr.values[code][i0:i1] = v0
            if code in tr.zs:
                tr.zs[code][i0:i1] = tr.zs[code][i0]
        else:
            hi = tr.factors[code].range_high or float(np.nanmax(tr.values[code])) or 1.0
            band = 0.004 * hi * (1 - sev)
            tr.values[code][i0:i1] = _q(tr, code, v0 + band * rng.uniform(-1, 1, i1 - i0))
            if code in tr.zs:
                z0 = float(tr.zs[code][i0])
                tr.zs[code][i0:i1] = _q(tr, code, z0 + band * rng.uniform(-1, 1, i1 - i0))
        tr.flags[code][i0:i1] = "N"
    return codes, i0, i1


def zero_negative(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    i1 = min(tr.n, i0 + _hours(tr, 6))
    codes = list(tr.values) if tr.target is None else (tr.pollutants if sev >= 0.75 else [tr.target])
    for code in codes:
        res = _res(tr, code) or 0.01
        new = np.where(rng.random(i1 - i0) < 0.3, -res * rng.integers(1, 6, i1 - i0), 0.0)
        tr.values[code][i0:i1] = new
        if code in tr.zs:
            tr.zs[code][i0:i1] = new
        tr.flags[code][i0:i1] = "N"
    return codes, i0, i1


def replay(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    day = 24 * tr.per_hour
    i1 = min(tr.n, i0 + day)
    # the source day must hold data: copying a day the analyser missed onto a measured one makes an
    # outage, not a replay (seen in bench detect on a Beijing station: all four factors blank on the
    # copied day, labelled replay). The lag is drawn as before (the shared generator's stream, and so
    # every later injection, stays the same); an unusable one gives way to the nearest usable lag.
    drawn = int(rng.integers(1, min(7, i0 // day) + 1))
    code0 = tr.target or next(iter(tr.values))
    lags = range(1, min(7, i0 // day) + 1)
    present = {
        lag: float(np.isfinite(tr.values[code0][i0 - lag * day : i1 - lag * day]).mean()) for lag in lags
    }
    usable = [lag for lag in lags if present[lag] >= 0.8] or [lag for lag in lags if present[lag] >= 0.5]
    back = day * min(usable or [drawn], key=lambda lag: (abs(lag - drawn), lag))
    jitter = 0.0 if sev >= 1 else 0.01 * (1 - sev)
    codes = list(tr.values)
    for code in codes:
        src = tr.values[code][i0 - back : i1 - back]
        tr.values[code][i0:i1] = _q(tr, code, src * (1 + jitter * rng.standard_normal(i1 - i0)))
        tr.flags[code][i0:i1] = tr.flags[code][i0 - back : i1 - back]
        if code in tr.zs:
            z = tr.zs[code][i0 - back : i1 - back]
            tr.zs[code][i0:i1] = _q(tr, code, z * (1 + jitter * rng.standard_normal(i1 - i0)))
    return codes, i0, i1


def bunching(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    assert tr.target is not None
    code, limit = tr.target, _limit(tr, tr.target)
    i1 = min(tr.n, i0 + _hours(tr, (3 if _minute(tr) else 5) * 24))
    cur = _compared(tr, code, i0, i1)
    ok = np.isfinite(cur) & (tr.flags[code][i0:i1] == "N")
    # each CST day lifted on its own median: one factor for the whole window left the days whose real
    # level was lower far under the limit (a real NO2 day at 0.6 x the limit next to days at 0.9), with
    # nothing clipped on them, yet labelled (measured: Beijing and cn-effluent label days with no value
    # over 0.8 x the limit)
    day = (np.arange(i0, i1) - tr.first_midnight) // (24 * tr.per_hour)
    factor = np.ones(i1 - i0)
    whole = float(np.median(cur[ok])) if ok.any() else limit / 2
    for d in np.unique(day):
        on = (day == d) & ok
        median = float(np.median(cur[on])) if on.any() else whole
        factor[day == d] = (0.8 + 0.12 * sev) * limit / max(median, 1e-6)
    lifted = cur * factor
    pile = lifted > 0.93 * limit
    # a draw of its own: how many values pile must not move the placements of later scenarios
    clip = np.random.default_rng(int(rng.integers(2**32))).uniform(0.93, 0.995, int(pile.sum()))
    lifted[pile] = clip * limit
    _set_compared(tr, code, i0, i1, np.where(ok, lifted, cur))
    _rehold(tr, code, i0, i1)
    return [code], i0, i1


def gap_during_exceedance(
    tr: Track, i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    assert tr.target is not None
    code, limit = tr.target, _limit(tr, tr.target)
    i1 = min(tr.n, i0 + _hours(tr, 6))
    _raise(tr, code, i0, i1, 1.3 + 0.4 * sev)
    over = _compared(tr, code, i0, i1) > limit * (1.05 - 0.1 * sev)
    if _minute(tr):
        over = np.convolve(over.astype(float), np.ones(21), mode="same") > 0
    idx = np.flatnonzero(over) + i0
    for c in tr.values:
        tr.values[c][idx] = np.nan
        if c in tr.zs:
            tr.zs[c][idx] = np.nan
    if tr.wc is not None:
        tr.wc[idx] = np.nan
    if tr.treat is not None:
        tr.treat[idx] = np.nan
    return [code], i0, i1


def post_exceedance_drop(
    tr: Track, i0: int, sev: float, rng: np.random.Generator
) -> tuple[list[str], int, int]:
    assert tr.target is not None
    code, limit = tr.target, _limit(tr, tr.target)
    cycle = tr.hold_min or tr.per_hour  # steps per analyser cycle (60 min when unknown)
    b = ((i0 + cycle - 1) // cycle) * cycle
    before = _compared(tr, code, max(0, b - 3 * cycle), b)
    prev = float(before[np.isfinite(before)][-1]) if np.isfinite(before).any() else 0.3 * limit
    n_low = 1 + round(sev)
    end = min(tr.n, b + (1 + n_low) * cycle)
    new = _compared(tr, code, b, end)
    new[: min(cycle, end - b)] = limit * (1.25 + 0.35 * sev) * (1 + 0.03 * rng.standard_normal())
    for k in range(1, n_low + 1):
        low = prev * max(0.02, 0.5 - 0.3 * sev) * (1 + 0.08 * rng.standard_normal())
        new[k * cycle : (k + 1) * cycle] = max(low, 0.0)
    _set_compared(tr, code, b, end, new)
    tr.flags[code][b:end] = "N"
    if tr.wc is not None:
        tr.wc[b:end] = np.where(tr.wc[b:end] > 0, tr.wc[b:end], np.nanmax(tr.wc[max(0, b - 24) : b + 1]))
    return [code], b, end


def flag_abuse(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    assert tr.target is not None
    code, limit = tr.target, _limit(tr, tr.target)
    i1 = min(tr.n, i0 + _hours(tr, 8))
    _raise(tr, code, i0, i1, 1.3 + 0.4 * sev)
    over = _compared(tr, code, i0, i1) > limit * (1.0 - 0.1 * sev)
    if _minute(tr):
        over = np.convolve(over.astype(float), np.ones(21), mode="same") > 0
    flags = np.array(["C", "M", "D"])
    k = 0
    while k < over.size:
        if over[k]:
            e = k
            while e < over.size and over[e]:
                e += 1
            tr.flags[code][i0 + k : i0 + e] = flags[int(rng.integers(0, 3))]
            k = e
        else:
            k += 1
    return [code], i0, i1


def dilution(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    i1 = min(tr.n, i0 + _hours(tr, 8))
    d = max(0.05, 1 - 0.65 * sev)
    for code in tr.pollutants:
        tr.values[code][i0:i1] = _q(tr, code, tr.values[code][i0:i1] * d)
        _rehold(tr, code, i0, i1)
    return list(tr.pollutants), i0, i1


TAP_WATER = {NH3N: 0.08, NO3N: 1.2}


def tap_water_night(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    i1 = min(tr.n, i0 + _hours(tr, 8))
    mix = min(1.0, sev)
    for code in tr.pollutants:
        tap = TAP_WATER.get(code, 0.1)
        noisy = tap * (1 + 0.25 * np.abs(rng.standard_normal(i1 - i0)))
        v = tr.values[code][i0:i1]
        tr.values[code][i0:i1] = _q(tr, code, v * (1 - mix) + noisy * mix)
        _rehold(tr, code, i0, i1)
    return list(tr.pollutants), i0, i1


def o2_dilution(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    i1 = min(tr.n, i0 + _hours(tr, 12 if _minute(tr) else 72))
    n = i1 - i0
    ramp_len = _hours(tr, 2)
    k = np.arange(n)
    ramp = np.minimum(1.0, np.minimum(k + 1, n - k) / ramp_len)
    on = tr.operating()[i0:i1]
    o2 = tr.values[O2_CODE][i0:i1]
    new_o2 = np.where(on, np.minimum(o2 + 4.0 * sev * ramp, 19.8), o2)
    factor = (21.0 - new_o2) / (21.0 - np.minimum(o2, 20.0))
    tr.values[O2_CODE][i0:i1] = _q(tr, O2_CODE, new_o2)
    codes = [O2_CODE]
    for code in tr.pollutants:
        tr.values[code][i0:i1] = _q(tr, code, tr.values[code][i0:i1] * factor)
        codes.append(code)
    flow = tr.flow_code
    if flow is not None:
        tr.values[flow][i0:i1] = _q(tr, flow, tr.values[flow][i0:i1] / factor)
        codes.append(flow)
    return codes, i0, i1


def zs_mismatch(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    i1 = min(tr.n, i0 + _hours(tr, 12 if _minute(tr) else 48))
    codes = list(tr.zs)
    for code in codes:
        tr.zs[code][i0:i1] = _q(tr, code, tr.zs[code][i0:i1] * (1 - 0.4 * sev))
    return codes, i0, i1


def flow_manipulation(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    flow = tr.flow_code
    assert flow is not None
    i1 = min(tr.n, i0 + _hours(tr, 8 if _minute(tr) else 24))
    _fill_missing(tr, flow, i0, i1)
    level = float(np.nanmean(tr.values[flow][i0:i1])) * (1 - 0.6 * sev)
    on = tr.operating()[i0:i1]
    tr.values[flow][i0:i1] = np.where(
        on, _q(tr, flow, np.array([max(level, 0.0)]))[0], tr.values[flow][i0:i1]
    )
    # the flattened values are reported as measured (a substitute flag would declare them)
    tr.flags[flow][i0:i1] = np.where(on, "N", tr.flags[flow][i0:i1])
    return [flow], i0, i1


def hourly_mismatch(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    i1 = min(tr.n, i0 + _hours(tr, 24))
    if tr.hour_scale is None:
        tr.hour_scale = np.ones(tr.n)
    tr.hour_scale[i0:i1] = 1 - 0.35 * sev
    return list(tr.pollutants), i0, i1


def treatment_off(tr: Track, i0: int, sev: float, rng: np.random.Generator) -> tuple[list[str], int, int]:
    assert tr.treat is not None
    i1 = min(tr.n, i0 + _hours(tr, 6))
    keep = max(0.02, 1 - 0.97 * sev)
    tr.treat[i0:i1] = tr.treat[i0:i1] * keep * (1 + 0.05 * np.abs(rng.standard_normal(i1 - i0)))
    return [WC_TREATMENT], i0, i1


INJECTORS: dict[str, Injector] = {
    "post_exceedance_drop": post_exceedance_drop,
    "dilution": dilution,
    "tap_water_night": tap_water_night,
    "constant_value": constant_value,
    "gap_during_exceedance": gap_during_exceedance,
    "o2_dilution": o2_dilution,
    "zs_mismatch": zs_mismatch,
    "flag_abuse": flag_abuse,
    "replay": replay,
    "flow_manipulation": flow_manipulation,
    "hourly_mismatch": hourly_mismatch,
    "bunching": bunching,
    "zero_negative": zero_negative,
    "treatment_off": treatment_off,
}
WINDOW_HOURS: dict[str, float] = {
    "post_exceedance_drop": 4,
    "dilution": 8,
    "tap_water_night": 8,
    "constant_value": 24,
    "gap_during_exceedance": 6,
    "o2_dilution": 72,
    "zs_mismatch": 48,
    "flag_abuse": 8,
    "replay": 24,
    "flow_manipulation": 24,
    "hourly_mismatch": 24,
    "bunching": 120,
    "zero_negative": 6,
    "treatment_off": 6,
}
"""Hours a window needs (for placing it inside a segment; minute variants use less of it)."""


def why_not(tr: Track, scenario: str) -> str | None:
    """None when the point can carry the scenario, else the reason it cannot."""
    if scenario in NEVER:
        return NEVER[scenario]
    has_limit = tr.target is not None and tr.factors[tr.target].limit is not None
    if (
        scenario in ("post_exceedance_drop", "gap_during_exceedance", "flag_abuse", "bunching")
        and not has_limit
    ):
        return "no pollutant with a limit (flow only)"
    if scenario in ("dilution", "tap_water_night"):
        if tr.point_type is not PointType.WATER:
            return "wastewater scenario (this is a flue-gas / ambient point)"
        if not tr.pollutants:
            return "no pollutant concentration (flow only)"
    if scenario in ("o2_dilution", "zs_mismatch") and (O2_CODE not in tr.values or not tr.zs):
        return "no O2 and no O2-converted value"
    if scenario == "flow_manipulation" and tr.flow_code is None:
        return "no flow series"
    if scenario == "treatment_off" and (tr.treat is None or tr.flow_code is None):
        return "no treatment-facility meter (only the Tilburg plant's aeration is metered)"
    if scenario == "hourly_mismatch" and not _minute(tr):
        return "hourly data only (needs minute data under the hour values)"
    if scenario not in INJECTORS:
        return "not implemented for real backgrounds"
    return None


def place(tr: Track, scenario: str, rng: np.random.Generator) -> int | None:
    """A window start for the scenario inside the track, or None when the segment cannot carry it.

    The window needs a week of history before it (replay source, rolling baselines), its main channel
    present on ≥ 80 % of the window's steps and the source operating on ≥ 90 % of them. Day-long
    scenarios start at CST midnight, the night one at 22:00 CST, others at a random hour.
    """
    ph = tr.per_hour
    need = _hours(tr, min(WINDOW_HOURS[scenario], 72 if not _minute(tr) else 24))
    first_day = tr.first_midnight
    days = (tr.n - first_day) // (24 * ph)
    lo_day = 7 if days > 10 else max(1, days // 3)
    on = tr.operating()
    code = tr.target or next(iter(tr.values))
    present = np.isfinite(tr.values[code])
    candidates = list(range(lo_day, max(lo_day, days - 1 - int(np.ceil(need / (24 * ph))))))
    rng.shuffle(candidates)
    for day in candidates:
        if scenario in ("replay", "constant_value"):
            i0 = first_day + day * 24 * ph
        elif scenario == "tap_water_night":
            i0 = first_day + day * 24 * ph + 22 * ph
        else:
            i0 = first_day + day * 24 * ph + int(rng.integers(0, 18)) * ph
        i1 = i0 + need
        if i1 > tr.n:
            continue
        if present[i0:i1].mean() >= 0.8 and on[i0:i1].mean() >= 0.9:
            if scenario == "replay":
                back = 7 * 24 * ph
                if i0 - back < 0 or present[i0 - back : i1 - back].mean() < 0.5:
                    continue
            return i0
    return None
