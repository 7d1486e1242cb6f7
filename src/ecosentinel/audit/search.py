"""Searching the audit trail (痕迹管理): by user, entity, action and time, newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit import messages
from ecosentinel.audit.models import AuditEntry
from ecosentinel.errors import ValidationError
from ecosentinel.readings import CST

MAX_LIMIT = 500


@dataclass(frozen=True)
class AuditQuery:
    """Filters; every one is optional. ``start`` inclusive, ``end`` exclusive."""

    username: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    action: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def search(
    session: Session, query: AuditQuery, *, limit: int = 50, offset: int = 0
) -> tuple[int, list[AuditEntry]]:
    """The total number of matching entries and one page of them, newest first."""
    if query.start and query.end and query.start >= query.end:
        raise ValidationError(messages.BAD_RANGE, location="start")
    conditions: list[sa.ColumnElement[bool]] = []
    if query.username:
        conditions.append(AuditEntry.username == query.username)
    if query.entity:
        conditions.append(AuditEntry.entity == query.entity)
    if query.entity_id:
        conditions.append(AuditEntry.entity_id == query.entity_id)
    if query.action:
        conditions.append(AuditEntry.action == query.action)
    if query.start:
        conditions.append(AuditEntry.at >= _utc(query.start))
    if query.end:
        conditions.append(AuditEntry.at < _utc(query.end))
    total = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*conditions)) or 0
    rows = session.scalars(
        sa.select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .limit(max(1, min(limit, MAX_LIMIT)))
        .offset(max(0, offset))
    )
    return total, list(rows)


def _utc(value: dt.datetime) -> dt.datetime:
    """UTC for the comparison (SQLite compares stored wall-clock text); naive means China Standard Time."""
    return (value.replace(tzinfo=CST) if value.tzinfo is None else value).astimezone(dt.UTC)


def distinct_values(session: Session) -> dict[str, list[str]]:
    """Known actions and entities, for the search form's choices."""
    return {
        "actions": sorted(session.scalars(sa.select(AuditEntry.action).distinct())),
        "entities": sorted(session.scalars(sa.select(AuditEntry.entity).distinct())),
    }
