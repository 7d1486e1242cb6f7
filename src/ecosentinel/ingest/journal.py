"""The packet journal: acknowledge after an fsync'd append, load into the store behind it.

(docs/decisions/0003-ingest-journal.md, docs/ingest.md "Journal mode".) With ``ingest.journal`` on, a
receiver's writer thread appends each group of accepted packets (raw bytes, arrival time, peer) to a segment
file of its own journal directory and acknowledges them after ``fdatasync``; a loader process reads the
journals, decodes the packets again and commits them to the store in large transactions. The
acknowledgement costs an append and one fsync per group instead of building reading rows and a database
transaction, and a slow or restarting database delays the readings, not the loggers.

Layout under the journal root (``<data_dir>/journal`` unless configured)::

    r0/                      one directory per receiver process (its index)
        .writer.lock         flock held by the receiver writing here
        000000000001.journal segments: records appended, never rewritten; a new one at every start and
        000000000002.journal every ``SEGMENT_BYTES``
        loaded               the loader's progress: "<segment> <offset>" (written after each commit)
    quarantine/              segments with bytes the loader could not read (kept, never deleted)
    .loader.lock             flock held by the one loader (holds its pid)

A record is ``<IIqH`` (raw length, CRC-32 of the rest, arrival time in µs since the epoch, peer length), the
peer (UTF-8) and the raw bytes as received (a split message: its parts' frames one after the other).

What may be lost: nothing acknowledged. A record is acknowledged only after the ``fdatasync`` that follows
its append; bytes after the last complete record of a segment that was being written when its receiver died
were never acknowledged (the tail a crash tears). The loader commits before it records its progress and the
store keeps each reading once on its key and each raw packet once on its digest, so a record loaded twice
(after a crash between the commit and the progress file) is stored once. A segment is deleted only once
loaded and closed (a newer segment exists or no receiver holds its directory).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecosentinel.archive.build import fsync_dir
from ecosentinel.errors import ConfigError
from ecosentinel.ingest import messages
from ecosentinel.protocol.hj212 import Framer, Hj212Error, Packet, Reassembler, packet_reading_rows
from ecosentinel.readings import ReadingRow
from ecosentinel.store.base import MeasurementStore, RawPacket, RejectedPacket

log = logging.getLogger(__name__)

HEADER = struct.Struct("<IIqH")  # raw length, crc32 of what follows it, received_at (µs), peer length
SEGMENT_BYTES = 64 * 2**20
SUFFIX = ".journal"
WRITER_LOCK = ".writer.lock"
LOADER_LOCK = ".loader.lock"
PROGRESS = "loaded"
QUARANTINE = "quarantine"
MAX_RECORD_BYTES = 1 << 24  # a length beyond this is a torn or corrupt header, not a packet
READ_BYTES = 8 * 2**20
LOCK_TRIES = 100
LOCK_RETRY_S = 0.02


class JournalError(ConfigError):
    """The journal cannot be used as configured (its directory is held by another receiver)."""


@dataclass(frozen=True, slots=True)
class Record:
    received_us: int
    peer: str
    raw: bytes
    size: int  # bytes the record takes in its segment


def encode_record(received_us: int, peer: str, raw: bytes) -> bytes:
    peer_bytes = peer.encode("utf-8", "replace")[:65535]
    tail = HEADER.pack(len(raw), 0, received_us, len(peer_bytes))[8:]
    crc = _record_crc(tail, peer_bytes, raw)
    return HEADER.pack(len(raw), crc, received_us, len(peer_bytes)) + peer_bytes + raw


def _record_crc(tail: bytes | memoryview, peer: bytes | memoryview, raw: bytes | memoryview) -> int:
    """CRC-32 of a record after its CRC field: the header's tail (time, peer length), the peer, the raw."""
    return zlib.crc32(raw, zlib.crc32(peer, zlib.crc32(tail)))


