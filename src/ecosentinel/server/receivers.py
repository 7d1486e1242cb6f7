"""Several HJ 212 receiver processes on one port (SO_REUSEPORT), supervised by the process that starts them.

Each receiver process is a whole ``running_ingest``: its own event loop, connections, bounded writer queue and
group-commit writer, so a packet is acknowledged only after its own process committed it, and a process
that dies (even ``kill -9``) loses nothing it acknowledged (docs/ingest.md). The kernel spreads new
connections over the processes' listening sockets. The first process (index 0) also runs forwarding and the
archiver; every process answers remote commands for the loggers connected to it.

The pool (in ``ecosentinel ingest --processes N`` or ``ecosentinel serve --receivers N``) migrates the
database once, reserves the port, starts the processes (``spawn``: a fresh interpreter, no forked threads),
restarts one that dies and gathers their counters for the web app's status page.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import logging
import multiprocessing
import signal
import socket
import threading
import time
from collections import Counter
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from ecosentinel.config import Settings
from ecosentinel.database import upgrade
from ecosentinel.ingest.server import IngestServer, IngestStats
from ecosentinel.server.journal_loader import LoaderProcess

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 1.0  # how often a receiver process sends its counters to the pool
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0  # a receiver flushes its queue on SIGTERM; after this it is killed
RESTART_DELAY_S = 1.0

_COUNTERS = (
    "connections_total",
    "packets_stored",
    "packets_rejected",
    "frames_bad",
    "connections_refused",
    "connections_over_budget",
    "connections_timed_out",
    "rejected_logged",
    "rejected_log_dropped",
    "queue_full",
    "journal_full",
    "batches",
)
"""Cumulative counters: a restarted process starts again at 0, so the pool keeps what the dead one had."""


def _snapshot(server: IngestServer) -> dict[str, Any]:
    stats = server.stats
    snap: dict[str, Any] = {name: getattr(stats, name) for name in _COUNTERS}
    snap.update(
        connections=stats.connections,
        rejected_by_reason=dict(stats.rejected_by_reason),
        last_packet_at=stats.last_packet_at,
        online_mns=dict(stats.online_mns),  # monotonic times: one clock for every process on the machine
        points=server.auth.points,
        queued=server.queued,
    )
    return snap


def receiver_main(settings: Settings, index: int, processes: int, pipe: Connection) -> None:
    """Entry point of one receiver process (runs in the child)."""
    from ecosentinel.server.runtime import install_event_loop_policy

    logging.basicConfig(
        level=logging.INFO, format=f"%(asctime)s %(levelname)s receiver-{index} %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Ctrl+C reaches the whole process group: the pool decides when its receivers stop (SIGTERM), so that
    # one stopping on its own is never mistaken for a crash and restarted.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    install_event_loop_policy()
    asyncio.run(_serve(settings, index, processes, pipe))


async def _serve(settings: Settings, index: int, processes: int, pipe: Connection) -> None:
    from ecosentinel.server.runtime import freeze_startup_heap, running_ingest

    settings.ingest.reuse_port = True
    # the platform-wide back-fill rate is shared out (each process asks only its own loggers)
    rate = settings.interop.backfill_max_per_minute
    settings.interop.backfill_max_per_minute = max(1, -(-rate // processes))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with running_ingest(
        settings, migrate=False, primary=index == 0, index=index, pooled=True
    ) as server:
        freeze_startup_heap()
        pipe.send(("ready", server.port))
        while not stop.is_set():
            try:
                # taken on the loop (consistent), sent from a thread: a slow pool never stalls the receiver
                await asyncio.to_thread(pipe.send, ("stats", _snapshot(server)))
            except OSError:  # the pool is gone (killed): do not outlive it
                log.warning("receiver pool gone; stopping")
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), REPORT_INTERVAL_S)


def reserve_port(host: str, port: int) -> socket.socket:
    """A bound, not listening SO_REUSEPORT socket: fixes the port (also when 0 = any) for every receiver."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


@dataclasses.dataclass
class _Slot:
    index: int
    process: BaseProcess
    pipe: Connection
    snapshot: dict[str, Any] = dataclasses.field(default_factory=dict)


