"""``_common.cst_wall``: the China Standard Time wall clock without the per-value zone look-up."""

import datetime as dt

import polars as pl
import pytest

from ecosentinel.detection.rules._common import CST_FIXED_FROM, cst_wall
from ecosentinel.readings import CST


def _converted(times: pl.Series) -> pl.Series:
    return times.dt.convert_time_zone(CST.key).dt.replace_time_zone(None)


@pytest.mark.parametrize(
    ("start", "end", "every"),
    [
        (dt.datetime(1991, 9, 14, 17, tzinfo=dt.UTC), dt.datetime(2061, 1, 1, tzinfo=dt.UTC), "1h"),
        (dt.datetime(2025, 12, 31, 15, tzinfo=dt.UTC), dt.datetime(2026, 1, 2, tzinfo=dt.UTC), "1m"),
        # before the last summer time ended: the zone's own table (CDT, UTC+9, in summer 1986-1991)
        (dt.datetime(1985, 1, 1, tzinfo=dt.UTC), dt.datetime(1992, 1, 1, tzinfo=dt.UTC), "1h"),
    ],
)
def test_cst_wall_is_the_time_zone_conversion(start: dt.datetime, end: dt.datetime, every: str) -> None:
    times = pl.datetime_range(start, end, every, time_unit="us", time_zone="UTC", eager=True)
    wall = cst_wall(times)
    assert wall.equals(_converted(times))
    assert wall.dt.date().equals(_converted(times).dt.date())


def test_cst_wall_keeps_nulls_and_takes_the_conversion_for_other_zones() -> None:
    times = pl.Series([CST_FIXED_FROM, None, dt.datetime(2026, 6, 30, 16, tzinfo=dt.UTC)]).cast(
        pl.Datetime("us", "UTC")
    )
    assert cst_wall(times).equals(_converted(times))
    assert cst_wall(times.clear()).len() == 0
    local = times.dt.convert_time_zone("Asia/Tokyo")
    assert cst_wall(local).equals(_converted(local))
