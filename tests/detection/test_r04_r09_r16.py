"""Table-driven tests of R04 (drop after exceedance) and R16 (flag abuse).

R09 (strategic gaps) has its own table in test_r09_strategic_gap.py.
"""

import datetime as dt
from dataclasses import replace

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.context import OM_SCHEMA
from tests.detection.helpers import HOUR, MN, T0, Case, check_case, frame, points, replaced, series, wavy

WATER = PointContext(
    mn=MN,
    point_type=PointType.WATER,
    factors={"w01018": FactorSpec(limit=50, cycles_per_hour=1), "w21003": FactorSpec(limit=5)},
)
COD_HOURLY = wavy(12, 30, 6)
NH3 = wavy(12, 3, 0.4)
STEADY = [(60.0 * i, 30.0 + (i % 3), "N") for i in range(5)]


def cycles(*extra: tuple[float, float | None, str]) -> pl.DataFrame:
    tail = [(60.0 * i, 31.0 + (i % 2), "N") for i in range(7, 12)]
    return points("w01018", [*STEADY, *extra, *tail])


def _om(start_h: float, end_h: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mn": [MN],
            "start": [T0 + dt.timedelta(hours=start_h)],
            "end": [T0 + dt.timedelta(hours=end_h)],
            "kind": ["calibration"],
            "person": ["张三"],
        },
        schema=OM_SCHEMA,
    )


DROP = [(300.0, 62.0, "N"), (320.0, 21.0, "N"), (340.0, 22.0, "N")]

R04_CASES: list[Case] = [
    {
        "id": "catch: exceedance, water in the sample cup, re-runs in the same hour",
        "frame": frame(
            cycles(*DROP), series("w01018", replaced(COD_HOURLY, [5], 35.0)), series("w21003", NH3)
        ),
        "context": WATER,
        "expect": 1,
        "variant": "drop",
        "severity": "high",
    },
    {
        "id": "catch: hourly data only, drop then rebound (weaker: low, no cycles to show a re-run)",
        "frame": frame(
            series("w01018", replaced(replaced(replaced(COD_HOURLY, [5], 62.0), [6], 20.0), [7], 58.0))
        ),
        "context": WATER,
        "expect": 1,
        "severity": "low",
    },
    {
        "id": "trap: hourly drop with no rebound (a load change or weather front stays low)",
        "frame": frame(series("w01018", replaced(replaced(COD_HOURLY, [5], 62.0), [6], 20.0))),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "catch: extra cycles without an exceedance",
        "frame": frame(
            cycles((300.0, 30.0, "N"), (315.0, 29.0, "N"), (330.0, 31.0, "N")), series("w01018", COD_HOURLY)
        ),
        "context": WATER,
        "expect": 1,
        "variant": "extra_cycles",
    },
    {
        "id": "maintenance flag: the restart run after an M-flagged stretch is not a re-run",
        "frame": frame(
            cycles((300.0, 30.0, "N"), (305.0, 30.0, "M"), (330.0, 29.0, "N"), (345.0, 31.0, "N")),
            series("w01018", COD_HOURLY),
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "O&M record: the first cycle after a cleaning visit is not a re-run",
        "frame": frame(
            cycles((300.0, 30.0, "N"), (330.0, 29.0, "N"), (345.0, 31.0, "N")), series("w01018", COD_HOURLY)
        ),
        "context": replace(WATER, om_records=_om(4.5, 5.4)),
        "expect": 0,
    },
    {
        "id": "catch: re-runs after the restart run still count",
        "frame": frame(
            cycles(
                (300.0, 30.0, "N"),
                (305.0, 30.0, "M"),
                (330.0, 29.0, "N"),
                (340.0, 31.0, "N"),
                (350.0, 30.0, "N"),
            ),
            series("w01018", COD_HOURLY),
        ),
        "context": WATER,
        "expect": 1,
        "variant": "extra_cycles",
    },
    {
        "id": "clean: steady cycles",
        "frame": frame(cycles((300.0, 33.0, "N"), (360.0, 30.0, "N")), series("w01018", COD_HOURLY)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "trap: NH3-N falls too (shock load or dilution: no drop finding, the re-runs remain)",
        "frame": frame(
            cycles(*DROP),
            series("w01018", replaced(COD_HOURLY, [5], 35.0)),
            series("w21003", replaced(NH3, [5, 6], 1.0)),
        ),
        "context": WATER,
        "expect": 0,
        "variant": "drop",
    },
    {
        "id": "missing: the next valid cycle comes more than two hours after the peak",
        "frame": frame(
            points(
                "w01018",
                [*STEADY, (300.0, 62.0, "N"), (360.0, None, "N"), (420.0, None, "N"), (500.0, 21.0, "N")],
            ),
            series("w01018", COD_HOURLY),
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: the low result follows a C-flagged check",
        "frame": frame(
            cycles((300.0, 62.0, "N"), (310.0, 0.0, "C"), (340.0, 21.0, "N")),
            series("w01018", replaced(COD_HOURLY, [5], 35.0)),
        ),
        "context": WATER,
        "expect": 0,
    },
]

GAS = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35)})
SO2 = wavy(72, 20, 4)


