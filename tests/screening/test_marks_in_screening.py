"""Approved data marks reach screening: findings inside a mark weigh ``marked_period`` × their weight, the
point-day score drops; a submitted (not yet approved) mark changes nothing (both backends)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.database import session_factory
from ecosentinel.detection.config import ScoringConfig
from ecosentinel.detection.findings import Finding, Severity
from ecosentinel.detection.scoring import finding_weight
from ecosentinel.interop.marks import create_mark, review_mark
from ecosentinel.interop.models import DataMark
from ecosentinel.screening import service
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.screening.models import PointDayScore, ScreeningFinding
from ecosentinel.store.base import MeasurementStore
from tests.screening.test_run_service import seed

ADMIN = Principal(user_id=None, username="admin-test", display_name="管理员", role=Role.ADMIN)
ANALYST = Principal(user_id=None, username="analyst-test", display_name="分析员", role=Role.ANALYST)


def _utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _scores(engine: sa.Engine, mn: str) -> dict[dt.date, float]:
    with Session(engine) as session:
        rows = session.scalars(sa.select(PointDayScore).where(PointDayScore.mn == mn)).all()
        return {r.day: r.score for r in rows}


def _mark(session: Session, mn: str, start: dt.datetime, end: dt.datetime, *, approve: bool) -> int:
    mark = create_mark(
        session, ADMIN, mn=mn, kind="maintenance", start=start, end=end, reason="分析仪维护检修（测试）"
    )
    if approve:
        review_mark(session, ANALYST, mark.id, approve=True)
    session.commit()
    return mark.id


def test_approved_maintenance_mark_down_weights_findings(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store, days=1.0)
    factory = session_factory(engine)
    service.run_screening(factory, migrated_url, start=data.start, end=data.end, store=store)
    before = _scores(engine, data.bad_mn)
    assert before
    assert max(before.values()) > 0
    with Session(engine) as session:
        findings = session.scalars(
            sa.select(ScreeningFinding).where(ScreeningFinding.mn == data.bad_mn)
        ).all()
        assert any(f.rule == "R01_constant_value" for f in findings)
        first = _utc(min(f.start for f in findings))
        last = _utc(max(f.end for f in findings))

    # A submitted mark excuses nothing: same scores after a re-run.
    with session_factory(engine)() as session:
        _mark(session, data.bad_mn, data.start - dt.timedelta(hours=1), data.end, approve=False)
    service.run_screening(factory, migrated_url, start=data.start, end=data.end, store=store)
    assert _scores(engine, data.bad_mn) == before

    # Approved over the whole screened period: every finding weighs half, so every point-day drops.
    with session_factory(engine)() as session:
        _mark(session, data.bad_mn, data.start - dt.timedelta(hours=1), data.end, approve=True)
        context = load_contexts(session, [data.bad_mn], data.start, data.end)[data.bad_mn]
        assert context.data_marks.height == 1
        assert context.data_marks["kind"].to_list() == ["maintenance"]
        assert context.in_data_mark(first, last, ())
    service.run_screening(factory, migrated_url, start=data.start, end=data.end, store=store)
    after = _scores(engine, data.bad_mn)
    assert after.keys() == before.keys()
    for day, score in before.items():
        if score > 0:
            assert after[day] < score, day
    with session_factory(engine)() as session:
        clean_context = load_contexts(session, [data.clean_mn], data.start, data.end)[data.clean_mn]
    assert clean_context.data_marks.height == 0  # another point's mark stays with its point


def test_mark_weight_is_factor_aware_and_half_open(engine: sa.Engine, store: MeasurementStore) -> None:
    data = seed(engine, store, days=0.25)
    t0 = data.start.astimezone(dt.UTC) + dt.timedelta(hours=1)
    with session_factory(engine)() as session:
        mark_id = _mark(session, data.bad_mn, t0, t0 + dt.timedelta(hours=2), approve=True)
        mark = session.get(DataMark, mark_id)
        assert mark is not None
        mark.factor_code = "w01018"  # narrow it to COD (the registry has it at this point)
        session.commit()
        context = load_contexts(session, [data.bad_mn], data.start, data.end)[data.bad_mn]
    scoring = ScoringConfig()

    def weight(code: str, start: dt.datetime, hours: float) -> float:
        finding = Finding(
            data.bad_mn,
            "R01_constant_value",
            (code,),
            start,
            start + dt.timedelta(hours=hours),
            Severity.MEDIUM,
            0.8,
            {},
            "x",
        )
        return finding_weight(finding, context, scoring)

    plain = weight("w21003", t0, 1)  # another factor: not covered by a COD mark
    assert plain > 0
    assert weight("w01018", t0 + dt.timedelta(minutes=30), 1) == plain * scoring.marked_period
    assert weight("w01018", t0 + dt.timedelta(hours=2), 1) == plain  # starts when the mark ends
    assert weight("w01018", t0 - dt.timedelta(hours=1), 1) == plain  # ends when the mark starts
