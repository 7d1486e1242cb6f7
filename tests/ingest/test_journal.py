"""Journal mode (docs/ingest.md): records, segments, the loader, and a receiver that acknowledges after the
journal's fsync, over real files, a real socket and a real database."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ecosentinel.config import IngestSettings
from ecosentinel.database import create_engine
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.journal import (
    QUARANTINE,
    JournalAppender,
    JournalError,
    JournalLoader,
    decode_records,
    encode_record,
    iter_records,
)
from ecosentinel.ingest.server import IngestServer
from ecosentinel.protocol.hj212.packet import frame_body
from ecosentinel.registry.service import load_point_auth
from ecosentinel.store.base import MeasurementStore
from ecosentinel.store.tables import ms_raw_packet, ms_reading
from tests.ingest.conftest import FACTORS, MN, PW, T0
from tests.ingest.test_server import minute_packet

US = 1_700_000_000_000_000


def _split_packet(minute: int) -> bytes:
    """One message split over two frames (Flag bit D, PNUM 2), as a receiver journals it: both frames."""
    time = (T0 + dt.timedelta(minutes=minute)).strftime("%Y%m%d%H%M%S")
    frames = []
    for pno, codes in enumerate((FACTORS[:4], FACTORS[4:]), start=1):
        cp = ";".join(f"{code}-Avg={pno}.5,{code}-Flag=N" for code in codes)
        body = (
            f"QN={time}000;ST=32;CN=2051;PW={PW};MN={MN};Flag=7;PNUM=2;PNO={pno};CP=&&DataTime={time};{cp}&&"
        )
        frames.append(frame_body(body.encode()))
    return b"".join(frames)


def _counts(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        readings = int(conn.execute(select(func.count()).select_from(ms_reading)).scalar_one())
        raws = int(conn.execute(select(func.count()).select_from(ms_raw_packet)).scalar_one())
    engine.dispose()
    return readings, raws


# records --------------------------------------------------------------------------------------------------
def test_records_round_trip_and_an_incomplete_tail_is_only_waited_for() -> None:
    data = encode_record(US, "10.0.0.1:5000", b"##0001A") + encode_record(US + 1, "", b"##0002BB")
    records, used, bad = decode_records(data + data[:7])  # a record cut in its header
    assert [(r.received_us, r.peer, r.raw) for r in records] == [
        (US, "10.0.0.1:5000", b"##0001A"),
        (US + 1, "", b"##0002BB"),
    ]
    assert (used, bad) == (len(data), False)
    assert sum(r.size for r in records) == len(data)


def test_a_flipped_byte_stops_reading_at_that_record() -> None:
    first = encode_record(US, "p", b"##0001A")
    second = bytearray(encode_record(US, "p", b"##0002BB"))
    second[-1] ^= 0xFF
    records, used, bad = decode_records(first + bytes(second) + first)
    assert len(records) == 1
    assert used == len(first)
    assert bad


# segments -------------------------------------------------------------------------------------------------
def test_one_writer_per_directory_and_every_start_opens_a_new_segment(tmp_path: Path) -> None:
    journal = JournalAppender(tmp_path / "r0", segment_bytes=100)
    with pytest.raises(JournalError, match="已被另一个接收进程占用"):
        JournalAppender(tmp_path / "r0")
    journal.append([encode_record(US, "p", b"x" * 120)])  # over the segment size: the next append rolls
    journal.append([encode_record(US, "p", b"y" * 10)])
    journal.close()
    again = JournalAppender(tmp_path / "r0")
    again.append([encode_record(US, "p", b"z")])
    again.close()
    segments = sorted(p.name for p in (tmp_path / "r0").glob("*.journal"))
    assert segments == ["000000000001.journal", "000000000002.journal", "000000000003.journal"]
    assert [r.raw for r in iter_records(tmp_path / "r0" / "000000000003.journal")] == [b"z"]


# the loader -----------------------------------------------------------------------------------------------
def test_loader_stores_every_packet_once_and_deletes_closed_segments(
    registered_url: str, ingest_store: MeasurementStore, tmp_path: Path
) -> None:
    root = tmp_path / "journal"
    journal = JournalAppender(root / "r0")
    journal.append([encode_record(US, "10.0.0.1:1", minute_packet(m)) for m in range(5)])
    journal.append([encode_record(US, "10.0.0.1:1", _split_packet(5))])
    loader = JournalLoader(root, ingest_store, batch_packets=4)
    assert loader.load_available() == 6
    assert loader.load_available() == 0  # nothing new: the progress file holds its place
    assert _counts(registered_url) == (6 * len(FACTORS), 6)
    assert len(list((root / "r0").glob("*.journal"))) == 1  # still being written: kept
    journal.append([encode_record(US, "10.0.0.1:1", minute_packet(6))])
    journal.close()
    assert loader.load_available() == 1
    assert list((root / "r0").glob("*.journal")) == []  # loaded and closed: deleted
    # A loader that lost its progress (a crash before it was written) loads again: stored once.
    again = JournalAppender(root / "r0")
    assert again._seq == 2  # numbered past the deleted segment, so it is never mistaken for a loaded one
    again.append([encode_record(US, "10.0.0.1:1", minute_packet(m)) for m in range(7)])
    again.close()
    (root / "r0" / "loaded").unlink()
    assert loader.load_available() == 7
    # minutes 0-6 again: no new raw packet but minute 5's single frame (the split message had other bytes)
    assert _counts(registered_url) == (7 * len(FACTORS), 8)
    frame = ingest_store.read_window(
        start=T0.astimezone(dt.UTC), end=(T0 + dt.timedelta(minutes=10)).astimezone(dt.UTC), mns=[MN]
    )
    joined = frame.filter(frame["time"] == (T0 + dt.timedelta(minutes=5)).astimezone(dt.UTC))
    assert sorted(joined["code"].to_list()) == sorted(FACTORS)  # both parts of the split message


def test_a_torn_tail_is_kept_aside_and_what_came_before_is_stored(
    registered_url: str, ingest_store: MeasurementStore, tmp_path: Path
) -> None:
    root = tmp_path / "journal"
    journal = JournalAppender(root / "r0")
    journal.append([encode_record(US, "p", minute_packet(m)) for m in range(3)])
    journal.close()
    segment = next((root / "r0").glob("*.journal"))
    whole = segment.read_bytes()
    segment.write_bytes(whole + encode_record(US, "p", minute_packet(3))[:50])  # a crash mid-append
    loader = JournalLoader(root, ingest_store)
    assert loader.load_available() == 3
    assert _counts(registered_url) == (3 * len(FACTORS), 3)
    kept = list((root / QUARANTINE).iterdir())
    assert [p.read_bytes()[len(whole) :] for p in kept] == [encode_record(US, "p", minute_packet(3))[:50]]
    assert list((root / "r0").glob("*.journal")) == []


def test_a_record_the_codec_refuses_goes_to_the_rejected_log(
    registered_url: str, ingest_store: MeasurementStore, tmp_path: Path
) -> None:
    root = tmp_path / "journal"
    journal = JournalAppender(root / "r0")
    journal.append(
        [encode_record(US, "10.0.0.9:7", b"##0005hello0000\r\n"), encode_record(US, "p", minute_packet(0))]
    )
    journal.close()
    loader = JournalLoader(root, ingest_store)
    loader.load_available()
    assert (loader.packets_loaded, loader.packets_refused) == (1, 1)
    rejected = ingest_store.rejected_packets(
        start=dt.datetime(2023, 1, 1, tzinfo=dt.UTC), end=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    )
    assert [(r.peer, r.reason.split(":")[0]) for r in rejected] == [("10.0.0.9:7", "journal")]


# a receiver in journal mode -------------------------------------------------------------------------------
async def test_receiver_acknowledges_after_the_journal_and_the_loader_stores_behind(
    registered_url: str, ingest_store: MeasurementStore, tmp_path: Path
) -> None:
    root = tmp_path / "journal"
    engine = create_engine(registered_url)
    server = IngestServer(
        settings=IngestSettings(port=0, journal=True),
        store=ingest_store,
        auth=AuthCache(lambda: load_point_auth(engine)),
        journal=JournalAppender(root / "r0"),
    )
    await server.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for m in range(20):
            writer.write(minute_packet(m))
        await writer.drain()
        replies = [await reader.readuntil(b"\r\n") for _ in range(20)]
        assert all(b"CN=9014" in r for r in replies)
        writer.close()
        # acknowledged, journaled, and not yet in the store: no loader has run
        assert _counts(registered_url) == (0, 0)
        assert sum(1 for p in (root / "r0").glob("*.journal") for _ in iter_records(p)) == 20
    finally:
        await server.stop()
        engine.dispose()
    stop = threading.Event()
    stop.set()  # an orderly stop: drain what the (gone) receiver journaled, then return
    JournalLoader(root, ingest_store).run(stop, drain_timeout_s=30)
    assert _counts(registered_url) == (20 * len(FACTORS), 20)


async def test_connections_pause_while_the_loader_is_too_far_behind(
    registered_url: str, ingest_store: MeasurementStore, tmp_path: Path
) -> None:
    root = tmp_path / "journal"
    engine = create_engine(registered_url)
    # short deadlines make the receiver's sweep (which looks at the backlog) run every 0.1 s; the connection
    # held by the receiver for longer than the idle timeout is not idle (it is not closed)
    settings = IngestSettings(
        port=0, journal=True, journal_max_backlog_mb=4000 / 2**20, frame_timeout_s=0.4, idle_timeout_s=0.5
    )
    server = IngestServer(
        settings=settings,
        store=ingest_store,
        auth=AuthCache(lambda: load_point_auth(engine)),
        journal=JournalAppender(root / "r0"),
    )
    await server.start()
    loader = JournalLoader(root, ingest_store)
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        for m in range(10):  # about 650 bytes a packet: over the 4,000-byte bound after 7
            writer.write(minute_packet(m))
            await writer.drain()
            await reader.readuntil(b"\r\n")
        async with asyncio.timeout(5):
            while not server.journal_full:  # noqa: ASYNC110 - set by the receiver's periodic sweep
                await asyncio.sleep(0.05)
        writer.write(minute_packet(10))
        await writer.drain()
        with pytest.raises(TimeoutError):  # not read, so not answered, while the loader is behind
            async with asyncio.timeout(1.0):
                await reader.readuntil(b"\r\n")
        assert loader.load_available() == 10
        async with asyncio.timeout(5):  # the loader caught up: the packet is read and answered
            assert b"CN=9014" in await reader.readuntil(b"\r\n")
        writer.close()
    finally:
        await server.stop()
        engine.dispose()
    assert server.stats.journal_full == 1
    assert loader.load_available() == 1
    assert _counts(registered_url) == (11 * len(FACTORS), 11)
