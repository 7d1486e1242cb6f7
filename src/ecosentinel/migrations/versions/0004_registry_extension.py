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

    op.add_column("enterprise", sa.Column("key_category", sa.String(16)))
    op.create_table(
        "outlet",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("enterprise_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("point_id", sa.Integer),
        sa.PrimaryKeyConstraint("id", name="pk_outlet"),
        sa.UniqueConstraint("enterprise_id", "code", name="uq_outlet_enterprise_id_code"),
        sa.UniqueConstraint("point_id", name="uq_outlet_point_id"),
        _fk("outlet", "enterprise_id", "enterprise"),
        _fk("outlet", "point_id", "point", "SET NULL"),
    )
    op.create_index("ix_outlet_enterprise_id", "outlet", ["enterprise_id"])
    op.create_table(
        "device",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("serial_no", sa.String(64), nullable=False),
        sa.Column("model", sa.String(100)),
        sa.Column("manufacturer", sa.String(200)),
        sa.Column("certification_no", sa.String(100)),
        sa.Column("install_date", sa.Date),
        sa.Column("factor_codes", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_device"),
        sa.UniqueConstraint("serial_no", name="uq_device_serial_no"),
        _fk("device", "point_id", "point"),
    )
    op.create_index("ix_device_point_id", "device", ["point_id"])
    op.create_table(
        "filed_parameter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("device_id", sa.Integer, nullable=False),
        sa.Column("pol_id", sa.String(16), nullable=False),
        sa.Column("info_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(32)),
        sa.Column("effective_from", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_filed_parameter"),
        sa.UniqueConstraint(
            "device_id",
            "pol_id",
            "info_id",
            "effective_from",
            name="uq_filed_parameter_device_id_pol_id_info_id_effective_from",
        ),
        _fk("filed_parameter", "device_id", "device"),
    )
    op.create_index("ix_filed_parameter_device_id", "filed_parameter", ["device_id"])
    op.create_table(
        "permit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("enterprise_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.Date),
        sa.Column("valid_to", sa.Date),
        sa.Column("issuer", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_permit"),
        sa.UniqueConstraint("number", name="uq_permit_number"),
        _fk("permit", "enterprise_id", "enterprise"),
    )
    op.create_index("ix_permit_enterprise_id", "permit", ["enterprise_id"])
    op.create_table(
        "permit_requirement",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("permit_id", sa.Integer, nullable=False),
        sa.Column("outlet_code", sa.String(32), nullable=False),
        sa.Column("factor_code", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_permit_requirement"),
        sa.UniqueConstraint(
            "permit_id",
            "outlet_code",
            "factor_code",
            name="uq_permit_requirement_permit_id_outlet_code_factor_code",
        ),
        _fk("permit_requirement", "permit_id", "permit"),
    )
    op.create_index("ix_permit_requirement_permit_id", "permit_requirement", ["permit_id"])
    op.create_table(
        "meter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("facility_type", sa.String(16), nullable=False),
        sa.Column("facility_name", sa.String(200)),
        sa.Column("unit", sa.String(16)),
        sa.Column("running_threshold", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_meter"),
        sa.UniqueConstraint("code", name="uq_meter_code"),
        _fk("meter", "point_id", "point"),
    )
    op.create_index("ix_meter_point_id", "meter", ["point_id"])
    for table, extra in (("camera", [sa.Column("location", sa.String(200))]), ("door", [])):
        op.create_table(
            table,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("code", sa.String(64), nullable=False),
            sa.Column("point_id", sa.Integer, nullable=False),
            sa.Column("name", sa.String(200)),
            *extra,
            sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
            sa.UniqueConstraint("code", name=f"uq_{table}_code"),
            _fk(table, "point_id", "point"),
        )
        op.create_index(f"ix_{table}_point_id", table, ["point_id"])
    op.create_table(
        "station_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("device_code", sa.String(64), nullable=False),
        sa.Column("detail", sa.String(500)),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_station_event"),
        sa.UniqueConstraint(
            "mn", "time", "type", "device_code", name="uq_station_event_mn_time_type_device_code"
        ),
    )
    op.create_index("ix_station_event_mn", "station_event", ["mn"])
    op.create_table(
        "maintenance_window",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(500)),
        sa.Column("created_by", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_window"),
    )
    op.create_index("ix_maintenance_window_mn", "maintenance_window", ["mn"])
    op.create_table(
        "parameter_upload",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pol_id", sa.String(16), nullable=False),
        sa.Column("info_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100)),
        sa.Column("value", sa.String(200)),
        sa.Column("source_packet", sa.Text),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parameter_upload"),
        sa.UniqueConstraint(
            "mn", "time", "pol_id", "info_id", name="uq_parameter_upload_mn_time_pol_id_info_id"
        ),
    )
    op.create_table(
        "standard_check",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("factor_code", sa.String(16), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("standard_value", sa.Float, nullable=False),
        sa.Column("measured_value", sa.Float, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_standard_check"),
        sa.UniqueConstraint("mn", "factor_code", "time", name="uq_standard_check_mn_factor_code_time"),
    )
    op.create_table(
        "comparison_test",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("factor_code", sa.String(16), nullable=False),
        sa.Column("tested_on", sa.Date, nullable=False),
        sa.Column("manual_value", sa.Float, nullable=False),
        sa.Column("online_value", sa.Float, nullable=False),
        sa.Column("unit", sa.String(32)),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("error", sa.Float, nullable=False),
        sa.Column("error_kind", sa.String(16), nullable=False),
        sa.Column("allowed", sa.Float, nullable=False),
        sa.Column("basis", sa.String(200), nullable=False),
        sa.Column("tester", sa.String(200)),
        sa.Column("created_by", sa.String(64)),
        sa.PrimaryKeyConstraint("id", name="pk_comparison_test"),
        _fk("comparison_test", "point_id", "point"),
    )
    op.create_index("ix_comparison_test_point_id", "comparison_test", ["point_id"])


def downgrade() -> None:
    for table in [
        "comparison_test",
        "standard_check",
        "parameter_upload",
        "maintenance_window",
        "station_event",
        "door",
        "camera",
        "meter",
        "permit_requirement",
        "permit",
        "filed_parameter",
        "device",
        "outlet",
        "om_assignment",
        "om_staff",
        "om_agency",
    ]:
        op.drop_table(table)
    op.drop_column("enterprise", "key_category")
