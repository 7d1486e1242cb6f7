"""The receiver against hostile or broken loggers (issue 12): implausible times, malformed frames, floods of
bad frames, too many connections, trickles. Real sockets on port 0; no timings asserted."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ecosentinel.config import IngestSettings
from ecosentinel.database import create_engine
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.server import IngestServer
from ecosentinel.protocol.hj212 import FieldValue, build_data_packet, crc16, decode, encode, make_packet
from ecosentinel.protocol.hj212.packet import frame_body
from ecosentinel.readings import CST
from ecosentinel.registry.service import load_point_auth
from ecosentinel.store.base import MeasurementStore
from tests.ingest.conftest import FACTORS, MN, PW, LoggerClient
from tests.ingest.test_server import minute_packet, window

WAIT_S = 60.0  # upper bound for "eventually" (a loaded machine); tests return as soon as it happens


@contextlib.asynccontextmanager
async def receiver(url: str, store: MeasurementStore, **overrides: Any) -> AsyncIterator[IngestServer]:
    engine = create_engine(url)
    values: dict[str, Any] = {"port": 0, "idle_timeout_s": 30.0, "max_pending_per_connection": 4}
    settings = IngestSettings(**(values | overrides))
    srv = IngestServer(settings=settings, store=store, auth=AuthCache(lambda: load_point_auth(engine)))
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()
        engine.dispose()


async def connect(port: int, source: str = "127.0.0.1") -> LoggerClient:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    return LoggerClient(reader, writer)


async def closed_by_server(client: LoggerClient) -> bool:
    """True once the server closed the connection (EOF or reset), reading whatever answers came first."""
    try:
        async with asyncio.timeout(WAIT_S):
            while await client.reader.read(4096):
                pass
    except (ConnectionError, OSError):
        pass
    return True


def reframe(body: bytes) -> bytes:
    return frame_body(body)


def body_of(frame: bytes) -> bytes:
    return frame[6:-6]


def data_packet(t: dt.datetime, *, cn: str = "2051", flag: int = 5) -> bytes:
    factors: dict[str, dict[str, float | str | None]] = {"w01018": {"Avg": 1.0, "Flag": "N"}}
    return build_data_packet(mn=MN, pw=PW, cn=cn, data_time=t, factors=factors, flag=flag)


async def assert_still_served(client: LoggerClient, minute: int) -> None:
    """A good packet on the same connection is acknowledged after the refusal."""
    packet = minute_packet(minute)
    await client.send(packet)
    reply = decode(await client.reply())
    assert (reply.cn, reply.qn) == ("9014", decode(packet).qn)


# -- 1. time sanity --------------------------------------------------------------------------------------

NOW = dt.datetime.now(CST)


@pytest.mark.parametrize(
    ("data_time", "cn", "reason"),
    [
        (dt.datetime(2999, 1, 1, tzinfo=CST), "2051", "time: future"),
        (NOW + dt.timedelta(hours=1), "2011", "time: future"),
        (dt.datetime(1999, 12, 31, 23, tzinfo=CST), "2061", "time: too old"),
        (NOW - dt.timedelta(days=8), "2011", "time: too old"),  # real-time data a week old
    ],
)
async def test_implausible_data_time_is_refused_counted_and_not_stored(
    registered_url: str,
    ingest_store: MeasurementStore,
    data_time: dt.datetime,
    cn: str,
    reason: str,
) -> None:
    async with receiver(registered_url, ingest_store) as server:
        client = await connect(server.port)
        packet = data_packet(data_time, cn=cn)
        await client.send(packet)
        reply = decode(await client.reply())
        assert (reply.cn, reply.qn, reply.param("QnRtn")) == ("9011", decode(packet).qn, "2")
        await assert_still_served(client, 1)
        await client.close()
        assert server.stats.rejected_by_reason[reason] == 1
        assert server.stats.packets_rejected == 1
        assert server.stats.packets_stored == 1
    far = ingest_store.read_window(
        start=dt.datetime(1990, 1, 1, tzinfo=dt.UTC), end=dt.datetime(3000, 1, 1, tzinfo=dt.UTC), mns=[MN]
    )
    assert far.height == len(FACTORS)  # only the good packet's values
    rejected = ingest_store.rejected_packets(
        start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        end=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
    )
    assert [r.reason.split(":")[0:2] for r in rejected] == [reason.split(":")]
    assert [r.raw for r in rejected] == [packet]


async def test_a_datatime_within_the_tolerance_is_stored(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(registered_url, ingest_store) as server:
        client = await connect(server.port)
        await client.send(data_packet(NOW + dt.timedelta(minutes=5)))
        assert decode(await client.reply()).cn == "9014"
        await client.close()


# -- 7. malformed frames ---------------------------------------------------------------------------------

GOOD = minute_packet(30)
BODY = body_of(GOOD)


def _bad_crc() -> bytes:
    crc = b"%04X" % (crc16(BODY) ^ 0x0101)
    return GOOD[:-6] + crc + b"\r\n"


MALFORMED = {
    "bad CRC": (_bad_crc(), "9"),
    "CRC not hex": (GOOD[:-6] + b"ZZ1G\r\n", "9"),
    "length longer than the data": (b"##%04d" % (len(BODY) + 7) + BODY + GOOD[-6:], "100"),
    "length shorter than the data": (b"##%04d" % (len(BODY) - 3) + BODY + GOOD[-6:], "9"),
    "missing DataTime": (reframe(BODY.replace(b"DataTime=", b"DataTimX=")), "100"),
    # a DataTime with milliseconds (17 digits, QN's format) decoded before and then failed the store's
    # whole-second check inside the group commit: nothing of that batch was acknowledged
    "DataTime with milliseconds": (
        reframe(re.sub(rb"DataTime=(\d{14})", rb"DataTime=\g<1>123", BODY)),
        "100",
    ),
    "nan": (reframe(BODY.replace(b"Avg=42.5", b"Avg=nan")), "100"),
    "inf": (reframe(BODY.replace(b"Avg=42.5", b"Avg=inf")), "100"),
    "-1e400": (reframe(BODY.replace(b"Avg=42.5", b"Avg=-1e400")), "100"),
    "invalid bytes": (reframe(BODY.replace(b"Flag=N", b"Flag=\xff\xfe", 1)), "100"),
    "Flag not a number": (reframe(BODY.replace(b"Flag=5", b"Flag=x")), "6"),
    "QN not digits": (reframe(BODY.replace(b"QN=", b"QN=A")), "7"),
    "no PW": (reframe(BODY.replace(b"PW=" + PW.encode() + b";", b"")), "3"),
    # decoded before, then build_reply refused to echo it on the acknowledgement path
    "PW with reserved characters": (reframe(BODY.replace(b"PW=" + PW.encode(), b"PW=a=b&c")), "3"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_malformed_frame_gets_9011_with_its_qn_rtn_and_the_connection_goes_on(
    registered_url: str, ingest_store: MeasurementStore, case: str
) -> None:
    frame, qn_rtn = MALFORMED[case]
    async with receiver(registered_url, ingest_store) as server:
        client = await connect(server.port)
        await client.send(frame)
        reply = decode(await client.reply())
        assert (reply.cn, reply.mn, reply.param("QnRtn")) == ("9011", MN, qn_rtn)
        if case != "QN not digits":
            assert reply.qn == decode(GOOD).qn
        await assert_still_served(client, 31)
        await client.close()
        assert server.stats.frames_bad >= 1
    assert window(ingest_store) == len(FACTORS)  # only the good packet


@pytest.mark.parametrize(
    "frame",
    [
        b"##00",  # cut short, then a line break
        b"##12ab" + BODY + b"1234",  # length field not digits
        b"##9999" + BODY,  # beyond the size limit
        reframe(BODY.replace(b"MN=", b"XX=")),  # no MN: no one to answer
        _bad_crc().replace(b"Flag=5", b"Flag=4"),  # no answer asked for
    ],
)
async def test_frames_without_a_readable_header_or_flag_a_get_no_answer(
    registered_url: str, ingest_store: MeasurementStore, frame: bytes
) -> None:
    async with receiver(registered_url, ingest_store) as server:
        client = await connect(server.port)
        await client.send(frame + b"\r\n")
        await assert_still_served(client, 32)  # the next reply is the good packet's: nothing came before it
        await client.close()
        assert server.stats.frames_bad >= 1


# -- 2. budgets and sampling -----------------------------------------------------------------------------


async def test_after_n_bad_frames_the_connection_is_answered_and_closed(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(registered_url, ingest_store, max_bad_frames_per_connection=5) as server:
        client = await connect(server.port)
        await client.send(_bad_crc() * 5 + GOOD)
        replies = [decode(await client.reply()) for _ in range(5)]
        assert {(r.cn, r.param("QnRtn")) for r in replies} == {("9011", "9")}
        assert await closed_by_server(client)
        assert server.stats.connections_over_budget == 1
    assert window(ingest_store) == 0  # the good packet after the budget was not even read


async def test_rejections_are_counted_but_sampled_into_the_log(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(registered_url, ingest_store, max_bad_frames_per_connection=1000) as server:
        client = await connect(server.port)
        await client.send(b"".join(minute_packet(40 + i, pw="999999", flag=4) for i in range(50)))
        await client.send(_bad_crc().replace(b"Flag=5", b"Flag=4") * 50)
        await assert_still_served(client, 33)
        await client.close()
        assert server.stats.rejected_by_reason["auth: pw wrong"] == 50
        assert server.stats.rejected_by_reason["frame: crc"] == 50
        assert server.stats.rejected_logged <= 3  # one log line per reason (maybe one for skipped bytes)
    now = dt.datetime.now(dt.UTC)
    rejected = ingest_store.rejected_packets(
        start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=1)
    )
    assert sorted(r.reason.split(":")[0] for r in rejected) == ["auth", "frame"]  # one row per reason
    assert [r.mn for r in rejected if r.reason.startswith("auth")] == [MN]


async def test_an_address_over_its_budget_has_new_connections_refused_and_others_are_served(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(
        registered_url,
        ingest_store,
        max_bad_frames_per_connection=3,
        max_bad_frames_per_address=6,
        address_ban_s=600.0,
    ) as server:
        for _ in range(3):  # 9 bad frames from 127.0.0.3 over three connections
            flooder = await connect(server.port, "127.0.0.3")
            await flooder.send(b"##0000" * 40)
            assert await closed_by_server(flooder)
        late = await connect(server.port, "127.0.0.3")
        assert await closed_by_server(late)  # refused at once, without sending anything
        assert server.stats.connections_refused == 1
        good = await connect(server.port, "127.0.0.1")
        await assert_still_served(good, 34)
        await good.close()


async def test_good_client_is_acknowledged_throughout_a_flood(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(registered_url, ingest_store, address_ban_s=0.5) as server:
        stop = asyncio.Event()

        async def flood() -> None:
            while not stop.is_set():
                with contextlib.suppress(ConnectionError, OSError):
                    c = await connect(server.port, "127.0.0.4")
                    c.writer.write(b"##0000" * 20000)
                    await closed_by_server(c)
                await asyncio.sleep(0)

        task = asyncio.create_task(flood())
        client = await connect(server.port)
        for minute in range(100, 160):
            await assert_still_served(client, minute)
        stop.set()
        await task
        await client.close()
        assert server.stats.frames_bad > 0
        # what the flood leaves behind is bounded by addresses and reasons, not by the frames sent
        assert len(server.sampler) <= 8
        assert len(server.addresses) <= 2
        logged = server.stats.rejected_logged
    assert window(ingest_store, minutes=200) == 60 * len(FACTORS)
    now = dt.datetime.now(dt.UTC)
    rows = ingest_store.rejected_packets(start=now - dt.timedelta(hours=1), end=now + dt.timedelta(hours=1))
    assert len(rows) <= logged <= 8


# -- 3. connection limits and slow connections -----------------------------------------------------------


async def test_connections_beyond_the_limits_are_closed_at_once(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(
        registered_url, ingest_store, max_connections=3, max_connections_per_address=2
    ) as server:
        a1, a2 = await connect(server.port, "127.0.0.5"), await connect(server.port, "127.0.0.5")
        a3 = await connect(server.port, "127.0.0.5")
        assert await closed_by_server(a3)  # third from one address
        b1 = await connect(server.port, "127.0.0.6")
        c1 = await connect(server.port, "127.0.0.7")
        assert await closed_by_server(c1)  # fourth in total
        await assert_still_served(b1, 35)
        assert server.stats.connections_refused == 2
        await a1.close()  # a slot frees up
        for _ in range(200):
            if server.stats.connections == 2:
                break
            await asyncio.sleep(0.05)
        c2 = await connect(server.port, "127.0.0.7")
        await assert_still_served(c2, 36)
        for c in (a2, b1, c2):
            await c.close()


@pytest.mark.parametrize(
    ("trickle", "idle_s", "frame_s"),
    [
        (b"##0200QN=2026", 600.0, 1.0),  # a frame fed a byte at a time: the frame deadline closes it
        (b"", 2.0, 600.0),  # garbage without any frame: the idle timeout is not reset by it
    ],
)
async def test_a_byte_a_tick_trickle_cannot_keep_a_connection_open(
    registered_url: str, ingest_store: MeasurementStore, trickle: bytes, idle_s: float, frame_s: float
) -> None:
    async with receiver(
        registered_url, ingest_store, idle_timeout_s=idle_s, frame_timeout_s=frame_s
    ) as server:
        client = await connect(server.port)
        await client.send(trickle)

        async def drip() -> None:
            with contextlib.suppress(ConnectionError, OSError):
                for _ in range(int(WAIT_S * 10)):
                    client.writer.write(b"1" if trickle else b"x")
                    await client.writer.drain()
                    await asyncio.sleep(0.1)

        task = asyncio.create_task(drip())
        assert await closed_by_server(client)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert server.stats.connections_timed_out == 1


async def test_a_logger_sending_regularly_is_not_timed_out(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(registered_url, ingest_store, idle_timeout_s=1.0, frame_timeout_s=1.0) as server:
        client = await connect(server.port)
        for i in range(8):  # four idle timeouts long, one packet (in two pieces) every half timeout
            packet = minute_packet(50 + i)
            await client.send(packet[:20])
            await asyncio.sleep(0.25)
            await client.send(packet[20:])
            assert decode(await client.reply()).qn == decode(packet).qn
            await asyncio.sleep(0.25)
        assert server.stats.connections_timed_out == 0
        await client.close()


async def test_split_parts_are_authenticated_before_they_are_held(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(registered_url, ingest_store) as server:
        client = await connect(server.port)
        parts = [
            encode(
                make_packet(
                    st="32",
                    cn="2051",
                    pw="999999",
                    mn=MN,
                    qn=f"2026010100000{i:04d}",
                    flag=7,  # 2017, split, answer required
                    pnum=3,
                    pno=1,
                    data_time=NOW,
                    values=[FieldValue("w01018", "Avg", 1.0)],
                )
            )
            for i in range(3)
        ]
        await client.send(b"".join(parts))  # three first parts of three messages, wrong password
        replies = [decode(await client.reply()) for _ in parts]
        assert [(r.cn, r.param("QnRtn")) for r in replies] == [("9011", "3")] * 3
        await assert_still_served(client, 37)
        await client.close()
        assert server.stats.rejected_by_reason["auth: pw wrong"] == 3


async def test_a_pipelining_logger_whose_writes_end_mid_frame_is_not_timed_out(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    async with receiver(registered_url, ingest_store, frame_timeout_s=1.0) as server:
        client = await connect(server.port)
        packets = [minute_packet(60 + i) for i in range(12)]
        stream = b"".join(packets)
        # every write carries the end of one frame and the start of the next: a frame is always pending,
        # for three frame deadlines, yet every frame completes within a deadline of its first byte
        cuts, offset = [], 0
        for packet in packets:
            cuts.append(offset + len(packet) // 2)
            offset += len(packet)
        for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
            await client.send(stream[start:end])
            await asyncio.sleep(0.25)
        qns = [decode(await client.reply()).qn for _ in packets]
        assert qns == [decode(p).qn for p in packets]
        assert server.stats.connections_timed_out == 0
        await client.close()
