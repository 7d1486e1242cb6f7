"""Table-driven tests of R06 (dynamic-control parameters vs the filed parameters)."""

import datetime as dt
from collections.abc import Sequence

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.context import OM_SCHEMA, PARAMETER_SCHEMA
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, scaled, series, wavy

FACTORS = {"w01018": FactorSpec(limit=50, cycles_per_hour=1)}
FILED = pl.DataFrame(
    {
        "mn": [MN] * 3,
        "time": [T0 - dt.timedelta(days=30)] * 3,
        "pol_id": ["w01018"] * 3,
        "info_id": ["i13008", "i13007", "i13001"],
        "value": ["1.000", "0.000", "0-200"],
    },
    schema=PARAMETER_SCHEMA,
)
N = 48
NIGHT = 18  # T0 is 08:00 CST, so row 18 is 02:00 CST
DAY = 4  # 12:00 CST


def uploads(info_id: str, values: Sequence[str | None]) -> pl.DataFrame:
    """One upload per hour from T0."""
    return pl.DataFrame(
        {
            "mn": [MN] * len(values),
            "time": [T0 + i * HOUR for i in range(len(values))],
            "pol_id": ["w01018"] * len(values),
            "info_id": [info_id] * len(values),
            "value": list(values),
        },
        schema=PARAMETER_SCHEMA,
    )


def changed(at: int, value: str, back: int | None = None, filed: str = "1.000") -> list[str | None]:
    return [value if at <= i < (back if back is not None else N) else filed for i in range(N)]


def om(at: int) -> pl.DataFrame:
    t = T0 + at * HOUR
    return pl.DataFrame(
        {
            "mn": [MN],
            "start": [t - dt.timedelta(minutes=20)],
            "end": [t + dt.timedelta(minutes=40)],
            "kind": ["calibration"],
            "person": ["张三"],
        },
        schema=OM_SCHEMA,
    )


def ctx(ups: pl.DataFrame, om_records: pl.DataFrame | None = None) -> PointContext:
    return PointContext(
        mn=MN,
        point_type=PointType.WATER,
        factors=FACTORS,
        filed_parameters=FILED,
        parameter_uploads=ups,
        om_records=om_records if om_records is not None else pl.DataFrame(schema=OM_SCHEMA),
    )


COD = wavy(N, 30, 4)
# minute data of the 60-minute COD analyser: each result held for its cycle
COD_MINUTES = [v for v in scaled(COD, range(NIGHT, N), 0.6) for _ in range(60)]

CASES: list[Case] = [
    {
        "id": "catch: slope set to 0.6 at 02:00, no O&M record, COD steps down within one cycle",
        "frame": frame(series("w01018", scaled(COD, range(NIGHT, N), 0.6))),
        "context": ctx(uploads("i13008", changed(NIGHT, "0.600"))),
        "expect": 1,
        "severity": "high",
        # from the upload that first showed 0.6 to the last upload still showing it (hourly uploads)
        "windows": [(T0 + NIGHT * HOUR, T0 + (N - 1) * HOUR)],
    },
    {
        "id": "catch: minute data, slope set to 0.6 at 02:00, the held minutes step down within one cycle",
        "frame": frame(series("w01018", COD_MINUTES, step=MINUTE, kind="minute")),
        "context": ctx(uploads("i13008", changed(NIGHT, "0.600"))),
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + NIGHT * HOUR, T0 + (N - 1) * HOUR)],
    },
    {
        "id": "catch: slope 1.05 (inside 0.9-1.1) at night without a record: medium",
        "frame": frame(series("w01018", COD)),
        "context": ctx(uploads("i13008", changed(NIGHT, "1.050", back=NIGHT + 5))),
        "expect": 1,
        "severity": "medium",
    },
    {
        "id": "catch: intercept changed by day with a calibration record: still reported, low",
        "frame": frame(series("w01018", COD)),
        "context": ctx(uploads("i13007", changed(DAY, "-2.0", filed="0")), om(DAY)),
        "expect": 1,
        "severity": "low",
    },
    {
        "id": "catch: range changed (text parameter)",
        "frame": frame(series("w01018", COD)),
        "context": ctx(uploads("i13001", changed(DAY, "0-1000", filed="0-200"))),
        "expect": 1,
    },
    {
        "id": "catch: two different wrong slopes are two episodes",
        "frame": frame(series("w01018", COD)),
        "context": ctx(uploads("i13008", [*changed(DAY, "0.800", back=10)[:20], *["0.700"] * (N - 20)])),
        "expect": 2,
        "severity": "high",
    },
    {
        "id": "clean: uploads equal the filed values (1 == 1.000)",
        "frame": frame(series("w01018", COD)),
        "context": ctx(pl.concat([uploads("i13008", ["1"] * N), uploads("i13007", ["0.0"] * N)])),
        "expect": 0,
    },
    {
        "id": "missing: empty uploaded values and a parameter that was never filed",
        "frame": frame(series("w01018", COD)),
        "context": ctx(pl.concat([uploads("i13008", [None] * N), uploads("i13004", ["150"] * N)])),
        "expect": 0,
    },
    {
        "id": "calibration flag: slope 1.05 by day while COD is C-flagged: low",
        "frame": frame(series("w01018", COD, flags={DAY: "C"})),
        "context": ctx(uploads("i13008", changed(DAY, "1.050"))),
        "expect": 1,
        "severity": "low",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r06_cases(case: Case) -> None:
    check_case("R06", case)


def test_r06_evidence_of_the_night_slope_change() -> None:
    f = check_case("R06", CASES[0])[0]
    ev = f.evidence
    assert ev["filed"] == "1.000"
    assert ev["uploaded"] == "0.600"
    assert ev["ratio_to_filed"] == pytest.approx(0.6)
    assert ev["slope_outside_band"] is True
    assert ev["outside_working_hours"] is True
    assert ev["om_records"] == 0
    assert ev["data_step"] is not None
    assert ev["restored"] is None
    assert "斜率" in f.explanation_zh
    assert "2024-03-02 02:00" in f.explanation_zh


def test_r06_minute_data_show_the_step_in_the_first_cycle() -> None:
    f = check_case("R06", CASES[1])[0]
    step = f.evidence["data_step"]
    assert step is not None
    assert step["first_after"]["time"] == "2024-03-02T02:00+08:00"  # the first held minute after the change
    assert step["after"] / step["before"] == pytest.approx(0.6, abs=0.1)


def test_r06_restored_value_ends_the_episode() -> None:
    f = check_case("R06", CASES[2])[0]
    assert f.end - f.start == 5 * HOUR
    assert f.evidence["uploads"] == 5
    assert f.evidence["data_step"] is None
