"""O&M services: maintenance, fault and spare-part records, violations (the quarterly assessment that rates
them is ``evaluation.om_assessment``).

Plain functions over a session (the caller owns the transaction). Every create/change is written to the
audit trail in the same transaction. An O&M agency acts only on points it maintains (``registry.scope``) and,
for a record, only where it was the assigned agency on the day of the visit.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.audit.service import record as audit
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.errors import NotFoundError, PermissionDeniedError, ValidationError
from ecosentinel.om import messages
from ecosentinel.om.enums import FaultStatus, RecordKind
from ecosentinel.om.models import FaultRecord, MaintenanceRecord, OMViolation, SparePartRecord
from ecosentinel.om.schemas import (
    FaultIn,
    FaultRead,
    FaultRepairIn,
    PointRef,
    RecordIn,
    RecordRead,
    RecordUpdate,
    SparePartIn,
    SparePartRead,
    ViolationIn,
)
from ecosentinel.readings import CST
from ecosentinel.registry.models import OMAgency, OMAssignment, OMStaff, Point
from ecosentinel.registry.scope import check_point, visible_point_ids

logger = logging.getLogger(__name__)

_CLOCK_SLACK = dt.timedelta(minutes=5)


def as_utc(value: dt.datetime) -> dt.datetime:
    """Aware UTC (SQLite returns naive UTC)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _aware(value: dt.datetime, location: str, *, now: dt.datetime | None = None) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(messages.NAIVE_TIME, location=location)
    if value > (now or dt.datetime.now(dt.UTC)) + _CLOCK_SLACK:
        raise ValidationError(messages.FUTURE_TIME, location=location)
    return value.astimezone(dt.UTC)


def _resolve_point(session: Session, ref: PointRef) -> Point:
    if ref.point_id is not None:
        point = session.get(Point, ref.point_id)
        label = str(ref.point_id)
        location = "point_id"
    elif ref.mn is not None:
        point = session.scalar(sa.select(Point).where(Point.mn == ref.mn))
        label = ref.mn
        location = "mn"
    else:
        raise ValidationError(messages.POINT_REQUIRED, location="point_id")
    if point is None:
        raise ValidationError(messages.POINT_UNKNOWN.format(ref=label), location=location)
    return point


def assigned_agency(session: Session, point_id: int, day: dt.date) -> int | None:
    """The agency that maintained the point on ``day`` (CST), or None."""
    return session.scalar(
        sa.select(OMAssignment.agency_id)
        .where(
            OMAssignment.point_id == point_id,
            OMAssignment.valid_from <= day,
            sa.or_(OMAssignment.valid_to.is_(None), OMAssignment.valid_to >= day),
        )
        .order_by(OMAssignment.valid_from.desc())
        .limit(1)
    )


def _acting_agency(
    session: Session, principal: Principal, point: Point, when: dt.datetime, requested: int | None
) -> int | None:
    """The agency a record belongs to; an agency user may only file for its own points and visits."""
    check_point(session, principal, point.id)
    day = when.astimezone(CST).date()
    on_duty = assigned_agency(session, point.id, day)
    if principal.role is Role.OM_AGENCY:
        if principal.agency_id is None or on_duty != principal.agency_id:
            raise PermissionDeniedError(messages.NOT_MAINTAINED.format(day=day.isoformat()))
        return principal.agency_id
    if requested is not None:
        if session.get(OMAgency, requested) is None:
            raise ValidationError(messages.AGENCY_UNKNOWN.format(id=requested), location="agency_id")
        return requested
    return on_duty


def _staff_name(session: Session, agency_id: int | None, staff_id: int | None, name: str | None) -> str:
    if staff_id is not None:
        staff = session.get(OMStaff, staff_id)
        if staff is None or staff.agency_id != agency_id:
            raise ValidationError(messages.STAFF_UNKNOWN.format(id=staff_id), location="staff_id")
        return staff.name
    if not name:
        raise ValidationError(messages.STAFF_REQUIRED, location="staff_name")
    return name


def is_timely(record: MaintenanceRecord) -> bool:
    """Filed within TIMELY_HOURS of the end of the visit."""
    return record.timely


def record_read(record: MaintenanceRecord) -> RecordRead:
    return RecordRead.model_validate(record)


