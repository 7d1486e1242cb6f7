"""O&M records, assessments and ratings; enterprise evaluations.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def _fk(table: str, column: str, ref: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{ref}.id"], name=f"fk_{table}_{column}_{ref}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "om_record",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("agency_id", sa.Integer),
        sa.Column("staff_id", sa.Integer),
        sa.Column("staff_name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("ended_at", _TS, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("part_name", sa.String(200)),
        sa.Column("part_model", sa.String(200)),
        sa.Column("factor_code", sa.String(16)),
        sa.Column("standard_value", sa.Float),
        sa.Column("measured_value", sa.Float),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_by_user_id", sa.Integer),
        sa.Column("updated_at", _TS),
        sa.PrimaryKeyConstraint("id", name="pk_om_record"),
        _fk("om_record", "point_id", "point", "CASCADE"),
        _fk("om_record", "agency_id", "om_agency", "SET NULL"),
        _fk("om_record", "staff_id", "om_staff", "SET NULL"),
    )
    op.create_index("ix_om_record_agency_id", "om_record", ["agency_id"])
    op.create_index("ix_om_record_point_id_started_at", "om_record", ["point_id", "started_at"])

    op.create_table(
        "om_fault",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("agency_id", sa.Integer),
        sa.Column("device", sa.String(200)),
        sa.Column("occurred_at", _TS, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("repaired_at", _TS),
        sa.Column("repair_note", sa.Text),
        sa.Column("record_id", sa.Integer),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_om_fault"),
        _fk("om_fault", "point_id", "point", "CASCADE"),
        _fk("om_fault", "agency_id", "om_agency", "SET NULL"),
        _fk("om_fault", "record_id", "om_record", "SET NULL"),
    )
    op.create_index("ix_om_fault_point_id", "om_fault", ["point_id"])

    op.create_table(
        "om_spare_part",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("agency_id", sa.Integer),
        sa.Column("part_name", sa.String(200), nullable=False),
        sa.Column("part_model", sa.String(200)),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("record_id", sa.Integer),
        sa.Column("note", sa.Text),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_om_spare_part"),
        _fk("om_spare_part", "point_id", "point", "CASCADE"),
        _fk("om_spare_part", "agency_id", "om_agency", "SET NULL"),
        _fk("om_spare_part", "record_id", "om_record", "SET NULL"),
    )
    op.create_index("ix_om_spare_part_point_id", "om_spare_part", ["point_id"])

    op.create_table(
        "om_violation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("staff_id", sa.Integer),
        sa.Column("point_id", sa.Integer),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("confirmed_at", _TS, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("reference", sa.String(100)),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_om_violation"),
        _fk("om_violation", "agency_id", "om_agency", "CASCADE"),
        _fk("om_violation", "staff_id", "om_staff", "SET NULL"),
        _fk("om_violation", "point_id", "point", "SET NULL"),
    )
    op.create_index("ix_om_violation_agency_id", "om_violation", ["agency_id"])

    op.create_table(
        "om_assessment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("quarter", sa.String(8), nullable=False),
        *(
            sa.Column(name, sa.Integer, nullable=False)
            for name in (
                "points",
                "expected_hours",
                "received_hours",
                "valid_hours",
                "records",
                "timely_records",
                "comparison_tests",
                "comparison_passed",
                "findings",
            )
        ),
        sa.Column("transmission_rate", sa.Float),
        sa.Column("valid_rate", sa.Float),
        sa.Column("timeliness_rate", sa.Float),
        sa.Column("comparison_rate", sa.Float),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("grade", sa.String(1), nullable=False),
        sa.Column("veto", sa.Boolean, nullable=False),
        sa.Column("veto_reason", sa.Text),
        sa.Column("rank", sa.Integer),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("published_at", _TS),
        sa.Column("computed_at", _TS, nullable=False),
        sa.Column("computed_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_om_assessment"),
        sa.UniqueConstraint("agency_id", "quarter", name="uq_om_assessment_agency_id_quarter"),
        _fk("om_assessment", "agency_id", "om_agency", "CASCADE"),
    )
    op.create_index("ix_om_assessment_quarter", "om_assessment", ["quarter"])

    op.create_table(
        "enterprise_evaluation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, nullable=False),
        sa.Column("period", sa.String(8), nullable=False),
        *(
            sa.Column(name, sa.Float, nullable=False)
            for name in (
                "installation",
                "networking",
                "operation",
                "data_quality",
                "findings_score",
                "penalties_score",
                "score",
            )
        ),
        sa.Column("grade", sa.String(16), nullable=False),
        sa.Column("colour", sa.String(8), nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("penalties", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("published_at", _TS),
        sa.Column("computed_at", _TS, nullable=False),
        sa.Column("computed_by", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enterprise_evaluation"),
        sa.UniqueConstraint("enterprise_id", "period", name="uq_enterprise_evaluation_enterprise_id_period"),
        _fk("enterprise_evaluation", "enterprise_id", "enterprise", "CASCADE"),
    )
    op.create_index("ix_enterprise_evaluation_period", "enterprise_evaluation", ["period"])


def downgrade() -> None:
    op.drop_table("enterprise_evaluation")
    op.drop_table("om_assessment")
    op.drop_table("om_violation")
    op.drop_table("om_spare_part")
    op.drop_table("om_fault")
    op.drop_table("om_record")
