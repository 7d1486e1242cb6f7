"""O&M services: maintenance, fault and spare-part records, violations, the quarterly assessment.

Plain functions over a session (the caller owns the transaction). Every create/change is written to the
audit trail in the same transaction. An O&M agency acts only on points it maintains (``auth.scope``) and,
for a record, only where it was the assigned agency on the day of the visit.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.audit.service import record as audit
from ecosentinel.auth.roles import Role
from ecosentinel.auth.scope import check_point, visible_point_ids
from ecosentinel.auth.service import Principal
from ecosentinel.errors import NotFoundError, PermissionDeniedError, ValidationError
from ecosentinel.om import inputs, messages
from ecosentinel.om.availability import Availability, hourly_availability
from ecosentinel.om.enums import FaultStatus, RecordKind, ViolationKind
from ecosentinel.om.models import FaultRecord, MaintenanceRecord, OMAssessment, OMViolation, SparePartRecord
from ecosentinel.om.periods import Period, parse_quarter
from ecosentinel.om.rating import TIMELY_HOURS, RatingInputs, rate
from ecosentinel.om.schemas import (
    AssessmentRead,
    FaultIn,
    FaultRead,
    FaultRepairIn,
    PointRef,
    Ranking,
    RankingRow,
    RecordIn,
    RecordRead,
    RecordUpdate,
    SparePartIn,
    SparePartRead,
    ViolationIn,
)
from ecosentinel.readings import CST
from ecosentinel.registry.models import OMAgency, OMAssignment, OMStaff, Point
from ecosentinel.store.base import MeasurementStore

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
    return as_utc(record.created_at) - as_utc(record.ended_at) <= dt.timedelta(hours=TIMELY_HOURS)


def record_read(record: MaintenanceRecord) -> RecordRead:
    return RecordRead.model_validate(
        {
            **{c: getattr(record, c) for c in RecordRead.model_fields if hasattr(record, c)},
            "mn": record.point.mn,
            "timely": is_timely(record),
        }
    )


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
    return FaultRead.model_validate(
        {**{c: getattr(fault, c) for c in FaultRead.model_fields if hasattr(fault, c)}, "mn": fault.point.mn}
    )


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
    return SparePartRead.model_validate(
        {**{c: getattr(part, c) for c in SparePartRead.model_fields if hasattr(part, c)}, "mn": part.point.mn}
    )


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


# --- quarterly assessment ------------------------------------------------------------------------------


def _in_period(value: dt.datetime, period: Period) -> bool:
    return period.start <= as_utc(value) < period.end


def agency_inputs(
    session: Session,
    store: MeasurementStore,
    agency_id: int,
    assignments: Sequence[inputs.Assignment],
    period: Period,
    *,
    now: dt.datetime,
) -> RatingInputs:
    """Gather what one agency's quarter is rated on."""
    intervals: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for item in assignments:
        intervals[item.mn].append((item.start, item.end))
    availability = sum(hourly_availability(store, intervals, now=now).values(), Availability())
    records = session.execute(
        sa.select(MaintenanceRecord.created_at, MaintenanceRecord.ended_at).where(
            MaintenanceRecord.agency_id == agency_id,
            MaintenanceRecord.started_at >= period.start,
            MaintenanceRecord.started_at < period.end,
        )
    ).all()
    timely = sum(
        1 for created, ended in records if as_utc(created) - as_utc(ended) <= dt.timedelta(hours=TIMELY_HOURS)
    )
    tests, passed = inputs.comparison_counts(session, assignments)
    findings = 0
    for item in assignments:
        findings += inputs.FINDINGS(session, [item.mn], item.start, item.end).get(item.mn, 0)
    vetoes = session.scalars(
        sa.select(OMViolation).where(
            OMViolation.agency_id == agency_id, OMViolation.kind == ViolationKind.FALSIFICATION.value
        )
    ).all()
    reasons = [
        v.description + (f"（{v.reference}）" if v.reference else "")
        for v in vetoes
        if _in_period(v.confirmed_at, period)
    ]
    return RatingInputs(
        points=len({item.point_id for item in assignments}),
        expected_hours=availability.expected_hours,
        received_hours=availability.received_hours,
        valid_hours=availability.valid_hours,
        records=len(records),
        timely_records=timely,
        comparison_tests=tests,
        comparison_passed=passed,
        findings=findings,
        falsifications=reasons,
    )


def _competition_ranks(rows: Sequence[OMAssessment]) -> None:
    """1, 2, 2, 4 …: vetoed agencies last, then by score."""
    ordered = sorted(rows, key=lambda a: (a.veto, -a.score, a.agency.name))
    previous: tuple[bool, float] | None = None
    for position, row in enumerate(ordered, start=1):
        key = (row.veto, row.score)
        if key != previous:
            rank = position
        row.rank = rank
        previous = key


