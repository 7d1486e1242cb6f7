"""JSON API of public reporting: the public form and tracking (/api/public/reports, no login) and the
staff queue (/api/reports, ``complaints.*``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.api import DataDir
from ecosentinel.errors import ValidationError
from ecosentinel.reporting import messages as msg
from ecosentinel.reporting import service
from ecosentinel.reporting.schemas import (
    CloseIn,
    ContactRead,
    EnterpriseIn,
    Filed,
    LinkIn,
    MergeIn,
    PublicViewRead,
    ReplyIn,
    ReportRead,
    TaskIn,
)
from ecosentinel.web.deps import client_ip, get_db, public, require
from ecosentinel.web.paging import Page, page_of

Db = Annotated[Session, Depends(get_db, scope="function")]
Reader = Annotated[Principal, Depends(require(Perm.COMPLAINTS_READ))]
Triager = Annotated[Principal, Depends(require(Perm.COMPLAINTS_TRIAGE))]
IdentityReader = Annotated[Principal, Depends(require(Perm.COMPLAINTS_IDENTITY))]


def limits_of(request: Request) -> service.Limits:
    """The app's public limits (``app.state.report_limits`` when set, e.g. by tests), else the defaults."""
    limits = getattr(request.app.state, "report_limits", None)
    return limits if isinstance(limits, service.Limits) else service.DEFAULT_LIMITS


async def read_uploads(files: list[UploadFile], limits: service.Limits) -> list[service.Upload]:
    """The uploaded files, each read to at most one byte over the limit (the service refuses it then)."""
    out = []
    for upload in files:
        if not upload.filename and not upload.size:
            continue  # an empty file input of a browser form
        out.append(service.Upload(upload.filename or "", await upload.read(limits.max_file_bytes + 1)))
    return out


def parse_observed(value: str | None) -> dt.datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(msg.OBSERVED_BAD.format(value=text), location="observed_at") from exc


public_api = APIRouter(prefix="/api/public/reports", tags=["public reporting 举报"])


@public_api.post("", status_code=201, dependencies=[Depends(public)])
async def file_report(
    request: Request,
    db: Db,
    folder: DataDir,
    subject: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    observed_at: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "falsification",
    contact_name: Annotated[str | None, Form()] = None,
    contact_phone: Annotated[str | None, Form()] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> Filed:
    """File a report (no account). Limits per address answer 429 with a Chinese message."""
    limits = limits_of(request)
    report = service.submit_report(
        db,
        service.ReportInput(
            subject=subject,
            category=category,
            description=description,
            observed_at=parse_observed(observed_at),
            contact_name=contact_name,
            contact_phone=contact_phone,
            files=await read_uploads(files or [], limits),
        ),
        client_ip=client_ip(request),
        data_dir=folder,
        limits=limits,
    )
    return Filed(code=service.format_code(report.code), status=report.status)


@public_api.get("/{code}", dependencies=[Depends(public)])
def track(code: str, request: Request, db: Db) -> PublicViewRead:
    """A report's public status, history and reply by its tracking code (lookups are limited)."""
    view = service.lookup(db, code, client_ip=client_ip(request), limits=limits_of(request))
    return PublicViewRead.of(view)


api = APIRouter(prefix="/api/reports", tags=["public reporting 举报"])


@api.get("")
def list_reports(db: Db, principal: Reader, status: str | None = None) -> Page[ReportRead]:
    """The triage queue, newest first (no reporter contact)."""
    return page_of([ReportRead.of(r) for r in service.list_reports(db, principal, status=status)])


@api.post("/hotline", status_code=201)
async def hotline_report(
    request: Request,
    db: Db,
    folder: DataDir,
    principal: Triager,
    channel: Annotated[str, Form()] = "",
    ticket: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    observed_at: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "falsification",
    contact_name: Annotated[str | None, Form()] = None,
    contact_phone: Annotated[str | None, Form()] = None,
    files: Annotated[list[UploadFile] | None, File()] = None,
) -> ReportRead:
    """Enter a report taken by the 12369 or 12345 hotline, with its ticket number."""
    limits = limits_of(request)
    report = service.create_hotline_report(
        db,
        principal,
        service.ReportInput(
            subject=subject,
            category=category,
            description=description,
            observed_at=parse_observed(observed_at),
            contact_name=contact_name,
            contact_phone=contact_phone,
            files=await read_uploads(files or [], limits),
        ),
        channel=channel,
        ticket=ticket,
        data_dir=folder,
        limits=limits,
        ip=client_ip(request),
    )
    return ReportRead.of(report)


@api.get("/{report_id}")
def get_report(report_id: int, request: Request, db: Db, principal: Reader) -> ReportRead:
    return ReportRead.of(
        service.get_report(db, principal, report_id, record_view=True, ip=client_ip(request))
    )


@api.get("/{report_id}/contact")
def get_contact(report_id: int, request: Request, db: Db, principal: IdentityReader) -> ContactRead:
    """The reporter's name and phone (complaints.identity; audited)."""
    report = service.get_report(db, principal, report_id)
    contact = service.contact_of(db, principal, report, ip=client_ip(request))
    return ContactRead(name=contact.name, phone=contact.phone)


@api.get("/{report_id}/files/{file_id}")
def get_file(report_id: int, file_id: int, db: Db, folder: DataDir, principal: Reader) -> Response:
    item, data = service.read_file(db, principal, report_id, file_id, data_dir=folder)
    return Response(
        data,
        media_type=item.content_type,
        headers={"Content-Disposition": f'inline; filename="report-file-{item.id}"'},
    )


@api.post("/{report_id}/enterprise")
def set_enterprise(
    report_id: int, body: EnterpriseIn, request: Request, db: Db, principal: Triager
) -> ReportRead:
    return ReportRead.of(
        service.set_enterprise(
            db, principal, report_id, enterprise_id=body.enterprise_id, ip=client_ip(request)
        )
    )


@api.post("/{report_id}/merge")
def merge(report_id: int, body: MergeIn, request: Request, db: Db, principal: Triager) -> ReportRead:
    return ReportRead.of(
        service.merge_report(db, principal, report_id, into=body.into, ip=client_ip(request))
    )


@api.post("/{report_id}/link")
def link(report_id: int, body: LinkIn, request: Request, db: Db, principal: Triager) -> ReportRead:
    service.link_warning(db, principal, report_id, warning_id=body.warning_id, ip=client_ip(request))
    return ReportRead.of(service.get_report(db, principal, report_id))


@api.post("/{report_id}/task")
def to_task(report_id: int, body: TaskIn, request: Request, db: Db, principal: Triager) -> ReportRead:
    return ReportRead.of(
        service.make_task(
            db, principal, report_id, assignees=body.assignees, deadline=body.deadline, ip=client_ip(request)
        )
    )


@api.post("/{report_id}/reply")
def reply(report_id: int, body: ReplyIn, request: Request, db: Db, principal: Triager) -> ReportRead:
    return ReportRead.of(
        service.publish_reply(db, principal, report_id, reply=body.reply, ip=client_ip(request))
    )


@api.post("/{report_id}/close")
def close(report_id: int, body: CloseIn, request: Request, db: Db, principal: Triager) -> ReportRead:
    return ReportRead.of(
        service.close_report(
            db,
            principal,
            report_id,
            outcome=body.outcome,
            reply=body.reply,
            ledger_category=body.ledger_category,
            ip=client_ip(request),
        )
    )


router = APIRouter()
router.include_router(public_api)
router.include_router(api)
