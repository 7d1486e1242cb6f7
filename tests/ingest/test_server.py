from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from ecosentinel.config import IngestSettings
from ecosentinel.database import create_engine
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.server import IngestServer
from ecosentinel.protocol.hj212 import Packet, build_data_packet, build_reply, decode
from ecosentinel.registry.service import load_point_auth
from ecosentinel.store.base import MeasurementStore
from tests.ingest.conftest import FACTORS, MN, PW, T0, LoggerClient


def minute_packet(minute: int, *, mn: str = MN, pw: str = PW, flag: int = 5, cod: float = 42.5) -> bytes:
    factors: dict[str, dict[str, float | str | None]] = {
        code: {"Avg": cod + i, "Min": cod - 1, "Max": cod + 10, "Flag": "N"} for i, code in enumerate(FACTORS)
    }
    return build_data_packet(
        mn=mn, pw=pw, cn="2051", data_time=T0 + dt.timedelta(minutes=minute), factors=factors, flag=flag
    )


def window(store: MeasurementStore, minutes: int = 60) -> int:
    return store.read_window(
        start=T0.astimezone(dt.UTC), end=(T0 + dt.timedelta(minutes=minutes)).astimezone(dt.UTC)
    ).height


async def test_packet_is_stored_before_it_is_acknowledged(
    server: IngestServer, ingest_store: MeasurementStore
) -> None:
    client = await LoggerClient.connect(server.port)
    packet = minute_packet(0)
    await client.send(packet)
    reply = decode(await client.reply())
    # At the moment the 9014 data answer arrives, the values are already readable from the store.
    assert reply.cn == "9014"
    assert reply.qn == decode(packet).qn
    frame = ingest_store.read_window(
        start=T0.astimezone(dt.UTC), end=(T0 + dt.timedelta(minutes=1)).astimezone(dt.UTC)
    )
    assert frame.height == len(FACTORS)
    cod = frame.filter(frame["code"] == "w01018").row(0, named=True)
    assert cod["value"] == pytest.approx(42.5)
    assert cod["kind"] == "minute"
    assert cod["flag"] == "N"
    raws = ingest_store.raw_packets(
        mn=MN, start=T0.astimezone(dt.UTC), end=(T0 + dt.timedelta(minutes=1)).astimezone(dt.UTC)
    )
    assert [r.raw for r in raws] == [packet]
    await client.close()


@pytest.mark.parametrize(("mn", "pw", "qn_rtn"), [("33040000000000000000NONE", PW, "4"), (MN, "999999", "3")])
async def test_unknown_mn_or_wrong_password_is_refused_and_not_stored(
    server: IngestServer, ingest_store: MeasurementStore, mn: str, pw: str, qn_rtn: str
) -> None:
    client = await LoggerClient.connect(server.port)
    await client.send(minute_packet(1, mn=mn, pw=pw))
    reply = decode(await client.reply())
    assert reply.cn == "9011"
    assert dict(reply.params)["QnRtn"] == qn_rtn
    # Then a good packet on the same connection is accepted: the refusal did not poison the connection.
    await client.send(minute_packet(2))
    assert decode(await client.reply()).cn == "9014"
    assert window(ingest_store) == len(FACTORS)  # only the good packet's values
    assert server.stats.packets_rejected == 1
    await client.close()


async def test_garbage_split_and_merged_frames(server: IngestServer, ingest_store: MeasurementStore) -> None:
    client = await LoggerClient.connect(server.port)
    a, b, c = minute_packet(3), minute_packet(4), minute_packet(5)
    bad_crc = bytearray(minute_packet(6))
    bad_crc[-6:-2] = b"0000" if bad_crc[-6:-2] != b"0000" else b"1111"
    stream = b"\x00\xffnoise" + a + b"garbage##12" + bytes(bad_crc) + b + c
    for i in range(0, len(stream), 7):  # dribble the bytes in 7-byte pieces
        client.writer.write(stream[i : i + 7])
        await client.writer.drain()
    replies = [decode(await client.reply()) for _ in range(4)]
    # the good frames are answered 9014 in order once stored; the frame with the bad CRC is answered at
    # once with 9011 QnRtn=9 (CRC wrong)
    assert [r.qn for r in replies if r.cn == "9014"] == [decode(p).qn for p in (a, b, c)]
    assert [(r.qn, r.param("QnRtn")) for r in replies if r.cn == "9011"] == [
        (decode(minute_packet(6)).qn, "9")
    ]
    assert window(ingest_store) == 3 * len(FACTORS)
    assert server.stats.frames_bad >= 1
    await client.close()


