"""SQLite backend of the measurement store (embedded default).

Durability comes from the engine settings (WAL, ``synchronous=FULL``: the WAL is fsynced at every
commit); one ``BEGIN IMMEDIATE`` … ``COMMIT`` per append; ``executemany`` with ``ON CONFLICT DO
NOTHING`` straight into the ``WITHOUT ROWID`` table (see docs/store.md for the measurements).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from ecosentinel.store._sql import ENCODED_SCHEMA, READING_COLUMNS, SqlStore

_INSERT = (
    f"INSERT INTO ms_reading ({READING_COLUMNS}) VALUES ({', '.join('?' * len(ENCODED_SCHEMA))}) "
    "ON CONFLICT DO NOTHING"
)


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
        conn.executemany(_INSERT, encoded.iter_rows())
        return int(conn.total_changes) - before

    def _fetch_readings(self, conn: Any, sql: str) -> pl.DataFrame:
        rows = conn.execute(sql).fetchall()
        return pl.DataFrame(rows, schema=ENCODED_SCHEMA, orient="row")
