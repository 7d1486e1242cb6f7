"""The receiver's archiver: seals closed days into the archive in its own thread, off the ingest path.

The store writer calls ``note`` with each committed batch (after its acknowledgements are scheduled); that
only records the batch's first and last day. Every ``interval_s`` the archiver opens its own store
connection and seals the closed days: those noted (late data for old days included) and every day from the
last sealed one to the last closed one (a catch-up after downtime). The acknowledgement never waits for it,
and a failure here only logs: the store holds the data and the next pass (or ``archive build``) catches up.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from ecosentinel.archive.build import (
    DEFAULT_GRACE,
    Builder,
    BuildResult,
    days_of_frame,
    days_of_rows,
    earliest_reading,
    first_open_day,
)
from ecosentinel.archive.layout import day_of
from ecosentinel.readings import ReadingRow
from ecosentinel.store.base import open_store

logger = logging.getLogger(__name__)

FIRST_PASS_DELAY_S = 60.0
"""The first pass waits this long (at most one interval) so it does not compete with start-up."""


class Archiver:
    """Background sealing of closed days from the store at ``url`` into the archive at ``root``."""

    def __init__(
        self,
        url: str,
        root: Path,
        *,
        interval_s: float = 3600.0,
        grace: dt.timedelta = DEFAULT_GRACE,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.url = url
        self.root = root
        self.interval_s = interval_s
        self.grace = grace
        self.clock = clock
        self._dirty: set[dt.date] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.last_result: BuildResult | None = None

    def note(self, frame: pl.DataFrame) -> None:
        """Record the days a committed batch touched (cheap: the batch's earliest and latest time)."""
        self._note_days(days_of_frame(frame))

    def note_rows(self, rows: Sequence[ReadingRow]) -> None:
        """Same as :meth:`note`, for a batch of reading rows (the ingest writer's after-commit hook)."""
        self._note_days(days_of_rows(rows))

    def _note_days(self, days: set[dt.date]) -> None:
        if days:
            with self._lock:
                self._dirty |= days

    def run_once(self) -> BuildResult:
        """One pass: seal the closed days noted and those since the last sealed day."""
        until = first_open_day(self.clock(), self.grace)
        with self._lock:
            noted = {d for d in self._dirty if d < until}
        store = open_store(self.url)
        try:
            builder = Builder(store, self.root)
            first = builder.last_sealed_day()
            if first is None:
                oldest = earliest_reading(self.url)
                first = None if oldest is None else day_of(oldest)
            days = set(noted)
            if first is not None:
                days |= {first + dt.timedelta(days=i) for i in range(max(0, (until - first).days))}
            result = builder.build(days, until=until)
        finally:
            store.close()
        with self._lock:
            self._dirty -= noted
        self.passes += 1
        self.last_result = result
        return result

    def _loop(self) -> None:
        delay = min(self.interval_s, FIRST_PASS_DELAY_S)
        while not self._stop.wait(delay):
            try:
                self.run_once()
            except Exception:
                logger.exception("archive pass failed; the store keeps the data, the next pass retries")
            delay = self.interval_s

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ecosentinel-archiver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
