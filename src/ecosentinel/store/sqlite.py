"""SQLite backend of the measurement store (embedded default).

Durability comes from the engine settings (WAL, ``synchronous=FULL``: the WAL is fsynced at every
commit); one ``BEGIN IMMEDIATE`` … ``COMMIT`` per append; ``executemany`` with ``ON CONFLICT DO
NOTHING`` straight into the ``WITHOUT ROWID`` table (see docs/store.md for the measurements).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa

from ecosentinel.readings import DataFlag
from ecosentinel.store._sql import ENCODED_SCHEMA, READING_COLUMNS, EncodedRow, SqlStore

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
_COMMON_FLAG = DataFlag.NORMAL.value

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
        # and a column that starts with NULLs would otherwise be typed as integers; the numpy reader of
        # the pysqlite path needs every float present. That path also reads the common flag as NULL
        # (flag is NOT NULL in ms_reading, so NULL can only mean it): pysqlite then hands out None
        # instead of building a string object per row.
        arrow = self._arrow_path is not None
        return ", ".join(
            f"IFNULL(r.{c}, {_MISSING!r})"
            if c in _FLOAT_COLUMNS
            else f"NULLIF(r.{c}, '{_COMMON_FLAG}')"
            if c == "flag" and not arrow
            else f"r.{c}"
            for c in ENCODED_SCHEMA
        )

    def _fetch_readings(self, conn: Any, sql: str) -> pl.DataFrame:
        if self._arrow_path is not None:
            frame = self._fetch_arrow(sql)
        else:
            # numpy fills typed columns straight from the cursor: no list of row tuples, no row-wise
            # frame construction (about 25 % less CPU than fetchall + DataFrame(orient="row"))
            rows = np.fromiter(conn.execute(sql), dtype=_ROW_DTYPE)
            frame = pl.DataFrame(
                [
                    pl.Series(c, rows[c].tolist(), dtype=pl.Utf8).fill_null(_COMMON_FLAG)
                    if c == "flag"
                    else pl.Series(c, rows[c], dtype=t)
                    for c, t in ENCODED_SCHEMA.items()
                ]
            )
        return frame.with_columns(
            pl.when(pl.col(c) == _MISSING).then(None).otherwise(pl.col(c)).alias(c) for c in _FLOAT_COLUMNS
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
