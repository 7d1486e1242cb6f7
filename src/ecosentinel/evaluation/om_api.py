"""JSON API of the O&M quarterly assessment (/api/om/assessments, /api/om/ranking).

Every route depends on ``public`` or ``require(...)``; scoping (an agency only its points, an enterprise only
its own) is applied by the services.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.evaluation import om_assessment as service
from ecosentinel.om.schemas import (
    AssessmentRead,
    Ranking,
)
from ecosentinel.store.base import MeasurementStore
from ecosentinel.web.deps import client_ip, get_db, public, require, store_of

router = APIRouter(prefix="/api/om", tags=["om 运维监管"])

Db = Annotated[Session, Depends(get_db, scope="function")]
Reader = Annotated[Principal, Depends(require(Perm.OM_READ))]
Rater = Annotated[Principal, Depends(require(Perm.OM_RATE))]
Store = Annotated[MeasurementStore, Depends(store_of)]


@router.post("/assessments/{quarter}/compute")
def compute_assessments(
    quarter: str, request: Request, db: Db, store: Store, principal: Rater
) -> list[AssessmentRead]:
    """Compute the quarter's assessment and credit grade of every agency (unpublishes the quarter)."""
    rows = service.rate_quarter(db, store, quarter, principal=principal, ip=client_ip(request))
    return [service.assessment_read(r) for r in rows]


@router.post("/assessments/{quarter}/publish")
def publish_assessments(quarter: str, request: Request, db: Db, principal: Rater) -> list[AssessmentRead]:
    """Publish the quarter's ranking (向社会公开)."""
    rows = service.publish_quarter(db, quarter, principal=principal, ip=client_ip(request))
    return [service.assessment_read(r) for r in sorted(rows, key=lambda r: r.rank or 0)]


@router.get("/assessments")
def list_assessments(db: Db, principal: Reader, quarter: str | None = None) -> list[AssessmentRead]:
    """Assessments with every input; an agency sees only its own."""
    return [service.assessment_read(r) for r in service.list_assessments(db, principal, quarter=quarter)]


@router.get("/ranking", dependencies=[Depends(public)])
def ranking(db: Db, quarter: str | None = None) -> Ranking:
    """The published ranking of O&M agencies (公开排名); the latest published quarter by default."""
    return service.published_ranking(db, quarter)
