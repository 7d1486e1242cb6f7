"""Scheduled screening inside the server: incremental passes on new data and a full patrol pass.

Delivery code: it wires screening to the warnings it feeds.

Every ``interval_s`` the scheduler looks for points whose newest reading is newer than their watermark
(the newest reading already screened) and re-screens them with ``lookback_hours`` of history before the
new data; every pass also gives the rules ``context_hours`` of readings before its window (a day compared
with the week before it, a run that began earlier keeping its start). Every
``full_interval_s`` (2 hours: the patrol of seed 004) it screens every point over the last
``full_window_hours`` of its own data.

The passes themselves (due points, per-point windows and watermarks, future-dated readings ignored,
one run per group of points) are ``screening.schedule.ScheduledPasses``; this module adds the clock
thread, the warnings and the patrol report. Work runs in a background
thread (or its process pool), never on the event loop;
each pass is recorded as a run; a failure is logged and recorded and the scheduler carries on.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ecosentinel.audit.service import anchor
from ecosentinel.auth.service import SYSTEM
from ecosentinel.config import DataTimeSettings, ScreeningSettings, Settings
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.enforcement.warnings import create_patrol_report, sync_warnings
from ecosentinel.jobs import JobRunner, Progress
from ecosentinel.readings import CST
from ecosentinel.screening.schedule import ScheduledPasses
from ecosentinel.screening.service import RunOutcome

logger = logging.getLogger(__name__)


class ScreeningScheduler(ScheduledPasses):
    """Runs the scheduled passes in a background thread until stopped."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        url: str,
        settings: ScreeningSettings,
        *,
        config: ScreeningConfig | None = None,
        jobs: JobRunner | None = None,
        anchor_path: Path | None = None,
        data_time: DataTimeSettings | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        super().__init__(factory, url, settings, config=config, data_time=data_time, clock=clock)
        self.jobs = jobs
        self.anchor_path = anchor_path  # the audit chain is anchored there after every full pass
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_full: float | None = None
        self.passes = 0
        self.failures = 0

    @classmethod
    def from_settings(
        cls, settings: Settings, factory: sessionmaker[Session], *, jobs: JobRunner | None = None
    ) -> ScreeningScheduler:
        return cls(
            factory,
            settings.effective_database_url,
            settings.screening,
            jobs=jobs,
            anchor_path=settings.audit_anchor_path,
            data_time=settings.data_time,
        )

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background thread (the first pass comes after one interval and is a full pass)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="screening-scheduler", daemon=True)
        self._thread.start()
        logger.info(
            "screening scheduler started: incremental every %.0fs, full pass every %.0fs",
            self.settings.interval_s,
            self.settings.full_interval_s,
        )

    def stop(self, timeout: float = 60.0) -> None:
        """Ask the thread to stop and wait for the current pass (at most ``timeout`` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("screening pass still running at shutdown; leaving it to the process exit")
            self._thread = None
        self.close()

    def _loop(self) -> None:
        """The clock: each pass runs on the app's job runner when there is one (so it shows among the jobs
        and shares their bounded pool), else on this thread."""
        while not self._stop.wait(self.settings.interval_s):
            if self.jobs is None:
                self.tick()
                continue
            try:
                job = self.jobs.submit("scheduled_screening", SYSTEM.username, self._tick_job)
            except RuntimeError:  # the runner is shut down: the platform is stopping
                return
            job.wait()

    def _tick_job(self, progress: Progress) -> dict[str, Any] | None:
        outcome = self.tick()
        if outcome is None:
            return None
        return {"run_id": outcome.run_id, "new_findings": outcome.new_findings}

    # -- passes --------------------------------------------------------------------------------------

    def tick(self) -> RunOutcome | None:
        """One scheduled step: a full pass when due, else an incremental one. Never raises."""
        try:
            now = time.monotonic()
            if self._last_full is None or now - self._last_full >= self.settings.full_interval_s:
                outcomes = self.full_pass()
                self._last_full = now
                full = True
            else:
                outcomes = self.incremental_pass()
                full = False
            for i, outcome in enumerate(outcomes):
                self.passes += 1
                self._after_pass(outcome, full=full and i == len(outcomes) - 1)
            return outcomes[-1] if outcomes else None
        except Exception:
            self.failures += 1
            logger.exception("scheduled screening pass failed (recorded; the scheduler carries on)")
            return None

    def _after_pass(self, outcome: RunOutcome, *, full: bool) -> None:
        """New day scores become warnings (merged into open ones); a full pass also writes the patrol report
        of seed 004 (what is new since the previous one) and anchors the audit chain outside the database."""
        with self.factory() as session:
            # the days the pass screened (CST), so history imported late is covered too
            last_day = outcome.end.astimezone(CST).date()
            span = (last_day - outcome.start.astimezone(CST).date()).days + 1
            result = sync_warnings(session, days=span, today=last_day)
            if full:
                create_patrol_report(session, SYSTEM)
            session.commit()
            if full and self.anchor_path is not None:
                anchor(session, self.anchor_path)
        logger.info("warnings synchronised after the %s pass: %s", "full" if full else "incremental", result)


def start_scheduler(
    settings: Settings, factory: sessionmaker[Session], *, jobs: JobRunner | None = None
) -> ScreeningScheduler | None:
    """Start scheduled screening when enabled in the settings; returns the scheduler to stop later."""
    if not settings.screening.enabled:
        return None
    scheduler = ScreeningScheduler.from_settings(settings, factory, jobs=jobs)
    scheduler.start()
    return scheduler
