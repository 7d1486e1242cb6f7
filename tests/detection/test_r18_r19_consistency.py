"""Table-driven tests of R18 (hourly vs minute, daily vs hourly) and R19 (three-way comparison)."""

import datetime as dt
from collections.abc import Sequence

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
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

WATER = PointContext(mn=MN, point_type=PointType.WATER, factors={"w01018": FactorSpec(limit=50)})

# Three hours of minute COD, and hourly values that are the mean of the valid minutes.
MIN = [round(v, 2) if v is not None else None for v in wavy(180, 30, 4)]


def hourly_of(minutes: Sequence[float | None], flags: dict[int, str] | None = None) -> list[float | None]:
    out: list[float | None] = []
    for h in range(len(minutes) // 60):
        vals = [
            v
            for i, v in enumerate(minutes[60 * h : 60 * h + 60], start=60 * h)
            if v is not None and (flags or {}).get(i, "N") == "N"
        ]
        out.append(round(sum(vals) / len(vals), 2) if vals else None)
    return out


def cod(
    minutes: Sequence[float | None],
    hours: Sequence[float | None],
    minute_flags: dict[int, str] | None = None,
) -> pl.DataFrame:
    return frame(
        series("w01018", minutes, step=MINUTE, kind="minute", flags=minute_flags),
        series("w01018", hours),
    )


HIGH_MIN = replaced(MIN, range(60, 120), 55.0)
C_FLAGS = {i: "C" for i in range(70, 80)}
C_MIN = replaced(MIN, range(70, 80), 500.0)

# One China-Standard-Time day of hourly values (from 00:00 CST) and its daily value.
DAY0 = T0 - dt.timedelta(hours=8)
HOURS = [round(v, 2) if v is not None else None for v in wavy(24, 40, 6)]
DAY_MEAN = round(sum(v for v in HOURS if v is not None) / 24, 2)


def daily(hours: Sequence[float | None], day_value: float) -> pl.DataFrame:
    return frame(
        series("w01018", hours, start=DAY0),
        series("w01018", [day_value], start=DAY0, step=dt.timedelta(days=1), kind="day"),
    )


R18_CASES: list[Case] = [
    {
        "id": "catch: hourly value 35% under the mean of its minutes",
        "frame": cod(MIN, scaled(hourly_of(MIN), [1], 0.65)),
        "context": WATER,
        "expect": 1,
        "variant": "hour",
        "severity": "medium",
        "windows": [(T0 + HOUR, T0 + 2 * HOUR)],  # the one rewritten hour
    },
    {
        "id": "catch: minutes over the limit, hourly value reported under it",
        "frame": cod(HIGH_MIN, replaced(hourly_of(HIGH_MIN), [1], 45.0)),
        "context": WATER,
        "expect": 1,
        "variant": "hour",
        "severity": "high",
        "windows": [(T0 + HOUR, T0 + 2 * HOUR)],
    },
    {
        "id": "catch: daily value not the mean of its hourly values",
        "frame": daily(HOURS, round(DAY_MEAN * 0.7, 2)),
        "context": WATER,
        "expect": 1,
        "variant": "day",
        "windows": [(DAY0, DAY0 + dt.timedelta(days=1))],  # the China day
    },
    {
        "id": "clean: hourly and daily values are the means (with rounding)",
        "frame": frame(cod(MIN, hourly_of(MIN)), daily(HOURS, DAY_MEAN).filter(pl.col("kind") == "day")),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: hourly value higher than reported by a rounding step only",
        "frame": cod(MIN, [None if v is None else v + 0.01 for v in hourly_of(MIN)]),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: only 30 valid minutes in the hour, its value is not compared",
        "frame": cod(replaced(MIN, range(60, 90), None), scaled(hourly_of(MIN), [1], 0.65)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: C-flagged minutes are left out of the mean, as the standard says",
        "frame": cod(C_MIN, hourly_of(C_MIN, C_FLAGS), minute_flags=C_FLAGS),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: hourly value that averaged the C-flagged minutes in is caught",
        "frame": cod(C_MIN, hourly_of(C_MIN), minute_flags=C_FLAGS),
        "context": WATER,
        "expect": 1,
        "severity": "low",
    },
    {
        "id": "calibration flag: D-flagged (fault) minutes are left out of the mean too",
        "frame": cod(C_MIN, hourly_of(C_MIN, C_FLAGS), minute_flags={i: "D" for i in range(70, 80)}),
        "context": WATER,
        "expect": 0,
    },
]

N = 24
A = [round(v, 3) if v is not None else None for v in wavy(N, 30, 5)]
L = [round(v, 2) if v is not None else None for v in A]
WINDOW = range(10, 14)
LOW_PLATFORM = [round(v, 2) if v is not None else None for v in scaled(L, WINDOW, 0.65)]
HIGH_A = replaced(A, [10], 55.0)
HIGH_L = replaced(L, [10], 55.0)


def three(
    analyser: Sequence[float | None] | None,
    logger: Sequence[float | None] | None,
    platform: Sequence[float | None] | None,
    flags: tuple[dict[int, str] | None, dict[int, str] | None, dict[int, str] | None] = (None, None, None),
) -> pl.DataFrame:
    parts = [
        series("w01018", values, source=src, flags=fl)
        for src, values, fl in zip(
            ("analyser", "logger", "platform"), (analyser, logger, platform), flags, strict=True
        )
        if values is not None
    ]
    return frame(*parts)


C_WINDOW = {i: "C" for i in WINDOW}

# Minute data of the three sources (no hourly data held): the platform 35% lower for 40 minutes.
A_MIN = [round(v, 3) if v is not None else None for v in wavy(600, 30, 5)]
L_MIN = [round(v, 2) if v is not None else None for v in A_MIN]
LOW_MIN = [round(v, 2) if v is not None else None for v in scaled(L_MIN, range(100, 140), 0.65)]


def three_minutes(
    analyser: Sequence[float | None], logger: Sequence[float | None], platform: Sequence[float | None]
) -> pl.DataFrame:
    return frame(
        *(
            series("w01018", values, source=src, step=MINUTE, kind="minute")
            for src, values in (("analyser", analyser), ("logger", logger), ("platform", platform))
        )
    )


R19_CASES: list[Case] = [
    {
        "id": "catch: platform 35% lower than analyser and logger for four hours",
        "frame": three(A, L, LOW_PLATFORM),
        "context": WATER,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 10 * HOUR, T0 + 14 * HOUR)],  # the four hours the platform differs
    },
    {
        "id": "catch: an exceedance at the analyser and logger arrives under the limit",
        "frame": three(HIGH_A, HIGH_L, replaced(L, [10], 45.0)),
        "context": WATER,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 10 * HOUR, T0 + 11 * HOUR)],
    },
    {
        "id": "catch: logger and platform agree on a value the analyser never measured",
        "frame": three(A, LOW_PLATFORM, LOW_PLATFORM),
        "context": WATER,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 10 * HOUR, T0 + 14 * HOUR)],
    },
    {
        "id": "catch: only logger and platform held, they disagree (no odd one out)",
        "frame": three(None, L, LOW_PLATFORM),
        "context": WATER,
        "expect": 1,
        "severity": "medium",
        "windows": [(T0 + 10 * HOUR, T0 + 14 * HOUR)],
    },
    {
        "id": "catch: N at the analyser and logger, C on the platform (flag changed)",
        "frame": three(A, L, L, (None, None, C_WINDOW)),
        "context": WATER,
        "expect": 1,
        "windows": [(T0 + 10 * HOUR, T0 + 14 * HOUR)],
    },
    {
        "id": "catch: minute data, platform 35% lower than analyser and logger for 40 minutes",
        "frame": three_minutes(A_MIN, L_MIN, LOW_MIN),
        "context": WATER,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 100 * MINUTE, T0 + 140 * MINUTE)],
    },
    {
        "id": "clean: minute data, rounding only",
        "frame": three_minutes(A_MIN, L_MIN, L_MIN),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: analyser keeps 3 decimals, logger and platform 2 (rounding only)",
        "frame": three(A, L, L),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: the platform lacks four hours (a gap is R09's business, not a mismatch)",
        "frame": three(A, L, replaced(L, WINDOW, None)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: all three flag C and their values differ (not compared)",
        "frame": three(A, L, LOW_PLATFORM, (C_WINDOW, C_WINDOW, C_WINDOW)),
        "context": WATER,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", R18_CASES, ids=[c["id"] for c in R18_CASES])
def test_r18_cases(case: Case) -> None:
    check_case("R18", case)


@pytest.mark.parametrize("case", R19_CASES, ids=[c["id"] for c in R19_CASES])
def test_r19_cases(case: Case) -> None:
    check_case("R19", case)


def test_r18_evidence_names_the_hour_and_both_values() -> None:
    f = check_case("R18", R18_CASES[0])[0]
    assert f.end - f.start == dt.timedelta(hours=1)
    period = f.evidence["periods"][0]
    assert period["n_valid"] == 60
    assert period["reported"] == pytest.approx(0.65 * period["mean_of_valid"], abs=0.02)
    assert "2024-03-01 09:00至2024-03-01 10:00" in f.explanation_zh
    assert "上报值偏低" in f.explanation_zh


def test_r19_names_the_odd_source_and_the_pairs() -> None:
    f = check_case("R19", R19_CASES[0])[0]
    assert f.evidence["odd_source"] == "platform"
    assert f.evidence["pair_mismatches"] == {
        "analyser-logger": 0,
        "analyser-platform": 4,
        "logger-platform": 4,
    }
    assert "差异出在监控平台一方" in f.explanation_zh
    assert "数采仪与监控平台有4个数据不一致" in f.explanation_zh
    assert f.evidence["lower_downstream"] == 4


def test_r19_logger_rewrite_is_named_as_such() -> None:
    f = check_case("R19", R19_CASES[2])[0]
    assert f.evidence["odd_source"] == "analyser"
    assert "数据在数采仪环节被改变" in f.explanation_zh