R16_CASES: list[Case] = [
    {
        "id": "catch: C flags follow exceedances three times",
        "frame": frame(
            series(
                "a21026",
                replaced(SO2, [10, 30, 50], 40.0),
                flags={11: "C", 31: "C", 51: "M"},
            )
        ),
        "context": GAS,
        "expect": 1,
        "variant": "flag_near_exceedance",
        "windows": [(T0 + 51 * HOUR, T0 + 52 * HOUR)],  # the latest occurrence (evidence lists all)
    },
    {
        "id": "catch: a four-hour calibration",
        "frame": frame(series("a21026", SO2, flags={i: "C" for i in range(20, 24)})),
        "context": GAS,
        "expect": 1,
        "variant": "long_calibration",
        "windows": [(T0 + 20 * HOUR, T0 + 24 * HOUR)],
    },
    {
        "id": "catch: a calibration flag with no O&M record",
        "frame": frame(series("a21026", SO2, flags={40: "C"})),
        "context": PointContext(mn=MN, point_type=PointType.GAS, om_records=_om(10, 11)),
        "expect": 1,
        "variant": "no_om_record",
        "windows": [(T0 + 40 * HOUR, T0 + 41 * HOUR)],
    },
    {
        "id": "clean: a calibration flag covered by an O&M record",
        "frame": frame(series("a21026", SO2, flags={40: "C"})),
        "context": PointContext(mn=MN, point_type=PointType.GAS, om_records=_om(39.5, 40.5)),
        "expect": 0,
    },
    {
        "id": "clean: no flags",
        "frame": frame(series("a21026", SO2)),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "missing: unflagged missing values are not flag abuse",
        "frame": frame(series("a21026", replaced(replaced(SO2, [10, 30, 50], 40.0), [11, 31, 51], None))),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: short routine calibrations after low values",
        "frame": frame(series("a21026", SO2, flags={11: "C", 35: "C", 59: "C"})),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "catch: a D-flagged (fault) run right after an exceedance, no O&M record near it",
        "frame": frame(series("a21026", replaced(SO2, [20], 40.0), flags={21: "D", 22: "D"})),
        "context": PointContext(
            mn=MN, point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35)}, om_records=_om(60, 61)
        ),
        "expect": 1,
        "variant": "hidden_exceedance",
        "severity": "high",
        "windows": [(T0 + 21 * HOUR, T0 + 23 * HOUR)],  # the two D-flagged hours
    },
    {
        "id": "clean: the same D-flagged run covered by an O&M record (a real analyser fault)",
        "frame": frame(series("a21026", replaced(SO2, [20], 40.0), flags={21: "D", 22: "D"})),
        "context": PointContext(
            mn=MN, point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35)}, om_records=_om(21, 23)
        ),
        "expect": 0,
        "variant": "hidden_exceedance",
    },
]


@pytest.mark.parametrize("case", R04_CASES, ids=[c["id"] for c in R04_CASES])
def test_r04_cases(case: Case) -> None:
    check_case("R04", case)


@pytest.mark.parametrize("case", R16_CASES, ids=[c["id"] for c in R16_CASES])
def test_r16_cases(case: Case) -> None:
    check_case("R16", case)


def test_r04_evidence_names_both_cycles_in_cst() -> None:
    found = check_case("R04", R04_CASES[0])
    f = found[0]
    assert f.evidence["peak"]["value"] == 62.0
    assert f.evidence["after"]["value"] == 21.0
    assert f.evidence["cycles_in_hour"] == 3
    assert "2024-03-01 13:00" in f.explanation_zh  # 05:00 UTC
    assert "62" in f.explanation_zh
    assert "21" in f.explanation_zh
