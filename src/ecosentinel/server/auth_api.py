"""Login, logout and "who am I" (JSON API; the login page posts here too)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ecosentinel.accounts import service as users
from ecosentinel.audit.service import record
from ecosentinel.auth.models import User
from ecosentinel.auth.roles import ROLE_NAMES_ZH, Perm, Role
from ecosentinel.auth.service import (
    Principal,
    close_session,
    open_session,
    principal_of,
)
from ecosentinel.errors import AuthError
from ecosentinel.web.deps import (
    SESSION_COOKIE,
    client_ip,
    current_principal,
    get_db,
    login_policy,
    public,
    request_token,
    require,
    session_cookie,
)

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
    body: LoginRequest,
    request: Request,
    response: Response,
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> LoginResponse:
    """Log in with username and password: sets the session cookie and returns the token (Bearer).

    Wrong passwords are throttled per account and per address (429 while locked)."""
    ip = client_ip(request)
    try:
        user = users.login(db, body.username, body.password, ip=ip, policy=login_policy(request))
    except AuthError:
        db.commit()  # keep the failure count (and a lockout's audit entry) although the request fails
        raise
    token = open_session(db, user, ip=ip)
    principal = principal_of(user)
    record(db, principal, "login", "user", user.id, f"{user.username} 登录", ip=ip)
    session_cookie(response, request, token)
    return LoginResponse(token=token, user=_me(principal))


@router.post("/logout", dependencies=[Depends(public)])
def logout(
    request: Request, response: Response, db: Annotated[Session, Depends(get_db, scope="function")]
) -> dict[str, bool]:
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


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    role_zh: str
    enterprise_id: int | None
    agency_id: int | None
    active: bool


class UserCreate(BaseModel):
    username: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=8, max_length=200)
    role: Role
    display_name: str | None = Field(default=None, max_length=100)
    enterprise_id: int | None = None
    agency_id: int | None = None


class PasswordReset(BaseModel):
    password: str = Field(min_length=8, max_length=200)


def _user(u: User) -> UserOut:
    role = Role(u.role)
    return UserOut(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=role,
        role_zh=ROLE_NAMES_ZH[role],
        enterprise_id=u.enterprise_id,
        agency_id=u.agency_id,
        active=u.active,
    )


@router.get("/users")
def users_list(
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> list[UserOut]:
    """All accounts (administrators)."""
    return [_user(u) for u in users.list_users(db)]


@router.post("/users", status_code=201)
def users_create(
    body: UserCreate,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> UserOut:
    """Create an account; enterprise and O&M-agency accounts name what they are bound to."""
    user = users.add_user(db, principal, **body.model_dump(), ip=client_ip(request))
    return _user(user)


@router.post("/users/{user_id}/deactivate")
def users_deactivate(
    user_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> UserOut:
    """Deactivate an account and end its sessions."""
    return _user(users.set_active(db, principal, user_id, False, ip=client_ip(request)))


@router.post("/users/{user_id}/activate")
def users_activate(
    user_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> UserOut:
    """Reactivate an account."""
    return _user(users.set_active(db, principal, user_id, True, ip=client_ip(request)))


@router.post("/users/{user_id}/password")
def users_reset_password(
    user_id: int,
    body: PasswordReset,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.USERS_MANAGE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> UserOut:
    """Set a new password for an account and end its sessions."""
    return _user(users.reset_password(db, principal, user_id, body.password, ip=client_ip(request)))
