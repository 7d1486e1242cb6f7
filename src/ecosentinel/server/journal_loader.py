"""The journal loader process (journal mode, docs/ingest.md): stores what the receivers journaled.

Started when ``ingest.journal`` is on by the receiver (``running_ingest``) or, with several receiver
processes, by their pool (``server.receivers``, which restarts it if it dies): a ``spawn``ed interpreter of
its own, at the lowest priority (Linux SCHED_IDLE, else ``journal_loader_nice``) so that during a burst the
receivers keep the cores and the loader catches up after. It takes the loader lock (one loader per journal;
a successor started after a crash waits for it), loads every receiver's journal into the store in large
transactions and, in this mode, also runs the archiver (it is the process that knows which days changed).

Stopping: a stop message on its pipe (sent after the receivers stopped; a message, not a signal, so that it
waits until the loader has started) or ``SIGTERM`` drains: the loader goes on until no receiver holds its
journal any more and nothing is left, so an orderly stop leaves every acknowledged packet in the store. If the
process that started it dies, its pipe breaks and the loader stops after the pass it is in; what is left
waits in the journal for the next loader.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from ecosentinel.archive.archiver import Archiver
from ecosentinel.config import Settings
from ecosentinel.ingest.journal import JournalLoader
from ecosentinel.store.base import open_store

log = logging.getLogger(__name__)

STOP_TIMEOUT_S = 120.0  # a loader still draining after this is killed (what it left stays journaled)
DRAIN_TIMEOUT_S = 90.0
STOP = "stop"
READY = "ready"
START_TIMEOUT_S = 120.0
PROCESS_NAME = b"journal-loader"  # what ps, top and psutil's name() show for the loader (Linux)


def _lower_priority(nice: int) -> None:
    """Run only on CPU the receivers leave (Linux SCHED_IDLE; else the ``nice`` given): during a burst the
    receivers keep the cores (measured: 0.2 instead of 0.4 cores for the loader and about 10 % more
    packets answered per second, bench ingest), and the loader stores what they journaled once they pause
    or once the backlog bound pauses them."""
    with contextlib.suppress(OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        return
    with contextlib.suppress(OSError):
        os.nice(nice)


def _name_process() -> None:
    """Name the process (Linux prctl PR_SET_NAME) so operators and tools can tell it from the receivers."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, ctypes.c_char_p(PROCESS_NAME), 0, 0, 0)


def loader_main(settings: Settings, pipe: Connection) -> None:
    """Entry point of the loader process (runs in the child)."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s journal-loader %(name)s: %(message)s"
    )
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the receiver decides when the loader stops
    _name_process()
    _lower_priority(settings.ingest.journal_loader_nice)
    stop = threading.Event()
    orphaned = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    pipe.send(READY)  # named and handling its signals (it may still wait for an older loader's lock)

    def watch_parent() -> None:
        try:
            while pipe.recv() != STOP:
                pass
        except (EOFError, OSError):  # the parent's end closed without asking: it died
            orphaned.set()
        stop.set()

    threading.Thread(target=watch_parent, name="loader-parent-watch", daemon=True).start()
    url = settings.effective_database_url
    store = open_store(url)
    archiver = None
    if settings.archive_interval_s > 0:
        archiver = Archiver(url, settings.effective_archive_dir, interval_s=settings.archive_interval_s)
    loader = JournalLoader(
        settings.effective_journal_dir,
        store,
        after_commit=None if archiver is None else archiver.note_rows,
        max_packet_bytes=settings.ingest.max_packet_bytes,
    )
    try:
        if not loader.acquire(stop):
            return
        if archiver is not None:
            archiver.start()
        loader.run(stop, drain_timeout_s=DRAIN_TIMEOUT_S, orphaned=orphaned)
    finally:
        loader.release()
        if archiver is not None:
            archiver.stop()
        store.close()
        log.info("journal loader stopped: %d packets loaded", loader.packets_loaded)


class LoaderProcess:
    """Start / stop the loader process from a receiver process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._process: BaseProcess | None = None
        self._pipe: Connection | None = None

    def start(self) -> None:
        if self._pipe is not None:  # a restart: the last one's end of the pipe
            self._pipe.close()
        ctx = multiprocessing.get_context("spawn")
        parent_end, child_end = ctx.Pipe(duplex=True)
        process = ctx.Process(
            target=loader_main,
            args=(self.settings, child_end),
            name="ecosentinel-journal-loader",
            daemon=False,
        )
        process.start()
        child_end.close()
        self._process, self._pipe = process, parent_end
        try:
            ready = parent_end.poll(START_TIMEOUT_S) and parent_end.recv() == READY
        except (EOFError, OSError):  # it died starting
            ready = False
        if not ready:
            raise RuntimeError(f"the journal loader did not start within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        """Ask the loader to stop: it drains what the receivers journaled, then exits (blocking)."""
        process = self._process
        if process is None:
            return
        if self._pipe is not None:
            with contextlib.suppress(OSError):  # it is gone already
                self._pipe.send(STOP)
        process.join(STOP_TIMEOUT_S)
        if process.is_alive():
            log.warning(
                "journal loader still draining after %.0f s; killed (the rest stays journaled)",
                STOP_TIMEOUT_S,
            )
            process.kill()
            process.join()
        if self._pipe is not None:
            self._pipe.close()
        self._process = self._pipe = None

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    @property
    def exitcode(self) -> int | None:
        return None if self._process is None else self._process.exitcode
