"""Pages of the web shell: login and logout forms, the dashboard and the public home.

Area pages live in ``ecosentinel.<area>.pages`` on the same layout (``ecosentinel.web.ui``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ecosentinel.accounts import service as users
from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import (
    LoginLockedError,
    Principal,
    close_session,
    open_session,
    principal_of,
)
from ecosentinel.detection.messages import COLOUR_NAMES
from ecosentinel.enforcement.messages import TASK_STATUS_NAMES
from ecosentinel.errors import AuthError
from ecosentinel.interop import backfill as interop_backfill
from ecosentinel.interop import commands as interop_commands
from ecosentinel.interop import marks as interop_marks
from ecosentinel.interop import messages as interop_messages
from ecosentinel.interop import validity as interop_validity
from ecosentinel.protocol.hj212.codes import INFO_IDS
from ecosentinel.protocol.hj212.control import CONTROL_COMMANDS
from ecosentinel.registry.scope import check_mn
from ecosentinel.server import admin_pages, map_view, station
from ecosentinel.server import dashboard as dashboard_service
from ecosentinel.web import messages
from ecosentinel.web.deps import (
    SESSION_COOKIE,
    client_ip,
    current_principal,
    get_db,
    login_policy,
    optional_principal,
    public,
    request_token,
    require,
    session_cookie,
    store_of,
)
from ecosentinel.web.ui import STATIC_DIR, nav_for, page, public_links, redirect, register_nav, safe_next

router = APIRouter(include_in_schema=False)
router.include_router(admin_pages.router)
register_nav(messages.NAV_STATIONS, "/stations", Perm.DATA_READ, order=20)
register_nav(messages.NAV_MAP, "/map", Perm.DATA_READ, order=22)


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.DATA_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    colour: str = "",
    kind: str = "",
    q: str = "",
) -> Response:
    """一张图: the caller's points on a plain outline by longitude and latitude, coloured by today's level."""
    return page(
        request,
        "map/index.html",
        principal,
        title=messages.NAV_MAP,
        view=map_view.build(
            db,
            principal,
            colour=colour,
            kind=kind,
            q=q.strip(),
            tile_url=request.app.state.settings.map_tile_url,
        ),
        colour=colour,
        kind=kind,
        q=q,
        width=int(map_view.WIDTH),
        height=int(map_view.HEIGHT),
        colour_names=COLOUR_NAMES,
    )


@router.get("/favicon.ico", dependencies=[Depends(public)])
def favicon() -> FileResponse:
    """The site icon at the path browsers ask for by themselves (the file lives in /static)."""
    return FileResponse(
        STATIC_DIR / "favicon.ico", media_type="image/x-icon", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/login", response_class=HTMLResponse, dependencies=[Depends(public)])
def login_form(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)], next: str = "/"
) -> Response:
    """The login form; an already logged-in user goes straight on."""
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return page(request, "login.html", None, title=messages.LOGIN_TITLE, next=safe_next(next))


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(public)])
def login_submit(
    request: Request,
    db: Annotated[Session, Depends(get_db, scope="function")],
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    """Check the password, open a session (cookie) and go back to where the user was heading."""
    ip = client_ip(request)
    try:
        user = users.login(db, username, password, ip=ip, policy=login_policy(request))
    except AuthError as exc:
        db.commit()  # keep the failure count (and a lockout's audit entry)
        return page(
            request,
            "login.html",
            None,
            title=messages.LOGIN_TITLE,
            status_code=429 if isinstance(exc, LoginLockedError) else 401,
            next=safe_next(next),
            username=username,
            error=str(exc) if isinstance(exc, LoginLockedError) else messages.LOGIN_FAILED,
        )
    token = open_session(db, user, ip=ip)
    record(db, principal_of(user), "login", "user", user.id, f"{user.username} 登录（网页）", ip=ip)
    db.commit()  # before the redirect: get_db's own commit runs only after the response is sent
    response = RedirectResponse(safe_next(next), status_code=303)
    session_cookie(response, request, token)
    return response


@router.post("/logout", dependencies=[Depends(public)])
def logout_submit(request: Request, db: Annotated[Session, Depends(get_db, scope="function")]) -> Response:
    """End the session and return to the login page."""
    token = request_token(request)
    if token:
        close_session(db, token)
        db.commit()
    response = redirect("/login", flash=messages.LOGGED_OUT, level="info")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> Response:
    """The dashboard (首页总览); a role without data access goes to its first page instead."""
    if not principal.can(Perm.DATA_READ):
        entries = nav_for(principal)
        return RedirectResponse(entries[0].href if entries else "/public", status_code=303)
    ingest = request.app.state.ingest
    board = dashboard_service.build(
        db, principal, store_of(request), online_mns=dict(ingest.stats.online_mns) if ingest else None
    )
    return page(
        request,
        "dashboard/index.html",
        principal,
        title=messages.NAV_DASHBOARD,
        board=board,
        colour_names=COLOUR_NAMES,
        task_status_names=TASK_STATUS_NAMES,
    )


@router.get("/stations", response_class=HTMLResponse)
def stations(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.DATA_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> Response:
    """Monitoring points the caller may see, with online state, last data and today's colour."""
    ingest = request.app.state.ingest
    board = dashboard_service.build(
        db, principal, store_of(request), online_mns=dict(ingest.stats.online_mns) if ingest else None
    )
    return page(
        request,
        "station/list.html",
        principal,
        title=messages.NAV_STATIONS,
        board=board,
        colour_names=COLOUR_NAMES,
    )


