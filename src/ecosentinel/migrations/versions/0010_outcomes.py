"""Learning from outcomes: the outcome of each warning and reviewed rule adjustments.

Warnings dismissed before this revision get an outcome row with category ``other`` (their free-text reason
kept), so they are on record but do not count for or against any rule.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enf_warning_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["enf_inspection.id"],
            name=op.f("fk_enf_warning_outcome_inspection_id_enf_inspection"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["enf_warning.id"],
            name=op.f("fk_enf_warning_outcome_warning_id_enf_warning"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_warning_outcome")),
    )
    op.create_index(
        op.f("ix_enf_warning_outcome_inspection_id"), "enf_warning_outcome", ["inspection_id"], unique=False
    )
    op.create_index(op.f("ix_enf_warning_outcome_result"), "enf_warning_outcome", ["result"], unique=False)
    op.create_index(
        op.f("ix_enf_warning_outcome_warning_id"), "enf_warning_outcome", ["warning_id"], unique=True
    )
    op.create_table(
        "rule_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(length=24), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("basis_confirmed", sa.Integer(), nullable=False),
        sa.Column("basis_not_confirmed", sa.Integer(), nullable=False),
        sa.Column("basis_excluded", sa.Integer(), nullable=False),
        sa.Column("basis_reliability", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_rule_adjustment_point_id_point"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_adjustment")),
    )
    op.create_index(op.f("ix_rule_adjustment_mn"), "rule_adjustment", ["mn"], unique=False)
    op.create_index(op.f("ix_rule_adjustment_point_id"), "rule_adjustment", ["point_id"], unique=False)
    op.create_index(op.f("ix_rule_adjustment_status"), "rule_adjustment", ["status"], unique=False)
    # warnings dismissed before outcomes existed: on record, counted for no rule (category "other")
    op.execute(
        sa.text(
            "INSERT INTO enf_warning_outcome "
            "(warning_id, result, category, reason, step, recorded_by, recorded_at) "
            "SELECT id, 'dismissed', 'other', COALESCE(dismiss_reason, ''), 'triage', "
            "COALESCE(reviewed_by, 'system'), updated_at FROM enf_warning WHERE status = 'dismissed'"
        )
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_rule_adjustment_status"), table_name="rule_adjustment")
    op.drop_index(op.f("ix_rule_adjustment_point_id"), table_name="rule_adjustment")
    op.drop_index(op.f("ix_rule_adjustment_mn"), table_name="rule_adjustment")
    op.drop_table("rule_adjustment")
    op.drop_index(op.f("ix_enf_warning_outcome_warning_id"), table_name="enf_warning_outcome")
    op.drop_index(op.f("ix_enf_warning_outcome_result"), table_name="enf_warning_outcome")
    op.drop_index(op.f("ix_enf_warning_outcome_inspection_id"), table_name="enf_warning_outcome")
    op.drop_table("enf_warning_outcome")
