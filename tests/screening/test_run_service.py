"""Running screening over the store: persistence is idempotent, the process pool equals in-process,
scores are stored per point-day and enterprise-day, failures are recorded (both backends)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM, Principal
from ecosentinel.database import session_factory
from ecosentinel.registry.models import Point
from ecosentinel.registry.service import import_registry
from ecosentinel.screening import service
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.screening.executor import execute
from ecosentinel.screening.models import (
    EnterpriseDayScore,
    PointDayScore,
    ScreeningFinding,
    ScreeningRun,
)
from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.models import ScenarioSpec, SimulationConfig, SimulationResult
from ecosentinel.store.base import MeasurementStore

START = dt.datetime(2024, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@dataclass
class Seeded:
    """Two simulated wastewater points of two enterprises; ``bad_mn`` has injected constant values."""

    result: SimulationResult
    bad_mn: str
    clean_mn: str
    enterprise_of: dict[str, int]
    start: dt.datetime
    end: dt.datetime


def seed(engine: sa.Engine, store: MeasurementStore, days: float = 2.0) -> Seeded:
    """Registry and readings of the two points in the test database (shared by the test_run_* modules)."""
    config = SimulationConfig(
        seed=3,
        start=START,
        days=days,
        water=2,
        gas=0,
        scenarios=[ScenarioSpec(id="constant_value", station=0)],
    )
    result = simulate(config)
    with session_factory(engine)() as session:
        import_registry(session, result.registry, source_name="test")
        session.commit()
    store.append(result.readings)
    with Session(engine) as session:
        enterprise_of = {p.mn: p.enterprise_id for p in session.scalars(sa.select(Point))}
    latest = result.readings["time"].max()
    assert isinstance(latest, dt.datetime)
    return Seeded(
        result=result,
        bad_mn=result.station_mns[0],
        clean_mn=result.station_mns[1],
        enterprise_of=enterprise_of,
        start=START,
        end=latest + dt.timedelta(seconds=1),
    )


def _findings(engine: sa.Engine) -> list[tuple[str, str, str, str, str]]:
    with Session(engine) as session:
        rows = session.scalars(sa.select(ScreeningFinding).order_by(ScreeningFinding.fingerprint)).all()
        return [(r.fingerprint, r.mn, r.rule, r.severity, r.evidence) for r in rows]


def test_screening_twice_gives_the_same_findings(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store)
    factory = session_factory(engine)
    first = service.run_screening(factory, migrated_url, start=data.start, end=data.end, store=store)
    stored = _findings(engine)
    assert first.new_findings == len(stored) > 0
    assert {mn for _, mn, rule, _, _ in stored} == {data.bad_mn}
    assert {rule for _, _, rule, _, _ in stored} >= {"R01_constant_value"}

    second = service.run_screening(factory, migrated_url, start=data.start, end=data.end, store=store)
    assert second.new_findings == 0
    assert second.updated_findings == 0
    assert _findings(engine) == stored
    with Session(engine) as session:
        runs = session.scalars(sa.select(ScreeningRun).order_by(ScreeningRun.id)).all()
        assert [r.status for r in runs] == ["succeeded", "succeeded"]
        assert [r.new_findings for r in runs] == [len(stored), 0]
        assert runs[0].readings == runs[1].readings == data.result.readings.height
        assert all(r.finished_at is not None and r.window_start is not None for r in runs)
        # every finding now points at the last run that saw it, and at the first one that found it
        assert set(session.scalars(sa.select(ScreeningFinding.first_run_id))) == {runs[0].id}
        assert set(session.scalars(sa.select(ScreeningFinding.run_id))) == {runs[1].id}
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "screening_run")).all()
        assert len(entries) == 2


def test_day_scores_are_stored_for_points_and_enterprises(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store)
    factory = session_factory(engine)
    service.run_screening(factory, migrated_url, start=data.start, end=data.end, store=store)
    service.run_screening(factory, migrated_url, start=data.start, end=data.end, store=store)
    with Session(engine) as session:
        points = session.scalars(sa.select(PointDayScore)).all()
        assert points
        assert {p.mn for p in points} == {data.bad_mn}
        assert len({(p.mn, p.day) for p in points}) == len(points)
        assert all(p.colour in ("green", "yellow", "red") and p.n_findings > 0 for p in points)
        coloured = [p for p in points if p.colour != "green"]
        assert coloured
        assert all(p.basis and p.basis_zh for p in coloured)  # every colour says what set it
        assert {p.enterprise_id for p in points} == {data.enterprise_of[data.bad_mn]}
        enterprises = session.scalars(sa.select(EnterpriseDayScore)).all()
        assert sorted((e.enterprise_id, e.day) for e in enterprises) == sorted(
            (p.enterprise_id, p.day) for p in points
        )
        by_day = {p.day: p for p in points}
        for e in enterprises:  # one point per enterprise here: the enterprise score is the point's
            assert e.score == by_day[e.day].score
            assert e.colour == by_day[e.day].colour

        analyst = Principal(user_id=None, username="a", display_name="a", role=Role.ANALYST)
        day = points[0].day
        assert [s.mn for s in service.day_scores(session, analyst, day=day)] == [data.bad_mn]
        assert service.latest_run(session) is not None


def test_process_pool_gives_the_in_process_findings(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store)
    mns = sorted(data.enterprise_of)
    with Session(engine) as session:
        contexts = load_contexts(session, mns, data.start, data.end)
    local = execute(migrated_url, mns, data.start, data.end, contexts, workers=1, chunk_points=1)
    pooled = execute(migrated_url, mns, data.start, data.end, contexts, workers=2, chunk_points=1)
    assert local.findings
    assert [f.to_dict() for f in pooled.findings] == [f.to_dict() for f in local.findings]
    assert pooled.readings == local.readings == data.result.readings.height
    assert pooled.points == local.points == 2


def test_a_failed_run_is_recorded_with_its_error(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store)
    factory = session_factory(engine)

    class BrokenStore:
        def __getattr__(self, name: str) -> object:
            return getattr(store, name)

        def read_window(self, **_: object) -> object:
            raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        service.run_screening(
            factory,
            migrated_url,
            start=data.start,
            end=data.end,
            store=BrokenStore(),  # type: ignore[arg-type]
            principal=SYSTEM,
        )
    with Session(engine) as session:
        run = session.scalars(sa.select(ScreeningRun)).one()
        assert run.status == "failed"
        assert run.error is not None
        assert "disk on fire" in run.error
        assert run.finished_at is not None


def test_unregistered_points_are_screened_with_a_guessed_context(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store)
    other = data.result.readings.filter(pl.col("mn") == data.bad_mn).with_columns(
        pl.lit("999900000000000000000001").alias("mn")
    )
    store.append(other)
    with Session(engine) as session:
        contexts = load_contexts(session, ["999900000000000000000001"], data.start, data.end)
    assert contexts["999900000000000000000001"].point_type.value == "water"
    assert contexts["999900000000000000000001"].enterprise_id is None
    outcome = service.run_screening(
        session_factory(engine), migrated_url, start=data.start, end=data.end, store=store, save=False
    )
    assert outcome.run_id is None
    assert "999900000000000000000001" in {f.mn for f in outcome.result.findings}
    with Session(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ScreeningRun)) == 0


def test_fingerprint_ignores_the_end_and_factor_order() -> None:
    from ecosentinel.detection.findings import Finding, Severity

    t0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    a = Finding(
        "MN",
        "R05_dilution",
        ("w01018", "w21003"),
        t0,
        t0 + dt.timedelta(hours=2),
        Severity.HIGH,
        0.9,
        {},
        "x",
    )
    b = Finding(
        "MN", "R05_dilution", ("w21003", "w01018"), t0, t0 + dt.timedelta(hours=5), Severity.LOW, 0.2, {}, "y"
    )
    c = Finding("MN", "R05_dilution", ("w21003",), t0, t0 + dt.timedelta(hours=5), Severity.LOW, 0.2, {}, "y")
    assert service.fingerprint(a) == service.fingerprint(b) != service.fingerprint(c)
    # the rule's test is part of the key; a finding whose evidence names no test is the default one
    d = Finding("MN", "R05_dilution", a.factors, t0, t0, Severity.LOW, 0.2, {"kind": "flow"}, "z")
    e = Finding("MN", "R05_dilution", a.factors, t0, t0, Severity.LOW, 0.2, {"kind": "default"}, "z")
    assert service.fingerprint(d) != service.fingerprint(a) == service.fingerprint(e)


def test_two_tests_of_one_rule_on_one_start_are_both_stored(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    """R12's month test (low) and its ceiling window (medium) open on the same hour over one pile: both are
    kept, whichever comes last in the pass, and the day takes the medium one (it was green when the low
    one replaced it)."""
    from ecosentinel.detection.findings import Finding, Severity

    data = seed(engine, store)
    factory = session_factory(engine)
    t0 = data.start + dt.timedelta(hours=30)
    window = [t0.isoformat(), (t0 + dt.timedelta(hours=72)).isoformat()]

    def bunching(kind: str, severity: Severity) -> Finding:
        return Finding(
            data.clean_mn,
            "R12_bunching",
            ("w21003",),
            t0,
            t0 + dt.timedelta(hours=72),
            severity,
            0.6,
            {"kind": kind, "window": window},
            f"测试线索 {kind}",
        )

    ceiling, month = bunching("ceiling", Severity.MEDIUM), bunching("default", Severity.LOW)
    with factory() as session:
        contexts = load_contexts(session, [data.clean_mn], data.start, data.end)
        assert service.save_findings(session, [ceiling, month], contexts, run_id=None) == (2, 0)
        assert service.save_findings(session, [month, ceiling], contexts, run_id=None) == (0, 0)
        session.commit()
    with Session(engine) as session:
        rows = session.scalars(sa.select(ScreeningFinding).where(ScreeningFinding.mn == data.clean_mn)).all()
        assert sorted(r.severity for r in rows) == ["low", "medium"]
        day = t0.astimezone(START.tzinfo).date()
        score = session.scalars(
            sa.select(PointDayScore).where(PointDayScore.mn == data.clean_mn, PointDayScore.day == day)
        ).one()
        assert score.colour == "yellow"


def test_a_near_copy_followed_by_later_passes_is_one_stored_finding(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    """R17 reports a near copy on its best-matching window, which moved as each server pass saw another
    hour of the copied day. Its evidence names the first matching window as ``key_start``: the passes
    upsert one row, which follows the window, and a day the window has left is scored again."""
    from ecosentinel.detection.findings import Finding, Severity

    data = seed(engine, store)
    factory = session_factory(engine)
    first = data.start + dt.timedelta(hours=2)

    def near_copy(shift: int) -> Finding:
        a = first + dt.timedelta(hours=shift)
        evidence = {"kind": "near_identical", "key_start": first.isoformat()}
        return Finding(
            data.clean_mn, "R17_replay", ("w21003",), a, a + dt.timedelta(hours=24), Severity.MEDIUM, 0.7,
            evidence, f"测试线索 {shift}",
        )  # fmt: skip

    assert service.fingerprint(near_copy(0)) == service.fingerprint(near_copy(20))
    with factory() as session:
        contexts = load_contexts(session, [data.clean_mn], data.start, data.end)
        assert service.save_findings(session, [near_copy(0)], contexts, run_id=None) == (1, 0)
        assert service.save_findings(session, [near_copy(6)], contexts, run_id=None) == (0, 1)
        assert service.save_findings(session, [near_copy(26)], contexts, run_id=None) == (0, 1)
        session.commit()
    with Session(engine) as session:
        [row] = session.scalars(sa.select(ScreeningFinding).where(ScreeningFinding.mn == data.clean_mn)).all()
        assert service.utc(row.start) == first + dt.timedelta(hours=26)  # the row follows the window
        assert row.explanation_zh == "测试线索 26"
        days = {
            s.day: s.colour
            for s in session.scalars(sa.select(PointDayScore).where(PointDayScore.mn == data.clean_mn))
        }
    left = first.astimezone(START.tzinfo).date()  # the first window's day, no longer covered
    assert left not in days
    assert days  # the days the window covers now are scored


def test_contexts_carry_the_registry_limits_and_side_records(
    engine: sa.Engine, store: MeasurementStore
) -> None:
    from ecosentinel.registry.models import MaintenanceWindow, StationEvent

    data = seed(engine, store, days=1.0)
    t0 = (data.start + dt.timedelta(hours=2)).astimezone(dt.UTC)  # SQLite keeps no offset: store UTC
    with session_factory(engine)() as session:
        session.add(StationEvent(mn=data.bad_mn, time=t0, type="door_open", device_code="D1"))
        session.add(MaintenanceWindow(mn=data.bad_mn, start=t0, end=t0 + dt.timedelta(hours=1)))
        session.add(
            MaintenanceWindow(
                mn=data.clean_mn, start=t0 - dt.timedelta(days=9), end=t0 - dt.timedelta(days=8)
            )
        )
        session.commit()
        contexts = load_contexts(session, [data.bad_mn, data.clean_mn], data.start, data.end)
    bad, clean = contexts[data.bad_mn], contexts[data.clean_mn]
    registry_point = data.result.point(data.bad_mn)
    cod = next(f for f in registry_point["factors"] if f["code"] == "w01018")
    assert bad.factor("w01018").limit == cod["limit"]
    assert bad.factor("w01018").range_high == cod["range"]
    assert bad.enterprise_id == str(data.enterprise_of[data.bad_mn])
    assert bad.events["type"].to_list() == ["door_open"]
    assert bad.maintenance_windows.height == 1
    assert bad.in_maintenance_window(t0 + dt.timedelta(minutes=10), t0 + dt.timedelta(minutes=20))
    assert clean.events.height == 0
    assert clean.maintenance_windows.height == 0  # outside the window
