"""Quarterly assessment and credit rating of O&M agencies (运维考核, seed 004): the inputs of each agency's
points over the quarter (records, availability, comparison tests, screening findings, penalties), the rating,
its publication and the public ranking."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.audit.service import record as audit
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.credit import service as credit
from ecosentinel.errors import NotFoundError
from ecosentinel.evaluation import inputs
from ecosentinel.evaluation.om_rating import RatingInputs, rate
from ecosentinel.evaluation.service import publish_rows
from ecosentinel.interop import validity
from ecosentinel.om import messages
from ecosentinel.om.enums import TIMELY_HOURS, ViolationKind
from ecosentinel.om.models import MaintenanceRecord, OMAssessment, OMViolation
from ecosentinel.om.periods import Period, parse_quarter
from ecosentinel.om.schemas import (
    AssessmentRead,
    Ranking,
    RankingRow,
)
from ecosentinel.om.service import as_utc
from ecosentinel.readings import CST
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)


# --- quarterly assessment ------------------------------------------------------------------------------


def _in_period(value: dt.datetime, period: Period) -> bool:
    return period.start <= as_utc(value) < period.end


def validity_counts(
    session: Session, store: MeasurementStore, assignments: Sequence[inputs.Assignment], *, now: dt.datetime
) -> tuple[int, int, int]:
    """(expected, received, valid) point-factor hours of the assigned points over the CST days they were
    assigned, from the validity statistics (``interop.validity``, the 数据有效性 page's numbers); a day
    assigned twice counts once."""
    days: dict[str, set[dt.date]] = defaultdict(set)
    for item in assignments:
        day = item.start.astimezone(CST).date()
        last = (item.end - dt.timedelta(microseconds=1)).astimezone(CST).date()
        while day <= last:
            days[item.mn].add(day)
            day += dt.timedelta(days=1)
    expected = received = valid = 0
    for mn, wanted in sorted(days.items()):
        for row in validity.statistics(session, store, start=min(wanted), end=max(wanted), mns=[mn], now=now):
            if dt.date.fromisoformat(row.period) in wanted:
                expected += row.expected
                received += row.received
                valid += row.valid
    return expected, received, valid


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
    counts = validity_counts(session, store, assignments, now=now)
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
    # A joint-punishment credit record (联合惩戒) of the agency, or of a responsible person working for it,
    # decided within the quarter vetoes it like a confirmed falsification.
    reasons += [
        f"联合惩戒失信记录 {r.number}（{r.decision_no}，{r.subject_name}）"
        for r in credit.decided_between(session, period.first_day, period.last_day)
        if r.agency_id == agency_id
    ]
    return RatingInputs(
        points=len({item.point_id for item in assignments}),
        expected_hours=counts[0],
        received_hours=counts[1],
        valid_hours=counts[2],
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
    summary = messages.AUDIT_PUBLISHED.format(quarter=period.name)
    publish_rows(session, principal, rows, "om_assessment", period.name, summary, ip=ip)
    return rows


def assessment_read(row: OMAssessment) -> AssessmentRead:
    return AssessmentRead.model_validate(row)


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
