"""The audit trail is hash-chained: verify passes on an intact log and finds the first tampered entry."""

from __future__ import annotations

import itertools

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.audit.service import GENESIS, record, verify
from ecosentinel.auth.service import SYSTEM


def _write(db: Session, n: int) -> None:
    for i in range(n):
        record(
            db,
            SYSTEM,
            "update",
            "warning",
            i,
            f"预警 {i} 状态变更",
            {"from": "new", "to": "review"},
            ip="10.0.0.1",
        )
    db.commit()


def test_chain_links_every_entry(db_session: Session) -> None:
    _write(db_session, 5)
    entries = list(db_session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    assert entries[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    result = verify(db_session)
    assert result.ok
    assert result.entries == 5


def test_changed_entry_is_detected(db_session: Session) -> None:
    _write(db_session, 4)
    third = db_session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id).offset(2).limit(1)).one()
    db_session.execute(sa.update(AuditEntry).where(AuditEntry.id == third.id).values(summary="已篡改"))
    db_session.commit()
    db_session.expire_all()
    result = verify(db_session)
    assert not result.ok
    assert result.first_bad_id == third.id


def test_deleted_entry_is_detected(db_session: Session) -> None:
    _write(db_session, 4)
    second = db_session.scalars(sa.select(AuditEntry.id).order_by(AuditEntry.id).offset(1).limit(1)).one()
    db_session.execute(sa.delete(AuditEntry).where(AuditEntry.id == second))
    db_session.commit()
    result = verify(db_session)
    assert not result.ok
    assert result.first_bad_id == second + 1
