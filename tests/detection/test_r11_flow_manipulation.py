"""Table-driven tests of R11 (flow zero / frozen while producing, Cou inconsistent, ratio collapse)."""

from collections.abc import Sequence

import polars as pl
import pytest

from ecosentinel.detection import PointContext, PointType
from tests.detection.helpers import (
    HOUR,
    MINUTE,
    MN,
    T0,
    Case,
    check_case,
    frame,
    replaced,
    scaled,
    series,
    wavy,
)

WATER = PointContext(mn=MN, point_type=PointType.WATER)
M = 240
PROD = [100.0] * M
FLOW = [round(v, 2) if v is not None else None for v in wavy(M, 20, 2)]
WINDOW = range(100, 180)


def cou_of(values: Sequence[float | None]) -> list[float | None]:
    """HJ 212 minute Cou of w00000 (L/s over 60 s, in m3)."""
    return [None if v is None else round(v * 60 / 1000, 3) for v in values]


def flow(
    values: Sequence[float | None],
    cou: Sequence[float | None] | None = None,
    flags: dict[int, str] | None = None,
) -> pl.DataFrame:
    f = series("w00000", values, step=MINUTE, kind="minute", flags=flags)
    return f.with_columns(pl.Series("cou", cou_of(values) if cou is None else list(cou), dtype=pl.Float64))


def prod(values: Sequence[float | None] = PROD) -> pl.DataFrame:
    return series("wc_prod_kw", values, step=MINUTE, kind="minute")


ZERO = replaced(FLOW, WINDOW, 0.0)
FLAT = replaced(FLOW, range(100, 230), 12.34)

# Ten days of hourly flow and production; on the last day flow drops to 30% for 6 hours.
H = 240
FLOW_H = wavy(H, 50, 5)
PROD_H = [100.0 + (i % 5) for i in range(H)]

CASES: list[Case] = [
    {
        "id": "catch: flow zero for 80 minutes while production runs",
        "frame": frame(prod(), flow(ZERO)),
        "context": WATER,
        "expect": 1,
        "variant": "zero",
        "severity": "high",
        "windows": [(T0 + 100 * MINUTE, T0 + 180 * MINUTE)],  # the 80 zero minutes
    },
    {
        "id": "catch: flow frozen at one value for 130 minutes while production runs",
        "frame": frame(prod(), flow(FLAT)),
        "context": WATER,
        "expect": 1,
        "variant": "flat",
        "severity": "medium",
        "windows": [(T0 + 100 * MINUTE, T0 + 230 * MINUTE)],
    },
    {
        "id": "catch: Cou at 40% of flow x time for 80 minutes",
        "frame": frame(prod(), flow(FLOW, scaled(cou_of(FLOW), WINDOW, 0.4))),
        "context": WATER,
        "expect": 1,
        "variant": "cou_mismatch",
        "severity": "medium",
    },
    {
        "id": "catch: flow/production ratio collapses to 30% for 6 hours on day 10",
        "frame": frame(series("wc_prod_kw", PROD_H), series("w00000", scaled(FLOW_H, range(220, 226), 0.3))),
        "context": WATER,
        "expect": 1,
        "variant": "ratio_collapse",
        "windows": [(T0 + 220 * HOUR, T0 + 226 * HOUR)],
    },
    {
        "id": "trap: flow zero while production is off too (a shutdown)",
        "frame": frame(prod(replaced(PROD, WINDOW, 0.0)), flow(ZERO)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: no production meter, so zero flow is not claimed against production",
        "frame": frame(flow(ZERO)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: steady flow and consistent Cou",
        "frame": frame(prod(), flow(FLOW)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: flow missing while producing is a gap (R09), not zero flow",
        "frame": frame(prod(), flow(replaced(FLOW, WINDOW, None))),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: flow reads zero while flagged M (meter maintenance)",
        "frame": frame(prod(), flow(ZERO, flags={i: "M" for i in WINDOW})),
        "context": WATER,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r11_cases(case: Case) -> None:
    check_case("R11", case)


def test_r11_zero_evidence() -> None:
    f = check_case("R11", CASES[0])[0]
    assert f.evidence["minutes"] == 80
    assert f.evidence["production_kw"] == 100
    assert "生产设施用电100千瓦" in f.explanation_zh


def test_r11_cou_evidence_relative_ratio() -> None:
    f = check_case("R11", CASES[2])[0]
    assert f.evidence["relative"] == pytest.approx(0.4, abs=0.02)
    assert f.evidence["rows"] == 80
