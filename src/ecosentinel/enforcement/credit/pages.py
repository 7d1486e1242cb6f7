"""Web pages of joint punishment: the public list (/public/credit, no login) and the staff page (/credit):
records with their status, creation from a decided penalty, withdrawal after rectification, export links."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.credit import messages as msg
from ecosentinel.enforcement.credit import service
from ecosentinel.enforcement.credit.api import public_row
from ecosentinel.enforcement.models import Case, Penalty
from ecosentinel.errors import ValidationError
from ecosentinel.registry.models import OMAgency
from ecosentinel.web.deps import client_ip, get_db, optional_principal, public, require
from ecosentinel.web.ui import page, redirect, register_nav, register_public_link

router = APIRouter(include_in_schema=False)

Db = Annotated[Session, Depends(get_db, scope="function")]
Manager = Annotated[Principal, Depends(require(Perm.CREDIT_MANAGE))]

register_nav(msg.NAV_CREDIT, "/credit", Perm.CREDIT_MANAGE, order=330)
register_public_link(msg.PUBLIC_TITLE, "/public/credit", msg.PUBLIC_DESCRIPTION, order=25)


@router.get("/public/credit", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_page(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)], db: Db
) -> HTMLResponse:
    """Records in their publicity period (no login); withdrawn and expired records are not shown."""
    rows = [public_row(r) for r in service.public_records(db)]
    return page(request, "enforcement/credit_public.html", principal, title=msg.PUBLIC_TITLE, rows=rows)


@router.get("/credit", response_class=HTMLResponse)
def staff_page(request: Request, principal: Manager, db: Db) -> HTMLResponse:
    today = service.today_cst()
    records = service.list_records(db)
    penalties = db.execute(
        sa.select(Penalty, Case.number, Case.title)
        .join(Case, Case.id == Penalty.case_id)
        .where(Penalty.decision_no.is_not(None), Penalty.decided_at.is_not(None))
        .order_by(Penalty.id.desc())
    ).all()
    return page(
        request,
        "enforcement/credit_staff.html",
        principal,
        title="联合惩戒失信记录",
        records=[(r, service.status_of(r, today).value) for r in records],
        status_names=msg.STATUS_ZH,
        kind_names=msg.SUBJECT_KIND_ZH,
        severity_names=msg.SEVERITY_ZH,
        penalties=penalties,
        agencies=list(db.scalars(sa.select(OMAgency).order_by(OMAgency.name))),
        authority_default=msg.AUTHORITY_DEFAULT,
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("/credit/records")
async def create_from_form(request: Request, principal: Manager, db: Db) -> Response:
    form = await request.form()
    persons = []
    for name, number, employer in zip(
        form.getlist("person_name"), form.getlist("person_id"), form.getlist("person_employer"), strict=False
    ):
        if isinstance(name, str) and name.strip():
            persons.append(service.PersonInput(name, str(number), str(employer) or None))
    try:
        created = service.create_records(
            db,
            principal,
            int(_text(form, "penalty_id") or 0),
            facts=_text(form, "facts"),
            authority=_text(form, "authority"),
            authority_code=_text(form, "authority_code"),
            include_enterprise=_text(form, "include_enterprise") == "1",
            agency_ids=[int(v) for v in form.getlist("agency_ids") if isinstance(v, str) and v.isdigit()],
            persons=persons,
            severity=_text(form, "severity") or None,
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return redirect("/credit", flash=str(exc), level="error")
    db.commit()
    return redirect("/credit", flash="已生成失信记录 " + "、".join(r.number for r in created))


@router.post("/credit/records/{record_id}/withdraw")
async def withdraw_from_form(request: Request, record_id: int, principal: Manager, db: Db) -> Response:
    form = await request.form()
    try:
        rec = service.withdraw_record(
            db, principal, record_id, reason=_text(form, "reason"), ip=client_ip(request)
        )
    except ValidationError as exc:
        db.rollback()
        return redirect("/credit", flash=str(exc), level="error")
    db.commit()
    return redirect("/credit", flash=f"失信记录 {rec.number} 已撤下")
