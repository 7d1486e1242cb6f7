"""Table-driven tests of R02 (zero/negative while operating) and R03 (over-range, clipping)."""

import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from tests.detection.helpers import HOUR, T0, Case, check_case, frame, replaced, series, wavy

CTX = PointContext(
    mn="MN0001",
    point_type=PointType.WATER,
    factors={"w01018": FactorSpec(limit=50, range_high=200)},
)
N = 48
COD = wavy(N, 30, 8)
POWER = [100.0] * N

R02_CASES: list[Case] = [
    {
        "id": "catch: five zero hours while production power is on",
        "frame": frame(series("w01018", replaced(COD, range(20, 25), 0.0)), series("wc_prod_kw", POWER)),
        "context": CTX,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 20 * HOUR, T0 + 25 * HOUR)],  # the five zero hours, end of the last one
    },
    {
        "id": "catch: negative values with only flow to show operation",
        "frame": frame(series("w01018", replaced(COD, range(20, 24), -1.5)), series("w00000", [12.0] * N)),
        "context": CTX,
        "expect": 1,
        "severity": "medium",
        "windows": [(T0 + 20 * HOUR, T0 + 24 * HOUR)],
    },
    {
        "id": "clean: positive COD",
        "frame": frame(series("w01018", COD), series("wc_prod_kw", POWER)),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "trap: zeros while production is really off",
        "frame": frame(
            series("w01018", replaced(COD, range(20, 25), 0.0)),
            series("wc_prod_kw", replaced(POWER, range(19, 26), 0.0)),
        ),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "trap: a single purge-cycle zero",
        "frame": frame(series("w01018", replaced(COD, [20], 0.0)), series("wc_prod_kw", POWER)),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "missing: zeros separated by a missing hour stay below the 2-hour run",
        "frame": frame(
            series("w01018", replaced(replaced(COD, [20, 22], 0.0), [21], None)), series("wc_prod_kw", POWER)
        ),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "calibration flag: zeros during a C-flagged zero check",
        "frame": frame(
            series("w01018", replaced(COD, range(20, 25), 0.0), flags={i: "C" for i in range(20, 25)}),
            series("wc_prod_kw", POWER),
        ),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "calibration flag: negative values flagged D (analyser fault) are not valid data",
        "frame": frame(
            series("w01018", replaced(COD, range(20, 24), -1.5), flags={i: "D" for i in range(20, 24)}),
            series("w00000", [12.0] * N),
        ),
        "context": CTX,
        "expect": 0,
    },
]

R03_CASES: list[Case] = [
    {
        "id": "catch: values at the range ceiling without flag T",
        "frame": frame(series("w01018", replaced(COD, [3, 4], 200.0))),
        "context": CTX,
        "expect": 1,
        "variant": "unflagged_over_range",
        "windows": [(T0 + 3 * HOUR, T0 + 5 * HOUR)],
    },
    {
        "id": "catch: five flagged values clipped at the ceiling in one day",
        "frame": frame(
            series("w01018", replaced(COD, range(2, 7), 200.0), flags={i: "T" for i in range(2, 7)})
        ),
        "context": CTX,
        "expect": 1,
        "variant": "clipped_at_range",
    },
    {
        "id": "catch: eight identical values just under the limit",
        "frame": frame(series("w01018", replaced(COD, range(2, 10), 48.0))),
        "context": CTX,
        "expect": 1,
        "variant": "pile_below_limit",
        "windows": [(T0 + 2 * HOUR, T0 + 10 * HOUR)],
    },
    {
        "id": "clean: honest over-range flagged T twice",
        "frame": frame(series("w01018", replaced(COD, [3, 4], 200.0), flags={3: "T", 4: "T"})),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "clean: ordinary COD",
        "frame": frame(series("w01018", COD)),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "missing: three piled values and missing hours do not make a pile",
        "frame": frame(series("w01018", replaced(replaced(COD, range(2, 5), 48.0), range(5, 12), None))),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "calibration flag: span-check values at the ceiling flagged C",
        "frame": frame(series("w01018", replaced(COD, [3, 4], 200.0), flags={3: "C", 4: "C"})),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "calibration flag: values at the ceiling flagged D (analyser fault)",
        "frame": frame(series("w01018", replaced(COD, [3, 4], 200.0), flags={3: "D", 4: "D"})),
        "context": CTX,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", R02_CASES, ids=[c["id"] for c in R02_CASES])
def test_r02_cases(case: Case) -> None:
    check_case("R02", case)


@pytest.mark.parametrize("case", R03_CASES, ids=[c["id"] for c in R03_CASES])
def test_r03_cases(case: Case) -> None:
    check_case("R03", case)
