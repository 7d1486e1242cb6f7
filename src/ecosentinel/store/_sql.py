"""What the SQLite and PostgreSQL stores share: dictionaries, series catalogue, SQL for reads.

Backends implement transactions, the bulk reading insert and the bulk reading fetch. Every SQL text built
here inlines only integers computed by this module (ids, epoch seconds), never user strings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import polars as pl
import pyarrow as pa

from ecosentinel.database import create_engine
from ecosentinel.errors import ConfigError
from ecosentinel.readings import READING_SCHEMA, DataKind, ReadingRow, Source
from ecosentinel.store import messages
from ecosentinel.store.base import (
    LATEST_SCHEMA,
    RawPacket,
    RejectedPacket,
    from_epoch_us,
    normalise_reading_rows,
    normalise_readings,
    require_aware,
    to_epoch_us,
)
from ecosentinel.store.tables import KIND_ID, SOURCE_ID

logger = logging.getLogger(__name__)

KIND_BY_ID = {v: k.value for k, v in KIND_ID.items()}
SOURCE_BY_ID = {v: k.value for k, v in SOURCE_ID.items()}
_KIND_ID_BY_NAME = {k.value: v for k, v in KIND_ID.items()}
_SOURCE_ID_BY_NAME = {k.value: v for k, v in SOURCE_ID.items()}

ENCODED_SCHEMA: dict[str, pl.DataType] = {
    "station_id": pl.Int64(),
    "code_id": pl.Int64(),
    "kind": pl.Int64(),
    "source": pl.Int64(),
    "t": pl.Int64(),
    "value": pl.Float64(),
    "vmin": pl.Float64(),
    "vmax": pl.Float64(),
    "cou": pl.Float64(),
    "zs": pl.Float64(),
    "flag": pl.Utf8(),
}
READING_COLUMNS = ", ".join(ENCODED_SCHEMA)
_IN_CHUNK = 500

Series = tuple[int, int, int, int]
EncodedRow = tuple[
    int, int, int, int, int, float | None, float | None, float | None, float | None, float | None, str
]
"""A reading as stored (ENCODED_SCHEMA order): ids instead of names, time in epoch seconds."""


def _encode_rows(
    rows: list[ReadingRow], station_ids: dict[str, int], code_ids: dict[str, int]
) -> list[EncodedRow]:
    kinds = _KIND_ID_BY_NAME
    sources = _SOURCE_ID_BY_NAME
    return [
        (
            station_ids[mn],
            code_ids[code],
            kinds[kind],
            sources[source],
            t // 1_000_000,
            v,
            lo,
            hi,
            cou,
            zs,
            flag,
        )
        for mn, code, kind, t, source, v, lo, hi, cou, zs, flag in rows
    ]


def packet_digest(packet: RawPacket, data_time_us: int | None) -> bytes:
    """Identity of a raw packet: mn, cn, qn, data time and the bytes (128 bits of SHA-256)."""
    data_time = "" if data_time_us is None else str(data_time_us)
    head = f"{packet.mn}\x1f{packet.cn}\x1f{packet.qn or ''}\x1f{data_time}\x1f".encode()
    return hashlib.sha256(head + packet.raw).digest()[:16]


def _ceil_seconds(value: dt.datetime) -> int:
    return -(-to_epoch_us(value) // 1_000_000)


def _int_list(values: Iterable[int]) -> str:
    return ", ".join(str(int(v)) for v in values)


class SqlStore(ABC):
    """Measurement store over one SQL database; subclasses supply the backend-specific fast paths."""

    placeholder = "?"

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = create_engine(url)
        self._write_lock = threading.Lock()
        self._stations: dict[str, int] = {}
        self._codes: dict[str, int] = {}
        self._series: set[Series] | None = None
        self._check_schema()

    # -- backend hooks -------------------------------------------------------------------------------

    @abstractmethod
    def _begin(self, conn: Any) -> None: ...

    @abstractmethod
    def _commit(self, conn: Any) -> None: ...

    @abstractmethod
    def _rollback(self, conn: Any) -> None: ...

    @abstractmethod
    def _insert_readings(self, conn: Any, encoded: pl.DataFrame) -> int:
        """Insert encoded rows, skipping existing keys; return how many were new."""

    @abstractmethod
    def _insert_rows(self, conn: Any, rows: list[EncodedRow]) -> int:
        """Insert encoded rows (ENCODED_SCHEMA order), skipping existing keys; return how many were new."""

    @abstractmethod
    def _order_raw_ids(self, conn: Any) -> None:
        """Make raw-packet ids commit in increasing order even with several writer processes (the
        forwarder's cursor relies on it, docs/interop.md)."""

    @abstractmethod
    def _fetch_readings(self, conn: Any, source: str) -> pl.DataFrame:
        """Fetch the readings of ``source`` (the ``FROM … WHERE …`` of a SELECT, ``r`` is ms_reading) as a
        frame in ENCODED_SCHEMA, in any order."""

    def _select_columns(self) -> str:
        """The select list of a readings fetch (``r`` is ms_reading), in ENCODED_SCHEMA order."""
        return ", ".join("r." + c for c in ENCODED_SCHEMA)

    # -- plumbing ------------------------------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        proxy = self._engine.raw_connection()
        try:
            yield proxy.driver_connection
        finally:
            proxy.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._connection() as conn:
            self._begin(conn)
            try:
                yield conn
            except BaseException:
                self._rollback(conn)
                raise
            self._commit(conn)

    def _check_schema(self) -> None:
        with self._connection() as conn:
            cur = conn.cursor()
            try:
                cur.execute("SELECT 1 FROM ms_reading WHERE 1 = 0")
                cur.fetchall()
            except Exception as exc:
                raise ConfigError(messages.SCHEMA_MISSING.format(url=_safe_url(self.url))) from exc
            finally:
                cur.close()
                self._rollback(conn)

    def _select(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = conn.cursor()
        try:
            cur.execute(sql, tuple(params))
            return list(cur.fetchall())
        finally:
            cur.close()

    def _executemany(self, conn: Any, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        cur = conn.cursor()
        try:
            cur.executemany(sql, rows)
        finally:
            cur.close()

    def _resolve(
        self, conn: Any, table: str, column: str, values: Iterable[str], cache: dict[str, int]
    ) -> dict[str, int]:
        """Ids of ``values`` in a dictionary table, adding missing ones; new ids are returned, not cached."""
        missing = sorted({v for v in values if v not in cache})
        found: dict[str, int] = {}
        if not missing:
            return found
        ph = self.placeholder
        self._executemany(
            conn,
            f"INSERT INTO {table} ({column}) VALUES ({ph}) ON CONFLICT DO NOTHING",
            [(v,) for v in missing],
        )
        for i in range(0, len(missing), _IN_CHUNK):
            chunk = missing[i : i + _IN_CHUNK]
            marks = ", ".join([ph] * len(chunk))
            for row_id, value in self._select(
                conn, f"SELECT id, {column} FROM {table} WHERE {column} IN ({marks})", chunk
            ):
                found[value] = int(row_id)
        return found

    def _known_series(self, conn: Any) -> set[Series]:
        if self._series is None:
            rows = self._select(conn, "SELECT station_id, code_id, kind, source FROM ms_series")
            self._series = {(int(a), int(b), int(c), int(d)) for a, b, c, d in rows}
        return self._series

    def _refresh_dictionaries(self, conn: Any) -> None:
        stations = {str(mn): int(i) for i, mn in self._select(conn, "SELECT id, mn FROM ms_station")}
        codes = {str(code): int(i) for i, code in self._select(conn, "SELECT id, code FROM ms_code")}
        with self._write_lock:
            self._stations.update(stations)
            self._codes.update(codes)

    # -- writes --------------------------------------------------------------------------------------

    def append(self, readings: pl.DataFrame, raw_packets: Sequence[RawPacket] = ()) -> int:
        frame = normalise_readings(readings)
        mns = set(frame["mn"].unique().to_list())
        codes = set(frame["code"].unique().to_list())
        return self._append(frame, raw_packets, mns, codes)

    def append_rows(self, readings: Sequence[ReadingRow], raw_packets: Sequence[RawPacket] = ()) -> int:
        checked = normalise_reading_rows(readings)
        return self._append(checked.rows, raw_packets, checked.mns, checked.codes)

    def _append(
        self,
        readings: pl.DataFrame | list[ReadingRow],
        raw_packets: Sequence[RawPacket],
        mns: set[str],
        codes: set[str],
    ) -> int:
        packets = list(raw_packets)
        for packet in packets:
            require_aware(packet.received_at, "raw_packet.received_at")
            if packet.data_time is not None:
                require_aware(packet.data_time, "raw_packet.data_time")
        count = readings.height if isinstance(readings, pl.DataFrame) else len(readings)
        if count == 0 and not packets:
            return 0
        mns |= {p.mn for p in packets}
        with self._write_lock:
            inserted, new_stations, new_codes, new_series = self._append_locked(readings, packets, mns, codes)
            # Caches change only once the transaction is committed.
            self._stations.update(new_stations)
            self._codes.update(new_codes)
            if self._series is not None:
                self._series.update(new_series)
        logger.debug("appended %d of %d readings, %d raw packets", inserted, count, len(packets))
        return inserted

    def _append_locked(
        self,
        readings: pl.DataFrame | list[ReadingRow],
        packets: list[RawPacket],
        mns: set[str],
        codes: set[str],
    ) -> tuple[int, dict[str, int], dict[str, int], set[Series]]:
        with self._transaction() as conn:
            new_stations = self._resolve(conn, "ms_station", "mn", mns, self._stations)
            new_codes = self._resolve(conn, "ms_code", "code", codes, self._codes)
            station_ids = {m: new_stations[m] if m in new_stations else self._stations[m] for m in mns}
            code_ids = {c: new_codes[c] if c in new_codes else self._codes[c] for c in codes}
            inserted = 0
            new_series: set[Series] = set()
            if isinstance(readings, pl.DataFrame):
                encoded = self._encode(readings, station_ids, code_ids) if readings.height else None
                present = (
                    set()
                    if encoded is None
                    else set(encoded.select("station_id", "code_id", "kind", "source").unique().rows())
                )
            else:
                rows = _encode_rows(readings, station_ids, code_ids)
                present = {(r[0], r[1], r[2], r[3]) for r in rows}
            if present:
                known = self._known_series(conn)
                new_series = {s for s in present if s not in known}
                if new_series:
                    ph = self.placeholder
                    self._executemany(
                        conn,
                        "INSERT INTO ms_series (station_id, code_id, kind, source) "
                        f"VALUES ({ph}, {ph}, {ph}, {ph}) ON CONFLICT DO NOTHING",
                        sorted(new_series),
                    )
                if isinstance(readings, pl.DataFrame):
                    assert encoded is not None
                    inserted = self._insert_readings(conn, encoded)
                else:
                    inserted = self._insert_rows(conn, rows)
            if packets:
                self._order_raw_ids(conn)
                self._insert_raw(conn, packets, station_ids)
        return inserted, new_stations, new_codes, new_series

    @staticmethod
    def _encode(frame: pl.DataFrame, station_ids: dict[str, int], code_ids: dict[str, int]) -> pl.DataFrame:
        return frame.select(
            pl.col("mn").replace_strict(station_ids, return_dtype=pl.Int64).alias("station_id"),
            pl.col("code").replace_strict(code_ids, return_dtype=pl.Int64).alias("code_id"),
            pl.col("kind").replace_strict(_KIND_ID_BY_NAME, return_dtype=pl.Int64),
            pl.col("source").replace_strict(_SOURCE_ID_BY_NAME, return_dtype=pl.Int64),
            pl.col("time").dt.epoch("s").alias("t"),
            "value",
            "vmin",
            "vmax",
            "cou",
            "zs",
            "flag",
        )

    def _insert_raw(self, conn: Any, packets: list[RawPacket], station_ids: dict[str, int]) -> None:
        rows = []
        for p in packets:
            received_us = to_epoch_us(p.received_at)
            data_us = None if p.data_time is None else to_epoch_us(p.data_time)
            t = (data_us if data_us is not None else received_us) // 1_000_000
            rows.append(
                (
                    station_ids[p.mn],
                    t,
                    p.cn,
                    p.qn,
                    data_us,
                    received_us,
                    p.peer,
                    packet_digest(p, data_us),
                    p.raw,
                )
            )
        ph = ", ".join([self.placeholder] * 9)
        self._executemany(
            conn,
            "INSERT INTO ms_raw_packet (station_id, t, cn, qn, data_time_us, received_at_us, peer, digest, "
            f"raw) VALUES ({ph}) ON CONFLICT DO NOTHING",
            rows,
        )

    def append_rejected(self, packets: Sequence[RejectedPacket]) -> None:
        rows = [
            (
                to_epoch_us(require_aware(p.received_at, "rejected.received_at")),
                p.peer,
                p.reason[:200],
                p.mn,
                p.raw,
            )
            for p in packets
        ]
        if not rows:
            return
        ph = ", ".join([self.placeholder] * 5)
        with self._write_lock, self._transaction() as conn:
            self._executemany(
                conn,
                f"INSERT INTO ms_rejected_packet (received_at_us, peer, reason, mn, raw) VALUES ({ph})",
                rows,
            )

    # -- reads ---------------------------------------------------------------------------------------

    def _ids_for(self, conn: Any, table: str, column: str, values: Sequence[str]) -> list[int]:
        ids: list[int] = []
        unique = sorted(set(values))
        for i in range(0, len(unique), _IN_CHUNK):
            chunk = unique[i : i + _IN_CHUNK]
            marks = ", ".join([self.placeholder] * len(chunk))
            ids.extend(
                int(r[0])
                for r in self._select(conn, f"SELECT id FROM {table} WHERE {column} IN ({marks})", chunk)
            )
        return ids

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
        start_s = _ceil_seconds(require_aware(start, "start"))
        end_s = _ceil_seconds(require_aware(end, "end"))
        empty = pl.DataFrame(schema=READING_SCHEMA)
        if end_s <= start_s:
            return empty
        conditions = [f"r.t >= {start_s}", f"r.t < {end_s}"]
        series_conditions: list[str] = []
        with self._connection() as conn:
            try:
                if mns is not None:
                    ids = self._ids_for(conn, "ms_station", "mn", mns)
                    if not ids:
                        return empty
                    series_conditions.append(f"s.station_id IN ({_int_list(ids)})")
                if codes is not None:
                    ids = self._ids_for(conn, "ms_code", "code", codes)
                    if not ids:
                        return empty
                    series_conditions.append(f"s.code_id IN ({_int_list(ids)})")
                    conditions.append(f"r.code_id IN ({_int_list(ids)})")
                if kinds is not None:
                    if not kinds:
                        return empty
                    series_conditions.append(f"s.kind IN ({_int_list(KIND_ID[DataKind(k)] for k in kinds)})")
                if sources is not None:
                    if not sources:
                        return empty
                    ids = [SOURCE_ID[Source(s)] for s in sources]
                    series_conditions.append(f"s.source IN ({_int_list(ids)})")
                    conditions.append(f"r.source IN ({_int_list(ids)})")
                # Readings are clustered by (point, kind, time): each (point, kind) of the series catalogue is
                # one index range on t. CROSS JOIN keeps SQLite from reordering; PostgreSQL plans freely.
                source = (
                    "FROM (SELECT DISTINCT s.station_id, s.kind FROM ms_series s "
                    f"WHERE {' AND '.join(series_conditions) or 'TRUE'}) p "
                    "CROSS JOIN ms_reading r WHERE r.station_id = p.station_id AND r.kind = p.kind "
                    f"AND {' AND '.join(conditions)}"
                )
                encoded = self._fetch_readings(conn, source)
                if encoded.height == 0:
                    return empty
                station_ids = set(encoded["station_id"].unique().to_list())
                code_ids = set(encoded["code_id"].unique().to_list())
                stations = {v: k for k, v in self._stations.items()}
                code_names = {v: k for k, v in self._codes.items()}
                if not station_ids <= stations.keys() or not code_ids <= code_names.keys():
                    self._refresh_dictionaries(conn)
                    stations = {v: k for k, v in self._stations.items()}
                    code_names = {v: k for k, v in self._codes.items()}
            finally:
                self._rollback(conn)
        return self._decode(
            encoded, {i: stations[i] for i in station_ids}, {i: code_names[i] for i in code_ids}
        )

    @staticmethod
    def _decode(encoded: pl.DataFrame, stations: dict[int, str], codes: dict[int, str]) -> pl.DataFrame:
        # Sort on small integers ranked like the strings they stand for (mn, code, kind, source), then
        # decode: the same order as sorting the decoded frame, without comparing strings row by row.
        station_rank = {i: r for r, i in enumerate(sorted(stations, key=lambda i: stations[i]))}
        code_rank = {i: r for r, i in enumerate(sorted(codes, key=lambda i: codes[i]))}
        kind_rank = {i: r for r, i in enumerate(sorted(KIND_BY_ID, key=lambda i: KIND_BY_ID[i]))}
        source_rank = {i: r for r, i in enumerate(sorted(SOURCE_BY_ID, key=lambda i: SOURCE_BY_ID[i]))}
        ranks = [
            pl.col("station_id").replace_strict(station_rank, return_dtype=pl.Int64),
            pl.col("code_id").replace_strict(code_rank, return_dtype=pl.Int64),
            pl.col("kind").replace_strict(kind_rank, return_dtype=pl.Int64),
            pl.col("source").replace_strict(source_rank, return_dtype=pl.Int64),
        ]
        first, last = encoded["t"].min(), encoded["t"].max()
        assert isinstance(first, int)
        assert isinstance(last, int)
        span = last - first + 1
        sizes = [len(station_rank), len(code_rank), len(kind_rank), len(source_rank)]
        if math.prod(sizes) * span < 2**62:
            # The five keys packed into one integer (mixed radix, time last): one single-key sort instead
            # of a five-key one, about 3x less CPU; the primary key makes every key distinct, so the order
            # is the same.
            key: pl.Expr = pl.lit(0, dtype=pl.Int64)
            for rank, size in zip(ranks, sizes, strict=True):
                key = key * size + rank
            encoded = encoded.sort(key * span + (pl.col("t") - first))
        else:
            encoded = encoded.sort(*ranks, pl.col("t"))
        return encoded.select(
            pl.col("station_id").replace_strict(stations, return_dtype=pl.Utf8).alias("mn"),
            pl.col("code_id").replace_strict(codes, return_dtype=pl.Utf8).alias("code"),
            pl.col("kind").replace_strict(KIND_BY_ID, return_dtype=pl.Utf8),
            pl.from_epoch(pl.col("t"), time_unit="s")
            .dt.cast_time_unit("us")
            .dt.replace_time_zone("UTC")
            .alias("time"),
            pl.col("source").replace_strict(SOURCE_BY_ID, return_dtype=pl.Utf8),
            "value",
            "vmin",
            "vmax",
            "cou",
            "zs",
            "flag",
        ).select(list(READING_SCHEMA))

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
        frame = self.read_window(start=start, end=end, mns=mns, codes=codes, kinds=kinds, sources=sources)
        return frame.to_arrow()

    def list_points(self) -> list[str]:
        with self._connection() as conn:
            try:
                rows = self._select(
                    conn,
                    "SELECT DISTINCT st.mn FROM ms_series s JOIN ms_station st ON st.id = s.station_id "
                    "ORDER BY st.mn",
                )
            finally:
                self._rollback(conn)
        return [str(r[0]) for r in rows]

    def raw_packets(self, *, mn: str, start: dt.datetime, end: dt.datetime) -> list[RawPacket]:
        start_s = _ceil_seconds(require_aware(start, "start"))
        end_s = _ceil_seconds(require_aware(end, "end"))
        ph = self.placeholder
        with self._connection() as conn:
            try:
                rows = self._select(
                    conn,
                    "SELECT p.cn, p.qn, p.data_time_us, p.received_at_us, p.peer, p.raw FROM ms_raw_packet p "
                    f"JOIN ms_station st ON st.id = p.station_id WHERE st.mn = {ph} AND p.t >= {ph} "
                    f"AND p.t < {ph} ORDER BY p.t, p.id",
                    (mn, start_s, end_s),
                )
            finally:
                self._rollback(conn)
        return [
            RawPacket(
                received_at=from_epoch_us(int(received)),
                peer=str(peer),
                mn=mn,
                cn=str(cn),
                qn=None if qn is None else str(qn),
                data_time=None if data_us is None else from_epoch_us(int(data_us)),
                raw=bytes(raw),
            )
            for cn, qn, data_us, received, peer, raw in rows
        ]

    def rejected_packets(self, *, start: dt.datetime, end: dt.datetime) -> list[RejectedPacket]:
        ph = self.placeholder
        with self._connection() as conn:
            try:
                rows = self._select(
                    conn,
                    "SELECT received_at_us, peer, reason, mn, raw FROM ms_rejected_packet "
                    f"WHERE received_at_us >= {ph} AND received_at_us < {ph} ORDER BY received_at_us, id",
                    (to_epoch_us(require_aware(start, "start")), to_epoch_us(require_aware(end, "end"))),
                )
            finally:
                self._rollback(conn)
        return [
            RejectedPacket(
                received_at=from_epoch_us(int(received)),
                peer=str(peer),
                reason=str(reason),
                mn=None if mn is None else str(mn),
                raw=bytes(raw),
            )
            for received, peer, reason, mn, raw in rows
        ]

    def latest(self, until: dt.datetime | None = None) -> pl.DataFrame:
        bound = "" if until is None else f" AND r.t <= {self.placeholder}"
        params = () if until is None else (to_epoch_us(until) // 1_000_000,)
        with self._connection() as conn:
            try:
                rows = self._select(
                    conn,
                    "SELECT st.mn, p.kind, (SELECT MAX(r.t) FROM ms_reading r "
                    f"WHERE r.station_id = p.station_id AND r.kind = p.kind{bound}) "
                    "FROM (SELECT DISTINCT station_id, kind FROM ms_series) p "
                    "JOIN ms_station st ON st.id = p.station_id",
                    params,
                )
            finally:
                self._rollback(conn)
        frame = pl.DataFrame(rows, schema={"mn": pl.Utf8, "kind": pl.Int64, "t": pl.Int64}, orient="row")
        return (
            frame.drop_nulls("t")
            .group_by("mn", "kind")
            .agg(pl.col("t").max())
            .select(
                "mn",
                pl.col("kind").replace_strict(KIND_BY_ID, return_dtype=pl.Utf8),
                pl.from_epoch(pl.col("t"), time_unit="s")
                .dt.cast_time_unit("us")
                .dt.replace_time_zone("UTC")
                .alias("time"),
            )
            .cast(LATEST_SCHEMA)  # type: ignore[arg-type]
            .sort("mn", "kind")
        )

    def close(self) -> None:
        self._engine.dispose()


def _safe_url(url: str) -> str:
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)
