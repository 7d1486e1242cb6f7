"""Scheduled screening windows and watermarks are per point: one future-dated reading blinds nothing."""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.config import ScreeningSettings
from ecosentinel.database import session_factory
from ecosentinel.screening.models import ScreeningPointState, ScreeningRun
from ecosentinel.screening.schedule import group_windows
from ecosentinel.server.scheduler import ScreeningScheduler
from ecosentinel.store.base import MeasurementStore
from tests.screening.test_run_service import seed

FAR_FUTURE = dt.datetime(2999, 1, 1, tzinfo=dt.UTC)


def _marks(engine: sa.Engine) -> dict[str, dt.datetime]:
    with Session(engine) as session:
        return {
            s.mn: s.screened_until.replace(tzinfo=dt.UTC)
            for s in session.scalars(sa.select(ScreeningPointState))
        }


def _runs(engine: sa.Engine) -> list[ScreeningRun]:
    with Session(engine) as session:
        return list(session.scalars(sa.select(ScreeningRun).order_by(ScreeningRun.id)))


def test_a_future_reading_of_one_point_moves_no_window_and_no_watermark(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store, days=1.0)
    newest = data.end - dt.timedelta(seconds=1)
    # a reading dated 2999 stored for one point (as the receiver accepted before time sanity existed)
    future = (
        data.result.readings.filter(pl.col("mn") == data.bad_mn)
        .head(1)
        .with_columns(pl.lit(FAR_FUTURE).cast(pl.Datetime("us", "UTC")).alias("time"))
    )
    store.append(future)
    with Session(engine) as session:  # and a watermark that jumped to 2998 because of it
        session.add(ScreeningPointState(mn=data.clean_mn, screened_until=dt.datetime(2998, 12, 31)))
        session.commit()

    scheduler = ScreeningScheduler(session_factory(engine), migrated_url, ScreeningSettings())
    scheduler._store = store
    assert scheduler.tick() is not None  # the first tick is a full pass

    runs = _runs(engine)
    assert len(runs) == 1  # both points end at the same (real) newest reading
    run = runs[0]
    assert run.status == "succeeded", run.error
    assert run.points == 2
    assert run.readings > 0
    assert run.window_end is not None
    assert run.window_end.replace(tzinfo=dt.UTC) - newest <= dt.timedelta(hours=1)
    assert _marks(engine) == {data.bad_mn: newest, data.clean_mn: newest}


def test_each_point_is_screened_over_its_own_hours(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store, days=1.5)
    newest = data.end - dt.timedelta(seconds=1)
    # the clean point sends one more day, the other stays silent
    extra = data.result.readings.filter(
        pl.col("mn") == data.clean_mn, pl.col("time") > newest - dt.timedelta(hours=3)
    ).with_columns(pl.col("time") + dt.timedelta(days=1))
    store.append(extra)

    scheduler = ScreeningScheduler(
        session_factory(engine), migrated_url, ScreeningSettings(full_window_hours=6.0)
    )
    scheduler._store = store
    assert scheduler.tick() is not None

    runs = _runs(engine)
    assert len(runs) == 2
    windows = sorted(
        (r.window_start.replace(tzinfo=dt.UTC), r.window_end.replace(tzinfo=dt.UTC), r.points)
        for r in runs
        if r.window_start is not None and r.window_end is not None
    )
    # the silent point is screened over its own last 6 hours, not over the other point's newer day
    (start_a, end_a, points_a), (start_b, end_b, points_b) = windows
    assert points_a == points_b == 1
    assert start_a <= newest - dt.timedelta(hours=6)
    assert newest < end_a <= newest + dt.timedelta(hours=1)
    assert start_b <= newest + dt.timedelta(days=1, hours=-6)
    assert end_b > newest + dt.timedelta(days=1)
    assert all(r.readings > 0 for r in runs)
    assert _marks(engine) == {data.bad_mn: newest, data.clean_mn: newest + dt.timedelta(days=1)}


def test_group_windows_never_extends_a_point_beyond_its_hours_or_the_cap() -> None:
    t = dt.datetime(2026, 1, 1, 10, 30, tzinfo=dt.UTC)
    cap = dt.datetime(2026, 1, 2, 10, 40, tzinfo=dt.UTC)
    groups = group_windows(
        {
            "A": (t - dt.timedelta(hours=24), t),
            "B": (t - dt.timedelta(hours=24, minutes=5), t + dt.timedelta(minutes=5)),
            "C": (cap - dt.timedelta(hours=1), cap),
        },
        cap,
    )
    assert groups == [
        (
            (dt.datetime(2025, 12, 31, 10, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, 11, tzinfo=dt.UTC)),
            ["A", "B"],
        ),
        ((dt.datetime(2026, 1, 2, 9, tzinfo=dt.UTC), cap), ["C"]),
    ]
