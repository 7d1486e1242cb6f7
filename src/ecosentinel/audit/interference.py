"""The interference register (干预留痕, seed 002): instructions or requests to change monitoring results.

Every registration is written to the audit trail in the same transaction, so the register itself is
covered by the hash chain.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit import messages
from ecosentinel.audit.models import InterferenceRecord
from ecosentinel.audit.service import record
from ecosentinel.auth.service import Principal
from ecosentinel.errors import ValidationError


def register(
    session: Session,
    principal: Principal,
    *,
    requester: str,
    content: str,
    occurred_at: dt.datetime | None = None,
    channel: str | None = None,
    point_mn: str | None = None,
    response: str | None = None,
    ip: str | None = None,
) -> InterferenceRecord:
    """Record who asked whom to change what, and what was done about it."""
    requester = requester.strip()
    content = content.strip()
    if not requester:
        raise ValidationError(messages.REQUESTER_REQUIRED, location="requester")
    if not content:
        raise ValidationError(messages.CONTENT_REQUIRED, location="content")
    entry = InterferenceRecord(
        recorded_at=dt.datetime.now(dt.UTC),
        recorded_by=principal.username,
        occurred_at=occurred_at,
        requester=requester,
        channel=(channel or "").strip() or None,
        point_mn=(point_mn or "").strip() or None,
        content=content,
        response=(response or "").strip() or None,
    )
    session.add(entry)
    session.flush()
    record(
        session,
        principal,
        "create",
        "interference",
        entry.id,
        messages.INTERFERENCE_SUMMARY.format(requester=requester, content=content[:60]),
        {
            "requester": requester,
            "channel": entry.channel,
            "point_mn": entry.point_mn,
            "occurred_at": occurred_at.isoformat() if occurred_at else None,
            "content": content,
            "response": entry.response,
        },
        ip=ip,
    )
    return entry


def list_records(
    session: Session, *, limit: int = 200, offset: int = 0
) -> tuple[int, list[InterferenceRecord]]:
    """Registered records, newest first."""
    total = session.scalar(sa.select(sa.func.count()).select_from(InterferenceRecord)) or 0
    rows = session.scalars(
        sa.select(InterferenceRecord)
        .order_by(InterferenceRecord.id.desc())
        .limit(max(1, min(limit, 500)))
        .offset(max(0, offset))
    )
    return total, list(rows)
