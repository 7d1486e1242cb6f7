"""Web UI pages of learning from outcomes: rule reliability per rule and per point (with the suggested
adjustments), and the rule adjustments with their propose / approve / reject / revoke forms.

Same services and permissions as ``outcomes_api``; forms post back and redirect with a one-time message.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.detection.catalogue import RULES
from ecosentinel.detection.messages import rule_param_name
from ecosentinel.enforcement import messages as msg
from ecosentinel.enforcement import outcomes as outcome_service
from ecosentinel.enforcement.pages import _apply, _back, _text
from ecosentinel.errors import ValidationError
from ecosentinel.registry.models import Point
from ecosentinel.registry.scope import visible_point_ids
from ecosentinel.screening import adjustments as adjustment_service
from ecosentinel.screening import messages as screening_messages
from ecosentinel.screening.service import rule_title
from ecosentinel.web.deps import client_ip, get_db, require
from ecosentinel.web.ui import page, register_nav

router = APIRouter(include_in_schema=False)

Db = Annotated[Session, Depends(get_db, scope="function")]
Reader = Annotated[Principal, Depends(require(Perm.WARNINGS_READ))]
Triager = Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))]
Approver = Annotated[Principal, Depends(require(Perm.ADJUSTMENTS_APPROVE))]

register_nav(msg.NAV_RELIABILITY, "/enforcement/reliability", Perm.WARNINGS_READ, order=302)
register_nav(msg.NAV_ADJUSTMENTS, "/enforcement/adjustments", Perm.WARNINGS_READ, order=304)


def _points(db: Session, principal: Principal) -> list[Point]:
    query = sa.select(Point)
    ids = visible_point_ids(db, principal)
    if ids is not None:
        query = query.where(Point.id.in_(ids))
    return list(db.scalars(query.order_by(Point.mn)))


def _ctx(db: Session, principal: Principal) -> dict[str, Any]:
    points = _points(db, principal)
    return {
        "point_names": {p.mn: p.name for p in points},
        "points": points,
        "rule_title": rule_title,
        "short": lambda code: code.split("_", 1)[0],
        "can_propose": principal.can(Perm.WARNINGS_TRIAGE),
        "can_approve": principal.can(Perm.ADJUSTMENTS_APPROVE),
        "kind_names": screening_messages.ADJUSTMENT_KIND_NAMES,
        "status_names": screening_messages.ADJUSTMENT_STATUS_NAMES,
        "rules": [(cls.code, cls.title_zh) for cls in RULES],
        "rule_params": [
            (
                cls.code,
                cls.title_zh,
                [
                    (key, rule_param_name(key), _default_text(field.default))
                    for key, field in cls.params_model.model_fields.items()
                    if key != "enabled"  # switching a rule off is not an adjustment
                ],
            )
            for cls in RULES
        ],
    }


def _default_text(value: Any) -> str | Markup:
    """A parameter's default as typed in the JSON field: numbers as they are, anything else (lists of codes,
    true / false) as a JSON example."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:.10f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    text = json.dumps(list(value) if isinstance(value, tuple) else value, ensure_ascii=False)
    return Markup('<code class="input-example">{}</code>').format(text)


@router.get("/enforcement/reliability", response_class=HTMLResponse)
def reliability_page(
    request: Request, db: Db, principal: Reader, mn: str | None = None, rule: str | None = None
) -> Response:
    """Each rule's reliability from its warnings' outcomes: overall and per point, least reliable first."""
    table = outcome_service.rule_reliability(
        db, principal, mns=[mn] if mn else None, rules=[rule] if rule else None
    )
    unfiltered = table if not mn and not rule else outcome_service.rule_reliability(db, principal)
    suggestions = outcome_service.suggest_adjustments(db, principal, table=unfiltered)
    return page(
        request,
        "enforcement/reliability.html",
        principal,
        title=msg.TITLE_RELIABILITY,
        by_rule=table.rows_by_rule(),
        by_point=table.rows_by_point(),
        suggestions=[s for s in suggestions if not mn or s.mn == mn],
        filters={"mn": mn or "", "rule": rule or ""},
        min_n=outcome_service.SUGGEST_MIN_N,
        max_reliability=outcome_service.SUGGEST_MAX_RELIABILITY,
        **_ctx(db, principal),
    )


