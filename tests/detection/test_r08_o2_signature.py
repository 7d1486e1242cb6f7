"""R08 O2 dilution by its physical signature, with and without a power meter, minute and hour data.

Air let into the flue multiplies the measured concentration by d = (21 - O2_new)/(21 - O2_old), leaves
the O2-converted value where it was and divides the flow by d (the fuel-equivalent flow Q x (21 - O2)
stays). Every catch asserts the flagged window.
"""

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, series

GAS = PointContext(mn=MN, point_type=PointType.GAS, ref_o2=6.0, factors={"a21002": FactorSpec(limit=300)})


Plant = tuple[list[float], list[float], list[float], list[float]]


def plant(n: int, period: int) -> Plant:
    """(load kW, O2 %, NOx measured mg/m3, flow m3/h) of a load-following boiler, honest."""
    load = [8000.0 + 2000.0 * abs(((i % period) / period) * 2 - 1) for i in range(n)]
    o2 = [round(3.5 + 4.0 * (1 - w / 10000.0) + 0.05 * (i % 5), 2) for i, w in enumerate(load)]
    zs = [200.0 + 10.0 * ((i * 7) % 11) / 11 for i in range(n)]
    nox = [round(z * (21 - o) / 15, 1) for z, o in zip(zs, o2, strict=True)]
    flow = [round(w * 30 * 21 / (21 - o), 0) for w, o in zip(load, o2, strict=True)]
    return load, o2, nox, flow


def diluted(parts: Plant, a: int, b: int, rise: float = 4.0) -> Plant:
    load, o2, nox, flow = (list(x) for x in parts)
    for i in range(a, b):
        new = o2[i] + rise
        d = (21 - new) / (21 - o2[i])
        o2[i], nox[i], flow[i] = round(new, 2), round(nox[i] * d, 1), round(flow[i] / d, 0)
    return load, o2, nox, flow


def gas(
    parts: Plant,
    *,
    meter: bool = True,
    minute: bool = False,
    o2_flags: dict[int, str] | None = None,
    nox_flags: dict[int, str] | None = None,
) -> pl.DataFrame:
    load, o2, nox, flow = parts
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    out = [
        series("a21002", nox, step=step, kind=kind, flags=nox_flags),
        series("a19001", o2, step=step, kind=kind, flags=o2_flags),
        series("a00000", flow, step=step, kind=kind),
    ]
    if meter:
        out.append(series("wc_prod_kw", load, step=step, kind=kind))
    return frame(*out)


H = 6 * 24
HOURLY = plant(H, 10)
DIL_H = (72, 96)  # a 24-hour dilution on day 4
M = 2 * 1440
MINUTES = plant(M, 300)
DIL_M = (1440, 1440 + 12 * 60)  # a 12-hour dilution on day 2


def low_load(parts: Plant, a: int, b: int) -> Plant:
    """Honest: load falls to 55 %, O2 rises with it (excess air), flow and fuel fall."""
    load, o2, nox, flow = (list(x) for x in parts)
    for i in range(a, b):
        load[i] = 5500.0
        o2[i] = round(3.5 + 4.0 * 0.45 + 0.05 * (i % 5) + 2.5, 2)
        nox[i] = round(205.0 * (21 - o2[i]) / 15, 1)
        flow[i] = round(load[i] * 30 * 21 / (21 - o2[i]), 0)
    return load, o2, nox, flow


def substituted(parts: Plant, a: int, b: int, every: int) -> tuple[Plant, dict[int, str]]:
    """Inside the run, every ``every``-th row within a quarter of the run from either edge holds a
    substitute NOx value (flag S) at 2.2 x the measured level (EPA Part 75 substitutes a high percentile
    for missing hours)."""
    load, o2, nox, flow = (list(x) for x in parts)
    reach = (b - a) // 4
    rows = [i for i in range(a, b) if min(i - a, b - 1 - i) < reach and i % every == 0]
    for i in rows:
        nox[i] = round(nox[i] * 2.2, 1)
    return (load, o2, nox, flow), dict.fromkeys(rows, "S")


SUB_H = substituted(diluted(HOURLY, *DIL_H), *DIL_H, every=3)
SUB_M = substituted(diluted(MINUTES, *DIL_M), *DIL_M, every=3)

