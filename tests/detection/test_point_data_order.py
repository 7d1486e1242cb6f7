"""``PointData`` keeps a frame already in series order as it is: exactly what its sort would give."""

import datetime as dt
import random

import polars as pl
import pytest

from ecosentinel.detection import PointContext, PointType
from ecosentinel.detection.base import PointData, _series_sorted
from ecosentinel.readings import READING_SCHEMA

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ORDER = ["code", "kind", "source", "time"]


def _frame(rng: random.Random) -> pl.DataFrame:
    rows = []
    for code in rng.sample(["w01018", "w21003", "a21026", "wc_prod_kw", "W01018"], rng.randint(1, 4)):
        for kind in rng.sample(["minute", "hour"], rng.randint(1, 2)):
            for source in rng.sample(["platform", "logger", "analyser"], rng.randint(1, 2)):
                for m in sorted(rng.sample(range(200), rng.randint(1, 8))):
                    t = T0 + dt.timedelta(minutes=m)
                    rows.append(("mn1", code, kind, t, source, rng.random(), None, None, None, None, "N"))
    frame = pl.DataFrame(rows, schema=list(READING_SCHEMA), orient="row")
    return frame.cast(READING_SCHEMA)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(40))
def test_a_frame_is_kept_only_when_the_sort_would_give_it(seed: int) -> None:
    rng = random.Random(seed)
    frame = _frame(rng)
    variant = rng.choice(["sorted", "shuffled", "repeated time", "swapped runs"])
    if variant == "sorted":
        frame = frame.sort(ORDER)
    elif variant == "shuffled":
        frame = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    elif variant == "repeated time":
        frame = pl.concat([frame, frame.head(1)]).sort(ORDER)
    else:
        frame = frame.sort(ORDER).reverse()
    expected = frame.sort(ORDER, maintain_order=True)
    if _series_sorted(frame):
        assert frame.equals(expected)
        assert variant != "repeated time"
    if variant == "sorted":
        assert _series_sorted(frame)
    data = PointData(frame, PointContext(mn="mn1", point_type=PointType.WATER))
    assert data.frame.select(ORDER).equals(expected.select(ORDER))
