"""Inputs of the O&M assessment and the enterprise evaluation that other areas own.

Each is a plain function over a session, so another area's table can be plugged in without touching the
arithmetic: comparison tests (registry), screening findings (screening), penalties (enforcement). A
provider whose table does not exist yet answers "nothing known" (no tests, no findings, no penalties).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.om.periods import Period
from ecosentinel.readings import CST
from ecosentinel.registry.models import ComparisonTest, OMAssignment, Point

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


def _optional_model(module: str, name: str) -> Any | None:
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


FindingsProvider = Callable[[Session, Sequence[str], dt.datetime, dt.datetime], dict[str, int]]
PenaltiesProvider = Callable[[Session, Sequence[int], dt.datetime, dt.datetime], dict[int, "Penalties"]]


@dataclass(frozen=True, slots=True)
class Penalties:
    """Administrative penalties of an enterprise in a period; ``falsification`` when one was for it."""

    count: int = 0
    falsification: bool = False


def _has_columns(model: Any, *names: str) -> bool:
    table = getattr(model, "__table__", None)
    return table is not None and all(n in table.c for n in names)


def screening_findings(
    session: Session, mns: Sequence[str], start: dt.datetime, end: dt.datetime
) -> dict[str, int]:
    """Screening findings per MN in [start, end), leaving out dismissed ones; {} without the table."""
    model = _optional_model("ecosentinel.screening.models", "FindingRecord") or _optional_model(
        "ecosentinel.screening.models", "Finding"
    )
    if model is None or not mns:
        return {}
    time_col = next(
        (c for c in ("start", "window_start", "started_at", "time") if _has_columns(model, c)), None
    )
    if not _has_columns(model, "mn") or time_col is None:
        logger.warning("screening findings table has no mn/start columns; findings are not counted")
        return {}
    table = model.__table__
    query = (
        sa.select(table.c.mn, sa.func.count())
        .where(table.c.mn.in_(list(mns)), table.c[time_col] >= start, table.c[time_col] < end)
        .group_by(table.c.mn)
    )
    if "status" in table.c:
        query = query.where(table.c.status.notin_(["dismissed", "false_positive"]))
    return {mn: int(n) for mn, n in session.execute(query).all()}


def enforcement_penalties(
    session: Session, enterprise_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> dict[int, Penalties]:
    """Penalties per enterprise from the enforcement area's table when it exists; {} otherwise."""
    model = _optional_model("ecosentinel.enforcement.models", "Penalty")
    if model is None or not enterprise_ids or not _has_columns(model, "enterprise_id"):
        return {}
    table = model.__table__
    time_col = next((c for c in ("decided_at", "decided_on", "created_at") if c in table.c), None)
    query = sa.select(table.c.enterprise_id, *([table.c.category] if "category" in table.c else [])).where(
        table.c.enterprise_id.in_(list(enterprise_ids))
    )
    if time_col is not None:
        query = query.where(table.c[time_col] >= start, table.c[time_col] < end)
    result: dict[int, Penalties] = {}
    for row in session.execute(query).all():
        before = result.get(row[0], Penalties())
        fraud = len(row) > 1 and "falsif" in str(row[1])
        result[row[0]] = Penalties(before.count + 1, before.falsification or fraud)
    return result


FINDINGS: FindingsProvider = screening_findings
"""The findings provider in use (replaceable, e.g. in tests)."""
PENALTIES: PenaltiesProvider = enforcement_penalties
"""The penalties provider in use (replaceable)."""
