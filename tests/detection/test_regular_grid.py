"""``base._regular``: explicit missing rows for absent grid times, against the plain definition."""

import datetime as dt
import random

import polars as pl
import pytest

from ecosentinel.detection.base import _regular

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _reference(frame: pl.DataFrame, step: dt.timedelta) -> pl.DataFrame:
    """Every grid time from the first time to the last that no row has, added as a missing row."""
    first, last = frame["time"].min(), frame["time"].max()
    assert isinstance(first, dt.datetime)
    assert isinstance(last, dt.datetime)
    grid = pl.DataFrame(
        {"time": pl.datetime_range(first, last, step, time_unit="us", time_zone="UTC", eager=True)}
    )
    missing = grid.join(frame.select("time"), on="time", how="anti")
    if missing.height == 0:
        return frame
    return pl.concat([frame, missing], how="diagonal").sort("time")


@pytest.mark.parametrize("seed", range(60))
def test_regular_adds_exactly_the_absent_grid_times(seed: int) -> None:
    rng = random.Random(seed)
    step = rng.choice([dt.timedelta(minutes=1), dt.timedelta(hours=1), dt.timedelta(seconds=30)])
    times: set[dt.datetime] = set()
    for i in range(rng.randint(2, 400)):
        if rng.random() < 0.7:
            times.add(T0 + i * step)
        if rng.random() < 0.05:  # off the grid: kept as it is
            times.add(T0 + i * step + dt.timedelta(seconds=rng.randint(1, 29)))
    ordered = sorted(times)
    if rng.random() < 0.3:
        rng.shuffle(ordered)
    frame = pl.DataFrame(
        {
            "time": pl.Series(ordered, dtype=pl.Datetime("us", "UTC")),
            "value": [rng.random() for _ in ordered],
            "flag": ["N"] * len(ordered),
        }
    )
    if frame.height < 2:
        return
    assert _regular(frame, step).equals(_reference(frame, step))
