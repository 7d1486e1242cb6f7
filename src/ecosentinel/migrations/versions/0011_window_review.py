"""Maintenance windows declared by enterprises and O&M agencies wait for an analyst's review.

Existing windows stay approved (they were accepted before the review step existed).

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
    with op.batch_alter_table("maintenance_window") as batch:
        batch.add_column(sa.Column("status", sa.String(16), nullable=False, server_default="approved"))
        batch.add_column(sa.Column("reviewed_by", sa.String(64)))
        batch.add_column(sa.Column("reviewed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("review_note", sa.String(500)))


def downgrade() -> None:
    with op.batch_alter_table("maintenance_window") as batch:
        batch.drop_column("review_note")
        batch.drop_column("reviewed_at")
        batch.drop_column("reviewed_by")
        batch.drop_column("status")
