"""HJ 212 TCP receiver: decode, authenticate by MN + PW, store durably, then acknowledge.

Design (see docs/decisions/0001-ingest-group-commit.md):
- One asyncio Protocol per connection feeds bytes to a pure Framer (never raises) and a Reassembler.
- Accepted packets go to a single writer thread that commits them in groups (group commit): a packet is
  acknowledged only after the transaction holding its raw bytes and decoded values has committed.
- Back-pressure, so memory stays bounded: a connection stops reading while ``max_pending_per_connection`` of
  its packets await the store, and every connection stops reading while ``max_queued_packets`` packets await
  it in total (the writer's queue is bounded; the kernel's socket buffers and TCP flow control then hold the
  loggers back). Sampled rejected-packet log rows beyond ``max_queued_rejected`` are only counted.
- Several receiver processes may share one port (``reuse_port``, SO_REUSEPORT; docs/ingest.md): each has
  its own writer and commits before it acknowledges, so a process killed loses nothing it acknowledged.
- Refused packets (unknown MN, wrong PW, bad CRC, implausible DataTime) get the HJ 212 refusal reply
  (9011 with a QnRtn, docs/hj212.md) and are counted; never stored as readings. The rejected log is
  sampled: one row and one log line per (address, reason) and interval, the rest only counted.
- Budgets (docs/hj212.md, "Receiver limits"): connections in total and per address (beyond them a new
  connection is aborted at once); bad frames per connection (then answered and closed) and per address
  (then new connections from it are refused for a while); a frame must complete within
  ``frame_timeout_s`` of its first byte and a connection without a complete frame for
  ``idle_timeout_s`` is closed, so neither a trickle of bytes nor garbage keeps a connection open.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from ecosentinel.config import DataTimeSettings, IngestSettings
from ecosentinel.ingest import messages
from ecosentinel.ingest.auth import QN_RTN_MN_WRONG, AuthCache
from ecosentinel.ingest.journal import AfterCommit, JournalAppender, encode_record
from ecosentinel.ingest.limits import AddressBook, RejectSampler
from ecosentinel.protocol.hj212 import (
    FrameError,
    Framer,
    Hj212Error,
    Packet,
    QnRtn,
    Reassembler,
    build_reply,
    error_reply,
    packet_reading_rows,
)
from ecosentinel.readings import KIND_BY_CN
from ecosentinel.store.base import MeasurementStore, RawPacket, RejectedPacket
from ecosentinel.store.timecheck import time_refusal

log = logging.getLogger(__name__)

DATA_CNS = frozenset({"2011", "2051", "2061", "2031"})
FEED_BYTES = 4096  # bytes handed to the framer at a time, so a flood is cut off after its budget
GARBAGE_FRAMES = 16  # skipped bytes (including the rest of each bad frame) charged as one bad frame
MAX_SPLIT_MESSAGES = 8  # incomplete split messages held per connection
CLOSE_GRACE_S = 5.0  # a closing connection whose peer does not read its last answer is aborted after this


@dataclass
class IngestStats:
    """Counters shown on the dashboard and by the benchmark."""

    connections: int = 0
    connections_total: int = 0
    packets_stored: int = 0
    packets_rejected: int = 0  # decoded but refused: unknown MN, wrong PW, implausible DataTime
    frames_bad: int = 0  # could not be decoded
    connections_refused: int = 0  # aborted at once: over a connection limit or from a banned address
    connections_over_budget: int = 0  # answered and closed after too many bad frames
    connections_timed_out: int = 0  # idle, or a frame not completed in time
    rejected_logged: int = 0  # rejections sampled into the rejected-packet log
    rejected_log_dropped: int = 0  # sampled rows not logged because the writer's queue was full
    queue_full: int = 0  # times every connection paused because max_queued_packets awaited the store
    journal_full: int = 0  # journal mode: times every connection paused because the loader was too far behind
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
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

    Runs the blocking store calls in its own thread so the event loop keeps serving sockets. With a
    ``journal`` (journal mode, ingest.journal), a group is appended to the journal and fdatasync'd instead of
    committed to the store, and the journal loader stores it behind.
    """

    def __init__(
        self,
        store: MeasurementStore,
        loop: asyncio.AbstractEventLoop,
        settings: IngestSettings,
        stats: IngestStats,
        after_commit: AfterCommit | None = None,
        journal: JournalAppender | None = None,
    ) -> None:
        self._after_commit = after_commit
        self._journal = journal
        self._store = store
        self._loop = loop
        self._settings = settings
        self._stats = stats
        # accepted packets arrive as lists (one per turn of the event loop: one wake-up of this thread per
        # turn, not per packet); rejected-packet rows one by one
        self._queue: queue.SimpleQueue[list[_Pending] | RejectedPacket | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ecosentinel-store-writer", daemon=True)
        self._stopped = threading.Event()
        self._rejected_waiting = 0  # rejected-log rows in the queue (both threads change it: under the lock)
        self._rejected_lock = threading.Lock()

    def start(self) -> None:
        self._thread.start()

    def submit(self, items: list[_Pending]) -> None:
        """Queue accepted packets (the server bounds how many wait: ``IngestServer.queued``)."""
        self._queue.put(items)

    def submit_rejected(self, item: RejectedPacket) -> bool:
        """Queue a rejected-packet log row; False (dropped) when ``max_queued_rejected`` already wait."""
        with self._rejected_lock:
            if self._rejected_waiting >= self._settings.max_queued_rejected:
                return False
            self._rejected_waiting += 1
        self._queue.put(item)
        return True

    def stop(self) -> None:
        """Finish what is queued, then stop (blocking)."""
        self._queue.put(None)
        self._thread.join()
        if self._journal is not None:
            self._journal.close()

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
            if isinstance(first, list):
                batch.extend(first)
            else:
                rejected.append(first)
            deadline = time.monotonic() + max_delay
            # What is queued now, then (unless the group is full) one sleep to the deadline and what came
            # meanwhile: the same group as waking for every arrival, without a thread switch per turn of
            # the event loop.
            running = self._drain(batch, rejected, max_packets)
            if running and len(batch) < max_packets:
                pause = deadline - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                running = self._drain(batch, rejected, max_packets)
            self._commit(batch, rejected)

    def _drain(self, batch: list[_Pending], rejected: list[RejectedPacket], max_packets: int) -> bool:
        """Move what is queued into the group (up to ``max_packets``); False once the stop marker is seen."""
        while len(batch) < max_packets:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return True
            if item is None:
                return False
            if isinstance(item, list):
                batch.extend(item)
            else:
                rejected.append(item)
        return True

    def _commit(self, batch: list[_Pending], rejected: list[RejectedPacket]) -> None:
        if rejected:
            with self._rejected_lock:
                self._rejected_waiting -= len(rejected)
            try:
                self._store.append_rejected(rejected)
            except Exception:
                log.exception("could not log %d rejected packets", len(rejected))
        if not batch:
            return
        if self._journal is not None:
            self._append_journal(batch)
            return
        try:
            rows = packet_reading_rows([p.packet for p in batch])
            self._store.append_rows(rows, [p.raw for p in batch])
        except Exception:
            if len(batch) > 1:
                # one packet the store refuses must not hold back the other loggers' packets of its group
                # commit: each is tried in a transaction of its own
                log.exception(
                    "store write failed for a batch of %d packets; committing them one by one", len(batch)
                )
                for item in batch:
                    self._commit([item], [])
                return
            # Nothing is acknowledged: the logger will re-send (HJ 212 retries unanswered packets).
            log.exception("store write failed for a packet from %s; not acknowledged", batch[0].packet.mn)
            self._loop.call_soon_threadsafe(_release_all, batch)
            return
        self._stats.batches += 1
        self._loop.call_soon_threadsafe(_acknowledge_all, batch)
        if self._after_commit is not None:
            try:
                self._after_commit(rows)
            except Exception:
                log.exception("after-commit hook failed (the batch is stored and acknowledged)")

    def _append_journal(self, batch: list[_Pending]) -> None:
        assert self._journal is not None
        try:
            self._journal.append(
                [
                    encode_record(int(p.raw.received_at.timestamp() * 1_000_000), p.raw.peer, p.raw.raw)
                    for p in batch
                ]
            )
        except Exception:  # a full or failing disk: nothing is acknowledged, the loggers re-send
            log.exception("journal append failed for %d packets; not acknowledged", len(batch))
            self._loop.call_soon_threadsafe(_release_all, batch)
            return
        self._stats.batches += 1
        self._loop.call_soon_threadsafe(_acknowledge_all, batch)


def _acknowledge_all(batch: list[_Pending]) -> None:
    if not batch:
        return
    server = batch[0].conn.server
    stats = server.stats
    now = time.monotonic()
    # Each connection's answers in this batch leave in one write (one send() instead of one per packet);
    # what else is written to a connection meanwhile (a command from an observer) is queued in between,
    # so the bytes on the wire are the same, in the same order.
    corked: list[HJ212Connection] = []
    try:
        for item in batch:
            conn = item.conn
            if conn.cork():
                corked.append(conn)
            conn.acknowledge(item.packet)
            stats.online_mns[item.packet.mn] = now
    finally:
        for conn in corked:
            conn.uncork()
    stats.packets_stored += len(batch)
    stats.last_packet_at = dt.datetime.now(dt.UTC)
    server.dequeued(len(batch))


def _abort_quietly(transport: asyncio.Transport) -> None:
    with contextlib.suppress(Exception):  # already closed: nothing to do
        transport.abort()


def _release_all(batch: list[_Pending]) -> None:
    for item in batch:
        item.conn.release()
    if batch:
        batch[0].conn.server.dequeued(len(batch))


class HJ212Connection(asyncio.Protocol):
    """One data logger's TCP connection."""

    def __init__(self, server: IngestServer) -> None:
        self.server = server
        self._settings = server.settings
        # journal mode answers without the CP items (the loader decodes the packet again to store it): a plain
        # data CP is checked whole and its items parsed only if something asks for them
        self._framer = Framer(
            max_packet_bytes=self._settings.max_packet_bytes, lazy_items=server.journal is not None
        )
        # a logger sends one split message at a time; a few in parallel is plenty (memory per connection)
        self._reassembler = Reassembler(max_pending=MAX_SPLIT_MESSAGES)
        self._transport: asyncio.Transport | None = None
        self._pending = 0
        self._paused = False
        self._write_paused = False
        self._admitted = False
        self._closing = False
        self._bad = 0
        self.peer = "?"
        self.address = "?"
        self.last_frame_at = time.monotonic()  # last complete good frame (or the connection's start)
        self.frame_started_at: float | None = None  # first byte of the frame being received
        self._corked: list[bytes] | None = None  # writes held by cork() until uncork()

    # asyncio.Protocol -------------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement the interface without subclassing asyncio.Transport.
        self._transport = cast(asyncio.Transport, transport)
        peername = self._transport.get_extra_info("peername")
        self.peer = f"{peername[0]}:{peername[1]}" if peername else "?"
        self.address = str(peername[0]) if peername else "?"
        refusal = self.server.addresses.admit(self.address)
        if refusal is not None:
            self.server.refuse_connection(self, refusal)
            self._closing = True
            self._transport.abort()  # at once: no handshake, no buffers, no timers
            return
        self._admitted = True
        self.server.connections.add(self)
        self.server.stats.connections += 1
        self.server.stats.connections_total += 1

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.unlink(self)
        if self._admitted:
            self._admitted = False
            self.server.connections.discard(self)
            self.server.stats.connections -= 1
            self.server.addresses.release(self.address)
        self._transport = None

    def pause_writing(self) -> None:
        # the peer does not read its answers: stop reading its packets until it does
        self._write_paused = True
        self.update_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        self.update_reading()

    def data_received(self, data: bytes) -> None:
        for i in range(0, len(data), FEED_BYTES):
            if self._closing:
                return  # over budget: the rest is not even looked at
            self._feed(data[i : i + FEED_BYTES])

    def _feed(self, data: bytes) -> None:
        framer = self._framer
        garbage = framer.garbage_bytes
        budget = self._settings.max_bad_frames_per_connection - self._bad
        frames = framer.feed(data, max_errors=max(1, budget))
        for frame in frames:
            if self._closing:
                return
            if isinstance(frame, FrameError):
                self._on_bad_frame(frame)
                continue
            refusal = self.server.auth.check(frame.mn, frame.pw)
            if frame.cn.startswith("90"):  # a logger's answer to one of our requests: nothing to answer
                if refusal is None:
                    self.last_frame_at = time.monotonic()
                    self.server.link(frame.mn, self)
                    self.server.observe(frame)
                continue
            if refusal is not None:  # before reassembly: unauthenticated parts are never held
                self._refuse(frame, refusal)
                continue
            try:
                whole = self._reassembler.add(frame)
            except Hj212Error as exc:
                self._on_bad_frame(FrameError(raw=frame.raw, error=exc))
                continue
            self.last_frame_at = time.monotonic()
            self.server.link(frame.mn, self)
            if whole is not None:
                if whole.cn not in DATA_CNS:  # an answer to a query (1011, 3020 …): seen in arrival order
                    self.server.observe(whole)
                self._on_packet(whole)
        # every GARBAGE_FRAMES frames' worth of bytes outside any frame counts as one bad frame
        limit = GARBAGE_FRAMES * self._settings.max_packet_bytes
        for _ in range(framer.garbage_bytes // limit - garbage // limit):
            if not self._closing:
                self._count_bad("frame: garbage", None)
        if framer.pending:
            # the frame held now began in this data if a frame was completed by it (pipelining)
            if self.frame_started_at is None or frames:
                self.frame_started_at = time.monotonic()
        else:
            self.frame_started_at = None

    # packets ----------------------------------------------------------------------------------------------
    def _on_bad_frame(self, frame: FrameError) -> None:
        self.server.stats.frames_bad += 1
        reply = error_reply(frame.raw, frame.error)
        if reply is not None:
            self._write(reply)
        self._count_bad(f"frame: {frame.error.reason}", frame.raw, detail=str(frame.error))

    def _count_bad(self, reason: str, raw: bytes | None, *, mn: str | None = None, detail: str = "") -> None:
        """Sample the rejection into the log, charge the connection's and the address's budgets."""
        self.server.reject(self, reason, raw, mn=mn, detail=detail)
        self._bad += 1
        if self.server.addresses.bad_frame(self.address):
            log.warning(
                "address %s over its bad-frame budget: new connections refused for %.0f s",
                self.address,
                self._settings.address_ban_s,
            )
        if self._bad >= self._settings.max_bad_frames_per_connection:
            self.server.stats.connections_over_budget += 1
            if self.server.sampler.offer((self.address, "closed: bad-frame budget")):
                log.warning("closing %s after %d bad frames", self.peer, self._bad)
            self.close()

    def _on_packet(self, packet: Packet) -> None:
        """A whole packet from an authenticated logger (MN and PW were checked on each part)."""
        if packet.data_time is not None:
            now = self.server.clock()
            bad_time = time_refusal(packet.data_time, self.server.data_time, now, KIND_BY_CN.get(packet.cn))
            if bad_time is not None:
                self.server.stats.packets_rejected += 1
                if packet.reply_required:
                    self._write(build_reply(packet, "9011", QnRtn=QnRtn.REJECTED))
                self._count_bad(bad_time.reason, packet.raw, mn=packet.mn, detail=bad_time.message)
                return
        raw = RawPacket.of(packet, received_at=dt.datetime.now(dt.UTC), peer=self.peer)
        self._pending += 1
        self.update_reading()
        self.server.enqueue(_Pending(packet=packet, raw=raw, conn=self))

    def _refuse(self, packet: Packet, qn_rtn: int) -> None:
        self.server.stats.packets_rejected += 1
        unknown = qn_rtn == QN_RTN_MN_WRONG
        if packet.reply_required:
            self._write(build_reply(packet, "9011", QnRtn=qn_rtn))
        self._count_bad(
            "auth: mn unknown" if unknown else "auth: pw wrong",
            packet.raw,
            mn=packet.mn,
            detail=messages.MN_UNKNOWN if unknown else messages.PW_WRONG,
        )

    def acknowledge(self, packet: Packet) -> None:
        """Called on the loop after the packet is durably stored."""
        self.release()
        if packet.reply_required:
            cn = "9014" if packet.cn in DATA_CNS or packet.cn == "3020" else "9011"
            self._write(build_reply(packet, cn) if cn == "9014" else build_reply(packet, cn, QnRtn=1))
        if packet.cn in DATA_CNS:  # data (also history sent for a back-fill request): seen once stored
            self.server.observe(packet)

    def send(self, data: bytes) -> bool:
        """Write a frame of ours (a command to the logger); False when the connection is gone."""
        if self._transport is None or self._transport.is_closing() or self._closing:
            return False
        if self._corked is not None:
            self._corked.append(data)
        else:
            self._transport.write(data)
        return True

    def cork(self) -> bool:
        """Hold this connection's writes until :meth:`uncork` (True if it was not held already)."""
        if self._corked is not None:
            return False
        self._corked = []
        return True

    def uncork(self) -> None:
        """Write what was held, in one write."""
        held, self._corked = self._corked, None
        if held and self._transport is not None and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def release(self) -> None:
        self._pending -= 1
        self.update_reading()

    def update_reading(self) -> None:
        """Read while fewer than max_pending packets await the store, the writer's queue is not full and the
        peer reads its answers."""
        limit = self._settings.max_pending_per_connection
        held = self._write_paused or self.server.queue_full or self.server.journal_full
        pause = held or self._pending >= (limit // 2 if self._paused else limit)
        if pause == self._paused or self._transport is None or self._closing:
            return
        self._paused = pause
        if pause:
            self._transport.pause_reading()
        else:
            self._transport.resume_reading()

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            if self._corked is not None:
                self._corked.append(data)
            else:
                self._transport.write(data)

    @property
    def awaiting(self) -> int:
        """Packets of this connection handed to the store and not yet acknowledged."""
        return self._pending

    def close(self) -> None:
        """Close after the answers already written are sent (aborted if the peer does not take them)."""
        self._closing = True
        self.uncork()  # what was written before closing still goes out
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.close()
            asyncio.get_running_loop().call_later(CLOSE_GRACE_S, _abort_quietly, transport)

    def abort(self) -> None:
        """Drop the connection at once."""
        self._closing = True
        self.uncork()  # as if written before: the kernel may have sent it already
        if self._transport is not None:
            self._transport.abort()


class IngestServer:
    """The HJ 212 receiver. ``await start()``, then ``await stop()``."""

    def __init__(
        self,
        *,
        settings: IngestSettings,
        store: MeasurementStore,
        auth: AuthCache,
        data_time: DataTimeSettings | None = None,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        after_commit: AfterCommit | None = None,
        journal: JournalAppender | None = None,
    ) -> None:
        self.after_commit = after_commit
        self.journal = journal  # journal mode: acknowledged after the journal append (ingest.journal)
        self.settings = settings
        self.store = store
        self.auth = auth
        self.data_time = data_time or DataTimeSettings()
        self.clock = clock  # wall clock for DataTime checks (tests pin it)
        self.stats = IngestStats()
        self.addresses = AddressBook(settings)
        self.sampler = RejectSampler(settings.reject_sample_interval_s)
        self.connections: set[HJ212Connection] = set()
        # MN -> the connection its last authenticated frame came on (commands go out on it)
        self.links: dict[str, HJ212Connection] = {}
        # called on the loop with every authenticated answer (90xx) and every stored packet; must be cheap
        self.observers: list[Callable[[Packet], None]] = []
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self.writer: StoreWriter
        self._loop: asyncio.AbstractEventLoop
        self._outbox: list[_Pending] = []  # accepted this turn of the event loop, handed over at its end
        self.queued = 0  # accepted packets handed to the writer and not yet acknowledged or released
        self.queue_full = False  # every connection stops reading until ``queued`` is down to half the bound
        # journal mode: the loader is journal_max_backlog_mb behind; every connection stops reading
        self.journal_full = False

    @property
    def port(self) -> int:
        assert self._server is not None
        sock = self._server.sockets[0]
        return int(sock.getsockname()[1])

    async def start(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        self.writer = StoreWriter(
            self.store,
            loop,
            self.settings,
            self.stats,
            self.after_commit,
            journal=self.journal,
        )
        self.writer.start()
        factory: Callable[[], HJ212Connection] = lambda: HJ212Connection(self)  # noqa: E731
        # a modest backlog: asyncio accepts up to this many connections per loop iteration
        self._server = await loop.create_server(
            factory,
            self.settings.host,
            self.settings.port,
            backlog=256,
            reuse_address=True,
            reuse_port=self.settings.reuse_port or None,
        )
        self._sweeper = asyncio.create_task(self._sweep(), name="hj212-sweeper")
        log.info(
            "HJ 212 receiver listening on %s:%d (at most %d connections, %d per address)",
            self.settings.host,
            self.port,
            self.addresses.max_connections,
            self.settings.max_connections_per_address,
        )

    # the writer's bounded queue -----------------------------------------------------------------------------
    def enqueue(self, item: _Pending) -> None:
        """Hand an accepted packet to the writer (with the others of this turn of the event loop, at its end);
        at the bound every connection stops reading."""
        self.queued += 1
        if not self._outbox:
            self._loop.call_soon(self._flush_outbox)
        self._outbox.append(item)
        if not self.queue_full and self.queued >= self.settings.max_queued_packets:
            self.queue_full = True
            self.stats.queue_full += 1
            self._update_all()

    def _flush_outbox(self) -> None:
        if self._outbox:
            items, self._outbox = self._outbox, []
            self.writer.submit(items)

    def dequeued(self, count: int) -> None:
        """``count`` packets left the writer (acknowledged or released); at half the bound reading resumes."""
        self.queued -= count
        if self.queue_full and self.queued <= self.settings.max_queued_packets // 2:
            self.queue_full = False
            self._update_all()

    async def _check_journal_backlog(self) -> None:
        """Journal mode: every connection stops reading while the loader has ``journal_max_backlog_mb`` of
        this receiver's journal left to store, and reads again once it is down to half of that."""
        if self.journal is None:
            return
        backlog = await asyncio.to_thread(self.journal.backlog_bytes)
        limit = self.settings.journal_max_backlog_mb * 2**20
        full = backlog > limit / 2 if self.journal_full else backlog >= limit
        if full == self.journal_full:
            return
        if full:
            self.stats.journal_full += 1
            log.warning("journal loader %.1f MB behind: connections paused", backlog / 2**20)
        self.journal_full = full
        self._update_all()

    def _update_all(self) -> None:
        for conn in list(self.connections):
            conn.update_reading()

    # live links (remote commands) -------------------------------------------------------------------------
    def link(self, mn: str, conn: HJ212Connection) -> None:
        if self.links.get(mn) is not conn:
            self.links[mn] = conn

    def unlink(self, conn: HJ212Connection) -> None:
        for mn in [m for m, c in self.links.items() if c is conn]:
            del self.links[mn]

    def observe(self, packet: Packet) -> None:
        for observer in self.observers:
            try:
                observer(packet)
            except Exception:  # an observer must never break the receiver
                log.exception("packet observer failed")

    def send_to(self, mn: str, data: bytes) -> bool:
        """Write ``data`` on the live connection of ``mn`` (call on the loop); False when not connected."""
        conn = self.links.get(mn)
        return conn is not None and conn.send(data)

    # budgets ----------------------------------------------------------------------------------------------
    def refuse_connection(self, conn: HJ212Connection, why: str) -> None:
        self.stats.connections_refused += 1
        self.stats.rejected_by_reason[f"connection: {why}"] += 1
        if self.sampler.offer((conn.address, f"connection: {why}")):
            log.warning("refused a connection from %s: %s", conn.address, why)

    def reject(
        self, conn: HJ212Connection, reason: str, raw: bytes | None, *, mn: str | None, detail: str
    ) -> None:
        """Count a rejection; the first of its (address, reason) in an interval is logged and stored."""
        self.stats.rejected_by_reason[reason] += 1
        if not self.sampler.offer((conn.address, reason)):
            return
        self.stats.rejected_logged += 1
        log.warning("rejected from %s (MN %s): %s %s", conn.peer, mn or "?", reason, detail)
        if raw is not None:
            row = RejectedPacket(
                received_at=dt.datetime.now(dt.UTC),
                peer=conn.peer,
                mn=mn,
                raw=raw[: self.settings.max_packet_bytes],
                reason=f"{reason}: {detail}" if detail else reason,
            )
            if not self.writer.submit_rejected(row):
                self.stats.rejected_log_dropped += 1

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
        self._flush_outbox()
        await asyncio.to_thread(self.writer.stop)

    async def _sweep(self) -> None:
        """Close idle and slow connections, log the sampled rejection counts, reload the credentials."""
        settings = self.settings
        interval = max(0.05, min(1.0, settings.idle_timeout_s / 4, settings.frame_timeout_s / 4))
        last_refresh = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            idle_cutoff = now - settings.idle_timeout_s
            frame_cutoff = now - settings.frame_timeout_s
            # a connection still owed acknowledgements is waiting for the store, not idle (a slow commit must
            # not cut it off before its packets are answered); nor is one this receiver stopped reading
            # (every connection waits for the store or the journal loader)
            held = self.queue_full or self.journal_full
            for conn in list(self.connections):
                started = conn.frame_started_at
                idle = conn.last_frame_at < idle_cutoff and conn.awaiting == 0 and not held
                if idle or (started is not None and started < frame_cutoff):
                    self.stats.connections_timed_out += 1
                    why = "idle" if idle else "frame not completed in time"
                    if self.sampler.offer((conn.address, f"timeout: {why}")):
                        log.info("closing %s: %s", conn.peer, why)
                    conn.abort()
            for (address, reason), count in self.sampler.drain():
                log.warning("%d more from %s: %s (not logged one by one)", count, address, reason)
            self.addresses.prune()
            await self._check_journal_backlog()
            if now - last_refresh >= 5.0:
                last_refresh = now
                await asyncio.to_thread(self.auth.refresh_if_stale)
