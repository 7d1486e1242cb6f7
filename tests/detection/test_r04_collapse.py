"""R04 'collapse': one measuring cycle over the limit, then two cycles near zero (water in the sample cup).

Hour and minute resolution, analysers that hold each result for their cycle; every catch asserts the
flagged window, not only the count.
"""

import datetime as dt

import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, series

WATER = PointContext(mn=MN, point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=5)})
GAS = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21002": FactorSpec(limit=100)}, ref_o2=6.0)

# hourly NH3-N around 2 mg/L with 0.01 steps (a 60-minute analyser: one result per hour)
LEVEL = [round(2.0 + 0.3 * ((i * 5) % 7 - 3) / 3, 2) for i in range(36)]
PEAK_AT = 12


def cup(values: list[float], at: int = PEAK_AT, peak: float = 6.4, low: float = 0.05) -> list[float]:
    out = list(values)
    out[at] = peak
    out[at + 1] = low
    out[at + 2] = low + 0.01
    return out


def held(hourly: list[float], minutes: int = 60) -> list[float]:
    """Minute data of an analyser that holds each result for ``minutes``."""
    return [v for v in hourly for _ in range(minutes)]


def window(a_h: float, b_h: float) -> tuple[dt.datetime, dt.datetime]:
    return T0 + a_h * HOUR, T0 + b_h * HOUR


STORM = list(LEVEL)
STORM[10:18] = [3.4, 9.97, 9.88, 8.87, 5.79, 1.87, 0.9, 1.2]  # a real Tilburg NH4 storm peak (washes out)

CASES: list[Case] = [
    {
        "id": "catch: hourly NH3-N, one cycle over the limit then two cycles near zero",
        "frame": frame(series("w21003", cup(LEVEL))),
        "context": WATER,
        "expect": 1,
        "variant": "collapse",
        "severity": "medium",
    },
    {
        "id": "catch: minute data of a 60-min analyser (each result held 60 minutes)",
        "frame": frame(series("w21003", held(cup(LEVEL)), step=MINUTE, kind="minute")),
        "context": WATER,
        "expect": 1,
        "variant": "collapse",
        "severity": "medium",
    },
    {
        "id": "catch: hourly data of a 3-hour analyser (each result held 3 hours, two 3-h cycles low)",
        "frame": frame(
            series("w21003", [v for v in cup(LEVEL[:12], at=6) for _ in range(3)]),
        ),
        "context": WATER,
        "expect": 1,
        "variant": "collapse",
    },
    {
        "id": "catch: flue gas, one hour over the limit (O2-converted) then two hours near zero",
        "frame": frame(
            series(
                "a21002",
                [v * 30 for v in cup(LEVEL, peak=4.2, low=0.05)],
                zs=[v * 30 * 1.2 for v in cup(LEVEL, peak=4.2, low=0.05)],
            )
        ),
        "context": GAS,
        "expect": 1,
        "variant": "collapse",
    },
    {
        "id": "clean: a real storm peak washes out through intermediate values (Tilburg NH4)",
        "frame": frame(series("w21003", STORM)),
        "context": WATER,
        "expect": 0,
        "variant": "collapse",
    },
    {
        "id": "clean: minute data, natural fall after a peak stays near the pre-peak level",
        "frame": frame(
            series("w21003", held([*LEVEL[:12], 6.4, 1.6, 1.5, *LEVEL[15:]]), step=MINUTE, kind="minute")
        ),
        "context": WATER,
        "expect": 0,
        "variant": "collapse",
    },
    {
        "id": "trap: flow rises twenty-fold (storm dilution explains the fall)",
        "frame": frame(
            series("w21003", cup(LEVEL)),
            series("w00000", [100.0] * PEAK_AT + [100.0, 2000.0, 2000.0] + [100.0] * 21),
        ),
        "context": WATER,
        "expect": 0,
        "variant": "collapse",
    },
    {
        "id": "missing: the two cycles after the peak are missing, nothing to judge",
        "frame": frame(series("w21003", [*cup(LEVEL)[:13], None, None, *LEVEL[15:]])),
        "context": WATER,
        "expect": 0,
        "variant": "collapse",
    },
    {
        "id": "calibration flag: the near-zero cycles are a zero check (flag C)",
        "frame": frame(series("w21003", cup(LEVEL), flags={13: "C", 14: "C"})),
        "context": WATER,
        "expect": 0,
        "variant": "collapse",
    },
]

WINDOWS = {
    CASES[0]["id"]: window(PEAK_AT, PEAK_AT + 3),
    CASES[1]["id"]: window(PEAK_AT, PEAK_AT + 3),
    CASES[2]["id"]: window(18, 27),
    CASES[3]["id"]: window(PEAK_AT, PEAK_AT + 3),
}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r04_collapse(case: Case) -> None:
    found = check_case("R04", case)
    if case["id"] in WINDOWS:
        assert (found[0].start, found[0].end) == WINDOWS[case["id"]]
        assert "取样杯注水" in found[0].explanation_zh
        assert found[0].evidence["collapsed"]
