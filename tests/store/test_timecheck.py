"""time_refusal (checked for every received packet) decides as the plain definition does, at the edges."""

from __future__ import annotations

import datetime as dt

import pytest

from ecosentinel.config import DataTimeSettings
from ecosentinel.readings import CST, DataKind
from ecosentinel.store.timecheck import TimeRefusal, earliest_allowed, time_refusal

SETTINGS = DataTimeSettings()
NOW_UTC = dt.datetime(2026, 3, 1, 4, 0, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)


def reference(t: dt.datetime, now: dt.datetime, kind: DataKind | None) -> str | None:
    """The policy written out: future tolerance, fixed earliest date, the kind's age limit."""
    if t > now + dt.timedelta(seconds=SETTINGS.future_tolerance_s):
        return "time: future"
    earliest = dt.datetime.combine(SETTINGS.earliest, dt.time(), tzinfo=CST)
    days = {
        DataKind.RTD: SETTINGS.max_age_rtd_days,
        DataKind.MINUTE: SETTINGS.max_age_minute_days,
        DataKind.HOUR: SETTINGS.max_age_hour_days,
        DataKind.DAY: SETTINGS.max_age_day_days,
    }.get(kind) if kind is not None else None  # fmt: skip
    if days is not None:
        earliest = max(earliest, now - dt.timedelta(days=days))
    return "time: too old" if t < earliest else None


def _edges(now: dt.datetime) -> list[dt.datetime]:
    latest = now + dt.timedelta(seconds=SETTINGS.future_tolerance_s)
    fixed = dt.datetime.combine(SETTINGS.earliest, dt.time(), tzinfo=CST)
    times = [latest, latest + SECOND, latest - SECOND, fixed, fixed - SECOND, fixed + SECOND]
    for days in (SETTINGS.max_age_rtd_days, SETTINGS.max_age_minute_days):
        assert days is not None
        edge = now - dt.timedelta(days=days)
        times += [edge, edge - SECOND, edge + SECOND]
    return [t.astimezone(CST) for t in times]  # DataTime is decoded in CST


@pytest.mark.parametrize("now", [NOW_UTC, NOW_UTC.astimezone(CST)], ids=["now-utc", "now-cst"])
@pytest.mark.parametrize("kind", [None, *DataKind, "minute"])
def test_time_refusal_matches_the_definition_at_every_edge(now: dt.datetime, kind: DataKind | None) -> None:
    for t in _edges(now):
        refusal = time_refusal(t, SETTINGS, now, kind)
        assert (refusal.reason if refusal else None) == reference(
            t, now, None if kind is None else DataKind(kind)
        )


def test_refusal_message_names_the_earliest_time_in_cst() -> None:
    t = (NOW_UTC - dt.timedelta(days=8)).astimezone(CST)
    refusal = time_refusal(t, SETTINGS, NOW_UTC, DataKind.RTD)
    assert isinstance(refusal, TimeRefusal)
    assert "2026-02-22 12:00:00" in refusal.message  # now - 7 days, in CST
    assert earliest_allowed(SETTINGS, NOW_UTC, DataKind.HOUR) == dt.datetime(2000, 1, 1, tzinfo=CST)


def test_naive_times_are_still_refused_loudly() -> None:
    with pytest.raises(TypeError):
        time_refusal(dt.datetime(2026, 3, 1), SETTINGS, NOW_UTC, DataKind.MINUTE)
