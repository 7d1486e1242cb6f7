"""``archive.reader.sort_readings``: the order of runs equals the row-by-row sort it stands for."""

import datetime as dt
import random

import polars as pl
import pytest

from ecosentinel.archive import reader
from ecosentinel.archive.reader import _ORDER, _sort_runs, sort_readings
from ecosentinel.readings import READING_SCHEMA

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _file(rng: random.Random, day: int, mns: list[str], codes: list[str]) -> pl.DataFrame:
    """One day file as the archive writes it: sorted by mn, code, kind, source, time."""
    rows = []
    for mn in mns:
        for code in codes:
            for source in rng.sample(["platform", "logger"], rng.randint(1, 2)):
                minutes = sorted(rng.sample(range(1440), rng.randint(1, 30)))
                for m in minutes:
                    t = T0 + dt.timedelta(days=day, minutes=m)
                    rows.append((mn, code, "minute", t, source, rng.random(), None, None, None, None, "N"))
    frame = pl.DataFrame(rows, schema=list(READING_SCHEMA), orient="row")
    frame = frame.cast(READING_SCHEMA)  # type: ignore[arg-type]
    return frame.sort(_ORDER)


def _canonical(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(frame.columns, maintain_order=True)


@pytest.fixture(autouse=True)
def _short_runs_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """These frames are small: their runs are ordered as runs however short."""
    monkeypatch.setattr(reader, "MAX_RUNS_SHARE", 1.0)


@pytest.mark.parametrize("seed", range(30))
def test_sort_readings_of_day_files_in_any_order(seed: int) -> None:
    rng = random.Random(seed)
    mns = sorted(rng.sample(["330100000000000000000001", "330100000000000000000002", "a1", "b2"], 2))
    codes = sorted(rng.sample(["w01018", "w21003", "a21026", "wc_prod_kw"], 3))
    days = list(range(rng.randint(1, 6)))
    rng.shuffle(days)
    files = [_file(rng, d, mns, codes) for d in days]
    if rng.random() < 0.3:  # a second partition of a day: its runs may overlap the first's
        files.append(_file(rng, days[0], mns, codes))
    frame = pl.concat(files)
    ordered = sort_readings(frame)
    expected = frame.sort(_ORDER, maintain_order=True)
    if _sort_runs(frame) is not None:
        assert ordered.equals(expected)  # no ties: the order is unique
    assert _canonical(ordered).equals(_canonical(expected))
    assert ordered.select(_ORDER).equals(expected.select(_ORDER))


def test_sort_runs_declines_overlapping_runs_and_repeated_times() -> None:
    rng = random.Random(1)
    one = _file(rng, 0, ["a1"], ["w01018"])
    assert one.height > 1
    assert _sort_runs(pl.concat([one, one])) is None  # the same times twice: ties, row by row
    backwards = _sort_runs(one.reverse())  # every row a run of its own (times going back)
    assert backwards is not None
    assert backwards.equals(one)
    later = one.with_columns(pl.col("time") + dt.timedelta(days=1))
    assert _sort_runs(pl.concat([later, one])) is not None  # two days in the wrong order: runs
