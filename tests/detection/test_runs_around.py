"""``runs_around`` (vectorised) returns exactly what walking the lists out of each run returns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from ecosentinel.detection.base import true_runs
from ecosentinel.detection.rules._common import Run, runs_around, runs_with_levels

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def walked(
    frame: pl.DataFrame, mask: pl.Series, step: dt.timedelta | None, lookback: dt.timedelta
) -> list[Run]:
    """The reference: Python lists, walking out of each run to the nearest valid value on each side."""
    times, values = frame["time"].to_list(), frame["value"].to_list()
    out = []
    for a, b in true_runs(mask):
        before = before_time = after = after_time = None
        for i in range(a - 1, -1, -1):
            if times[a] - times[i] > lookback:
                break
            if values[i] is not None:
                before, before_time = float(values[i]), times[i]
                break
        for j in range(b + 1, len(values)):
            if values[j] is not None:
                after, after_time = float(values[j]), times[j]
                break
        end = times[b] + (step or dt.timedelta(0))
        out.append(Run(a, b, times[a], end, before, before_time, after, after_time))
    return out


@pytest.mark.parametrize("seed", range(20))
def test_runs_around_matches_runs_with_levels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 80))
    gaps = rng.integers(1, 40, size=n).cumsum()  # irregular minutes: lookback matters
    values = [None if rng.random() < 0.3 else float(rng.integers(0, 5)) for _ in range(n)]
    frame = pl.DataFrame(
        {"time": [T0 + dt.timedelta(minutes=int(m)) for m in gaps], "value": values},
        schema={"time": pl.Datetime("us", "UTC"), "value": pl.Float64},
    )
    mask = pl.Series(rng.random(n) < 0.35)
    for step in (None, dt.timedelta(minutes=1)):
        lookback = dt.timedelta(minutes=int(rng.integers(10, 120)))
        expected = walked(frame, mask, step, lookback)
        assert runs_around(frame, mask, step, lookback) == expected
        assert runs_with_levels(frame, mask, step, lookback) == expected