def decode_records(data: bytes | memoryview) -> tuple[list[Record], int, bool]:
    """Complete records at the start of ``data``: (records, bytes they take, bad) where ``bad`` says the
    bytes after them are not a record's beginning (a CRC or length that does not hold) rather than merely
    an incomplete one."""
    view = memoryview(data)
    records: list[Record] = []
    pos = 0
    size = len(view)
    unpack = HEADER.unpack_from
    while pos + HEADER.size <= size:
        raw_len, crc, received_us, peer_len = unpack(view, pos)
        if raw_len > MAX_RECORD_BYTES:
            return records, pos, True
        end = pos + HEADER.size + peer_len + raw_len
        if end > size:
            break
        body = pos + HEADER.size
        peer = view[body : body + peer_len]
        raw = view[body + peer_len : end]
        tail = view[pos + 8 : body]
        if _record_crc(tail, peer, raw) != crc:
            return records, pos, True
        records.append(Record(received_us, bytes(peer).decode("utf-8", "replace"), bytes(raw), end - pos))
        pos = end
    return records, pos, False


def _segments(directory: Path) -> list[tuple[int, Path]]:
    found = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(directory):
            name = entry.name
            if name.endswith(SUFFIX) and name[: -len(SUFFIX)].isdigit():
                found.append((int(name[: -len(SUFFIX)]), Path(entry.path)))
    return sorted(found)


def _try_lock(path: Path) -> int | None:
    """An exclusive flock on ``path`` (created): its descriptor, or None when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def backlog_bytes(directory: Path) -> int:
    """Bytes of a writer's journal the loader has not stored yet (as far as its progress file says)."""
    segments = _segments(directory)  # before the progress: a segment deleted meanwhile was loaded
    done_seq, done_offset = _read_progress(directory)
    total = 0
    for seq, path in segments:
        if seq < done_seq:
            continue
        with contextlib.suppress(FileNotFoundError):
            total += path.stat().st_size - (done_offset if seq == done_seq else 0)
    return max(0, total)


