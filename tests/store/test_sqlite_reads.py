"""The SQLite store's three read paths return the same frame: the numeric pysqlite stream (default), its
row-by-row fallback for ids too large to pack exactly, and the Arrow (ADBC) reader of pool workers."""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import polars as pl
import pytest

from ecosentinel.database import upgrade
from ecosentinel.readings import READING_SCHEMA, DataFlag, DataKind, Reading, Source, readings_frame
from ecosentinel.store import sqlite as sqlite_store
from ecosentinel.store.base import open_store
from ecosentinel.store.sqlite import SqliteStore

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
END = T0 + dt.timedelta(days=1)
MNS = ["33040000000000000000000B", "33040000000000000000000A", "3304000000000000000000ZZ"]


def mixed_frame() -> pl.DataFrame:
    """Every kind, source and flag, missing and extreme values, points and codes not in name order."""
    readings = []
    flags = list(DataFlag)
    for p, mn in enumerate(MNS):
        for c, code in enumerate(["w21003", "w01018", "a21026", "w00000"]):
            for k, kind in enumerate(DataKind):
                for s, source in enumerate(Source):
                    for i in range(5):
                        n = p + c + k + s + i
                        readings.append(
                            Reading(
                                mn,
                                code,
                                kind,
                                T0 + dt.timedelta(minutes=7 * i + k),
                                None if n % 7 == 0 else [1e300, -0.0, 12.345678901234567, -5e-324][n % 4],
                                flags[n % len(flags)],
                                source,
                                None if n % 3 else 1.5,
                                None if n % 2 else -2.25,
                                None if n % 5 else 3.0,
                                None if n % 4 else 0.1,
                            )
                        )
    return readings_frame(readings)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'reads.db'}"
    upgrade(url)
    store = open_store(url)
    store.append(mixed_frame())
    store.close()
    return url


def read(url: str, *, arrow: bool = False, mns: list[str] | None = None) -> pl.DataFrame:
    store = open_store(url)
    assert isinstance(store, SqliteStore)
    store.arrow_reads = arrow
    try:
        return store.read_window(start=T0, end=END, mns=mns)
    finally:
        store.close()


def test_numeric_read_returns_every_field_in_order(sqlite_url: str) -> None:
    expected = mixed_frame().sort("mn", "code", "kind", "source", "time")
    got = read(sqlite_url)
    assert got.schema == READING_SCHEMA
    assert got.equals(expected)
    assert read(sqlite_url, mns=MNS[:1]).equals(expected.filter(pl.col("mn") == MNS[0]))


def test_row_fallback_and_arrow_reader_agree(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    numeric = read(sqlite_url)
    assert read(sqlite_url, arrow=True).equals(numeric)
    with monkeypatch.context() as patch:
        patch.setattr(sqlite_store, "_EXACT_LIMIT", 0)  # as if the ids were too large to pack
        assert read(sqlite_url).equals(numeric)
    # a factor added between taking the radix and reading: its rows do not fit the packing
    with closing(sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))) as conn:
        top_station, _ = SqliteStore._top_ids(conn)
    monkeypatch.setattr(SqliteStore, "_top_ids", staticmethod(lambda _conn: (top_station, 1)))
    assert read(sqlite_url).equals(numeric)


def test_a_flag_outside_data_flag_is_read_as_stored(sqlite_url: str) -> None:
    # append refuses such flags; a row written by other means is still read back exactly
    database = sqlite_url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(database)) as conn, conn:
        changed = conn.execute(
            "UPDATE ms_reading SET flag = 'Xy' WHERE t = (SELECT MIN(t) FROM ms_reading) AND source = 1"
        ).rowcount
    assert changed > 0
    got = read(sqlite_url)
    assert (got["flag"] == "Xy").sum() == changed
    assert read(sqlite_url, arrow=True).equals(got)
