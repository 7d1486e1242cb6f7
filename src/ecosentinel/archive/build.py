"""Seal closed days of the measurement store into Parquet partitions and chain each one.

The store stays the source of truth and is append-only (a re-sent reading inserts nothing), so a partition
never changes once sealed: what arrives later for a sealed day and group (a logger's late re-sends, an
import of old data) is sealed as the next part of that day and group, holding only rows no earlier part
has. Building twice seals nothing new.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import logging
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from ecosentinel.archive.chain import Entry, append_entry, file_sha256, read_chain
from ecosentinel.archive.layout import (
    DEFAULT_BUCKETS,
    LOCK,
    PACKETS,
    READINGS,
    Layout,
    day_bounds,
    day_of,
    open_layout,
)
from ecosentinel.readings import ReadingRow
from ecosentinel.store.base import MeasurementStore, RawPacket, from_epoch_us

logger = logging.getLogger(__name__)

DEFAULT_GRACE = dt.timedelta(hours=2)
"""A day is closed (sealed) this long after it ends: day values (CN 2031) arrive after midnight."""
ROW_GROUP_ROWS = 128 * 1024
"""Rows per Parquet row group: small enough that a filter on mn or time skips most of a file."""

READING_KEY = ["mn", "code", "kind", "time", "source"]
READING_ORDER = ["mn", "code", "kind", "source", "time"]
PACKET_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "time": pl.Datetime("us", "UTC"),  # data time, or receive time for packets without one
    "cn": pl.Utf8(),
    "qn": pl.Utf8(),
    "data_time": pl.Datetime("us", "UTC"),
    "received_at": pl.Datetime("us", "UTC"),
    "peer": pl.Utf8(),
    "digest": pl.Utf8(),  # SHA-256 of mn, cn, qn, data time and raw bytes: the packet's identity
    "raw": pl.Binary(),
}


@dataclass(slots=True)
class BuildResult:
    """What one build sealed."""

    entries: list[Entry] = field(default_factory=list)
    days: set[dt.date] = field(default_factory=set)

    @property
    def partitions(self) -> int:
        return len(self.entries)

    @property
    def rows(self) -> int:
        return sum(e.rows for e in self.entries if e.dataset == READINGS)


def first_open_day(now: dt.datetime, grace: dt.timedelta = DEFAULT_GRACE) -> dt.date:
    """The first day not yet closed at ``now``: every earlier day may be sealed."""
    return day_of(now - grace)  # that day ends after now - grace: still open; every earlier one is closed


def earliest_reading(url: str) -> dt.datetime | None:
    """Time of the oldest reading in the store at ``url`` (one index seek per point and data kind)."""
    from ecosentinel.database import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            value = conn.execute(
                sa.text(
                    "SELECT MIN((SELECT MIN(r.t) FROM ms_reading r WHERE r.station_id = p.station_id "
                    "AND r.kind = p.kind)) FROM (SELECT DISTINCT station_id, kind FROM ms_series) p"
                )
            ).scalar()
    finally:
        engine.dispose()
    return None if value is None else dt.datetime.fromtimestamp(int(value), dt.UTC)


@contextlib.contextmanager
def locked(layout: Layout) -> Iterator[None]:
    """One builder at a time per archive (the ingest archiver and a command may run together)."""
    with (layout.root / LOCK).open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (a file created, renamed or removed in it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_partition(frame: pl.DataFrame, target: Path) -> None:
    """Write atomically: a temporary file, fsynced, renamed over the target, directory fsynced."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    frame.write_parquet(tmp, compression="zstd", statistics=True, row_group_size=ROW_GROUP_ROWS)
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    tmp.replace(target)
    fsync_dir(target.parent)


def packets_frame(packets: Iterable[RawPacket]) -> pl.DataFrame:
    """Raw packets as a frame in PACKET_SCHEMA."""
    rows = []
    for p in packets:
        ident = f"{p.mn}|{p.cn}|{p.qn or ''}|{'' if p.data_time is None else p.data_time.isoformat()}|"
        rows.append(
            {
                "mn": p.mn,
                "time": (p.data_time or p.received_at).astimezone(dt.UTC),
                "cn": p.cn,
                "qn": p.qn,
                "data_time": None if p.data_time is None else p.data_time.astimezone(dt.UTC),
                "received_at": p.received_at.astimezone(dt.UTC),
                "peer": p.peer,
                "digest": hashlib.sha256(ident.encode() + p.raw).hexdigest(),
                "raw": p.raw,
            }
        )
    return pl.DataFrame(rows, schema=PACKET_SCHEMA)


def seal_partition(
    layout: Layout,
    dataset: str,
    day: dt.date,
    bucket: int,
    part: int,
    frame: pl.DataFrame,
    previous: Entry | None,
    *,
    presorted: bool = False,
) -> Entry:
    """Write one non-empty partition file (sorted, zstd, row groups, atomically) and chain it after
    ``previous`` (the chain's last entry). The caller holds the archive's lock (``locked``).

    ``presorted``: the frame is already in the dataset's order (a generator that builds it so skips the
    sort; the order is what readers and the docs promise, so only say so when it holds).
    """
    if not presorted:
        frame = frame.sort(READING_ORDER if dataset == READINGS else ["mn", "time", "digest"])
    relative = layout.relative_path(dataset, day, bucket, part)
    target = layout.root / relative
    _write_partition(frame, target)
    times = frame.select(pl.col("time").min().alias("lo"), pl.col("time").max().alias("hi")).row(0)
    return append_entry(
        layout,
        {
            "dataset": dataset,
            "day": day.isoformat(),
            "bucket": bucket,
            "part": part,
            "path": relative,
            "rows": frame.height,
            "bytes": target.stat().st_size,
            "sha256": file_sha256(target),
            "mns": sorted(frame["mn"].unique().to_list()),
            "min_time": times[0].isoformat(),
            "max_time": times[1].isoformat(),
            "sealed_at": dt.datetime.now(dt.UTC).isoformat(),
        },
        previous,
    )