class JournalAppender:
    """One receiver process's end of the journal: appends groups of records, each made durable at once."""

    def __init__(self, directory: Path, *, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        directory.mkdir(parents=True, exist_ok=True)
        lock = None
        for _ in range(LOCK_TRIES):  # the loader probes the lock for a moment to see if a writer is here
            lock = _try_lock(directory / WRITER_LOCK)
            if lock is not None:
                break
            time.sleep(LOCK_RETRY_S)
        if lock is None:
            raise JournalError(messages.JOURNAL_IN_USE.format(path=directory))
        self._lock_fd = lock
        # Past every segment still here and every one the loader has recorded (read in this order: the loader
        # records its progress before it deletes a segment), so a number is never used twice.
        existing = _segments(directory)
        self._seq = max(existing[-1][0] if existing else 0, _read_progress(directory)[0])
        self._fd = -1
        self._size = 0
        self._open_next()

    def _open_next(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
        self._seq += 1
        path = self.directory / f"{self._seq:012d}{SUFFIX}"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        self._size = 0
        fsync_dir(self.directory)  # the new file's name is durable before anything in it is acknowledged

    def append(self, records: Sequence[bytes]) -> None:
        """Append encoded records (:func:`encode_record`) and fdatasync: durable when this returns."""
        data = records[0] if len(records) == 1 else b"".join(records)
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fdatasync(self._fd)
        self._size += len(data)
        if self._size >= self.segment_bytes:
            self._open_next()

    def backlog_bytes(self) -> int:
        return backlog_bytes(self.directory)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = -1


def _read_progress(directory: Path) -> tuple[int, int]:
    try:
        seq, offset = (directory / PROGRESS).read_text().split()
        return int(seq), int(offset)
    except (OSError, ValueError):
        return 0, 0  # none yet, or torn by a crash: start again (loading twice stores once)


def _write_progress(directory: Path, seq: int, offset: int) -> None:
    tmp = directory / f".{PROGRESS}.tmp"
    tmp.write_text(f"{seq} {offset}\n")
    os.replace(tmp, directory / PROGRESS)


def loader_pid(root: Path) -> int | None:
    """The pid the running loader wrote into its lock file (None when no loader ever ran here)."""
    try:
        return int((root / LOADER_LOCK).read_text().strip())
    except (OSError, ValueError):
        return None


def _writer_active(directory: Path) -> bool:
    fd = _try_lock(directory / WRITER_LOCK)
    if fd is None:
        return True
    os.close(fd)
    return False


AfterCommit = Callable[[Sequence[ReadingRow]], None]
"""Called with each committed batch's readings (as rows), by the receiver's writer (after its
acknowledgements are scheduled) or by the journal loader (e.g. the archiver noting which days changed).
Must be quick; its errors are logged, never raised into the writer or the loader."""


class JournalLoader:
    """Reads every receiver's journal under ``root`` and commits its packets to the store, in order."""

    def __init__(
        self,
        root: Path,
        store: MeasurementStore,
        *,
        batch_packets: int = 4000,
        after_commit: AfterCommit | None = None,
        max_packet_bytes: int = 4096,
    ) -> None:
        self.root = root
        self.store = store
        self.batch_packets = batch_packets
        self.after_commit = after_commit
        self.max_packet_bytes = max_packet_bytes
        self.packets_loaded = 0
        self.packets_refused = 0
        root.mkdir(parents=True, exist_ok=True)
        self._lock_fd: int | None = None

    # the one loader ----------------------------------------------------------------------------------------
    def acquire(self, stop: threading.Event | None = None, poll_s: float = 0.2) -> bool:
        """Take the loader lock, waiting while another loader holds it; False if ``stop`` was set first."""
        while True:
            fd = _try_lock(self.root / LOADER_LOCK)
            if fd is not None:
                self._lock_fd = fd
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)  # who holds it (operators, the benchmark)
                return True
            if stop is not None and stop.wait(poll_s):
                return False
            if stop is None:
                time.sleep(poll_s)

    def release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # loading ------------------------------------------------------------------------------------------------
    def writer_dirs(self) -> list[Path]:
        with contextlib.suppress(FileNotFoundError):
            return sorted(p for p in self.root.iterdir() if p.is_dir() and p.name != QUARANTINE)
        return []

    def load_available(self) -> int:
        """One pass over every journal: load what is complete, delete closed loaded segments."""
        return sum(self._load_dir(directory) for directory in self.writer_dirs())

    def writers_active(self) -> bool:
        return any(_writer_active(d) for d in self.writer_dirs())

    def run(
        self,
        stop: threading.Event,
        *,
        poll_s: float = 0.05,
        drain_timeout_s: float = 60.0,
        orphaned: threading.Event | None = None,
    ) -> None:
        """Load until ``stop`` is set; then go on until every writer has gone and nothing is left, or the
        drain time is up (what is left stays in the journal for the next start). When ``orphaned`` is set
        (the process that started this one died, a successor will come) it stops after the pass it is in."""
        while not stop.is_set():
            try:
                loaded = self.load_available()
            except Exception:  # the database away, a full disk: keep the journal, try again
                log.exception(messages.JOURNAL_LOAD_FAILED)
                stop.wait(1.0)
                continue
            if not loaded:
                stop.wait(poll_s)
        if orphaned is not None and orphaned.is_set():
            return
        deadline = time.monotonic() + drain_timeout_s
        while time.monotonic() < deadline:
            active = self.writers_active()
            loaded = self.load_available()
            if not loaded and not active:
                return
            if not loaded:
                time.sleep(poll_s)
        log.warning(messages.JOURNAL_DRAIN_TIMEOUT.format(seconds=drain_timeout_s))

    def _load_dir(self, directory: Path) -> int:
        segments = _segments(directory)
        if not segments:
            return 0
        done_seq, done_offset = _read_progress(directory)
        writer_active = _writer_active(directory)
        loaded = 0
        for index, (seq, path) in enumerate(segments):
            closed = index < len(segments) - 1 or not writer_active
            if seq < done_seq:  # loaded before; its deletion was interrupted
                path.unlink(missing_ok=True)
                continue
            offset = done_offset if seq == done_seq else 0
            count, offset, bad = self._load_segment(path, seq, offset, directory)
            loaded += count
            if bad or (closed and offset < path.stat().st_size):
                self._quarantine(path, offset, bad)
                continue
            if not closed:
                break  # its writer goes on appending: the rest on the next pass
            path.unlink(missing_ok=True)
        return loaded

    def _load_segment(self, path: Path, seq: int, offset: int, directory: Path) -> tuple[int, int, bool]:
        """Load the complete records of a segment from ``offset``: (packets, new offset, bad bytes found).
        The progress file records each committed batch's end."""
        loaded = 0
        with path.open("rb") as fh:
            fh.seek(offset)
            pending = b""
            while True:
                chunk = fh.read(READ_BYTES)
                if not chunk:
                    return loaded, offset, False
                data = pending + chunk if pending else chunk
                records, used, bad = decode_records(data)
                for start in range(0, len(records), self.batch_packets):
                    batch = records[start : start + self.batch_packets]
                    self._commit(batch)
                    loaded += len(batch)
                    offset += sum(record.size for record in batch)
                    _write_progress(directory, seq, offset)
                if bad:
                    return loaded, offset, True
                pending = data[used:]

    def _commit(self, records: Sequence[Record]) -> None:
        packets: list[Packet] = []
        raws: list[RawPacket] = []
        refused: list[RejectedPacket] = []
        for record in records:
            received_at = dt.datetime.fromtimestamp(record.received_us / 1e6, dt.UTC)
            try:
                packet = self._decode(record.raw)
            except Hj212Error as exc:  # the receiver decoded it before acknowledging: a changed codec
                refused.append(
                    RejectedPacket(
                        received_at=received_at,
                        peer=record.peer,
                        mn=None,
                        raw=record.raw[: self.max_packet_bytes],
                        reason=f"journal: {exc}",
                    )
                )
                continue
            packets.append(packet)
            raws.append(RawPacket.of(packet, received_at=received_at, peer=record.peer, raw=record.raw))
        if refused:
            log.error(messages.JOURNAL_UNDECODABLE.format(count=len(refused)))
            self.store.append_rejected(refused)
            self.packets_refused += len(refused)
        if not packets:
            return
        rows = packet_reading_rows(packets)
        self.store.append_rows(rows, raws)
        self.packets_loaded += len(packets)
        if self.after_commit is not None:
            try:
                self.after_commit(rows)
            except Exception:
                log.exception("after-load hook failed (the batch is stored)")

    def _decode(self, raw: bytes) -> Packet:
        """The packet a record holds: one frame, or a split message's frames joined again."""
        framer = Framer(max_packet_bytes=max(self.max_packet_bytes, len(raw)))
        reassembler = Reassembler(max_pending=1)
        whole: Packet | None = None
        for frame in framer.feed(raw):
            if not isinstance(frame, Packet):
                raise frame.error
            whole = reassembler.add(frame)
        if whole is None or framer.pending:
            raise Hj212Error(messages.JOURNAL_INCOMPLETE, reason="journal")
        return whole

    def _quarantine(self, path: Path, offset: int, bad: bool) -> None:
        target = self.root / QUARANTINE
        target.mkdir(exist_ok=True)
        dest = target / f"{path.parent.name}-{path.name}"
        size = path.stat().st_size
        os.replace(path, dest)
        why = messages.JOURNAL_BAD_RECORD if bad else messages.JOURNAL_TORN_TAIL
        text = messages.JOURNAL_QUARANTINED.format(path=path, dest=dest, offset=offset, size=size, why=why)
        log.error(text)


def iter_records(path: Path) -> Iterator[Record]:
    """Every complete record of a segment (for inspection and tests)."""
    records, _, _ = decode_records(path.read_bytes())
    yield from records
