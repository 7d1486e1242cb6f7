"""Accounts and sessions: argon2id password hashes, random session tokens stored as SHA-256."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from ecosentinel.auth import messages
from ecosentinel.auth.models import AuthSession, LoginFailure, User
from ecosentinel.auth.roles import PERM_NAMES_ZH, Perm, Role, has_permission
from ecosentinel.errors import AuthError, PermissionDeniedError, ValidationError

SESSION_TTL = dt.timedelta(hours=12)
_hasher = PasswordHasher()  # argon2id with the library's recommended cost (RFC 9106 low-memory profile)


def use_password_hasher(hasher: PasswordHasher) -> None:
    """Replace the password hasher (the test suite uses a cheap argon2id cost; production never does)."""
    global _hasher
    _hasher = hasher


@dataclass(frozen=True)
class Principal:
    """Who is calling: the user and the scope its role binds it to."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    enterprise_id: int | None = None  # role=enterprise: its own enterprise
    agency_id: int | None = None  # role=om_agency: its own agency

    def can(self, perm: Perm) -> bool:
        return has_permission(self.role, perm)

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise PermissionDeniedError(messages.FORBIDDEN.format(perm=PERM_NAMES_ZH[perm]))


SYSTEM = Principal(user_id=None, username="system", display_name="系统自动任务", role=Role.ADMIN)
PUBLIC = Principal(user_id=None, username="public", display_name="公众", role=Role.PUBLIC)


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        enterprise_id=user.enterprise_id,
        agency_id=user.agency_id,
    )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _referenced_row_exists(session: Session, column: sa.Column[Any], value: int) -> bool:
    """Whether the row a foreign-key column points to exists (the registry sits above this package, so the
    target table is found through the key itself)."""
    for key in column.foreign_keys:
        target = key.column
        return session.scalar(sa.select(target).where(target == value)) is not None
    return True


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    enterprise_id: int | None = None,
    agency_id: int | None = None,
) -> User:
    """Create an account; enterprise and O&M-agency accounts must name what they are bound to."""
    if len(password) < 8:
        raise ValidationError(messages.PASSWORD_TOO_SHORT, location="password")
    if role is Role.ENTERPRISE and enterprise_id is None:
        raise ValidationError(messages.ENTERPRISE_REQUIRED, location="enterprise_id")
    if role is Role.OM_AGENCY and agency_id is None:
        raise ValidationError(messages.AGENCY_REQUIRED, location="agency_id")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationError(messages.USERNAME_TAKEN.format(username=username), location="username")
    for column, value, text in (
        (sa.inspect(User).columns["enterprise_id"], enterprise_id, messages.ENTERPRISE_NOT_FOUND),
        (sa.inspect(User).columns["agency_id"], agency_id, messages.AGENCY_NOT_FOUND),
    ):
        if value is not None and not _referenced_row_exists(session, column, value):
            raise ValidationError(text.format(id=value), location=column.name)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role.value,
        enterprise_id=enterprise_id,
        agency_id=agency_id,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class LoginPolicy:
    """Login throttling: so many wrong passwords per account, or per address, within ``window`` lock further
    attempts (even with the right password) until the oldest of them leaves the window."""

    max_failures: int = 5
    ip_max_failures: int = 20
    window: dt.timedelta = dt.timedelta(minutes=15)


class LoginLockedError(AuthError):
    """Too many wrong passwords: the account or the address is locked for a while."""

    def __init__(self, message: str, *, just_locked: bool) -> None:
        super().__init__(message)
        self.just_locked = just_locked  # this very attempt set off the lockout (audit it once)


def _failures_since(session: Session, since: dt.datetime, *, username: str | None, ip: str | None) -> int:
    query = sa.select(sa.func.count()).select_from(LoginFailure).where(LoginFailure.at >= since)
    if username is not None:
        query = query.where(LoginFailure.username == username)
    if ip is not None:
        query = query.where(LoginFailure.ip == ip)
    return int(session.scalar(query) or 0)


def _locked(session: Session, username: str, ip: str | None, policy: LoginPolicy, now: dt.datetime) -> bool:
    since = now - policy.window
    if _failures_since(session, since, username=username, ip=None) >= policy.max_failures:
        return True
    return ip is not None and _failures_since(session, since, username=None, ip=ip) >= policy.ip_max_failures


def _lock_message(policy: LoginPolicy) -> str:
    return messages.LOGIN_LOCKED.format(minutes=max(1, round(policy.window.total_seconds() / 60)))


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    ip: str | None = None,
    policy: LoginPolicy | None = None,
    now: dt.datetime | None = None,
) -> User:
    """The active user with this password, or AuthError (same message for unknown user and bad password).

    With a ``policy``, wrong passwords are counted in the caller's session (commit it even when this raises)
    and a locked account or address gets ``LoginLockedError`` whatever the password.
    """
    now = now or dt.datetime.now(dt.UTC)
    if policy is not None and _locked(session, username, ip, policy, now):
        _hasher.hash(password)  # same work as a real check
        raise LoginLockedError(_lock_message(policy), just_locked=False)
    user = session.scalar(sa.select(User).where(User.username == username))
    try:
        if user is None or not user.active:
            _hasher.hash(password)  # same work either way: no user-enumeration by timing
            raise AuthError(messages.BAD_LOGIN)
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError) as exc:
            raise AuthError(messages.BAD_LOGIN) from exc
    except AuthError:
        if policy is not None:
            session.add(LoginFailure(username=username[:64], ip=ip, at=now))
            session.flush()
            if _locked(session, username, ip, policy, now):
                raise LoginLockedError(_lock_message(policy), just_locked=True) from None
        raise
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if policy is not None:
        session.execute(sa.delete(LoginFailure).where(LoginFailure.username == username))
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, *, ip: str | None = None) -> str:
    """Start a login session; returns the token (given to the client once, stored only as a hash)."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    session.add(
        AuthSession(
            token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=now + SESSION_TTL, ip=ip
        )
    )
    session.flush()
    return token


def principal_for_token(session: Session, token: str) -> Principal | None:
    """The principal of a live session token, or None (unknown, expired, or user deactivated)."""
    row = session.execute(
        sa.select(User, AuthSession.expires_at)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    user, expires_at = row
    if expires_at.tzinfo is None:  # SQLite returns naive UTC
        expires_at = expires_at.replace(tzinfo=dt.UTC)
    if expires_at <= dt.datetime.now(dt.UTC) or not user.active:
        return None
    return principal_of(user)


def close_session(session: Session, token: str) -> None:
    session.execute(sa.delete(AuthSession).where(AuthSession.token_hash == _digest(token)))
