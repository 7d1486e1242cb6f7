"""Q01 standard-sample check out of tolerance: one finding per failed check, at the check's time."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ecosentinel.detection import PointContext, PointType
from ecosentinel.detection.context import STANDARD_CHECK_SCHEMA
from tests.detection.helpers import HOUR, MN, T0, Case, check_case, frame, series, wavy

COD = wavy(24, 60.0, 5.0)


def checks(*rows: tuple[float, float | None, float | None]) -> pl.DataFrame:
    """(hours after T0, standard, measured) per check of COD."""
    return pl.DataFrame(
        [
            {
                "mn": MN,
                "time": T0 + h * HOUR,
                "factor": "w01018",
                "standard_value": standard,
                "measured_value": measured,
                "source": "3020",
            }
            for h, standard, measured in rows
        ],
        schema=STANDARD_CHECK_SCHEMA,
        orient="row",
    )


def ctx(frame_: pl.DataFrame) -> PointContext:
    return PointContext(mn=MN, point_type=PointType.WATER, standard_checks=frame_)


CASES: list[Case] = [
    {
        "id": "catch: 89 measured on a 100 standard (-11 %) is medium, 125 (+25 %) is high, each at its time",
        "frame": frame(series("w01018", COD)),
        "context": ctx(checks((9, 100.0, 104.0), (10, 100.0, 89.0), (12, 100.0, 125.0))),
        "expect": 2,
        "windows": [(T0 + 10 * HOUR, T0 + 10 * HOUR), (T0 + 12 * HOUR, T0 + 12 * HOUR)],
    },
    {
        "id": "catch: at minute resolution the finding is still the check's own instant",
        "frame": frame(series("w01018", [60.0] * 120, step=dt.timedelta(minutes=1), kind="minute")),
        "context": ctx(checks((1.5, 50.0, 35.0))),
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 1.5 * HOUR, T0 + 1.5 * HOUR)],
    },
    {
        "id": "clean: checks within ±10 % (110 on 100 is exactly the tolerance)",
        "frame": frame(series("w01018", COD)),
        "context": ctx(checks((9, 100.0, 104.0), (11, 100.0, 110.0), (13, 100.0, 90.0))),
        "expect": 0,
    },
    {
        "id": "missing: a check with no measured value or a zero standard says nothing",
        "frame": frame(series("w01018", [None] * 24)),
        "context": ctx(checks((9, 100.0, None), (10, 0.0, 5.0))),
        "expect": 0,
    },
    {
        "id": "calibration flag: a failed check during a calibration-flagged hour is still a failed check",
        "frame": frame(series("w01018", COD, flags={10: "C"})),
        "context": ctx(checks((10, 100.0, 80.0))),
        "expect": 1,
        "severity": "medium",
    },
    {
        "id": "override: a wider tolerance (20 %) lets the -11 % check pass",
        "frame": frame(series("w01018", COD)),
        "context": ctx(checks((10, 100.0, 89.0))),
        "params": {"tolerance": 0.2},
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_q01(case: Case) -> None:
    found = check_case("Q01", case)
    for f in found:
        assert "HJ 355" in f.explanation_zh
        assert f.evidence["kind"] == "default"
