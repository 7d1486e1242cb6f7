"""HJ 212 TCP receiver: decode, authenticate by MN + PW, store durably, then acknowledge.

Design (see docs/decisions/0001-ingest-group-commit.md):
- One asyncio Protocol per connection feeds bytes to a pure Framer (never raises) and a Reassembler.
- Accepted packets go to a single writer thread that commits them in groups (group commit): a packet is
  acknowledged only after the transaction holding its raw bytes and decoded values has committed.
- Per-connection back-pressure: reading pauses while too many packets of that connection await the store.
- Refused packets (unknown MN, wrong PW, bad CRC) get the HJ 212 refusal reply and go to the rejected log,
  never into the readings.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from ecosentinel.config import IngestSettings
from ecosentinel.ingest import messages
from ecosentinel.ingest.auth import QN_RTN_MN_WRONG, AuthCache
from ecosentinel.protocol.hj212 import (
    FrameError,
    Framer,
    Hj212Error,
    Packet,
    Reassembler,
    build_reply,
    packet_readings_frame,
)
from ecosentinel.store.base import MeasurementStore, RawPacket, RejectedPacket

log = logging.getLogger(__name__)

DATA_CNS = frozenset({"2011", "2051", "2061", "2031"})


@dataclass
class IngestStats:
    """Counters shown on the dashboard and by the benchmark."""

    connections: int = 0
    connections_total: int = 0
    packets_stored: int = 0
    packets_rejected: int = 0
    frames_bad: int = 0
    batches: int = 0
    last_packet_at: dt.datetime | None = None
    online_mns: dict[str, float] = field(default_factory=dict)  # MN -> monotonic time of last packet


@dataclass
class _Pending:
    packet: Packet
    raw: RawPacket
    conn: HJ212Connection


class StoreWriter:
    """The single writer: takes packets from connections, commits them in groups, then acknowledges.

    Runs the blocking store calls in its own thread so the event loop keeps serving sockets.
    """

    def __init__(
        self,
        store: MeasurementStore,
        loop: asyncio.AbstractEventLoop,
        settings: IngestSettings,
        stats: IngestStats,
    ) -> None:
        self._store = store
        self._loop = loop
        self._settings = settings
        self._stats = stats
        self._queue: queue.SimpleQueue[_Pending | RejectedPacket | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ecosentinel-store-writer", daemon=True)
        self._stopped = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def submit(self, item: _Pending | RejectedPacket) -> None:
        self._queue.put(item)

    def stop(self) -> None:
        """Finish what is queued, then stop (blocking)."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        max_packets = self._settings.batch_max_packets
        max_delay = self._settings.batch_max_delay_ms / 1000.0
        running = True
        while running:
            first = self._queue.get()
            if first is None:
                break
            batch: list[_Pending] = []
            rejected: list[RejectedPacket] = []
            (batch if isinstance(first, _Pending) else rejected).append(first)  # type: ignore[arg-type]
            deadline = time.monotonic() + max_delay
            while len(batch) < max_packets:
                timeout = deadline - time.monotonic()
                try:
                    item = self._queue.get(timeout=timeout) if timeout > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    running = False
                    break
                if isinstance(item, _Pending):
                    batch.append(item)
                else:
                    rejected.append(item)
            self._commit(batch, rejected)

    def _commit(self, batch: list[_Pending], rejected: list[RejectedPacket]) -> None:
        if rejected:
            try:
                self._store.append_rejected(rejected)
            except Exception:
                log.exception("could not log %d rejected packets", len(rejected))
        if not batch:
            return
        try:
            frame = packet_readings_frame([p.packet for p in batch])
            self._store.append(frame, [p.raw for p in batch])
        except Exception:
            # Nothing is acknowledged: the loggers will re-send (HJ 212 retries unanswered packets).
            log.exception("store write failed for %d packets; none acknowledged", len(batch))
            self._loop.call_soon_threadsafe(_release_all, batch)
            return
        self._stats.batches += 1
        self._loop.call_soon_threadsafe(_acknowledge_all, batch, self._stats)


def _acknowledge_all(batch: list[_Pending], stats: IngestStats) -> None:
    now = time.monotonic()
    for item in batch:
        item.conn.acknowledge(item.packet)
        stats.online_mns[item.packet.mn] = now
    stats.packets_stored += len(batch)
    stats.last_packet_at = dt.datetime.now(dt.UTC)


def _release_all(batch: list[_Pending]) -> None:
    for item in batch:
        item.conn.release()


