"""Pages where an enterprise answers its warnings (情况说明) and submits rectification evidence (整改材料);
the documents are downloaded by the enterprise itself and by staff who read warnings."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import messages as msg
from ecosentinel.enforcement import responses as service
from ecosentinel.enforcement import warnings as warning_service
from ecosentinel.enforcement.api import data_dir
from ecosentinel.enforcement.inspections import CONTENT_TYPES, MAX_ATTACHMENT_BYTES
from ecosentinel.errors import ValidationError
from ecosentinel.web.deps import client_ip, current_principal, get_db, require
from ecosentinel.web.ui import error_redirect, file_kind, page, redirect, register_nav

router = APIRouter(include_in_schema=False)
Db = Annotated[Session, Depends(get_db, scope="function")]
Responder = Annotated[Principal, Depends(require(Perm.WARNINGS_RESPOND))]

register_nav(msg.NAV_OWN_WARNINGS, "/enterprise/warnings", Perm.WARNINGS_RESPOND, order=295)


@router.get("/enterprise/warnings", response_class=HTMLResponse)
def own_warnings_page(request: Request, db: Db, principal: Responder) -> Response:
    """The warnings about the caller's enterprise, with how many answers each has."""
    rows = service.own_warnings(db, principal)
    return page(
        request,
        "enforcement/own_warnings.html",
        principal,
        title=msg.TITLE_OWN_WARNINGS,
        rows=rows,
        answered={w.id: len(service.responses_of(db, w.id)) for w in rows},
        colour_names=msg.COLOUR_NAMES,
        status_names=msg.WARNING_STATUS_NAMES,
        period=lambda w: warning_service.period_text(w.period_start, w.period_end),
    )


@router.get("/enterprise/warnings/{warning_id}", response_class=HTMLResponse)
def own_warning_page(request: Request, warning_id: int, db: Db, principal: Responder) -> Response:
    """One warning in plain words, what was found, the answers given and the form to add one."""
    warning = service.warning_for_response(db, principal, warning_id)
    return page(
        request,
        "enforcement/own_warning.html",
        principal,
        title=msg.TITLE_OWN_WARNING.format(id=warning.id),
        warning=warning,
        responses=service.responses_of(db, warning.id),
        kinds=list(msg.RESPONSE_KIND_NAMES.items()),
        kind_names=msg.RESPONSE_KIND_NAMES,
        colour_names=msg.COLOUR_NAMES,
        status_names=msg.WARNING_STATUS_NAMES,
        period=warning_service.period_text(warning.period_start, warning.period_end),
        file_kinds="、".join(dict.fromkeys(file_kind(t) for t in CONTENT_TYPES)),
    )


@router.post("/enterprise/warnings/{warning_id}/responses")
async def own_warning_respond(request: Request, warning_id: int, db: Db, principal: Responder) -> Response:
    back = f"/enterprise/warnings/{warning_id}"
    form = await request.form()
    upload = form.get("file")
    data, filename, content_type = None, None, None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_ATTACHMENT_BYTES + 1)
        filename, content_type = upload.filename, upload.content_type
    kind = form.get("kind")
    text = form.get("text")
    try:
        response = service.respond(
            db,
            principal,
            warning_id,
            kind=kind if isinstance(kind, str) else "",
            text=text if isinstance(text, str) else "",
            data_dir=data_dir(request),
            filename=filename,
            content_type=content_type,
            data=data,
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect(back, exc, request)
    db.commit()
    return redirect(back, flash=msg.FLASH_RESPONSE.format(kind=msg.RESPONSE_KIND_NAMES[response.kind]))


@router.get("/enterprise/responses/{response_id}/file")
def response_file(
    request: Request, response_id: int, db: Db, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    """A response's document: for the enterprise that sent it or staff who may read warnings (checked in
    the service), with its SHA-256 verified."""
    if not (principal.can(Perm.WARNINGS_READ) or principal.can(Perm.WARNINGS_RESPOND)):
        principal.require(Perm.WARNINGS_READ)
    response, data = service.read_document(db, principal, response_id, data_dir=data_dir(request))
    name = quote(response.filename or f"response-{response.id}")
    return Response(
        data,
        media_type=response.content_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{name}",
            "X-Content-SHA256": response.sha256 or "",
        },
    )
