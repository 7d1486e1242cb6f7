"""ORM models of O&M supervision: maintenance records (电子运维记录), faults, spare parts, confirmed
violations and the quarterly assessment (运维考核) of each agency.

Agencies, staff and which points they maintain live in the registry (``OMAgency``, ``OMStaff``,
``OMAssignment``). Times are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecosentinel.database import Base
from ecosentinel.om.enums import TIMELY_HOURS
from ecosentinel.registry.models import OMAgency, OMStaff, Point


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


_TS = sa.DateTime(timezone=True)


class MaintenanceRecord(Base):
    """One O&M visit at a point: who (staff member and the logged-in filer), when, what was done."""

    __tablename__ = "om_record"
    __table_args__ = (sa.Index("ix_om_record_point_id_started_at", "point_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"))
    agency_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("om_agency.id", ondelete="SET NULL"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("om_staff.id", ondelete="SET NULL"))
    staff_name: Mapped[str] = mapped_column(sa.String(100))  # 运维人员 (kept even if staff leaves)
    kind: Mapped[str] = mapped_column(sa.String(32))  # RecordKind value
    started_at: Mapped[dt.datetime] = mapped_column(_TS)
    ended_at: Mapped[dt.datetime] = mapped_column(_TS)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    part_name: Mapped[str | None] = mapped_column(sa.String(200))  # part replacement: which part
    part_model: Mapped[str | None] = mapped_column(sa.String(200))
    factor_code: Mapped[str | None] = mapped_column(sa.String(16))  # calibration / standard check
    standard_value: Mapped[float | None] = mapped_column(sa.Float)  # 标样浓度
    measured_value: Mapped[float | None] = mapped_column(sa.Float)  # 测定值
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)  # when it was filed
    created_by: Mapped[str] = mapped_column(sa.String(64))  # username of the filer (谁签字谁负责)
    created_by_user_id: Mapped[int | None] = mapped_column(sa.Integer)
    updated_at: Mapped[dt.datetime | None] = mapped_column(_TS)

    point: Mapped[Point] = relationship()
    agency: Mapped[OMAgency | None] = relationship()

    @property
    def mn(self) -> str:
        """The point's MN (for the read schemas)."""
        return self.point.mn

    @property
    def timely(self) -> bool:
        """Filed within TIMELY_HOURS of the end of the visit (seed 004)."""
        return _utc(self.created_at) - _utc(self.ended_at) <= dt.timedelta(hours=TIMELY_HOURS)

    staff: Mapped[OMStaff | None] = relationship()


class FaultRecord(Base):
    """A device fault at a point (故障记录) and, once done, its repair."""

    __tablename__ = "om_fault"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("om_agency.id", ondelete="SET NULL"))
    device: Mapped[str | None] = mapped_column(sa.String(200))
    occurred_at: Mapped[dt.datetime] = mapped_column(_TS)
    description: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16))  # FaultStatus value
    repaired_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    repair_note: Mapped[str | None] = mapped_column(sa.Text)
    record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("om_record.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(64))

    point: Mapped[Point] = relationship()

    @property
    def mn(self) -> str:
        """The point's MN (for the read schemas)."""
        return self.point.mn


class SparePartRecord(Base):
    """A spare-part movement at a point (备品备件记录)."""

    __tablename__ = "om_spare_part"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("om_agency.id", ondelete="SET NULL"))
    part_name: Mapped[str] = mapped_column(sa.String(200))
    part_model: Mapped[str | None] = mapped_column(sa.String(200))
    quantity: Mapped[int] = mapped_column(sa.Integer)
    action: Mapped[str] = mapped_column(sa.String(16))  # PartAction value
    at: Mapped[dt.datetime] = mapped_column(_TS)
    record_id: Mapped[int | None] = mapped_column(sa.ForeignKey("om_record.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(64))

    point: Mapped[Point] = relationship()

    @property
    def mn(self) -> str:
        """The point's MN (for the read schemas)."""
        return self.point.mn


class OMViolation(Base):
    """Confirmed misconduct of an agency or its staff; ``falsification`` vetoes the quarter (一票否决)."""

    __tablename__ = "om_violation"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("om_agency.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("om_staff.id", ondelete="SET NULL"))
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("point.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(32))  # ViolationKind value
    confirmed_at: Mapped[dt.datetime] = mapped_column(_TS)  # decides the quarter it counts in
    description: Mapped[str] = mapped_column(sa.Text)
    reference: Mapped[str | None] = mapped_column(sa.String(100))  # case or decision number
    created_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(64))

    agency: Mapped[OMAgency] = relationship()


class OMAssessment(Base):
    """The quarterly assessment and credit grade of one agency (运维考核与信用评价), with its inputs."""

    __tablename__ = "om_assessment"
    __table_args__ = (sa.UniqueConstraint("agency_id", "quarter"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("om_agency.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(sa.String(8), index=True)  # e.g. 2026Q3
    points: Mapped[int] = mapped_column(sa.Integer)
    expected_hours: Mapped[int] = mapped_column(sa.Integer)
    received_hours: Mapped[int] = mapped_column(sa.Integer)
    valid_hours: Mapped[int] = mapped_column(sa.Integer)
    records: Mapped[int] = mapped_column(sa.Integer)
    timely_records: Mapped[int] = mapped_column(sa.Integer)
    comparison_tests: Mapped[int] = mapped_column(sa.Integer)
    comparison_passed: Mapped[int] = mapped_column(sa.Integer)
    findings: Mapped[int] = mapped_column(sa.Integer)
    transmission_rate: Mapped[float | None] = mapped_column(sa.Float)
    valid_rate: Mapped[float | None] = mapped_column(sa.Float)
    timeliness_rate: Mapped[float | None] = mapped_column(sa.Float)
    comparison_rate: Mapped[float | None] = mapped_column(sa.Float)
    score: Mapped[float] = mapped_column(sa.Float)
    grade: Mapped[str] = mapped_column(sa.String(1))  # Grade value
    veto: Mapped[bool] = mapped_column(sa.Boolean)
    veto_reason: Mapped[str | None] = mapped_column(sa.Text)
    rank: Mapped[int | None] = mapped_column(sa.Integer)
    published: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    published_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    computed_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    computed_by: Mapped[str] = mapped_column(sa.String(64))

    agency: Mapped[OMAgency] = relationship()

    @property
    def agency_name(self) -> str:
        return self.agency.name
