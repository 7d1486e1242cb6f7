"""A long window is screened month by month, each month calibrated on its own point's neighbouring data:
the 30 days before it, or (a point's first month) the 30 days after it; runs across a month boundary are
judged whole and reported once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import sqlalchemy as sa

from ecosentinel.database import session_factory
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.findings import Finding
from ecosentinel.readings import CST, READING_SCHEMA
from ecosentinel.screening import service
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.screening.profiles import READ_CONTEXT, ProfileCache, attach_profiles, calibration_slices
from ecosentinel.store.base import MeasurementStore

MN = "999900000000000000000077"


def _cst(y: int, m: int, d: int, h: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=CST)


def test_a_half_year_is_cut_at_month_starts() -> None:
    slices = calibration_slices(_cst(2024, 1, 10), _cst(2024, 7, 1))
    assert [
        (a.astimezone(CST).date().isoformat(), b.astimezone(CST).date().isoformat()) for a, b in slices
    ] == [
        ("2024-01-10", "2024-02-01"),
        ("2024-02-01", "2024-03-01"),
        ("2024-03-01", "2024-04-01"),
        ("2024-04-01", "2024-05-01"),
        ("2024-05-01", "2024-06-01"),
        ("2024-06-01", "2024-07-01"),
    ]
    # the cuts are CST midnights whatever zone the window was given in
    utc = calibration_slices(_cst(2024, 1, 10).astimezone(dt.UTC), _cst(2024, 3, 1).astimezone(dt.UTC))
    assert utc[1][0] == _cst(2024, 2, 1)


def test_short_first_and_last_pieces_join_their_neighbours() -> None:
    assert calibration_slices(_cst(2024, 1, 20), _cst(2024, 3, 10)) == [
        (_cst(2024, 1, 20), _cst(2024, 3, 10))
    ]
    assert calibration_slices(_cst(2024, 1, 20), _cst(2024, 4, 10)) == [
        (_cst(2024, 1, 20), _cst(2024, 3, 1)),
        (_cst(2024, 3, 1), _cst(2024, 4, 10)),
    ]
    one_day = (_cst(2024, 5, 6, 8), _cst(2024, 5, 7, 8))
    assert calibration_slices(*one_day) == [one_day]


def _hourly(start: dt.datetime, days: int, *, seed: int = 1) -> pl.DataFrame:
    """A water point's hourly COD, NH3-N and flow (two decimals, varying), from ``start``."""
    rng = np.random.default_rng(seed)
    n = days * 24
    times = [(start + dt.timedelta(hours=i)).astimezone(dt.UTC) for i in range(n)]
    columns = {
        "w01018": np.round(30 + 8 * rng.standard_normal(n).cumsum() / np.sqrt(np.arange(1, n + 1)), 2),
        "w21003": np.round(np.abs(2 + 0.4 * rng.standard_normal(n)), 2),
        "w00000": np.round(np.abs(50 + 10 * rng.standard_normal(n)), 2),
    }
    frames = [
        pl.DataFrame(
            {
                "mn": MN,
                "code": code,
                "kind": "hour",
                "time": times,
                "source": "logger",
                "value": values,
                "vmin": None,
                "vmax": None,
                "cou": None,
                "zs": None,
                "flag": "N",
            },
            schema=READING_SCHEMA,
        )
        for code, values in columns.items()
    ]
    return pl.concat(frames)


def _contexts(engine: sa.Engine, start: dt.datetime, end: dt.datetime) -> dict[str, PointContext]:
    with session_factory(engine)() as session:
        return dict(load_contexts(session, [MN], start, end))


