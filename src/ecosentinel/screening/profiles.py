"""Per-point calibration for screening runs: each point's profile (``detection.calibration``) is built
from its own history before the screened window and attached to its context, so calibrated rules compare
against the point's own clean behaviour rather than one global constant.

Profiles are memoised per point, China-Standard-Time day of the window start and screening configuration:
the scheduler's incremental passes (every few minutes) reuse the day's profile instead of re-reading weeks
of history. The memo is a per-process cache of pure results (each worker process builds its own), bounded
in size.

A long window (an imported half year screened at once) is screened month by month
(``calibration_slices``), each month calibrated on the 30 days before it, so that only the first month of
a point's data lacks a history; that month is calibrated on the 30 days after it instead (a retrospective
screening has them; the two periods never overlap, so the month judged never calibrates itself).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping

from ecosentinel.detection.calibration import (
    MIN_HISTORY_DAYS,
    build_profile,
    history_days,
    with_profile,
)
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.profile import PointProfile
from ecosentinel.readings import CST, DataKind
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)

PROFILE_HISTORY = dt.timedelta(days=30)
"""History read before the window (calibration needs at least 14 days to set a level)."""
MAX_CACHED = 4096
SLICE_MIN_DAYS = 15
"""[P] a window's first or last calendar-month piece shorter than this joins its neighbour: a window of
up to about six weeks is screened in one piece."""
SLICE_LEAD = dt.timedelta(days=3)
"""[P] each month is screened with this much of the next month's readings after it (and at least this
much of the previous month's before it, see READ_CONTEXT); its findings are those that start inside it,
so a run across a month boundary is judged whole (up to this long past the boundary) and reported once."""
READ_CONTEXT = dt.timedelta(days=8)
"""[P] the readings before a screened window (and before each month of a long one) that the rules see as
context: R17 compares a day with the same hours 1 to 7 days earlier, R11 a flow with its 7-day baseline,
R12's ceiling windows with the point's values before them, R01 and R02 a run with the rest of the window.
Findings that end before the window are not reported; one that began in the context and reaches into the
window is, with its own start (the same key as when an earlier pass found it). Measured through import
and screen (``bench detect-import --seed 5151``): with 3 days of the previous month, 4 of 10 day-long
replays on the EPA units, each copied 7 days back into the first days of a month, were never compared
with their source day; and the server's incremental pass (24 hours) could not compare a day with any
earlier one."""


class ProfileCache:
    """A bounded, thread-safe memo of profiles (least recently used out first)."""

    def __init__(self, max_entries: int = MAX_CACHED) -> None:
        self._entries: OrderedDict[tuple[str, ...], PointProfile | None] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: tuple[str, ...]) -> tuple[bool, PointProfile | None]:
        with self._lock:
            if key not in self._entries:
                return False, None
            self._entries.move_to_end(key)
            return True, self._entries[key]

    def put(self, key: tuple[str, ...], profile: PointProfile | None) -> None:
        with self._lock:
            self._entries[key] = profile
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


CACHE = ProfileCache()


def _config_key(config: ScreeningConfig | None) -> str:
    if config is None:
        return "default"
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]


def attach_profiles(
    store: MeasurementStore,
    store_key: str,
    contexts: Mapping[str, PointContext],
    start: dt.datetime,
    config: ScreeningConfig | None = None,
    *,
    history: dt.timedelta = PROFILE_HISTORY,
    cache: ProfileCache | None = None,
    after: dt.datetime | None = None,
) -> dict[str, PointContext]:
    """The contexts with each point's profile from the ``history`` before ``start`` (None when the point
    has no history there: its rules keep their documented constants).

    With ``after`` (the end of the window judged), a point whose readings before ``start`` span fewer
    than MIN_HISTORY_DAYS days is calibrated on the ``history`` from ``after`` on when those span enough
    (a retrospective screening of a point's first month)."""
    cache = cache if cache is not None else CACHE
    day = start.astimezone(CST).date().isoformat()
    # by CST day, as the start: the scheduler's passes through a day share one look-ahead read
    ahead = "" if after is None else after.astimezone(CST).date().isoformat()
    config_key = _config_key(config)
    kinds = [DataKind.MINUTE, DataKind.HOUR]
    out: dict[str, PointContext] = {}
    for mn, context in contexts.items():
        key = (store_key, mn, day, ahead, config_key, str(history.total_seconds()))
        found, profile = cache.get(key)
        if not found:
            frame = store.read_window(start=start - history, end=start, mns=[mn], kinds=kinds)
            if after is not None and history_days(frame) < MIN_HISTORY_DAYS:
                later = store.read_window(start=after, end=after + history, mns=[mn], kinds=kinds)
                if history_days(later) >= MIN_HISTORY_DAYS:
                    frame = later
            profile = build_profile(frame, context, config) if frame.height else None
            cache.put(key, profile)
            logger.debug("profile of %s from %d readings: %s", mn, frame.height, profile is not None)
        out[mn] = with_profile(context, profile)
    return out


def month_start(t: dt.datetime) -> dt.datetime:
    """The China-Standard-Time month start at or before ``t`` (in ``t``'s zone, UTC when naive)."""
    local = t.astimezone(CST)
    return dt.datetime(local.year, local.month, 1, tzinfo=CST).astimezone(t.tzinfo or dt.UTC)


def first_read(start: dt.datetime, context: dt.timedelta) -> dt.datetime:
    """Where a window's read begins: the start of the CST month in which its ``context`` begins, so that
    every month the rules judge per month (R09's association, R12's month test, R13's digits) is read
    from its start, and a run is read from its start when it began in that month.

    Measured with ``bench detect-live``: the server's passes read only ``context`` before their window,
    so each pass judged a different 9-day piece of the month and reported it under a new start, one
    finding per pass (an EPA unit: 227 low R12 month-test findings over two months where one screen of
    the months had 12), and a value stuck for longer than the context got a new finding at every pass."""
    return month_start(start - context)


def calibration_anchor(start: dt.datetime) -> dt.datetime:
    """Where a window's calibration history ends: the start of its CST month. Passes through one month
    share one profile, calibrated on the month before (the history never holds the month being judged:
    measured with ``bench detect-live``, a flow meter stuck for six days was in the 30 days before the
    server's pass, so its stuck value became the history's maximum and the clue that the value was
    implausibly high for a falsifier was lost; that flow was yellow for nine clean days)."""
    return month_start(start)


def calibration_slices(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut at China-Standard-Time month starts, a first or last piece shorter than
    SLICE_MIN_DAYS joined to its neighbour (one piece for a window of a few weeks)."""
    cuts = [start]
    month = month_start(start).astimezone(CST)
    while True:
        month = (month + dt.timedelta(days=32)).replace(day=1)
        if month >= end:
            break
        cuts.append(month.astimezone(start.tzinfo or dt.UTC))
    cuts.append(end)
    short = dt.timedelta(days=SLICE_MIN_DAYS)
    if len(cuts) > 2 and cuts[1] - cuts[0] < short:
        del cuts[1]
    if len(cuts) > 2 and cuts[-1] - cuts[-2] < short:
        del cuts[-2]
    return list(itertools.pairwise(cuts))