class Builder:
    """Seals days of one store into one archive."""

    def __init__(
        self, store: MeasurementStore, root: Path, *, buckets: int = DEFAULT_BUCKETS, packets: bool = True
    ) -> None:
        self.store = store
        self.layout = open_layout(root, create=True, buckets=buckets)
        self.packets = packets

    def last_sealed_day(self) -> dt.date | None:
        days = [e.day for e in read_chain(self.layout) if e.dataset == READINGS]
        return dt.date.fromisoformat(max(days)) if days else None

    def build(self, days: Iterable[dt.date], *, until: dt.date) -> BuildResult:
        """Seal each of ``days`` before ``until`` (the first open day); others are left for later."""
        wanted = sorted({d for d in days if d < until})
        result = BuildResult()
        if not wanted:
            return result
        with locked(self.layout):
            chain = read_chain(self.layout)
            parts: dict[tuple[str, str, int], list[Entry]] = defaultdict(list)
            for entry in chain:
                parts[(entry.dataset, entry.day, entry.bucket)].append(entry)
            last = chain[-1] if chain else None
            by_bucket: dict[int, list[str]] = defaultdict(list)
            for mn in self.store.list_points():
                by_bucket[self.layout.bucket_of(mn)].append(mn)
            for day in wanted:
                start, end = day_bounds(day)
                for bucket in sorted(by_bucket):
                    mns = by_bucket[bucket]
                    frame = self.store.read_window(start=start, end=end, mns=mns)
                    last = self._seal(READINGS, day, bucket, frame, READING_KEY, parts, last, result)
                    if self.packets:
                        packets = [
                            p for mn in mns for p in self.store.raw_packets(mn=mn, start=start, end=end)
                        ]
                        last = self._seal(
                            PACKETS, day, bucket, packets_frame(packets), ["digest"], parts, last, result
                        )
        if result.entries:
            logger.info(
                "archive: sealed %d partitions, %d readings, days %s",
                result.partitions,
                result.rows,
                ", ".join(sorted(d.isoformat() for d in result.days)),
            )
        return result

    def _seal(
        self,
        dataset: str,
        day: dt.date,
        bucket: int,
        frame: pl.DataFrame,
        key: list[str],
        parts: dict[tuple[str, str, int], list[Entry]],
        last: Entry | None,
        result: BuildResult,
    ) -> Entry | None:
        if frame.height == 0:
            return last
        earlier = parts[(dataset, day.isoformat(), bucket)]
        if earlier:
            sealed = pl.concat(
                [pl.read_parquet(self.layout.root / e.path, columns=key) for e in earlier], how="vertical"
            )
            frame = frame.join(sealed, on=key, how="anti", nulls_equal=True)
            if frame.height == 0:
                return last
        part = max((e.part for e in earlier), default=-1) + 1
        entry = seal_partition(self.layout, dataset, day, bucket, part, frame, last)
        earlier.append(entry)
        result.entries.append(entry)
        result.days.add(day)
        return entry


def build_archive(
    store: MeasurementStore,
    root: Path,
    *,
    url: str | None = None,
    first: dt.date | None = None,
    until: dt.date | None = None,
    days: Iterable[dt.date] | None = None,
    now: dt.datetime | None = None,
    grace: dt.timedelta = DEFAULT_GRACE,
    packets: bool = True,
) -> BuildResult:
    """Seal closed days into the archive at ``root``.

    ``days`` seals exactly those (the closed ones); otherwise the range [first, until) where ``first``
    defaults to the last sealed day (re-checked for late data) or, on an empty archive, the day of the
    store's oldest reading (``url`` needed then), and ``until`` to the first day still open at ``now``.
    """
    builder = Builder(store, root, packets=packets)
    open_day = first_open_day(now or dt.datetime.now(dt.UTC), grace)
    until = min(until, open_day) if until is not None else open_day
    if days is None:
        if first is None:
            first = builder.last_sealed_day()
        if first is None and url is not None:
            oldest = earliest_reading(url)
            first = None if oldest is None else day_of(oldest)
        if first is None:
            return BuildResult()
        days = [first + dt.timedelta(days=i) for i in range(max(0, (until - first).days))]
    return builder.build(days, until=until)


def days_of_frame(frame: pl.DataFrame) -> set[dt.date]:
    """The China-Standard-Time days a readings frame's times span (from its first to its last)."""
    if frame.height == 0 or "time" not in frame.columns:
        return set()
    lo, hi = frame.select(pl.col("time").min(), pl.col("time").max().alias("hi")).row(0)
    return _days_spanned(lo, hi)


def days_of_rows(rows: Sequence[ReadingRow]) -> set[dt.date]:
    """The China-Standard-Time days reading rows' times span (from the first to the last)."""
    if not rows:
        return set()
    times = [r[3] for r in rows]
    return _days_spanned(from_epoch_us(min(times)), from_epoch_us(max(times)))


def _days_spanned(lo: dt.datetime, hi: dt.datetime) -> set[dt.date]:
    first, last = day_of(lo), day_of(hi)
    return {first + dt.timedelta(days=i) for i in range((last - first).days + 1)}
