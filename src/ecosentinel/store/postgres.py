"""PostgreSQL backend of the measurement store (city and larger deployments).

Appends COPY the batch (as CSV written by polars, or row by row for the ingest writer's plain rows) into
a session temp table, then move it with one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (idempotency on
the primary key); reads stream ``COPY (SELECT …) TO STDOUT`` as CSV straight into polars. Durability:
``synchronous_commit`` as the server sets it (``on`` by default: the commit is flushed to the WAL before
it returns).
"""

from __future__ import annotations

import io
from typing import Any

import polars as pl

from ecosentinel.store._sql import ENCODED_SCHEMA, READING_COLUMNS, EncodedRow, SqlStore

_COPY_CHUNK_ROWS = 200_000
RAW_ID_LOCK = 0x45_63_6F_52_61_77  # advisory lock key ("EcoRaw"): raw-packet inserts, one at a time

_CREATE_TEMP = (
    "CREATE TEMP TABLE IF NOT EXISTS tmp_ms_reading ("
    "station_id integer, code_id integer, kind smallint, source smallint, t bigint, value double precision, "
    "vmin double precision, vmax double precision, cou double precision, zs double precision, flag varchar(2)"
    ") ON COMMIT DELETE ROWS"
)

_MOVE_TEMP = (
    f"INSERT INTO ms_reading ({READING_COLUMNS}) SELECT {READING_COLUMNS} FROM tmp_ms_reading "
    "ON CONFLICT DO NOTHING"
)


class PostgresStore(SqlStore):
    """Measurement store in a PostgreSQL database (psycopg 3)."""

    placeholder = "%s"

    def _begin(self, conn: Any) -> None:
        pass  # psycopg opens a transaction with the first statement

    def _commit(self, conn: Any) -> None:
        conn.commit()

    def _rollback(self, conn: Any) -> None:
        conn.rollback()

    def _order_raw_ids(self, conn: Any) -> None:
        # Ids come from a sequence when the row is inserted, so two receiver processes could commit id 8
        # after id 9 and a forwarder that already read 9 would skip 8. A transaction-scoped advisory lock
        # taken just before the raw rows are inserted (the last step of an append) orders the inserts and
        # commits: the lock is held only for that insert and the commit.
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (RAW_ID_LOCK,))

    def _insert_readings(self, conn: Any, encoded: pl.DataFrame) -> int:
        with conn.cursor() as cur:
            cur.execute(_CREATE_TEMP)
            with cur.copy(f"COPY tmp_ms_reading ({READING_COLUMNS}) FROM STDIN (FORMAT csv)") as copy:
                for chunk in encoded.iter_slices(_COPY_CHUNK_ROWS):
                    copy.write(chunk.write_csv(include_header=False))
            cur.execute(_MOVE_TEMP)
            inserted = int(cur.rowcount)
            cur.execute("TRUNCATE tmp_ms_reading")  # a long import may append again in this transaction
        return inserted

    def _insert_rows(self, conn: Any, rows: list[EncodedRow]) -> int:
        with conn.cursor() as cur:
            cur.execute(_CREATE_TEMP)
            with cur.copy(f"COPY tmp_ms_reading ({READING_COLUMNS}) FROM STDIN") as copy:
                write_row = copy.write_row
                for row in rows:
                    write_row(row)
            cur.execute(_MOVE_TEMP)
            inserted = int(cur.rowcount)
            cur.execute("TRUNCATE tmp_ms_reading")
        return inserted

    def _fetch_readings(self, conn: Any, source: str) -> pl.DataFrame:
        buffer = io.BytesIO()
        sql = f"SELECT {self._select_columns()} {source}"
        with conn.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for data in copy:
                buffer.write(data)
        if buffer.tell() == 0:
            return pl.DataFrame(schema=ENCODED_SCHEMA)
        buffer.seek(0)
        return pl.read_csv(buffer, has_header=False, schema=ENCODED_SCHEMA)
