"""Web UI pages of O&M supervision on the shared layout of ``web.ui``: maintenance records with the filing
form (the assessment and evaluation pages are in ``evaluation.pages``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.detection.messages import FACTOR_NAMES
from ecosentinel.errors import EcoSentinelError
from ecosentinel.om import messages, service
from ecosentinel.om.enums import RecordKind
from ecosentinel.om.schemas import RecordIn
from ecosentinel.readings import CST
from ecosentinel.registry.models import Point
from ecosentinel.registry.scope import visible_point_ids
from ecosentinel.web.deps import client_ip, get_db, require
from ecosentinel.web.ui import error_redirect, page, redirect, register_nav

router = APIRouter(include_in_schema=False)

register_nav("运维记录", "/om", Perm.OM_READ, order=70)

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
        factor_names=FACTOR_NAMES,
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
        return error_redirect("/om", exc, request)
    return redirect("/om", flash=f"已提交运维记录 {record.id}")
