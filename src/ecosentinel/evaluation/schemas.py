"""Pydantic schemas of the enterprise evaluation."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ecosentinel.evaluation.scoring import Colour, EvaluationGrade
from ecosentinel.om.schemas import OptUtc, Utc


class PublicEvaluation(BaseModel):
    """What the public sees (公开): the enterprise, its score, grade and colour per component."""

    enterprise_id: int
    enterprise_name: str
    industry: str | None
    period: str
    installation: float
    networking: float
    operation: float
    data_quality: float
    findings_score: float
    penalties_score: float
    score: float
    grade: EvaluationGrade
    colour: Colour
    published_at: OptUtc


class EvaluationRead(PublicEvaluation):
    """Staff view: with the counts behind each component."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    findings: int
    penalties: int
    detail: dict[str, Any]
    published: bool
    computed_at: Utc
    computed_by: str
