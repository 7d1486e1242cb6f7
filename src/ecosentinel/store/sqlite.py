"""SQLite backend of the measurement store (embedded default).

Durability comes from the engine settings (WAL, ``synchronous=FULL``: the WAL is fsynced at every
commit); one ``BEGIN IMMEDIATE`` … ``COMMIT`` per append; ``executemany`` with ``ON CONFLICT DO
NOTHING`` straight into the ``WITHOUT ROWID`` table (see docs/store.md for the measurements).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ecosentinel.readings import DataFlag
from ecosentinel.store._sql import ENCODED_SCHEMA, READING_COLUMNS, SqlStore

_FLOAT_COLUMNS = {name for name, dtype in ENCODED_SCHEMA.items() if dtype == pl.Float64()}
_INTEGER_COLUMNS = {name for name, dtype in ENCODED_SCHEMA.items() if dtype == pl.Int64()}
_FLAG_VALUES = {flag.value for flag in DataFlag}


class SqliteStore(SqlStore):
    """Measurement store in an SQLite file."""

    placeholder = "?"

    def _begin(self, conn: Any) -> None:
        conn.execute("BEGIN IMMEDIATE")  # take the write lock up front: no deadlocked lock upgrades

    def _commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: Any) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

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

    def _fetch_readings(self, conn: Any, sql: str) -> pl.DataFrame:
        rows = conn.execute(sql).fetchall()
        return pl.DataFrame(rows, schema=ENCODED_SCHEMA, orient="row")
