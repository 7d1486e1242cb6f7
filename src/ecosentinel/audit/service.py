"""Recording and verifying the audit trail.

Each entry's hash covers the previous entry's hash and the entry's own fields (canonical JSON), so changing,
deleting or inserting any entry breaks the chain from that point on: ``verify`` reports the first break.
Appends are serialised (a process lock, plus a transaction-scoped advisory lock on PostgreSQL) so the chain
never forks. Call ``record`` inside the same transaction as the change it describes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.service import Principal

GENESIS = "0" * 64
_ADVISORY_KEY = 0x65636F61  # "ecoa"
_lock = threading.Lock()


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _entry_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + _canonical(fields)).encode()).hexdigest()


def _fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": _as_utc(entry.at).isoformat(timespec="microseconds"),
        "user_id": entry.user_id,
        "username": entry.username,
        "role": entry.role,
        "ip": entry.ip,
        "action": entry.action,
        "entity": entry.entity,
        "entity_id": entry.entity_id,
        "summary": entry.summary,
        "detail": entry.detail,
    }


def record(
    session: Session,
    actor: Principal,
    action: str,
    entity: str,
    entity_id: object | None,
    summary: str,
    detail: dict[str, Any] | None = None,
    *,
    ip: str | None = None,
) -> AuditEntry:
    """Append one entry (who, when, what, from where) in the caller's transaction."""
    with _lock:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
        prev = session.scalar(sa.select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1))
        entry = AuditEntry(
            at=dt.datetime.now(dt.UTC),
            user_id=actor.user_id,
            username=actor.username,
            role=actor.role.value,
            ip=ip,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            summary=summary,
            detail=_canonical(detail or {}),
            prev_hash=prev or GENESIS,
            entry_hash="",
        )
        entry.entry_hash = _entry_hash(entry.prev_hash, _fields(entry))
        session.add(entry)
        session.flush()
        return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    reason: str | None = None


def verify(session: Session) -> VerifyResult:
    """Walk the chain in id order; report the first entry whose link or hash does not match."""
    prev = GENESIS
    count = 0
    for entry in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        count += 1
        if entry.prev_hash != prev:
            return VerifyResult(False, count, entry.id, "prev_hash does not match the previous entry")
        if _entry_hash(prev, _fields(entry)) != entry.entry_hash:
            return VerifyResult(False, count, entry.id, "entry content does not match its hash")
        prev = entry.entry_hash
    return VerifyResult(True, count)
