"""Measurement store behaviour, on SQLite and PostgreSQL (via the parametrised ``store`` fixture)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import textwrap
from typing import Any

import polars as pl
import pyarrow as pa
import pytest

from ecosentinel.errors import ConfigError, ValidationError
from ecosentinel.readings import CST, READING_SCHEMA, DataKind, Reading, Source, readings_frame
from ecosentinel.store.base import MeasurementStore, RawPacket, RejectedPacket, open_store

T0 = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
MN_A = "33040000000000000000000A"
MN_B = "33040000000000000000000B"
DAY = dt.timedelta(days=1)


def minute_frame(
    mn: str, code: str, minutes: int, *, start: dt.datetime = T0, offset: float = 0.0
) -> pl.DataFrame:
    return readings_frame(
        [
            Reading(
                mn,
                code,
                DataKind.MINUTE,
                start + dt.timedelta(minutes=i),
                offset + i,
                vmin=i - 1.0,
                vmax=i + 1.0,
            )
            for i in range(minutes)
        ]
    )


def packet(mn: str, minute: int, raw: bytes, *, qn: str | None = "q") -> RawPacket:
    t = T0 + dt.timedelta(minutes=minute)
    return RawPacket(
        received_at=t + dt.timedelta(seconds=3),
        peer="10.0.0.1:5000",
        mn=mn,
        cn="2051",
        qn=qn,
        data_time=t,
        raw=raw,
    )


def test_store_satisfies_protocol(store: MeasurementStore) -> None:
    assert isinstance(store, MeasurementStore)


def test_round_trip_keeps_every_field(store: MeasurementStore) -> None:
    frame = readings_frame(
        [
            Reading(
                MN_A,
                "w01018",
                DataKind.HOUR,
                T0,
                12.345678901234567,
                "N",
                Source.PLATFORM,
                1.0,
                20.5,
                3.0,
                0.1,
            ),
            Reading(MN_A, "w01018", DataKind.HOUR, T0, 99.0, "C", Source.ANALYSER),
            Reading(MN_A, "w01018", DataKind.HOUR, T0, None, "D", Source.LOGGER),
            Reading(MN_A, "a21026", DataKind.RTD, T0 + dt.timedelta(seconds=30), -0.0, "T"),
        ]
    )
    assert store.append(frame) == 4
    got = store.read_window(start=T0, end=T0 + DAY)
    assert got.schema == READING_SCHEMA
    expected = frame.sort(["mn", "code", "kind", "source", "time"])
    assert got.equals(expected)


def test_same_batch_twice_inserts_nothing(store: MeasurementStore) -> None:
    frame = minute_frame(MN_A, "w01018", 30)
    raws = [packet(MN_A, i, f"##packet {i}\r\n".encode()) for i in range(30)]
    assert store.append(frame, raws) == 30
    assert store.append(frame, raws) == 0
    assert store.read_window(start=T0, end=T0 + DAY).height == 30
    assert len(store.raw_packets(mn=MN_A, start=T0, end=T0 + DAY)) == 30


def test_overlapping_batch_inserts_only_new_rows_and_keeps_first_value(store: MeasurementStore) -> None:
    store.append(minute_frame(MN_A, "w01018", 10))
    resent = minute_frame(MN_A, "w01018", 15, offset=1000.0)
    assert store.append(resent) == 5
    got = store.read_window(start=T0, end=T0 + DAY)
    assert got.height == 15
    assert got["value"].to_list()[:10] == [float(i) for i in range(10)]


def test_duplicates_inside_one_batch_count_once(store: MeasurementStore) -> None:
    frame = minute_frame(MN_A, "w01018", 5)
    assert store.append(pl.concat([frame, frame])) == 5


def test_window_is_half_open(store: MeasurementStore) -> None:
    store.append(minute_frame(MN_A, "w01018", 60))
    got = store.read_window(start=T0 + dt.timedelta(minutes=10), end=T0 + dt.timedelta(minutes=20))
    assert got["time"].to_list() == [T0 + dt.timedelta(minutes=m) for m in range(10, 20)]
    # Sub-second bounds round the way [start, end) demands.
    half = dt.timedelta(milliseconds=500)
    got = store.read_window(
        start=T0 + dt.timedelta(minutes=10) - half, end=T0 + dt.timedelta(minutes=12) + half
    )
    assert got.height == 3
    assert store.read_window(start=T0 + DAY, end=T0).height == 0


def test_window_accepts_any_timezone(store: MeasurementStore) -> None:
    store.append(minute_frame(MN_A, "w01018", 60))
    start_cst = (T0 + dt.timedelta(minutes=5)).astimezone(CST)
    got = store.read_window(start=start_cst, end=start_cst + dt.timedelta(minutes=5))
    assert got["time"][0] == T0 + dt.timedelta(minutes=5)
    assert got.height == 5


def test_filters(store: MeasurementStore) -> None:
    frames = [
        minute_frame(MN_A, "w01018", 5),
        minute_frame(MN_A, "w21003", 5),
        minute_frame(MN_B, "w01018", 5),
        readings_frame([Reading(MN_A, "w01018", DataKind.HOUR, T0, 1.0, source=Source.ANALYSER)]),
    ]
    store.append(pl.concat(frames))
    window: dict[str, Any] = {"start": T0, "end": T0 + DAY}
    assert store.read_window(**window).height == 16
    assert set(store.read_window(**window, mns=[MN_B])["mn"]) == {MN_B}
    assert store.read_window(**window, codes=["w21003"]).height == 5
    assert store.read_window(**window, kinds=[DataKind.HOUR]).height == 1
    assert store.read_window(**window, sources=[Source.ANALYSER])["kind"].to_list() == ["hour"]
    assert store.read_window(**window, mns=[MN_A], codes=["w01018"], kinds=[DataKind.MINUTE]).height == 5
    assert store.read_window(**window, mns=["unknown"]).height == 0
    assert store.read_window(**window, codes=["x99999"]).height == 0
    assert store.read_window(**window, kinds=[]).height == 0


def test_sorted_by_mn_code_kind_source_time(store: MeasurementStore) -> None:
    frame = pl.concat(
        [minute_frame(MN_B, "w01018", 3), minute_frame(MN_A, "w21003", 3), minute_frame(MN_A, "w01018", 3)]
    )
    store.append(frame.reverse())
    got = store.read_window(start=T0, end=T0 + DAY)
    assert got.equals(got.sort(["mn", "code", "kind", "source", "time"]))
    assert got["mn"][0] == MN_A


def test_read_arrow(store: MeasurementStore) -> None:
    store.append(minute_frame(MN_A, "w01018", 3))
    table = store.read_arrow(start=T0, end=T0 + DAY)
    assert isinstance(table, pa.Table)
    assert table.num_rows == 3
    assert table.schema.field("time").type == pa.timestamp("us", tz="UTC")


def test_list_points_and_latest(store: MeasurementStore) -> None:
    assert store.list_points() == []
    assert store.latest().height == 0
    store.append(pl.concat([minute_frame(MN_B, "w01018", 10), minute_frame(MN_A, "w01018", 3)]))
    store.append(readings_frame([Reading(MN_A, "w01018", DataKind.HOUR, T0 + dt.timedelta(hours=5), 1.0)]))
    assert store.list_points() == [MN_A, MN_B]
    latest = store.latest()
    assert latest.rows() == [
        (MN_A, "hour", T0 + dt.timedelta(hours=5)),
        (MN_A, "minute", T0 + dt.timedelta(minutes=2)),
        (MN_B, "minute", T0 + dt.timedelta(minutes=9)),
    ]


def test_raw_packets_are_kept_byte_exact(store: MeasurementStore) -> None:
    raw = b"##0101QN=20160801085857223;ST=32;CN=2051;\x00\xff\xfe\x80 \xe4\xb8\xad&&1C80\r\n"
    sent = [packet(MN_A, 0, raw), packet(MN_A, 1, b"\r\n##", qn=None), packet(MN_B, 0, raw)]
    no_time = RawPacket(
        T0 + dt.timedelta(minutes=5, microseconds=123456), "p", MN_A, "1011", "q2", None, b"x"
    )
    store.append(pl.DataFrame(schema=READING_SCHEMA), [*sent, no_time])
    got = store.raw_packets(mn=MN_A, start=T0, end=T0 + DAY)
    assert got == [sent[0], sent[1], no_time]
    assert store.raw_packets(
        mn=MN_A, start=T0 + dt.timedelta(minutes=1), end=T0 + dt.timedelta(minutes=2)
    ) == [sent[1]]
    assert store.raw_packets(mn="other", start=T0, end=T0 + DAY) == []


def test_a_different_packet_with_the_same_time_is_kept(store: MeasurementStore) -> None:
    store.append(pl.DataFrame(schema=READING_SCHEMA), [packet(MN_A, 0, b"first"), packet(MN_A, 0, b"second")])
    assert [p.raw for p in store.raw_packets(mn=MN_A, start=T0, end=T0 + DAY)] == [b"first", b"second"]


def test_rejected_packets_are_kept_apart(store: MeasurementStore) -> None:
    rejected = [
        RejectedPacket(T0, "10.0.0.9:1", "crc", b"##0010garbage\xff\r\n"),
        RejectedPacket(T0 + dt.timedelta(seconds=1), "10.0.0.9:1", "密码错误", b"##raw", mn=MN_A),
    ]
    store.append_rejected(rejected)
    assert store.rejected_packets(start=T0, end=T0 + DAY) == rejected
    assert store.raw_packets(mn=MN_A, start=T0 - DAY, end=T0 + DAY) == []
    assert store.read_window(start=T0 - DAY, end=T0 + DAY).height == 0
    assert store.list_points() == []


def test_committed_before_append_returns(store: MeasurementStore, migrated_url: str) -> None:
    store.append(minute_frame(MN_A, "w01018", 20), [packet(MN_A, 0, b"raw")])
    other = open_store(migrated_url)  # a separate engine and connection
    try:
        assert other.read_window(start=T0, end=T0 + DAY).height == 20
        assert len(other.raw_packets(mn=MN_A, start=T0, end=T0 + DAY)) == 1
    finally:
        other.close()


def test_one_transaction_for_readings_and_raw_packets(
    store: MeasurementStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(store, "_insert_raw", broken)
    with pytest.raises(RuntimeError):
        store.append(minute_frame(MN_A, "w01018", 5), [packet(MN_A, 0, b"raw")])
    monkeypatch.undo()
    assert store.read_window(start=T0, end=T0 + DAY).height == 0
    assert store.list_points() == []
    # The caches did not keep ids from the rolled-back transaction.
    assert store.append(minute_frame(MN_A, "w01018", 5), [packet(MN_A, 0, b"raw")]) == 5
    assert store.read_window(start=T0, end=T0 + DAY)["mn"].unique().to_list() == [MN_A]


def test_large_batch(store: MeasurementStore) -> None:
    frame = pl.concat(
        [minute_frame(f"3304{i:020d}", code, 300) for i in range(20) for code in ("w01018", "w21003")]
    )
    assert store.append(frame) == 12_000
    got = store.read_window(start=T0, end=T0 + DAY, mns=["3304" + "0" * 19 + "7"])
    assert got.height == 600


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (lambda f: f.with_columns(pl.col("time").dt.replace_time_zone(None)), "readings.time"),
        (lambda f: f.with_columns(kind=pl.lit("week")), "readings.kind"),
        (lambda f: f.with_columns(source=pl.lit("phone")), "readings.source"),
        (lambda f: f.with_columns(flag=pl.lit("Q")), "readings.flag"),
        (lambda f: f.with_columns(mn=pl.lit(None, pl.Utf8)), "readings.nulls"),
        (lambda f: f.with_columns(pl.col("time") + dt.timedelta(milliseconds=1)), "readings.subsecond"),
        (lambda f: f.drop("code"), "readings"),
    ],
)
def test_invalid_frames_are_refused(store: MeasurementStore, change: Any, location: str) -> None:
    with pytest.raises(ValidationError) as info:
        store.append(change(minute_frame(MN_A, "w01018", 2)))
    assert info.value.location == location
    assert store.read_window(start=T0, end=T0 + DAY).height == 0


def test_nan_is_stored_as_missing(store: MeasurementStore) -> None:
    frame = minute_frame(MN_A, "w01018", 2).with_columns(value=pl.Series([float("nan"), 1.0]))
    store.append(frame)
    assert store.read_window(start=T0, end=T0 + DAY)["value"].to_list() == [None, 1.0]


def test_minimal_frame_gets_defaults(store: MeasurementStore) -> None:
    frame = pl.DataFrame({"mn": [MN_A], "code": ["w01018"], "kind": ["hour"], "time": [T0], "value": [1.5]})
    store.append(frame)
    got = store.read_window(start=T0, end=T0 + DAY).row(0, named=True)
    assert (got["source"], got["flag"], got["vmin"]) == ("platform", "N", None)


def test_open_store_requires_migrated_schema(database_url: str) -> None:
    with pytest.raises(ConfigError, match="db upgrade"):
        open_store(database_url)


KILL_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys, time
    from ecosentinel.readings import DataKind, Reading, readings_frame
    from ecosentinel.store.base import RawPacket, open_store
    t0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    store = open_store(sys.argv[1])
    frame = readings_frame(
        [Reading("MNKILL", "w01018", DataKind.MINUTE, t0 + dt.timedelta(minutes=i), 1.0) for i in range(500)]
    )
    raw = [RawPacket(t0, "p", "MNKILL", "2051", "q", t0, b"##kill-test\\r\\n")]
    store.append(frame, raw)
    print("ok", flush=True)
    time.sleep(600)
    """
)


def test_sigkill_right_after_append_loses_nothing(migrated_url: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, migrated_url],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ok"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    reopened = open_store(migrated_url)
    try:
        assert reopened.read_window(start=T0, end=T0 + DAY, mns=["MNKILL"]).height == 500
        assert [p.raw for p in reopened.raw_packets(mn="MNKILL", start=T0, end=T0 + DAY)] == [
            b"##kill-test\r\n"
        ]
    finally:
        reopened.close()
