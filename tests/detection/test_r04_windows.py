"""R04 at hour and minute resolution with the flagged window asserted (issue 17).

A separate module so that the R04 tables under edit elsewhere (test_r04_collapse.py) merge cleanly.
"""

import datetime as dt

import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, series

WATER = PointContext(mn=MN, point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=5)})
CYCLING = PointContext(
    mn=MN, point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=5, cycles_per_hour=1)}
)
# hourly NH3-N around 2 mg/L with 0.01 steps
LEVEL = [round(2.0 + 0.3 * ((i * 5) % 7 - 3) / 3, 2) for i in range(36)]


def cup(values: list[float], at: int = 12, peak: float = 6.4, low: float = 0.05) -> list[float | None]:
    """One cycle over the limit, then two near zero (water in the sample cup)."""
    out: list[float | None] = list(values)
    out[at : at + 3] = [peak, low, low + 0.01]
    return out


def held(results: list[float | None], minutes: int = 60) -> list[float | None]:
    """Minute data of an analyser that holds each result for ``minutes``."""
    return [v for v in results for _ in range(minutes)]


def window(a_h: float, b_h: float) -> tuple[dt.datetime, dt.datetime]:
    return T0 + a_h * HOUR, T0 + b_h * HOUR


CASES: list[Case] = [
    {
        "id": "catch: hourly collapse, the window is the peak hour and the two low hours",
        "frame": frame(series("w21003", cup(LEVEL))),
        "context": WATER,
        "expect": 1,
        "variant": "collapse",
        "windows": [window(12, 15)],
    },
    {
        "id": "catch: minute data of a 60-min analyser, the same three hours",
        "frame": frame(series("w21003", held(cup(LEVEL)), step=MINUTE, kind="minute")),
        "context": WATER,
        "expect": 1,
        "variant": "collapse",
        "windows": [window(12, 15)],
    },
    {
        "id": "catch: minute data of a 2-hour analyser (each result held 120 minutes): six hours",
        "frame": frame(series("w21003", held(cup(LEVEL[:18], at=6), 120), step=MINUTE, kind="minute")),
        "context": WATER,
        "expect": 1,
        "variant": "collapse",
        "windows": [window(12, 18)],
    },
    {
        "id": "catch: minute data, cycles starting at :20 read as cycles: from the peak to the first low",
        "frame": frame(series("w21003", [2.0] * 20 + held(cup(LEVEL)), step=MINUTE, kind="minute")),
        "context": CYCLING,
        "expect": 1,
        "variant": "drop",
        "windows": [(T0 + 12 * HOUR + 20 * MINUTE, T0 + 13 * HOUR + 20 * MINUTE)],
    },
    {
        "id": "clean: minute data of a 60-min analyser, the peak falls back to its level",
        "frame": frame(
            series("w21003", held([*LEVEL[:12], 6.4, 1.9, 2.1, *LEVEL[15:]]), step=MINUTE, kind="minute")
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: minute data, the two low hours are missing",
        "frame": frame(
            series("w21003", held([*cup(LEVEL)[:13], None, None, *LEVEL[15:]]), step=MINUTE, kind="minute")
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: minute data, the low hours are a zero check (flag C)",
        "frame": frame(
            series(
                "w21003",
                held(cup(LEVEL)),
                step=MINUTE,
                kind="minute",
                flags={i: "C" for i in range(13 * 60, 15 * 60)},
            )
        ),
        "context": WATER,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r04_windows(case: Case) -> None:
    check_case("R04", case)
