"""ORM models of the registry: enterprises (排污单位), outlets, monitoring points (监测点位),
factors (监测因子), devices and their filed parameters, permits, O&M agencies, meters,
cameras, doors, events and uploads.

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
    key_category: Mapped[str | None] = mapped_column(sa.String(16))  # KeyCategory value (重点排污单位类别)
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


class Outlet(Base):
    """A discharge outlet (排放口) named in the permit, e.g. DW001; monitored at most by one point."""

    __tablename__ = "outlet"
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str | None] = mapped_column(sa.String(200))
    type: Mapped[str] = mapped_column(sa.String(16))  # PointType value
    point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("point.id", ondelete="SET NULL"), unique=True
    )  # the automatic monitoring point at this outlet

    point: Mapped[Point | None] = relationship()


class Device(Base):
    """An analyser (自动监测设备) installed at a point, with its filed parameters (备案参数)."""

    __tablename__ = "device"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    serial_no: Mapped[str] = mapped_column(sa.String(64), unique=True)  # 出厂编号
    model: Mapped[str | None] = mapped_column(sa.String(100))  # 分析仪型号
    manufacturer: Mapped[str | None] = mapped_column(sa.String(200))
    certification_no: Mapped[str | None] = mapped_column(sa.String(100))  # 适用性检测/认证编号
    install_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    factor_codes: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default="[]"
    )  # factor codes

    point: Mapped[Point] = relationship()
    parameters: Mapped[list[FiledParameter]] = relationship(
        back_populates="device", cascade="all, delete-orphan", order_by="FiledParameter.id"
    )


class FiledParameter(Base):
    """One filed (备案) device parameter: range, slope, intercept, dilution ratio … from a date on.

    ``info_id`` is the HJ 212 dynamic-control code (i13008 slope …) or a local code for parameters the
    standard has none for; ``value`` is text, compared as a number when both sides are numbers.
    """

    __tablename__ = "filed_parameter"
    __table_args__ = (sa.UniqueConstraint("device_id", "pol_id", "info_id", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(sa.ForeignKey("device.id", ondelete="CASCADE"), index=True)
    pol_id: Mapped[str] = mapped_column(sa.String(16), default="")  # factor code, "" = device-level
    info_id: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str | None] = mapped_column(sa.String(100))
    value: Mapped[str] = mapped_column(sa.String(64))
    unit: Mapped[str | None] = mapped_column(sa.String(32))
    effective_from: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))

    device: Mapped[Device] = relationship(back_populates="parameters")


class Permit(Base):
    """A pollutant-discharge permit (排污许可证) or an application for one (status ``applied``)."""

    __tablename__ = "permit"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(64), unique=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprise.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))  # PermitStatus value
    valid_from: Mapped[dt.date | None] = mapped_column(sa.Date)
    valid_to: Mapped[dt.date | None] = mapped_column(sa.Date)
    issuer: Mapped[str | None] = mapped_column(sa.String(200))

    enterprise: Mapped[Enterprise] = relationship()
    requirements: Mapped[list[PermitRequirement]] = relationship(
        back_populates="permit", cascade="all, delete-orphan", order_by="PermitRequirement.id"
    )


class PermitRequirement(Base):
    """An outlet and factor the permit requires to be monitored automatically (自动监测要求)."""

    __tablename__ = "permit_requirement"
    __table_args__ = (sa.UniqueConstraint("permit_id", "outlet_code", "factor_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(sa.ForeignKey("permit.id", ondelete="CASCADE"), index=True)
    outlet_code: Mapped[str] = mapped_column(sa.String(32))
    factor_code: Mapped[str] = mapped_column(sa.String(16))

    permit: Mapped[Permit] = relationship(back_populates="requirements")


class Meter(Base):
    """A working-condition or electricity meter (工况/用电监控) of a production or treatment facility.

    Its series are stored as readings on the linked point's MN under the reserved codes of
    ``ecosentinel.detection.context`` (wc_prod_kw / wc_treat_kw) so the screening rules see them.
    """

    __tablename__ = "meter"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))  # MeterKind value
    facility_type: Mapped[str] = mapped_column(sa.String(16))  # FacilityType value
    facility_name: Mapped[str | None] = mapped_column(sa.String(200))
    unit: Mapped[str | None] = mapped_column(sa.String(16))
    running_threshold: Mapped[float | None] = mapped_column(sa.Float)  # above this the facility runs

    point: Mapped[Point] = relationship()


class Camera(Base):
    """A video camera (视频监控) watching a station or outlet."""

    __tablename__ = "camera"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))
    location: Mapped[str | None] = mapped_column(sa.String(200))

    point: Mapped[Point] = relationship()


class Door(Base):
    """A station-room door with access control (站房门禁)."""

    __tablename__ = "door"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    name: Mapped[str | None] = mapped_column(sa.String(200))

    point: Mapped[Point] = relationship()


class StationEvent(Base):
    """A door or camera event at a point (门禁/视频事件); ``type`` is a screening EventType value."""

    __tablename__ = "station_event"
    __table_args__ = (sa.UniqueConstraint("mn", "time", "type", "device_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(24), index=True)
    time: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    type: Mapped[str] = mapped_column(sa.String(32))
    device_code: Mapped[str] = mapped_column(sa.String(64), default="")  # camera or door code, "" unknown
    detail: Mapped[str | None] = mapped_column(sa.String(500))
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)


class MaintenanceWindow(Base):
    """A maintenance period declared in advance (报备的维护时段) for a point."""

    __tablename__ = "maintenance_window"

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(24), index=True)
    start: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    end: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
    # pending (declared by an enterprise or O&M agency, not yet reviewed) / approved / rejected; only approved
    # windows excuse anything in screening
    status: Mapped[str] = mapped_column(sa.String(16), default="approved", server_default="approved")
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(64))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(sa.DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(sa.String(500))


class ParameterUpload(Base):
    """One parameter of a dynamic-control upload (动态管控, CN 3020), kept as a history per point."""

    __tablename__ = "parameter_upload"
    __table_args__ = (sa.UniqueConstraint("mn", "time", "pol_id", "info_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(24))
    time: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    pol_id: Mapped[str] = mapped_column(sa.String(16), default="")  # "" = station-level item
    info_id: Mapped[str] = mapped_column(sa.String(32))
    name: Mapped[str | None] = mapped_column(sa.String(100))
    value: Mapped[str | None] = mapped_column(sa.String(200))
    source_packet: Mapped[str | None] = mapped_column(sa.Text)  # the frame as received
    received_at: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True), default=_utcnow)


class StandardCheck(Base):
    """A standard-sample check (标样核查): the analyser's reading of a standard solution of known value."""

    __tablename__ = "standard_check"
    __table_args__ = (sa.UniqueConstraint("mn", "factor_code", "time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(24))
    factor_code: Mapped[str] = mapped_column(sa.String(16))
    time: Mapped[dt.datetime] = mapped_column(sa.DateTime(timezone=True))
    standard_value: Mapped[float] = mapped_column(sa.Float)
    measured_value: Mapped[float] = mapped_column(sa.Float)
    source: Mapped[str] = mapped_column(sa.String(16))  # "3020", "manual", "file"


class ComparisonTest(Base):
    """A comparison test (比对监测): manual reference method against the online analyser."""

    __tablename__ = "comparison_test"

    id: Mapped[int] = mapped_column(primary_key=True)
    point_id: Mapped[int] = mapped_column(sa.ForeignKey("point.id", ondelete="CASCADE"), index=True)
    factor_code: Mapped[str] = mapped_column(sa.String(16))
    tested_on: Mapped[dt.date] = mapped_column(sa.Date)
    manual_value: Mapped[float] = mapped_column(sa.Float)
    online_value: Mapped[float] = mapped_column(sa.Float)
    unit: Mapped[str | None] = mapped_column(sa.String(32))
    passed: Mapped[bool] = mapped_column(sa.Boolean)
    error: Mapped[float] = mapped_column(sa.Float)  # absolute or relative (share), as ``error_kind``
    error_kind: Mapped[str] = mapped_column(sa.String(16))  # "absolute" | "relative"
    allowed: Mapped[float] = mapped_column(sa.Float)
    basis: Mapped[str] = mapped_column(sa.String(200))  # the standard and tolerance row applied
    tester: Mapped[str | None] = mapped_column(sa.String(200))
    created_by: Mapped[str | None] = mapped_column(sa.String(64))