async def test_resent_packet_is_acknowledged_but_not_duplicated(
    server: IngestServer, ingest_store: MeasurementStore
) -> None:
    client = await LoggerClient.connect(server.port)
    packet = minute_packet(7)
    for _ in range(3):
        await client.send(packet)
        assert decode(await client.reply()).cn == "9014"
    assert window(ingest_store) == len(FACTORS)
    await client.close()


async def test_no_reply_when_flag_does_not_ask_for_one(
    server: IngestServer, ingest_store: MeasurementStore
) -> None:
    client = await LoggerClient.connect(server.port)
    await client.send(minute_packet(8, flag=4))
    await client.send(minute_packet(9, flag=5))
    # The only reply is for the second packet; the first one was stored all the same.
    assert decode(await client.reply()).qn == decode(minute_packet(9)).qn
    for _ in range(50):
        if window(ingest_store) == 2 * len(FACTORS):
            break
        await asyncio.sleep(0.05)
    assert window(ingest_store) == 2 * len(FACTORS)
    await client.close()


async def test_pipelined_packets_beyond_the_backpressure_limit_are_all_acknowledged(
    server: IngestServer, ingest_store: MeasurementStore
) -> None:
    client = await LoggerClient.connect(server.port)
    packets = [minute_packet(10 + i) for i in range(40)]  # 10x the per-connection pending limit
    await client.send(b"".join(packets))
    qns = [decode(await client.reply()).qn for _ in packets]
    assert qns == [decode(p).qn for p in packets]
    assert window(ingest_store, minutes=60) == 40 * len(FACTORS)
    await client.close()


async def test_idle_connection_is_closed(server: IngestServer) -> None:
    client = await LoggerClient.connect(server.port)
    data = await asyncio.wait_for(client.reader.read(), timeout=15)  # EOF once the 2 s idle timeout passes
    assert data == b""
    assert server.stats.connections == 0


class RecordingTransport:
    """Passes everything to the real transport and records each write."""

    def __init__(self, inner: asyncio.Transport) -> None:
        self.inner = inner
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self.inner.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_acknowledgements_of_one_batch_leave_in_one_write_in_order(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    engine = create_engine(registered_url)
    server = IngestServer(
        settings=IngestSettings(port=0, batch_max_delay_ms=300),  # the three packets make one group commit
        store=ingest_store,
        auth=AuthCache(lambda: load_point_auth(engine)),
    )
    packets = [minute_packet(20 + i) for i in range(3)]
    command = b"##0010QN=command\r\n"  # what an observer sends while the batch is acknowledged
    second = decode(packets[1]).qn

    def observer(packet: Packet) -> None:
        if packet.qn == second:
            server.send_to(packet.mn, command)

    server.observers.append(observer)
    await server.start()
    client = await LoggerClient.connect(server.port)
    try:
        async with asyncio.timeout(10):
            while not server.connections:  # noqa: ASYNC110 - the receiver's own set, no event
                await asyncio.sleep(0.01)
        conn = next(iter(server.connections))
        assert conn._transport is not None
        recorder = RecordingTransport(conn._transport)
        conn._transport = recorder  # type: ignore[assignment]
        await client.send(b"".join(packets))
        replies = [await client.reply() for _ in range(4)]
        acks = [build_reply(decode(p), "9014") for p in packets]
        expected = [acks[0], acks[1], command, acks[2]]  # the command after the ack that prompted it
        assert replies == expected
        assert recorder.writes == [b"".join(expected)]
        assert server.stats.batches == 1
    finally:
        await client.close()
        await server.stop()
        engine.dispose()
