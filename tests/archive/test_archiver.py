"""The archive is written by ingest (the receiver's archiver, fed after each commit) and by
``import readings``, never on the acknowledgement path (both backends)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.archive.archiver import Archiver
from ecosentinel.archive.chain import read_chain, verify
from ecosentinel.archive.layout import READINGS, open_layout
from ecosentinel.archive.reader import ArchiveReader
from ecosentinel.cli import app
from ecosentinel.config import IngestSettings
from ecosentinel.database import create_engine
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.server import IngestServer
from ecosentinel.protocol.hj212 import build_data_packet, decode
from ecosentinel.readings import CST, ReadingRow
from ecosentinel.registry.service import import_registry, load_point_auth
from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.models import SimulationConfig
from ecosentinel.store.base import MeasurementStore
from tests.screening.test_run_service import seed

runner = CliRunner()


def test_archiver_seals_noted_and_missing_closed_days(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    data = seed(engine, store)
    root = tmp_path / "archive"
    now = data.end + dt.timedelta(days=1, hours=3)
    archiver = Archiver(migrated_url, root, clock=lambda: now)
    archiver.note(data.result.readings)
    result = archiver.run_once()
    assert result.partitions > 0
    sealed = {e.day for e in read_chain(open_layout(root)) if e.dataset == READINGS}
    assert sealed == {"2024-05-06", "2024-05-07"}
    assert verify(open_layout(root)) is None
    assert archiver.run_once().partitions == 0  # nothing new
    full = store.read_window(start=data.start, end=data.end)
    assert ArchiveReader(root).read_window(start=data.start, end=data.end).equals(full)


def test_an_open_day_is_not_sealed(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    data = seed(engine, store, days=1.0)
    root = tmp_path / "archive"
    # one hour after the seeded day ended: within the grace period, still open
    archiver = Archiver(migrated_url, root, clock=lambda: data.end + dt.timedelta(hours=1))
    archiver.note(data.result.readings)
    assert archiver.run_once().partitions == 0
    archiver.clock = lambda: data.end + dt.timedelta(hours=3)
    assert archiver.run_once().partitions > 0


async def test_the_receiver_feeds_the_archiver_after_the_commit(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    # the registry only (no old readings: the archiver's catch-up then starts at the packet's day)
    simulated = simulate(
        SimulationConfig(seed=3, start=dt.datetime(2024, 5, 6, tzinfo=CST), days=0.1, water=1)
    )
    with Session(engine) as session:
        import_registry(session, simulated.registry, source_name="test")
        session.commit()
    mn = simulated.station_mns[0]
    pw = str(simulated.point(mn)["pw"])
    auth_engine = create_engine(migrated_url)
    archiver = Archiver(migrated_url, tmp_path / "archive")
    noted: list[Sequence[ReadingRow]] = []

    def after_commit(rows: Sequence[ReadingRow]) -> None:
        noted.append(rows)
        archiver.note_rows(rows)

    server = IngestServer(
        settings=IngestSettings(port=0),
        store=store,
        auth=AuthCache(lambda: load_point_auth(auth_engine)),
        after_commit=after_commit,
    )
    await server.start()
    try:
        at = dt.datetime.now(CST).replace(second=0, microsecond=0) - dt.timedelta(days=3)
        packet = build_data_packet(
            mn=mn, pw=pw, cn="2051", data_time=at, factors={"w01018": {"Avg": 12.5, "Flag": "N"}}
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(packet)
        await writer.drain()
        async with asyncio.timeout(10):
            reply = decode(await reader.readuntil(b"\r\n"))
        assert reply.cn == "9014"
        writer.close()
        await writer.wait_closed()
    finally:
        await server.stop()
        auth_engine.dispose()
    assert [len(rows) for rows in noted] == [1]
    result = await asyncio.to_thread(archiver.run_once)
    day = at.date().isoformat()
    assert day in {e.day for e in result.entries}
    assert verify(open_layout(tmp_path / "archive")) is None


def test_import_readings_seals_the_closed_days_it_touched(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str, tmp_path: Path
) -> None:
    data = seed(engine, store, days=0.1)
    csv = tmp_path / "late.csv"
    csv.write_text(
        "mn,time,kind,code,value,flag\n"
        f"{data.bad_mn},2024-04-01T08:00:00,hour,w01018,17.5,N\n"
        f"{data.bad_mn},2024-04-02T09:00:00,hour,w01018,18.5,N\n",
        encoding="utf-8",
    )
    root = tmp_path / "archive"
    result = runner.invoke(
        app, ["import", "readings", str(csv), "--database-url", migrated_url, "--archive-dir", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert "封存到归档" in result.output
    days = {e.day for e in read_chain(open_layout(root))}
    assert days == {"2024-04-01", "2024-04-02"}
    got = ArchiveReader(root).read_window(
        start=dt.datetime(2024, 4, 1, tzinfo=CST), end=dt.datetime(2024, 4, 3, tzinfo=CST)
    )
    assert got["value"].to_list() == [17.5, 18.5]
    skipped = runner.invoke(
        app,
        [
            "import",
            "readings",
            str(csv),
            "--database-url",
            migrated_url,
            "--archive-dir",
            str(tmp_path / "b"),
        ],
    )
    assert skipped.exit_code == 0, skipped.output
    assert not (tmp_path / "b").exists()  # nothing new inserted: nothing to seal
