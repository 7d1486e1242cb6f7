"""Several receiver processes on one port (``ecosentinel ingest --processes 2``), over real sockets and a real
database: the kernel spreads the connections over both, every acknowledged packet is stored exactly once, and
``kill -9`` of one process loses nothing it acknowledged while the other keeps receiving."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
from collections import deque
from pathlib import Path

import httpx
import psutil
import pytest

from ecosentinel.protocol.hj212 import decode
from ecosentinel.server.journal_loader import PROCESS_NAME
from ecosentinel.store.base import open_store
from tests.ingest.conftest import FACTORS, MN, T0
from tests.ingest.test_server import minute_packet

PROCESSES = 2
SPAN_MINUTES = 20_000  # each logger's own DataTimes: minutes -c * SPAN .. -c * SPAN + sent (never repeated)


def start_pool(url: str, data_dir: Path, *, journal: bool = False) -> tuple[subprocess.Popen[str], int]:
    env = dict(os.environ, ECOSENTINEL_DATA_DIR=str(data_dir), ECOSENTINEL_DATABASE_URL=url)
    mode = "--journal" if journal else "--no-journal"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecosentinel", "ingest", "--port", "0", "--processes", str(PROCESSES), mode],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("ecosentinel-ingest ready"), line
    return proc, int(line.split("port=")[1])


def stop_pool(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()  # the pool stops its receivers (each flushes its queue)
    try:
        proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait()


def receivers(proc: subprocess.Popen[str]) -> list[psutil.Process]:
    """The receiver processes of the pool (neither its multiprocessing resource tracker nor, in journal mode,
    its journal loader is one)."""
    return [
        child
        for child in psutil.Process(proc.pid).children()
        if "resource_tracker" not in " ".join(child.cmdline()) and child.name() != PROCESS_NAME.decode()
    ]


def connections_by_receiver(proc: subprocess.Popen[str], port: int) -> dict[int, int]:
    """Established connections on ``port`` per receiver process id (read from the kernel)."""
    return {
        child.pid: sum(
            1
            for c in child.net_connections(kind="tcp")
            if c.status == psutil.CONN_ESTABLISHED and c.laddr and c.laddr.port == port
        )
        for child in receivers(proc)
    }


def stored_minutes(url: str) -> tuple[list[int], list[int], list[int]]:
    """(minute of every stored raw packet, readings per stored minute, minute of every stored reading row)."""
    start = (T0 - dt.timedelta(minutes=SPAN_MINUTES * 40)).astimezone(dt.UTC)
    end = (T0 + dt.timedelta(days=1)).astimezone(dt.UTC)
    store = open_store(url)
    try:
        frame = store.read_window(start=start, end=end, mns=[MN])
        raws = store.raw_packets(mn=MN, start=start, end=end)
    finally:
        store.close()
    t0 = T0.astimezone(dt.UTC)

    def minute(t: dt.datetime) -> int:
        return int((t - t0).total_seconds() // 60)

    raw_minutes = [minute(r.data_time) for r in raws if r.data_time is not None]
    per_time = frame.group_by("time").len()["len"].to_list()
    reading_minutes = [minute(t) for t in frame.filter(frame["code"] == FACTORS[0])["time"].to_list()]
    return raw_minutes, per_time, reading_minutes


async def _logger(index: int, port: int, count: int, acked: list[int]) -> None:
    """Send ``count`` packets with 8 in flight; record the minute of every acknowledged one."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    minutes = [-index * SPAN_MINUTES + k for k in range(count)]
    in_flight: deque[int] = deque()
    buf = b""
    sent = 0
    try:
        while sent < count or in_flight:
            while sent < count and len(in_flight) < 8:
                writer.write(minute_packet(minutes[sent]))
                in_flight.append(minutes[sent])
                sent += 1
            await writer.drain()
            async with asyncio.timeout(30):
                chunk = await reader.read(65536)
            assert chunk, "a receiver closed a connection"
            buf += chunk
            *lines, buf = buf.split(b"\r\n")
            for line in lines:
                assert decode(line + b"\r\n").cn == "9014"
                acked.append(in_flight.popleft())
    finally:
        writer.close()