@router.get("/stations/{mn}", response_class=HTMLResponse)
def station_page(
    mn: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.DATA_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    start: str | None = None,
    end: str | None = None,
    kind: str | None = None,
) -> Response:
    """Curves of every factor of one point, with flags, findings and door/camera events (data via JSON)."""
    check_mn(db, principal, mn)
    point = station.get_point(db, mn)
    last = station.last_data_time(store_of(request), mn)
    return page(
        request,
        "station/detail.html",
        principal,
        title=f"{point.name}（{mn}）",
        point=point,
        last_data=last,
        start=start or "",
        end=end or "",
        kind=kind or "",
        show_findings=principal.can(Perm.FINDINGS_READ),
        commands=[interop_commands.view(r) for r in interop_commands.list_commands(db, mn=mn, limit=30)],
        backfills=interop_backfill.list_requests(db, mn=mn, limit=20),
        marks=interop_marks.list_marks(db, principal, mn=mn, limit=20),
        mark_kinds=interop_marks.MARK_KINDS,
        mark_statuses=interop_marks.MARK_STATUS_ZH,
        mark_alarms=[
            a for a in interop_validity.alarms(db, store_of(request), mns=[mn]) if a.kind == "marks"
        ],
        can_command=principal.can(Perm.COMMANDS_SEND),
        command_choices=CONTROL_COMMANDS,
        info_ids=INFO_IDS,
        fields_text=interop_commands.fields_text,
        backfill_kinds=interop_messages.KIND_ZH,
        command_statuses=interop_messages.COMMAND_STATUS_ZH,
    )


@router.get("/public", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_home(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Response:
    """The public disclosure home (no login): the public pages areas registered, and the public data feeds
    (``/api/public/…``) present in this installation."""
    feeds = []
    for route in request.app.routes:
        path = getattr(route, "path", "")
        if path.startswith("/api/public/") and "{" not in path and "GET" in getattr(route, "methods", ()):
            feeds.append({"path": path, "label": _feed_label(path)})
    return page(
        request,
        "public/index.html",
        principal,
        title=messages.NAV_PUBLIC,
        links=public_links(),
        feeds=sorted(feeds, key=lambda f: f["path"]),
    )


def _feed_label(path: str) -> str:
    for key, label in messages.PUBLIC_FEED_LABELS.items():
        if key in path:
            return label
    return path
