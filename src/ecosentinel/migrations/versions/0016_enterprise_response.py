"""Enterprises answer their warnings (情况说明) and submit rectification evidence (整改材料).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enf_warning_response",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "warning_id", sa.Integer(), sa.ForeignKey("enf_warning.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("enterprise_id", sa.Integer(), sa.ForeignKey("enterprise.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(255)),
        sa.Column("content_type", sa.String(100)),
        sa.Column("size", sa.BigInteger()),
        sa.Column("sha256", sa.String(64)),
        sa.Column("stored_path", sa.String(500)),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_enf_warning_response_warning_id", "enf_warning_response", ["warning_id"])
    op.create_index("ix_enf_warning_response_enterprise_id", "enf_warning_response", ["enterprise_id"])


def downgrade() -> None:
    op.drop_index("ix_enf_warning_response_enterprise_id", "enf_warning_response")
    op.drop_index("ix_enf_warning_response_warning_id", "enf_warning_response")
    op.drop_table("enf_warning_response")