async def _open_loggers(port: int, count: int) -> list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    return [await asyncio.open_connection("127.0.0.1", port) for _ in range(count)]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("journal", [False, True], ids=["store", "journal"])
async def test_two_processes_share_the_port_and_store_every_acknowledged_packet_once(
    registered_url: str, tmp_path: Path, journal: bool
) -> None:
    proc, port = start_pool(registered_url, tmp_path, journal=journal)
    try:
        assert len(receivers(proc)) == PROCESSES
        # 24 idle connections first: the kernel spreads them over both listening sockets
        idle = await _open_loggers(port, 24)
        await asyncio.sleep(0.5)
        spread = connections_by_receiver(proc, port)
        assert sum(spread.values()) == 24
        assert all(n > 0 for n in spread.values()), spread
        for _, w in idle:
            w.close()
        # then 24 loggers that each send 40 packets, pipelined
        acked: list[int] = []
        await asyncio.gather(*(_logger(i, port, 40, acked) for i in range(24)))
    finally:
        stop_pool(proc)
    assert proc.returncode == 0
    assert len(acked) == 24 * 40
    raw_minutes, per_time, reading_minutes = stored_minutes(registered_url)
    # exactly once: one raw packet and one reading per factor for each acknowledged packet, nothing else
    assert sorted(raw_minutes) == sorted(acked)
    assert sorted(reading_minutes) == sorted(acked)
    assert set(per_time) == {len(FACTORS)}


async def _keep_sending(index: int, port: int, stop: asyncio.Event, acked: set[int]) -> None:
    """A logger that reconnects after its receiver dies and never re-sends (so only acks prove storage)."""
    minute = -index * SPAN_MINUTES
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        in_flight: deque[int] = deque()
        buf = b""
        try:
            while not stop.is_set():
                while len(in_flight) < 8:
                    writer.write(minute_packet(minute))
                    in_flight.append(minute)
                    minute += 1
                await writer.drain()
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\r\n")
                for _ in lines:  # a 9014 per packet, in order
                    acked.add(in_flight.popleft())
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("journal", [False, True], ids=["store", "journal"])
async def test_kill_9_of_one_receiver_process_loses_nothing_it_acknowledged(
    registered_url: str, tmp_path: Path, journal: bool
) -> None:
    proc, port = start_pool(registered_url, tmp_path, journal=journal)
    stop = asyncio.Event()
    acked: set[int] = set()
    try:
        loggers = [asyncio.create_task(_keep_sending(i, port, stop, acked)) for i in range(12)]
        async with asyncio.timeout(60):
            # polls the kernel's view of another process: there is no event to wait for
            while len(acked) < 400 or min(connections_by_receiver(proc, port).values()) == 0:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        spread = connections_by_receiver(proc, port)
        victim = max(spread, key=lambda pid: spread[pid])
        os.kill(victim, signal.SIGKILL)  # packets are in flight on its connections at this moment
        at_kill = len(acked)
        async with asyncio.timeout(60):  # the loggers it had reconnect; receiving goes on
            while len(acked) < at_kill + 400:  # noqa: ASYNC110 - filled by the logger tasks
                await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*loggers)
        assert victim not in [p.pid for p in receivers(proc)]  # gone (and restarted under a new pid)
    finally:
        stop.set()
        stop_pool(proc)
    raw_minutes, per_time, reading_minutes = stored_minutes(registered_url)
    missing = sorted(acked - set(reading_minutes))
    assert not missing, f"acknowledged but lost: {missing[:10]}"
    assert set(raw_minutes) >= acked
    assert len(raw_minutes) == len(set(raw_minutes))  # never stored twice
    assert set(per_time) == {len(FACTORS)}  # every stored packet whole: all its factors


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.timeout(240)
async def test_serve_runs_the_web_app_apart_from_its_receiver_processes(
    registered_url: str, tmp_path: Path
) -> None:
    web_port, hj_port = _free_port(), _free_port()
    env = dict(os.environ, ECOSENTINEL_DATA_DIR=str(tmp_path), ECOSENTINEL_DATABASE_URL=registered_url)
    env["ECOSENTINEL_SCREENING__ENABLED"] = "false"
    command = ["serve", "--port", str(web_port), "--hj212-port", str(hj_port), "--receivers", str(PROCESSES)]
    proc = subprocess.Popen([sys.executable, "-m", "ecosentinel", *command], env=env, text=True)  # noqa: ASYNC220
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{web_port}") as web:
            async with asyncio.timeout(90):
                while True:
                    try:
                        if (await web.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
            # the web app's process is not a receiver: the port is served by its receiver processes only
            assert not any(
                c.laddr and c.laddr.port == hj_port for c in psutil.Process(proc.pid).net_connections("tcp")
            )
            assert len(receivers(proc)) == PROCESSES
            acked: list[int] = []
            await _logger(0, hj_port, 5, acked)
            assert len(acked) == 5
            async with asyncio.timeout(30):  # the receivers report their counters every second
                while (await web.get("/api/ingest/status")).json()["packets_stored"] < 5:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
    finally:
        stop_pool(proc)
    assert proc.returncode == 0
