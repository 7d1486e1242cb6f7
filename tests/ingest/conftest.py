from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.orm import Session

from ecosentinel.config import IngestSettings
from ecosentinel.database import create_engine
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.server import IngestServer
from ecosentinel.readings import CST
from ecosentinel.registry.service import import_registry, load_point_auth
from ecosentinel.store.base import MeasurementStore, open_store

MN = "33040000000000000000TEST"
PW = "123456"
# two days ago at 08:00: recent enough for the receiver's time sanity check (minute data)
T0 = dt.datetime.now(CST).replace(hour=8, minute=0, second=0, microsecond=0) - dt.timedelta(days=2)
FACTORS = ("w01018", "w21003", "w21011", "w21001", "w01001", "w00000", "w01010", "w01014")

REGISTRY = {
    "enterprises": [
        {
            "name": "测试印染有限公司",
            "credit_code": "91330400MA2B000001",
            "industry": "印染",
            "points": [
                {
                    "mn": MN,
                    "pw": PW,
                    "name": "废水总排口",
                    "type": "water",
                    "factors": [{"code": c, "limit": 100.0} for c in FACTORS],
                }
            ],
        }
    ]
}


@pytest.fixture
def registered_url(migrated_url: str) -> str:
    engine = create_engine(migrated_url)
    with Session(engine) as session:
        import_registry(session, REGISTRY, source_name="test")
        session.commit()
    engine.dispose()
    return migrated_url


@pytest.fixture
def ingest_store(registered_url: str) -> Iterator[MeasurementStore]:
    store = open_store(registered_url)
    yield store
    store.close()


@pytest.fixture
async def server(registered_url: str, ingest_store: MeasurementStore) -> AsyncIterator[IngestServer]:
    engine = create_engine(registered_url)
    srv = IngestServer(
        settings=IngestSettings(port=0, idle_timeout_s=2.0, max_pending_per_connection=4),
        store=ingest_store,
        auth=AuthCache(lambda: load_point_auth(engine)),
    )
    await srv.start()
    yield srv
    await srv.stop()
    engine.dispose()


class LoggerClient:
    """A minimal data logger over a real socket: write frames, read CRLF-terminated replies."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, port: int) -> LoggerClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self) -> bytes:
        async with asyncio.timeout(10):
            return await self.reader.readuntil(b"\r\n")

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()
