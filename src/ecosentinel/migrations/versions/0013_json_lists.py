"""Lists of codes are JSON arrays instead of comma-separated strings (issue 14).

Warning rules, warning-finding factors, data-extract codes, screening-finding factors, point-day rules and
device factor codes. Existing rows are converted (``"a,b"`` → ``["a", "b"]``, empty or NULL → ``[]``), and
back on downgrade.

Each column is replaced in place: add the new column, convert every row, drop the old column, give the new
one the old name. These are plain ALTER TABLE statements on both backends (SQLite ≥ 3.35 has DROP and
RENAME COLUMN). ``batch_alter_table`` is deliberately not used: on SQLite it recreates the table, and
dropping the old copy while ``PRAGMA foreign_keys=ON`` (always on here) cascades to referencing rows,
e.g. every finding and outcome of ``enf_warning``, or every filed parameter of ``device``. The new
columns are NOT NULL, which SQLite's ADD COLUMN allows only with a server default: ``'[]'`` (``''`` after
a downgrade).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, length of the comma-separated string column it was)
LIST_COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("enf_warning", "rules", 500),
    ("enf_warning_finding", "factors", 200),
    ("enf_data_extract", "codes", 300),
    ("screening_finding", "factors", 200),
    ("point_day_score", "rules", 500),
    ("device", "factor_codes", 200),
)
TEMPORARY = "{column}__new"
CHUNK = 1000


def split_codes(text: str | None) -> list[str]:
    """``"a,b"`` → ``["a", "b"]``; empty parts, an empty string and NULL give nothing."""
    return [part for part in (text or "").split(",") if part]


def join_codes(value: Any, length: int) -> str:
    """A JSON array (already decoded) → ``"a,b"``; NULL or an empty array → ``""``.

    Only whole codes that fit the old column's ``length`` are kept (a list that grew past it cannot go back).
    """
    text = ""
    for code in value or []:
        joined = f"{text},{code}" if text else str(code)
        if not code or len(joined) > length:
            continue
        text = joined
    return text


def _replace(
    table: str, column: str, new_type: sa.types.TypeEngine[Any], default: str, convert: Callable[[Any], Any]
) -> None:
    """Replace ``table.column`` by a column of ``new_type`` holding ``convert(old value)`` of every row."""
    temporary = TEMPORARY.format(column=column)
    op.add_column(table, sa.Column(temporary, new_type, nullable=False, server_default=default))
    connection = op.get_bind()
    # Lightweight table clauses: the old column read with its old type, the new one written with its new type
    # (so sa.JSON serialises lists and decodes arrays on both backends).
    old_type: sa.types.TypeEngine[Any] = sa.JSON() if isinstance(new_type, sa.String) else sa.Text()
    source = sa.table(table, sa.column("id", sa.Integer), sa.column(column, old_type))
    target = sa.table(table, sa.column("id", sa.Integer), sa.column(temporary, new_type))
    update = (
        sa.update(target)
        .where(target.c.id == sa.bindparam("row_id"))
        .values({temporary: sa.bindparam("converted", type_=new_type)})
    )
    last = None
    while True:
        query = sa.select(source.c.id, source.c[column]).order_by(source.c.id).limit(CHUNK)
        if last is not None:
            query = query.where(source.c.id > last)
        rows = connection.execute(query).all()
        if not rows:
            break
        connection.execute(
            update, [{"row_id": row_id, "converted": convert(value)} for row_id, value in rows]
        )
        last = rows[-1][0]
    op.drop_column(table, column)
    op.alter_column(table, temporary, new_column_name=column)


def upgrade() -> None:
    for table, column, _length in LIST_COLUMNS:
        _replace(table, column, sa.JSON(), "[]", split_codes)


def downgrade() -> None:
    for table, column, length in reversed(LIST_COLUMNS):
        _replace(table, column, sa.String(length), "", partial(join_codes, length=length))
