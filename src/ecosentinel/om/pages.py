"""Web UI pages of O&M supervision and the enterprise evaluation, on the shared layout of ``web.ui``.

Staff pages: maintenance records (with the filing form), quarterly assessments, enterprise evaluations.
Public pages (no login): the published O&M ranking and the published enterprise evaluations (环保脸谱).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.scope import visible_point_ids
from ecosentinel.auth.service import Principal
from ecosentinel.errors import EcoSentinelError
from ecosentinel.evaluation import messages as evaluation_messages
from ecosentinel.evaluation import service as evaluation_service
from ecosentinel.om import messages, service
from ecosentinel.om.enums import RecordKind
from ecosentinel.om.schemas import RecordIn
from ecosentinel.readings import CST
from ecosentinel.registry.models import Point
from ecosentinel.web.deps import client_ip, get_db, optional_principal, public, require
from ecosentinel.web.ui import page, redirect, register_nav, register_public_link

router = APIRouter(include_in_schema=False)

register_nav("运维记录", "/om", Perm.OM_READ, order=70)
register_nav("运维考核", "/om/assessments", Perm.OM_READ, order=71)
register_nav("环保脸谱", "/evaluation", Perm.EVALUATION_READ, order=72)
register_public_link("运维单位考核排名", "/public/om-ranking", "自动监控运维单位季度考核与信用等级", order=30)
register_public_link(
    "企业环保脸谱", "/public/evaluation", "排污单位自动监控安装、联网、运行与数据质量评价", order=31
)

Db = Annotated[Session, Depends(get_db, scope="function")]


def _cst_input(value: str, field: str) -> dt.datetime:
    """A ``datetime-local`` form value, read as China Standard Time."""
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=CST)
    except ValueError as exc:
        raise EcoSentinelError(f"{field}：时间格式不正确") from exc


@router.get("/om", response_class=HTMLResponse)
def records_page(
    request: Request, principal: Annotated[Principal, Depends(require(Perm.OM_READ))], db: Db
) -> HTMLResponse:
    """Maintenance records the caller may see, and the filing form for those who may file."""
    visible = visible_point_ids(db, principal)
    points = sa.select(Point).order_by(Point.mn)
    if visible is not None:
        points = points.where(Point.id.in_(visible or {-1}))
    return page(
        request,
        "om/records.html",
        principal,
        title="运维记录",
        records=[service.record_read(r) for r in service.list_records(db, principal, limit=200)],
        faults=[service.fault_read(f) for f in service.list_faults(db, principal)][:50],
        points=list(db.scalars(points)) if principal.can(Perm.OM_WRITE) else [],
        can_write=principal.can(Perm.OM_WRITE),
        kinds=messages.RECORD_KIND_ZH,
    )


@router.post("/om/records")
def file_record(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.OM_WRITE))],
    db: Db,
    mn: Annotated[str, Form(max_length=24)],
    kind: Annotated[RecordKind, Form()],
    started_at: Annotated[str, Form(max_length=32)],
    ended_at: Annotated[str, Form(max_length=32)],
    staff_name: Annotated[str, Form(max_length=100)],
    description: Annotated[str, Form(max_length=4000)] = "",
    part_name: Annotated[str, Form(max_length=200)] = "",
    factor_code: Annotated[str, Form(max_length=16)] = "",
    standard_value: Annotated[str, Form(max_length=32)] = "",
    measured_value: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    """File a maintenance record from the form; errors come back as a message on the page."""
    try:
        body = RecordIn(
            mn=mn,
            kind=kind,
            started_at=_cst_input(started_at, "开始时间"),
            ended_at=_cst_input(ended_at, "结束时间"),
            staff_name=staff_name or None,
            description=description,
            part_name=part_name or None,
            factor_code=factor_code or None,
            standard_value=float(standard_value) if standard_value else None,
            measured_value=float(measured_value) if measured_value else None,
        )
        with db.begin_nested():
            record = service.create_record(db, principal, body, ip=client_ip(request))
    except (EcoSentinelError, ValueError) as exc:
        return redirect("/om", flash=str(exc), level="error")
    return redirect("/om", flash=f"已提交运维记录 {record.id}")


@router.get("/om/assessments", response_class=HTMLResponse)
def assessments_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.OM_READ))],
    db: Db,
    quarter: str | None = None,
) -> HTMLResponse:
    """Quarterly assessments with every input (an agency sees only its own)."""
    try:
        rows = service.list_assessments(db, principal, quarter=quarter or None)
    except EcoSentinelError as exc:
        return page(
            request,
            "om/assessments.html",
            principal,
            title="运维考核",
            rows=[],
            quarter=quarter,
            grades=messages.GRADE_ZH,
            flash=[{"level": "error", "text": str(exc)}],
        )
    return page(
        request,
        "om/assessments.html",
        principal,
        title="运维考核",
        rows=[service.assessment_read(r) for r in rows],
        quarter=quarter or "",
        grades=messages.GRADE_ZH,
    )


@router.get("/evaluation", response_class=HTMLResponse)
def evaluations_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.EVALUATION_READ))],
    db: Db,
    period: str | None = None,
) -> HTMLResponse:
    """Enterprise evaluations with their inputs (an enterprise sees only its own history)."""
    try:
        rows = evaluation_service.list_evaluations(db, principal, period_name=period or None)
    except EcoSentinelError as exc:
        rows = []
        flash = [{"level": "error", "text": str(exc)}]
    else:
        flash = []
    return page(
        request,
        "evaluation/staff.html",
        principal,
        title="环保脸谱（企业评价）",
        rows=[evaluation_service.evaluation_read(r) for r in rows],
        period=period or "",
        grades=evaluation_messages.GRADE_ZH,
        colours=evaluation_messages.COLOUR_ZH,
        flash=flash,
    )


@router.get("/public/om-ranking", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_ranking_page(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)], db: Db
) -> HTMLResponse:
    """The published ranking of O&M agencies (no login)."""
    return page(
        request,
        "om/public_ranking.html",
        principal,
        title="运维单位考核排名",
        ranking=service.published_ranking(db),
        grades=messages.GRADE_ZH,
    )


@router.get("/public/evaluation", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_evaluation_page(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)], db: Db
) -> HTMLResponse:
    """The published enterprise evaluations (环保脸谱, no login)."""
    rows = [evaluation_service.public_read(r) for r in evaluation_service.published(db)]
    return page(
        request,
        "evaluation/public.html",
        principal,
        title="企业环保脸谱",
        rows=rows,
        grades=evaluation_messages.GRADE_ZH,
        colours=evaluation_messages.COLOUR_ZH,
    )
