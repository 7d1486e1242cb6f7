"""Upstream forwarding between two platforms over real TCP: mapping, status, and kill -9 of either side."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import signal
import subprocess
import sys
from collections import deque
from pathlib import Path

import sqlalchemy as sa

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.service import SYSTEM
from ecosentinel.config import InteropSettings
from ecosentinel.database import create_engine, session_factory
from ecosentinel.interop import forward
from ecosentinel.protocol.hj212 import decode
from ecosentinel.store.base import open_store
from ecosentinel.store.tables import ms_raw_packet, ms_station
from tests.ingest.conftest import FACTORS, MN, T0, LoggerClient
from tests.ingest.test_server import minute_packet
from tests.interop.conftest import UP_MN, UP_PW, free_port, platform, prepare, raw_count, wait_for

FAST = InteropSettings(forward_poll_s=0.05, forward_backoff_max_s=0.5, backfill_enabled=False)


def upstream_minutes(url: str, mn: str) -> list[int]:
    """Minutes (since T0) of every raw packet the upstream stored for ``mn`` (duplicates kept)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(ms_raw_packet.c.data_time_us)
                .select_from(ms_raw_packet.join(ms_station, ms_raw_packet.c.station_id == ms_station.c.id))
                .where(ms_station.c.mn == mn)
            ).all()
    finally:
        engine.dispose()
    t0 = int(T0.timestamp() * 1_000_000)
    return [int((r[0] - t0) // 60_000_000) for r in rows]


async def test_forwards_every_packet_with_the_mapped_mn_and_pw(migrated_url: str, tmp_path: Path) -> None:
    prepare(migrated_url)
    up_url = f"sqlite:///{tmp_path / 'city.db'}"
    prepare(up_url, mn=UP_MN, pw=UP_PW)  # the city platform knows the point under its own MN and PW
    async with platform(up_url) as city:
        engine = create_engine(migrated_url)
        factory = session_factory(engine)

        def depth() -> int:
            with factory() as session:
                return forward.status(session)[0].queue_depth

        with factory() as session:
            forward.add_target(session, SYSTEM, name="city", host="127.0.0.1", port=city.port, cns="2051")
            forward.set_mapping(session, SYSTEM, "city", mn=MN, upstream_mn=UP_MN, upstream_pw=UP_PW)
            session.commit()
        async with platform(migrated_url, interop=FAST):
            pass  # a start and stop with an empty queue is harmless
        async with platform(migrated_url, interop=FAST) as county:
            logger = await LoggerClient.connect(county.port)
            for minute in range(40):
                await logger.send(minute_packet(minute))
                assert decode(await logger.reply()).cn == "9014"
            await logger.close()
            assert await wait_for(lambda: len(upstream_minutes(up_url, UP_MN)) >= 40)
            assert await wait_for(lambda: depth() == 0)
            with factory() as session:
                [status] = forward.status(session)
            assert status.name == "city"
            assert status.mappings == 1
        assert sorted(upstream_minutes(up_url, UP_MN)) == list(range(40))
        store = open_store(up_url)
        frame = store.read_window(
            start=T0.astimezone(dt.UTC), end=(T0 + dt.timedelta(hours=1)).astimezone(dt.UTC), mns=[UP_MN]
        )
        store.close()
        assert frame.height == 40 * len(FACTORS)
        with factory() as session:
            [status] = forward.status(session)
            assert status.queue_depth == 0
            assert status.acked == 40
            assert status.last_ack_at is not None
            actions = set(session.scalars(sa.select(AuditEntry.action)))
            assert {"interop.target.add", "interop.mapping.set"} <= actions
        engine.dispose()


# ------------------------------------------------------------------------------------------- kill -9


def start(
    url: str, data_dir: Path, port: int, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[str], int]:
    env = dict(os.environ, ECOSENTINEL_DATA_DIR=str(data_dir), ECOSENTINEL_DATABASE_URL=url, **(extra or {}))
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecosentinel", "ingest", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("ecosentinel-ingest ready"), line
    return proc, int(line.split("port=")[1])


def kill9(proc: subprocess.Popen[str]) -> bool:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    return True


async def send(port: int, minutes: list[int], *, on_ack: object = None) -> set[int]:
    """Pipeline the minutes' packets (8 in flight); return those acknowledged before the peer went away.
    ``on_ack(acked)`` is called after each answer (the test kills a process from it)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    todo = deque(minutes)
    in_flight: deque[int] = deque()
    acked: set[int] = set()
    buf = b""
    try:
        while todo or in_flight:
            while todo and len(in_flight) < 8:
                minute = todo.popleft()
                writer.write(minute_packet(minute))
                in_flight.append(minute)
            await writer.drain()
            chunk = await asyncio.wait_for(reader.read(4096), 20)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\r\n")
            for _ in lines:
                acked.add(in_flight.popleft())
                if callable(on_ack):
                    on_ack(acked)
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()
    return acked


async def test_kill_9_of_either_side_loses_nothing_acknowledged(migrated_url: str, tmp_path: Path) -> None:
    prepare(migrated_url)
    up_url = f"sqlite:///{tmp_path / 'city.db'}"
    prepare(up_url)
    up_port = free_port()
    targets = json.dumps([{"name": "city", "host": "127.0.0.1", "port": up_port, "cns": "2051"}])
    fast = {
        "ECOSENTINEL_INTEROP__FORWARD_TARGETS": targets,
        "ECOSENTINEL_INTEROP__FORWARD_POLL_S": "0.05",
        "ECOSENTINEL_INTEROP__FORWARD_BACKOFF_MAX_S": "0.5",
        "ECOSENTINEL_INTEROP__FORWARD_ACK_TIMEOUT_S": "3",
        "ECOSENTINEL_INTEROP__BACKFILL_ENABLED": "false",
    }
    (tmp_path / "up").mkdir()
    (tmp_path / "down").mkdir()
    up, _ = start(up_url, tmp_path / "up", up_port)
    down, down_port = start(migrated_url, tmp_path / "down", 0, fast)
    acked: set[int] = set()
    try:
        # 1. the upstream is killed while the downstream forwards to it, then restarted on its port
        acked |= await send(down_port, list(range(150)), on_ack=lambda a: len(a) == 60 and kill9(up))
        assert up.returncode == -signal.SIGKILL
        assert len(acked) == 150
        up, _ = start(up_url, tmp_path / "up", up_port)
        # 2. the downstream is killed with packets in flight, restarted; the logger re-sends the rest
        acked |= await send(down_port, list(range(150, 400)), on_ack=lambda a: len(a) == 120 and kill9(down))
        assert down.returncode == -signal.SIGKILL
        down, down_port = start(migrated_url, tmp_path / "down", 0, fast)
        acked |= await send(down_port, [m for m in range(150, 450) if m not in acked])
        assert acked == set(range(450))
        assert await wait_for(lambda: len(set(upstream_minutes(up_url, MN))) >= 450, limit=60)
    finally:
        kill9(down)
        kill9(up)
    minutes = upstream_minutes(up_url, MN)
    assert set(minutes) == set(range(450)), f"lost upstream: {sorted(set(range(450)) - set(minutes))[:10]}"
    assert len(minutes) == len(set(minutes)), "a packet stored twice upstream"
    assert raw_count(up_url) == 450
