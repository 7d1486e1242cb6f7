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
from ecosentinel.detection.config import ScoringConfig
from ecosentinel.detection.context import OM_SCHEMA, WINDOW_SCHEMA
from ecosentinel.detection.scoring import Basis

UTC = dt.UTC
T = dt.datetime(2024, 3, 1, 2, tzinfo=UTC)  # 10:00 CST


def finding(
    mn: str,
    rule: str,
    severity: Severity,
    score: float,
    start: dt.datetime = T,
    hours: float = 1,
    kind: str = "x",
) -> Finding:
    return Finding(
        mn=mn,
        rule=rule,
        factors=("w01018",),
        start=start,
        end=start + dt.timedelta(hours=hours),
        severity=severity,
        score=score,
        evidence={"kind": kind},
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
    (
        "one standalone finding is red",
        [finding("A", "R02_zero_negative", Severity.HIGH, 0.9)],
        {},
        Colour.RED,
        0.9,
    ),
    ("one medium finding is yellow", [finding("A", "R01_x", Severity.MEDIUM, 0.6)], {}, Colour.YELLOW, 0.42),
    ("one low finding is green", [finding("A", "R16_x", Severity.LOW, 0.35)], {}, Colour.GREEN, 0.14),
    (
        "three medium findings of three families accumulate to red",
        [finding("A", r, Severity.MEDIUM, 0.6) for r in ("R01_x", "R02_x", "R09_x")],
        {},
        Colour.RED,
        1 - (1 - 0.42) ** 3,
    ),
    (
        "inside a declared window with an O&M record: halved",
        [finding("A", "R02_x", Severity.HIGH, 0.9)],
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
    assert w.basis_zh in w.summary_zh


FUSION_CASES = [
    # (name, findings, colour, basis, deciding rules, uncapped)
    (
        "one high finding of a rule that cannot be red alone is capped yellow",
        [finding("A", "R01_constant_value", Severity.HIGH, 0.9)],
        Colour.YELLOW,
        Basis.SINGLE_FAMILY,
        {"R01_constant_value"},
        Colour.RED,
    ),
    (
        "two views of the same symptom (one family) stay yellow",
        [
            finding("A", "R01_constant_value", Severity.HIGH, 0.8),
            finding("A", "R05_dilution", Severity.MEDIUM, 0.65),
        ],
        Colour.YELLOW,
        Basis.SINGLE_FAMILY,
        {"R01_constant_value", "R05_dilution"},
        Colour.RED,
    ),
    (
        "two independent families corroborate: red",
        [
            finding("A", "R05_dilution", Severity.MEDIUM, 0.65),
            finding("A", "R15_door_camera_correlation", Severity.HIGH, 0.8),
        ],
        Colour.RED,
        Basis.CORROBORATED,
        {"R05_dilution", "R15_door_camera_correlation"},
        Colour.RED,
    ),
    (
        "a weak second family does not corroborate",
        [
            finding("A", "R01_constant_value", Severity.HIGH, 0.8),
            finding("A", "R09_strategic_gap", Severity.LOW, 0.5),
        ],
        Colour.YELLOW,
        Basis.SINGLE_FAMILY,
        {"R01_constant_value", "R09_strategic_gap"},
        Colour.RED,
    ),
    (
        "a statistical test is never the corroborating family",
        [
            finding("A", "R01_constant_value", Severity.HIGH, 0.8),
            finding("A", "R12_bunching", Severity.HIGH, 0.9),
        ],
        Colour.YELLOW,
        Basis.SINGLE_FAMILY,
        {"R01_constant_value", "R12_bunching"},
        Colour.RED,
    ),
    (
        "statistical tests alone are yellow at most",
        [
            finding("A", "R12_bunching", Severity.HIGH, 0.9),
            finding("A", "R13_digit_test", Severity.HIGH, 0.9),
        ],
        Colour.YELLOW,
        Basis.STATISTICAL_ONLY,
        {"R12_bunching", "R13_digit_test"},
        Colour.RED,
    ),
    (
        "a standalone rule with the wrong evidence kind is not standalone",
        [finding("A", "R17_replay", Severity.HIGH, 0.9, kind="near_identical")],
        Colour.YELLOW,
        Basis.SINGLE_FAMILY,
        {"R17_replay"},
        Colour.RED,
    ),
    (
        "a whole day replayed is red alone and only it decides",
        [
            finding("A", "R17_replay", Severity.HIGH, 0.9, kind="identical"),
            finding("A", "R01_constant_value", Severity.LOW, 0.5),
        ],
        Colour.RED,
        Basis.STANDALONE,
        {"R17_replay"},
        Colour.RED,
    ),
    (
        "a standalone rule below its severity is not standalone",
        [
            finding("A", "R02_zero_negative", Severity.MEDIUM, 0.6),
            finding("A", "R02_zero_negative", Severity.MEDIUM, 0.6, start=T + dt.timedelta(hours=5)),
            finding("A", "R02_zero_negative", Severity.MEDIUM, 0.6, start=T + dt.timedelta(hours=10)),
        ],
        Colour.YELLOW,
        Basis.SINGLE_FAMILY,
        {"R02_zero_negative"},
        Colour.RED,
    ),
    (
        "identical values while the metered load swings (R20 high) are red alone",
        [finding("A", "R20_flat_while_working", Severity.HIGH, 0.9, kind="flat")],
        Colour.RED,
        Basis.STANDALONE,
        {"R20_flat_while_working"},
        Colour.RED,
    ),
    (
        "R20 on wastewater flow only (low) stays a clue",
        [finding("A", "R20_flat_while_working", Severity.LOW, 0.4, kind="flat")],
        Colour.GREEN,
        Basis.BELOW_THRESHOLD,
        {"R20_flat_while_working"},
        Colour.GREEN,
    ),
    (
        "one medium finding is yellow by attention",
        [finding("A", "R09_strategic_gap", Severity.MEDIUM, 0.6)],
        Colour.YELLOW,
        Basis.ATTENTION,
        {"R09_strategic_gap"},
        Colour.YELLOW,
    ),
]


@pytest.mark.parametrize(
    ("name", "findings", "colour", "basis", "deciding", "uncapped"),
    FUSION_CASES,
    ids=[c[0] for c in FUSION_CASES],
)
def test_fusion(
    name: str,
    findings: list[Finding],
    colour: Colour,
    basis: Basis,
    deciding: set[str],
    uncapped: Colour,
) -> None:
    [w] = point_day_warnings(findings, [ctx("A")])
    assert (w.colour, w.basis, w.uncapped) == (colour, basis, uncapped)
    by_id = {f.id: f.rule for f in w.findings}
    assert {by_id[i] for i in w.deciding} == deciding
    assert w.basis_zh.startswith("定级依据")
    assert w.basis_zh in w.summary_zh
    for rule in deciding:
        assert rule.split("_", 1)[0] in w.basis_zh


def test_fusion_can_be_switched_off_and_families_reassigned() -> None:
    findings = [finding("A", "R01_constant_value", Severity.HIGH, 0.9)]
    off = ScreeningConfig.model_validate({"scoring": {"fusion": False}})
    [w] = point_day_warnings(findings, [ctx("A")], off)
    assert w.colour is Colour.RED
    two = [*findings, finding("A", "R05_dilution", Severity.MEDIUM, 0.65)]
    moved = ScreeningConfig.model_validate({"scoring": {"rule_families": {"R05": "working_condition"}}})
    [w] = point_day_warnings(two, [ctx("A")], moved)
    assert (w.colour, w.basis) == (Colour.RED, Basis.CORROBORATED)
    assert dict(w.families).keys() == {"concentration", "working_condition"}


def test_score_days_carries_the_basis() -> None:
    frame = score_days([finding("A", "R01_constant_value", Severity.HIGH, 0.9)], [ctx("A")])
    row = frame.filter(pl.col("level") == "point").row(0, named=True)
    assert (row["colour"], row["basis"]) == ("yellow", "single_family")
    assert "缺少独立证据印证" in row["basis_zh"]


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


def test_enterprise_is_not_red_from_one_capped_point() -> None:
    frame = score_days([finding("A", "R01_constant_value", Severity.HIGH, 0.9)], [ctx("A")])
    ent = frame.filter(pl.col("level") == "enterprise").row(0, named=True)
    assert ent["score"] == pytest.approx(0.9)
    assert ent["colour"] == "yellow"  # the point is capped at yellow; the enterprise follows


def test_an_approved_cap_keeps_the_rule_at_yellow_at_its_point() -> None:
    replay = finding("A", "R17_replay", Severity.HIGH, 0.9, kind="identical")
    capped = dataclasses.replace(ctx("A"), yellow_capped_rules=frozenset({"R17_replay"}))
    [w] = point_day_warnings([replay], [capped])
    assert (w.colour, w.basis, w.uncapped) == (Colour.YELLOW, Basis.ADJUSTED_CAP, Colour.RED)
    assert "调整" in w.basis_zh
    assert "R17" in w.basis_zh
    # the same finding at a point without the cap is red alone
    [free] = point_day_warnings([replay], [ctx("A")])
    assert free.colour is Colour.RED
    # another rule that is red alone still makes red at the capped point
    zero = finding("A", "R02_zero_negative", Severity.HIGH, 0.9, start=T + dt.timedelta(hours=2))
    [both] = point_day_warnings([replay, zero], [capped])
    assert (both.colour, both.basis) == (Colour.RED, Basis.STANDALONE)
    by_id = {f.id: f.rule for f in both.findings}
    assert {by_id[i] for i in both.deciding} == {"R02_zero_negative"}


def test_overlapping_findings_of_one_rule_count_once_separate_ones_add_up() -> None:
    # two low R01 clues about one stuck stretch (identical run and the band around it): one observation
    run = finding("A", "R01_constant_value", Severity.LOW, 0.7, hours=6, kind="identical")  # 10-16 h CST
    band = finding("A", "R01_constant_value", Severity.LOW, 0.63, start=T - dt.timedelta(hours=2), hours=9)
    [w] = point_day_warnings([run, band], [ctx("A")])
    assert w.score == pytest.approx(0.4 * 0.7)
    assert w.colour is Colour.GREEN
    # within 3 h of each other they are one episode (a stuck stretch cut by missing data)
    near = finding("A", "R01_constant_value", Severity.LOW, 0.63, start=T + dt.timedelta(hours=8), hours=2)
    [w] = point_day_warnings([run, near], [ctx("A")])
    assert w.score == pytest.approx(0.4 * 0.7)
    # two clues of one rule far apart on the day: the same natural behaviour seen twice, still a clue
    later = finding("A", "R01_constant_value", Severity.LOW, 0.63, start=T + dt.timedelta(hours=10), hours=2)
    [w] = point_day_warnings([run, later], [ctx("A")])
    assert w.score == pytest.approx(0.4 * 0.7)
    assert w.colour is Colour.GREEN
    # separate episodes that are more than clues are two observations
    medium = finding(
        "A", "R01_constant_value", Severity.MEDIUM, 0.5, start=T + dt.timedelta(hours=10), hours=2
    )
    [w] = point_day_warnings([run, medium], [ctx("A")])
    assert w.score == pytest.approx(1 - (1 - 0.28) * (1 - 0.7 * 0.5), abs=1e-4)
    assert w.colour is Colour.YELLOW
    other_medium = finding(
        "A", "R01_constant_value", Severity.MEDIUM, 0.4, start=T - dt.timedelta(hours=9), hours=1
    )
    [w] = point_day_warnings([medium, other_medium], [ctx("A")])
    assert w.score == pytest.approx(1 - (1 - 0.35) * (1 - 0.28), abs=1e-4)
    # overlapping findings of different rules stay independent evidence
    other = finding("A", "R05_dilution", Severity.LOW, 0.63, hours=6)
    [w] = point_day_warnings([run, other], [ctx("A")])
    assert w.score == pytest.approx(1 - (1 - 0.28) * (1 - 0.4 * 0.63), abs=1e-4)


def test_clues_of_two_rules_reporting_one_symptom_count_once() -> None:
    # R20's flat run beside a moving working condition is R01's held run: as clues, one observation
    run = finding("A", "R01_constant_value", Severity.LOW, 0.7, hours=6, kind="identical")
    flat = finding("A", "R20_flat_while_working", Severity.LOW, 0.5, hours=6)
    [w] = point_day_warnings([run, flat], [ctx("A")])
    assert w.score == pytest.approx(0.4 * 0.7)
    assert w.colour is Colour.GREEN
    # on another factor they are two observations
    other_factor = dataclasses.replace(flat, factors=("w21003",))
    [w] = point_day_warnings([run, other_factor], [ctx("A")])
    assert w.score == pytest.approx(1 - (1 - 0.28) * (1 - 0.2), abs=1e-4)
    assert w.colour is Colour.YELLOW
    # a medium R20 (the condition moved a lot) is more than a clue and still adds up
    strong = dataclasses.replace(flat, severity=Severity.MEDIUM)
    [w] = point_day_warnings([run, strong], [ctx("A")])
    assert w.score == pytest.approx(1 - (1 - 0.28) * (1 - 0.7 * 0.5), abs=1e-4)
    # R17's clue (a day like the day before, explained by a load that repeated too) on a factor R01 finds
    # in a narrow band is the same regularity seen twice; R20's and R17's clues count once with R01's
    copy = finding("A", "R17_replay", Severity.LOW, 0.3, hours=6, kind="near_identical")
    [w] = point_day_warnings([run, copy], [ctx("A")])
    assert w.score == pytest.approx(0.4 * 0.7)
    assert w.colour is Colour.GREEN
    [w] = point_day_warnings([run, flat, copy], [ctx("A")])
    assert w.score == pytest.approx(0.4 * 0.7)
    # an exact copy (medium or high) is evidence of its own and still adds up
    exact = dataclasses.replace(copy, severity=Severity.HIGH, score=0.9)
    [w] = point_day_warnings([run, exact], [ctx("A")])
    assert w.score == pytest.approx(1 - (1 - 0.28) * (1 - 0.9), abs=1e-4)


def test_statistical_clues_pool_across_their_rules() -> None:
    # a low R12 (bunching) and a low R13 (heaping) read the same month of values: one clue together
    bunching = finding("A", "R12_bunching", Severity.LOW, 0.8, hours=6)
    heaping = finding("A", "R13_digit_test", Severity.LOW, 0.9, hours=6)
    [w] = point_day_warnings([bunching, heaping], [ctx("A")])
    assert w.score == pytest.approx(0.4 * 0.9)
    # a clue of another family still adds to it
    drop = finding("A", "R04_post_exceedance_drop", Severity.LOW, 0.6, start=T + dt.timedelta(hours=3))
    [w] = point_day_warnings([bunching, heaping, drop], [ctx("A")])
    assert w.score == pytest.approx(1 - (1 - 0.36) * (1 - 0.24), abs=1e-4)
    assert w.colour is Colour.YELLOW
    # configuration may move a rule out of the family: then it counts on its own again
    config = ScreeningConfig(scoring=ScoringConfig(rule_families={"R13": "concentration"}))
    [w] = point_day_warnings([bunching, heaping], [ctx("A")], config)
    assert w.score == pytest.approx(1 - (1 - 0.32) * (1 - 0.36), abs=1e-4)
