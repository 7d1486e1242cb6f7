"""R16 without an O&M feed: exceedances measured under a C/M/D flag, hour and minute data.

What the analyser measured under the flag is judged against the data around it: readings above the
limit and above the valid values just before and after the flag (a hump that stands out), changing as
often as the point's valid readings (measured, not a zero/span reference nor Part 75-style substitute
data). Every catch asserts the flagged window.
"""

from collections.abc import Sequence

import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, series, wavy

WATER = PointContext(mn=MN, point_type=PointType.WATER, factors={"w01018": FactorSpec(limit=50)})
N_H = 96
BASE_H = wavy(N_H, 30, 8)
HIDE_H = (60, 66)  # six hours over the limit, flagged M
# a point that often exceeds on its own: every 12th hour at 1.3 x the limit (its 99th percentile is
# above the limit), otherwise the wavy base
OFTEN_H = [65.0 if i % 12 == 3 else v for i, v in enumerate(BASE_H)]
# a point that runs over the limit all along: flagging part of it hides no peak
HIGH_H = [round(60.0 + 0.7 * ((i * 5) % 9), 2) for i in range(N_H)]


def hump(values: Sequence[float | None], a: int, b: int, top: float) -> list[float | None]:
    out = list(values)
    for i in range(a, b):
        out[i] = round(top + 0.7 * ((i * 5) % 9), 2)
    return out


