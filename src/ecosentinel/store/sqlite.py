"""SQLite backend of the measurement store (embedded default).

Durability comes from the engine settings (WAL, ``synchronous=FULL``: the WAL is fsynced at every
commit); one ``BEGIN IMMEDIATE`` … ``COMMIT`` per append; ``executemany`` with ``ON CONFLICT DO
NOTHING`` straight into the ``WITHOUT ROWID`` table (see docs/store.md for the measurements).
"""

from __future__ import annotations

import itertools
import math
import threading
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa

from ecosentinel.readings import DataFlag
from ecosentinel.store._sql import ENCODED_SCHEMA, READING_COLUMNS, EncodedRow, SqlStore
from ecosentinel.store.tables import KIND_ID, SOURCE_ID

_FLOAT_COLUMNS = {name for name, dtype in ENCODED_SCHEMA.items() if dtype == pl.Float64()}
_INTEGER_COLUMNS = {name for name, dtype in ENCODED_SCHEMA.items() if dtype == pl.Int64()}
_FLAG_VALUES = {flag.value for flag in DataFlag}
_MISSING = -1.7976931348623157e308  # -DBL_MAX stands for NULL in a fetch; no reading has this value
_ROW_DTYPE = np.dtype(
    [
        (name, "f8" if name in _FLOAT_COLUMNS else "i8" if name in _INTEGER_COLUMNS else "O")
        for name in ENCODED_SCHEMA
    ]
)
"""A fetched row as numpy reads it from the pysqlite cursor (flags stay Python objects)."""
_VALUE_COLUMNS = [c for c in ENCODED_SCHEMA if c in _FLOAT_COLUMNS]
_FLAG_ORDER = [flag.value for flag in DataFlag]
_FLAG_RADIX = 16
_FLAG_OTHER = _FLAG_RADIX - 1
assert len(_FLAG_ORDER) < _FLAG_OTHER, "the packed series key needs a larger flag radix"
_FLAG_CASE = (
    "CASE r.flag "
    + " ".join(f"WHEN '{flag}' THEN {i}" for i, flag in enumerate(_FLAG_ORDER))
    + f" ELSE {_FLAG_OTHER} END"
)
"""The flag as its index in ``_FLAG_ORDER`` (``_FLAG_OTHER``: a flag outside DataFlag)."""
_EXACT_LIMIT = 2**53
"""Integers up to this are exact in float64: the packed series key must stay below it."""
_KIND_RADIX = 4
_SOURCE_RADIX = 4
assert max(KIND_ID.values()) < _KIND_RADIX, "the packed series key needs a larger kind radix"
assert max(SOURCE_ID.values()) < _SOURCE_RADIX, "the packed series key needs a larger source radix"

try:  # optional fast path: Arrow straight from SQLite
    import adbc_driver_sqlite.dbapi as _adbc_sqlite
except ImportError:  # pragma: no cover - the dependency is declared; the slower path still works
    _adbc_sqlite = None  # type: ignore[assignment]


