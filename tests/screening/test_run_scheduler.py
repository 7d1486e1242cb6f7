"""The scheduler runs a full pass, then an incremental pass on new data only, and survives failures."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.config import ScreeningSettings
from ecosentinel.database import session_factory
from ecosentinel.screening.models import ScreeningPointState, ScreeningRun
from ecosentinel.server.scheduler import ScreeningScheduler
from ecosentinel.store.base import MeasurementStore
from tests.screening.test_run_service import seed

WAIT_S = 120.0  # generous upper bound on a loaded machine; the test returns as soon as the record exists


def _wait_for(engine: sa.Engine, predicate: Callable[[list[ScreeningRun]], bool]) -> list[ScreeningRun]:
    deadline = time.monotonic() + WAIT_S
    while True:
        with Session(engine) as session:
            runs = list(session.scalars(sa.select(ScreeningRun).order_by(ScreeningRun.id)))
        if predicate(runs):
            return runs
        assert time.monotonic() < deadline, f"no such run record within {WAIT_S}s: {runs}"
        time.sleep(0.05)


def test_scheduler_runs_an_incremental_pass_on_new_data(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store, days=1.5)
    settings = ScreeningSettings(interval_s=0.05, full_interval_s=3600.0, lookback_hours=6.0)
    scheduler = ScreeningScheduler(session_factory(engine), migrated_url, settings)
    scheduler.start()
    try:
        runs = _wait_for(engine, lambda rs: any(r.status == "succeeded" for r in rs))
        full = runs[0]
        assert full.mode == "full"
        assert full.points == 2
        with Session(engine) as session:
            marks = {s.mn: s.screened_until for s in session.scalars(sa.select(ScreeningPointState))}
        assert set(marks) == {data.bad_mn, data.clean_mn}

        # one more hour of minute data for the clean point only
        last = data.result.readings.filter(pl.col("mn") == data.clean_mn, pl.col("kind") == "minute")
        newest = last["time"].max()
        assert isinstance(newest, dt.datetime)
        extra = last.filter(pl.col("time") > newest - dt.timedelta(hours=1)).with_columns(
            pl.col("time") + dt.timedelta(hours=1)
        )
        store.append(extra)

        runs = _wait_for(
            engine, lambda rs: any(r.mode == "incremental" and r.status != "running" for r in rs)
        )
        incremental = next(r for r in runs if r.mode == "incremental")
        assert incremental.status == "succeeded", incremental.error
        assert incremental.points == 1
        assert incremental.readings > extra.height  # the new hour plus the look-back
        window_start = incremental.window_start
        assert window_start is not None
        assert window_start.replace(tzinfo=dt.UTC) <= (newest - dt.timedelta(hours=6)).replace(tzinfo=dt.UTC)
        with Session(engine) as session:
            state = session.get(ScreeningPointState, data.clean_mn)
            assert state is not None
            assert state.screened_until.replace(tzinfo=dt.UTC) == (newest + dt.timedelta(hours=1))
    finally:
        scheduler.stop()
    with Session(engine) as session:  # nothing new after the incremental pass: no further runs
        assert session.scalar(sa.select(sa.func.count()).select_from(ScreeningRun)) == len(runs)


def test_a_failing_pass_is_recorded_and_the_scheduler_carries_on(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    seed(engine, store, days=1.0)
    settings = ScreeningSettings(interval_s=3600.0, full_interval_s=3600.0)
    scheduler = ScreeningScheduler(session_factory(engine), migrated_url, settings)
    real_read = store.read_window
    calls = {"n": 0}

    def flaky(**kwargs: object) -> pl.DataFrame:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("store unavailable")
        return real_read(**kwargs)  # type: ignore[arg-type]

    scheduler._store = store
    store.read_window = flaky  # type: ignore[method-assign]
    assert scheduler.tick() is None  # the failure is logged and recorded, not raised
    assert scheduler.failures == 1
    outcome = scheduler.tick()  # the full pass failed, so the next tick tries it again
    assert outcome is not None
    with Session(engine) as session:
        runs = list(session.scalars(sa.select(ScreeningRun).order_by(ScreeningRun.id)))
    assert [(r.mode, r.status) for r in runs] == [("full", "failed"), ("full", "succeeded")]
    assert runs[0].error is not None
    assert "store unavailable" in runs[0].error


def test_a_pass_turns_day_scores_into_warnings_and_a_full_pass_writes_the_patrol_report(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    from ecosentinel.enforcement.models import EnforcementWarning, PatrolReport

    data = seed(engine, store, days=1.0)
    scheduler = ScreeningScheduler(
        session_factory(engine), migrated_url, ScreeningSettings(interval_s=3600.0)
    )
    scheduler._store = store
    assert scheduler.tick() is not None  # the first tick is a full pass
    with Session(engine) as session:
        warned = set(session.scalars(sa.select(EnforcementWarning.mn)))
        reports = session.scalar(sa.select(sa.func.count()).select_from(PatrolReport))
    assert data.bad_mn in warned  # the constant-value station
    assert reports == 1
