"""Table-driven tests of R12 (bunching below the limit) and R13 (last-digit and heaping tests)."""

import datetime as dt
import random

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, replaced, series

LIMIT = 35.0
GAS = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=LIMIT)})


def normal(n: int, mean: float, sd: float, seed: int, decimals: int = 2) -> list[float | None]:
    rng = random.Random(seed)
    return [round(max(0.0, rng.gauss(mean, sd)), decimals) for _ in range(n)]


def bunched(values: list[float | None], seed: int = 3) -> list[float | None]:
    """Every value that would pass 0.93 L is reported at 0.93-0.995 L (the simulator's 贴限 pattern)."""
    rng = random.Random(seed)
    return [
        round(rng.uniform(0.93, 0.995) * LIMIT, 2) if v is not None and v > 0.93 * LIMIT else v
        for v in values
    ]


HONEST = normal(240, 30, 8, 1)
PILED = bunched(HONEST)
PILED_ROWS = [i for i, v in enumerate(HONEST) if v is not None and v > 0.93 * LIMIT]
IN_BAND = [i for i, v in enumerate(PILED) if v is not None and 0.9 * LIMIT <= v < LIMIT]

R12_CASES: list[Case] = [
    {
        "id": "catch: values that would exceed the limit piled just below it",
        "frame": frame(series("a21026", PILED)),
        "context": GAS,
        "expect": 1,
        "severity": "low",
        # from the first value in [0.9 L, L) to the end of the hour of the last one
        "windows": [(T0 + IN_BAND[0] * HOUR, T0 + (IN_BAND[-1] + 1) * HOUR)],
    },
    {
        "id": "clean: a smooth distribution across the limit",
        "frame": frame(series("a21026", HONEST)),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: an enterprise far below its limit",
        "frame": frame(series("a21026", normal(240, 10, 3, 2))),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "missing: only 80 valid hours in the month, too few for a distribution",
        "frame": frame(series("a21026", replaced(PILED, range(80, 240), None))),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: the piled values are C-flagged and do not count",
        "frame": frame(series("a21026", PILED, flags={i: "C" for i in PILED_ROWS})),
        "context": GAS,
        "expect": 0,
    },
]

RAW = normal(600, 100, 20, 4, decimals=1)


def heaped(values: list[float | None], share: float, seed: int = 5) -> list[float | None]:
    """Round ``share`` of the values to whole or half units (hand-typed data)."""
    rng = random.Random(seed)
    return [round(v * 2) / 2 if v is not None and rng.random() < share else v for v in values]


def favoured(values: list[float | None], share: float, seed: int = 6) -> list[float | None]:
    """Replace the last digit of ``share`` of the values by 3 or 7 (invented data)."""
    rng = random.Random(seed)
    out: list[float | None] = []
    for v in values:
        if v is not None and rng.random() < share:
            v = round(int(v) + rng.choice((0.3, 0.7)), 1)
        out.append(v)
    return out


def minute(
    values: list[float | None], flags: dict[int, str] | None = None, start: dt.datetime = T0
) -> pl.DataFrame:
    return frame(series("a21026", values, start=start, step=MINUTE, kind="minute", flags=flags))


# 12:00 CST on 31 March: 720 minutes of March (hand-rounded, the last five a held repeat), then 480 honest
# minutes of April. Only March is judged heaped, so the window is March's readings, to the end of March.
MARCH_END = dt.datetime(2024, 3, 31, 16, tzinfo=dt.UTC)  # 2024-04-01 00:00 CST
ACROSS = MARCH_END - 720 * MINUTE
MARCH = heaped(normal(720, 100, 20, 12, 1), 0.7)
MARCH[715:] = [MARCH[714]] * 5

ACROSS_H = MARCH_END - 400 * HOUR  # hourly: 400 hand-rounded March hours, then 300 honest April hours