class SqliteStore(SqlStore):
    """Measurement store in an SQLite file."""

    placeholder = "?"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._arrow_local = threading.local()
        self._arrow_lock = threading.Lock()
        self._arrow_conns: list[Any] = []

    def _begin(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")  # take the write lock up front: no deadlocked lock upgrades

    def _commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: Any) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def _order_raw_ids(self, conn: Any) -> None:
        pass  # BEGIN IMMEDIATE already lets one writer at a time in, across processes too

    def _insert_readings(self, conn: Any, encoded: pl.DataFrame) -> int:
        before: int = conn.total_changes
        # pysqlite spends most of an insert binding parameters, so each (kind, source, code) group gets its
        # own statement in which every column that is constant in the group (ids, all-null extras, a
        # uniform flag) is written as a literal; a typical minute row then binds 3-5 values instead of 11.
        # Only integers, NULL and validated flags become literals, never floats (their text round trip
        # would depend on SQLite's decimal conversion).
        for group in encoded.partition_by("kind", "source", "code_id", maintain_order=False):
            constants = group.select(pl.all().n_unique() == 1).row(0, named=True)
            literals: dict[str, str] = {}
            for name, constant in constants.items():
                if not constant or name == "t":  # t stays bound: a frame with no columns has no rows
                    continue
                value = group[name][0]
                if value is None:
                    literals[name] = "NULL"
                elif name in _INTEGER_COLUMNS:
                    literals[name] = str(int(value))
                elif name == "flag" and value in _FLAG_VALUES:
                    literals[name] = f"'{value}'"
            bound = [c for c in ENCODED_SCHEMA if c not in literals]
            values = ", ".join(literals.get(c, "?") for c in ENCODED_SCHEMA)
            sql = f"INSERT INTO ms_reading ({READING_COLUMNS}) VALUES ({values}) ON CONFLICT DO NOTHING"
            floats = [c for c in bound if c in _FLOAT_COLUMNS]
            # Missing values are bound as NaN, which SQLite stores as NULL: binding None costs pysqlite
            # about ten times as much as binding a float (it goes through the adapter lookup).
            rows = group.select(bound).with_columns(pl.col(floats).fill_null(float("nan"))).iter_rows()
            conn.executemany(sql, rows)
        return int(conn.total_changes) - before

    def _insert_rows(self, conn: Any, rows: list[EncodedRow]) -> int:
        # As in _insert_readings, columns constant over the batch (kind, source, all-null extras, a uniform
        # flag: integers, NULL and validated flags only, never floats) are written as literals and the rest
        # bound, here for the whole batch at once: an ingest batch then binds 6 values a row instead of 11
        # (grouping the rows in Python by factor, as the frame path does, costs more than it saves).
        before: int = conn.total_changes
        columns = list(zip(*rows, strict=True))
        values: list[str] = []
        bound: list[tuple[object, ...]] = []
        for name, column in zip(ENCODED_SCHEMA, columns, strict=True):
            first = column[0]
            if name != "t" and column.count(first) == len(column):  # t stays bound: one column at least
                if first is None:
                    values.append("NULL")
                    continue
                if name in _INTEGER_COLUMNS:
                    values.append(str(int(first)))
                    continue
                if name == "flag" and first in _FLAG_VALUES:
                    values.append(f"'{first}'")
                    continue
            values.append("?")
            bound.append(column)
        conn.executemany(
            f"INSERT INTO ms_reading ({READING_COLUMNS}) VALUES ({', '.join(values)}) ON CONFLICT DO NOTHING",
            zip(*bound, strict=True),
        )
        return int(conn.total_changes) - before

    def _select_columns(self) -> str:
        # Missing floats come out as a sentinel: the Arrow reader types each column from its first values,
        # and a column that starts with NULLs would otherwise be typed as integers; the numeric reader of
        # the pysqlite path needs every value to be a number.
        return ", ".join(
            f"IFNULL(r.{c}, {_MISSING!r})" if c in _FLOAT_COLUMNS else f"r.{c}" for c in ENCODED_SCHEMA
        )

    def _fetch_readings(self, conn: Any, source: str) -> pl.DataFrame:
        if self._arrow_path is not None:
            frame = self._fetch_arrow(f"SELECT {self._select_columns()} {source}")
        else:
            frame = self._fetch_numbers(conn, source)
        return frame.with_columns(
            pl.when(pl.col(c) == _MISSING).then(None).otherwise(pl.col(c)).alias(c) for c in _FLOAT_COLUMNS
        )

    def _fetch_numbers(self, conn: Any, source: str) -> pl.DataFrame:
        """The pysqlite read: every row as numbers only, streamed into one float64 array.

        pysqlite builds a Python object per value, so the row is made narrow in SQL: the series (point,
        factor, kind, source) and the flag (its index in ``_FLAG_ORDER``) packed into one integer, the
        time, and the five values (missing ones as the sentinel); numpy then reads the flattened rows in C
        (no row tuples kept, no per-row record conversion: about 1.65 instead of 2.3 CPU-s for a 16-point
        week). Integers below 2**53 are exact in float64; larger ids take the row reader, and so does a
        read that meets an id newer than the radix it packed with (a point or factor added meanwhile)."""
        top_station, top_code = self._top_ids(conn)
        if top_station is None or top_code is None:
            return pl.DataFrame(schema=ENCODED_SCHEMA)
        codes = top_code + 1
        radix = [codes, _KIND_RADIX, _SOURCE_RADIX, _FLAG_RADIX]  # below the station id, in this order
        if (top_station + 1) * math.prod(radix) > _EXACT_LIMIT:
            return self._fetch_rows(conn, source)
        series = (
            f"((r.station_id * {codes} + r.code_id) * {_KIND_RADIX} + r.kind) * {_SOURCE_RADIX} + r.source"
        )
        key = (
            f"CASE WHEN r.station_id <= {top_station} AND r.code_id < {codes} "
            f"THEN ({series}) * {_FLAG_RADIX} + {_FLAG_CASE} ELSE -1 END"
        )
        values = ", ".join(f"IFNULL(r.{c}, {_MISSING!r})" for c in _VALUE_COLUMNS)
        width = 2 + len(_VALUE_COLUMNS)
        flat = np.fromiter(
            itertools.chain.from_iterable(conn.execute(f"SELECT {key}, r.t, {values} {source}")),
            dtype=np.float64,
        )
        rows = flat.reshape(-1, width)
        packed = rows[:, 0].astype(np.int64)
        if (packed < 0).any():
            return self._fetch_rows(conn, source)
        t = rows[:, 1].astype(np.int64)
        parts = []
        for size in reversed(radix):
            packed, part = np.divmod(packed, size)
            parts.append(part)
        flag_index, source_id, kind, code_id = parts
        flags = pl.Series("flag", [*_FLAG_ORDER, ""], dtype=pl.Utf8).gather(
            np.minimum(flag_index, len(_FLAG_ORDER))
        )
        other = flag_index == _FLAG_OTHER
        if other.any():  # a flag outside DataFlag (kept as sent): fetch those few as text
            stored = {
                (int(k), int(when)): str(flag)
                for k, when, flag in conn.execute(
                    f"SELECT {series}, r.t, r.flag {source} AND r.flag NOT IN "
                    f"({', '.join(repr(f) for f in _FLAG_ORDER)})"
                )
            }
            keys = ((packed * codes + code_id) * _KIND_RADIX + kind) * _SOURCE_RADIX + source_id
            flags = flags.scatter(
                np.flatnonzero(other),
                [stored[(int(k), int(when))] for k, when in zip(keys[other], t[other], strict=True)],
            )
        return pl.DataFrame(
            [
                pl.Series("station_id", packed),
                pl.Series("code_id", code_id),
                pl.Series("kind", kind),
                pl.Series("source", source_id),
                pl.Series("t", t),
                *(pl.Series(c, np.ascontiguousarray(rows[:, 2 + i])) for i, c in enumerate(_VALUE_COLUMNS)),
                flags,
            ]
        )

    @staticmethod
    def _top_ids(conn: Any) -> tuple[int | None, int | None]:
        """The largest point and factor ids (the radix of the packed series key)."""
        top_station, top_code = conn.execute(
            "SELECT (SELECT MAX(id) FROM ms_station), (SELECT MAX(id) FROM ms_code)"
        ).fetchone()
        return (
            None if top_station is None else int(top_station),
            None if top_code is None else int(top_code),
        )

    def _fetch_rows(self, conn: Any, source: str) -> pl.DataFrame:
        """The pysqlite read for ids too large to pack exactly: typed numpy columns filled row by row."""
        rows = np.fromiter(conn.execute(f"SELECT {self._select_columns()} {source}"), dtype=_ROW_DTYPE)
        return pl.DataFrame(
            [
                pl.Series(c, rows[c].tolist(), dtype=pl.Utf8)
                if c == "flag"
                else pl.Series(c, rows[c], dtype=t)
                for c, t in ENCODED_SCHEMA.items()
            ]
        )

    arrow_reads = False
    """Read through the Arrow (ADBC) driver. Only for processes that never write this database through
    pysqlite (e.g. screening pool workers): the driver links its own copy of SQLite, and two copies in one
    process do not see each other's POSIX locks (sqlite.org/howtocorrupt.html, 2.2.1)."""

    @property
    def _arrow_path(self) -> str | None:
        """The database file for the Arrow (ADBC) reader, when enabled, installed and the database a file."""
        if not self.arrow_reads or _adbc_sqlite is None:
            return None
        database = sa.make_url(self.url).database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return database

    def _fetch_arrow(self, sql: str) -> pl.DataFrame:
        # Reads straight into Arrow in C: about three times faster than building Python tuples (see
        # docs/benchmarks.md, screening speed). One connection per thread.
        assert _adbc_sqlite is not None
        local = self._arrow_local
        conn = getattr(local, "conn", None)
        if conn is None:
            # autocommit: each read is its own snapshot and never holds the WAL back from checkpoints
            conn = local.conn = _adbc_sqlite.connect(self._arrow_path, autocommit=True)
            with self._arrow_lock:
                self._arrow_conns.append(conn)
        cur = conn.cursor()
        try:
            cur.execute(sql)
            table = cur.fetch_arrow_table()
        finally:
            cur.close()
        if table.num_rows == 0:
            return pl.DataFrame(schema=ENCODED_SCHEMA)
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        return frame.rename(dict(zip(frame.columns, ENCODED_SCHEMA, strict=True))).cast(ENCODED_SCHEMA)  # type: ignore[arg-type]

    def close(self) -> None:
        with self._arrow_lock:
            conns, self._arrow_conns = self._arrow_conns, []
        for conn in conns:
            conn.close()
        self._arrow_local = threading.local()
        super().close()
