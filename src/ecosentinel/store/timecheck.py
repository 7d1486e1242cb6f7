"""Time sanity of readings: a time too far in the future or implausibly old is refused, never stored.

One policy (``DataTimeSettings``) for every way a reading arrives: the HJ 212 receiver checks each
packet's DataTime (with the age limit of its data kind: live uploads), the CSV importer checks each row
(future tolerance and the earliest date only: importing history is what it is for).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from ecosentinel.config import DataTimeSettings
from ecosentinel.readings import CST, DataKind
from ecosentinel.store import messages

__all__ = ["TimeRefusal", "earliest_allowed", "latest_allowed", "time_refusal"]


@dataclass(frozen=True, slots=True)
class TimeRefusal:
    """Why a reading time is refused: ``reason`` is machine-readable, ``message`` is for people."""

    reason: str  # "time: future" | "time: too old"
    message: str


def latest_allowed(settings: DataTimeSettings, now: dt.datetime) -> dt.datetime:
    """The latest acceptable reading time at ``now`` (now + the future tolerance)."""
    return now + dt.timedelta(seconds=settings.future_tolerance_s)


def earliest_allowed(
    settings: DataTimeSettings, now: dt.datetime, kind: DataKind | str | None = None
) -> dt.datetime:
    """The earliest acceptable reading time: the fixed earliest date, or later by the kind's age limit."""
    earliest = _midnight_cst(settings.earliest)
    if kind is None:
        return earliest
    # checked for every received packet: one attribute read, no dict or enum lookup built per call
    days: float | None = getattr(settings, _AGE_LIMIT[kind if isinstance(kind, DataKind) else DataKind(kind)])
    if days is None:
        return earliest
    limit = now - dt.timedelta(days=days)
    # max(earliest, limit), compared in UTC: a comparison across zones looks up both offsets
    return limit if limit > _midnight_utc(settings.earliest) else earliest


_AGE_LIMIT = {
    DataKind.RTD: "max_age_rtd_days",
    DataKind.MINUTE: "max_age_minute_days",
    DataKind.HOUR: "max_age_hour_days",
    DataKind.DAY: "max_age_day_days",
}


@lru_cache(maxsize=16)
def _midnight_cst(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=CST)


@lru_cache(maxsize=16)
def _midnight_utc(day: dt.date) -> dt.datetime:
    return _midnight_cst(day).astimezone(dt.UTC)


def time_refusal(
    t: dt.datetime,
    settings: DataTimeSettings,
    now: dt.datetime,
    kind: DataKind | str | None = None,
) -> TimeRefusal | None:
    """None when ``t`` (tz-aware) is plausible at ``now``; else why not. ``kind`` applies its age limit."""
    latest = latest_allowed(settings, now)
    # t (a DataTime, in CST) is compared twice: converted once, both comparisons are within one zone
    t_utc = t.astimezone(dt.UTC) if t.tzinfo is not None else t  # naive: refused by the comparison as before
    if t_utc > latest:
        return TimeRefusal(
            "time: future",
            messages.TIME_IN_FUTURE.format(
                time=_cst(t), now=_cst(now), tolerance=round(settings.future_tolerance_s)
            ),
        )
    earliest = earliest_allowed(settings, now, kind)
    if t_utc < earliest:
        return TimeRefusal(
            "time: too old", messages.TIME_TOO_OLD.format(time=_cst(t), earliest=_cst(earliest))
        )
    return None


def _cst(t: dt.datetime) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")
