"""Persisted screening findings, screening runs, per-point watermarks and point/enterprise-day scores.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _run_fk(table: str, column: str) -> sa.Column[int]:
    return sa.Column(
        column,
        sa.Integer(),
        sa.ForeignKey("screening_run.id", ondelete="SET NULL", name=f"fk_{table}_{column}_screening_run"),
    )


def upgrade() -> None:
    op.create_table(
        "screening_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("triggered_by", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("window_start", sa.DateTime(timezone=True)),
        sa.Column("window_end", sa.DateTime(timezone=True)),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("points_done", sa.Integer(), nullable=False),
        sa.Column("readings", sa.BigInteger(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("new_findings", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_screening_run"),
    )
    op.create_index("ix_screening_run_status", "screening_run", ["status"])
    op.create_index("ix_screening_run_started_at", "screening_run", ["started_at"])

    op.create_table(
        "screening_finding",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(40), nullable=False),
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("enterprise_id", sa.Integer()),
        sa.Column("rule", sa.String(64), nullable=False),
        sa.Column("factors", sa.String(200), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("severity", sa.String(8), nullable=False),
        sa.Column("severity_rank", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("title_zh", sa.String(200), nullable=False),
        sa.Column("explanation_zh", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        _run_fk("screening_finding", "first_run_id"),
        _run_fk("screening_finding", "run_id"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_screening_finding"),
        sa.UniqueConstraint("fingerprint", name="uq_screening_finding_fingerprint"),
    )
    op.create_index("ix_screening_finding_mn_start", "screening_finding", ["mn", "start"])
    op.create_index("ix_screening_finding_enterprise_id", "screening_finding", ["enterprise_id"])
    op.create_index("ix_screening_finding_rule", "screening_finding", ["rule"])
    op.create_index("ix_screening_finding_start", "screening_finding", ["start"])
    op.create_index("ix_screening_finding_first_run_id", "screening_finding", ["first_run_id"])

    op.create_table(
        "screening_point_state",
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("screened_until", sa.DateTime(timezone=True), nullable=False),
        _run_fk("screening_point_state", "run_id"),
        sa.PrimaryKeyConstraint("mn", name="pk_screening_point_state"),
    )

    op.create_table(
        "point_day_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("enterprise_id", sa.Integer()),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("colour", sa.String(8), nullable=False),
        sa.Column("n_findings", sa.Integer(), nullable=False),
        sa.Column("rules", sa.String(500), nullable=False),
        _run_fk("point_day_score", "run_id"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_point_day_score"),
        sa.UniqueConstraint("mn", "day", name="uq_point_day_score_mn_day"),
    )
    op.create_index("ix_point_day_score_enterprise_id", "point_day_score", ["enterprise_id"])
    op.create_index("ix_point_day_score_day", "point_day_score", ["day"])

    op.create_table(
        "enterprise_day_score",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("colour", sa.String(8), nullable=False),
        sa.Column("n_findings", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        _run_fk("enterprise_day_score", "run_id"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enterprise_day_score"),
        sa.UniqueConstraint("enterprise_id", "day", name="uq_enterprise_day_score_enterprise_id_day"),
    )
    op.create_index("ix_enterprise_day_score_day", "enterprise_day_score", ["day"])


def downgrade() -> None:
    op.drop_table("enterprise_day_score")
    op.drop_table("point_day_score")
    op.drop_table("screening_point_state")
    op.drop_table("screening_finding")
    op.drop_table("screening_run")
