"""ORM models of public reports (举报): the report, its files, its public and internal history, its links to
warnings, and the hashed client-address events the abuse limits count. Created by migration 0014.

The reporter's name and phone live only in ``PublicReport.contact_name`` / ``contact_phone``; they are never
copied into tasks, the ledger, history notes or the audit trail.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecosentinel.database import Base


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_TS = sa.DateTime(timezone=True)


class PublicReport(Base):
    """One report (举报) from the public form or entered by staff from a hotline ticket."""

    __tablename__ = "public_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)  # tracking code (查询码)
    channel: Mapped[str] = mapped_column(sa.String(16), index=True)  # Channel value
    hotline_ticket: Mapped[str | None] = mapped_column(sa.String(64), index=True)  # 12369/12345 工单号
    category: Mapped[str] = mapped_column(sa.String(24))  # ReportCategory value
    enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprise.id", ondelete="SET NULL"), index=True
    )
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("point.id", ondelete="SET NULL"))
    subject_text: Mapped[str] = mapped_column(sa.String(200))  # enterprise / outlet as the reporter named it
    description: Mapped[str] = mapped_column(sa.Text)  # what was seen
    observed_at: Mapped[dt.datetime] = mapped_column(_TS, index=True)  # when (as reported)
    contact_name: Mapped[str | None] = mapped_column(sa.String(100))  # restricted: complaints.identity
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))  # restricted: complaints.identity
    client_key: Mapped[str | None] = mapped_column(sa.String(64))  # keyed hash of the client address
    status: Mapped[str] = mapped_column(sa.String(16), index=True)  # ReportStatus value
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("public_report.id", ondelete="SET NULL"))
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enf_task.id", ondelete="SET NULL"), index=True)
    ledger_problem_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_problem.id", ondelete="SET NULL")
    )
    outcome: Mapped[str | None] = mapped_column(sa.String(24))  # CloseOutcome value once closed
    reply: Mapped[str | None] = mapped_column(sa.Text)  # the bureau's published reply
    replied_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    created_by: Mapped[str] = mapped_column(sa.String(64))  # "public" or the staff member
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(_TS)

    files: Mapped[list[ReportFile]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportFile.id"
    )
    events: Mapped[list[ReportEvent]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportEvent.id"
    )
    links: Mapped[list[ReportWarningLink]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportWarningLink.id"
    )


class ReportFile(Base):
    """A photo or video sent with a report, stored under the data directory with its SHA-256."""

    __tablename__ = "public_report_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("public_report.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))  # as recognised from the bytes
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    stored_path: Mapped[str] = mapped_column(sa.String(500))  # relative to the data directory
    uploaded_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    report: Mapped[PublicReport] = relationship(back_populates="files")


class ReportEvent(Base):
    """One step of a report's history; only ``public`` steps (their ``public_text``) reach the reporter."""

    __tablename__ = "public_report_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("public_report.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    actor: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(24))
    public: Mapped[bool] = mapped_column(sa.Boolean)
    public_text: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str | None] = mapped_column(sa.Text)  # internal

    report: Mapped[PublicReport] = relationship(back_populates="events")


class ReportWarningLink(Base):
    """A report linked by the analyst to a warning of the same enterprise and period."""

    __tablename__ = "public_report_warning"
    __table_args__ = (sa.UniqueConstraint("report_id", "warning_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("public_report.id", ondelete="CASCADE"), index=True)
    warning_id: Mapped[int] = mapped_column(sa.ForeignKey("enf_warning.id", ondelete="CASCADE"), index=True)
    matched_findings: Mapped[int] = mapped_column(
        sa.Integer
    )  # findings of the warning in the report's window
    colour_before: Mapped[str] = mapped_column(sa.String(8))
    colour_after: Mapped[str] = mapped_column(sa.String(8))
    linked_by: Mapped[str] = mapped_column(sa.String(64))
    linked_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    report: Mapped[PublicReport] = relationship(back_populates="links")


class RateEvent(Base):
    """One counted public request (a report sent, a tracking-code lookup): kind, keyed hash, time.

    Addresses and codes are stored only as HMACs under the installation secret; events older than a day are
    pruned as new ones arrive.
    """

    __tablename__ = "public_rate_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    key: Mapped[str] = mapped_column(sa.String(64))
    at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)

    __table_args__ = (sa.Index("ix_public_rate_event_kind_key_at", "kind", "key", "at"),)
