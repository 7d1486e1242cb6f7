"""Problem ledger, rectification, inspection plans, double-random draws, report forms.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "ledger_problem",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("found_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("category_note", sa.String(200)),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "enterprise_id",
            sa.Integer(),
            sa.ForeignKey(
                "enterprise.id", ondelete="SET NULL", name="fk_ledger_problem_enterprise_id_enterprise"
            ),
        ),
        sa.Column("enterprise_name", sa.String(200), nullable=False),
        sa.Column(
            "point_id",
            sa.Integer(),
            sa.ForeignKey("point.id", ondelete="SET NULL", name="fk_ledger_problem_point_id_point"),
        ),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("source_note", sa.String(200)),
        sa.Column("deadline", sa.Date()),
        sa.Column("rectified_on", sa.Date()),
        sa.Column("rectification_note", sa.Text()),
        sa.Column("task_id", sa.Integer()),
        sa.Column("case_id", sa.Integer()),
        sa.Column("created_by", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_problem"),
    )
    for column in ("found_on", "enterprise_id", "deadline"):
        op.create_index(f"ix_ledger_problem_{column}", "ledger_problem", [column])
    op.create_table(
        "ledger_action",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "problem_id",
            sa.Integer(),
            sa.ForeignKey(
                "ledger_problem.id", ondelete="CASCADE", name="fk_ledger_action_problem_id_ledger_problem"
            ),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("fine_wan", sa.Float()),
        sa.Column("decision_no", sa.String(100)),
        sa.Column("decided_on", sa.Date()),
        sa.Column("public_summary", sa.Text()),
        sa.Column("note", sa.Text()),
        sa.Column("created_by", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_action"),
        sa.UniqueConstraint("problem_id", "kind", name="uq_ledger_action_problem_id_kind"),
    )
    op.create_index("ix_ledger_action_problem_id", "ledger_action", ["problem_id"])
    op.create_table(
        "inspection_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("scope", sa.Text()),
        sa.Column("focus", sa.Text()),
        sa.Column("departments", sa.Text()),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("planned_inspections", sa.Integer()),
        sa.Column("created_by", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_plan"),
    )
    op.create_index("ix_inspection_plan_year", "inspection_plan", ["year"])
    op.create_table(
        "plan_phase",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "plan_id",
            sa.Integer(),
            sa.ForeignKey(
                "inspection_plan.id", ondelete="CASCADE", name="fk_plan_phase_plan_id_inspection_plan"
            ),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text()),
        sa.PrimaryKeyConstraint("id", name="pk_plan_phase"),
        sa.UniqueConstraint("plan_id", "seq", name="uq_plan_phase_plan_id_seq"),
    )
    op.create_index("ix_plan_phase_plan_id", "plan_phase", ["plan_id"])
    op.create_table(
        "positive_list_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "enterprise_id",
            sa.Integer(),
            sa.ForeignKey(
                "enterprise.id", ondelete="CASCADE", name="fk_positive_list_entry_enterprise_id_enterprise"
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date()),
        sa.Column("created_by", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_positive_list_entry"),
    )
    op.create_index("ix_positive_list_entry_enterprise_id", "positive_list_entry", ["enterprise_id"])
    op.create_table(
        "random_draw",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "plan_id",
            sa.Integer(),
            sa.ForeignKey(
                "inspection_plan.id", ondelete="SET NULL", name="fk_random_draw_plan_id_inspection_plan"
            ),
        ),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("drawn_on", sa.Date(), nullable=False),
        _ts("drawn_at"),
        sa.Column("drawn_by", sa.String(64), nullable=False),
        sa.Column("algorithm", sa.String(32), nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("pool_snapshot", sa.Text(), nullable=False),
        sa.Column("snapshot_hash", sa.String(64), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("result_hash", sa.String(64), nullable=False),
        _ts("published_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_random_draw"),
    )
    op.create_index("ix_random_draw_plan_id", "random_draw", ["plan_id"])
    op.create_index("ix_random_draw_drawn_on", "random_draw", ["drawn_on"])
    op.create_table(
        "draw_selection",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "draw_id",
            sa.Integer(),
            sa.ForeignKey("random_draw.id", ondelete="CASCADE", name="fk_draw_selection_draw_id_random_draw"),
            nullable=False,
        ),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_name", sa.String(200), nullable=False),
        sa.Column("task_id", sa.Integer()),
        sa.Column("inspected_on", sa.Date()),
        sa.Column("outcome", sa.Text()),
        sa.Column("problems_found", sa.Integer()),
        sa.PrimaryKeyConstraint("id", name="pk_draw_selection"),
        sa.UniqueConstraint("draw_id", "enterprise_id", name="uq_draw_selection_draw_id_enterprise_id"),
    )
    op.create_index("ix_draw_selection_draw_id", "draw_selection", ["draw_id"])
    op.create_index("ix_draw_selection_enterprise_id", "draw_selection", ["enterprise_id"])
    op.create_table(
        "draw_inspector",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "selection_id",
            sa.Integer(),
            sa.ForeignKey(
                "draw_selection.id", ondelete="CASCADE", name="fk_draw_inspector_selection_id_draw_selection"
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_draw_inspector"),
    )
    op.create_index("ix_draw_inspector_selection_id", "draw_inspector", ["selection_id"])
    op.create_index("ix_draw_inspector_user_id", "draw_inspector", ["user_id"])
    op.create_table(
        "report_contact",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("position", sa.String(100)),
        sa.Column("phone", sa.String(50)),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_report_contact"),
    )


def downgrade() -> None:
    for table in (
        "report_contact",
        "draw_inspector",
        "draw_selection",
        "random_draw",
        "positive_list_entry",
        "plan_phase",
        "inspection_plan",
        "ledger_action",
        "ledger_problem",
    ):
        op.drop_table(table)
