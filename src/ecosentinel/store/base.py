"""The measurement store interface: append batches durably and idempotently, read windows as frames.

Two backends implement it over the one database: :mod:`ecosentinel.store.sqlite` (embedded default) and
:mod:`ecosentinel.store.postgres`. :func:`open_store` picks one from the database URL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, runtime_checkable

import polars as pl
import pyarrow as pa

from ecosentinel.errors import ValidationError
from ecosentinel.protocol.hj212 import Packet
from ecosentinel.readings import READING_SCHEMA, DataFlag, DataKind, ReadingRow, Source


@dataclass(frozen=True, slots=True)
class RawPacket:
    """One accepted HJ 212 packet exactly as received (原始数据), kept next to its decoded readings."""

    received_at: dt.datetime  # timezone-aware
    peer: str  # remote address, e.g. "10.0.0.7:50312"
    mn: str
    cn: str
    qn: str | None
    data_time: dt.datetime | None  # timezone-aware; None for packets without DataTime
    raw: bytes

    @classmethod
    def of(
        cls, packet: Packet, *, received_at: dt.datetime, peer: str, raw: bytes | None = None
    ) -> RawPacket:
        """A decoded packet's raw record (``raw``: the bytes as received when not ``packet.raw``)."""
        return cls(
            received_at=received_at,
            peer=peer,
            mn=packet.mn,
            cn=packet.cn,
            qn=packet.qn,
            data_time=packet.data_time,
            raw=packet.raw if raw is None else raw,
        )


@dataclass(frozen=True, slots=True)
class RejectedPacket:
    """A refused packet (bad CRC, failed MN/PW check, unparsable): logged for review, never real data."""

    received_at: dt.datetime  # timezone-aware
    peer: str
    reason: str  # short machine-readable reason, e.g. "crc", "auth", "parse"
    raw: bytes
    mn: str | None = None  # when it could be read


