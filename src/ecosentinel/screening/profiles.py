"""Per-point calibration for screening runs: each point's profile (``detection.calibration``) is built
from its own history before the screened window and attached to its context, so calibrated rules compare
against the point's own clean behaviour rather than one global constant.

Profiles are memoised per point, China-Standard-Time day of the window start and screening configuration:
the scheduler's incremental passes (every few minutes) reuse the day's profile instead of re-reading weeks
of history. The memo is a per-process cache of pure results (each worker process builds its own), bounded
in size.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Mapping

from ecosentinel.detection.calibration import build_profile, with_profile
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.profile import PointProfile
from ecosentinel.readings import CST, DataKind
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)

PROFILE_HISTORY = dt.timedelta(days=30)
"""History read before the window (calibration needs at least 14 days to set a level)."""
MAX_CACHED = 4096


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
) -> dict[str, PointContext]:
    """The contexts with each point's profile from the ``history`` before ``start`` (None when the point
    has no history there: its rules keep their documented constants)."""
    cache = cache if cache is not None else CACHE
    day = start.astimezone(CST).date().isoformat()
    config_key = _config_key(config)
    out: dict[str, PointContext] = {}
    for mn, context in contexts.items():
        key = (store_key, mn, day, config_key, str(history.total_seconds()))
        found, profile = cache.get(key)
        if not found:
            frame = store.read_window(
                start=start - history, end=start, mns=[mn], kinds=[DataKind.MINUTE, DataKind.HOUR]
            )
            profile = build_profile(frame, context, config) if frame.height else None
            cache.put(key, profile)
            logger.debug("profile of %s from %d readings: %s", mn, frame.height, profile is not None)
        out[mn] = with_profile(context, profile)
    return out