def create_record(
    session: Session,
    principal: Principal,
    data: RecordIn,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> MaintenanceRecord:
    """File a maintenance record with the filer's identity (谁签字谁负责)."""
    now = now or dt.datetime.now(dt.UTC)
    point = _resolve_point(session, data)
    started = _aware(data.started_at, "started_at", now=now)
    ended = _aware(data.ended_at, "ended_at", now=now)
    if ended < started:
        raise ValidationError(messages.END_BEFORE_START, location="ended_at")
    if data.kind is RecordKind.PART_REPLACEMENT and not data.part_name:
        raise ValidationError(messages.PART_REQUIRED, location="part_name")
    if data.kind is RecordKind.STANDARD_CHECK and (
        data.factor_code is None or data.standard_value is None or data.measured_value is None
    ):
        raise ValidationError(messages.STANDARD_VALUES_REQUIRED, location="standard_value")
    agency_id = _acting_agency(session, principal, point, started, data.agency_id)
    staff_name = _staff_name(session, agency_id, data.staff_id, data.staff_name)
    record = MaintenanceRecord(
        point=point,
        agency_id=agency_id,
        staff_id=data.staff_id,
        staff_name=staff_name,
        kind=data.kind.value,
        started_at=started,
        ended_at=ended,
        description=data.description,
        part_name=data.part_name,
        part_model=data.part_model,
        factor_code=data.factor_code,
        standard_value=data.standard_value,
        measured_value=data.measured_value,
        created_at=now,
        created_by=principal.username,
        created_by_user_id=principal.user_id,
    )
    session.add(record)
    session.flush()
    audit(
        session,
        principal,
        "create",
        "om_record",
        record.id,
        messages.AUDIT_RECORD_CREATED.format(
            mn=point.mn, kind=messages.RECORD_KIND_ZH[data.kind.value], person=staff_name
        ),
        data.model_dump(mode="json"),
        ip=ip,
    )
    return record


def _get_record(session: Session, principal: Principal, record_id: int) -> MaintenanceRecord:
    record = session.get(MaintenanceRecord, record_id)
    if record is None:
        raise NotFoundError(messages.RECORD_NOT_FOUND.format(id=record_id))
    check_point(session, principal, record.point_id)
    return record


def get_record(session: Session, principal: Principal, record_id: int) -> MaintenanceRecord:
    """A record the principal may see."""
    return _get_record(session, principal, record_id)


def update_record(
    session: Session, principal: Principal, record_id: int, data: RecordUpdate, *, ip: str | None = None
) -> MaintenanceRecord:
    """Correct a record; an agency only its own records. Old and new values go to the audit trail."""
    record = _get_record(session, principal, record_id)
    if principal.role is Role.OM_AGENCY and record.agency_id != principal.agency_id:
        raise PermissionDeniedError(messages.NOT_MAINTAINED.format(day=as_utc(record.started_at).date()))
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise ValidationError(messages.NOTHING_TO_CHANGE, location="body")
    if "ended_at" in changes and changes["ended_at"] is not None:
        changes["ended_at"] = _aware(changes["ended_at"], "ended_at")
        if changes["ended_at"] < as_utc(record.started_at):
            raise ValidationError(messages.END_BEFORE_START, location="ended_at")
    before = {name: getattr(record, name) for name in changes}
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    audit(
        session,
        principal,
        "update",
        "om_record",
        record.id,
        messages.AUDIT_RECORD_CHANGED.format(id=record.id, fields="、".join(changes)),
        {"before": before, "after": changes},
        ip=ip,
    )
    return record


def list_records(
    session: Session,
    principal: Principal,
    *,
    mn: str | None = None,
    agency_id: int | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    limit: int = 500,
) -> list[MaintenanceRecord]:
    """Records the principal may see, newest first."""
    query = sa.select(MaintenanceRecord).join(Point).options(selectinload(MaintenanceRecord.point))
    visible = visible_point_ids(session, principal)
    if visible is not None:
        query = query.where(MaintenanceRecord.point_id.in_(visible or {-1}))
    if mn is not None:
        query = query.where(Point.mn == mn)
    if agency_id is not None:
        query = query.where(MaintenanceRecord.agency_id == agency_id)
    if start is not None:
        query = query.where(MaintenanceRecord.ended_at >= start)
    if end is not None:
        query = query.where(MaintenanceRecord.started_at < end)
    query = query.order_by(MaintenanceRecord.started_at.desc(), MaintenanceRecord.id.desc()).limit(limit)
    return list(session.scalars(query))


# --- faults and spare parts ----------------------------------------------------------------------------


def fault_read(fault: FaultRecord) -> FaultRead:
    return FaultRead.model_validate(fault)


def create_fault(
    session: Session, principal: Principal, data: FaultIn, *, ip: str | None = None
) -> FaultRecord:
    """Register a device fault (故障记录)."""
    point = _resolve_point(session, data)
    occurred = _aware(data.occurred_at, "occurred_at")
    agency_id = _acting_agency(session, principal, point, occurred, None)
    fault = FaultRecord(
        point=point,
        agency_id=agency_id,
        device=data.device,
        occurred_at=occurred,
        description=data.description,
        status=FaultStatus.OPEN.value,
        created_at=dt.datetime.now(dt.UTC),
        created_by=principal.username,
    )
    session.add(fault)
    session.flush()
    audit(
        session,
        principal,
        "create",
        "om_fault",
        fault.id,
        messages.AUDIT_FAULT_CREATED.format(mn=point.mn, summary=data.description[:60]),
        data.model_dump(mode="json"),
        ip=ip,
    )
    return fault


def repair_fault(
    session: Session, principal: Principal, fault_id: int, data: FaultRepairIn, *, ip: str | None = None
) -> FaultRecord:
    """Record the repair of a fault."""
    fault = session.get(FaultRecord, fault_id)
    if fault is None:
        raise NotFoundError(messages.FAULT_NOT_FOUND.format(id=fault_id))
    check_point(session, principal, fault.point_id)
    if principal.role is Role.OM_AGENCY and fault.agency_id != principal.agency_id:
        raise PermissionDeniedError(messages.NOT_MAINTAINED.format(day=as_utc(fault.occurred_at).date()))
    if fault.status == FaultStatus.REPAIRED.value:
        raise ValidationError(messages.ALREADY_REPAIRED, location="fault")
    repaired = _aware(data.repaired_at, "repaired_at")
    if repaired < as_utc(fault.occurred_at):
        raise ValidationError(messages.END_BEFORE_START, location="repaired_at")
    if data.record_id is not None:
        _get_record(session, principal, data.record_id)
    fault.status = FaultStatus.REPAIRED.value
    fault.repaired_at = repaired
    fault.repair_note = data.repair_note
    fault.record_id = data.record_id
    session.flush()
    audit(
        session,
        principal,
        "update",
        "om_fault",
        fault.id,
        messages.AUDIT_FAULT_REPAIRED.format(id=fault.id),
        data.model_dump(mode="json"),
        ip=ip,
    )
    return fault


def list_faults(
    session: Session, principal: Principal, *, status: FaultStatus | None = None
) -> list[FaultRecord]:
    query = sa.select(FaultRecord).options(selectinload(FaultRecord.point))
    visible = visible_point_ids(session, principal)
    if visible is not None:
        query = query.where(FaultRecord.point_id.in_(visible or {-1}))
    if status is not None:
        query = query.where(FaultRecord.status == status.value)
    return list(session.scalars(query.order_by(FaultRecord.occurred_at.desc()).limit(500)))


def spare_part_read(part: SparePartRecord) -> SparePartRead:
    return SparePartRead.model_validate(part)


def create_spare_part(
    session: Session, principal: Principal, data: SparePartIn, *, ip: str | None = None
) -> SparePartRecord:
    """Register a spare-part movement (备品备件)."""
    point = _resolve_point(session, data)
    at = _aware(data.at, "at")
    agency_id = _acting_agency(session, principal, point, at, None)
    if data.record_id is not None:
        _get_record(session, principal, data.record_id)
    part = SparePartRecord(
        point=point,
        agency_id=agency_id,
        part_name=data.part_name,
        part_model=data.part_model,
        quantity=data.quantity,
        action=data.action.value,
        at=at,
        record_id=data.record_id,
        note=data.note,
        created_at=dt.datetime.now(dt.UTC),
        created_by=principal.username,
    )
    session.add(part)
    session.flush()
    audit(
        session,
        principal,
        "create",
        "om_spare_part",
        part.id,
        messages.AUDIT_PART_CREATED.format(
            mn=point.mn,
            part=data.part_name,
            quantity=data.quantity,
            action=messages.PART_ACTION_ZH[data.action],
        ),
        data.model_dump(mode="json"),
        ip=ip,
    )
    return part


def list_spare_parts(session: Session, principal: Principal) -> list[SparePartRecord]:
    query = sa.select(SparePartRecord).options(selectinload(SparePartRecord.point))
    visible = visible_point_ids(session, principal)
    if visible is not None:
        query = query.where(SparePartRecord.point_id.in_(visible or {-1}))
    return list(session.scalars(query.order_by(SparePartRecord.at.desc()).limit(500)))


# --- violations (one-vote veto) ------------------------------------------------------------------------


def create_violation(
    session: Session, principal: Principal, data: ViolationIn, *, ip: str | None = None
) -> OMViolation:
    """Record a confirmed violation of an agency (bureau staff with om.rate)."""
    agency = session.get(OMAgency, data.agency_id)
    if agency is None:
        raise ValidationError(messages.AGENCY_UNKNOWN.format(id=data.agency_id), location="agency_id")
    if data.staff_id is not None:
        _staff_name(session, agency.id, data.staff_id, None)
    if data.point_id is not None and session.get(Point, data.point_id) is None:
        raise ValidationError(messages.POINT_UNKNOWN.format(ref=data.point_id), location="point_id")
    violation = OMViolation(
        agency_id=agency.id,
        staff_id=data.staff_id,
        point_id=data.point_id,
        kind=data.kind.value,
        confirmed_at=_aware(data.confirmed_at, "confirmed_at"),
        description=data.description,
        reference=data.reference,
        created_at=dt.datetime.now(dt.UTC),
        created_by=principal.username,
    )
    session.add(violation)
    session.flush()
    audit(
        session,
        principal,
        "create",
        "om_violation",
        violation.id,
        messages.AUDIT_VIOLATION_CREATED.format(
            agency=agency.name, kind=messages.VIOLATION_KIND_ZH[data.kind]
        ),
        data.model_dump(mode="json"),
        ip=ip,
    )
    return violation


def list_violations(session: Session, principal: Principal) -> list[OMViolation]:
    query = sa.select(OMViolation)
    if principal.role is Role.OM_AGENCY:
        query = query.where(OMViolation.agency_id == (principal.agency_id or -1))
    return list(session.scalars(query.order_by(OMViolation.confirmed_at.desc())))