@router.get("/enforcement/adjustments", response_class=HTMLResponse)
def adjustments_page(
    request: Request,
    db: Db,
    principal: Reader,
    status: str | None = None,
    mn: str | None = None,
    rule: str | None = None,
    kind: str | None = None,
) -> Response:
    """Rule adjustments: open proposals first with the approve / reject forms, then the reviewed ones."""
    rows = adjustment_service.list_adjustments(db, principal, status=status or None, mn=mn or None)
    return page(
        request,
        "enforcement/adjustments.html",
        principal,
        title=msg.TITLE_ADJUSTMENTS,
        adjustments=rows,
        filters={"status": status or "", "mn": mn or "", "rule": rule or "", "kind": kind or ""},
        **_ctx(db, principal),
    )


def _params(form: FormData) -> dict[str, Any]:
    text = _text(form, "params")
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(msg.BAD_JSON_PARAMS.format(error=exc.msg), location="params") from exc
    if not isinstance(value, dict):
        raise ValidationError(screening_messages.ADJUSTMENT_PARAMS_NOT_OBJECT, location="params")
    return value


@router.post("/enforcement/adjustments")
async def adjustment_propose(request: Request, db: Db, principal: Triager) -> Response:
    form = await request.form()
    return _apply(
        request,
        db,
        lambda: outcome_service.propose_adjustment(
            db,
            principal,
            mn=_text(form, "mn") or "",
            rule=_text(form, "rule") or "",
            kind=_text(form, "kind") or "",
            params=_params(form),
            reason=_text(form, "reason") or "",
            ip=client_ip(request),
        ),
        back=_back(form, "/enforcement/adjustments"),
        ok=lambda adj: msg.FLASH_ADJUSTMENT_PROPOSED.format(id=adj.id),
    )


def _reviewed(adj: adjustment_service.RuleAdjustment) -> str:
    return msg.FLASH_ADJUSTMENT_REVIEWED.format(
        id=adj.id, status=screening_messages.ADJUSTMENT_STATUS_NAMES.get(adj.status, adj.status)
    )


@router.post("/enforcement/adjustments/{adjustment_id}/approve")
async def adjustment_approve(request: Request, adjustment_id: int, db: Db, principal: Approver) -> Response:
    form = await request.form()
    return _apply(
        request,
        db,
        lambda: adjustment_service.approve(
            db, principal, adjustment_id, note=_text(form, "note"), ip=client_ip(request)
        ),
        back=_back(form, "/enforcement/adjustments"),
        ok=_reviewed,
    )


@router.post("/enforcement/adjustments/{adjustment_id}/reject")
async def adjustment_reject(request: Request, adjustment_id: int, db: Db, principal: Approver) -> Response:
    form = await request.form()
    return _apply(
        request,
        db,
        lambda: adjustment_service.reject(
            db, principal, adjustment_id, note=_text(form, "note"), ip=client_ip(request)
        ),
        back=_back(form, "/enforcement/adjustments"),
        ok=_reviewed,
    )


@router.post("/enforcement/adjustments/{adjustment_id}/revoke")
async def adjustment_revoke(request: Request, adjustment_id: int, db: Db, principal: Approver) -> Response:
    form = await request.form()
    return _apply(
        request,
        db,
        lambda: adjustment_service.revoke(
            db, principal, adjustment_id, note=_text(form, "note"), ip=client_ip(request)
        ),
        back=_back(form, "/enforcement/adjustments"),
        ok=_reviewed,
    )
