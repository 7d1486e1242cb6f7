"""One relational database for everything (registry tables and measurement tables).

SQLite (embedded default, a file under the data directory) or PostgreSQL (``postgresql+psycopg://…``).
The schema is owned by Alembic migrations shipped inside the package (``ecosentinel/migrations``);
:func:`upgrade` runs them programmatically, so no ``alembic.ini`` is needed in the working directory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from ecosentinel.errors import DatabaseError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every ORM model; one metadata for the whole database."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def is_sqlite(url: str | sa.URL) -> bool:
    """True when the URL names an SQLite database."""
    return sa.make_url(url).get_backend_name() == "sqlite"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit at the driver level; SQLAlchemy (and the store) emit BEGIN themselves. This is the
    # SQLAlchemy-documented way to get correct transactions and SAVEPOINTs from pysqlite.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # fsync the WAL at every commit: acked data survives power loss
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA wal_autocheckpoint=10000")  # 40 MB: checkpoint pages once, not every commit
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache per connection
    cursor.close()


_READ_KEYWORDS = frozenset(
    {"SELECT", "PRAGMA", "EXPLAIN", "WITH", "VALUES", "BEGIN", "COMMIT", "ROLLBACK", "RELEASE"}
)


def _sqlite_before_execute(
    conn: sa.Connection, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    """READ COMMITTED on SQLite, as PostgreSQL's default: reads before a transaction's first write each see
    the newest commit (autocommit); the first write opens ``BEGIN IMMEDIATE``, which waits (busy_timeout) for
    the write lock instead of failing. A deferred ``BEGIN`` would make a read-then-write unit of work fail at
    once with "database is locked" (SQLITE_BUSY_SNAPSHOT) whenever another connection committed in between.
    """
    dbapi = cursor.connection
    if dbapi.in_transaction:
        return
    head = statement.lstrip()[:12].split(None, 1)
    if head and head[0].upper() not in _READ_KEYWORDS:
        dbapi.execute("BEGIN IMMEDIATE")


def create_engine(url: str | sa.URL, **kwargs: Any) -> Engine:
    """Create an engine: SQLite with WAL, synchronous=FULL, busy_timeout and foreign keys; or PostgreSQL."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("check_same_thread", False)
        engine = sa.create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "before_cursor_execute", _sqlite_before_execute)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        parsed = parsed.set(drivername="postgresql+psycopg")
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(parsed, **kwargs)


def alembic_config(url: str | sa.URL) -> Any:
    """The Alembic configuration shipped in the package, pointed at ``url``."""
    from alembic.config import Config

    ini = resources.files("ecosentinel.migrations").joinpath("alembic.ini")
    config = Config(str(ini))
    rendered = url if isinstance(url, str) else url.render_as_string(hide_password=False)
    config.attributes["database_url"] = rendered
    return config


def upgrade(url: str | sa.URL, revision: str = "head") -> None:
    """Apply the Alembic migrations up to ``revision`` (default: the newest)."""
    from alembic import command

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()
    logger.info("database schema upgraded to %s", revision)


def current_revision(url: str | sa.URL) -> str | None:
    """The Alembic revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rev: str | None = MigrationContext.configure(connection).get_current_revision()
            return rev
    finally:
        engine.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (objects stay usable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def head_revision() -> str | None:
    """The newest migration revision this code ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def prepare_schema(url: str | sa.URL) -> None:
    """Make the schema usable by a command.

    SQLite (the embedded default under the data directory) is brought to the newest revision on the spot,
    as ``serve`` does. PostgreSQL is only checked: a command refuses when the schema is not current, because
    an operator migrates a shared database deliberately (``ecosentinel db upgrade``).
    """
    if is_sqlite(url):
        if current_revision(url) != head_revision():
            upgrade(url)
        return
    current = current_revision(url)
    if current != head_revision():
        shown = sa.make_url(url).render_as_string(hide_password=True)
        raise DatabaseError(
            SCHEMA_NOT_CURRENT.format(url=shown, current=current or "未初始化", head=head_revision())
        )


SCHEMA_NOT_CURRENT = (
    "数据库 {url} 的结构版本（{current}）不是当前版本（{head}）：请先运行 `ecosentinel db upgrade`"
    "（PostgreSQL 上的命令不会自行迁移共享数据库）"
)
