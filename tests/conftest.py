"""Shared fixtures: a database on each backend (SQLite file, PostgreSQL schema), migrated, and its store.

``database_url`` is parametrised over ["sqlite", "postgresql"], so every test that uses it (directly or
through ``migrated_url`` / ``store`` / ``db_session``) runs on both. PostgreSQL comes from
ECOSENTINEL_TEST_DATABASE_URL; each test gets its own fresh schema (selected with ``search_path``),
dropped afterwards. Without that variable the PostgreSQL case fails: it is never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.database import create_engine, session_factory, upgrade
from ecosentinel.store.base import MeasurementStore, open_store

BACKENDS = ["sqlite", "postgresql"]
PG_ENV = "ECOSENTINEL_TEST_DATABASE_URL"


def postgres_base_url() -> str:
    """The test server's URL; fails the test (never skips) when it is not configured."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.fail(
            f"{PG_ENV} is not set: run `. scripts/ensure-postgres.sh` first (or use `make test`); "
            "the PostgreSQL half of the suite must not be skipped",
            pytrace=False,
        )
    return url


def _libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql", query={}).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: an SQLite file in tmp_path, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ecosentinel.db'}"
        return
    base = postgres_base_url()
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute("SET lock_timeout = '30s'")
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def migrated_url(database_url: str) -> str:
    """The database with every migration applied."""
    upgrade(database_url)
    return database_url


@pytest.fixture
def store(migrated_url: str) -> Iterator[MeasurementStore]:
    """The measurement store on the migrated database."""
    opened = open_store(migrated_url)
    yield opened
    opened.close()


@pytest.fixture
def engine(migrated_url: str) -> Iterator[sa.Engine]:
    """An engine on the migrated database."""
    created = create_engine(migrated_url)
    yield created
    created.dispose()


@pytest.fixture
def db_session(engine: sa.Engine) -> Iterator[Session]:
    """A session on the migrated database; the test commits what it needs."""
    with session_factory(engine)() as session:
        yield session
