"""The enterprise evaluation (环保脸谱, seed 003) as pure arithmetic: components, score, grade, colour.

Weights, bands and the falsification cap are documented in docs/om-and-evaluation.md; keep both in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EvaluationGrade(StrEnum):
    EXCELLENT = "excellent"  # 优
    GOOD = "good"  # 良
    FAIR = "fair"  # 中
    POOR = "poor"  # 差


class Colour(StrEnum):
    GREEN = "green"
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"


WEIGHTS: dict[str, float] = {
    "installation": 20.0,  # 安装：应装尽装
    "networking": 20.0,  # 联网：点位在评价期内有数据上传
    "operation": 20.0,  # 运行：数据传输率
    "data_quality": 20.0,  # 数据质量：数据有效率
    "findings": 10.0,  # 异常线索
    "penalties": 10.0,  # 行政处罚
}
FINDING_DEDUCTION = 2.0
"""Points off the findings component per screening finding on the enterprise's points."""
PENALTY_DEDUCTION = 5.0
"""Points off the penalties component per administrative penalty in the period."""
BANDS: tuple[tuple[float, EvaluationGrade, Colour], ...] = (
    (90.0, EvaluationGrade.EXCELLENT, Colour.GREEN),
    (75.0, EvaluationGrade.GOOD, Colour.BLUE),
    (60.0, EvaluationGrade.FAIR, Colour.YELLOW),
)
"""Lowest score of each grade, best first; below the last: poor / red."""

INVESTIGATION_CAP = 74.9
"""Highest score while a case (立案调查) on the enterprise is open: the top of 一般 (yellow)."""


@dataclass(frozen=True, slots=True)
class EvaluationInputs:
    points: int  # active monitoring points
    installed: int  # of what must be installed: how many are (see ``required``)
    required: int  # outlets the permit requires monitored, else the points (each needs an analyser)
    networked_points: int  # points that sent hourly data in the period
    expected_hours: int
    received_hours: int
    valid_hours: int
    findings: int
    penalties: int
    falsification: bool = False  # a confirmed falsification in the period: red whatever the score
    under_investigation: bool = False  # an open (or transferred) case at the period's end: at most 一般/黄


@dataclass(frozen=True, slots=True)
class Evaluation:
    components: dict[str, float]  # points earned per component
    score: float
    grade: EvaluationGrade
    colour: Colour
    capped: bool  # red because of a confirmed falsification
    investigated: bool = False  # held to 一般/黄 (score below 良) while a case is open


def _share(part: int, whole: int) -> float:
    return 0.0 if whole <= 0 else min(1.0, max(0.0, part / whole))


def band(score: float) -> tuple[EvaluationGrade, Colour]:
    for lowest, grade, colour in BANDS:
        if score >= lowest:
            return grade, colour
    return EvaluationGrade.POOR, Colour.RED


def evaluate(inputs: EvaluationInputs) -> Evaluation:
    """Score (0–100, one decimal) and colour of one enterprise for one period."""
    rates = {
        "installation": _share(inputs.installed, inputs.required),
        "networking": _share(inputs.networked_points, inputs.points),
        "operation": _share(inputs.received_hours, inputs.expected_hours),
        "data_quality": _share(inputs.valid_hours, inputs.expected_hours),
        "findings": max(0.0, 1.0 - inputs.findings * FINDING_DEDUCTION / WEIGHTS["findings"]),
        "penalties": max(0.0, 1.0 - inputs.penalties * PENALTY_DEDUCTION / WEIGHTS["penalties"]),
    }
    components = {name: round(WEIGHTS[name] * rate, 2) for name, rate in rates.items()}
    score = round(sum(WEIGHTS[name] * rate for name, rate in rates.items()), 1)
    investigated = inputs.under_investigation and not inputs.falsification
    if investigated:  # a suspected falsification under investigation cannot rank as 优/良 (or first)
        score = min(score, INVESTIGATION_CAP)
    grade, colour = band(score)
    if inputs.falsification:
        grade, colour = EvaluationGrade.POOR, Colour.RED
    return Evaluation(components, score, grade, colour, inputs.falsification, investigated)
