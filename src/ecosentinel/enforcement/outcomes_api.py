"""JSON API of learning from outcomes (prefix ``/api/enforcement``): a warning's inspection outcome, rule
reliability per point, and the reviewed rule adjustments (proposals, suggestions, approval).

Every route declares its permission; scoping (an enterprise or O&M agency sees only its own points) is
applied by the services through ``registry.scope``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import outcomes as outcome_service
from ecosentinel.enforcement.api import OutcomeOut, outcome_out
from ecosentinel.enforcement.models import as_utc
from ecosentinel.registry.scope import visible_mns
from ecosentinel.screening import adjustments as adjustment_service
from ecosentinel.screening import messages as screening_messages
from ecosentinel.screening.adjustments import Basis, RuleAdjustment
from ecosentinel.screening.service import rule_title
from ecosentinel.web.deps import client_ip, get_db, require

router = APIRouter(prefix="/api/enforcement", tags=["enforcement"])

Db = Annotated[Session, Depends(get_db, scope="function")]
Reader = Annotated[Principal, Depends(require(Perm.WARNINGS_READ))]
Triager = Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))]
Inspector = Annotated[Principal, Depends(require(Perm.INSPECTIONS_WRITE))]
Approver = Annotated[Principal, Depends(require(Perm.ADJUSTMENTS_APPROVE))]


class OutcomeIn(BaseModel):
    result: str = Field(description="confirmed (查实) | refuted (未查实)")
    reason: str = Field("", description="What the inspection found (required)")
    category: str | None = Field(None, description="Refuted only: why the data looked suspicious (optional)")
    inspection_id: int | None = Field(
        None, description="The inspection it rests on (default: the latest submitted one of its tasks)"
    )


class BasisOut(BaseModel):
    confirmed: int
    not_confirmed: int
    excluded: int
    n: int
    reliability: float


def basis_out(b: Basis) -> BasisOut:
    return BasisOut(
        confirmed=b.confirmed,
        not_confirmed=b.not_confirmed,
        excluded=b.excluded,
        n=b.n,
        reliability=round(b.reliability, 4),
    )


class ReliabilityRowOut(BaseModel):
    rule: str
    title_zh: str
    mn: str | None
    counts: BasisOut
    text_zh: str


class ReliabilityOut(BaseModel):
    prior: str = "Beta(1,1): reliability = (confirmed + 1) / (n + 2)"
    by_rule: list[ReliabilityRowOut]
    by_point: list[ReliabilityRowOut]


def _row(r: outcome_service.ReliabilityRow) -> ReliabilityRowOut:
    return ReliabilityRowOut(
        rule=r.rule, title_zh=r.title_zh, mn=r.mn, counts=basis_out(r.basis), text_zh=r.text_zh
    )


class SuggestionOut(BaseModel):
    mn: str
    rule: str
    title_zh: str
    kind: str
    counts: BasisOut


class AdjustmentIn(BaseModel):
    mn: str
    rule: str = Field(description="Full rule code or short number (R05)")
    kind: str = Field(description="cap_yellow | raise_threshold")
    params: dict[str, Any] = Field(default_factory=dict, description="raise_threshold: parameter → new value")
    reason: str = ""


class ReviewIn(BaseModel):
    note: str = ""


class AdjustmentOut(BaseModel):
    id: int
    mn: str
    rule: str
    title_zh: str
    kind: str
    kind_zh: str
    params: dict[str, Any]
    reason: str
    basis: BasisOut
    status: str
    status_zh: str
    proposed_by: str
    proposed_at: dt.datetime
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_note: str | None
    ended_by: str | None
    ended_at: dt.datetime | None
    end_note: str | None


def adjustment_out(a: RuleAdjustment) -> AdjustmentOut:
    return AdjustmentOut(
        id=a.id,
        mn=a.mn,
        rule=a.rule,
        title_zh=rule_title(a.rule),
        kind=a.kind,
        kind_zh=screening_messages.ADJUSTMENT_KIND_NAMES.get(a.kind, a.kind),
        params=a.params_dict,
        reason=a.reason,
        basis=basis_out(
            Basis(confirmed=a.basis_confirmed, not_confirmed=a.basis_not_confirmed, excluded=a.basis_excluded)
        ),
        status=a.status,
        status_zh=screening_messages.ADJUSTMENT_STATUS_NAMES.get(a.status, a.status),
        proposed_by=a.proposed_by,
        proposed_at=as_utc(a.proposed_at),
        reviewed_by=a.reviewed_by,
        reviewed_at=as_utc(a.reviewed_at) if a.reviewed_at else None,
        review_note=a.review_note,
        ended_by=a.ended_by,
        ended_at=as_utc(a.ended_at) if a.ended_at else None,
        end_note=a.end_note,
    )


class ApprovedOut(BaseModel):
    mn: str
    rule: str
    cap_yellow: bool
    params: dict[str, Any]
    adjustment_ids: list[int]


@router.post("/warnings/{warning_id}/outcome")
def record_outcome(
    warning_id: int, body: OutcomeIn, request: Request, db: Db, principal: Inspector
) -> OutcomeOut | None:
    """Record (or correct) the on-site result of an escalated warning: confirmed (查实) / refuted (未查实)."""
    outcome = outcome_service.record_inspection_outcome(
        db,
        principal,
        warning_id,
        result=body.result,
        reason=body.reason,
        category=body.category,
        inspection_id=body.inspection_id,
        ip=client_ip(request),
    )
    return outcome_out(outcome)


@router.get("/reliability")
def reliability(db: Db, principal: Reader, mn: str | None = None, rule: str | None = None) -> ReliabilityOut:
    """Each rule's outcome counts and reliability, per point and overall (over the points the caller sees)."""
    table = outcome_service.rule_reliability(
        db, principal, mns=[mn] if mn else None, rules=[rule] if rule else None
    )
    return ReliabilityOut(
        by_rule=[_row(r) for r in table.rows_by_rule()],
        by_point=[_row(r) for r in table.rows_by_point()],
    )


