"""Two platforms (downstream and upstream) on real sockets: helpers shared by the interop tests."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.config import IngestSettings, InteropSettings
from ecosentinel.database import create_engine, session_factory, upgrade
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.server import IngestServer
from ecosentinel.interop.runtime import InteropRuntime
from ecosentinel.registry.service import import_registry, load_point_auth
from ecosentinel.store.base import MeasurementStore, open_store
from ecosentinel.store.tables import ms_raw_packet
from tests.ingest.conftest import MN, PW, REGISTRY

UP_MN = "33000000000000000000CITY"
UP_PW = "city-pw-1"


def registry(mn: str = MN, pw: str = PW) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(REGISTRY)
    data["enterprises"][0]["points"][0].update(mn=mn, pw=pw)
    return data


def prepare(url: str, *, mn: str = MN, pw: str = PW) -> None:
    """Migrate ``url`` and register the test point under ``mn``/``pw``."""
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as session:
        import_registry(session, registry(mn, pw), source_name="test")
        session.commit()
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def raw_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).select_from(ms_raw_packet)) or 0)
    finally:
        engine.dispose()


async def wait_for(check: Callable[[], bool], limit: float = 30.0, interval: float = 0.1) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while loop.time() < deadline:
        if await asyncio.to_thread(check):
            return True
        await asyncio.sleep(interval)
    return bool(await asyncio.to_thread(check))


class Platform:
    """One running receiver (with its interop runtime when asked) on its own database."""

    def __init__(
        self,
        url: str,
        server: IngestServer,
        store: MeasurementStore,
        runtime: InteropRuntime | None,
        engine: sa.Engine,
    ) -> None:
        self.url = url
        self.server = server
        self.store = store
        self.runtime = runtime
        self.factory = session_factory(engine)

    @property
    def port(self) -> int:
        return self.server.port


@asynccontextmanager
async def platform(
    url: str,
    *,
    port: int = 0,
    interop: InteropSettings | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> AsyncIterator[Platform]:
    engine = create_engine(url)
    store = open_store(url)
    kwargs: dict[str, Any] = {} if clock is None else {"clock": clock}
    server = IngestServer(
        settings=IngestSettings(port=port, idle_timeout_s=60.0),
        store=store,
        auth=AuthCache(lambda: load_point_auth(engine)),
        **kwargs,
    )
    await server.start()
    runtime = None
    if interop is not None:
        runtime = InteropRuntime(server, session_factory(engine), store, interop, dispatch_interval_s=0.05)
        await runtime.start()
    try:
        yield Platform(url, server, store, runtime, engine)
    finally:
        if runtime is not None:
            await runtime.stop()
        await server.stop()
        store.close()
        engine.dispose()
