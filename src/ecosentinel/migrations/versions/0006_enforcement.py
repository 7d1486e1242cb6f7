"""Enforcement: warnings, patrol reports, tasks, inspections, attachments, cases, penalties and transfers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enf_patrol_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cutoff", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("n_new", sa.Integer(), nullable=False),
        sa.Column("n_red", sa.Integer(), nullable=False),
        sa.Column("n_yellow", sa.Integer(), nullable=False),
        sa.Column("n_green", sa.Integer(), nullable=False),
        sa.Column("warning_ids", sa.Text(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_patrol_report")),
    )
    op.create_index(op.f("ix_enf_patrol_report_cutoff"), "enf_patrol_report", ["cutoff"], unique=False)
    op.create_table(
        "enf_warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("mn", sa.String(length=24), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("colour", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rules", sa.String(length=500), nullable=False),
        sa.Column("summary_zh", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_enf_warning_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_enf_warning_point_id_point"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_warning")),
    )
    op.create_index(op.f("ix_enf_warning_created_at"), "enf_warning", ["created_at"], unique=False)
    op.create_index(op.f("ix_enf_warning_enterprise_id"), "enf_warning", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_enf_warning_mn"), "enf_warning", ["mn"], unique=False)
    op.create_index(op.f("ix_enf_warning_point_id"), "enf_warning", ["point_id"], unique=False)
    op.create_index(op.f("ix_enf_warning_status"), "enf_warning", ["status"], unique=False)
    op.create_table(
        "enf_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=100), nullable=True),
        sa.Column("warning_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_zh", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_enf_task_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_enf_task_point_id_point"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["enf_warning.id"],
            name=op.f("fk_enf_task_warning_id_enf_warning"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_task")),
    )
    op.create_index(op.f("ix_enf_task_enterprise_id"), "enf_task", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_enf_task_source"), "enf_task", ["source"], unique=False)
    op.create_index(op.f("ix_enf_task_status"), "enf_task", ["status"], unique=False)
    op.create_index(op.f("ix_enf_task_warning_id"), "enf_task", ["warning_id"], unique=False)
    op.create_table(
        "enf_warning_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("finding_id", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("factors", sa.String(length=200), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("explanation_zh", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["enf_warning.id"],
            name=op.f("fk_enf_warning_finding_warning_id_enf_warning"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_warning_finding")),
        sa.UniqueConstraint(
            "warning_id", "finding_id", name=op.f("uq_enf_warning_finding_warning_id_finding_id")
        ),
    )
    op.create_index(
        op.f("ix_enf_warning_finding_finding_id"), "enf_warning_finding", ["finding_id"], unique=False
    )
    op.create_index(
        op.f("ix_enf_warning_finding_warning_id"), "enf_warning_finding", ["warning_id"], unique=False
    )
    op.create_table(
        "enf_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("facts_zh", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_enf_case_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["enf_task.id"], name=op.f("fk_enf_case_task_id_enf_task"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_case")),
        sa.UniqueConstraint("number", name=op.f("uq_enf_case_number")),
    )
    op.create_index(op.f("ix_enf_case_enterprise_id"), "enf_case", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_enf_case_status"), "enf_case", ["status"], unique=False)
    op.create_table(
        "enf_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("inspectors", sa.String(length=300), nullable=False),
        sa.Column("prefill", sa.Text(), nullable=False),
        sa.Column("conclusion", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_enf_inspection_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_enf_inspection_point_id_point"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["enf_task.id"], name=op.f("fk_enf_inspection_task_id_enf_task"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_inspection")),
    )
    op.create_index(
        op.f("ix_enf_inspection_enterprise_id"), "enf_inspection", ["enterprise_id"], unique=False
    )
    op.create_index(op.f("ix_enf_inspection_task_id"), "enf_inspection", ["task_id"], unique=False)
    op.create_table(
        "enf_task_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["enf_task.id"],
            name=op.f("fk_enf_task_history_task_id_enf_task"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_task_history")),
    )
    op.create_index(op.f("ix_enf_task_history_task_id"), "enf_task_history", ["task_id"], unique=False)
    op.create_table(
        "enf_task_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("leader", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["enf_task.id"], name=op.f("fk_enf_task_member_task_id_enf_task"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_enf_task_member_user_id_app_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_task_member")),
        sa.UniqueConstraint("task_id", "user_id", name=op.f("uq_enf_task_member_task_id_user_id")),
    )
    op.create_index(op.f("ix_enf_task_member_task_id"), "enf_task_member", ["task_id"], unique=False)
    op.create_index(op.f("ix_enf_task_member_user_id"), "enf_task_member", ["user_id"], unique=False)
    op.create_table(
        "enf_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("item_no", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["enf_inspection.id"],
            name=op.f("fk_enf_attachment_inspection_id_enf_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_attachment")),
    )
    op.create_index(
        op.f("ix_enf_attachment_inspection_id"), "enf_attachment", ["inspection_id"], unique=False
    )
    op.create_index(op.f("ix_enf_attachment_sha256"), "enf_attachment", ["sha256"], unique=False)
    op.create_table(
        "enf_case_inspection",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["enf_case.id"],
            name=op.f("fk_enf_case_inspection_case_id_enf_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["enf_inspection.id"],
            name=op.f("fk_enf_case_inspection_inspection_id_enf_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "inspection_id", name=op.f("pk_enf_case_inspection")),
    )
    op.create_table(
        "enf_case_warning",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["enf_case.id"],
            name=op.f("fk_enf_case_warning_case_id_enf_case"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["enf_warning.id"],
            name=op.f("fk_enf_case_warning_warning_id_enf_warning"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("case_id", "warning_id", name=op.f("pk_enf_case_warning")),
    )
    op.create_table(
        "enf_data_extract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(length=24), nullable=False),
        sa.Column("codes", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finding_id", sa.String(length=40), nullable=True),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("csv_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["enf_case.id"],
            name=op.f("fk_enf_data_extract_case_id_enf_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_data_extract")),
    )
    op.create_index(op.f("ix_enf_data_extract_case_id"), "enf_data_extract", ["case_id"], unique=False)
    op.create_table(
        "enf_evidence_pack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["enf_case.id"],
            name=op.f("fk_enf_evidence_pack_case_id_enf_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_evidence_pack")),
    )
    op.create_index(op.f("ix_enf_evidence_pack_case_id"), "enf_evidence_pack", ["case_id"], unique=False)
    op.create_table(
        "enf_inspection_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["enf_inspection.id"],
            name=op.f("fk_enf_inspection_item_inspection_id_enf_inspection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_inspection_item")),
        sa.UniqueConstraint(
            "inspection_id", "item_no", name=op.f("uq_enf_inspection_item_inspection_id_item_no")
        ),
    )
    op.create_index(
        op.f("ix_enf_inspection_item_inspection_id"), "enf_inspection_item", ["inspection_id"], unique=False
    )
    op.create_table(
        "enf_penalty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("amount_wan", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("decision_no", sa.String(length=100), nullable=True),
        sa.Column("decided_at", sa.Date(), nullable=True),
        sa.Column("ledger_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enf_case.id"], name=op.f("fk_enf_penalty_case_id_enf_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_penalty")),
    )
    op.create_index(op.f("ix_enf_penalty_case_id"), "enf_penalty", ["case_id"], unique=False)
    op.create_table(
        "enf_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("recipient_org", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("letter_no", sa.String(length=100), nullable=False),
        sa.Column("letter_text", sa.Text(), nullable=False),
        sa.Column("investigation_report", sa.Text(), nullable=False),
        sa.Column("site_record", sa.Text(), nullable=False),
        sa.Column("items_list", sa.Text(), nullable=False),
        sa.Column("cc_procuratorate", sa.Boolean(), nullable=False),
        sa.Column("transferred_by", sa.String(length=64), nullable=False),
        sa.Column("transferred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("reply_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enf_case.id"], name=op.f("fk_enf_transfer_case_id_enf_case"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enf_transfer")),
    )
    op.create_index(op.f("ix_enf_transfer_case_id"), "enf_transfer", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_table("enf_transfer")
    op.drop_table("enf_penalty")
    op.drop_table("enf_inspection_item")
    op.drop_table("enf_evidence_pack")
    op.drop_table("enf_data_extract")
    op.drop_table("enf_case_warning")
    op.drop_table("enf_case_inspection")
    op.drop_table("enf_attachment")
    op.drop_table("enf_task_member")
    op.drop_table("enf_task_history")
    op.drop_table("enf_inspection")
    op.drop_table("enf_case")
    op.drop_table("enf_warning_finding")
    op.drop_table("enf_task")
    op.drop_table("enf_warning")
    op.drop_table("enf_patrol_report")
