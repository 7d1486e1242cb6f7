"""Every point-day score and warning keeps the evidence that set its colour (evidence fusion).

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
    with op.batch_alter_table("point_day_score") as batch:
        batch.add_column(sa.Column("basis", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("basis_zh", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("enf_warning") as batch:
        batch.add_column(sa.Column("basis_zh", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("enf_warning") as batch:
        batch.drop_column("basis_zh")
    with op.batch_alter_table("point_day_score") as batch:
        batch.drop_column("basis_zh")
        batch.drop_column("basis")
