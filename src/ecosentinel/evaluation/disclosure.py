"""Public disclosure of enterprise evaluations (环保脸谱): the newest published one of each enterprise."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session, selectinload

from ecosentinel.evaluation.models import EnterpriseEvaluation


class DisclosedEvaluation(BaseModel):
    """The newest published evaluation of one enterprise, as the public disclosure lists it."""

    enterprise_name: str
    period: str
    score: float
    grade: str
    colour: str
    installation: float
    networking: float
    operation: float
    data_quality: float


def public_evaluations(session: Session) -> list[DisclosedEvaluation]:
    """The newest published evaluation (环保脸谱) of each enterprise, when there are any."""
    rows = session.scalars(
        sa.select(EnterpriseEvaluation)
        .options(selectinload(EnterpriseEvaluation.enterprise))
        .where(EnterpriseEvaluation.published.is_(True))
        .order_by(EnterpriseEvaluation.enterprise_id, EnterpriseEvaluation.period.desc())
    )
    newest: dict[int, DisclosedEvaluation] = {}
    for row in rows:
        if row.enterprise_id in newest:
            continue
        newest[row.enterprise_id] = DisclosedEvaluation(
            enterprise_name=row.enterprise.name,
            period=row.period,
            score=row.score,
            grade=row.grade,
            colour=row.colour,
            installation=row.installation,
            networking=row.networking,
            operation=row.operation,
            data_quality=row.data_quality,
        )
    return sorted(newest.values(), key=lambda e: (-e.score, e.enterprise_name))
