"""Enterprise responses to warnings: an explanation (情况说明) or rectification evidence (整改材料), each with
an optional document. Only the enterprise the warning is about may respond; staff who read warnings see the
responses on the warning. Every response is audited; documents are stored with their SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path, PurePath

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm, Role
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import messages
from ecosentinel.enforcement.inspections import MAX_ATTACHMENT_BYTES, store_upload
from ecosentinel.enforcement.models import EnforcementWarning, ResponseKind, WarningResponse
from ecosentinel.enforcement.warnings import get_warning
from ecosentinel.errors import NotFoundError, ValidationError

MAX_TEXT = 5000


def own_warnings(session: Session, principal: Principal, *, limit: int = 200) -> list[EnforcementWarning]:
    """The warnings about the calling enterprise, newest first."""
    principal.require(Perm.WARNINGS_RESPOND)
    if principal.enterprise_id is None and principal.role is Role.ENTERPRISE:
        return []
    query = sa.select(EnforcementWarning).order_by(EnforcementWarning.id.desc()).limit(limit)
    if principal.role is Role.ENTERPRISE:
        query = query.where(EnforcementWarning.enterprise_id == principal.enterprise_id)
    return list(session.scalars(query))


def warning_for_response(session: Session, principal: Principal, warning_id: int) -> EnforcementWarning:
    """A warning the principal may answer (an enterprise: only its own; others: not found)."""
    principal.require(Perm.WARNINGS_RESPOND)
    warning = session.get(EnforcementWarning, warning_id)
    if warning is None or (
        principal.role is Role.ENTERPRISE and warning.enterprise_id != principal.enterprise_id
    ):
        raise NotFoundError(messages.WARNING_NOT_FOUND.format(id=warning_id))
    return warning


def responses_of(session: Session, warning_id: int) -> list[WarningResponse]:
    query = sa.select(WarningResponse).where(WarningResponse.warning_id == warning_id)
    return list(session.scalars(query.order_by(WarningResponse.id)))


def respond(
    session: Session,
    actor: Principal,
    warning_id: int,
    *,
    kind: str,
    text: str,
    data_dir: Path,
    filename: str | None = None,
    content_type: str | None = None,
    data: bytes | None = None,
    ip: str | None = None,
) -> WarningResponse:
    """Record an enterprise's explanation or rectification evidence (with an optional document)."""
    warning = warning_for_response(session, actor, warning_id)
    try:
        kind_v = ResponseKind(kind)
    except ValueError as exc:
        raise ValidationError(messages.RESPONSE_KIND, location="kind") from exc
    text = (text or "").strip()
    if not text:
        raise ValidationError(messages.RESPONSE_TEXT_REQUIRED, location="text")
    if len(text) > MAX_TEXT:
        raise ValidationError(messages.RESPONSE_TEXT_TOO_LONG.format(limit=MAX_TEXT), location="text")
    response = WarningResponse(
        warning_id=warning.id,
        enterprise_id=warning.enterprise_id,
        kind=kind_v.value,
        text=text,
        created_by=actor.username,
        created_at=dt.datetime.now(dt.UTC),
    )
    if data:
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(
                messages.ATTACHMENT_TOO_LARGE.format(size=len(data), limit=MAX_ATTACHMENT_BYTES),
                location="file",
            )
        stored = store_upload(
            data_dir, PurePath("responses", f"warning-{warning.id}"), filename, content_type, data
        )
        response.filename = stored.filename
        response.content_type = stored.content_type
        response.size = len(data)
        response.sha256 = stored.sha256
        response.stored_path = stored.relative.as_posix()
    session.add(response)
    session.flush()
    record(
        session,
        actor,
        "respond",
        "warning_response",
        response.id,
        messages.RESPONSE_SUMMARY.format(
            kind=messages.RESPONSE_KIND_NAMES[kind_v.value], id=warning.id, file=response.filename or "无"
        ),
        {"warning_id": warning.id, "kind": kind_v.value, "sha256": response.sha256},
        ip=ip,
    )
    return response


def read_document(
    session: Session, principal: Principal, response_id: int, *, data_dir: Path
) -> tuple[WarningResponse, bytes]:
    """A response's document, for the enterprise itself or staff who read warnings; checked against its
    SHA-256."""
    response = session.get(WarningResponse, response_id)
    if response is None or response.stored_path is None:
        raise NotFoundError(messages.RESPONSE_NOT_FOUND.format(id=response_id))
    if principal.can(Perm.WARNINGS_READ):
        get_warning(session, principal, response.warning_id)  # scope of the warning
    else:
        warning_for_response(session, principal, response.warning_id)
    data = (Path(data_dir) / response.stored_path).read_bytes()
    if hashlib.sha256(data).hexdigest() != response.sha256:
        raise ValidationError(messages.RESPONSE_HASH_MISMATCH.format(id=response.id), location="file")
    return response, data
