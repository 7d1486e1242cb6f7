"""Data transmission and valid-data counts per point from the measurement store (hourly values).

An hour is *expected* when the point was to report it (inside the given intervals, before ``now``),
*received* when the platform holds an hourly value for it, and *valid* when every hourly value of that
hour is present and flagged ``N`` (HJ 212 normal). Working-condition series are not counted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from ecosentinel.detection.context import WC_PRODUCTION, WC_TREATMENT
from ecosentinel.readings import DataFlag, DataKind, Source
from ecosentinel.store.base import MeasurementStore

_HOUR = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Availability:
    expected_hours: int = 0
    received_hours: int = 0
    valid_hours: int = 0

    def __add__(self, other: Availability) -> Availability:
        return Availability(
            self.expected_hours + other.expected_hours,
            self.received_hours + other.received_hours,
            self.valid_hours + other.valid_hours,
        )


def _hour_ceil(value: dt.datetime) -> dt.datetime:
    floor = value.replace(minute=0, second=0, microsecond=0)
    return floor if floor == value else floor + _HOUR


def _clip(
    intervals: Sequence[tuple[dt.datetime, dt.datetime]], now: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Hour-aligned, non-overlapping intervals, none past ``now``."""
    aligned = sorted(
        (
            _hour_ceil(start.astimezone(dt.UTC)),
            min(end, now).astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0),
        )
        for start, end in intervals
    )
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in aligned:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def hourly_availability(
    store: MeasurementStore,
    intervals: Mapping[str, Sequence[tuple[dt.datetime, dt.datetime]]],
    *,
    now: dt.datetime | None = None,
    since: Mapping[str, dt.datetime] | None = None,
) -> dict[str, Availability]:
    """Expected / received / valid hourly values per MN over its intervals (half-open, aware).

    With ``since`` (e.g. registration times), an MN is expected to report only from the earlier of that
    time and its first hourly value: a point is not blamed for hours before it existed.
    """
    limit = now or dt.datetime.now(dt.UTC)
    clipped = {mn: _clip(spans, limit) for mn, spans in intervals.items()}
    result = {mn: Availability() for mn in intervals}
    spans = [span for spans in clipped.values() for span in spans]
    if not spans:
        return result
    frame = store.read_window(
        start=min(s for s, _ in spans),
        end=max(e for _, e in spans),
        mns=sorted(mn for mn, s in clipped.items() if s),
        kinds=[DataKind.HOUR],
        sources=[Source.PLATFORM],
    )
    hours = (
        frame.filter(~pl.col("code").is_in([WC_PRODUCTION, WC_TREATMENT]))
        .group_by("mn", "time")
        .agg(valid=((pl.col("flag") == DataFlag.NORMAL.value) & pl.col("value").is_not_null()).all())
    )
    for mn, mn_spans in clipped.items():
        own = hours.filter(pl.col("mn") == mn)
        if since is not None and mn in since:
            first = own["time"].min() if own.height else None
            begin = since[mn] if not isinstance(first, dt.datetime) else min(since[mn], first)
            mn_spans = _clip([(max(s, begin), e) for s, e in mn_spans], limit)
        expected = received = valid = 0
        for start, end in mn_spans:
            expected += int((end - start) / _HOUR)
            inside = own.filter((pl.col("time") >= start) & (pl.col("time") < end))
            received += inside.height
            valid += int(inside["valid"].sum())
        result[mn] = Availability(expected, received, valid)
    return result
