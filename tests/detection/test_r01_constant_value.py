import datetime as dt

import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from tests.detection.helpers import MINUTE, Case, check_case, frame, series, wavy

WATER = PointContext(
    mn="MN0001",
    point_type=PointType.WATER,
    factors={"w01018": FactorSpec(limit=50, range_high=200, detection_limit=4)},
)
GAS = PointContext(
    mn="MN0001", point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35, range_high=100)}
)


def _with_constant(n: int, lo: int, hi: int, value: float, base: float = 30) -> list[float | None]:
    values = wavy(n, base, 8)
    for i in range(lo, hi):
        values[i] = value
    return values


CASES: list[Case] = [
    {
        "id": "catch: 30 identical hourly COD values",
        "frame": frame(series("w01018", _with_constant(120, 40, 70, 31.0))),
        "context": WATER,
        "expect": 1,
        "variant": "identical",
    },
    {
        "id": "clean: fluctuating COD",
        "frame": frame(series("w01018", wavy(200, 30, 8))),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: a gap in the middle breaks the run into two short runs",
        "frame": frame(
            series(
                "w01018",
                [*_with_constant(120, 40, 70, 31.0)[:55], None, *_with_constant(120, 40, 70, 31.0)[56:]],
            )
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: a constant value held by the logger during C is not a finding",
        "frame": frame(
            series("w01018", _with_constant(120, 40, 70, 31.0), flags={i: "C" for i in range(40, 70)})
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "trap: ultra-low SO2 at integer resolution is not an identical run",
        "frame": frame(series("a21026", [2.0] * 30 + [3.0, 2.0, 4.0, 1.0] * 5 + [2.0] * 30)),
        "context": GAS,
        "params": {"band_hours": 1000},
        "expect": 0,
    },
    {
        "id": "catch: narrow band within 2% of range for 80 hours",
        "frame": frame(
            series("w01018", [*wavy(40, 30, 8), *[20 + 0.3 * (i % 5) for i in range(80)], *wavy(40, 30, 8)])
        ),
        "context": WATER,
        "expect": 1,
        "variant": "narrow_band",
    },
    {
        "id": "catch: 80 hours near the detection limit",
        "frame": frame(
            series("w01018", [*wavy(100, 30, 8), *[5.0 + (i % 4) for i in range(80)], *wavy(100, 30, 8)])
        ),
        "context": WATER,
        "params": {"band_fraction": 0.001},
        "expect": 1,
        "variant": "near_detection_limit",
    },
    {
        "id": "trap: a point that always reads near its detection limit is an ultra-low emitter",
        "frame": frame(series("w01018", [5.0 + (i % 4) for i in range(200)])),
        "context": WATER,
        "params": {"band_fraction": 0.001},
        "expect": 0,
    },
    {
        "id": "catch: analyser cycles identical 8 times",
        "frame": frame(
            series("w01018", wavy(48, 30, 8)),
            series(
                "w01018",
                [*wavy(10, 30, 8), *[27.5] * 8, *wavy(10, 30, 8)],
                kind="rtd",
                source="analyser",
                step=60 * MINUTE,
            ),
        ),
        "context": WATER,
        "expect": 1,
        "variant": "identical_cycles",
    },
    {
        "id": "override: a point-level threshold of 48 h silences a 30 h run",
        "frame": frame(series("w01018", _with_constant(120, 40, 70, 31.0))),
        "context": WATER,
        "params": {"min_identical_hours": 48},
        "expect": 0,
    },
    {
        "id": "missing: a lost analyser cycle splits 8 identical cycles into runs of 4 and 3",
        "frame": frame(
            series("w01018", wavy(48, 30, 8)),
            series(
                "w01018",
                [*wavy(10, 30, 8), *[27.5] * 4, None, *[27.5] * 3, *wavy(10, 30, 8)],
                kind="rtd",
                source="analyser",
                step=60 * MINUTE,
            ),
        ),
        "context": WATER,
        "expect": 0,
        "variant": "identical_cycles",
    },
    {
        "id": "calibration flag: M-flagged (maintenance) hours cut an 80-hour band to 40 hours",
        "frame": frame(
            series(
                "w01018",
                [*wavy(40, 30, 8), *[20 + 0.3 * (i % 5) for i in range(80)], *wavy(40, 30, 8)],
                flags={i: "M" for i in range(80, 120)},
            )
        ),
        "context": WATER,
        "expect": 0,
        "variant": "narrow_band",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r01_cases(case: Case) -> None:
    check_case("R01", case)


def test_r01_identical_evidence_and_window() -> None:
    found = check_case("R01", CASES[0])
    f = found[0]
    assert f.evidence["count"] == 30
    assert f.evidence["value"] == 31.0
    assert f.end - f.start == dt.timedelta(hours=30)
    assert "31" in f.explanation_zh
    assert "2024-03-03 00:00至2024-03-04 06:00" in f.explanation_zh  # 00:00 UTC + 40 h, shown in CST
