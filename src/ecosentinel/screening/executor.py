"""Executors: screen many points over one window, in-process or in a process pool, by the same code path.

Work splits by point. ``screen_chunk`` reads a chunk of points from the measurement store and runs the pure
per-point function ``screen_point`` on each; the in-process executor calls it directly, the process pool
calls it in worker processes that open the store themselves from its URL (only the URL, the point list,
contexts and configuration travel; findings come back). A Spark executor would call ``screen_point`` from
``groupBy(mn).applyInArrow``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ecosentinel.archive.layout import open_layout
from ecosentinel.archive.reader import ARCHIVE_URL_PREFIX, ArchiveReader
from ecosentinel.detection.base import split_contiguous
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.engine import screen_point
from ecosentinel.detection.findings import Finding
from ecosentinel.detection.rules.q01_standard_check import StandardCheckRule
from ecosentinel.errors import EcoSentinelError
from ecosentinel.screening.contextload import guess_point_type
from ecosentinel.store.base import MeasurementStore, open_store
from ecosentinel.store.sqlite import SqliteStore

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_READINGS = 1_000_000
"""About how many readings one chunk reads and screens at most: a process's memory grows with its chunk
(measured: a worker peaked at about 2 GB on 8 points x 30 days of minute data, 2.8 million readings), so
the points per chunk follow the window length and the data's resolution instead of being fixed."""
MAX_CHUNK_POINTS = 32
"""Points per chunk at most, however sparse their data (one read per chunk, the point list in its SQL)."""
EXPECTED_SERIES_PER_POINT = 8
EXPECTED_STEP = dt.timedelta(minutes=1)
"""Before the first chunk comes back, a point is expected to send 8 series of minute data (the densest
data screening usually gets); what the chunks read then replaces the guess."""


def expected_readings(start: dt.datetime, end: dt.datetime) -> float:
    """Readings one point is expected to have in [start, end) before any was read."""
    return max(0.0, (end - start) / EXPECTED_STEP) * EXPECTED_SERIES_PER_POINT


JEMALLOC_CONF = "_RJEM_MALLOC_CONF"
WORKER_JEMALLOC = "dirty_decay_ms:30000,muzzy_decay_ms:30000"
WORKER_GLIBC_ENV: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(64 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(256 * 2**20),
}
"""The memory allocators of the pool's worker processes keep freed memory for reuse instead of handing it
back to the kernel at once: polars' jemalloc purges freed pages after 30 s instead of 0.5-1 s (polars'
own setting); glibc's malloc (numpy) serves blocks up to 64 MiB from its heap instead of fresh mmap()s
and trims the heap only past 256 MiB free. A rule run allocates and frees many frames and arrays of a
month of minute values (hundreds of KB each); pages handed back come back as page faults at the next
allocation. Measured on bench city, 32 points x 30 days, in-process with the variables set: 1.04 million
minor page faults -> 0.18 million, 2.4 -> 0.7 s of system time, 14.1 -> 12.2 CPU-s; with 2 workers
15.5 / 15.1 -> 13.9 / 14.0 CPU-s (alternating runs), peak RSS unchanged (largest worker 540-600 MiB
either way)."""


def _jemalloc_conf(current: str | None) -> str | None:
    """``current`` (polars sets ``_RJEM_MALLOC_CONF`` when imported: its defaults, then any setting the
    user gave before) with the workers' decay appended (later settings win), unless the user set a decay
    already; None to leave it as it is."""
    if current is None:
        return WORKER_JEMALLOC
    user = current.split(",")[2:] if current.startswith("dirty_decay_ms:500,muzzy_decay_ms:1000") else []
    if any("decay_ms" in part for part in user) or not current.startswith("dirty_decay_ms:"):
        return None
    return f"{current},{WORKER_JEMALLOC}"


@contextlib.contextmanager
def worker_allocator_env() -> Iterator[None]:
    """The workers' allocator settings in this process's environment while a pool starts (a variable the
    user set is kept): both allocators read them when a process starts, and the forkserver the workers
    fork from inherits the environment when it starts (a forkserver already running from an earlier pool
    keeps its own; an in-process run, ``workers`` <= 1, keeps the allocator it started with). Restored
    afterwards."""
    before = {k: os.environ.get(k) for k in (JEMALLOC_CONF, *WORKER_GLIBC_ENV)}
    jemalloc = _jemalloc_conf(before[JEMALLOC_CONF])
    if jemalloc is not None:
        os.environ[JEMALLOC_CONF] = jemalloc
    for name, value in WORKER_GLIBC_ENV.items():
        os.environ.setdefault(name, value)
    try:
        yield
    finally:
        for name, previous in before.items():
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous


Progress = Callable[[int, int], None]
"""Called with (points done, points total) after each chunk."""


