"""Interoperation (issue 13): forwarding targets, mapping and queue; remote commands; back-fill requests.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)
_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "fwd_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("cns", sa.String(100), nullable=False),
        sa.Column("only_mapped", sa.Boolean(), nullable=False),
        sa.Column("cursor_raw_id", sa.BigInteger(), nullable=False),
        sa.Column("last_ack_at", _TS, nullable=True),
        sa.Column("last_connected_at", _TS, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fwd_target")),
        sa.UniqueConstraint("name", name=op.f("uq_fwd_target_name")),
    )
    op.create_table(
        "fwd_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(64), nullable=False),
        sa.Column("upstream_mn", sa.String(64), nullable=False),
        sa.Column("upstream_pw", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["fwd_target.id"],
            name=op.f("fk_fwd_mapping_target_id_fwd_target"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fwd_mapping")),
        sa.UniqueConstraint("target_id", "mn", name=op.f("uq_fwd_mapping_target_id_mn")),
    )
    op.create_table(
        "fwd_queue",
        sa.Column("id", _BIGINT_ID, nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("raw_packet_id", sa.BigInteger(), nullable=False),
        sa.Column("mn", sa.String(64), nullable=False),
        sa.Column("cn", sa.String(8), nullable=False),
        sa.Column("qn", sa.String(32), nullable=True),
        sa.Column("enqueued_at_us", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_us", sa.BigInteger(), nullable=False),
        sa.Column("sent_at_us", sa.BigInteger(), nullable=True),
        sa.Column("acked_at_us", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["fwd_target.id"],
            name=op.f("fk_fwd_queue_target_id_fwd_target"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fwd_queue")),
        sa.UniqueConstraint("target_id", "raw_packet_id", name=op.f("uq_fwd_queue_target_id_raw_packet_id")),
    )
    op.create_index("ix_fwd_queue_target_id_acked_at_us_id", "fwd_queue", ["target_id", "acked_at_us", "id"])
    op.create_table(
        "rc_command",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(64), nullable=False),
        sa.Column("cn", sa.String(8), nullable=False),
        sa.Column("qn", sa.String(32), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.Column("answered_at", _TS, nullable=True),
        sa.Column("finished_at", _TS, nullable=True),
        sa.Column("qn_rtn", sa.Integer(), nullable=True),
        sa.Column("exe_rtn", sa.Integer(), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("packets", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rc_command")),
        sa.UniqueConstraint("qn", name=op.f("uq_rc_command_qn")),
    )
    op.create_index("ix_rc_command_mn_created_at", "rc_command", ["mn", "created_at"])
    op.create_index("ix_rc_command_status", "rc_command", ["status"])
    op.create_index("ix_rc_command_finished_at", "rc_command", ["finished_at"])
    op.create_table(
        "bf_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("begin", _TS, nullable=False),
        sa.Column("end", _TS, nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("command_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["command_id"],
            ["rc_command.id"],
            name=op.f("fk_bf_request_command_id_rc_command"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bf_request")),
    )
    op.create_index("ix_bf_request_mn_kind_begin", "bf_request", ["mn", "kind", "begin"])
    op.create_table(
        "dm_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mn", sa.String(64), nullable=False),
        sa.Column("factor_code", sa.String(16), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("start", _TS, nullable=False),
        sa.Column("end", _TS, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attachment_name", sa.String(255), nullable=True),
        sa.Column("attachment_sha256", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_role", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("reviewed_by", sa.String(100), nullable=True),
        sa.Column("reviewed_at", _TS, nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dm_mark")),
    )
    op.create_index("ix_dm_mark_mn_start", "dm_mark", ["mn", "start"])


def downgrade() -> None:
    op.drop_index("ix_dm_mark_mn_start", table_name="dm_mark")
    op.drop_table("dm_mark")
    op.drop_index("ix_bf_request_mn_kind_begin", table_name="bf_request")
    op.drop_table("bf_request")
    op.drop_index("ix_rc_command_finished_at", table_name="rc_command")
    op.drop_index("ix_rc_command_status", table_name="rc_command")
    op.drop_index("ix_rc_command_mn_created_at", table_name="rc_command")
    op.drop_table("rc_command")
    op.drop_index("ix_fwd_queue_target_id_acked_at_us_id", table_name="fwd_queue")
    op.drop_table("fwd_queue")
    op.drop_table("fwd_mapping")
    op.drop_table("fwd_target")
