"""``ecosentinel bench ingest``: simulated data loggers over loopback against a real receiver process.

The receiver runs as its own process (``ecosentinel ingest [--processes N]``) on a fresh database, exactly as
in production; this process opens N concurrent TCP connections, each behaving like a data logger that keeps up
to ``window`` unanswered packets in flight, and measures sustained stored packets/s, acknowledgement latency,
the receiver's peak memory and CPU time (all its processes). Every acknowledged packet is then checked to be
in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import psutil
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ecosentinel.database import create_engine, upgrade
from ecosentinel.ingest.journal import loader_pid
from ecosentinel.protocol.hj212 import build_data_packet
from ecosentinel.readings import CST
from ecosentinel.registry.service import import_registry
from ecosentinel.store.base import open_store
from ecosentinel.store.tables import ms_reading

FACTORS_8 = ("w01018", "w21003", "w21011", "w21001", "w01001", "w00000", "w01010", "w01014")


@dataclass
class IngestBenchResult:
    backend: str
    mode: str  # "store": acknowledged after the store's commit; "journal": after the journal's fsync
    processes: int
    connections: int
    packets: int
    seconds: float
    packets_per_s: float
    p50_ms: float
    p99_ms: float
    peak_rss_mb: float
    stored_readings: int
    receiver_cpu_s: float  # user + system CPU of every receiver process during the run (not the loader)
    client_cpu_s: float  # the load generator's (this process)
    receiver_wait_s: float  # run-queue time of the receiver processes' threads: runnable, no CPU free
    stored_s: float  # from the first packet until every reading was in the store (journal: the loader's lag)
    loader_cpu_s: (
        float  # journal mode: the loader process's CPU while packets were acknowledged (0 otherwise)
    )

    @property
    def per_receiver_cpu_s(self) -> float:
        return self.packets / self.receiver_cpu_s if self.receiver_cpu_s else 0.0

    def row(self) -> str:
        return (
            f"| {self.backend} | {self.mode} | {self.processes} | {self.connections} | {self.packets:,} | "
            f"{self.packets_per_s:,.0f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} | "
            f"{self.stored_s:.2f} | {self.packets / self.stored_s:,.0f} | "
            f"{self.receiver_cpu_s / self.seconds:.2f} | {self.per_receiver_cpu_s:,.0f} | "
            f"{self.loader_cpu_s / self.seconds:.2f} | "
            f"{self.receiver_wait_s / self.seconds:.2f} | {self.client_cpu_s / self.seconds:.2f} | "
            f"{self.peak_rss_mb:.0f} | {self.stored_readings:,} |"
        )


def mn_for(i: int) -> str:
    return f"BENCH{i:019d}"


def registry_for(connections: int) -> dict[str, object]:
    return {
        "enterprises": [
            {
                "name": "基准测试企业",
                "credit_code": "91330400MA2B0BENCH",
                "industry": "测试",
                "points": [
                    {
                        "mn": mn_for(i),
                        "pw": "123456",
                        "name": f"基准点位{i}",
                        "type": "water",
                        "factors": [{"code": c, "limit": 100.0} for c in FACTORS_8],
                    }
                    for i in range(connections)
                ],
            }
        ]
    }


def make_packets(conn_index: int, count: int, start: dt.datetime) -> list[bytes]:
    """Minute-data packets with 8 factors and successive DataTimes (so none is a duplicate)."""
    mn = mn_for(conn_index)
    packets = []
    for k in range(count):
        t = start + dt.timedelta(minutes=k)
        factors: dict[str, dict[str, float | str | None]] = {
            code: {"Avg": 10.0 + (k % 50) * 0.37 + j, "Min": 9.0 + j, "Max": 30.0 + j, "Flag": "N"}
            for j, code in enumerate(FACTORS_8)
        }
        packets.append(build_data_packet(mn=mn, pw="123456", cn="2051", data_time=t, factors=factors))
    return packets


LOGGERS_PER_ADDRESS = 100
"""Loggers sharing a source address (127.0.0.2, 127.0.0.3 … on loopback): as behind a carrier's NAT, and
within the receiver's per-address connection limit (256 by default)."""


def source_address(index: int) -> str:
    return f"127.0.{1 + index // (250 * LOGGERS_PER_ADDRESS)}.{2 + index // LOGGERS_PER_ADDRESS % 250}"


