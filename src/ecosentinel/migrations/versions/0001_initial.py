"""Initial schema: registry (enterprise, point, factor) and measurement tables (ms_*).

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "enterprise",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False),
        sa.Column("industry", sa.String(100)),
        sa.Column("address", sa.String(300)),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enterprise"),
        sa.UniqueConstraint("credit_code", name="uq_enterprise_credit_code"),
    )
    op.create_table(
        "point",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mn", sa.String(24), nullable=False),
        sa.Column("pw", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("enterprise_id", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("ref_o2", sa.Float),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_point"),
        sa.UniqueConstraint("mn", name="uq_point_mn"),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprise.id"], name="fk_point_enterprise_id_enterprise", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_point_enterprise_id", "point", ["enterprise_id"])
    op.create_table(
        "factor",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("point_id", sa.Integer, nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(32)),
        sa.Column("limit_high", sa.Float),
        sa.Column("limit_low", sa.Float),
        sa.Column("range_max", sa.Float),
        sa.Column("detection_limit", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_factor"),
        sa.UniqueConstraint("point_id", "code", name="uq_factor_point_id_code"),
        sa.ForeignKeyConstraint(
            ["point_id"], ["point.id"], name="fk_factor_point_id_point", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_factor_point_id", "factor", ["point_id"])

    op.create_table(
        "ms_station",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("mn", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ms_station"),
        sa.UniqueConstraint("mn", name="uq_ms_station_mn"),
    )
    op.create_table(
        "ms_code",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ms_code"),
        sa.UniqueConstraint("code", name="uq_ms_code_code"),
    )
    op.create_table(
        "ms_reading",
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("code_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("source", sa.SmallInteger, nullable=False),
        sa.Column("t", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("vmin", sa.Float),
        sa.Column("vmax", sa.Float),
        sa.Column("cou", sa.Float),
        sa.Column("zs", sa.Float),
        sa.Column("flag", sa.String(2), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "kind", "t", "code_id", "source", name="pk_ms_reading"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ms_series",
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("code_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("source", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint("station_id", "code_id", "kind", "source", name="pk_ms_series"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "ms_raw_packet",
        sa.Column("id", _BIGINT_ID, nullable=False),
        sa.Column("station_id", sa.Integer, nullable=False),
        sa.Column("t", sa.BigInteger, nullable=False),
        sa.Column("cn", sa.String(8), nullable=False),
        sa.Column("qn", sa.String(32)),
        sa.Column("data_time_us", sa.BigInteger),
        sa.Column("received_at_us", sa.BigInteger, nullable=False),
        sa.Column("peer", sa.String(128), nullable=False),
        sa.Column("digest", sa.LargeBinary(16), nullable=False),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ms_raw_packet"),
    )
    op.create_index(
        "ix_ms_raw_packet_station_id_t_digest", "ms_raw_packet", ["station_id", "t", "digest"], unique=True
    )
    op.create_table(
        "ms_rejected_packet",
        sa.Column("id", _BIGINT_ID, nullable=False),
        sa.Column("received_at_us", sa.BigInteger, nullable=False),
        sa.Column("peer", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("mn", sa.String(64)),
        sa.Column("raw", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ms_rejected_packet"),
    )
    op.create_index("ix_ms_rejected_packet_received_at_us", "ms_rejected_packet", ["received_at_us"])


def downgrade() -> None:
    for index, table in [
        ("ix_ms_rejected_packet_received_at_us", "ms_rejected_packet"),
        ("ix_ms_raw_packet_station_id_t_digest", "ms_raw_packet"),
        ("ix_factor_point_id", "factor"),
        ("ix_point_enterprise_id", "point"),
    ]:
        op.drop_index(index, table_name=table)
    for table in [
        "ms_rejected_packet",
        "ms_raw_packet",
        "ms_series",
        "ms_reading",
        "ms_code",
        "ms_station",
        "factor",
        "point",
        "enterprise",
    ]:
        op.drop_table(table)
