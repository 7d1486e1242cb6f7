"""ORM models of the registry: enterprises (排污单位), monitoring points (监测点位), factors (监测因子).

Pydantic schemas live apart in ``schemas.py`` (no import cycles across domains).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecosentinel.database import Base


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Enterprise(Base):
    """A key polluting enterprise (重点排污单位), identified by its unified social credit code."""

    __tablename__ = "enterprise"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)  # 统一社会信用代码
    industry: Mapped[str | None] = mapped_column(sa.String(100))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    lon: Mapped[float | None] = mapped_column(sa.Float)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=_utcnow, onupdate=_utcnow
    )

    points: Mapped[list[Point]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="Point.mn"
    )


class Point(Base):
    """A monitoring point (监测点位) at an outlet, identified on the wire by its MN, with its PW."""

    __tablename__ = "point"

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(24), unique=True)
    pw: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(16))  # PointType value
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    ref_o2: Mapped[float | None] = mapped_column(sa.Float)  # gas: reference O2 % for 折算浓度
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), default=_utcnow, onupdate=_utcnow
    )

    enterprise: Mapped[Enterprise] = relationship(back_populates="points")
    factors: Mapped[list[Factor]] = relationship(
        back_populates="point", cascade="all, delete-orphan", order_by="Factor.code"
    )


class Factor(Base):
    """A monitored factor (监测因子) of a point with its emission limits and analyser range."""

    __tablename__ = "factor"
    __table_args__ = (sa.UniqueConstraint("point_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(16))  # HJ 212-2017 code, e.g. w01018
    name: Mapped[str] = mapped_column(sa.String(100))
    unit: Mapped[str | None] = mapped_column(sa.String(32))
    limit_high: Mapped[float | None] = mapped_column(sa.Float)  # upper emission limit (排放限值)
    limit_low: Mapped[float | None] = mapped_column(sa.Float)  # lower limit, e.g. pH 6
    range_max: Mapped[float | None] = mapped_column(sa.Float)  # analyser range (量程) upper end
    detection_limit: Mapped[float | None] = mapped_column(sa.Float)  # 检出限

    point: Mapped[Point] = relationship(back_populates="factors")


class OMAgency(Base):
    """An O&M agency (运维单位) registered with the bureau."""

    __tablename__ = "om_agency"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)  # 统一社会信用代码
    registration_no: Mapped[str | None] = mapped_column(sa.String(64))  # 备案/登记编号
    qualification: Mapped[str | None] = mapped_column(sa.String(200))  # 资质
    contact_person: Mapped[str | None] = mapped_column(sa.String(100))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)

    staff: Mapped[list[OMStaff]] = relationship(
        back_populates="agency", cascade="all, delete-orphan", order_by="OMStaff.id"
    )
    assignments: Mapped[list[OMAssignment]] = relationship(
        back_populates="agency", cascade="all, delete-orphan", order_by="OMAssignment.id"
    )


class OMStaff(Base):
    """A person working for an O&M agency (运维人员) with the certificate that qualifies them."""

    __tablename__ = "om_staff"
    __table_args__ = (sa.UniqueConstraint("agency_id", "id_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("om_agency.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    id_no: Mapped[str] = mapped_column(sa.String(64))  # 身份证号或上岗证书编号
    qualification: Mapped[str | None] = mapped_column(sa.String(200))  # 持证情况
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)

    agency: Mapped[OMAgency] = relationship(back_populates="staff")


class OMAssignment(Base):
    """Which agency maintains which point, from when to when (``valid_to`` None = still)."""

    __tablename__ = "om_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("om_agency.id", ondelete="CASCADE"), index=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    valid_from: Mapped[dt.date] = mapped_column(sa.Date)
    valid_to: Mapped[dt.date | None] = mapped_column(sa.Date)

    agency: Mapped[OMAgency] = relationship(back_populates="assignments")
    point: Mapped[Point] = relationship()
