"""``runs_around`` (vectorised, R16) returns exactly what ``runs_with_levels`` returns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from ecosentinel.detection.rules._common import runs_around, runs_with_levels

T0 = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


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
        assert runs_around(frame, mask, step, lookback) == runs_with_levels(frame, mask, step, lookback)
