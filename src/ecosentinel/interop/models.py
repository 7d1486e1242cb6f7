"""ORM models of interoperation: forwarding targets, their per-point MN/PW mapping and durable queue,
remote commands (反控) with their answers, back-fill requests. Times are epoch microseconds (UTC) where the
hot path writes them (the forwarding queue), timezone-aware UTC datetimes elsewhere."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosentinel.database import Base

_TS = sa.DateTime(timezone=True)
_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; they are UTC."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class ForwardTarget(Base):
    """An upstream HJ 212 platform (city, province …) this platform forwards received packets to."""

    __tablename__ = "fwd_target"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    host: Mapped[str] = mapped_column(sa.String(255))
    port: Mapped[int] = mapped_column(sa.Integer)
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    cns: Mapped[str] = mapped_column(sa.String(100), default="2011,2051,2061,2031")  # forwarded CNs
    only_mapped: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # forward unmapped MNs as they are?
    cursor_raw_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # raw packets up to here are queued
    last_ack_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    last_connected_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)


class ForwardMapping(Base):
    """The MN and PW a point has on one upstream platform (省/市平台分配的 MN 与密码)."""

    __tablename__ = "fwd_mapping"
    __table_args__ = (sa.UniqueConstraint("target_id", "mn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("fwd_target.id", ondelete="CASCADE"))
    mn: Mapped[str] = mapped_column(sa.String(64))  # the MN received here
    upstream_mn: Mapped[str] = mapped_column(sa.String(64))
    upstream_pw: Mapped[str] = mapped_column(sa.String(64))


class ForwardQueueItem(Base):
    """One received packet to deliver to one target; acknowledged when the target answers 9014 (or 9011
    QnRtn=1) with its QN. Rows stay after the acknowledgement for a while (status and audit of delivery)."""

    __tablename__ = "fwd_queue"
    __table_args__ = (
        sa.UniqueConstraint("target_id", "raw_packet_id"),
        sa.Index("ix_fwd_queue_target_id_acked_at_us_id", "target_id", "acked_at_us", "id"),
    )

    id: Mapped[int] = mapped_column(_BIGINT_ID, primary_key=True)
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("fwd_target.id", ondelete="CASCADE"))
    raw_packet_id: Mapped[int] = mapped_column(sa.BigInteger)
    mn: Mapped[str] = mapped_column(sa.String(64))
    cn: Mapped[str] = mapped_column(sa.String(8))
    qn: Mapped[str | None] = mapped_column(sa.String(32))
    enqueued_at_us: Mapped[int] = mapped_column(sa.BigInteger)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_us: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sent_at_us: Mapped[int | None] = mapped_column(sa.BigInteger)
    acked_at_us: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))


class RemoteCommand(Base):
    """A command sent to a field logger over its live connection (反控), tracked through 9011 and 9012."""

    __tablename__ = "rc_command"
    __table_args__ = (
        sa.Index("ix_rc_command_mn_created_at", "mn", "created_at"),
        sa.Index("ix_rc_command_status", "status"),
        sa.Index("ix_rc_command_finished_at", "finished_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(64))
    cn: Mapped[str] = mapped_column(sa.String(8))
    qn: Mapped[str] = mapped_column(sa.String(32), unique=True)
    purpose: Mapped[str] = mapped_column(sa.String(16), default="command")  # "command" | "backfill"
    params: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON object of CP parameters
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")  # CommandStatus
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    answered_at: Mapped[dt.datetime | None] = mapped_column(_TS)  # 9011
    finished_at: Mapped[dt.datetime | None] = mapped_column(_TS)  # 9012 or time-out
    qn_rtn: Mapped[int | None] = mapped_column(sa.Integer)
    exe_rtn: Mapped[int | None] = mapped_column(sa.Integer)
    result: Mapped[str] = mapped_column(sa.Text, default="{}")  # JSON: what the logger uploaded in reply
    packets: Mapped[int] = mapped_column(sa.Integer, default=0)  # data packets received with this QN


class BackfillRequest(Base):
    """A gap in one point's minute / hour / day data requested from the logger (补传), with its command."""

    __tablename__ = "bf_request"
    __table_args__ = (sa.Index("ix_bf_request_mn_kind_begin", "mn", "kind", "begin"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(8))  # DataKind value
    begin: Mapped[dt.datetime] = mapped_column(_TS)
    end: Mapped[dt.datetime] = mapped_column(_TS)  # inclusive (EndTime)
    missing: Mapped[int] = mapped_column(sa.Integer)  # intervals missing when requested
    command_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rc_command.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)


class DataMark(Base):
    """A period an enterprise or O&M agency marks (数据标记) under 《污染物排放自动监测设备标记规则》: fault,
    maintenance, calibration, stop, start-up …; reviewed by the bureau. Approved marks take the period's data
    out of exceedance counts."""

    __tablename__ = "dm_mark"
    __table_args__ = (sa.Index("ix_dm_mark_mn_start", "mn", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(64))
    factor_code: Mapped[str | None] = mapped_column(sa.String(16))  # None: every factor of the point
    kind: Mapped[str] = mapped_column(sa.String(16))  # MARK_KINDS key
    start: Mapped[dt.datetime] = mapped_column(_TS)
    end: Mapped[dt.datetime] = mapped_column(_TS)
    reason: Mapped[str] = mapped_column(sa.Text)
    attachment_name: Mapped[str | None] = mapped_column(sa.String(255))
    attachment_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="submitted")  # submitted | approved | rejected
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_role: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(100))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    review_note: Mapped[str | None] = mapped_column(sa.Text)
