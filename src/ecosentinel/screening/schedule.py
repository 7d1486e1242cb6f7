"""The scheduled screening passes, without the clock thread: which points are due, their windows, one run
per group of points.

Domain service: ``server.scheduler`` drives these passes on a timer and turns their day scores into
warnings; ``bench detect-live`` drives them on a simulated clock to measure what the live server
reports (not what one retrospective ``ecosentinel screen`` over the months reports).

Windows and watermarks are per point: a point's window ends at its own newest reading (never another
point's), and readings later than now + the future tolerance of ``DataTimeSettings`` (stored before the
receiver refused them) are ignored: they never set a window or a watermark; a watermark beyond that
bound is reset. Points whose windows fall in the same hours share one run (bounded to those hours).
Every pass also gives the rules ``context_hours`` of readings before its window (a day compared with
the week before it, a run that began earlier keeping its start).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from ecosentinel.config import DataTimeSettings, ScreeningSettings
from ecosentinel.detection.config import ScreeningConfig
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


class ScheduledPasses:
    """The incremental and full passes of scheduled screening over one store, at the time ``clock`` says."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        url: str,
        settings: ScreeningSettings,
        *,
        config: ScreeningConfig | None = None,
        data_time: DataTimeSettings | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.factory = factory
        self.url = url
        self.settings = settings
        self.config = config
        if config is None and settings.config_path is not None:
            self.config = ScreeningConfig.from_yaml(settings.config_path)
        self.data_time = data_time or DataTimeSettings()
        self.clock = clock
        self._store: MeasurementStore | None = None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def _opened(self) -> MeasurementStore:
        if self._store is None:
            self._store = open_store(self.url)
        return self._store

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


__all__ = ["ScheduledPasses", "Window", "group_windows"]
