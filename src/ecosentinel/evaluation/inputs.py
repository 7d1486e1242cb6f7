"""Inputs of the O&M assessment and the enterprise evaluation that other areas own.

Each is a plain function over a session, replaceable (``FINDINGS``, ``PENALTIES``) without touching the
arithmetic: comparison tests (registry), screening findings (screening), penalties (enforcement).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.enforcement.credit import service as credit
from ecosentinel.enforcement.models import Case, Penalty
from ecosentinel.om.periods import Period
from ecosentinel.readings import CST
from ecosentinel.registry.models import ComparisonTest, OMAssignment, Point
from ecosentinel.screening.models import ScreeningFinding

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Assignment:
    """One agency–point assignment clipped to a period: [start, end) aware UTC."""

    agency_id: int
    point_id: int
    mn: str
    start: dt.datetime
    end: dt.datetime


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CST).astimezone(dt.UTC)


def assignments_in(session: Session, period: Period) -> list[Assignment]:
    """Assignments that overlap the period, clipped to it (valid_to inclusive, open end = still)."""
    rows = session.execute(
        sa.select(
            OMAssignment.agency_id,
            OMAssignment.point_id,
            Point.mn,
            OMAssignment.valid_from,
            OMAssignment.valid_to,
        )
        .join(Point, Point.id == OMAssignment.point_id)
        .where(
            OMAssignment.valid_from <= period.last_day,
            sa.or_(OMAssignment.valid_to.is_(None), OMAssignment.valid_to >= period.first_day),
        )
        .order_by(OMAssignment.agency_id, Point.mn)
    ).all()
    result = []
    for agency_id, point_id, mn, valid_from, valid_to in rows:
        start = max(period.start, _day_start(valid_from))
        end = period.end if valid_to is None else min(period.end, _day_start(valid_to + dt.timedelta(days=1)))
        if start < end:
            result.append(
                Assignment(agency_id, point_id, mn, start.astimezone(dt.UTC), end.astimezone(dt.UTC))
            )
    return result


def comparison_counts(session: Session, assignments: Sequence[Assignment]) -> tuple[int, int]:
    """(tests, passed) of comparison tests (比对监测) on the assigned points within the assigned time."""
    tests = passed = 0
    for item in assignments:
        first = item.start.astimezone(CST).date()
        last = (item.end.astimezone(CST) - dt.timedelta(microseconds=1)).date()
        rows = session.scalars(
            sa.select(ComparisonTest.passed).where(
                ComparisonTest.point_id == item.point_id,
                ComparisonTest.tested_on >= first,
                ComparisonTest.tested_on <= last,
            )
        ).all()
        tests += len(rows)
        passed += sum(1 for ok in rows if ok)
    return tests, passed


FindingsProvider = Callable[[Session, Sequence[str], dt.datetime, dt.datetime], dict[str, int]]
PenaltiesProvider = Callable[[Session, Sequence[int], dt.datetime, dt.datetime], dict[int, "Penalties"]]


@dataclass(frozen=True, slots=True)
class Penalties:
    """Administrative penalties of an enterprise in a period; ``falsification`` when one was for it."""

    count: int = 0
    falsification: bool = False


def screening_findings(
    session: Session, mns: Sequence[str], start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    """Screening findings per MN starting in [start, end)."""
    if not mns:
        return {}
    query = (
        sa.select(ScreeningFinding.mn, sa.func.count())
        .where(
            ScreeningFinding.mn.in_(list(mns)),
            ScreeningFinding.start >= start.astimezone(dt.UTC),
            ScreeningFinding.start < end.astimezone(dt.UTC),
        )
        .group_by(ScreeningFinding.mn)
    )
    return {mn: int(n) for mn, n in session.execute(query).all()}


def enforcement_penalties(
    session: Session, enterprise_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> dict[int, Penalties]:
    """Penalties per enterprise (a case's ``Penalty``, by decision date, else by entry time).

    A case file records no offence category; ``falsification`` is set when the enterprise has a joint-
    punishment credit record (联合惩戒, a penalty for falsification) public at some day of the period and
    not withdrawn after rectification before it. A confirmed falsification also reaches the evaluation
    through the O&M violation record.
    """
    if not enterprise_ids:
        return {}
    query = (
        sa.select(Case.enterprise_id, Penalty.created_at, Penalty.decided_at)
        .join(Case, Case.id == Penalty.case_id)
        .where(Case.enterprise_id.in_(list(enterprise_ids)))
    )
    first, last = start.astimezone(CST).date(), (end.astimezone(CST) - dt.timedelta(microseconds=1)).date()
    result: dict[int, Penalties] = {}
    for enterprise_id, created, decided in session.execute(query).all():
        if decided is not None:
            inside = first <= decided <= last
        else:
            at = created.replace(tzinfo=dt.UTC) if created.tzinfo is None else created
            inside = start <= at < end
        if inside and enterprise_id is not None:
            before = result.get(enterprise_id, Penalties())
            result[enterprise_id] = Penalties(before.count + 1, before.falsification)
    wanted = set(enterprise_ids)
    for rec in credit.active_between(session, first, last):
        if rec.subject_kind == credit.SubjectKind.ENTERPRISE.value and rec.enterprise_id in wanted:
            assert rec.enterprise_id is not None
            before = result.get(rec.enterprise_id, Penalties())
            result[rec.enterprise_id] = Penalties(before.count, True)
    return result


def enforcement_open_cases(session: Session, enterprise_ids: Sequence[int], end: dt.datetime) -> set[int]:
    """Enterprises with a case opened before ``end`` and not closed (open, or transferred to the police)."""
    if not enterprise_ids:
        return set()
    query = sa.select(Case.enterprise_id).where(
        Case.enterprise_id.in_(list(enterprise_ids)),
        Case.status.in_(("open", "transferred")),
        Case.created_at < end,
    )
    return {e for e in session.scalars(query) if e is not None}


FINDINGS: FindingsProvider = screening_findings
"""The findings provider in use (replaceable, e.g. in tests)."""
PENALTIES: PenaltiesProvider = enforcement_penalties
"""The penalties provider in use (replaceable)."""
