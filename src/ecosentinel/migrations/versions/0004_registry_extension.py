"""Registry extension: devices, filed parameters, permits, O&M agencies, meters, doors, cameras, events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _fk(table: str, column: str, ref: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{ref}.id"], name=f"fk_{table}_{column}_{ref}", ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "om_agency",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("registration_no", sa.String(64)),
        sa.Column("qualification", sa.String(200)),
        sa.Column("contact_person", sa.String(100)),
        sa.Column("contact_phone", sa.String(32)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_om_agency"),
        sa.UniqueConstraint("credit_code", name="uq_om_agency_credit_code"),
    )
    op.create_table(
        "om_staff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_no", sa.String(64), nullable=False),
        sa.Column("qualification", sa.String(200)),
        sa.Column("phone", sa.String(32)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_om_staff"),
        sa.UniqueConstraint("agency_id", "id_no", name="uq_om_staff_agency_id_id_no"),
        _fk("om_staff", "agency_id", "om_agency"),
    )
    op.create_index("ix_om_staff_agency_id", "om_staff", ["agency_id"])
    op.create_table(
        "om_assignment",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.PrimaryKeyConstraint("id", name="pk_om_assignment"),
        _fk("om_assignment", "agency_id", "om_agency"),
        _fk("om_assignment", "point_id", "point"),
    )
    op.create_index("ix_om_assignment_agency_id", "om_assignment", ["agency_id"])
    op.create_index("ix_om_assignment_point_id", "om_assignment", ["point_id"])


def downgrade() -> None:
    for table in ["om_assignment", "om_staff", "om_agency"]:
        op.drop_table(table)
