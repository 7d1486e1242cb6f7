"""Audit trail search, chain verification, and the interference register (JSON API, /api/audit)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ecosentinel.audit import interference
from ecosentinel.audit.models import AuditEntry, InterferenceRecord
from ecosentinel.audit.search import AuditQuery, search
from ecosentinel.audit.service import verify
from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.web.deps import client_ip, get_db, require

router = APIRouter(prefix="/api/audit", tags=["audit 留痕"])


class AuditEntryOut(BaseModel):
    id: int
    at: dt.datetime
    username: str
    role: str
    ip: str | None
    action: str
    entity: str
    entity_id: str | None
    summary: str
    detail: str
    entry_hash: str


class AuditPage(BaseModel):
    total: int
    results: list[AuditEntryOut]


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad_id: int | None
    reason: str | None


class InterferenceIn(BaseModel):
    requester: str = Field(min_length=1, max_length=200, description="谁提出的要求（姓名、职务）")
    content: str = Field(min_length=1, max_length=5000, description="要求的内容")
    occurred_at: dt.datetime | None = None
    channel: str | None = Field(default=None, max_length=100)
    point_mn: str | None = Field(default=None, max_length=24)
    response: str | None = Field(default=None, max_length=5000)


class InterferenceOut(BaseModel):
    id: int
    recorded_at: dt.datetime
    recorded_by: str
    occurred_at: dt.datetime | None
    requester: str
    channel: str | None
    point_mn: str | None
    content: str
    response: str | None


class InterferencePage(BaseModel):
    total: int
    results: list[InterferenceOut]


def _entry(e: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(e, from_attributes=True)


def _interference(r: InterferenceRecord) -> InterferenceOut:
    return InterferenceOut.model_validate(r, from_attributes=True)


@router.get("/entries")
def audit_entries(
    principal: Annotated[Principal, Depends(require(Perm.AUDIT_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    username: str | None = None,
    entity: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    """Search the audit trail (who did what, when, from where), newest first."""
    total, rows = search(
        db, AuditQuery(username, entity, entity_id, action, start, end), limit=limit, offset=offset
    )
    return AuditPage(total=total, results=[_entry(e) for e in rows])


@router.get("/verify")
def audit_verify(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.AUDIT_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> VerifyOut:
    """Walk the keyed hash chain and check its anchors; the first entry that was changed, deleted around or
    inserted, or an anchored head that is gone."""
    result = verify(db, anchors=request.app.state.settings.audit_anchor_path)
    return VerifyOut(
        ok=result.ok, entries=result.entries, first_bad_id=result.first_bad_id, reason=result.reason
    )


@router.post("/interference", status_code=201)
def interference_create(
    body: InterferenceIn,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.INTERFERENCE_WRITE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> InterferenceOut:
    """Register a request to change monitoring results (干预留痕); it is also written to the audit trail."""
    entry = interference.register(db, principal, **body.model_dump(), ip=client_ip(request))
    return _interference(entry)


@router.get("/interference")
def interference_list(
    principal: Annotated[Principal, Depends(require(Perm.AUDIT_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> InterferencePage:
    """The interference register, newest first."""
    total, rows = interference.list_records(db, limit=limit, offset=offset)
    return InterferencePage(total=total, results=[_interference(r) for r in rows])