@dataclass(slots=True)
class ChunkResult:
    """What one chunk produced, with the time spent reading and screening."""

    mns: list[str]
    findings: list[Finding]
    readings: int
    read_s: float
    screen_s: float
    cpu_s: float = 0.0  # CPU time of the process that ran the chunk (all its threads)


@dataclass(slots=True)
class ExecutionResult:
    """All findings of a pass (sorted by point, start, rule), with totals."""

    findings: list[Finding] = field(default_factory=list)
    points: int = 0
    readings: int = 0
    read_s: float = 0.0
    screen_s: float = 0.0
    cpu_s: float = 0.0
    pooled: bool = False  # ran in worker processes (their CPU time is in cpu_s, not in this process)

    def merge(self, other: ExecutionResult) -> None:
        """Add another pass over the same points (a later month of the window): findings, readings and
        times add up, the points are counted once."""
        self.findings = sort_findings([*self.findings, *other.findings])
        self.points = max(self.points, other.points)
        self.readings += other.readings
        self.read_s += other.read_s
        self.screen_s += other.screen_s
        self.cpu_s += other.cpu_s
        self.pooled = self.pooled or other.pooled

    def add(self, chunk: ChunkResult) -> None:
        self.findings.extend(chunk.findings)
        self.points += len(chunk.mns)
        self.readings += chunk.readings
        self.read_s += chunk.read_s
        self.screen_s += chunk.screen_s
        self.cpu_s += chunk.cpu_s


def sort_findings(findings: list[Finding]) -> list[Finding]:
    """Deterministic order of a pass's findings, whatever executor produced them."""
    return sorted(findings, key=lambda f: (f.mn, f.start, f.rule, f.factors, f.end, f.id))


def screen_frame(
    frame: pl.DataFrame, contexts: Mapping[str, PointContext], config: ScreeningConfig | None = None
) -> list[Finding]:
    """Screen a readings frame that may hold several points: one ``screen_point`` call per point."""
    config = config or ScreeningConfig()
    out: list[Finding] = []
    seen: set[str] = set()
    if frame.height:
        for (mn,), part in split_contiguous(frame, ("mn",)).items():
            mn = str(mn)
            seen.add(mn)
            context = contexts.get(mn) or PointContext(
                mn=mn, point_type=guess_point_type(mn, part["code"].unique().to_list())
            )
            out.extend(screen_point(part, context, config))
    # records are evidence without readings: a failed standard-sample check of a point that sent nothing
    for mn, context in contexts.items():
        if mn not in seen and context.standard_checks.height:
            out.extend(screen_point(frame.clear(), context, config, rules=[StandardCheckRule]))
    return out


def screen_chunk(
    store: MeasurementStore,
    mns: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    contexts: Mapping[str, PointContext],
    config: ScreeningConfig | None = None,
) -> ChunkResult:
    """Read ``mns`` over [start, end) from the store and screen them (the unit of work of every executor).
    Only the chunk's own contexts are screened: ``screen_frame`` screens the records (standard-sample
    checks) of every context it is given that has no readings in the frame, so a wider mapping would
    screen another chunk's records again with every chunk."""
    own = {mn: contexts[mn] for mn in mns if mn in contexts}
    cpu0, t0 = time.process_time(), time.perf_counter()
    frame = store.read_window(start=start, end=end, mns=list(mns))
    t1 = time.perf_counter()
    findings = screen_frame(frame, own, config)
    t2 = time.perf_counter()
    return ChunkResult(list(mns), findings, frame.height, t1 - t0, t2 - t1, time.process_time() - cpu0)


def open_reader(url: str) -> MeasurementStore:
    """The store to read readings from: the database at ``url``, or the Parquet archive of an
    ``archive:/path`` URL (``archive.reader.archive_url``)."""
    if url.startswith(ARCHIVE_URL_PREFIX):
        return ArchiveReader(Path(url.removeprefix(ARCHIVE_URL_PREFIX)))
    return open_store(url)


_worker_stores: dict[str, MeasurementStore] = {}


def worker_chunk(
    url: str,
    mns: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    contexts: Mapping[str, PointContext],
    config: ScreeningConfig | None,
) -> ChunkResult:
    """A chunk screened in a worker process (the pool's, or a Spark task's): the reader of ``url`` is
    opened once per process and kept."""
    store = _worker_stores.get(url)
    if store is None:
        store = _worker_stores[url] = open_reader(url)
        if isinstance(store, SqliteStore):
            store.arrow_reads = True  # a worker only reads: the faster Arrow reader is safe here
    return screen_chunk(store, mns, start, end, contexts, config)