class _Logger(asyncio.Protocol):
    """One simulated data logger: keeps ``window`` packets unanswered, sends the next on each 9014.

    A bare protocol (no stream reader/writer, no coroutine per connection) so that the load generator takes
    as little of the cores it shares with the receiver as it can (about half the CPU of the stream version).
    """

    def __init__(self, packets: list[bytes], window: int, latencies: list[float], done: asyncio.Future[int]):
        self.packets = packets
        self.window = window
        self.latencies = latencies
        self.done = done
        self.sent_at: deque[float] = deque()
        self.next_i = 0
        self.acked = 0
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self._send()

    def _send(self) -> None:
        assert self.transport is not None
        end = min(len(self.packets), self.next_i + self.window - len(self.sent_at))
        if end <= self.next_i:
            return
        now = time.perf_counter()
        self.transport.write(b"".join(self.packets[self.next_i : end]))
        self.sent_at.extend([now] * (end - self.next_i))
        self.next_i = end

    def data_received(self, data: bytes) -> None:
        *lines, self.buf = (self.buf + data).split(b"\r\n")
        now = time.perf_counter()
        for line in lines:
            if b"CN=9014" in line:
                self.latencies.append(now - self.sent_at.popleft())
                self.acked += 1
        if self.acked == len(self.packets):
            if not self.done.done():
                self.done.set_result(self.acked)
            assert self.transport is not None
            self.transport.close()
            return
        self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(
                ConnectionError(f"receiver closed the connection after {self.acked} answers")
            )


async def _logger(
    host: str, port: int, packets: list[bytes], window: int, latencies: list[float], index: int = 0
) -> int:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[int] = loop.create_future()
    await loop.create_connection(
        lambda: _Logger(packets, window, latencies, done), host, port, local_addr=(source_address(index), 0)
    )
    return await done


def _receiver_processes(pid: int) -> list[psutil.Process]:
    """The receiver: one process, or the pool process and its receiver processes."""
    proc = psutil.Process(pid)
    return [proc, *proc.children(recursive=True)]


def _cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def run_queue_wait(pid: int) -> float:
    """Seconds the process's threads have spent runnable but waiting for a CPU (Linux schedstat; else 0)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(stat.read_text().split()[1])
    return total / 1e9


def _sample_rss(pid: int, stop: asyncio.Event, peak: list[float]) -> None:
    procs = _receiver_processes(pid)
    while not stop.is_set():
        rss = 0.0
        for proc in procs:
            try:
                rss += proc.memory_info().rss / 1e6
            except psutil.Error:
                continue
        peak[0] = max(peak[0], rss)
        time.sleep(0.2)


@dataclass
class _Run:
    seconds: float
    latencies: list[float]
    peak_rss_mb: float
    receiver_cpu_s: float
    client_cpu_s: float
    receiver_wait_s: float
    loader_cpu_s: float


async def _drive(
    host: str, port: int, per_conn: list[list[bytes]], window: int, pid: int, loader: int | None
) -> _Run:
    latencies: list[float] = []
    peak = [0.0]
    stop = asyncio.Event()
    processes = _receiver_processes(pid)
    receiver = [p for p in processes if p.pid != loader]
    loaders = [p for p in processes if p.pid == loader]
    me = psutil.Process()
    sampler = asyncio.get_running_loop().run_in_executor(None, _sample_rss, pid, stop, peak)
    cpu0, client0, loader0 = _cpu_seconds(receiver), _cpu_seconds([me]), _cpu_seconds(loaders)
    wait0 = sum(run_queue_wait(p.pid) for p in receiver)
    t0 = time.perf_counter()
    try:
        results = await asyncio.gather(
            *(_logger(host, port, p, window, latencies, i) for i, p in enumerate(per_conn))
        )
        elapsed = time.perf_counter() - t0
        cpu1, client1, loader1 = _cpu_seconds(receiver), _cpu_seconds([me]), _cpu_seconds(loaders)
        wait1 = sum(run_queue_wait(p.pid) for p in receiver)
    finally:
        stop.set()  # else the sampler thread keeps the loop from closing when a logger fails
        await sampler
    assert sum(results) == sum(len(p) for p in per_conn)
    return _Run(elapsed, latencies, peak[0], cpu1 - cpu0, client1 - client0, wait1 - wait0, loader1 - loader0)


def _run_loop(run: Coroutine[Any, Any, _Run]) -> _Run:
    """The load generator on uvloop where installed (as the receiver): less of the shared CPU for it."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop
        return asyncio.run(run)
    return uvloop.run(run)


