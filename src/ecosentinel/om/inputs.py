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
    model = _optional_model("ecosentinel.screening.models", "ScreeningFinding")
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
    """Penalties per enterprise (enforcement ``Penalty`` of a ``Case``, by decision date, else entry time)."""
    penalty = _optional_model("ecosentinel.enforcement.models", "Penalty")
    case = _optional_model("ecosentinel.enforcement.models", "Case")
    if penalty is None or case is None or not enterprise_ids:
        return {}
    if not _has_columns(penalty, "case_id", "created_at") or not _has_columns(case, "id", "enterprise_id"):
        logger.warning("enforcement penalty/case tables lack the expected columns; penalties are not counted")
        return {}
    p, c = penalty.__table__, case.__table__
    kind_cols = [c.c[n] for n in ("category", "problem_category", "kind") if n in c.c]
    query = (
        sa.select(
            c.c.enterprise_id, p.c.created_at, *([p.c.decided_at] if "decided_at" in p.c else []), *kind_cols
        )
        .join(c, c.c.id == p.c.case_id)
        .where(c.c.enterprise_id.in_(list(enterprise_ids)))
    )
    first, last = start.astimezone(CST).date(), (end.astimezone(CST) - dt.timedelta(microseconds=1)).date()
    result: dict[int, Penalties] = {}
    for row in session.execute(query).all():
        enterprise_id, created = row[0], row[1]
        decided = row[2] if "decided_at" in p.c else None
        if decided is not None:
            inside = first <= decided <= last
        else:
            at = created.replace(tzinfo=dt.UTC) if created.tzinfo is None else created
            inside = start <= at < end
        if not inside:
            continue
        fraud = any("falsif" in str(v) or "造假" in str(v) for v in row[3 if "decided_at" in p.c else 2 :])
        before = result.get(enterprise_id, Penalties())
        result[enterprise_id] = Penalties(before.count + 1, before.falsification or fraud)
    return result


FINDINGS: FindingsProvider = screening_findings
"""The findings provider in use (replaceable, e.g. in tests)."""
PENALTIES: PenaltiesProvider = enforcement_penalties
"""The penalties provider in use (replaceable)."""