R13_CASES: list[Case] = [
    {
        "id": "catch: 70% of the values rounded to whole or half units",
        "frame": minute(heaped(RAW, 0.7)),
        "context": GAS,
        "expect": 1,
        "variant": "heaping",
        "severity": "low",
        "windows": [(T0, T0 + 600 * MINUTE)],  # the month's readings, to the end of the last one
    },
    {
        "id": "catch: last digit 3 or 7 in half of the values",
        "frame": minute(favoured(RAW, 0.5)),
        "context": GAS,
        "expect": 1,
        "variant": "last_digit",
        "severity": "low",
        "windows": [(T0, T0 + 600 * MINUTE)],
    },
    {
        "id": "catch: March rounded, April honest: the window is March's readings, held repeats included",
        "frame": minute([*MARCH, *normal(480, 100, 20, 13, 1)], start=ACROSS),
        "context": GAS,
        "expect": 1,
        "variant": "heaping",
        "windows": [(ACROSS, MARCH_END)],
    },
    {
        "id": "catch: hourly values, 70% rounded to whole or half units",
        "frame": frame(series("a21026", heaped(RAW, 0.7))),
        "context": GAS,
        "expect": 1,
        "variant": "heaping",
        "severity": "low",
        "windows": [(T0, T0 + 600 * HOUR)],  # to the end of the last hour
    },
    {
        "id": "catch: hourly values, March rounded, April honest: the window is March's hours",
        "frame": frame(
            series(
                "a21026",
                [*heaped(normal(400, 100, 20, 14, 1), 0.7), *normal(300, 100, 20, 15, 1)],
                start=ACROSS_H,
            )
        ),
        "context": GAS,
        "expect": 1,
        "variant": "heaping",
        "windows": [(ACROSS_H, MARCH_END)],
    },
    {
        "id": "clean: analyser readings at 0.1 resolution",
        "frame": minute(RAW),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: ultra-low emitter at integer output 1-9 (resolution guard)",
        "frame": minute([float(1 + i % 9) for i in range(600)]),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: values quantised to 100 (CO-style output) are tested at their own resolution",
        "frame": minute([float(100 * round(v / 100)) for v in normal(600, 3000, 400, 8) if v is not None]),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: unit conversions (0.1 ppb x 2.856, 4 decimals) are computed values, not tested",
        "frame": minute([round(2.856 * round(v, 1), 4) for v in normal(600, 100, 20, 10) if v is not None]),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: 60% integers mixed with finer values are read at the resolution most values have",
        "frame": minute([float(round(v)) if i % 5 < 3 else v for i, v in enumerate(RAW) if v is not None]),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: a water analyser's hourly result held for 60 minutes counts once",
        "frame": minute([v for v in normal(720, 100, 20, 11, 1)[:10] for _ in range(60)]),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "missing: only 150 valid values in the month",
        "frame": minute(replaced(heaped(RAW, 0.7), range(150, 600), None)),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: the rounded values are C-flagged and do not count",
        "frame": minute(
            [*RAW, *heaped(normal(600, 100, 20, 9, 1), 1.0)], flags={i: "C" for i in range(600, 1200)}
        ),
        "context": GAS,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", R12_CASES, ids=[c["id"] for c in R12_CASES])
def test_r12_cases(case: Case) -> None:
    check_case("R12", case)


@pytest.mark.parametrize("case", R13_CASES, ids=[c["id"] for c in R13_CASES])
def test_r13_cases(case: Case) -> None:
    check_case("R13", case)


def test_r12_evidence_counts_both_sides() -> None:
    f = check_case("R12", R12_CASES[0])[0]
    ev = f.evidence
    assert ev["above_count"] == 0
    assert ev["below_count"] >= len(PILED_ROWS)
    assert ev["below_count"] > ev["expected_below"] * 1.5
    assert "贴限" in f.explanation_zh


def test_r13_evidence_digit_counts() -> None:
    f = check_case("R13", R13_CASES[1])[0]
    counts = f.evidence["digit_counts"]
    assert 590 <= sum(counts) <= 600  # consecutive repeats count once
    assert counts[3] + counts[7] > 0.4 * sum(counts)
    assert f.evidence["resolution"] == 0.1


# An analyser that holds each result for its 4-hour measuring cycle: a month of hourly values is 180
# measurements. One result stuck just under the limit for three days is one measurement (R01's business),
# not a pile; results that would pass the limit reported just under it still are.
HELD_HONEST = [v for v in normal(180, 30, 8, 1) for _ in range(4)]
HELD_PILED = [v for v in bunched(normal(180, 30, 8, 1)) for _ in range(4)]
STUCK = replaced(HELD_HONEST, range(100, 172), 0.92 * LIMIT)


@pytest.mark.parametrize(
    ("values", "expect"), [(HELD_PILED, 1), (STUCK, 0)], ids=["piled-results", "one-result-stuck"]
)
def test_r12_counts_the_results_of_a_holding_analyser(values: list[float | None], expect: int) -> None:
    found = check_case(
        "R12",
        {"id": "4-h analyser", "frame": frame(series("a21026", values)), "context": GAS, "expect": expect},
    )
    if found:
        assert found[0].evidence["kind"] == "default"
        assert found[0].evidence["below_count"] < 180  # counted in results, not hours
