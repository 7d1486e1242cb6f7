"""R16 on minute data: calibration flags shorter than an hour, which hourly data lose (an hour is flagged
N when any of its minutes is), judged and windowed to the minute."""

import datetime as dt

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.context import OM_SCHEMA
from tests.detection.helpers import MINUTE, MN, T0, Case, check_case, frame, series

N = 12 * 60
SO2 = [round(20.0 + 3.0 * ((i // 10) % 5) / 5 + 0.01 * (i % 13), 2) for i in range(N)]
SPAN = range(200, 220)  # a 20-minute zero/span check
LONG = range(300, 480)  # three hours flagged C on a flue-gas CEMS (plausible: up to 120 minutes)


def om(start_min: int, end_min: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mn": [MN],
            "start": [T0 + start_min * MINUTE],
            "end": [T0 + end_min * MINUTE],
            "kind": ["calibration"],
            "person": ["张三"],
        },
        schema=OM_SCHEMA,
    )


def ctx(records: pl.DataFrame) -> PointContext:
    return PointContext(
        mn=MN, point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35)}, om_records=records
    )


def minutes(flags: dict[int, str]) -> pl.DataFrame:
    return frame(series("a21026", SO2, step=MINUTE, kind="minute", flags=flags))


def window(a: int, b: int) -> tuple[dt.datetime, dt.datetime]:
    return T0 + a * MINUTE, T0 + b * MINUTE


CASES: list[Case] = [
    {
        "id": "catch: minute data, a 20-minute C flag with no O&M record near it",
        "frame": minutes({i: "C" for i in SPAN}),
        "context": ctx(om(600, 630)),
        "expect": 1,
        "variant": "no_om_record",
        "windows": [window(200, 220)],
    },
    {
        "id": "catch: minute data, three hours flagged C on a flue-gas CEMS (an O&M record covers it)",
        "frame": minutes({i: "C" for i in LONG}),
        "context": ctx(om(290, 490)),
        "expect": 1,
        "variant": "long_calibration",
        "windows": [window(300, 480)],
    },
    {
        "id": "clean: minute data, a 20-minute C flag within an O&M record",
        "frame": minutes({i: "C" for i in SPAN}),
        "context": ctx(om(195, 225)),
        "expect": 0,
    },
    {
        "id": "calibration flag: minute data, a 90-minute C flag is a plausible gas calibration",
        "frame": minutes({i: "C" for i in range(300, 390)}),
        "context": ctx(om(290, 400)),
        "expect": 0,
        "variant": "long_calibration",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r16_minute_flags(case: Case) -> None:
    check_case("R16", case)