def test_a_first_month_is_calibrated_on_the_month_after_it(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    start = _cst(2024, 2, 1)
    store.append(_hourly(start, 60))
    contexts = _contexts(engine, start, start + dt.timedelta(days=60))
    month_end = _cst(2024, 3, 1)

    without = attach_profiles(store, migrated_url, contexts, start, cache=ProfileCache())
    assert without[MN].profile is None  # nothing before the point's first reading

    ahead = attach_profiles(store, migrated_url, contexts, start, cache=ProfileCache(), after=month_end)
    profile = ahead[MN].profile
    assert profile is not None
    assert profile.start >= month_end  # calibrated on the data after the month, never on the month itself
    assert profile.levels  # with calibrated levels (30 days of history)

    # a month with a history before it keeps calibrating on that history
    second = attach_profiles(
        store, migrated_url, contexts, month_end, cache=ProfileCache(), after=_cst(2024, 4, 1)
    )
    before = second[MN].profile
    assert before is not None
    assert before.end < month_end


def test_a_run_across_a_month_boundary_is_reported_once_and_whole(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    start = _cst(2024, 2, 1)
    frame = _hourly(start, 60)
    # COD frozen for 30 hours across the CST month start, while NH3-N and flow keep varying
    a, b = _cst(2024, 2, 29, 12), _cst(2024, 3, 1, 18)
    frozen = (pl.col("code") == "w01018") & pl.col("time").is_between(
        a.astimezone(dt.UTC), b.astimezone(dt.UTC), closed="left"
    )
    store.append(
        frame.with_columns(pl.when(frozen).then(pl.lit(31.57)).otherwise(pl.col("value")).alias("value"))
    )
    end = start + dt.timedelta(days=60)
    assert len(calibration_slices(start, end)) == 2

    outcome = service.run_screening(
        session_factory(engine), migrated_url, start=start, end=end, store=store, save=False
    )
    runs = [f for f in outcome.result.findings if f.rule == "R01_constant_value" and "w01018" in f.factors]
    assert len(runs) == 1, [(f.start, f.end) for f in runs]
    assert runs[0].start == a
    assert runs[0].end >= b - dt.timedelta(hours=1)
    # nothing is reported twice (findings of one month are those starting in it)
    keys = [(f.rule, f.start, tuple(sorted(f.factors))) for f in outcome.result.findings]
    assert len(keys) == len(set(keys))
    # the readings are counted once per pass over a month with its lead days
    assert outcome.result.points == 1


def test_a_short_window_is_judged_with_the_days_before_it(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    """A one-day window (an incremental pass, a user's ``screen --from --to``) sees READ_CONTEXT of
    readings before it: a day replayed from 6 days earlier is compared with its source, a freeze that
    began the day before keeps its own start (the key an earlier pass stored it under), and a finding
    that ended before the window is not reported again."""
    start = _cst(2024, 2, 1)
    frame = _hourly(start, 30)
    day, source = _cst(2024, 2, 20), _cst(2024, 2, 14)

    def within(a: dt.datetime, b: dt.datetime) -> pl.Expr:
        return pl.col("time").is_between(a.astimezone(dt.UTC), b.astimezone(dt.UTC), closed="left")

    copied = frame.filter(within(source, source + dt.timedelta(days=1))).with_columns(
        pl.col("time") + (day - source)
    )
    frame = pl.concat([frame.filter(~within(day, day + dt.timedelta(days=1))), copied]).sort("code", "time")
    # COD frozen for 30 hours from the day before the window into it; NH3-N at zero for 6 hours three days
    # before it
    freeze = (pl.col("code") == "w01018") & within(_cst(2024, 2, 19), _cst(2024, 2, 20, 6))
    zeros = (pl.col("code") == "w21003") & within(_cst(2024, 2, 17, 8), _cst(2024, 2, 17, 14))
    frame = frame.with_columns(
        pl.when(freeze)
        .then(pl.lit(31.57))
        .when(zeros)
        .then(pl.lit(0.0))
        .otherwise(pl.col("value"))
        .alias("value")
    )
    store.append(frame)
    factory = session_factory(engine)

    def screen(context: dt.timedelta) -> list[Finding]:
        outcome = service.run_screening(
            factory,
            migrated_url,
            start=day,
            end=day + dt.timedelta(days=1),
            store=store,
            save=False,
            context=context,
        )
        return outcome.result.findings

    found = screen(READ_CONTEXT)
    replays = [f for f in found if f.rule == "R17_replay"]
    assert replays
    assert all(f.evidence["lag_days"] == 6 for f in replays)
    assert all(day <= f.start < day + dt.timedelta(days=1) for f in replays)
    [frozen] = [f for f in found if f.rule == "R01_constant_value" and f.factors == ("w01018",)]
    assert frozen.start == _cst(2024, 2, 19)  # its own start, before the window
    assert all(f.end > day for f in found)  # the zeros of the 17th ended before the window
    assert not [f for f in found if f.rule == "R02_zero_negative"]

    # with no context the window is still read from the start of its month: the copy's source is in it
    month_only = screen(dt.timedelta(0))
    assert [f for f in month_only if f.rule == "R17_replay"]


def test_passes_through_a_month_keep_one_key_per_finding_and_one_calibration(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    """The server's passes, one day each through a month: a value stuck for 12 days keeps its own start
    at every pass, so it is one stored finding, not one per pass (a pass read only 8 days before its
    window, so from the 9th day on the run started at the read's edge: a new key at every pass,
    measured with ``bench detect-live``); and every pass of the month is calibrated on the history
    before the month, never on the stuck days it judges."""
    frame = _hourly(_cst(2024, 1, 1), 60)
    freeze = (pl.col("code") == "w01018") & pl.col("time").is_between(
        _cst(2024, 2, 3).astimezone(dt.UTC), _cst(2024, 2, 15).astimezone(dt.UTC), closed="left"
    )
    store.append(
        frame.with_columns(pl.when(freeze).then(pl.lit(31.57)).otherwise(pl.col("value")).alias("value"))
    )
    factory = session_factory(engine)
    starts, histories = set(), set()
    for d in range(6, 15):  # passes on Feb 6 .. Feb 14, each over one day
        day = _cst(2024, 2, d)
        outcome = service.run_screening(
            factory, migrated_url, start=day, end=day + dt.timedelta(days=1), store=store, save=False
        )
        [frozen] = [
            f for f in outcome.result.findings if f.rule == "R01_constant_value" and f.factors == ("w01018",)
        ]
        starts.add(frozen.start)
        calibration = frozen.evidence.get("calibration")
        assert isinstance(calibration, dict)
        histories.add(tuple(calibration["history"]))
    assert starts == {_cst(2024, 2, 3)}  # one key, the run's own start, at every pass
    [(_, history_end)] = histories  # one calibration for the month's passes ...
    assert dt.datetime.fromisoformat(history_end) <= _cst(2024, 2, 1)  # ... on the days before the month
