"""Back-fill: a simulated logger with a 3-hour outage gets its gap requested and filled, at a bounded rate."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.config import InteropSettings
from ecosentinel.database import create_engine, session_factory
from ecosentinel.interop import backfill
from ecosentinel.interop.models import BackfillRequest, RemoteCommand
from ecosentinel.readings import DataKind, Source
from ecosentinel.registry.service import import_registry
from ecosentinel.simulator import SimulationConfig, simulate
from ecosentinel.simulator.sender import send_to_server
from ecosentinel.store.base import open_store
from tests.interop.conftest import platform, wait_for

UTC = dt.UTC


def test_find_gaps_uses_the_points_own_step() -> None:
    t0 = dt.datetime(2026, 1, 1, tzinfo=UTC)
    times = [t0 + dt.timedelta(minutes=10 * i) for i in (0, 1, 2, 3, 7, 8, 9)]
    gaps = backfill.find_gaps(times, not_after=t0 + dt.timedelta(days=1))
    assert gaps == [(t0 + dt.timedelta(minutes=40), t0 + dt.timedelta(minutes=60), 3)]
    # the newest minutes are not a gap yet
    assert backfill.find_gaps(times, not_after=t0 + dt.timedelta(minutes=30)) == []


async def test_a_three_hour_outage_is_back_filled_without_an_operator(migrated_url: str) -> None:
    now = dt.datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - dt.timedelta(hours=8)
    result = simulate(SimulationConfig(seed=5, start=start, days=8 / 24, water=1, gas=0, three_way=False))
    engine = create_engine(migrated_url)
    with Session(engine) as session:
        import_registry(session, result.registry, source_name="test")
        session.commit()
    mn = result.station_mns[0]
    outage = (start + dt.timedelta(hours=3), start + dt.timedelta(hours=6))
    platform_minutes = result.readings.filter(
        (pl.col("mn") == mn)
        & (pl.col("kind") == DataKind.MINUTE.value)
        & (pl.col("source") == Source.PLATFORM.value)
        & (pl.col("time") >= outage[0] - dt.timedelta(minutes=1))
        & (pl.col("time") < outage[1] - dt.timedelta(minutes=1))
    )
    expected = set(platform_minutes["time"].to_list())
    assert len(expected) > 150  # the outage really hides about three hours of minute data
    settings = InteropSettings(
        forward_enabled=False, backfill_interval_s=0.3, backfill_lookback_hours=12, backfill_max_per_minute=2
    )
    store = open_store(migrated_url)

    def outage_minutes() -> set[dt.datetime]:
        frame = store.read_window(
            start=min(expected),
            end=max(expected) + dt.timedelta(seconds=1),
            mns=[mn],
            kinds=[DataKind.MINUTE],
        )
        return set(frame["time"].to_list())

    factory = session_factory(engine)

    def outage_request_status() -> str | None:
        with factory() as session:
            for request in session.scalars(
                sa.select(BackfillRequest).where(BackfillRequest.kind == "minute")
            ):
                command = session.get(RemoteCommand, request.command_id)
                begin = request.begin.replace(tzinfo=UTC) if request.begin.tzinfo is None else request.begin
                if command is not None and begin <= min(expected) + dt.timedelta(minutes=1):
                    return command.status
        return None

    async with platform(migrated_url, interop=settings) as county:
        sender = asyncio.create_task(
            send_to_server(result, "127.0.0.1", county.port, outage=outage, linger_s=120, include_wc=False)
        )
        try:
            assert await wait_for(lambda: len(outage_minutes()) > 0, limit=120)
            assert await wait_for(lambda: outage_minutes() >= expected, limit=60)
            assert await wait_for(lambda: outage_request_status() == "succeeded", limit=30)
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
    store.close()
    with factory() as session:
        requests = list(session.scalars(sa.select(BackfillRequest).order_by(BackfillRequest.id)))
        history = list(session.scalars(sa.select(RemoteCommand).where(RemoteCommand.purpose == "backfill")))
        filled = backfill.backfilled_packets(session, mn)
    minute_requests = [r for r in requests if r.kind == "minute"]
    assert minute_requests, "no minute back-fill was requested"
    assert {c.cn for c in history} <= {"2051", "2061"}
    # other requests may cover the simulation's own transmission gaps (the logger answers ExeRtn=100 there)
    assert not [c for c in history if c.status in ("rejected", "timeout", "expired")]
    # the rate bound: never more than two requests in any minute
    created = sorted(c.created_at for c in history)
    assert all((b - a) >= dt.timedelta(minutes=1) for a, b in zip(created, created[2:], strict=False))
    # what arrived is marked back-filled (its request's QN) and keeps its receipt time
    times = {p.data_time for p in filled if p.cn == "2051"}
    assert expected <= times
    assert all(p.received_at > p.data_time + dt.timedelta(hours=1) for p in filled if p.data_time is not None)
    engine.dispose()
