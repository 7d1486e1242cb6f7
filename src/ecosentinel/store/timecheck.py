"""Time sanity of readings: a time too far in the future or implausibly old is refused, never stored.

One policy (``DataTimeSettings``) for every way a reading arrives: the HJ 212 receiver checks each
packet's DataTime (with the age limit of its data kind: live uploads), the CSV importer checks each row
(future tolerance and the earliest date only: importing history is what it is for).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
    earliest = dt.datetime.combine(settings.earliest, dt.time(), tzinfo=CST)
    if kind is None:
        return earliest
    days = {
        DataKind.RTD: settings.max_age_rtd_days,
        DataKind.MINUTE: settings.max_age_minute_days,
        DataKind.HOUR: settings.max_age_hour_days,
        DataKind.DAY: settings.max_age_day_days,
    }.get(DataKind(kind))
    if days is None:
        return earliest
    return max(earliest, now - dt.timedelta(days=days))


def time_refusal(
    t: dt.datetime,
    settings: DataTimeSettings,
    now: dt.datetime,
    kind: DataKind | str | None = None,
) -> TimeRefusal | None:
    """None when ``t`` (tz-aware) is plausible at ``now``; else why not. ``kind`` applies its age limit."""
    latest = latest_allowed(settings, now)
    if t > latest:
        return TimeRefusal(
            "time: future",
            messages.TIME_IN_FUTURE.format(
                time=_cst(t), now=_cst(now), tolerance=round(settings.future_tolerance_s)
            ),
        )
    earliest = earliest_allowed(settings, now, kind)
    if t < earliest:
        return TimeRefusal(
            "time: too old", messages.TIME_TOO_OLD.format(time=_cst(t), earliest=_cst(earliest))
        )
    return None


def _cst(t: dt.datetime) -> str:
    return t.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")