class HJ212Connection(asyncio.Protocol):
    """One data logger's TCP connection."""

    def __init__(self, server: IngestServer) -> None:
        self._server = server
        self._settings = server.settings
        self._framer = Framer(max_packet_bytes=self._settings.max_packet_bytes)
        self._reassembler = Reassembler()
        self._transport: asyncio.Transport | None = None
        self._pending = 0
        self._paused = False
        self.peer = "?"
        self.last_activity = time.monotonic()

    # asyncio.Protocol -------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self._transport = cast(asyncio.Transport, transport)
        peername = self._transport.get_extra_info("peername")
        self.peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        self._server.connections.add(self)
        self._server.stats.connections += 1
        self._server.stats.connections_total += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._server.stats.connections -= 1
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self.last_activity = time.monotonic()
        for frame in self._framer.feed(data):
            if isinstance(frame, FrameError):
                self._on_bad_frame(frame)
                continue
            try:
                whole = self._reassembler.add(frame)
            except Hj212Error as exc:
                self._on_bad_frame(FrameError(raw=frame.raw, error=exc))
                continue
            if whole is not None:
                self._on_packet(whole)

    # packets ----------------------------------------------------------------------------------------------
    def _on_bad_frame(self, frame: FrameError) -> None:
        self._server.stats.frames_bad += 1
        log.warning("bad HJ 212 frame from %s: %s", self.peer, frame.error)
        self._server.writer.submit(
            RejectedPacket(
                received_at=dt.datetime.now(dt.UTC),
                peer=self.peer,
                mn=None,
                raw=frame.raw,
                reason=f"frame: {frame.error}",
            )
        )

    def _on_packet(self, packet: Packet) -> None:
        if packet.cn.startswith("90"):
            return  # a logger's answer to one of our requests; nothing to acknowledge
        refusal = self._server.auth.check(packet.mn, packet.pw)
        if refusal is not None:
            self._refuse(packet, refusal)
            return
        raw = RawPacket(
            received_at=dt.datetime.now(dt.UTC),
            peer=self.peer,
            mn=packet.mn,
            cn=packet.cn,
            qn=packet.qn,
            data_time=packet.data_time,
            raw=packet.raw,
        )
        self._pending += 1
        if self._pending >= self._settings.max_pending_per_connection and not self._paused:
            self._paused = True
            if self._transport is not None:
                self._transport.pause_reading()
        self._server.writer.submit(_Pending(packet=packet, raw=raw, conn=self))

    def _refuse(self, packet: Packet, qn_rtn: int) -> None:
        self._server.stats.packets_rejected += 1
        unknown = qn_rtn == QN_RTN_MN_WRONG
        log.warning(
            "refused packet from %s MN=%s: %s",
            self.peer,
            packet.mn,
            messages.MN_UNKNOWN if unknown else messages.PW_WRONG,
        )
        self._server.writer.submit(
            RejectedPacket(
                received_at=dt.datetime.now(dt.UTC),
                peer=self.peer,
                mn=packet.mn,
                raw=packet.raw,
                reason="auth: mn unknown" if unknown else "auth: pw wrong",
            )
        )
        if packet.reply_required:
            self._write(build_reply(packet, "9011", QnRtn=qn_rtn))

    def acknowledge(self, packet: Packet) -> None:
        """Called on the loop after the packet is durably stored."""
        self.release()
        if packet.reply_required:
            cn = "9014" if packet.cn in DATA_CNS or packet.cn == "3020" else "9011"
            self._write(build_reply(packet, cn) if cn == "9014" else build_reply(packet, cn, QnRtn=1))

    def release(self) -> None:
        self._pending -= 1
        if self._paused and self._pending < self._settings.max_pending_per_connection // 2:
            self._paused = False
            if self._transport is not None:
                self._transport.resume_reading()

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class IngestServer:
    """The HJ 212 receiver. ``await start()``, then ``await stop()``."""

    def __init__(
        self,
        *,
        settings: IngestSettings,
        store: MeasurementStore,
        auth: AuthCache,
    ) -> None:
        self.settings = settings
        self.store = store
        self.auth = auth
        self.stats = IngestStats()
        self.connections: set[HJ212Connection] = set()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.writer: StoreWriter

    @property
    def port(self) -> int:
        assert self._server is not None
        sock = self._server.sockets[0]
        return int(sock.getsockname()[1])

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.writer = StoreWriter(self.store, loop, self.settings, self.stats)
        self.writer.start()
        factory: Callable[[], HJ212Connection] = lambda: HJ212Connection(self)  # noqa: E731
        self._server = await loop.create_server(
            factory, self.settings.host, self.settings.port, backlog=4096, reuse_address=True
        )
        self._sweeper = asyncio.create_task(self._sweep_idle(), name="hj212-idle-sweeper")
        log.info("HJ 212 receiver listening on %s:%d", self.settings.host, self.port)

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._server is not None:
            self._server.close()
            for conn in list(self.connections):
                conn.close()
            await self._server.wait_closed()
        await asyncio.to_thread(self.writer.stop)

    async def _sweep_idle(self) -> None:
        interval = min(5.0, self.settings.idle_timeout_s / 2)
        while True:
            await asyncio.sleep(interval)
            cutoff = time.monotonic() - self.settings.idle_timeout_s
            for conn in list(self.connections):
                if conn.last_activity < cutoff:
                    log.info("closing idle connection %s", conn.peer)
                    conn.close()
            await asyncio.to_thread(self.auth.refresh_if_stale)
