import dataclasses
import datetime as dt
from typing import Any

import polars as pl
import pytest

from ecosentinel.detection import (
    Colour,
    Finding,
    PointContext,
    PointType,
    ScreeningConfig,
    Severity,
    point_day_warnings,
    score_days,
)
from ecosentinel.detection.context import OM_SCHEMA, WINDOW_SCHEMA

UTC = dt.UTC
T = dt.datetime(2024, 3, 1, 2, tzinfo=UTC)  # 10:00 CST


def finding(
    mn: str, rule: str, severity: Severity, score: float, start: dt.datetime = T, hours: float = 1
) -> Finding:
    return Finding(
        mn=mn,
        rule=rule,
        factors=("w01018",),
        start=start,
        end=start + dt.timedelta(hours=hours),
        severity=severity,
        score=score,
        evidence={"kind": "x"},
        explanation_zh="规则「测试」",
    )


def ctx(mn: str, *, enterprise: str = "E1") -> PointContext:
    return PointContext(mn=mn, point_type=PointType.WATER, enterprise_id=enterprise)


def window(mn: str) -> pl.DataFrame:
    return pl.DataFrame(
        {"mn": [mn], "start": [T - dt.timedelta(hours=1)], "end": [T + dt.timedelta(hours=3)]},
        schema=WINDOW_SCHEMA,
    )


def om(mn: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mn": [mn],
            "start": [T],
            "end": [T + dt.timedelta(hours=1)],
            "kind": ["maintenance"],
            "person": ["李四"],
        },
        schema=OM_SCHEMA,
    )


CASES = [
    ("one high finding is red", [finding("A", "R04_x", Severity.HIGH, 0.9)], {}, Colour.RED, 0.9),
    ("one medium finding is yellow", [finding("A", "R01_x", Severity.MEDIUM, 0.6)], {}, Colour.YELLOW, 0.42),
    ("one low finding is green", [finding("A", "R16_x", Severity.LOW, 0.35)], {}, Colour.GREEN, 0.14),
    (
        "three medium findings accumulate to red",
        [finding("A", f"R0{i}_x", Severity.MEDIUM, 0.6) for i in range(1, 4)],
        {},
        Colour.RED,
        1 - (1 - 0.42) ** 3,
    ),
    (
        "inside a declared window with an O&M record: halved",
        [finding("A", "R04_x", Severity.HIGH, 0.9)],
        {"maintenance_windows": window("A"), "om_records": om("A")},
        Colour.YELLOW,
        0.45,
    ),
    (
        "inside a declared window with no O&M record: 1.5x",
        [finding("A", "R01_x", Severity.MEDIUM, 0.6)],
        {"maintenance_windows": window("A")},
        Colour.YELLOW,
        0.63,
    ),
]


@pytest.mark.parametrize(
    ("name", "findings", "context_kw", "colour", "score"), CASES, ids=[c[0] for c in CASES]
)
def test_point_day_colour(
    name: str, findings: list[Finding], context_kw: dict[str, Any], colour: Colour, score: float
) -> None:
    [w] = point_day_warnings(findings, [dataclasses.replace(ctx("A"), **context_kw)])
    assert w.colour is colour
    assert w.score == pytest.approx(score, abs=1e-3)
    assert w.day == dt.date(2024, 3, 1)
    assert len(w.findings) == len(findings)
    assert "2024-03-01" in w.summary_zh


def test_score_days_rolls_points_up_to_enterprise_and_splits_cst_days() -> None:
    late = dt.datetime(2024, 3, 1, 15, tzinfo=UTC)  # 23:00 CST, runs past midnight CST
    findings = [
        finding("A", "R04_x", Severity.MEDIUM, 0.6),
        finding("B", "R05_x", Severity.MEDIUM, 0.6),
        finding("B", "R01_x", Severity.LOW, 0.5, start=late, hours=2),
    ]
    frame = score_days(findings, [ctx("A"), ctx("B"), ctx("C", enterprise="E2")])
    points = frame.filter(pl.col("level") == "point").sort("mn", "day")
    assert points.select("mn", "day").rows() == [
        ("A", dt.date(2024, 3, 1)),
        ("B", dt.date(2024, 3, 1)),
        ("B", dt.date(2024, 3, 2)),
    ]
    ent = frame.filter((pl.col("level") == "enterprise") & (pl.col("day") == dt.date(2024, 3, 1)))
    assert ent["enterprise_id"].to_list() == ["E1"]
    a, b = points["score"][0], points["score"][1]
    assert ent["score"][0] == pytest.approx(1 - (1 - a) * (1 - b), abs=1e-3)
    assert ent["colour"][0] == "red"  # two yellow points make a red enterprise
    assert ent["n_findings"][0] == 3


def test_rule_weights_come_from_config() -> None:
    config = ScreeningConfig.model_validate({"scoring": {"rule_weights": {"R01": 0.0}}})
    [w] = point_day_warnings([finding("A", "R01_constant_value", Severity.HIGH, 1.0)], [ctx("A")], config)
    assert w.score == 0.0
    assert w.colour is Colour.GREEN