@router.get("/adjustments")
def list_adjustments(
    db: Db,
    principal: Reader,
    status: str | None = None,
    mn: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AdjustmentOut]:
    """Rule adjustments (proposals first), scoped to the caller's points."""
    rows = adjustment_service.list_adjustments(db, principal, status=status, mn=mn, limit=limit)
    return [adjustment_out(a) for a in rows]


@router.get("/adjustments/suggestions")
def adjustment_suggestions(db: Db, principal: Reader) -> list[SuggestionOut]:
    """Rule/point pairs whose outcomes speak against the rule (n ≥ 5, reliability ≤ 0.2): candidates to
    propose, never applied by themselves."""
    return [
        SuggestionOut(mn=s.mn, rule=s.rule, title_zh=s.title_zh, kind=s.kind, counts=basis_out(s.basis))
        for s in outcome_service.suggest_adjustments(db, principal)
    ]


@router.get("/adjustments/approved")
def approved_adjustments(db: Db, principal: Reader, mn: str | None = None) -> list[ApprovedOut]:
    """What screening would load as context: the approved adjustments per point and rule."""
    visible = visible_mns(db, principal)
    wanted: set[str] | None = {mn} if mn else None
    if visible is not None:
        wanted = visible if wanted is None else wanted & visible
    loaded = adjustment_service.approved_adjustments(db, wanted)
    return [
        ApprovedOut(
            mn=a.mn,
            rule=a.rule,
            cap_yellow=a.cap_yellow,
            params=dict(a.params),
            adjustment_ids=list(a.adjustment_ids),
        )
        for per_rule in loaded.values()
        for a in per_rule.values()
    ]


@router.post("/adjustments", status_code=201)
def propose_adjustment(body: AdjustmentIn, request: Request, db: Db, principal: Triager) -> AdjustmentOut:
    """Propose an adjustment of a rule at a point; the basis is the current outcome counts."""
    adj = outcome_service.propose_adjustment(
        db,
        principal,
        mn=body.mn,
        rule=body.rule,
        kind=body.kind,
        params=body.params,
        reason=body.reason,
        ip=client_ip(request),
    )
    return adjustment_out(adj)


@router.get("/adjustments/{adjustment_id}")
def get_adjustment(adjustment_id: int, db: Db, principal: Reader) -> AdjustmentOut:
    return adjustment_out(adjustment_service.get_adjustment(db, principal, adjustment_id))


@router.post("/adjustments/{adjustment_id}/approve")
def approve_adjustment(
    adjustment_id: int, body: ReviewIn, request: Request, db: Db, principal: Approver
) -> AdjustmentOut:
    """Approve a proposal (someone else's; a note is required); screening may then load it as context."""
    return adjustment_out(
        adjustment_service.approve(db, principal, adjustment_id, note=body.note, ip=client_ip(request))
    )


@router.post("/adjustments/{adjustment_id}/reject")
def reject_adjustment(
    adjustment_id: int, body: ReviewIn, request: Request, db: Db, principal: Approver
) -> AdjustmentOut:
    return adjustment_out(
        adjustment_service.reject(db, principal, adjustment_id, note=body.note, ip=client_ip(request))
    )


@router.post("/adjustments/{adjustment_id}/revoke")
def revoke_adjustment(
    adjustment_id: int, body: ReviewIn, request: Request, db: Db, principal: Approver
) -> AdjustmentOut:
    """Withdraw an approved adjustment (a note is required)."""
    return adjustment_out(
        adjustment_service.revoke(db, principal, adjustment_id, note=body.note, ip=client_ip(request))
    )
