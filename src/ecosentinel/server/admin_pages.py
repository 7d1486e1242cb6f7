"""Pages of account administration, the audit trail search and the interference register."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ecosentinel.accounts import service as users
from ecosentinel.audit import interference
from ecosentinel.audit.messages import INTERFERENCE_RECORDED, REASONS_ZH
from ecosentinel.audit.models import AuditEntry
from ecosentinel.audit.search import AuditQuery, distinct_values, search
from ecosentinel.audit.service import verify
from ecosentinel.auth.roles import ROLE_NAMES_ZH, Perm, Role
from ecosentinel.auth.service import Principal
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.server import audit_view
from ecosentinel.web import messages
from ecosentinel.web.deps import client_ip, get_db, require
from ecosentinel.web.ui import error_flash, error_redirect, page, redirect

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _local(value: str | None, location: str) -> dt.datetime | None:
    """A datetime-local form value (China Standard Time), or None when empty."""
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(messages.BAD_DATETIME.format(value=value), location=location) from exc
    return parsed.replace(tzinfo=CST) if parsed.tzinfo is None else parsed


# --- accounts -------------------------------------------------------------------------------------------


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> Response:
    """Accounts with their role and state; create, deactivate, reset password."""
    return page(
        request,
        "admin/users.html",
        principal,
        title=messages.NAV_USERS,
        users=users.list_users(db),
        roles=[(r.value, ROLE_NAMES_ZH[r]) for r in Role if r is not Role.PUBLIC],
        role_names={r.value: n for r, n in ROLE_NAMES_ZH.items()},
    )


@router.post("/admin/users")
def users_create_form(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form()],
    display_name: Annotated[str, Form(max_length=100)] = "",
    enterprise_id: Annotated[str, Form()] = "",
    agency_id: Annotated[str, Form()] = "",
) -> Response:
    try:
        try:
            role_value = Role(role)
        except ValueError as exc:
            raise ValidationError(messages.BAD_ROLE.format(role=role), location="role") from exc
        user = users.add_user(
            db,
            principal,
            username=username,
            password=password,
            role=role_value,
            display_name=display_name,
            enterprise_id=_int(enterprise_id, "enterprise_id"),
            agency_id=_int(agency_id, "agency_id"),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect("/admin/users", exc, request)
    db.commit()  # before the redirect (get_db commits after the response)
    return redirect("/admin/users", flash=messages.USER_CREATED_OK.format(username=user.username))


def _int(value: str, location: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationError(messages.BAD_NUMBER.format(value=value), location=location) from exc


@router.post("/admin/users/{user_id}/active")
def users_active_form(
    user_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    active: Annotated[bool, Form()],
) -> Response:
    try:
        user = users.set_active(db, principal, user_id, active, ip=client_ip(request))
    except (ValidationError, NotFoundError) as exc:
        db.rollback()
        return error_redirect("/admin/users", exc, request)
    db.commit()  # before the redirect (get_db commits after the response)
    text = messages.USER_ACTIVATED_OK if active else messages.USER_DEACTIVATED_OK
    return redirect("/admin/users", flash=text.format(username=user.username))


@router.post("/admin/users/{user_id}/password")
def users_password_form(
    user_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    try:
        user = users.reset_password(db, principal, user_id, password, ip=client_ip(request))
    except (ValidationError, NotFoundError) as exc:
        db.rollback()
        return error_redirect("/admin/users", exc, request)
    db.commit()  # before the redirect (get_db commits after the response)
    return redirect("/admin/users", flash=messages.PASSWORD_RESET_OK.format(username=user.username))


# --- audit trail ----------------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.AUDIT_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    username: str = "",
    entity: str = "",
    entity_id: str = "",
    action: str = "",
    start: str = "",
    end: str = "",
    page_no: int = 1,
    check: bool = False,
) -> Response:
    """Search the audit trail; ``check=1`` also verifies the hash chain."""
    flash: list[dict[str, str]] = []
    total, rows = 0, list[AuditEntry]()
    try:
        query = AuditQuery(
            username=username.strip() or None,
            entity=entity or None,
            entity_id=entity_id.strip() or None,
            action=action or None,
            start=_local(start, "start"),
            end=_local(end, "end"),
        )
        total, rows = search(db, query, limit=PAGE_SIZE, offset=(max(page_no, 1) - 1) * PAGE_SIZE)
    except ValidationError as exc:
        flash.append(error_flash(exc, request))
    verified = None
    if check:
        result = verify(db, anchors=request.app.state.settings.audit_anchor_path)
        verified = {
            "ok": result.ok,
            "entries": result.entries,
            "first_bad_id": result.first_bad_id,
            "reason": REASONS_ZH.get(result.reason or "", result.reason),
        }
    params = {"username": username, "entity": entity, "entity_id": entity_id, "action": action}
    params |= {"start": start, "end": end}
    return page(
        request,
        "audit/search.html",
        principal,
        title=messages.NAV_AUDIT,
        flash=flash,
        entries=rows,
        total=total,
        page_no=max(page_no, 1),
        pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE),
        params=params,
        choices=distinct_values(db),
        verified=verified,
        role_names={r.value: n for r, n in ROLE_NAMES_ZH.items()},
        action_name=audit_view.action_name,
        entity_name=audit_view.entity_name,
        describe=audit_view.describe,
    )


@router.get("/audit/interference", response_class=HTMLResponse)
def interference_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.INTERFERENCE_WRITE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> Response:
    """The form to register a request to change monitoring results; the register itself for auditors."""
    can_list = principal.can(Perm.AUDIT_READ)
    total, rows = interference.list_records(db) if can_list else (0, [])
    return page(
        request,
        "audit/interference.html",
        principal,
        title=messages.NAV_INTERFERENCE,
        can_list=can_list,
        records=rows,
        total=total,
    )


@router.post("/audit/interference")
def interference_form(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.INTERFERENCE_WRITE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    requester: Annotated[str, Form(max_length=200)],
    content: Annotated[str, Form(max_length=5000)],
    occurred_at: Annotated[str, Form()] = "",
    channel: Annotated[str, Form(max_length=100)] = "",
    point_mn: Annotated[str, Form(max_length=24)] = "",
    response: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    try:
        entry = interference.register(
            db,
            principal,
            requester=requester,
            content=content,
            occurred_at=_local(occurred_at, "occurred_at"),
            channel=channel,
            point_mn=point_mn,
            response=response,
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect("/audit/interference", exc, request)
    db.commit()  # before the redirect (get_db commits after the response)
    return redirect("/audit/interference", flash=INTERFERENCE_RECORDED.format(id=entry.id))