CASES: list[Case] = [
    {
        "id": "catch: hourly, 24-h O2 dilution, power meter shows the load did not explain it",
        "frame": gas(diluted(HOURLY, *DIL_H)),
        "context": GAS,
        "expect": 1,
        "variant": "o2_high",
        "severity": "high",
        "windows": [(T0 + DIL_H[0] * HOUR, T0 + DIL_H[1] * HOUR)],
    },
    {
        "id": "catch: hourly, no power meter: flow up, fuel-equivalent flow unchanged (medium)",
        "frame": gas(diluted(HOURLY, *DIL_H), meter=False),
        "context": GAS,
        "expect": 1,
        "variant": "o2_high",
        "severity": "medium",
        "windows": [(T0 + DIL_H[0] * HOUR, T0 + DIL_H[1] * HOUR)],
    },
    {
        "id": "catch: minute data, 12-hour O2 dilution with a power meter",
        "frame": gas(diluted(MINUTES, *DIL_M), minute=True),
        "context": GAS,
        "expect": 1,
        "variant": "o2_high",
        "severity": "high",
        "windows": [(T0 + DIL_M[0] * MINUTE, T0 + DIL_M[1] * MINUTE)],
    },
    {
        "id": "catch: minute data, 12-hour O2 dilution without a power meter",
        "frame": gas(diluted(MINUTES, *DIL_M), minute=True, meter=False),
        "context": GAS,
        "expect": 1,
        "variant": "o2_high",
        "severity": "medium",
        "windows": [(T0 + DIL_M[0] * MINUTE, T0 + DIL_M[1] * MINUTE)],
    },
    {
        "id": "catch: hourly, substitute NOx hours (flag S, 2.2 x) at both edges are not compared",
        "frame": gas(SUB_H[0], nox_flags=SUB_H[1]),
        "context": GAS,
        "expect": 1,
        "variant": "o2_high",
        "severity": "high",
        "windows": [(T0 + DIL_H[0] * HOUR, T0 + DIL_H[1] * HOUR)],
    },
    {
        "id": "catch: minute data, substitute NOx minutes at both edges, no power meter",
        "frame": gas(SUB_M[0], minute=True, meter=False, nox_flags=SUB_M[1]),
        "context": GAS,
        "expect": 1,
        "variant": "o2_high",
        "severity": "medium",
        "windows": [(T0 + DIL_M[0] * MINUTE, T0 + DIL_M[1] * MINUTE)],
    },
    {
        "id": "clean: a load-following boiler, O2 follows the load",
        "frame": gas(MINUTES, minute=True),
        "context": GAS,
        "expect": 0,
        "variant": "o2_high",
    },
    {
        "id": "trap: O2 up because the load fell (flow and fuel down), no meter",
        "frame": gas(low_load(HOURLY, *DIL_H), meter=False),
        "context": GAS,
        "expect": 0,
        "variant": "o2_high",
    },
    {
        "id": "trap: O2 up while the measured NOx stays (no dilution: the converted value rose)",
        "frame": gas(
            (
                HOURLY[0],
                [o + 4.0 if DIL_H[0] <= i < DIL_H[1] else o for i, o in enumerate(HOURLY[1])],
                *HOURLY[2:],
            )
        ),
        "context": GAS,
        "expect": 0,
        "variant": "o2_high",
    },
    {
        "id": "missing: O2 missing through the whole rise and its edges",
        "frame": gas(diluted(HOURLY, *DIL_H)).filter(
            ~(
                (pl.col("code") == "a19001")
                & pl.col("time").is_between(T0 + (DIL_H[0] - 8) * HOUR, T0 + (DIL_H[1] + 8) * HOUR)
            )
        ),
        "context": GAS,
        "expect": 0,
        "variant": "o2_high",
    },
    {
        "id": "calibration flag: the O2 rise is flagged C (O2 analyser span check)",
        "frame": gas(diluted(HOURLY, *DIL_H), o2_flags={i: "C" for i in range(*DIL_H)}),
        "context": GAS,
        "expect": 0,
        "variant": "o2_high",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r08_signature(case: Case) -> None:
    found = check_case("R08", case)
    if "windows" in case:
        assert "掺入空气稀释" in found[0].explanation_zh
        assert found[0].evidence["converted_ratios"]["a21002"] == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_a_load_dip_inside_an_air_leak_does_not_cut_the_episode(minute: bool) -> None:
    # a 72-hour dilution (hourly) / 24-hour dilution (minutes); in its middle the load falls to 55 % for
    # 8 hours (O2 rises further, honestly): the only place the segment runs at that load, so its own
    # expected O2 there is the diluted value and those rows are not 'high'. One episode, one window.
    per = 60 if minute else 1
    n = (8 if minute else 7) * 24 * per
    base = plant(n, 300 if minute else 10)
    a, b = (1 * 1440, 2 * 1440) if minute else (72, 144)
    dip = (a + (b - a) // 2 - 4 * per, a + (b - a) // 2 + 4 * per)
    parts = low_load(base, *dip)
    parts = diluted(parts, a, b)
    found = check_case(
        "R08",
        {
            "id": "dilution with a load dip",
            "frame": gas(parts, minute=minute),
            "context": GAS,
            "expect": 1,
            "variant": "o2_high",
            "severity": "high",
            "windows": [(T0 + a * (MINUTE if minute else HOUR), T0 + b * (MINUTE if minute else HOUR))],
        },
    )
    assert found[0].evidence["edge"] == "onset"


def ramped(parts: Plant, a: int, b: int, ramp: int, rise: float = 4.5) -> Plant:
    """Air let in through a damper opened in four notches over ``ramp`` rows and closed over as many: O2
    (and with it the dilution) climbs to ``rise`` points in the first rows of [a, b) (a fifth of it per
    notch) and falls back in the last."""
    load, o2, nox, flow = (list(x) for x in parts)
    notch = ramp // 4
    for i in range(a, b):
        k = min(i - a, b - 1 - i)
        share = (k // notch + 1) / 5 if k < ramp else 1.0
        new = o2[i] + rise * share
        d = (21 - new) / (21 - o2[i])
        o2[i], nox[i], flow[i] = round(new, 2), round(nox[i] * d, 1), round(flow[i] / d, 0)
    return load, o2, nox, flow


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_the_window_spans_the_o2_ramps_into_and_out_of_the_dilution(minute: bool) -> None:
    # the first and last ramp rows rise less than the point's 'high' threshold (1 point of O2 here) but
    # more than half of it: they belong to the episode, and the window reaches them; the evidence keeps
    # the high-O2 run itself
    step, (a, b), ramp, base = (MINUTE, DIL_M, 120, MINUTES) if minute else (HOUR, DIL_H, 4, HOURLY)
    found = check_case(
        "R08",
        {
            "id": "ramped dilution",
            "frame": gas(ramped(base, a, b, ramp), minute=minute),
            "context": GAS,
            "expect": 1,
            "variant": "o2_high",
            "severity": "high",
            "windows": [(T0 + a * step, T0 + b * step)],
        },
    )
    core = found[0].evidence["high_o2_run"]
    assert core[0] > found[0].evidence["window"][0]
    assert core[1] < found[0].evidence["window"][1]
    assert "升降过程" in found[0].explanation_zh
