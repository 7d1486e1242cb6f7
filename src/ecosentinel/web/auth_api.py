"""Login, logout and "who am I" (JSON API; the login page posts here too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import ROLE_NAMES_ZH, Perm, Role
from ecosentinel.auth.service import (
    SESSION_TTL,
    Principal,
    authenticate,
    close_session,
    open_session,
    principal_of,
)
from ecosentinel.web.deps import SESSION_COOKIE, client_ip, current_principal, get_db, public, request_token

router = APIRouter(prefix="/api/auth", tags=["auth 登录"])


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    role_zh: str
    enterprise_id: int | None
    agency_id: int | None
    permissions: list[Perm]


class LoginResponse(BaseModel):
    token: str
    user: Me


def _me(p: Principal) -> Me:
    return Me(
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        role_zh=ROLE_NAMES_ZH[p.role],
        enterprise_id=p.enterprise_id,
        agency_id=p.agency_id,
        permissions=sorted(perm for perm in Perm if p.can(perm)),
    )


@router.post("/login", dependencies=[Depends(public)])
def login(
    body: LoginRequest, request: Request, response: Response, db: Annotated[Session, Depends(get_db)]
) -> LoginResponse:
    """Log in with username and password: sets the session cookie and returns the token (Bearer)."""
    user = authenticate(db, body.username, body.password)
    ip = client_ip(request)
    token = open_session(db, user, ip=ip)
    principal = principal_of(user)
    record(db, principal, "login", "user", user.id, f"{user.username} 登录", ip=ip)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", max_age=int(SESSION_TTL.total_seconds())
    )
    return LoginResponse(token=token, user=_me(principal))


@router.post("/logout", dependencies=[Depends(public)])
def logout(request: Request, response: Response, db: Annotated[Session, Depends(get_db)]) -> dict[str, bool]:
    """End the caller's session (if any) and clear the cookie."""
    token = request_token(request)
    if token:
        close_session(db, token)
    response.delete_cookie(SESSION_COOKIE)
    return {"ok": True}


@router.get("/me")
def me(principal: Annotated[Principal, Depends(current_principal)]) -> Me:
    """The logged-in user, role and permissions (any logged-in role)."""
    return _me(principal)
