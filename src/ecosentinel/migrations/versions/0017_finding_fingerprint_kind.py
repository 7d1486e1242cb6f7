"""A finding's upsert key includes the rule's test (evidence ``kind``).

Two tests of one rule can open on the same hour (R12's month test and its ceiling window over the same
pile; R09's gap and the pattern placed on that gap). Keyed on point, rule, start and factors only, the one
saved last replaced the other. Every stored finding is re-keyed with the new formula
(``screening.service.fingerprint``, copied here as it stands at this revision so that the migration keeps
its meaning when the service changes), and so are the references that hold a finding's key: the findings
attached to warnings (``enf_warning_finding.finding_id``) and the evidence extracts made from a finding
(``enf_data_extract.finding_id``). On downgrade the old formula comes back; two findings stored after the
upgrade can then share an old key: the one updated last is kept, the others deleted (as the old key
allowed one), and a warning that held both keeps one attachment.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 1000

findings = sa.table(
    "screening_finding",
    sa.column("id", sa.Integer),
    sa.column("fingerprint", sa.String),
    sa.column("mn", sa.String),
    sa.column("rule", sa.String),
    sa.column("start", sa.DateTime(timezone=True)),
    sa.column("factors", sa.JSON),
    sa.column("evidence", sa.Text),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _base(row: Any) -> str:
    factors = ",".join(sorted(row.factors or []))
    return f"{row.mn}|{row.rule}|{_utc(row.start).isoformat()}|{factors}"


def new_key(row: Any) -> str:
    """Point, rule, start, factors and the test (evidence ``kind``, ``default`` when absent)."""
    try:
        evidence = json.loads(row.evidence or "{}")
    except ValueError:
        evidence = {}
    kind = evidence.get("kind", "default") if isinstance(evidence, dict) else "default"
    return hashlib.sha1(f"{_base(row)}|{kind}".encode()).hexdigest()


def old_key(row: Any) -> str:
    return hashlib.sha1(_base(row).encode()).hexdigest()


def _rekey(key: Callable[[Any], str], *, keep_one: bool) -> dict[str, str]:
    """Re-key every finding; returns {current key: new key} of the rows whose key changed."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(findings).order_by(findings.c.updated_at.desc(), findings.c.id.desc())
    ).all()
    seen: set[str] = set()
    moved: dict[str, str] = {}
    changes: list[dict[str, Any]] = []
    duplicates: list[int] = []
    for row in rows:
        new = key(row)
        if new != row.fingerprint:
            moved[row.fingerprint] = new
        if new in seen and keep_one:
            duplicates.append(row.id)
            continue
        seen.add(new)
        if new != row.fingerprint:
            changes.append({"row_id": row.id, "new": new})
    for i in range(0, len(duplicates), CHUNK):
        connection.execute(sa.delete(findings).where(findings.c.id.in_(duplicates[i : i + CHUNK])))
    _update_unique(findings, "fingerprint", changes)
    return moved


def _update_unique(table: sa.TableClause, column: str, changes: list[dict[str, Any]]) -> None:
    """``_update`` of a column under a unique constraint: in two passes through a temporary value, as a
    row's new value may be another row's current one."""
    _update(table, column, [{"row_id": c["row_id"], "new": f"~{c['row_id']}"} for c in changes])
    _update(table, column, changes)


def _update(table: sa.TableClause, column: str, changes: list[dict[str, Any]]) -> None:
    update = (
        sa.update(table).where(table.c.id == sa.bindparam("row_id")).values({column: sa.bindparam("new")})
    )
    connection = op.get_bind()
    for i in range(0, len(changes), CHUNK):
        connection.execute(update, changes[i : i + CHUNK])


def _references(moved: dict[str, str]) -> None:
    """Point every stored reference to a finding at its new key."""
    connection = op.get_bind()
    attached = sa.table(
        "enf_warning_finding",
        sa.column("id", sa.Integer),
        sa.column("warning_id", sa.Integer),
        sa.column("finding_id", sa.String),
    )
    extracts = sa.table("enf_data_extract", sa.column("id", sa.Integer), sa.column("finding_id", sa.String))
    rows = connection.execute(sa.select(attached).order_by(attached.c.id)).all()
    held: set[tuple[int, str]] = {(r.warning_id, r.finding_id) for r in rows if r.finding_id not in moved}
    changes, dropped = [], []
    for r in rows:
        if r.finding_id not in moved:
            continue
        pair = (r.warning_id, moved[r.finding_id])
        if pair in held:  # (downgrade) both tests of one rule were attached to this warning
            dropped.append(r.id)
            continue
        held.add(pair)
        changes.append({"row_id": r.id, "new": pair[1]})
    for i in range(0, len(dropped), CHUNK):
        connection.execute(sa.delete(attached).where(attached.c.id.in_(dropped[i : i + CHUNK])))
    _update_unique(attached, "finding_id", changes)
    made = connection.execute(sa.select(extracts).where(extracts.c.finding_id.is_not(None))).all()
    _update(
        extracts,
        "finding_id",
        [{"row_id": r.id, "new": moved[r.finding_id]} for r in made if r.finding_id in moved],
    )


def upgrade() -> None:
    _references(_rekey(new_key, keep_one=False))


def downgrade() -> None:
    _references(_rekey(old_key, keep_one=True))
