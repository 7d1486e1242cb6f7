"""Enterprise evaluation arithmetic, table-driven, with hand-computed scores."""

from __future__ import annotations

from typing import Any

import pytest

from ecosentinel.evaluation.scoring import Colour, EvaluationGrade, EvaluationInputs, evaluate

BASE: dict[str, Any] = {
    "points": 2,
    "installed": 2,
    "required": 2,
    "networked_points": 2,
    "expected_hours": 100,
    "received_hours": 90,
    "valid_hours": 80,
    "findings": 0,
    "penalties": 0,
}

CASES: list[dict[str, Any]] = [
    # 20 + 20 + 0.9*20 + 0.8*20 + 10 + 10 = 94
    {"id": "good data", "change": {}, "score": 94.0, "colour": Colour.GREEN},
    # one outlet of two installed, one point silent: 10 + 10 + 18 + 16 + 10 + 10 = 74
    {
        "id": "half installed",
        "change": {"installed": 1, "networked_points": 1},
        "score": 74.0,
        "colour": Colour.YELLOW,
    },
    # two findings (-4) and one penalty (-5): 20 + 20 + 18 + 16 + 6 + 5 = 85
    {
        "id": "findings and penalty",
        "change": {"findings": 2, "penalties": 1},
        "score": 85.0,
        "colour": Colour.BLUE,
    },
    # penalties component floors at zero: 20 + 20 + 18 + 16 + 10 + 0 = 84
    {"id": "many penalties", "change": {"penalties": 5}, "score": 84.0, "colour": Colour.BLUE},
    # nothing installed, nothing sent: only the clean record components remain → 20
    {
        "id": "no monitoring",
        "change": {"installed": 0, "networked_points": 0, "received_hours": 0, "valid_hours": 0},
        "score": 20.0,
        "colour": Colour.RED,
    },
    # a confirmed falsification makes it red whatever the score
    {"id": "falsification", "change": {"falsification": True}, "score": 94.0, "colour": Colour.RED},
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_evaluate(case: dict[str, Any]) -> None:
    result = evaluate(EvaluationInputs(**{**BASE, **case["change"]}))
    assert result.score == case["score"]
    assert result.colour is case["colour"]
    assert sum(result.components.values()) == pytest.approx(result.score, abs=0.05)


def test_bands() -> None:
    grades = [evaluate(EvaluationInputs(**{**BASE, **c["change"]})).grade for c in CASES]
    assert grades == [
        EvaluationGrade.EXCELLENT,
        EvaluationGrade.FAIR,
        EvaluationGrade.GOOD,
        EvaluationGrade.GOOD,
        EvaluationGrade.POOR,
        EvaluationGrade.POOR,
    ]


def test_enterprise_without_points_scores_only_clean_record() -> None:
    empty = EvaluationInputs(0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert evaluate(empty).score == 20.0
