"""FastAPI dependencies every route uses: the database session, the caller, and the permission check.

A route declares exactly one of ``Depends(public)`` (no login; disclosure data only) or
``Depends(require(Perm.X))`` (returns the Principal). Tests enumerate the app's routes and fail on any
route without one of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy.orm import Session

from ecosentinel.auth import messages
from ecosentinel.auth.roles import PERM_NAMES_ZH, Perm
from ecosentinel.auth.service import SESSION_TTL, LoginPolicy, Principal, principal_for_token
from ecosentinel.store.base import MeasurementStore, open_store

SESSION_COOKIE = "es_session"


def public() -> None:
    """Explicit permission marker: this route is meant for anyone, without login."""


def get_db(request: Request) -> Iterator[Session]:
    """One session per request: committed when the route returns, rolled back on error.

    Always declare it as ``Depends(get_db, scope="function")``: the commit then happens before the response
    is sent, so a client that follows a redirect (or sends its next request at once) sees the change.
    """
    factory = request.app.state.session_factory
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def request_token(request: Request) -> str | None:
    """The session token from ``Authorization: Bearer …`` or the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def optional_principal(request: Request, db: Session = Depends(get_db, scope="function")) -> Principal | None:  # noqa: B008
    """The logged-in caller, or None."""
    token = request_token(request)
    return principal_for_token(db, token) if token else None


def current_principal(principal: Principal | None = Depends(optional_principal)) -> Principal:  # noqa: B008
    if principal is None:
        raise HTTPException(status_code=401, detail=messages.NOT_LOGGED_IN)
    return principal


def require(perm: Perm) -> Callable[..., Principal]:
    """Dependency factory: the caller, who must be logged in and hold ``perm`` (401 / 403 otherwise)."""

    def dependency(principal: Principal = Depends(current_principal)) -> Principal:  # noqa: B008
        if not principal.can(perm):
            raise HTTPException(status_code=403, detail=messages.FORBIDDEN.format(perm=PERM_NAMES_ZH[perm]))
        return principal

    dependency.required_permission = perm  # type: ignore[attr-defined]
    return dependency


def store_of(request: Request) -> MeasurementStore:
    """The app's measurement store (``app.state.store``), opened on the app's database on first use."""
    store: MeasurementStore | None = getattr(request.app.state, "store", None)
    if store is None:
        bind = request.app.state.session_factory.kw["bind"]
        store = open_store(bind.url.render_as_string(hide_password=False))
        request.app.state.store = store
    return store


def login_policy(request: Request) -> LoginPolicy:
    """Login throttling from the app's settings (``web.login_*``)."""
    web = request.app.state.settings.web
    return LoginPolicy(
        max_failures=web.login_max_failures,
        ip_max_failures=web.login_ip_max_failures,
        window=dt.timedelta(seconds=web.login_window_s),
    )


def session_cookie(response: Response, request: Request, token: str) -> None:
    """Set the session cookie: HttpOnly, SameSite=Strict, Secure outside local use (web.secure_cookies)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        max_age=int(SESSION_TTL.total_seconds()),
    )