N_M = 2 * 1440
BASE_M = [round(30.0 + 6.0 * ((i // 60) % 7) / 7 + 0.01 * (i % 17), 2) for i in range(N_M)]
HIDE_M = (1800, 1800 + 90)  # 90 minutes flagged D

# an analyser holding each result for its 60-minute measuring cycle (one value per hour of minutes)
HELD_M = [BASE_M[(i // 60) * 60] for i in range(N_M)]
HELD_HIDE = (1800, 1920)  # two measuring cycles flagged


def held(values: Sequence[float | None], a: int, b: int, results: Sequence[float]) -> list[float | None]:
    """``values`` with the held results from row a to b replaced, cycle by cycle (a cycle starts every
    60 rows)."""
    out = list(values)
    for i in range(a, b):
        out[i] = results[i // 60 - a // 60]
    return out


def flags(a: int, b: int, flag: str) -> dict[int, str]:
    return {i: flag for i in range(a, b)}


CASES: list[Case] = [
    {
        "id": "catch: hourly COD over the limit for six hours, flagged M, no O&M feed",
        "frame": frame(series("w01018", hump(BASE_H, *HIDE_H, 62.0), flags=flags(*HIDE_H, "M"))),
        "context": WATER,
        "expect": 1,
        "variant": "hidden_exceedance_no_feed",
        "severity": "medium",
        "windows": [(T0 + HIDE_H[0] * HOUR, T0 + HIDE_H[1] * HOUR)],
    },
    {
        "id": "catch: a point that often exceeds on its own still cannot hide a hump under a flag",
        "frame": frame(series("w01018", hump(OFTEN_H, *HIDE_H, 62.0), flags=flags(*HIDE_H, "M"))),
        "context": WATER,
        "expect": 1,
        "variant": "hidden_exceedance_no_feed",
        "severity": "medium",
        "windows": [(T0 + HIDE_H[0] * HOUR, T0 + HIDE_H[1] * HOUR)],
    },
    {
        "id": "catch: three hour means over the limit, two distinct values, flagged C",
        "frame": frame(
            series(
                "w01018",
                [(71.0 if i == 61 else 58.5) if 60 <= i < 63 else v for i, v in enumerate(BASE_H)],
                flags=flags(60, 63, "C"),
            )
        ),
        "context": WATER,
        "expect": 1,
        "variant": "hidden_exceedance_no_feed",
        "windows": [(T0 + 60 * HOUR, T0 + 63 * HOUR)],
    },
    {
        "id": "clean: a point over the limit all along, part of it flagged M (no peak stands out)",
        "frame": frame(series("w01018", HIGH_H, flags=flags(*HIDE_H, "M"))),
        "context": WATER,
        "expect": 0,
        "variant": "hidden_exceedance_no_feed",
    },
    {
        "id": "catch: minute COD over the limit for 90 minutes, flagged D",
        "frame": frame(
            series(
                "w01018",
                hump(BASE_M, *HIDE_M, 58.0),
                step=MINUTE,
                kind="minute",
                flags=flags(*HIDE_M, "D"),
            )
        ),
        "context": WATER,
        "expect": 1,
        "variant": "hidden_exceedance_no_feed",
        "windows": [(T0 + HIDE_M[0] * MINUTE, T0 + HIDE_M[1] * MINUTE)],
    },
    {
        "id": "catch: a 60-min analyser's minutes, two held measurements over the limit flagged M",
        "frame": frame(
            series(
                "w01018",
                held(HELD_M, *HELD_HIDE, [61.5, 66.0]),
                step=MINUTE,
                kind="minute",
                flags=flags(*HELD_HIDE, "M"),
            )
        ),
        "context": WATER,
        "expect": 1,
        "variant": "hidden_exceedance_no_feed",
        "windows": [(T0 + HELD_HIDE[0] * MINUTE, T0 + HELD_HIDE[1] * MINUTE)],
    },
    {
        "id": "calibration flag: a 60-min analyser reads one standard sample under C (one measurement)",
        "frame": frame(
            series(
                "w01018",
                held(HELD_M, 1800, 1860, [60.0]),
                step=MINUTE,
                kind="minute",
                flags=flags(1800, 1860, "C"),
            )
        ),
        "context": WATER,
        "expect": 0,
        "variant": "hidden_exceedance_no_feed",
    },
    {
        "id": "trap: a continuous analyser's minutes, two distinct values over the limit under C (a "
        "zero/span reference pair, not measurements: three are needed)",
        "frame": frame(
            series(
                "w01018",
                [(61.5 if i < 1845 else 66.0) if 1800 <= i < 1890 else v for i, v in enumerate(BASE_M)],
                step=MINUTE,
                kind="minute",
                flags=flags(1800, 1890, "C"),
            )
        ),
        "context": WATER,
        "expect": 0,
        "variant": "hidden_exceedance_no_feed",
    },
    {
        "id": "clean: substitute-like data under a D flag (one value held for hours) above the limit",
        "frame": frame(
            series(
                "w01018",
                [64.7 if HIDE_H[0] <= i < HIDE_H[1] else v for i, v in enumerate(BASE_H)],
                flags=flags(*HIDE_H, "D"),
            )
        ),
        "context": WATER,
        "expect": 0,
        "variant": "hidden_exceedance_no_feed",
    },
    {
        "id": "missing: the flagged rows carry no readings at all",
        "frame": frame(
            series(
                "w01018",
                [None if HIDE_H[0] <= i < HIDE_H[1] else v for i, v in enumerate(BASE_H)],
                flags=flags(*HIDE_H, "M"),
            )
        ),
        "context": WATER,
        "expect": 0,
        "variant": "hidden_exceedance_no_feed",
    },
    {
        "id": "calibration flag: a span check reads two reference values (C), not a measurement",
        "frame": frame(
            series(
                "w01018",
                [(80.0 if i % 2 else 0.0) if HIDE_H[0] <= i < HIDE_H[1] else v for i, v in enumerate(BASE_H)],
                flags=flags(*HIDE_H, "C"),
            )
        ),
        "context": WATER,
        "expect": 0,
        "variant": "hidden_exceedance_no_feed",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r16_no_feed(case: Case) -> None:
    found = check_case("R16", case)
    if "windows" in case:
        assert found[0].evidence["om_feed"] is False
        assert "借标记掩盖超标" in found[0].explanation_zh
