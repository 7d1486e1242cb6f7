"""Recording and verifying the audit trail.

Each entry's hash covers the previous entry's hash and the entry's own fields (canonical JSON), so changing,
deleting or inserting any entry breaks the chain from that point on: ``verify`` reports the first break.
The hash is an HMAC under the installation's secret key (``ECOSENTINEL_SECRET_KEY``, kept outside the
database), so whoever can write the database cannot recompute the chain after an edit. Anchors (the count
and head hash, MAC'd with the same key) are appended to a file outside the database (``anchor``, run by the
scheduler after every full pass and by ``ecosentinel audit anchor``); ``verify`` checks every anchor is still
in the chain, so deleting the newest entries or every entry is detected too.
Appends are serialised (a process lock, plus a transaction-scoped advisory lock on PostgreSQL) so the chain
never forks. Call ``record`` inside the same transaction as the change it describes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.service import Principal
from ecosentinel.config import get_settings

GENESIS = "0" * 64
_ADVISORY_KEY = 0x65636F61  # "ecoa"
_lock = threading.Lock()


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


HMAC_SCHEME = "hmac-sha256"
LEGACY_SCHEME = "sha256"  # entries written before the chain was keyed


def audit_key() -> bytes:
    """The installation's secret key (settings refuse a weak one outside local use)."""
    return get_settings().secret_key.encode()


def _entry_hash(prev_hash: str, fields: dict[str, Any], scheme: str, key: bytes) -> str:
    payload = (prev_hash + _canonical(fields)).encode()
    if scheme == LEGACY_SCHEME:
        return hashlib.sha256(payload).hexdigest()
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


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
            scheme=HMAC_SCHEME,
        )
        entry.entry_hash = _entry_hash(entry.prev_hash, _fields(entry), HMAC_SCHEME, audit_key())
        session.add(entry)
        session.flush()
        return entry


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    first_bad_id: int | None = None
    reason: str | None = None


def verify(session: Session, *, anchors: Path | None = None, key: bytes | None = None) -> VerifyResult:
    """Walk the chain in id order; report the first entry whose link or MAC does not match, then check that
    every anchor in ``anchors`` (when the file exists) is still in the chain."""
    key = key if key is not None else audit_key()
    prev = GENESIS
    count = 0
    keyed_seen = False
    heads: dict[int, tuple[str, int]] = {}  # entry id -> (hash, position) for the anchor check
    anchored = read_anchors(anchors)
    wanted = {a.head_id for a in anchored}
    for entry in session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).yield_per(1000):
        count += 1
        if entry.prev_hash != prev:
            return VerifyResult(False, count, entry.id, REASON_LINK)
        scheme = entry.scheme or LEGACY_SCHEME
        if scheme == LEGACY_SCHEME and keyed_seen:
            return VerifyResult(False, count, entry.id, REASON_DOWNGRADE)
        keyed_seen = keyed_seen or scheme == HMAC_SCHEME
        if not hmac.compare_digest(_entry_hash(prev, _fields(entry), scheme, key), entry.entry_hash):
            return VerifyResult(False, count, entry.id, REASON_CONTENT)
        if entry.id in wanted:
            heads[entry.id] = (entry.entry_hash, count)
        prev = entry.entry_hash
    for anchor in anchored:
        if not hmac.compare_digest(anchor.mac, _anchor_mac(anchor, key)):
            return VerifyResult(False, count, None, REASON_ANCHOR_FORGED)
        head = heads.get(anchor.head_id)
        if head is None or head[0] != anchor.head_hash or head[1] != anchor.count:
            return VerifyResult(False, count, anchor.head_id, REASON_ANCHOR_MISSING)
    return VerifyResult(True, count)


REASON_LINK = "prev_hash does not match the previous entry"
REASON_CONTENT = "entry content does not match its hash"
REASON_DOWNGRADE = "an unkeyed entry follows keyed ones"
REASON_ANCHOR_FORGED = "an anchor does not match its MAC"
REASON_ANCHOR_MISSING = "an anchored entry is missing or changed (entries deleted)"


@dataclass(frozen=True)
class Anchor:
    """The chain's length and head at one moment, MAC'd, kept outside the database."""

    at: str
    count: int
    head_id: int
    head_hash: str
    mac: str


def _anchor_mac(anchor: Anchor, key: bytes) -> str:
    payload = _canonical(
        {"at": anchor.at, "count": anchor.count, "head_id": anchor.head_id, "head_hash": anchor.head_hash}
    )
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def anchor(session: Session, path: Path, *, key: bytes | None = None) -> Anchor | None:
    """Append the current count and head of the chain to ``path`` (one JSON line, fsynced); None when the
    trail is empty."""
    key = key if key is not None else audit_key()
    head = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).first()
    if head is None:
        return None
    count = int(session.scalar(sa.select(sa.func.count()).where(AuditEntry.id <= head.id)) or 0)
    unsigned = Anchor(
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        count=count,
        head_id=head.id,
        head_hash=head.entry_hash,
        mac="",
    )
    signed = dataclasses.replace(unsigned, mac=_anchor_mac(unsigned, key))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as out:
        out.write(_canonical(dataclasses.asdict(signed)) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return signed


def read_anchors(path: Path | None) -> list[Anchor]:
    """The anchors in ``path`` (none when it does not exist)."""
    if path is None or not path.exists():
        return []
    out: list[Anchor] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            out.append(
                Anchor(
                    at=str(raw["at"]),
                    count=int(raw["count"]),
                    head_id=int(raw["head_id"]),
                    head_hash=str(raw["head_hash"]),
                    mac=str(raw["mac"]),
                )
            )
    return out
