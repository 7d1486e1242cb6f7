"""Public reports (举报) with their files, history, warning links and abuse-limit events; joint-punishment
credit records (联合惩戒).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "public_rate_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_rate_event")),
    )
    op.create_index(
        "ix_public_rate_event_kind_key_at", "public_rate_event", ["kind", "key", "at"], unique=False
    )
    op.create_table(
        "public_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("hotline_ticket", sa.String(length=64), nullable=True),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("point_id", sa.Integer(), nullable=True),
        sa.Column("subject_text", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=True),
        sa.Column("contact_phone", sa.String(length=32), nullable=True),
        sa.Column("client_key", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("ledger_problem_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_public_report_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ledger_problem_id"],
            ["ledger_problem.id"],
            name=op.f("fk_public_report_ledger_problem_id_ledger_problem"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["public_report.id"],
            name=op.f("fk_public_report_merged_into_id_public_report"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name=op.f("fk_public_report_point_id_point"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["enf_task.id"], name=op.f("fk_public_report_task_id_enf_task"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_report")),
        sa.UniqueConstraint("code", name=op.f("uq_public_report_code")),
    )
    op.create_index(op.f("ix_public_report_channel"), "public_report", ["channel"], unique=False)
    op.create_index(op.f("ix_public_report_created_at"), "public_report", ["created_at"], unique=False)
    op.create_index(op.f("ix_public_report_enterprise_id"), "public_report", ["enterprise_id"], unique=False)
    op.create_index(
        op.f("ix_public_report_hotline_ticket"), "public_report", ["hotline_ticket"], unique=False
    )
    op.create_index(op.f("ix_public_report_observed_at"), "public_report", ["observed_at"], unique=False)
    op.create_index(op.f("ix_public_report_status"), "public_report", ["status"], unique=False)
    op.create_index(op.f("ix_public_report_task_id"), "public_report", ["task_id"], unique=False)
    op.create_table(
        "public_report_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("public_text", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["public_report.id"],
            name=op.f("fk_public_report_event_report_id_public_report"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_report_event")),
    )
    op.create_index(
        op.f("ix_public_report_event_report_id"), "public_report_event", ["report_id"], unique=False
    )
    op.create_table(
        "public_report_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_path", sa.String(length=500), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["public_report.id"],
            name=op.f("fk_public_report_file_report_id_public_report"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_report_file")),
    )
    op.create_index(
        op.f("ix_public_report_file_report_id"), "public_report_file", ["report_id"], unique=False
    )
    op.create_table(
        "public_report_warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("matched_findings", sa.Integer(), nullable=False),
        sa.Column("colour_before", sa.String(length=8), nullable=False),
        sa.Column("colour_after", sa.String(length=8), nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["public_report.id"],
            name=op.f("fk_public_report_warning_report_id_public_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["enf_warning.id"],
            name=op.f("fk_public_report_warning_warning_id_enf_warning"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_report_warning")),
        sa.UniqueConstraint(
            "report_id", "warning_id", name=op.f("uq_public_report_warning_report_id_warning_id")
        ),
    )
    op.create_index(
        op.f("ix_public_report_warning_report_id"), "public_report_warning", ["report_id"], unique=False
    )
    op.create_index(
        op.f("ix_public_report_warning_warning_id"), "public_report_warning", ["warning_id"], unique=False
    )
    op.create_table(
        "credit_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("penalty_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column("identifier_type", sa.String(length=16), nullable=False),
        sa.Column("identifier", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=True),
        sa.Column("employer_name", sa.String(length=200), nullable=True),
        sa.Column("decision_no", sa.String(length=100), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("offence", sa.String(length=100), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("penalty_kind", sa.String(length=100), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("fine_wan", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("authority", sa.String(length=200), nullable=False),
        sa.Column("authority_code", sa.String(length=18), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("publicity_start", sa.Date(), nullable=False),
        sa.Column("publicity_end", sa.Date(), nullable=False),
        sa.Column("earliest_withdrawal", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["om_agency.id"],
            name=op.f("fk_credit_record_agency_id_om_agency"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["enf_case.id"], name=op.f("fk_credit_record_case_id_enf_case"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprise.id"],
            name=op.f("fk_credit_record_enterprise_id_enterprise"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["penalty_id"],
            ["enf_penalty.id"],
            name=op.f("fk_credit_record_penalty_id_enf_penalty"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_record")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_record_number")),
        sa.UniqueConstraint(
            "penalty_id",
            "subject_kind",
            "identifier",
            name=op.f("uq_credit_record_penalty_id_subject_kind_identifier"),
        ),
    )
    op.create_index(op.f("ix_credit_record_agency_id"), "credit_record", ["agency_id"], unique=False)
    op.create_index(op.f("ix_credit_record_case_id"), "credit_record", ["case_id"], unique=False)
    op.create_index(op.f("ix_credit_record_decided_on"), "credit_record", ["decided_on"], unique=False)
    op.create_index(op.f("ix_credit_record_enterprise_id"), "credit_record", ["enterprise_id"], unique=False)
    op.create_index(op.f("ix_credit_record_penalty_id"), "credit_record", ["penalty_id"], unique=False)
    op.create_index(op.f("ix_credit_record_publicity_end"), "credit_record", ["publicity_end"], unique=False)
    op.create_index(
        op.f("ix_credit_record_publicity_start"), "credit_record", ["publicity_start"], unique=False
    )
    op.create_index(op.f("ix_credit_record_subject_kind"), "credit_record", ["subject_kind"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_credit_record_subject_kind"), table_name="credit_record")
    op.drop_index(op.f("ix_credit_record_publicity_start"), table_name="credit_record")
    op.drop_index(op.f("ix_credit_record_publicity_end"), table_name="credit_record")
    op.drop_index(op.f("ix_credit_record_penalty_id"), table_name="credit_record")
    op.drop_index(op.f("ix_credit_record_enterprise_id"), table_name="credit_record")
    op.drop_index(op.f("ix_credit_record_decided_on"), table_name="credit_record")
    op.drop_index(op.f("ix_credit_record_case_id"), table_name="credit_record")
    op.drop_index(op.f("ix_credit_record_agency_id"), table_name="credit_record")
    op.drop_table("credit_record")
    op.drop_index(op.f("ix_public_report_warning_warning_id"), table_name="public_report_warning")
    op.drop_index(op.f("ix_public_report_warning_report_id"), table_name="public_report_warning")
    op.drop_table("public_report_warning")
    op.drop_index(op.f("ix_public_report_file_report_id"), table_name="public_report_file")
    op.drop_table("public_report_file")
    op.drop_index(op.f("ix_public_report_event_report_id"), table_name="public_report_event")
    op.drop_table("public_report_event")
    op.drop_index(op.f("ix_public_report_task_id"), table_name="public_report")
    op.drop_index(op.f("ix_public_report_status"), table_name="public_report")
    op.drop_index(op.f("ix_public_report_observed_at"), table_name="public_report")
    op.drop_index(op.f("ix_public_report_hotline_ticket"), table_name="public_report")
    op.drop_index(op.f("ix_public_report_enterprise_id"), table_name="public_report")
    op.drop_index(op.f("ix_public_report_created_at"), table_name="public_report")
    op.drop_index(op.f("ix_public_report_channel"), table_name="public_report")
    op.drop_table("public_report")
    op.drop_index("ix_public_rate_event_kind_key_at", table_name="public_rate_event")
    op.drop_table("public_rate_event")
