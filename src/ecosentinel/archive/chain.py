"""The append-only hash chain of sealed partitions (``chain.jsonl``).

Each line is one entry: the partition's path, size and row count, the SHA-256 of its file, the hash of the
previous entry (``prev``; 64 zeros for the first) and the entry's own ``hash`` = SHA-256 over ``prev`` and
the canonical JSON of every other field. Changing a partition breaks its file hash; changing, removing or
reordering an entry breaks the links after it. Only appending keeps the chain valid.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecosentinel.archive import messages
from ecosentinel.archive.layout import DATASETS, Layout
from ecosentinel.errors import EcoSentinelError

GENESIS = "0" * 64
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Entry:
    """One sealed partition file as recorded in the chain."""

    seq: int
    dataset: str
    day: str  # YYYY-MM-DD, China Standard Time
    bucket: int
    part: int
    path: str  # relative to the archive root, POSIX separators
    rows: int
    bytes: int
    sha256: str
    mns: tuple[str, ...]
    min_time: str | None  # ISO 8601 UTC of the earliest row (None when the dataset has no time column)
    max_time: str | None
    sealed_at: str
    prev: str
    hash: str

    def body(self) -> dict[str, Any]:
        """The hashed fields (everything but ``hash``)."""
        return {
            "seq": self.seq,
            "dataset": self.dataset,
            "day": self.day,
            "bucket": self.bucket,
            "part": self.part,
            "path": self.path,
            "rows": self.rows,
            "bytes": self.bytes,
            "sha256": self.sha256,
            "mns": list(self.mns),
            "min_time": self.min_time,
            "max_time": self.max_time,
            "sealed_at": self.sealed_at,
            "prev": self.prev,
        }


def entry_hash(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((body["prev"] + "\n" + canonical).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _entry_of(raw: dict[str, Any]) -> Entry:
    return Entry(
        seq=int(raw["seq"]),
        dataset=str(raw["dataset"]),
        day=str(raw["day"]),
        bucket=int(raw["bucket"]),
        part=int(raw["part"]),
        path=str(raw["path"]),
        rows=int(raw["rows"]),
        bytes=int(raw["bytes"]),
        sha256=str(raw["sha256"]),
        mns=tuple(str(m) for m in raw["mns"]),
        min_time=None if raw.get("min_time") is None else str(raw["min_time"]),
        max_time=None if raw.get("max_time") is None else str(raw["max_time"]),
        sealed_at=str(raw["sealed_at"]),
        prev=str(raw["prev"]),
        hash=str(raw["hash"]),
    )


def read_chain(layout: Layout) -> list[Entry]:
    """Every entry in file order (an unparsable line is reported with its line number)."""
    path = layout.chain_path
    if not path.exists():
        return []
    entries: list[Entry] = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                entries.append(_entry_of(json.loads(line)))
            except (ValueError, KeyError, TypeError) as exc:
                raise EcoSentinelError(
                    messages.CHAIN_UNREADABLE.format(path=path, line=number, detail=exc)
                ) from None
    return entries


def append_entry(layout: Layout, fields: dict[str, Any], previous: Entry | None) -> Entry:
    """Append one entry after ``previous`` (the chain's last entry) and fsync the chain file."""
    body = {
        **fields,
        "seq": 0 if previous is None else previous.seq + 1,
        "prev": GENESIS if previous is None else previous.hash,
    }
    body["hash"] = entry_hash(body)
    line = json.dumps(body, sort_keys=True, ensure_ascii=False) + "\n"
    with layout.chain_path.open("a", encoding="utf-8") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())
    return _entry_of(body)


@dataclass(frozen=True, slots=True)
class Problem:
    """The first thing found wrong, as one Chinese line, and the partition it concerns."""

    path: str
    message: str
    seq: int | None = None


def verify(layout: Layout, entries: list[Entry] | None = None) -> Problem | None:
    """Walk the chain from its start: entry links, then each partition's presence and file hash; finally
    partition files the chain does not know. Returns the first problem, or None."""
    entries = read_chain(layout) if entries is None else entries
    prev = GENESIS
    for entry in entries:
        body = entry.body()
        if entry.prev != prev or entry_hash(body) != entry.hash:
            return Problem(
                entry.path, messages.ENTRY_BROKEN.format(seq=entry.seq, path=entry.path), entry.seq
            )
        prev = entry.hash
        target = layout.root / entry.path
        if not target.is_file():
            return Problem(
                entry.path, messages.PARTITION_MISSING.format(seq=entry.seq, path=entry.path), entry.seq
            )
        if target.stat().st_size != entry.bytes or file_sha256(target) != entry.sha256:
            return Problem(
                entry.path, messages.PARTITION_TAMPERED.format(seq=entry.seq, path=entry.path), entry.seq
            )
    known = {e.path for e in entries}
    for path in partition_files(layout):
        if path not in known:
            return Problem(path, messages.PARTITION_UNCHAINED.format(path=path))
    return None


def partition_files(layout: Layout) -> Iterator[str]:
    """Relative paths of every partition file on disk, sorted."""
    for dataset in DATASETS:
        base = layout.root / dataset
        if base.is_dir():
            for file in sorted(base.glob("day=*/bucket=*/*.parquet")):
                yield file.relative_to(layout.root).as_posix()
