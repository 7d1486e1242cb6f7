"""Remote commands (反控) round-trip with the simulated logger over real TCP, with their audit entries."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.config import InteropSettings
from ecosentinel.database import create_engine, session_factory
from ecosentinel.interop import commands
from ecosentinel.interop.models import RemoteCommand
from ecosentinel.simulator.responder import StationResponder
from ecosentinel.simulator.sender import LoggerLink
from tests.conftest import login_as
from tests.ingest.conftest import MN, PW, LoggerClient
from tests.ingest.test_server import minute_packet
from tests.interop.conftest import platform, prepare, wait_for

SETTINGS = InteropSettings(forward_enabled=False, backfill_enabled=False)

ROUND_TRIPS: list[tuple[str, dict[str, str | int]]] = [
    ("time_query", {}),
    ("time_set", {"SystemTime": "20260101120000"}),
    ("rtd_interval_set", {"RtdInterval": 60}),
    ("rtd_interval_query", {}),
    ("min_interval_set", {"MinInterval": 5}),
    ("min_interval_query", {}),
    ("calibrate", {"PolId": "w01018"}),
    ("sample_now", {"PolId": "w01018"}),
    ("comparison_sample", {"PolId": "w01018"}),
    ("retain_sample", {"PolId": "w01018"}),
    ("info_set", {"PolId": "w01018", "InfoId": "i13004", "Value": "170"}),
    ("info_query", {"PolId": "w01018", "InfoId": "i13004"}),
]


def _rows(url: str) -> list[RemoteCommand]:
    engine = create_engine(url)
    try:
        with session_factory(engine)() as session:
            return list(session.scalars(sa.select(RemoteCommand).order_by(RemoteCommand.id)))
    finally:
        engine.dispose()


async def test_every_command_round_trips_with_the_simulator(migrated_url: str, tmp_path: Path) -> None:
    prepare(migrated_url)
    async with platform(migrated_url, interop=SETTINGS) as county:
        responder = StationResponder(mn=MN, pw=PW, st="32")
        link = LoggerLink("127.0.0.1", county.port, 10.0, responder)
        assert (await link.exchange(minute_packet(0))).cn == "9014"  # the logger is connected
        with county.factory() as session:
            for key, params in ROUND_TRIPS:
                commands.issue_command(session, SYSTEM, mn=MN, key=key, params=params)
            session.commit()
        done = lambda: all(r.status not in commands.OPEN for r in _rows(migrated_url))  # noqa: E731
        assert await wait_for(done, limit=20)
        await link.close()
    rows = _rows(migrated_url)
    assert [(r.status, r.qn_rtn, r.exe_rtn) for r in rows] == [("succeeded", 1, 1)] * len(ROUND_TRIPS)
    result = {r.cn: json.loads(r.result) for r in rows}
    assert result["1011"]["SystemTime"].isdigit()
    assert result["1061"] == {"RtdInterval": "60"}  # what was set before is read back
    assert result["1063"] == {"MinInterval": "5"}
    assert result["3020"]["i13004-Info"] == "170"
    assert responder.handled == [c for c in (r.cn for r in rows)]
    engine = create_engine(migrated_url)
    with session_factory(engine)() as session:
        actions = list(session.scalars(sa.select(AuditEntry.action)))
    engine.dispose()
    assert actions.count("interop.command.issue") == len(ROUND_TRIPS)
    assert actions.count("interop.command.result") == len(ROUND_TRIPS)


async def test_silent_logger_times_out_and_absent_logger_expires(migrated_url: str) -> None:
    prepare(migrated_url)
    quick = SETTINGS.model_copy(update={"command_answer_timeout_s": 0.5, "command_queue_timeout_s": 0.5})
    async with platform(migrated_url, interop=quick) as county:
        with county.factory() as session:
            commands.issue_command(session, SYSTEM, mn=MN, key="time_query")  # nobody connected yet
            session.commit()
        assert await wait_for(lambda: _rows(migrated_url)[0].status == "expired", limit=10)
        silent = await LoggerClient.connect(county.port)  # reads its answers, never answers a request
        await silent.send(minute_packet(1))
        await silent.reply()
        with county.factory() as session:
            commands.issue_command(session, SYSTEM, mn=MN, key="calibrate", params={"PolId": "w01018"})
            session.commit()
        assert await wait_for(lambda: _rows(migrated_url)[1].status == "timeout", limit=10)
        await silent.close()
    assert _rows(migrated_url)[1].sent_at is not None


def test_command_api_checks_the_role_and_scope(engine: sa.Engine, client: TestClient) -> None:
    with session_factory(engine)() as session:
        from ecosentinel.registry.service import import_registry
        from tests.interop.conftest import registry

        import_registry(session, registry(), source_name="test")
        session.commit()
    body = {"command": "calibrate", "params": {"PolId": "w01018"}}
    analyst = login_as(engine, Role.ANALYST)
    created = client.post(f"/api/interop/points/{MN}/commands", json=body, headers=analyst)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "pending"
    assert created.json()["verified"] is False  # 3011 is not in the shared notes: marked unverified
    refused = client.post(
        f"/api/interop/points/{MN}/commands", json=body, headers=login_as(engine, Role.OFFICER)
    )
    assert refused.status_code == 403
    bad = client.post(
        f"/api/interop/points/{MN}/commands", json={"command": "self_destruct"}, headers=analyst
    )
    assert bad.status_code == 422
    assert "未知的反控命令" in bad.text
    listed = client.get(f"/api/interop/points/{MN}/commands", headers=login_as(engine, Role.LEADER))
    assert [c["cn"] for c in listed.json()] == ["3011"]
    page = client.get(f"/stations/{MN}", headers=analyst)
    assert "零点校准量程校准" in page.text
    assert client.get("/api/interop/targets", headers=analyst).status_code == 403
    admin = login_as(engine, Role.ADMIN)
    assert client.get("/api/interop/targets", headers=admin).status_code == 200
    added = client.post(
        "/api/interop/targets", json={"name": "province", "host": "10.0.0.9", "port": 9212}, headers=admin
    )
    assert added.status_code == 201, added.text
    assert added.json()["queue_depth"] == 0
    page = client.get("/interop/forwarding", headers=admin)
    assert "province" in page.text
    assert client.get("/interop/forwarding", headers=analyst).status_code == 403


def test_command_fields_are_shown_by_chinese_name() -> None:
    from ecosentinel.interop.commands import fields_text

    text = fields_text({"PolId": "w01018", "InfoId": "i13004", "SystemTime": "20260105083000"})
    assert text == "因子：化学需氧量（COD）[w01018]；信息项：消解温度（i13004）；现场机时间：20260105083000"
    assert fields_text({"w01018-Rtd": "12.5", "i13004-Info": "165"}) == (
        "化学需氧量（COD）[w01018]实时值：12.5；消解温度（i13004）：165"
    )
    assert fields_text({}) == "—"
