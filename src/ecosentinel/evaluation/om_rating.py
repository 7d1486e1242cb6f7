"""The quarterly O&M assessment and credit grade of an agency (运维考核与信用评价), as pure arithmetic.

Weights and grade bands are documented in docs/om-and-evaluation.md; keep both in step. A confirmed
falsification involving the agency or its staff vetoes the quarter (一票否决, seed 004): score 0, grade D.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ecosentinel.om.enums import Grade

WEIGHTS: dict[str, float] = {
    # Both data rates are the validity statistics of interop.validity (per point and registered factor,
    # hourly values, CST days the agency maintained the point), summed over the agency's points:
    "transmission": 30.0,  # 数据传输率 = received / expected hours
    "valid": 30.0,  # 数据有效率 = valid (flag N) / received hours; 0 when hours were expected, none received
    "timeliness": 15.0,  # 运维记录及时率
    "comparison": 15.0,  # 比对监测合格率
    "findings": 10.0,  # 异常线索扣分项
}
"""Points of each component out of 100 (components without data are left out and the rest rescaled)."""

FINDING_DEDUCTION = 2.0
"""Points taken off the findings component per finding on the agency's points (at most its weight)."""


"""A maintenance record is timely when filed within this many hours after the visit ended."""

GRADE_BANDS: tuple[tuple[float, Grade], ...] = ((90.0, Grade.A), (80.0, Grade.B), (60.0, Grade.C))
"""Lowest score of each grade, best first; below the last band the grade is D."""


@dataclass(frozen=True, slots=True)
class RatingInputs:
    """What one agency's quarter is rated on (counts over the points it maintained, for the time it did)."""

    points: int
    expected_hours: int  # point-factor hours that should have an hourly value (interop.validity)
    received_hours: int  # point-factor hours with an hourly value on the platform
    valid_hours: int  # of which flagged N
    records: int  # maintenance records of the quarter
    timely_records: int  # of which filed within TIMELY_HOURS
    comparison_tests: int
    comparison_passed: int
    findings: int  # screening findings on its points (not dismissed)
    falsifications: Sequence[str] = field(default_factory=tuple)  # confirmed; any one vetoes


@dataclass(frozen=True, slots=True)
class Rating:
    transmission_rate: float | None
    valid_rate: float | None
    timeliness_rate: float | None
    comparison_rate: float | None
    findings_rate: float
    score: float
    grade: Grade
    veto: bool
    veto_reason: str | None


def _share(part: int, whole: int) -> float | None:
    return None if whole <= 0 else min(1.0, max(0.0, part / whole))


def grade_of(score: float) -> Grade:
    """The grade band a score falls in."""
    for lowest, grade in GRADE_BANDS:
        if score >= lowest:
            return grade
    return Grade.D


def rate(inputs: RatingInputs) -> Rating:
    """Score (0–100, one decimal) and grade of one agency for one quarter."""
    transmission = _share(inputs.received_hours, inputs.expected_hours)
    valid = _share(inputs.valid_hours, inputs.received_hours)
    if valid is None and inputs.expected_hours > 0:
        valid = 0.0  # hours were due and none arrived: nothing valid was delivered
    # Points to maintain but no record at all: nothing was filed on time.
    timeliness = _share(inputs.timely_records, inputs.records)
    if timeliness is None and inputs.points > 0:
        timeliness = 0.0
    comparison = _share(inputs.comparison_passed, inputs.comparison_tests)
    findings = max(0.0, 1.0 - inputs.findings * FINDING_DEDUCTION / WEIGHTS["findings"])
    rates = {
        "transmission": transmission,
        "valid": valid,
        "timeliness": timeliness,
        "comparison": comparison,
        "findings": findings,
    }
    used = {name: value for name, value in rates.items() if value is not None}
    total_weight = sum(WEIGHTS[name] for name in used)
    score = 100.0 * sum(WEIGHTS[name] * value for name, value in used.items()) / total_weight
    veto = bool(inputs.falsifications)
    reason = "；".join(inputs.falsifications) if veto else None
    if veto:
        score = 0.0
    score = round(score, 1)
    return Rating(
        transmission_rate=transmission,
        valid_rate=valid,
        timeliness_rate=timeliness,
        comparison_rate=comparison,
        findings_rate=findings,
        score=score,
        grade=Grade.D if veto else grade_of(score),
        veto=veto,
        veto_reason=reason,
    )
