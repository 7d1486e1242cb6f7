"""One logger's bad packet never holds back other loggers' packets (group commit isolation)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from ecosentinel.config import IngestSettings
from ecosentinel.database import create_engine
from ecosentinel.errors import ValidationError
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.server import IngestServer
from ecosentinel.protocol.hj212 import build_data_packet, decode
from ecosentinel.readings import ReadingRow
from ecosentinel.registry.service import load_point_auth
from ecosentinel.store.base import MeasurementStore
from tests.ingest.conftest import FACTORS, MN, PW, T0, LoggerClient
from tests.ingest.test_server import minute_packet, window


async def test_a_packet_with_an_unknown_data_flag_is_refused_and_the_others_are_stored(
    server: IngestServer, ingest_store: MeasurementStore
) -> None:
    factors: dict[str, dict[str, float | str | None]] = {
        code: {"Avg": 10.0 + i, "Flag": "X" if i == 0 else "N"} for i, code in enumerate(FACTORS)
    }
    bad = build_data_packet(mn=MN, pw=PW, cn="2051", data_time=T0 + dt.timedelta(minutes=5), factors=factors)
    a = await LoggerClient.connect(server.port)
    b = await LoggerClient.connect(server.port)
    await asyncio.gather(a.send(bad), b.send(minute_packet(1)))
    good_reply, bad_reply = decode(await b.reply()), decode(await a.reply())
    assert good_reply.cn == "9014"
    assert bad_reply.cn == "9011"
    assert bad_reply.param("QnRtn") == "100"
    assert server.stats.frames_bad == 1
    assert server.stats.packets_stored == 1
    assert window(ingest_store, 10) == len(FACTORS)  # minute 1 only, nothing of minute 5
    await a.close()
    await b.close()


async def test_a_packet_the_store_refuses_does_not_hold_back_its_group_commit(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    # the store refuses one packet's rows (as a constraint or a full disk could): the other packets of
    # the same group commit are stored and acknowledged, that one is not acknowledged (the logger re-sends)
    poison = int((T0 + dt.timedelta(minutes=3)).timestamp() * 1_000_000)
    append_rows = ingest_store.append_rows

    def refusing(readings: Sequence[ReadingRow], raw_packets: Any = ()) -> int:
        if any(r[3] == poison for r in readings):
            raise ValidationError("refused by the test store", location="readings")
        return append_rows(readings, raw_packets)

    ingest_store.append_rows = refusing  # type: ignore[method-assign]
    engine = create_engine(registered_url)
    server = IngestServer(
        settings=IngestSettings(port=0, batch_max_packets=64, batch_max_delay_ms=200),
        store=ingest_store,
        auth=AuthCache(lambda: load_point_auth(engine)),
    )
    await server.start()
    clients = [await LoggerClient.connect(server.port) for _ in range(6)]
    try:
        await asyncio.gather(*(c.send(minute_packet(i)) for i, c in enumerate(clients)))
        acked = []
        for i, c in enumerate(clients):
            if i == 3:
                continue
            acked.append(decode(await c.reply()).cn)
        assert acked == ["9014"] * 5
        assert server.stats.packets_stored == 5
        assert window(ingest_store, 10) == 5 * len(FACTORS)
        with pytest.raises(TimeoutError):  # not acknowledged: its logger will send it again
            async with asyncio.timeout(0.3):
                await clients[3].reply()
    finally:
        for c in clients:
            await c.close()
        await server.stop()
        engine.dispose()