def rate_quarter(
    session: Session,
    store: MeasurementStore,
    quarter: str,
    *,
    principal: Principal,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> list[OMAssessment]:
    """Compute (or recompute) every agency's assessment for a quarter and rank them; unpublishes it."""
    period = parse_quarter(quarter)
    now = now or dt.datetime.now(dt.UTC)
    by_agency: dict[int, list[inputs.Assignment]] = defaultdict(list)
    for item in inputs.assignments_in(session, period):
        by_agency[item.agency_id].append(item)
    existing = {
        a.agency_id: a
        for a in session.scalars(sa.select(OMAssessment).where(OMAssessment.quarter == period.name))
    }
    rows: list[OMAssessment] = []
    for agency_id, items in sorted(by_agency.items()):
        data = agency_inputs(session, store, agency_id, items, period, now=now)
        result = rate(data)
        row = existing.pop(agency_id, None) or OMAssessment(agency_id=agency_id, quarter=period.name)
        row.points = data.points
        row.expected_hours = data.expected_hours
        row.received_hours = data.received_hours
        row.valid_hours = data.valid_hours
        row.records = data.records
        row.timely_records = data.timely_records
        row.comparison_tests = data.comparison_tests
        row.comparison_passed = data.comparison_passed
        row.findings = data.findings
        row.transmission_rate = result.transmission_rate
        row.valid_rate = result.valid_rate
        row.timeliness_rate = result.timeliness_rate
        row.comparison_rate = result.comparison_rate
        row.score = result.score
        row.grade = result.grade.value
        row.veto = result.veto
        row.veto_reason = result.veto_reason
        row.published = False
        row.published_at = None
        row.computed_at = now
        row.computed_by = principal.username
        session.add(row)
        rows.append(row)
    for stale in existing.values():  # agencies that no longer maintained anything that quarter
        session.delete(stale)
    session.flush()
    for row in rows:
        session.refresh(row, ["agency"])
    _competition_ranks(rows)
    session.flush()
    audit(
        session,
        principal,
        "compute",
        "om_assessment",
        period.name,
        messages.AUDIT_RATED.format(quarter=period.name, count=len(rows)),
        {str(r.agency_id): {"score": r.score, "grade": r.grade, "veto": r.veto} for r in rows},
        ip=ip,
    )
    logger.info("rated %d O&M agencies for %s", len(rows), period.name)
    return sorted(rows, key=lambda r: (r.rank or 0, r.agency_id))


def publish_quarter(
    session: Session, quarter: str, *, principal: Principal, ip: str | None = None
) -> list[OMAssessment]:
    """Publish a computed quarter's ranking (向社会公开)."""
    period = parse_quarter(quarter)
    rows = list(session.scalars(sa.select(OMAssessment).where(OMAssessment.quarter == period.name)))
    if not rows:
        raise NotFoundError(messages.RATING_NOT_FOUND.format(quarter=period.name))
    now = dt.datetime.now(dt.UTC)
    for row in rows:
        row.published = True
        row.published_at = now
    session.flush()
    audit(
        session,
        principal,
        "publish",
        "om_assessment",
        period.name,
        messages.AUDIT_PUBLISHED.format(quarter=period.name),
        {"agencies": len(rows)},
        ip=ip,
    )
    return rows


def assessment_read(row: OMAssessment) -> AssessmentRead:
    values = {c: getattr(row, c) for c in AssessmentRead.model_fields if hasattr(row, c)}
    return AssessmentRead.model_validate({**values, "agency_name": row.agency.name})


def list_assessments(
    session: Session, principal: Principal, *, quarter: str | None = None
) -> list[OMAssessment]:
    """Assessments with their inputs; an agency sees only its own."""
    query = sa.select(OMAssessment).options(selectinload(OMAssessment.agency))
    if quarter is not None:
        query = query.where(OMAssessment.quarter == parse_quarter(quarter).name)
    if principal.role is Role.OM_AGENCY:
        query = query.where(OMAssessment.agency_id == (principal.agency_id or -1))
    elif principal.role is Role.ENTERPRISE:
        return []
    return list(session.scalars(query.order_by(OMAssessment.quarter.desc(), OMAssessment.rank)))


def published_ranking(session: Session, quarter: str | None = None) -> Ranking:
    """The published ranking of a quarter (default: the latest published one). Public."""
    name = (
        parse_quarter(quarter).name
        if quarter
        else session.scalar(
            sa.select(sa.func.max(OMAssessment.quarter)).where(OMAssessment.published.is_(True))
        )
    )
    if name is None:
        return Ranking(quarter=None, results=[])
    rows = session.scalars(
        sa.select(OMAssessment)
        .options(selectinload(OMAssessment.agency))
        .where(OMAssessment.quarter == name, OMAssessment.published.is_(True))
        .order_by(OMAssessment.rank, OMAssessment.agency_id)
    ).all()
    return Ranking(
        quarter=name,
        published_at=rows[0].published_at if rows else None,
        results=[
            RankingRow(rank=r.rank, agency_name=r.agency.name, score=r.score, grade=r.grade, veto=r.veto)
            for r in rows
        ],
    )
