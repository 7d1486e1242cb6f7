"""ORM models of the audit trail and the interference register."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosentinel.database import Base

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditEntry(Base):
    """One append-only entry; ``entry_hash`` = HMAC-SHA-256, under the installation's secret key, of prev_hash
    + the canonical JSON of the entry; entries written before the key was introduced keep plain SHA-256
    (``scheme``)."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(_BIGINT_ID, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.Integer)
    username: Mapped[str] = mapped_column(sa.String(64), index=True)  # "system" for automatic jobs
    role: Mapped[str] = mapped_column(sa.String(32))
    ip: Mapped[str | None] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32), index=True)  # create / update / delete / view / ...
    entity: Mapped[str] = mapped_column(sa.String(64), index=True)  # e.g. "warning", "case"
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    summary: Mapped[str] = mapped_column(sa.Text)  # Chinese, for the audit page
    detail: Mapped[str] = mapped_column(sa.Text)  # canonical JSON (before/after, reason …)
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    entry_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scheme: Mapped[str] = mapped_column(sa.String(16), default="hmac-sha256", server_default="sha256")


class InterferenceRecord(Base):
    """干预留痕 (seed 002): an instruction or request to change monitoring results, who made it, to whom."""

    __tablename__ = "interference_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(sa.String(64))  # username of the person registering it
    occurred_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    requester: Mapped[str] = mapped_column(sa.String(200))  # who asked (name, post)
    channel: Mapped[str | None] = mapped_column(sa.String(100))  # phone, in person, message …
    point_mn: Mapped[str | None] = mapped_column(sa.String(24))
    content: Mapped[str] = mapped_column(sa.Text)  # what was asked
    response: Mapped[str | None] = mapped_column(sa.Text)  # what was done about it
