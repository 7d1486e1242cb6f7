"""JSON API of joint punishment: the public list (/api/public/credit-records, no login) and staff records,
creation from a penalty, withdrawal and export (/api/credit, ``credit.manage``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.credit import messages as msg
from ecosentinel.enforcement.credit import service
from ecosentinel.enforcement.credit.models import CreditRecord
from ecosentinel.web.deps import client_ip, get_db, public, require
from ecosentinel.web.paging import Page, page_of

Db = Annotated[Session, Depends(get_db, scope="function")]
Manager = Annotated[Principal, Depends(require(Perm.CREDIT_MANAGE))]


class PublicCreditRecord(BaseModel):
    """What the public pages show: the person's ID number masked, nothing about withdrawal."""

    number: str
    subject_category: str
    subject_role: str
    subject_name: str
    credit_code: str | None
    id_number_masked: str | None
    decision_no: str
    decided_on: dt.date
    offence: str
    facts: str
    legal_basis: str
    content: str
    authority: str
    publicity_end: dt.date


def public_row(rec: CreditRecord) -> PublicCreditRecord:
    person = rec.subject_kind == service.SubjectKind.PERSON.value
    return PublicCreditRecord(
        number=rec.number,
        subject_category=msg.SUBJECT_CATEGORY_ZH[rec.subject_kind],
        subject_role=msg.SUBJECT_KIND_ZH[rec.subject_kind],
        subject_name=rec.subject_name,
        credit_code=None if person else rec.identifier,
        id_number_masked=service.mask_id(rec.identifier) if person else None,
        decision_no=rec.decision_no,
        decided_on=rec.decided_on,
        offence=rec.offence,
        facts=rec.facts,
        legal_basis=rec.legal_basis,
        content=rec.content,
        authority=rec.authority,
        publicity_end=rec.publicity_end,
    )


class PersonIn(BaseModel):
    name: str
    id_number: str
    employer_name: str | None = None
    agency_id: int | None = None


class CreateIn(BaseModel):
    penalty_id: int
    facts: str = ""
    authority: str
    authority_code: str
    include_enterprise: bool = True
    agency_ids: list[int] = Field(default_factory=list)
    persons: list[PersonIn] = Field(default_factory=list)
    offence: str = msg.OFFENCE_DEFAULT
    penalty_kind: str = "罚款"
    content: str | None = None
    severity: str | None = None


class WithdrawIn(BaseModel):
    reason: str


public_api = APIRouter(prefix="/api/public", tags=["public disclosure"])


@public_api.get("/credit-records", dependencies=[Depends(public)])
def public_credit_records(db: Db) -> Page[PublicCreditRecord]:
    """Joint-punishment records in their publicity period (withdrawn and expired ones are not listed)."""
    return page_of([public_row(r) for r in service.public_records(db)])


api = APIRouter(prefix="/api/credit", tags=["joint punishment 联合惩戒"])


@api.get("/records")
def list_records(db: Db, principal: Manager, period: str | None = None) -> Page[dict[str, str]]:
    """Every record with every field and its status today (decided in ``period``: 2025, 2025-03, 2025Q1)."""
    today = service.today_cst()
    rows = [
        service.export_row(r, today) for r in service.list_records(db, period=service.parse_period(period))
    ]
    return page_of(rows)


@api.post("/records", status_code=201)
def create_records(body: CreateIn, request: Request, db: Db, principal: Manager) -> Page[dict[str, str]]:
    """Records for a decided penalty on falsification: the enterprise, agencies and responsible persons."""
    created = service.create_records(
        db,
        principal,
        body.penalty_id,
        facts=body.facts,
        authority=body.authority,
        authority_code=body.authority_code,
        include_enterprise=body.include_enterprise,
        agency_ids=body.agency_ids,
        persons=[
            service.PersonInput(p.name, p.id_number, p.employer_name, p.agency_id) for p in body.persons
        ],
        offence=body.offence,
        penalty_kind=body.penalty_kind,
        content=body.content,
        severity=body.severity,
        ip=client_ip(request),
    )
    today = service.today_cst()
    return page_of([service.export_row(r, today) for r in created])


@api.post("/records/{record_id}/withdraw")
def withdraw(
    record_id: int, body: WithdrawIn, request: Request, db: Db, principal: Manager
) -> dict[str, str]:
    """Withdraw after rectification, when the record's minimum publicity period is over."""
    rec = service.withdraw_record(db, principal, record_id, reason=body.reason, ip=client_ip(request))
    return service.export_row(rec, service.today_cst())


@api.get("/export")
def export(
    request: Request, db: Db, principal: Manager, format: str = "xlsx", period: str | None = None
) -> Response:
    """Excel, CSV or JSON for the national credit information sharing platform and the enterprise credit
    publicity system (every field, ID numbers in full); the export is audited."""
    period = period or None  # the credit page's export form sends an empty period for "everything"
    data = service.export(db, principal, fmt=format, period=period, ip=client_ip(request))
    name = f"credit-records-{period or 'all'}.{format}"
    return Response(
        data,
        media_type=service.EXPORT_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


router = APIRouter()
router.include_router(public_api)
router.include_router(api)
