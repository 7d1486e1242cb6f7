"""Every point-day score and warning keeps the evidence that set its colour (evidence fusion).

Columns are added and dropped with plain ALTER TABLE on both backends (SQLite ≥ 3.35 has DROP COLUMN; none of
these columns is indexed or constrained). ``batch_alter_table`` is not used: on SQLite it recreates the table,
and dropping the old copy while ``PRAGMA foreign_keys=ON`` (always on here) cascades to the rows that refer to
it: every finding, outcome and case link of ``enf_warning`` (see 0013).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("point_day_score", sa.Column("basis", sa.String(32), nullable=False, server_default=""))
    op.add_column("point_day_score", sa.Column("basis_zh", sa.Text(), nullable=False, server_default=""))
    op.add_column("enf_warning", sa.Column("basis_zh", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("enf_warning", "basis_zh")
    op.drop_column("point_day_score", "basis_zh")
    op.drop_column("point_day_score", "basis")
