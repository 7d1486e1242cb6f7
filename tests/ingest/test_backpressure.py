"""The writer's queue is bounded: when the store falls behind, every connection stops reading."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

from ecosentinel.config import IngestSettings
from ecosentinel.database import create_engine
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.server import IngestServer
from ecosentinel.protocol.hj212 import decode
from ecosentinel.readings import ReadingRow
from ecosentinel.registry.service import load_point_auth
from ecosentinel.store.base import MeasurementStore
from tests.ingest.conftest import FACTORS, MN, T0, LoggerClient
from tests.ingest.test_server import minute_packet

CONNECTIONS = 8
PER_CONNECTION = 10
MAX_QUEUED = 16


def stall(store: MeasurementStore) -> threading.Event:
    """Make the store's appends (the writer's append_rows) wait until the returned event is set (a commit
    slower than anything)."""
    gate = threading.Event()
    append_rows = store.append_rows

    def slow_append(readings: Sequence[ReadingRow], raw_packets: Any = ()) -> int:
        gate.wait(timeout=60)
        return append_rows(readings, raw_packets)

    store.append_rows = slow_append  # type: ignore[method-assign]
    return gate


async def _read_acks(client: LoggerClient, count: int) -> list[str]:
    return [str(decode(await client.reply()).qn) for _ in range(count)]


async def test_full_queue_pauses_every_connection_and_loses_nothing(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    gate = stall(ingest_store)  # the store "stalls" until the test opens it
    engine = create_engine(registered_url)
    server = IngestServer(
        settings=IngestSettings(
            port=0, max_queued_packets=MAX_QUEUED, max_pending_per_connection=64, batch_max_packets=4
        ),
        store=ingest_store,
        auth=AuthCache(lambda: load_point_auth(engine)),
    )
    await server.start()
    clients = [await LoggerClient.connect(server.port) for _ in range(CONNECTIONS)]
    try:
        sent: list[str] = []
        for c, client in enumerate(clients):
            packets = [minute_packet(c * PER_CONNECTION + k) for k in range(PER_CONNECTION)]
            sent += [str(decode(p).qn) for p in packets]
            await client.send(b"".join(packets))
        async with asyncio.timeout(10):
            while not server.queue_full:  # noqa: ASYNC110 - the flag is the receiver's own, no event
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # time for the rest to arrive, were reading not paused
        # at most one read per connection beyond the bound: the one that crossed it is finished
        assert server.queued <= MAX_QUEUED + PER_CONNECTION
        assert server.queued < CONNECTIONS * PER_CONNECTION
        assert server.stats.queue_full == 1
        assert all(not conn._transport.is_reading() for conn in server.connections if conn._transport)

        gate.set()  # the store catches up: reading resumes and every packet is stored, then answered
        acks = await asyncio.gather(*(_read_acks(client, PER_CONNECTION) for client in clients))
        assert sorted(qn for batch in acks for qn in batch) == sorted(sent)
        assert server.queued == 0
        assert not server.queue_full
        frame = ingest_store.read_window(
            start=T0.astimezone(dt.UTC),
            end=(T0 + dt.timedelta(minutes=CONNECTIONS * PER_CONNECTION)).astimezone(dt.UTC),
            mns=[MN],
        )
        assert frame.height == CONNECTIONS * PER_CONNECTION * len(FACTORS)
    finally:
        gate.set()
        for client in clients:
            await client.close()
        await server.stop()
        engine.dispose()


async def test_rejected_log_rows_beyond_their_bound_are_only_counted(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    gate = threading.Event()
    append_rejected = ingest_store.append_rejected

    def slow_append_rejected(packets: Any) -> None:
        gate.wait(timeout=60)
        append_rejected(packets)

    ingest_store.append_rejected = slow_append_rejected  # type: ignore[method-assign]
    engine = create_engine(registered_url)
    # every rejection is sampled (interval 0), at most two rows wait for the writer
    server = IngestServer(
        settings=IngestSettings(port=0, max_queued_rejected=2, reject_sample_interval_s=0.0),
        store=ingest_store,
        auth=AuthCache(lambda: load_point_auth(engine)),
    )
    await server.start()
    client = await LoggerClient.connect(server.port)
    try:
        for k in range(6):  # wrong password: refused with 9011, sampled into the rejected log
            await client.send(minute_packet(k, pw="999999"))
            assert decode(await client.reply()).cn == "9011"
        # the stalled store call holds the first one or two rows, two more wait in the queue, the rest are
        # dropped (only counted)
        assert 2 <= server.stats.rejected_log_dropped <= 4
        assert server.stats.packets_rejected == 6
    finally:
        gate.set()
        await client.close()
        await server.stop()
        engine.dispose()
        engine.dispose()


async def test_a_connection_owed_acknowledgements_is_not_closed_as_idle(
    registered_url: str, ingest_store: MeasurementStore
) -> None:
    # a commit slower than the idle timeout: the logger sent its packets and waits for their answers,
    # so it is not idle; it must get every acknowledgement, then be closed as idle once answered
    gate = stall(ingest_store)
    engine = create_engine(registered_url)
    server = IngestServer(
        settings=IngestSettings(
            port=0, idle_timeout_s=0.4, frame_timeout_s=5.0, max_pending_per_connection=16
        ),
        store=ingest_store,
        auth=AuthCache(lambda: load_point_auth(engine)),
    )
    await server.start()
    client = await LoggerClient.connect(server.port)
    try:
        packets = [minute_packet(k) for k in range(3)]
        await client.send(b"".join(packets))
        await asyncio.sleep(1.5)  # several idle timeouts pass while the store is stalled
        assert server.stats.connections_timed_out == 0
        assert len(server.connections) == 1
        gate.set()
        acks = await _read_acks(client, len(packets))
        assert acks == [str(decode(p).qn) for p in packets]
        async with asyncio.timeout(10):  # answered and silent: now it is idle and closed
            while server.stats.connections_timed_out == 0:  # noqa: ASYNC110 - the receiver's own counter
                await asyncio.sleep(0.05)
        assert len(server.connections) == 0
    finally:
        gate.set()
        await client.close()
        await server.stop()
        engine.dispose()
