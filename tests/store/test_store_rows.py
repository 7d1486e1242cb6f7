"""``append_rows`` (the ingest writer's path: plain reading rows, no frame) stores and refuses exactly as
``append`` does with the same readings as a frame."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from ecosentinel.errors import ValidationError
from ecosentinel.readings import DataKind, Reading, ReadingRow, Source, reading_rows_frame, readings_frame
from ecosentinel.store.base import MeasurementStore, to_epoch_us
from tests.store.test_store import DAY, MN_A, MN_B, T0, minute_frame, packet


def rows_of(frame: pl.DataFrame) -> list[ReadingRow]:
    """The frame's readings as rows (READING_SCHEMA order, time in epoch microseconds)."""
    rows: list[ReadingRow] = list(frame.with_columns(pl.col("time").dt.epoch("us")).iter_rows())
    return rows


MIXED = readings_frame(
    [
        Reading(
            MN_A, "w01018", DataKind.HOUR, T0, 12.345678901234567, "N", Source.PLATFORM, 1.0, 20.5, 3.0, 0.1
        ),
        Reading(MN_A, "w01018", DataKind.HOUR, T0, 99.0, "C", Source.ANALYSER),
        Reading(MN_A, "w01018", DataKind.HOUR, T0, None, "D", Source.LOGGER),
        Reading(MN_A, "a21026", DataKind.RTD, T0 + dt.timedelta(seconds=30), -0.0, "T"),
        Reading(MN_B, "w21003", DataKind.MINUTE, T0 + dt.timedelta(minutes=1), 1e300, "N", vmin=-1e-300),
    ]
)


def test_rows_frame_round_trip() -> None:
    assert reading_rows_frame(rows_of(MIXED)).equals(MIXED)
    assert reading_rows_frame([]).equals(MIXED.clear())


def test_rows_store_what_the_frame_stores(store: MeasurementStore) -> None:
    assert store.append_rows(rows_of(MIXED)) == MIXED.height
    got = store.read_window(start=T0, end=T0 + DAY)
    assert got.equals(MIXED.sort(["mn", "code", "kind", "source", "time"]))


def test_rows_and_frames_are_one_identity(store: MeasurementStore) -> None:
    frame = minute_frame(MN_A, "w01018", 30)
    raws = [packet(MN_A, i, f"##packet {i}\r\n".encode()) for i in range(30)]
    assert store.append_rows(rows_of(frame[:20]), raws[:20]) == 20
    assert store.append(frame, raws) == 10  # the first 20 are there already, whichever path wrote them
    assert store.append_rows(rows_of(frame), raws) == 0
    assert store.read_window(start=T0, end=T0 + DAY).height == 30
    assert len(store.raw_packets(mn=MN_A, start=T0, end=T0 + DAY)) == 30


def test_raw_packets_alone(store: MeasurementStore) -> None:
    assert store.append_rows([], [packet(MN_B, 0, b"##raw\r\n")]) == 0
    assert [p.raw for p in store.raw_packets(mn=MN_B, start=T0, end=T0 + DAY)] == [b"##raw\r\n"]
    assert store.append_rows([]) == 0


def _set(row: ReadingRow, index: int, value: Any) -> ReadingRow:
    changed = list(row)
    changed[index] = value
    return tuple(changed)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("index", "value", "location"),
    [
        (2, "week", "readings.kind"),
        (4, "phone", "readings.source"),
        (10, "Q", "readings.flag"),
        (0, None, "readings.nulls"),
        (10, None, "readings.nulls"),
        (3, to_epoch_us(T0) + 1000, "readings.subsecond"),
    ],
)
def test_invalid_rows_are_refused_as_frames_are(
    store: MeasurementStore, index: int, value: Any, location: str
) -> None:
    rows = rows_of(minute_frame(MN_A, "w01018", 2))
    rows[1] = _set(rows[1], index, value)
    with pytest.raises(ValidationError) as info:
        store.append_rows(rows, [packet(MN_A, 0, b"raw")])
    assert info.value.location == location
    assert store.read_window(start=T0, end=T0 + DAY).height == 0
    assert store.raw_packets(mn=MN_A, start=T0, end=T0 + DAY) == []


def test_nan_is_stored_as_missing(store: MeasurementStore) -> None:
    rows = rows_of(minute_frame(MN_A, "w01018", 3))
    rows[0] = _set(rows[0], 5, float("nan"))
    rows[1] = _set(rows[1], 9, float("nan"))
    rows[2] = _set(rows[2], 6, float("inf"))  # infinite stays infinite, as in a frame
    store.append_rows(rows)
    got = store.read_window(start=T0, end=T0 + DAY)
    assert got["value"].to_list() == [None, 1.0, 2.0]
    assert got["zs"].to_list() == [None, None, None]
    assert got["vmin"].to_list() == [-1.0, 0.0, float("inf")]


def test_one_transaction_for_rows_and_raw_packets(
    store: MeasurementStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("disk on fire")

    rows = rows_of(minute_frame(MN_A, "w01018", 5))
    monkeypatch.setattr(store, "_insert_raw", broken)
    with pytest.raises(RuntimeError):
        store.append_rows(rows, [packet(MN_A, 0, b"raw")])
    monkeypatch.undo()
    assert store.read_window(start=T0, end=T0 + DAY).height == 0
    assert store.list_points() == []
    assert store.append_rows(rows, [packet(MN_A, 0, b"raw")]) == 5
    assert store.read_window(start=T0, end=T0 + DAY)["mn"].unique().to_list() == [MN_A]
