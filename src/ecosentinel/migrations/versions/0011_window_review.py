"""Maintenance windows declared by enterprises and O&M agencies wait for an analyst's review.

Existing windows stay approved (they were accepted before the review step existed).

Columns are added and dropped with plain ALTER TABLE on both backends (SQLite ≥ 3.35 has DROP COLUMN; none of
these columns is indexed or constrained). ``batch_alter_table`` is not used: on SQLite it recreates the table,
and dropping the old copy while ``PRAGMA foreign_keys=ON`` (always on here) cascades to any rows that refer to
it (see 0013).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "maintenance_window", sa.Column("status", sa.String(16), nullable=False, server_default="approved")
    )
    op.add_column("maintenance_window", sa.Column("reviewed_by", sa.String(64)))
    op.add_column("maintenance_window", sa.Column("reviewed_at", sa.DateTime(timezone=True)))
    op.add_column("maintenance_window", sa.Column("review_note", sa.String(500)))


def downgrade() -> None:
    for column in ("review_note", "reviewed_at", "reviewed_by", "status"):
        op.drop_column("maintenance_window", column)