def read_order(url: str, mns: Sequence[str], store: MeasurementStore | None = None) -> list[str]:
    """The points in the order their reads are cheapest. From the Parquet archive: grouped by point
    group (bucket), so a chunk reads the files of one or two buckets per day instead of up to one per
    point (measured on an 800-point x 2-day archive: the read's CPU time fell by about a quarter); from
    the store: as given. Findings are sorted afterwards, so the order changes no result."""
    layout = store.layout if isinstance(store, ArchiveReader) else None
    if layout is None and store is None and url.startswith(ARCHIVE_URL_PREFIX):
        try:
            layout = open_layout(Path(url.removeprefix(ARCHIVE_URL_PREFIX)))
        except EcoSentinelError:
            layout = None  # not an archive: the reader says so when it opens
    if layout is None:
        return list(mns)
    return sorted(mns, key=lambda mn: (layout.bucket_of(mn), mn))


def chunks(mns: Sequence[str], size: int) -> list[list[str]]:
    """Split points into chunks of ``size``."""
    size = max(1, size)
    return [list(mns[i : i + size]) for i in range(0, len(mns), size)]


class Chunker:
    """Cuts the points into chunks of about ``budget`` readings, learning the readings per point from the
    chunks already read: a fixed ``points`` per chunk when given; otherwise as many points as the budget
    allows at ``expected`` readings per point (from the window length, ``expected_readings``) until a
    chunk with readings came back, then at the densest rate seen so far (readings per point of one
    chunk). The window length and the data's resolution (minute, hour, real time; gaps) thus set the
    chunk size. Findings do not depend on it: each point is screened on its own."""

    def __init__(
        self, mns: Sequence[str], *, budget: int, points: int | None = None, expected: float = 0.0
    ) -> None:
        self.queue = list(mns)
        self.budget = max(1, budget)
        self.points = points
        self.expected = expected
        self.per_point = 0.0  # the densest readings per point seen in one chunk so far

    def __bool__(self) -> bool:
        return bool(self.queue)

    @property
    def learning(self) -> bool:
        """No chunk with readings came back yet (chunk sizes still rest on ``expected``)."""
        return self.points is None and self.per_point == 0

    def size(self) -> int:
        if self.points is not None:
            return max(1, self.points)
        per_point = self.per_point or self.expected
        if per_point <= 0:
            return 1
        return max(1, min(MAX_CHUNK_POINTS, int(self.budget // per_point)))

    def next(self) -> list[str]:
        size = self.size()
        part, self.queue = self.queue[:size], self.queue[size:]
        return part

    def observe(self, chunk: ChunkResult) -> None:
        if chunk.mns:
            self.per_point = max(self.per_point, chunk.readings / len(chunk.mns))


def execute(
    url: str,
    mns: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    contexts: Mapping[str, PointContext],
    *,
    config: ScreeningConfig | None = None,
    workers: int = 1,
    chunk_points: int | None = None,
    chunk_readings: int = DEFAULT_CHUNK_READINGS,
    store: MeasurementStore | None = None,
    progress: Progress | None = None,
) -> ExecutionResult:
    """Screen ``mns`` over [start, end): in-process when ``workers`` <= 1, else a pool of ``workers``.

    Chunks hold about ``chunk_readings`` readings (``Chunker``), or ``chunk_points`` points when given.
    ``store`` (in-process only) reuses an open store; otherwise one is opened from ``url``.
    """
    chunker = Chunker(
        read_order(url, mns, store),
        budget=chunk_readings,
        points=chunk_points,
        expected=expected_readings(start, end),
    )
    result = ExecutionResult()
    total = len(mns)
    if workers <= 1 or len(mns) <= chunker.size():  # one chunk: no pool to start
        own = store is None
        opened = store or open_reader(url)
        try:
            while chunker:
                chunk = screen_chunk(opened, chunker.next(), start, end, contexts, config)
                chunker.observe(chunk)
                result.add(chunk)
                if progress:
                    progress(result.points, total)
        finally:
            if own:
                opened.close()
    else:
        # forkserver: the workers fork from a clean server process that has imported the engine once (cheap
        # starts), never from this one (its polars thread pool and database connections are not fork-safe).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        result.pooled = True
        with worker_allocator_env(), ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending: set[Future[ChunkResult]] = set()
            while chunker or pending:
                # Bounded queue of submitted chunks keeps the parent's memory flat on long passes; until a
                # chunk has shown the data's density, one chunk per worker.
                while chunker and len(pending) < (workers if chunker.learning else 2 * workers):
                    part = chunker.next()
                    sub = {mn: contexts[mn] for mn in part if mn in contexts}  # only these travel
                    pending.add(pool.submit(worker_chunk, url, part, start, end, sub, config))
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    chunk = future.result()
                    chunker.observe(chunk)
                    result.add(chunk)
                    if progress:
                        progress(result.points, total)
    result.findings = sort_findings(result.findings)
    logger.info(
        "screened %d points, %d readings: %d findings (read %.2fs, screen %.2fs, %d workers)",
        result.points,
        result.readings,
        len(result.findings),
        result.read_s,
        result.screen_s,
        workers,
    )
    return result
