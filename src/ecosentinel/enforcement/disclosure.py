"""Public disclosure (一公开, seeds 001, 002, 003): what anyone may see without logging in.

Only published fields leave this module: for penalties the decision number and date, the enterprise's name and
credit code, the problem category, the fine and the public summary; for random inspections the draw's title,
date, seed, algorithm and result hash, and per drawn enterprise its name and recorded outcome; for enterprise
evaluations (环保脸谱) the published scores and colour. Never internal descriptions, officers, risk classes,
pool snapshots or the evaluation's raw inputs.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ecosentinel.enforcement.draws import list_draws
from ecosentinel.enforcement.ledger.models import InspectionPlan, LedgerAction, LedgerProblem
from ecosentinel.enforcement.ledger.service import CATEGORY_ZH, ActionKind, today_cst
from ecosentinel.registry.models import Enterprise


class PublicPenalty(BaseModel):
    decision_no: str | None
    decided_on: dt.date
    enterprise_name: str
    credit_code: str | None
    category: str
    fine_wan: float | None
    summary: str


class PublicInspection(BaseModel):
    rank: int
    enterprise_name: str
    inspected_on: dt.date | None
    outcome: str | None
    problems_found: int | None


class PublicDraw(BaseModel):
    id: int
    title: str
    plan_title: str | None
    drawn_on: dt.date
    published_at: dt.datetime
    algorithm: str
    seed: str
    result_hash: str
    pool_size: int
    inspections: list[PublicInspection]


def public_penalties(
    session: Session, *, year: int | None = None, today: dt.date | None = None
) -> list[PublicPenalty]:
    """Administrative penalties once decided (decision date set and reached), newest first."""
    day = today or today_cst()
    query = (
        sa.select(LedgerAction, LedgerProblem, Enterprise.credit_code)
        .join(LedgerProblem, LedgerProblem.id == LedgerAction.problem_id)
        .outerjoin(Enterprise, Enterprise.id == LedgerProblem.enterprise_id)
        .where(LedgerAction.kind == ActionKind.PENALTY.value, LedgerAction.decided_on.is_not(None))
        .where(LedgerAction.decided_on <= day)
        .order_by(LedgerAction.decided_on.desc(), LedgerAction.id.desc())
    )
    if year is not None:
        query = query.where(
            LedgerAction.decided_on >= dt.date(year, 1, 1), LedgerAction.decided_on <= dt.date(year, 12, 31)
        )
    penalties = []
    for action, problem, credit_code in session.execute(query):
        category = next(
            (label for m, label in CATEGORY_ZH.items() if m.value == problem.category), problem.category
        )
        assert action.decided_on is not None
        penalties.append(
            PublicPenalty(
                decision_no=action.decision_no,
                decided_on=action.decided_on,
                enterprise_name=problem.enterprise_name,
                credit_code=credit_code,
                category=category,
                fine_wan=action.fine_wan,
                summary=action.public_summary or f"{category}类环境违法行为",
            )
        )
    return penalties


def public_draws(session: Session) -> list[PublicDraw]:
    """Published random inspections with their drawn enterprises and recorded outcomes."""
    draws = list_draws(session, published_only=True)
    plan_ids = {d.plan_id for d in draws if d.plan_id is not None}
    titles: dict[int, str] = {
        plan_id: title
        for plan_id, title in session.execute(
            sa.select(InspectionPlan.id, InspectionPlan.title).where(InspectionPlan.id.in_(plan_ids))
        )
    }
    result = []
    for draw in draws:
        assert draw.published_at is not None
        snapshot: dict[str, Any] = json.loads(draw.pool_snapshot)
        result.append(
            PublicDraw(
                id=draw.id,
                title=draw.title,
                plan_title=titles.get(draw.plan_id) if draw.plan_id is not None else None,
                drawn_on=draw.drawn_on,
                published_at=draw.published_at,
                algorithm=draw.algorithm,
                seed=draw.seed,
                result_hash=draw.result_hash,
                pool_size=sum(1 for e in snapshot["enterprises"] if not e["exempt"]),
                inspections=[
                    PublicInspection(
                        rank=s.rank,
                        enterprise_name=s.enterprise_name,
                        inspected_on=s.inspected_on,
                        outcome=s.outcome,
                        problems_found=s.problems_found,
                    )
                    for s in draw.selections
                ],
            )
        )
    return result
