"""Hardening: login throttling (failures per account and address) and the keyed audit chain's scheme.

Entries written before this revision keep plain SHA-256 (``scheme`` = sha256); new ones are HMAC-SHA-256
under the installation's secret key.

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
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("scheme", sa.String(16), nullable=False, server_default="sha256"))


def downgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("scheme")
    op.drop_index("ix_auth_login_failure_at", table_name="auth_login_failure")
    op.drop_index("ix_auth_login_failure_ip", table_name="auth_login_failure")
    op.drop_index("ix_auth_login_failure_username", table_name="auth_login_failure")
    op.drop_table("auth_login_failure")