@runtime_checkable
class MeasurementStore(Protocol):
    """Append-only, idempotent store of readings and raw packets."""

    def append(self, readings: pl.DataFrame, raw_packets: Sequence[RawPacket] = ()) -> int:
        """Store readings (READING_SCHEMA) and raw packets in one durable transaction; return rows inserted.

        A reading is identified by (mn, code, kind, time, source), a raw packet by (mn, cn, qn, data_time,
        raw bytes): sending the same again inserts nothing. The transaction is committed (and, per backend
        settings, fsynced) before this returns.
        """
        ...

    def append_rows(self, readings: Sequence[ReadingRow], raw_packets: Sequence[RawPacket] = ()) -> int:
        """Same as :meth:`append`, with the readings as plain rows (:data:`ReadingRow`, time in epoch
        microseconds): the ingest writer's path, which builds no frame per batch."""
        ...

    def append_rejected(self, packets: Sequence[RejectedPacket]) -> None:
        """Log refused packets, apart from the real data."""
        ...

    def read_window(
        self,
        *,
        start: dt.datetime,
        end: dt.datetime,
        mns: Sequence[str] | None = None,
        codes: Sequence[str] | None = None,
        kinds: Sequence[DataKind] | None = None,
        sources: Sequence[Source] | None = None,
    ) -> pl.DataFrame:
        """Readings with start <= time < end, READING_SCHEMA, sorted by mn, code, kind, source, time."""
        ...

    def read_arrow(
        self,
        *,
        start: dt.datetime,
        end: dt.datetime,
        mns: Sequence[str] | None = None,
        codes: Sequence[str] | None = None,
        kinds: Sequence[DataKind] | None = None,
        sources: Sequence[Source] | None = None,
    ) -> pa.Table:
        """Same as :meth:`read_window`, as an Arrow table."""
        ...

    def list_points(self) -> list[str]:
        """MNs that have readings, sorted."""
        ...

    def raw_packets(self, *, mn: str, start: dt.datetime, end: dt.datetime) -> list[RawPacket]:
        """Raw packets of one point whose data time (or receive time, when none) is in [start, end)."""
        ...

    def rejected_packets(self, *, start: dt.datetime, end: dt.datetime) -> list[RejectedPacket]:
        """Refused packets received in [start, end), in the order received."""
        ...

    def latest(self, until: dt.datetime | None = None) -> pl.DataFrame:
        """Last reading time per (mn, kind) (at or before ``until`` when given): columns mn, kind, time
        (UTC), sorted by mn, kind."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


LATEST_SCHEMA: dict[str, pl.DataType] = {"mn": pl.Utf8(), "kind": pl.Utf8(), "time": pl.Datetime("us", "UTC")}

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_KINDS = [k.value for k in DataKind]
_SOURCES = [s.value for s in Source]
_FLAGS = [f.value for f in DataFlag]
_KIND_SET = frozenset(_KINDS)
_SOURCE_SET = frozenset(_SOURCES)
_FLAG_SET = frozenset(_FLAGS)
_REQUIRED = ("mn", "code", "kind", "time")
_PROBLEMS = {
    "nulls": "mn, code, kind, time, source and flag must not be null",
    "kind": f"kind must be one of {_KINDS}",
    "source": f"source must be one of {_SOURCES}",
    "flag": f"flag must be one of {_FLAGS}",
    "subsecond": "time must be whole seconds (HJ 212 DataTime has one-second resolution)",
}


def normalise_readings(readings: pl.DataFrame) -> pl.DataFrame:
    """Check a readings frame and return it in READING_SCHEMA (UTC, whole seconds); raise ValidationError."""
    missing = [c for c in _REQUIRED if c not in readings.columns]
    if missing:
        raise ValidationError(f"readings frame lacks columns {missing}", location="readings")
    time_dtype = readings.schema["time"]
    if not isinstance(time_dtype, pl.Datetime) or time_dtype.time_zone is None:
        raise ValidationError("time must be a timezone-aware Datetime column", location="readings.time")
    defaults: dict[str, pl.Expr] = {
        "source": pl.lit(Source.PLATFORM.value),
        "flag": pl.lit(DataFlag.NORMAL.value),
    }
    columns: list[pl.Expr] = []
    for name, dtype in READING_SCHEMA.items():
        if name == "time":
            columns.append(pl.col("time").dt.convert_time_zone("UTC").dt.cast_time_unit("us"))
        elif name in readings.columns and dtype == pl.Float64():
            columns.append(pl.col(name).cast(dtype).fill_nan(None))  # NaN means missing, on both backends
        elif name in readings.columns:
            columns.append(pl.col(name).cast(dtype))
        else:
            columns.append(defaults.get(name, pl.lit(None)).cast(dtype).alias(name))
    frame = readings.select(columns)
    if frame.height == 0:
        return frame
    problems = frame.select(
        nulls=pl.any_horizontal(
            pl.col(c).is_null().any() for c in ("mn", "code", "kind", "time", "source", "flag")
        ),
        kind=(~pl.col("kind").is_in(_KINDS)).any(),
        source=(~pl.col("source").is_in(_SOURCES)).any(),
        flag=(~pl.col("flag").is_in(_FLAGS)).any(),
        subsecond=(pl.col("time").dt.microsecond() != 0).any(),
    ).row(0, named=True)
    for key, bad in problems.items():
        if bad:
            raise ValidationError(_PROBLEMS[key], location=f"readings.{key}")
    return frame


_FLOAT_SLOTS = range(5, 10)  # value, vmin, vmax, cou, zs in a ReadingRow


class CheckedRows(NamedTuple):
    """Reading rows that passed :func:`normalise_reading_rows`, with their distinct points and factors."""

    rows: list[ReadingRow]
    mns: set[str]
    codes: set[str]


def normalise_reading_rows(rows: Sequence[ReadingRow]) -> CheckedRows:
    """Check reading rows as :func:`normalise_readings` checks a frame (same errors, in the same order) and
    return them with NaN as None (missing, on both backends); raise ValidationError."""
    if not rows:
        return CheckedRows([], set(), set())
    columns = list(zip(*rows, strict=True))
    # distinct values once per column: the checks below and the store's dictionaries need only these
    mns, codes, kinds, times, sources, flags = (set(columns[i]) for i in (0, 1, 2, 3, 4, 10))
    problems = {
        "nulls": any(None in c for c in (mns, codes, kinds, times, sources, flags)),
        "kind": not kinds <= _KIND_SET,
        "source": not sources <= _SOURCE_SET,
        "flag": not flags <= _FLAG_SET,
        "subsecond": False,
    }
    if not problems["nulls"]:
        problems["subsecond"] = any(t % 1_000_000 for t in times)
    for key, bad in problems.items():
        if bad:
            raise ValidationError(_PROBLEMS[key], location=f"readings.{key}")
    # A sum over a column is NaN or infinite only if a value is: then (rarely) look at each value.
    if all(math.isfinite(sum(filter(None, columns[i]))) for i in _FLOAT_SLOTS):
        return CheckedRows(list(rows), mns, codes)
    cleaned: list[ReadingRow] = [
        (*row[:5], *(None if v is not None and v != v else v for v in row[5:10]), row[10])  # type: ignore[misc]
        for row in rows
    ]
    return CheckedRows(cleaned, mns, codes)


def require_aware(value: dt.datetime, name: str) -> dt.datetime:
    """Reject naive datetimes (their meaning would depend on the machine's zone)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(f"{name} must be timezone-aware", location=name)
    return value


def to_epoch_us(value: dt.datetime) -> int:
    """Microseconds since 1970-01-01 UTC of an aware datetime, exactly."""
    return (value - _EPOCH) // _MICROSECOND


def from_epoch_us(value: int) -> dt.datetime:
    """Aware UTC datetime from microseconds since the epoch."""
    return _EPOCH + dt.timedelta(microseconds=value)


def open_store(url: str) -> MeasurementStore:
    """Open the measurement store of the database at ``url`` (run ``ecosentinel db upgrade`` first)."""
    # Function-level: the backends subclass MeasurementStore from this module, and only one is needed.
    from ecosentinel.database import is_sqlite

    if is_sqlite(url):
        from ecosentinel.store.sqlite import SqliteStore

        return SqliteStore(url)
    from ecosentinel.store.postgres import PostgresStore

    return PostgresStore(url)
