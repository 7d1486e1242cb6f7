"""Archive read throughput next to the store read, on the data ``bench screen`` prepared (issue 10).

For one size: seal every day into a Parquet archive (timed), then read the whole window and one point's
window from the store and from the archive (each read timed, best of ``repeat``); the two reads must return
the same number of readings.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ecosentinel.archive.build import build_archive
from ecosentinel.archive.layout import days_between
from ecosentinel.archive.reader import ArchiveReader
from ecosentinel.store.base import MeasurementStore, open_store


@dataclass(frozen=True, slots=True)
class ReadRow:
    points: int
    days: float
    readings: int
    build_s: float
    store_s: float
    archive_s: float
    point_readings: int
    store_point_s: float
    archive_point_s: float
    db_bytes: int
    archive_bytes: int

    def row(self) -> str:
        def rate(n: int, s: float) -> str:
            return f"{n / s:,.0f}" if s else "-"

        return (
            f"| {self.points} | {self.days:g} | {self.readings:,} | {self.build_s:.2f} "
            f"| {self.store_s:.2f} | {rate(self.readings, self.store_s)} "
            f"| {self.archive_s:.2f} | {rate(self.readings, self.archive_s)} "
            f"| {self.store_point_s:.3f} | {self.archive_point_s:.3f} "
            f"| {self.db_bytes / 2**20:,.1f} | {self.archive_bytes / 2**20:,.1f} |"
        )


HEADER = [
    "| points | days | readings | archive build s | store read s | store readings/s | archive read s "
    "| archive readings/s | one point: store s | one point: archive s | database MiB | archive MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def _best(read: Callable[[], pl.DataFrame], repeat: int) -> tuple[int, float]:
    best, height = float("inf"), 0
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        height = read().height
        best = min(best, time.perf_counter() - t0)
    return height, best


def archive_root(directory: Path) -> Path:
    """Where ``measure_reads`` builds the archive of the data prepared in ``directory``."""
    return directory / "archive"


def seal(store: MeasurementStore, root: Path, start: dt.datetime, end: dt.datetime) -> float:
    """Seal every day of [start, end) from ``store`` into the archive at ``root``; seconds taken."""
    t0 = time.perf_counter()
    build_archive(store, root, days=days_between(start, end), now=end + dt.timedelta(days=2), packets=False)
    return time.perf_counter() - t0


def measure_reads(
    url: str,
    directory: Path,
    mns: list[str],
    start: dt.datetime,
    end: dt.datetime,
    points: int,
    days: float,
    repeat: int = 2,
) -> ReadRow:
    root = archive_root(directory)
    store = open_store(url)
    try:
        build_s = seal(store, root, start, end)
        reader = ArchiveReader(root)
        n_store, store_s = _best(lambda: store.read_window(start=start, end=end), repeat)
        n_archive, archive_s = _best(lambda: reader.read_window(start=start, end=end), repeat)
        one = [mns[len(mns) // 2]]
        p_store, store_point_s = _best(lambda: store.read_window(start=start, end=end, mns=one), repeat)
        p_archive, archive_point_s = _best(lambda: reader.read_window(start=start, end=end, mns=one), repeat)
    finally:
        store.close()
    if n_store != n_archive or p_store != p_archive:
        raise AssertionError(f"archive read {n_archive}/{p_archive} readings, the store {n_store}/{p_store}")
    db = Path(url.removeprefix("sqlite:///"))
    db_bytes = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    archive_bytes = sum(p.stat().st_size for p in root.rglob("*.parquet"))
    return ReadRow(
        points,
        days,
        n_store,
        build_s,
        store_s,
        archive_s,
        p_store,
        store_point_s,
        archive_point_s,
        db_bytes,
        archive_bytes,
    )


def report_lines(rows: list[ReadRow]) -> list[str]:
    if not rows:
        return []
    return [
        "",
        "Read throughput, store vs columnar archive (docs/archive.md), on the same data: the whole window "
        "and "
        "one point's window (best of 2; the archive read pushes the mn/time filters down to Parquet row "
        "groups after pruning partitions by day and point group; both return the same readings):",
        "",
        *HEADER,
        *(r.row() for r in rows),
    ]
