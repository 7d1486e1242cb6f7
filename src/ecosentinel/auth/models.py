"""ORM models of accounts and login sessions."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosentinel.database import Base


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class User(Base):
    """A person with one role; enterprise and O&M-agency users are bound to theirs."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    password_hash: Mapped[str] = mapped_column(sa.String(200))  # argon2id
    role: Mapped[str] = mapped_column(sa.String(32))  # Role value
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="SET NULL"))
    agency_id: Mapped[int | None] = mapped_column(
        sa.Integer
    )  # O&M agency (ecosentinel.om), when role=om_agency
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)


class AuthSession(Base):
    """A login session; only the SHA-256 of the token is stored."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    ip: Mapped[str | None] = mapped_column(sa.String(64))


class LoginFailure(Base):
    """A wrong password (or unknown account), kept for login throttling: per account and per address."""

    __tablename__ = "auth_login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), index=True)
    ip: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow, index=True)
