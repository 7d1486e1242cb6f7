"""The TCP sender against a tiny in-test HJ 212 server (real sockets on port 0, decoded with the codec)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import polars as pl
import pytest

from ecosentinel.protocol.hj212 import Framer, Packet, build_reply, device_parameters
from ecosentinel.readings import CST
from ecosentinel.simulator import SimulationConfig, SimulationResult, send_live, send_to_server, simulate
from ecosentinel.simulator.sender import station_packets


@dataclass
class TinyServer:
    """Decodes frames, answers 9014; can refuse one MN (9011 QnRtn=3) or drop first connections."""

    refuse_mn: str | None = None
    drop_first: int = 0  # connections closed on their first packet, without an answer
    packets: list[Packet] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        drop = self.connections <= self.drop_first
        framer = Framer()
        try:
            while data := await reader.read(65536):
                for item in framer.feed(data):
                    assert isinstance(item, Packet), item
                    if drop:
                        return
                    if item.mn == self.refuse_mn:
                        writer.write(build_reply(item, "9011", QnRtn=3))
                    else:
                        self.packets.append(item)
                        writer.write(build_reply(item, "9014"))
                await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[TinyServer]:
    tiny = TinyServer()
    srv = await asyncio.start_server(tiny.handle, "127.0.0.1", 0)
    tiny.port = srv.sockets[0].getsockname()[1]
    yield tiny
    srv.close()
    await srv.wait_closed()


START = dt.datetime(2024, 5, 6, 0, 0, tzinfo=CST)  # the daily 3020 upload is at 00:10


def small_run(rtd: bool = False) -> SimulationResult:
    return simulate(SimulationConfig(seed=3, start=START, days=3 / 24, water=2, gas=1, include_rtd=rtd))


async def test_every_packet_is_sent_and_answered(server: TinyServer) -> None:
    result = small_run(rtd=True)
    expected = sum(len(station_packets(result, mn)) for mn in result.station_mns)
    stats = await send_to_server(result, "127.0.0.1", server.port, concurrency=2)
    assert stats.packets == expected
    assert stats.acked == expected
    assert stats.failed == stats.refused == 0
    assert len(server.packets) == expected
    assert {p.cn for p in server.packets} == {"2011", "2051", "2061", "3020"}
    by_mn = {p.mn: p.st for p in server.packets}
    assert by_mn[result.station_mns[0]] == "32"
    assert by_mn[result.station_mns[2]] == "31"
    assert all(p.flag == 5 for p in server.packets)


async def test_decoded_values_equal_the_readings(server: TinyServer) -> None:
    result = small_run()
    await send_to_server(result, "127.0.0.1", server.port)
    gas_mn = result.station_mns[2]
    hourly = [p for p in server.packets if p.mn == gas_mn and p.cn == "2061"]
    assert hourly
    packet = hourly[0]
    assert packet.data_time is not None
    row = result.readings.filter(
        (pl.col("mn") == gas_mn)
        & (pl.col("kind") == "hour")
        & (pl.col("source") == "platform")
        & (pl.col("code") == "a21002")
        & (pl.col("time") == packet.data_time.astimezone(dt.UTC))
    ).row(0, named=True)
    sent = {(v.code, v.field): v.value for v in packet.values}
    assert sent[("a21002", "Avg")] == row["value"]
    assert sent[("a21002", "ZsAvg")] == row["zs"]
    assert sent[("a21002", "Flag")] == row["flag"]
    uploads = [p for p in server.packets if p.cn == "3020"]
    params = device_parameters(uploads[0])
    assert {p.info_id for p in params} >= {"i13008", "i13007", "i13013"}


async def test_reconnects_and_resends_after_a_dropped_connection(server: TinyServer) -> None:
    server.drop_first = 2
    result = small_run()
    expected = sum(len(station_packets(result, mn)) for mn in result.station_mns)
    stats = await send_to_server(result, "127.0.0.1", server.port, concurrency=1, reply_timeout=2.0)
    assert stats.reconnects >= 2
    assert stats.acked == expected
    assert stats.failed == 0


async def test_refused_packets_are_counted_not_retried(server: TinyServer) -> None:
    result = small_run()
    server.refuse_mn = result.station_mns[1]
    refused = len(station_packets(result, server.refuse_mn))
    stats = await send_to_server(result, "127.0.0.1", server.port)
    assert stats.refused == refused
    assert stats.per_station[server.refuse_mn] == 0
    assert not any(p.mn == server.refuse_mn for p in server.packets)


async def test_gives_up_when_nobody_listens() -> None:
    probe = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = probe.sockets[0].getsockname()[1]
    probe.close()
    await probe.wait_closed()
    result = simulate(SimulationConfig(seed=3, start=START, days=2 / 1440, water=1, gas=0))
    stats = await send_to_server(result, "127.0.0.1", port, retries=1, reply_timeout=1.0)
    assert stats.acked == 0
    assert stats.failed == stats.packets > 0


async def test_live_mode_sends_current_data(server: TinyServer) -> None:
    now = dt.datetime(2024, 5, 6, 2, 0, tzinfo=dt.UTC)  # on the hour: the hourly packet is due 1 h later
    config = SimulationConfig(seed=3, days=3 / 1440, water=1, gas=1)
    stats = await send_live(config, "127.0.0.1", server.port, speed=3600.0, now=now)
    minutes = [p for p in server.packets if p.cn == "2051"]
    assert len(minutes) == 2 * 3
    assert min(p.data_time for p in minutes if p.data_time) == now
    assert any(p.cn == "2061" for p in server.packets)
    assert stats.acked == len(server.packets)
