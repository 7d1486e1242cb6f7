"""Hardening: login throttling (failures per account and address) and the keyed audit chain's scheme.

Entries written before this revision keep plain SHA-256 (``scheme`` = sha256); new ones are HMAC-SHA-256
under the installation's secret key.

Columns are added and dropped with plain ALTER TABLE on both backends (SQLite ≥ 3.35 has DROP COLUMN; none of
these columns is indexed or constrained). ``batch_alter_table`` is not used: on SQLite it recreates the table,
and dropping the old copy while ``PRAGMA foreign_keys=ON`` (always on here) cascades to any rows that refer to
it (see 0013).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auth_login_failure",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("ip", sa.String(64)),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_login_failure"),
    )
    op.create_index("ix_auth_login_failure_username", "auth_login_failure", ["username"])
    op.create_index("ix_auth_login_failure_ip", "auth_login_failure", ["ip"])
    op.create_index("ix_auth_login_failure_at", "auth_login_failure", ["at"])
    op.add_column("audit_entry", sa.Column("scheme", sa.String(16), nullable=False, server_default="sha256"))


def downgrade() -> None:
    op.drop_column("audit_entry", "scheme")
    op.drop_index("ix_auth_login_failure_at", table_name="auth_login_failure")
    op.drop_index("ix_auth_login_failure_ip", table_name="auth_login_failure")
    op.drop_index("ix_auth_login_failure_username", table_name="auth_login_failure")
    op.drop_table("auth_login_failure")
