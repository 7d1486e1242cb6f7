"""R01's per-series window statistics (``_Window``) answer, for every cut, what the rest of the window
holds, exactly as the direct computation over the filtered frame does (the rule asks once per identical
run of a point without a profile)."""

import datetime as dt
import random

import numpy as np
import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.base import PointData
from ecosentinel.detection.rules._common import held_share
from ecosentinel.detection.rules.r01_constant_value import _Window
from ecosentinel.readings import CST, DataKind
from tests.detection.helpers import HOUR, MINUTE, MN, T0, frame, series

CONTEXT = PointContext(mn=MN, point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=5)})


def _values(n: int, hold: int, seed: int) -> list[float | None]:
    rng = random.Random(seed)
    out: list[float | None] = []
    while len(out) < n:
        v = round(rng.uniform(0.5, 3.0), 2) if rng.random() > 0.1 else round(rng.choice([1.0, 2.0]), 2)
        out.extend([v] * rng.randint(1, hold))
    out = out[:n]
    for _ in range(n // 50):  # missing rows and gaps
        a = rng.randrange(n)
        out[a : a + rng.randint(1, 8)] = [None] * len(out[a : a + rng.randint(1, 8)])
    return out[:n]


def _direct(s: object, start: dt.datetime, end: dt.datetime) -> tuple[int, int, float, list[int]]:
    valid = s.valid  # type: ignore[attr-defined]
    outside = valid.filter((pl.col("time") < start) | (pl.col("time") >= end))
    days = outside["time"].dt.convert_time_zone(CST.key).dt.date().n_unique()
    f = s.frame.select("time", "value").with_columns(  # type: ignore[attr-defined]
        (pl.col("time").is_between(start, end, closed="left") | pl.col("value").is_null()).alias("cut")
    )
    runs = (
        f.with_columns(pl.struct("value", "cut").rle_id().alias("run"))
        .filter(~pl.col("cut"))
        .group_by("run")
        .agg(pl.len().alias("n"))["n"]
        .sort()
        .to_list()
    )
    return outside.height, days, held_share(outside["value"]), runs


@pytest.mark.parametrize(("minute", "hold"), [(False, 1), (False, 3), (True, 60), (True, 1)])
def test_window_statistics_equal_the_direct_computation(minute: bool, hold: int) -> None:
    step, kind, n = (MINUTE, "minute", 6 * 1440) if minute else (HOUR, "hour", 40 * 24)
    data = PointData(frame(series("w21003", _values(n, hold, 7), step=step, kind=kind)), CONTEXT)
    s = data.series("w21003", (DataKind.MINUTE, DataKind.HOUR))
    assert s is not None
    w = _Window.of(s)
    rng = random.Random(3)
    for _ in range(60):
        a = rng.randrange(-5, n)
        b = a + rng.randint(0, n // 4)
        start, end = T0 + a * step, T0 + b * step
        height, days, share, runs = _direct(s, start, end)
        ia, ib = w.valid_cut(start, end)
        assert ia + w.n_valid - ib == height
        assert w.days_outside(ia, ib) == days
        assert w.held_share_outside(ia, ib) == pytest.approx(share, abs=1e-12)
        assert sorted(np.asarray(w.held_runs_outside(start, end)).tolist()) == runs