def _start_receiver(
    database_url: str, data_dir: Path, processes: int = 1, journal: bool = False
) -> tuple[subprocess.Popen[str], int]:
    env = dict(os.environ, ECOSENTINEL_DATA_DIR=str(data_dir), ECOSENTINEL_DATABASE_URL=database_url)
    mode = "--journal" if journal else "--no-journal"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ecosentinel", "ingest", "--port", "0", "--processes", str(processes), mode],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ecosentinel-ingest ready"):
            return proc, int(line.split("port=")[1])
    raise RuntimeError("receiver did not start")


def run_ingest_bench(
    *,
    database_url: str,
    backend: str,
    connections: int,
    packets_per_conn: int,
    window: int,
    processes: int = 1,
    journal: bool = False,
) -> IngestBenchResult:
    """Run one benchmark against a fresh schema at ``database_url``."""
    from sqlalchemy.orm import Session

    upgrade(database_url)
    engine = create_engine(database_url)
    with Session(engine) as session:
        import_registry(session, registry_for(connections), source_name="bench")
        session.commit()
    # A start time unlikely to have been used before (so a re-run against the same database measures real
    # inserts), within the last year: the receiver refuses minute data older than its age limit.
    now = dt.datetime.now(CST).replace(second=0, microsecond=0)
    slot = int(time.time()) // 60 * 7919 % (300 * 1440)
    start = now - dt.timedelta(days=360) + dt.timedelta(minutes=slot)
    per_conn = [make_packets(i, packets_per_conn, start) for i in range(connections)]
    total = connections * packets_per_conn
    with tempfile.TemporaryDirectory() as tmp:
        proc, port = _start_receiver(database_url, Path(tmp), processes, journal)
        try:
            loader = _loader_pid(Path(tmp) / "journal") if journal else None
            run = _run_loop(_drive("127.0.0.1", port, per_conn, window, proc.pid, loader))
            lag = _wait_stored(engine, start, packets_per_conn, total * len(FACTORS_8))
        finally:
            proc.terminate()
            proc.wait(timeout=120)
    store = open_store(database_url)
    stored = store.read_window(
        start=start.astimezone(dt.UTC),
        end=(start + dt.timedelta(minutes=packets_per_conn)).astimezone(dt.UTC),
    ).height
    store.close()
    engine.dispose()
    qs = statistics.quantiles(run.latencies, n=100)
    return IngestBenchResult(
        backend=backend,
        mode="journal" if journal else "store",
        processes=processes,
        connections=connections,
        packets=total,
        seconds=run.seconds,
        packets_per_s=total / run.seconds,
        p50_ms=qs[49] * 1000,
        p99_ms=qs[98] * 1000,
        peak_rss_mb=run.peak_rss_mb,
        stored_readings=stored,
        receiver_cpu_s=run.receiver_cpu_s,
        client_cpu_s=run.client_cpu_s,
        receiver_wait_s=run.receiver_wait_s,
        stored_s=run.seconds + lag,
        loader_cpu_s=run.loader_cpu_s,
    )


def _loader_pid(root: Path, timeout_s: float = 30.0) -> int:
    """The journal loader's pid (it writes it into its lock file once it runs)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pid = loader_pid(root)
        if pid is not None:
            return pid
        time.sleep(0.05)
    raise RuntimeError("the journal loader did not start")


def _wait_stored(
    engine: Engine, start: dt.datetime, minutes: int, expected: int, timeout_s: float = 600
) -> float:
    """Seconds from now until the store holds ``expected`` readings of the run (the journal loader's lag;
    about 0 when packets are acknowledged after the store's commit). Counted in SQL, every 0.2 s."""
    first = int(start.timestamp())
    query = (
        sa.select(sa.func.count())
        .select_from(ms_reading)
        .where(ms_reading.c.t >= first, ms_reading.c.t < first + minutes * 60)
    )
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        with engine.connect() as conn:
            if int(conn.execute(query).scalar_one()) >= expected:
                return time.perf_counter() - t0
        time.sleep(0.2)
    raise RuntimeError(f"the store did not hold the run's {expected:,} readings within {timeout_s:.0f} s")


def machine_line() -> str:
    return (
        f"{platform.machine()}, {psutil.cpu_count()} cores, "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {platform.python_version()}, {platform.system()}"
    )
