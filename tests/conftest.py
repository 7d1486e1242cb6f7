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
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import create_user, use_password_hasher
from ecosentinel.database import create_engine, session_factory, upgrade
from ecosentinel.store.base import MeasurementStore, open_store

BACKENDS = ["sqlite", "postgresql"]

# Still argon2id, at the lowest cost: the suite creates hundreds of accounts and logs in thousands of times.
use_password_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
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


@pytest.fixture
def client(engine: sa.Engine) -> Iterator[TestClient]:
    """The web app (every area's routes) on the migrated database, without a running receiver."""
    from ecosentinel.server.app import create_app

    with TestClient(create_app(session_factory=session_factory(engine))) as test_client:
        yield test_client


def add_user(
    engine: sa.Engine,
    username: str,
    role: Role,
    *,
    password: str = "test-password-1",
    enterprise_id: int | None = None,
    agency_id: int | None = None,
) -> None:
    """Create an account directly in the database (tests)."""
    with session_factory(engine)() as session:
        create_user(
            session,
            username=username,
            password=password,
            role=role,
            enterprise_id=enterprise_id,
            agency_id=agency_id,
        )
        session.commit()


def login(client: TestClient, username: str, password: str = "test-password-1") -> dict[str, str]:
    """Log in through the API; returns the Authorization header to send with requests."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def login_as(
    engine: sa.Engine, role: Role, *, enterprise_id: int | None = None, agency_id: int | None = None
) -> dict[str, str]:
    """An Authorization header for a fresh session of a (created-on-demand) user with ``role``, no HTTP."""
    from ecosentinel.auth.models import User
    from ecosentinel.auth.service import open_session

    name = f"{role.value}-e{enterprise_id}-a{agency_id}"
    with session_factory(engine)() as session:
        user = session.scalar(sa.select(User).where(User.username == name))
        if user is None:
            user = create_user(
                session,
                username=name,
                password="test-password-1",
                role=role,
                enterprise_id=enterprise_id,
                agency_id=agency_id,
            )
        token = open_session(session, user)
        session.commit()
    return {"Authorization": f"Bearer {token}"}


def use_data_dir(client: TestClient, data_dir: Path) -> None:
    """Point a running test app at ``data_dir`` (settings are injected once, when the app is built)."""
    from ecosentinel.config import Settings

    app = client.app
    assert isinstance(app, FastAPI)
    app.state.settings = Settings(data_dir=data_dir)
