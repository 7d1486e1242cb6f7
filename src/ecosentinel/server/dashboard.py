"""The dashboard's figures: warning colours, today's new warnings, stations online, the enterprise map.

Every figure is restricted to what the caller may see (``registry.scope``). Tables of areas that are not yet
filled simply give empty figures.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from ecosentinel.auth.roles import Perm, Role
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.ledger.service import overdue_problems
from ecosentinel.enforcement.models import Case, EnforcementWarning, Task, TaskMember
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, Point
from ecosentinel.registry.scope import visible_enterprise_ids, visible_mns
from ecosentinel.screening.models import EnterpriseDayScore, PointDayScore
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)

ONLINE_WINDOW = dt.timedelta(minutes=10)
COLOUR_RANK = {"green": 1, "yellow": 2, "red": 3}


@dataclass
class StationRow:
    mn: str
    name: str
    enterprise: str
    online: bool
    last_data: dt.datetime | None
    colour: str | None


@dataclass
class Dashboard:
    score_day: dt.date | None = None
    colour_counts: dict[str, int] = field(default_factory=dict)
    new_warnings: list[dict[str, Any]] = field(default_factory=list)
    new_warning_counts: dict[str, int] = field(default_factory=dict)
    new_warning_total: int = 0
    workload: dict[str, int] = field(default_factory=dict)  # open_cases, open_tasks, overdue (by permission)
    my_tasks: list[dict[str, Any]] = field(default_factory=list)
    warnings_available: bool = False
    stations: list[StationRow] = field(default_factory=list)
    online: int = 0
    offline: int = 0
    map_points: list[dict[str, Any]] = field(default_factory=list)


def _today_start_utc(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(CST)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def build(
    session: Session,
    principal: Principal,
    store: MeasurementStore,
    *,
    online_mns: dict[str, float] | None,
    now: dt.datetime | None = None,
) -> Dashboard:
    """All dashboard figures for the caller."""
    now = now or dt.datetime.now(dt.UTC)
    board = Dashboard()
    mns = visible_mns(session, principal)
    enterprise_ids = visible_enterprise_ids(session, principal)

    query = sa.select(Point).options(selectinload(Point.enterprise)).order_by(Point.enterprise_id, Point.mn)
    if mns is not None:
        query = query.where(Point.mn.in_(mns or {""}))
    points = list(session.scalars(query))

    # Colours of the latest scored day.
    day_query = sa.select(sa.func.max(PointDayScore.day))
    if mns is not None:
        day_query = day_query.where(PointDayScore.mn.in_(mns or {""}))
    board.score_day = session.scalar(day_query)
    point_colour: dict[str, str] = {}
    if board.score_day is not None:
        rows = session.execute(
            sa.select(PointDayScore.mn, PointDayScore.colour).where(PointDayScore.day == board.score_day)
        ).all()
        point_colour = {mn: colour for mn, colour in rows if mns is None or mn in mns}
        board.colour_counts = dict(Counter(point_colour.values()))

    # Stations online / offline and last data time.
    latest = store.latest()
    last: dict[str, dt.datetime] = {}
    if not latest.is_empty():
        for mn, t in latest.group_by("mn").agg(pl.col("time").max()).iter_rows():
            last[mn] = t
    mono = time.monotonic()
    for p in points:
        seen = online_mns.get(p.mn) if online_mns is not None else None
        recent = last.get(p.mn)
        online = (seen is not None and mono - seen <= ONLINE_WINDOW.total_seconds()) or (
            online_mns is None and recent is not None and now - recent <= ONLINE_WINDOW
        )
        board.stations.append(
            StationRow(
                mn=p.mn,
                name=p.name,
                enterprise=p.enterprise.name if p.enterprise else "",
                online=online,
                last_data=recent,
                colour=point_colour.get(p.mn),
            )
        )
    board.online = sum(1 for s in board.stations if s.online)
    board.offline = len(board.stations) - board.online

    if principal.can(Perm.WARNINGS_READ):
        _new_warnings(session, board, mns, now)
    _workload(session, board, principal, now)
    _map(session, board, points, enterprise_ids, point_colour)
    return board


def _new_warnings(session: Session, board: Dashboard, mns: set[str] | None, now: dt.datetime) -> None:
    """Warnings created today (CST) still waiting for a decision (new or under review): dismissed and
    escalated ones are no longer "new". Red first, then by score; the counts cover all of them."""
    colour_order = sa.case(
        (EnforcementWarning.colour == "red", 0), (EnforcementWarning.colour == "yellow", 1), else_=2
    )
    query = (
        sa.select(EnforcementWarning)
        .where(
            EnforcementWarning.created_at >= _today_start_utc(now),
            EnforcementWarning.status.in_(("new", "under_review")),
        )
        .order_by(colour_order, EnforcementWarning.score.desc(), EnforcementWarning.id)
    )
    if mns is not None:
        query = query.where(EnforcementWarning.mn.in_(mns or {""}))
    try:
        with session.begin_nested():
            rows = list(session.scalars(query))
    except SQLAlchemyError:
        logger.warning("warnings table not readable; dashboard shows none", exc_info=True)
        return
    board.warnings_available = True
    board.new_warning_counts = dict(Counter(w.colour for w in rows))
    board.new_warning_total = len(rows)
    board.new_warnings = [
        {
            "id": w.id,
            "mn": w.mn,
            "colour": w.colour,
            "score": w.score,
            "summary": w.summary_zh,
            "status": w.status,
        }
        for w in rows[:10]
    ]


def _workload(session: Session, board: Dashboard, principal: Principal, now: dt.datetime) -> None:
    """Open cases, open tasks, overdue rectifications (each for roles that may read them) and the caller's
    own open tasks."""
    open_tasks = ("pending", "dispatched", "in_progress")
    if principal.can(Perm.CASES_READ) and principal.role is not Role.POLICE:
        board.workload["open_cases"] = (
            session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.status == "open")) or 0
        )
    if principal.can(Perm.TASKS_READ):
        board.workload["open_tasks"] = (
            session.scalar(sa.select(sa.func.count()).select_from(Task).where(Task.status.in_(open_tasks)))
            or 0
        )
    if principal.can(Perm.LEDGER_READ):
        board.workload["overdue"] = len(overdue_problems(session, today=now.astimezone(CST).date()))
    if principal.can(Perm.INSPECTIONS_WRITE) and principal.user_id is not None:
        mine = session.scalars(
            sa.select(Task)
            .where(
                Task.status.in_(open_tasks),
                Task.id.in_(sa.select(TaskMember.task_id).where(TaskMember.user_id == principal.user_id)),
            )
            .order_by(Task.deadline.is_(None), Task.deadline, Task.id)
        )
        board.my_tasks = [
            {"id": t.id, "title": t.title, "status": t.status, "deadline": t.deadline} for t in mine
        ]


def _map(
    session: Session,
    board: Dashboard,
    points: list[Point],
    enterprise_ids: set[int] | None,
    point_colour: dict[str, str],
) -> None:
    """Enterprises with coordinates, coloured by their worst point (or enterprise day score)."""
    query = sa.select(Enterprise).where(Enterprise.lon.is_not(None), Enterprise.lat.is_not(None))
    if enterprise_ids is not None:
        query = query.where(Enterprise.id.in_(enterprise_ids or {-1}))
    enterprises = list(session.scalars(query.order_by(Enterprise.id)))
    if not enterprises:
        return
    colour: dict[int, str] = {}
    for p in points:
        c = point_colour.get(p.mn)
        if c and COLOUR_RANK.get(c, 0) > COLOUR_RANK.get(colour.get(p.enterprise_id, ""), 0):
            colour[p.enterprise_id] = c
    if board.score_day is not None:
        for eid, c in session.execute(
            sa.select(EnterpriseDayScore.enterprise_id, EnterpriseDayScore.colour).where(
                EnterpriseDayScore.day == board.score_day
            )
        ):
            if eid in {e.id for e in enterprises} and COLOUR_RANK.get(c, 0) > COLOUR_RANK.get(
                colour.get(eid, ""), 0
            ):
                colour[eid] = c
    lons = [e.lon for e in enterprises if e.lon is not None]
    lats = [e.lat for e in enterprises if e.lat is not None]
    lon0, lon1 = min(lons), max(lons)
    lat0, lat1 = min(lats), max(lats)
    span_lon = max(lon1 - lon0, 1e-3)
    span_lat = max(lat1 - lat0, 1e-3)
    first_point = {p.enterprise_id: p.mn for p in points}
    for e in enterprises:
        assert e.lon is not None
        assert e.lat is not None
        board.map_points.append(
            {
                "id": e.id,
                "name": e.name,
                "x": round(40 + 520 * (e.lon - lon0) / span_lon, 1),
                "y": round(300 - 260 * (e.lat - lat0) / span_lat, 1),
                "colour": colour.get(e.id, "none"),
                "mn": first_point.get(e.id),
            }
        )
