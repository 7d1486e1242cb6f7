"""``PointData.state_shares`` (all spans at once) and ``state_share`` return what filtering the hourly
states span by span returns."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.base import PointData
from ecosentinel.detection.profile import State, share_true
from tests.detection.helpers import T0, frame, series, wavy

CTX = PointContext(mn="MN0001", point_type=PointType.WATER, factors={"w01018": FactorSpec(limit=50)})


def filtered(states: pl.DataFrame, start: dt.datetime, end: dt.datetime, state: State) -> float | None:
    """The reference: the states of the hours in [start - 59 min, end), known ones only."""
    rows = states.filter(
        (pl.col("hour") >= start - dt.timedelta(minutes=59))
        & (pl.col("hour") < end)
        & (pl.col("state") != State.UNKNOWN.value)
    )
    return None if rows.height == 0 else share_true(rows["state"] == state.value)


STATES = [State.RUNNING.value, State.STOPPED.value, State.STARTUP.value, State.UNKNOWN.value]


@pytest.mark.parametrize("seed", range(10))
def test_state_shares_match_filtering_span_by_span(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 200
    hours = sorted(rng.choice(400, size=n, replace=False))  # hours with a state, some missing
    states = pl.DataFrame(
        {
            "hour": [T0 + dt.timedelta(hours=int(h)) for h in hours],
            "state": [STATES[int(k)] for k in rng.integers(0, 4, size=n)],
        },
        schema={"hour": pl.Datetime("us", "UTC"), "state": pl.Utf8()},
    ).sample(fraction=1.0, shuffle=True, seed=seed)  # unsorted on purpose
    data = PointData(frame(series("w01018", wavy(24, 30, 8))), CTX)
    data._states = states
    spans = []
    for _ in range(60):
        a = T0 + dt.timedelta(minutes=int(rng.integers(-600, 24000)))
        spans.append((a, a + dt.timedelta(minutes=int(rng.integers(0, 3000)))))
    for state in (State.STOPPED, State.RUNNING):
        expected = [filtered(states, a, b, state) for a, b in spans]
        assert data.state_shares(spans, state) == expected
        assert [data.state_share(a, b, state) for a, b in spans] == expected


def test_state_shares_without_states_are_unknown() -> None:
    data = PointData(frame(series("w01018", wavy(24, 30, 8))), CTX)
    assert data.state_shares([(T0, T0 + dt.timedelta(hours=3))], State.STOPPED) == [None]
    assert data.state_shares([], State.STOPPED) == []
