"""JSON API of the enterprise evaluation (/api/evaluation): public published list, staff details, history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.evaluation import disclosure, service
from ecosentinel.evaluation.schemas import EvaluationRead, PublicEvaluation
from ecosentinel.store.base import MeasurementStore
from ecosentinel.web.deps import client_ip, get_db, public, require, store_of
from ecosentinel.web.paging import Page, page_of

evaluation_api = APIRouter(prefix="/api/evaluation", tags=["evaluation 环保脸谱"])

Db = Annotated[Session, Depends(get_db, scope="function")]
Store = Annotated[MeasurementStore, Depends(store_of)]
Reader = Annotated[Principal, Depends(require(Perm.EVALUATION_READ))]
# Computing and publishing assessments (O&M ratings and enterprise evaluations) is the om.rate permission.
Rater = Annotated[Principal, Depends(require(Perm.OM_RATE))]


@evaluation_api.get("/public", dependencies=[Depends(public)])
def public_evaluations(db: Db, period: str | None = None) -> list[PublicEvaluation]:
    """Published evaluations (环保脸谱公开), the latest published period by default; no login."""
    return [service.public_read(r) for r in service.published(db, period)]


@evaluation_api.get("")
def list_evaluations(db: Db, principal: Reader, period: str | None = None) -> list[EvaluationRead]:
    """Evaluations with their inputs; an enterprise sees only its own."""
    return [service.evaluation_read(r) for r in service.list_evaluations(db, principal, period_name=period)]


@evaluation_api.get("/enterprises/{enterprise_id}")
def enterprise_history(enterprise_id: int, db: Db, principal: Reader) -> list[EvaluationRead]:
    """One enterprise's evaluation history (every stored period)."""
    return [service.evaluation_read(r) for r in service.history(db, principal, enterprise_id)]


@evaluation_api.post("/{period}/compute")
def compute(period: str, request: Request, db: Db, store: Store, principal: Rater) -> list[EvaluationRead]:
    """Compute every enterprise's evaluation for a period (2026Q3 or 2026-09); unpublished until published."""
    rows = service.evaluate_period(db, store, period, principal=principal, ip=client_ip(request))
    return [service.evaluation_read(r) for r in rows]


@evaluation_api.post("/{period}/publish")
def publish(period: str, request: Request, db: Db, principal: Rater) -> list[EvaluationRead]:
    """Publish a computed period."""
    return [
        service.evaluation_read(r)
        for r in service.publish_period(db, period, principal=principal, ip=client_ip(request))
    ]


public_api = APIRouter(prefix="/api/public", tags=["public disclosure"])


@public_api.get(
    "/evaluations", response_model=Page[disclosure.DisclosedEvaluation], dependencies=[Depends(public)]
)
def disclosed_evaluations(db: Db) -> Page[disclosure.DisclosedEvaluation]:
    """Published enterprise evaluations (环保脸谱), newest per enterprise."""
    return page_of(disclosure.public_evaluations(db))


router = APIRouter()
router.include_router(evaluation_api)
router.include_router(public_api)
