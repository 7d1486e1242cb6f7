"""ORM models of screening: persisted findings, screening runs, per-point watermarks and day scores.

A finding is identified by its ``fingerprint`` (point, rule, start, factor set, the rule's test):
re-screening the same window updates the stored finding instead of adding a second one. Imported by
``ecosentinel.schema``.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ecosentinel.database import Base


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RunStatus:
    """Stable lowercase values of ``ScreeningRun.status``."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ScreeningRun(Base):
    """One screening pass (筛查批次): who or what started it, over which window, with what result."""

    __tablename__ = "screening_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(sa.String(16))  # manual | cli | incremental | full
    triggered_by: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow, index=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    window_start: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    window_end: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    points: Mapped[int] = mapped_column(sa.Integer, default=0)
    points_done: Mapped[int] = mapped_column(sa.Integer, default=0)
    readings: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    findings: Mapped[int] = mapped_column(sa.Integer, default=0)
    new_findings: Mapped[int] = mapped_column(sa.Integer, default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)


class ScreeningFinding(Base):
    """A persisted finding (疑似弄虚作假线索) with its evidence and Chinese explanation."""

    __tablename__ = "screening_finding"
    __table_args__ = (sa.Index("ix_screening_finding_mn_start", "mn", "start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(40), unique=True)
    mn: Mapped[str] = mapped_column(sa.String(24))
    enterprise_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    rule: Mapped[str] = mapped_column(sa.String(64), index=True)
    factors: Mapped[list[str]] = mapped_column(sa.JSON, server_default="[]")  # factor codes, sorted
    start: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    end: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    severity: Mapped[str] = mapped_column(sa.String(8))
    severity_rank: Mapped[int] = mapped_column(sa.SmallInteger)  # 1 low, 2 medium, 3 high (for filters)
    score: Mapped[float] = mapped_column(sa.Float)
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    explanation_zh: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[str] = mapped_column(sa.Text)  # JSON
    first_run_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("screening_run.id", ondelete="SET NULL"), index=True
    )
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screening_run.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)


class ScreeningPointState(Base):
    """Per point: the newest reading time already screened (the incremental pass's watermark)."""

    __tablename__ = "screening_point_state"

    mn: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    screened_until: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screening_run.id", ondelete="SET NULL"))


class PointDayScore(Base):
    """Warning score and colour (绿/黄/红) of one point on one China-Standard-Time day."""

    __tablename__ = "point_day_score"
    __table_args__ = (sa.UniqueConstraint("mn", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(24))
    enterprise_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    score: Mapped[float] = mapped_column(sa.Float)
    colour: Mapped[str] = mapped_column(sa.String(8))
    n_findings: Mapped[int] = mapped_column(sa.Integer)
    rules: Mapped[list[str]] = mapped_column(sa.JSON, server_default="[]")  # rule codes, sorted
    # which evidence set the colour (detection.scoring.Basis) and the sentence that says so
    basis: Mapped[str] = mapped_column(sa.String(32), default="", server_default="")
    basis_zh: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screening_run.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)


class EnterpriseDayScore(Base):
    """Warning score and colour of one enterprise on one day (combined over its point-days)."""

    __tablename__ = "enterprise_day_score"
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.Integer)
    day: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    score: Mapped[float] = mapped_column(sa.Float)
    colour: Mapped[str] = mapped_column(sa.String(8))
    n_findings: Mapped[int] = mapped_column(sa.Integer)
    points: Mapped[int] = mapped_column(sa.Integer)
    run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("screening_run.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
