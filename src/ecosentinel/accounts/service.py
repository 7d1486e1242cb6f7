"""Account administration (账号管理): list, create, deactivate, reactivate, reset password — each audited;
logins under the throttling policy, lockouts audited."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth import messages
from ecosentinel.auth.models import AuthSession, User
from ecosentinel.auth.roles import ROLE_NAMES_ZH, Role
from ecosentinel.auth.service import (
    SYSTEM,
    LoginLockedError,
    LoginPolicy,
    Principal,
    authenticate,
    create_user,
    hash_password,
)
from ecosentinel.errors import NotFoundError, ValidationError


def list_users(session: Session, *, include_inactive: bool = True) -> list[User]:
    """All accounts, by username."""
    query = sa.select(User).order_by(User.username)
    if not include_inactive:
        query = query.where(User.active.is_(True))
    return list(session.scalars(query))


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(messages.USER_NOT_FOUND.format(user_id=user_id))
    return user


def add_user(
    session: Session,
    actor: Principal,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    enterprise_id: int | None = None,
    agency_id: int | None = None,
    ip: str | None = None,
) -> User:
    """Create an account (password rules and role bindings as in ``create_user``) and audit it."""
    user = create_user(
        session,
        username=username.strip(),
        password=password,
        role=role,
        display_name=(display_name or "").strip() or None,
        enterprise_id=enterprise_id,
        agency_id=agency_id,
    )
    record(
        session,
        actor,
        "create",
        "user",
        user.id,
        messages.USER_CREATED.format(username=user.username, role=ROLE_NAMES_ZH[role]),
        {
            "username": user.username,
            "role": role.value,
            "enterprise_id": enterprise_id,
            "agency_id": agency_id,
        },
        ip=ip,
    )
    return user


def set_active(
    session: Session, actor: Principal, user_id: int, active: bool, *, ip: str | None = None
) -> User:
    """Deactivate (ending its sessions) or reactivate an account."""
    user = get_user(session, user_id)
    if not active and user.id == actor.user_id:
        raise ValidationError(messages.CANNOT_DEACTIVATE_SELF, location="user_id")
    user.active = active
    if not active:
        session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user.id))
    text = messages.USER_ACTIVATED if active else messages.USER_DEACTIVATED
    record(
        session,
        actor,
        "update",
        "user",
        user.id,
        text.format(username=user.username),
        {"active": active},
        ip=ip,
    )
    return user


def reset_password(
    session: Session, actor: Principal, user_id: int, password: str, *, ip: str | None = None
) -> User:
    """Set a new password and end the account's sessions (the password itself is never logged)."""
    if len(password) < 8:
        raise ValidationError(messages.PASSWORD_TOO_SHORT, location="password")
    user = get_user(session, user_id)
    user.password_hash = hash_password(password)
    session.execute(sa.delete(AuthSession).where(AuthSession.user_id == user.id))
    record(
        session,
        actor,
        "update",
        "user",
        user.id,
        messages.PASSWORD_RESET.format(username=user.username),
        ip=ip,
    )
    return user


def login(session: Session, username: str, password: str, *, ip: str | None, policy: LoginPolicy) -> User:
    """Check a login under the throttling policy; a lockout is written to the audit trail when it starts.

    Whatever the outcome, the caller commits ``session`` (the failure count and the audit entry must stay even
    when the login is refused).
    """
    try:
        return authenticate(session, username, password, ip=ip, policy=policy)
    except LoginLockedError as exc:
        if exc.just_locked:
            user = session.scalar(sa.select(User).where(User.username == username))
            record(
                session,
                SYSTEM,
                "lockout",
                "user",
                user.id if user is not None else None,
                messages.AUDIT_LOCKED.format(username=username[:64], ip=ip or "-"),
                {"username": username[:64], "window_s": policy.window.total_seconds()},
                ip=ip,
            )
        raise
