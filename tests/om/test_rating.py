"""The assessment arithmetic, table-driven, with hand-computed expected scores."""

from __future__ import annotations

from typing import Any

import pytest

from ecosentinel.evaluation.om_rating import RatingInputs, grade_of, rate
from ecosentinel.om.enums import Grade

BASE: dict[str, Any] = {
    "points": 2,
    "expected_hours": 1000,
    "received_hours": 950,
    "valid_hours": 900,
    "records": 10,
    "timely_records": 8,
    "comparison_tests": 4,
    "comparison_passed": 3,
    "findings": 1,
}

CASES: list[dict[str, Any]] = [
    # transmission 950/1000, valid 900/950 (valid of received, as on the validity page):
    # 0.95*30 + 0.947368*30 + 0.8*15 + 0.75*15 + (1-0.2)*10 = 28.5 + 28.421 + 12 + 11.25 + 8 = 88.171
    {"id": "all inputs", "change": {}, "score": 88.2, "grade": Grade.B},
    # no comparison tests: (28.5 + 28.421 + 12 + 8) / 85 * 100 = 90.495…
    {
        "id": "no comparison tests",
        "change": {"comparison_tests": 0, "comparison_passed": 0},
        "score": 90.5,
        "grade": Grade.A,
    },
    # perfect agency
    {
        "id": "perfect",
        "change": {
            "received_hours": 1000,
            "valid_hours": 1000,
            "timely_records": 10,
            "comparison_passed": 4,
            "findings": 0,
        },
        "score": 100.0,
        "grade": Grade.A,
    },
    # no records with points: timeliness 0 → 28.5 + 28.421 + 0 + 11.25 + 8 = 76.171
    {"id": "no records", "change": {"records": 0, "timely_records": 0}, "score": 76.2, "grade": Grade.C},
    # six findings: the findings component is exhausted (not negative): 28.5 + 28.421 + 12 + 11.25 + 0
    {"id": "many findings", "change": {"findings": 6}, "score": 80.2, "grade": Grade.B},
    # the one-vote veto overrides a good score
    {"id": "veto", "change": {"falsifications": ("运维人员协助篡改数据",)}, "score": 0.0, "grade": Grade.D},
    # poor data: 500/1000 received, 400/500 valid: 0.5*30 + 0.8*30 + 0.8*15 + 0.75*15 + 8
    # = 15 + 24 + 12 + 11.25 + 8 = 70.25 → 70.2 (half to even)
    {
        "id": "poor data",
        "change": {"received_hours": 500, "valid_hours": 400},
        "score": 70.2,
        "grade": Grade.C,
    },
    # nothing received: transmission 0 and valid 0 (not left out): 0 + 0 + 12 + 11.25 + 8 = 31.25 → 31.2
    {
        "id": "nothing received",
        "change": {"received_hours": 0, "valid_hours": 0},
        "score": 31.2,
        "grade": Grade.D,
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_rate(case: dict[str, Any]) -> None:
    result = rate(RatingInputs(**{**BASE, **case["change"]}))
    assert result.score == case["score"]
    assert result.grade is case["grade"]
    assert result.veto is ("falsifications" in case["change"])


def test_veto_reason_is_kept() -> None:
    result = rate(RatingInputs(**{**BASE, "falsifications": ("甲", "乙")}))
    assert result.veto_reason == "甲；乙"


def test_rates_are_reported() -> None:
    result = rate(RatingInputs(**BASE))
    assert result.transmission_rate == pytest.approx(0.95)
    assert result.valid_rate == pytest.approx(900 / 950)
    assert result.timeliness_rate == pytest.approx(0.8)
    assert result.comparison_rate == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("score", "grade"),
    [(90.0, Grade.A), (89.9, Grade.B), (80.0, Grade.B), (79.9, Grade.C), (60.0, Grade.C), (59.9, Grade.D)],
)
def test_grade_bands(score: float, grade: Grade) -> None:
    assert grade_of(score) is grade
