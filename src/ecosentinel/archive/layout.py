"""Where things are in an archive directory (docs/archive.md).

```
ROOT/ARCHIVE.json                                   format, bucket count, day zone
ROOT/chain.jsonl                                    the append-only hash chain, one entry per partition file
ROOT/readings/day=YYYY-MM-DD/bucket=NN/part-NNNNN.parquet
ROOT/packets/day=YYYY-MM-DD/bucket=NN/part-NNNNN.parquet
```

A day is a China-Standard-Time calendar day (the platform's reporting day); a bucket is a stable hash of
the point's MN modulo the bucket count, so one point always lands in the same group. Part 0 is written when
the day closes; a part N > 0 holds what arrived for that day and group after (late re-sends, imports).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ecosentinel.archive import messages
from ecosentinel.config import get_settings
from ecosentinel.errors import EcoSentinelError
from ecosentinel.readings import CST

FORMAT = 1
DEFAULT_BUCKETS = 16
MANIFEST = "ARCHIVE.json"
CHAIN = "chain.jsonl"
LOCK = ".lock"
READINGS = "readings"
PACKETS = "packets"
DATASETS = (READINGS, PACKETS)


@dataclass(frozen=True, slots=True)
class Layout:
    """An archive directory and its fixed parameters."""

    root: Path
    buckets: int = DEFAULT_BUCKETS

    @property
    def chain_path(self) -> Path:
        return self.root / CHAIN

    def bucket_of(self, mn: str) -> int:
        """The point group of an MN: stable across processes and machines (not Python's ``hash``)."""
        return int.from_bytes(hashlib.sha256(mn.encode()).digest()[:4], "big") % self.buckets

    def relative_path(self, dataset: str, day: dt.date, bucket: int, part: int) -> str:
        return f"{dataset}/day={day.isoformat()}/bucket={bucket:02d}/part-{part:05d}.parquet"


def default_root() -> Path:
    """The archive of this installation (``ECOSENTINEL_ARCHIVE_DIR``, else ``archive`` under the data
    directory)."""
    return get_settings().effective_archive_dir


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a China-Standard-Time day, in UTC."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=CST).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)


def day_of(value: dt.datetime) -> dt.date:
    """The China-Standard-Time day an aware instant falls in."""
    return value.astimezone(CST).date()


def days_between(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The days that [start, end) touches."""
    if end <= start:
        return []
    first, last = day_of(start), day_of(end - dt.timedelta(microseconds=1))
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise EcoSentinelError(messages.BAD_DAY.format(value=value)) from None


def open_layout(root: Path, *, create: bool = False, buckets: int = DEFAULT_BUCKETS) -> Layout:
    """The layout of the archive at ``root``; with ``create`` a new one is set up when absent."""
    manifest = root / MANIFEST
    if not manifest.exists():
        if not create:
            raise EcoSentinelError(messages.NOT_AN_ARCHIVE.format(root=root))
        root.mkdir(parents=True, exist_ok=True)
        body = {"format": FORMAT, "buckets": buckets, "day_zone": "Asia/Shanghai"}
        tmp = manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        tmp.replace(manifest)
        return Layout(root, buckets)
    body = json.loads(manifest.read_text(encoding="utf-8"))
    if body.get("format") != FORMAT:
        raise EcoSentinelError(
            messages.FORMAT_MISMATCH.format(root=root, found=body.get("format"), expected=FORMAT)
        )
    return Layout(root, int(body["buckets"]))