class ReceiverPool:
    """N receiver processes on one port. ``start()``, then ``stop()``; ``stats`` sums their counters."""

    def __init__(self, settings: Settings, processes: int) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.settings = settings
        self.processes = processes
        self.port = 0
        self.restarts = 0
        self._ctx = multiprocessing.get_context("spawn")
        self._slots: list[_Slot] = []
        self._retired: Counter[str] = Counter()  # counters of processes that died (before a restart)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._reservation: socket.socket | None = None
        self._child_settings = settings
        self._loader: LoaderProcess | None = None  # journal mode: the one loader, supervised like a receiver

    # lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> int:
        """Migrate, start every receiver and wait until all listen; return the port (blocking)."""
        self.settings.ensure_dirs()
        upgrade(self.settings.effective_database_url)  # once, before any receiver opens the database
        self._reservation = reserve_port(self.settings.ingest.host, self.settings.ingest.port)
        self.port = int(self._reservation.getsockname()[1])
        self._child_settings = self.settings.model_copy(deep=True)
        self._child_settings.ingest.port = self.port  # the one reserved, also when asked for any (0)
        try:
            if self.settings.ingest.journal:
                self._loader = LoaderProcess(self._child_settings)
                self._loader.start()
            self._slots = [self._spawn(i) for i in range(self.processes)]
            for slot in self._slots:
                self._wait_ready(slot)
        except BaseException:
            self.stop()
            raise
        self._supervisor = threading.Thread(target=self._supervise, name="receiver-pool", daemon=True)
        self._supervisor.start()
        log.info("%d HJ 212 receiver processes on port %d", self.processes, self.port)
        return self.port

    def stop(self) -> None:
        """SIGTERM every receiver (each flushes its queue, acknowledging what it commits), then wait."""
        self._stopping.set()
        for slot in self._slots:
            if slot.process.is_alive():
                slot.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for slot in self._slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                log.warning("receiver %d did not stop in time; killed", slot.index)
                slot.process.kill()
                slot.process.join()
        if self._supervisor is not None:
            self._supervisor.join()
        if self._loader is not None:  # after every receiver: it drains what they journaled
            self._loader.stop()
        if self._reservation is not None:
            self._reservation.close()
            self._reservation = None

    @property
    def pids(self) -> list[int]:
        return [slot.process.pid or 0 for slot in self._slots]

    # counters ---------------------------------------------------------------------------------------------
    @property
    def stats(self) -> IngestStats:
        """The receivers' counters summed (as of their last report, at most a second old)."""
        with self._lock:
            snaps = [dict(slot.snapshot) for slot in self._slots]
            retired = Counter(self._retired)
        total = IngestStats()
        for name in _COUNTERS:
            setattr(total, name, retired[name] + sum(int(s.get(name, 0)) for s in snaps))
        total.connections = sum(int(s.get("connections", 0)) for s in snaps)
        for s in snaps:
            total.rejected_by_reason.update(s.get("rejected_by_reason", {}))
            for mn, seen in s.get("online_mns", {}).items():
                total.online_mns[mn] = max(seen, total.online_mns.get(mn, seen))
        times: list[dt.datetime] = [s["last_packet_at"] for s in snaps if s.get("last_packet_at")]
        total.last_packet_at = max(times) if times else None
        return total

    @property
    def points(self) -> int:
        with self._lock:
            return max((int(slot.snapshot.get("points", 0)) for slot in self._slots), default=0)

    # internals --------------------------------------------------------------------------------------------
    def _spawn(self, index: int) -> _Slot:
        parent_end, child_end = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(
            target=receiver_main,
            args=(self._child_settings, index, self.processes, child_end),
            name=f"ecosentinel-receiver-{index}",
            daemon=False,
        )
        process.start()
        child_end.close()
        return _Slot(index=index, process=process, pipe=parent_end)

    def _wait_ready(self, slot: _Slot) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if slot.pipe.poll(0.2):
                kind, value = slot.pipe.recv()
                if kind == "ready":
                    if value != self.port:
                        raise RuntimeError(f"receiver {slot.index} listens on {value}, not {self.port}")
                    return
            elif not slot.process.is_alive():
                raise RuntimeError(f"receiver {slot.index} exited with code {slot.process.exitcode}")
        raise RuntimeError(f"receiver {slot.index} did not start within {START_TIMEOUT_S:.0f} s")

    def _read_reports(self, slot: _Slot) -> None:
        with contextlib.suppress(EOFError, OSError):
            while slot.pipe.poll():
                kind, value = slot.pipe.recv()
                if kind == "stats":
                    with self._lock:
                        slot.snapshot = value

    def _supervise(self) -> None:
        """Collect counters; restart a receiver that died (its loggers reconnect to the others meanwhile)."""
        while not self._stopping.is_set():
            by_pipe = {slot.pipe: slot for slot in self._slots}
            by_sentinel = {slot.process.sentinel: slot for slot in self._slots}
            for ready in wait([*by_pipe, *by_sentinel], timeout=0.5):
                # a sentinel (process ended) is handled below, after its pipe's last reports are read
                slot_of = by_pipe.get(ready) if isinstance(ready, Connection) else None
                if slot_of is not None:
                    self._read_reports(slot_of)
            if self._loader is not None and not self._loader.alive and not self._stopping.is_set():
                log.warning("journal loader exited with code %s; restarting", self._loader.exitcode)
                self._loader.start()
            for slot in list(self._slots):
                if slot.process.is_alive() or self._stopping.is_set():
                    continue
                log.warning(
                    "receiver %d (pid %s) exited with code %s; restarting",
                    slot.index,
                    slot.process.pid,
                    slot.process.exitcode,
                )
                with self._lock:
                    for name in _COUNTERS:
                        self._retired[name] += int(slot.snapshot.get(name, 0))
                slot.pipe.close()
                if self._stopping.wait(RESTART_DELAY_S):
                    return
                new = self._spawn(slot.index)
                with self._lock:
                    self._slots[self._slots.index(slot)] = new
                self.restarts += 1
