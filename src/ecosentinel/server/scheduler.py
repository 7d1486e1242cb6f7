"""Scheduled screening inside the server: incremental passes on new data and a full patrol pass.

Delivery code: it wires screening to the warnings it feeds.

Every ``interval_s`` the scheduler looks for points whose newest reading is newer than their watermark
(the newest reading already screened) and re-screens them with ``lookback_hours`` of history before the
new data; every pass also gives the rules ``context_hours`` of readings before its window (a day compared
with the week before it, a run that began earlier keeping its start). Every
``full_interval_s`` (2 hours: the patrol of seed 004) it screens every point over the last
``full_window_hours`` of its own data.

Windows and watermarks are per point: a point's window ends at its own newest reading (never another
point's), and readings later than now + the future tolerance of ``DataTimeSettings`` (stored before the
receiver refused them) are ignored: they never set a window or a watermark; a watermark beyond that
bound is reset. Points
whose windows fall in the same hours share one run (bounded to those hours). Work runs in a background
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

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ecosentinel.audit.service import anchor
from ecosentinel.auth.service import SYSTEM
from ecosentinel.config import DataTimeSettings, ScreeningSettings, Settings
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.enforcement.warnings import create_patrol_report, sync_warnings
from ecosentinel.jobs import JobRunner, Progress
from ecosentinel.readings import CST
from ecosentinel.screening.models import ScreeningPointState
from ecosentinel.screening.service import RunOutcome, latest_times, run_screening, utc, watermarks
from ecosentinel.store.base import MeasurementStore, open_store
from ecosentinel.store.timecheck import latest_allowed

logger = logging.getLogger(__name__)

_SECOND = dt.timedelta(seconds=1)
_HOUR = dt.timedelta(hours=1)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

Window = tuple[dt.datetime, dt.datetime]


def _floor_hour(t: dt.datetime) -> dt.datetime:
    return _EPOCH + (t - _EPOCH) // _HOUR * _HOUR


def _ceil_hour(t: dt.datetime) -> dt.datetime:
    return _EPOCH - (_EPOCH - t) // _HOUR * _HOUR


def group_windows(windows: dict[str, Window], cap: dt.datetime) -> list[tuple[Window, list[str]]]:
    """Points grouped by their window widened to whole hours (the end never beyond ``cap``): one run per
    group, each covering every member's own window and nothing of another point's hours."""
    groups: dict[Window, list[str]] = {}
    for mn, (start, end) in sorted(windows.items()):
        key = (_floor_hour(start), min(_ceil_hour(end), cap))
        groups.setdefault(key, []).append(mn)
    return sorted(groups.items())


class ScreeningScheduler:
    """Runs screening passes in a background thread until stopped."""

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
        self.factory = factory
        self.jobs = jobs
        self.anchor_path = anchor_path  # the audit chain is anchored there after every full pass
        self.data_time = data_time or DataTimeSettings()
        self.clock = clock
        self.url = url
        self.settings = settings
        self.config = config
        if config is None and settings.config_path is not None:
            self.config = ScreeningConfig.from_yaml(settings.config_path)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_full: float | None = None
        self._store: MeasurementStore | None = None
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
        if self._store is not None:
            self._store.close()
            self._store = None

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

    def _opened(self) -> MeasurementStore:
        if self._store is None:
            self._store = open_store(self.url)
        return self._store

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

    def _cap(self) -> dt.datetime:
        """The latest plausible reading time now (later readings never set a window or a watermark)."""
        return utc(latest_allowed(self.data_time, self.clock()))

    def _latest(self) -> dict[str, dt.datetime]:
        """Each point's own newest plausible reading (readings beyond the plausible latest time ignored)."""
        return latest_times(self._opened(), until=self._cap())

    def _marks(self) -> dict[str, dt.datetime]:
        """Watermarks; one beyond the plausible latest time (set before time sanity existed) is reset."""
        cap = self._cap()
        with self.factory() as session:
            marks = watermarks(session)
            future = sorted(mn for mn, t in marks.items() if t > cap)
            if future:
                logger.warning(
                    "resetting watermarks in the future of %d points: %s", len(future), future[:10]
                )
                session.execute(sa.delete(ScreeningPointState).where(ScreeningPointState.mn.in_(future)))
                session.commit()
        return {mn: t for mn, t in marks.items() if t <= cap}

    def full_pass(self) -> list[RunOutcome]:
        """Every point over the last ``full_window_hours`` of its own data (the 2-hour patrol)."""
        self._marks()  # resets watermarks in the future
        latest = self._latest()
        span = dt.timedelta(hours=self.settings.full_window_hours)
        windows = {mn: (t + _SECOND - span, t + _SECOND) for mn, t in latest.items()}
        return self._run_groups("full", windows, latest)

    def incremental_pass(self) -> list[RunOutcome]:
        """Points with readings newer than their watermark, each re-screened from ``lookback_hours`` before
        its own watermark to its own newest reading."""
        latest = self._latest()
        marks = self._marks()
        due = {mn: t for mn, t in latest.items() if mn not in marks or t > marks[mn]}
        lookback = dt.timedelta(hours=self.settings.lookback_hours)
        windows = {mn: (marks.get(mn, t) - lookback, t + _SECOND) for mn, t in due.items()}
        return self._run_groups("incremental", windows, due)

    def _run_groups(
        self, mode: str, windows: dict[str, Window], marks: dict[str, dt.datetime]
    ) -> list[RunOutcome]:
        cap = self._cap() + _SECOND
        return [
            self._run(mode, mns, start, end, {mn: marks[mn] for mn in mns})
            for (start, end), mns in group_windows(windows, cap)
        ]

    def _run(
        self,
        mode: str,
        mns: list[str],
        start: dt.datetime,
        end: dt.datetime,
        marks: dict[str, dt.datetime],
    ) -> RunOutcome:
        logger.info("%s screening pass: %d points, %s .. %s", mode, len(mns), start, end)
        return run_screening(
            self.factory,
            self.url,
            start=start,
            end=end,
            mns=mns,
            workers=self.settings.workers,
            mode=mode,
            config=self.config,
            store=self._opened() if self.settings.workers <= 1 else None,
            watermarks=marks,
            context=dt.timedelta(hours=self.settings.context_hours),
        )


def start_scheduler(
    settings: Settings, factory: sessionmaker[Session], *, jobs: JobRunner | None = None
) -> ScreeningScheduler | None:
    """Start scheduled screening when enabled in the settings; returns the scheduler to stop later."""
    if not settings.screening.enabled:
        return None
    scheduler = ScreeningScheduler.from_settings(settings, factory, jobs=jobs)
    scheduler.start()
    return scheduler
