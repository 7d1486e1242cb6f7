"""Accounts administration, audit trail search and verification, interference register: API, pages, CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.audit.models import AuditEntry, InterferenceRecord
from ecosentinel.auth.roles import Role
from ecosentinel.cli import app as cli_app
from tests.conftest import login, login_as

HTML = {"accept": "text/html"}


def test_admin_creates_deactivates_and_resets_accounts(client: TestClient, engine: sa.Engine) -> None:
    admin = login_as(engine, Role.ADMIN)
    created = client.post(
        "/api/auth/users",
        json={"username": "zhang", "password": "first-pass-1", "role": "officer", "display_name": "张三"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    assert created.json()["role_zh"] == "执法人员"
    session = login(client, "zhang", "first-pass-1")
    assert client.get("/api/auth/me", headers=session).status_code == 200

    reset = client.post(
        f"/api/auth/users/{user_id}/password", json={"password": "second-pass-2"}, headers=admin
    )
    assert reset.status_code == 200
    assert client.get("/api/auth/me", headers=session).status_code == 401  # sessions ended
    session = login(client, "zhang", "second-pass-2")

    off = client.post(f"/api/auth/users/{user_id}/deactivate", headers=admin)
    assert off.json()["active"] is False
    assert client.get("/api/auth/me", headers=session).status_code == 401
    refused = client.post("/api/auth/login", json={"username": "zhang", "password": "second-pass-2"})
    assert refused.status_code == 401

    entries = client.get(
        "/api/audit/entries", params={"entity": "user", "entity_id": str(user_id)}, headers=admin
    )
    summaries = [e["summary"] for e in entries.json()["results"]]
    assert summaries[0] == "停用账号 zhang"
    assert "重置账号 zhang 的密码" in summaries
    assert not any("second-pass-2" in e["detail"] for e in entries.json()["results"])


def test_account_rules_are_enforced(client: TestClient, engine: sa.Engine) -> None:
    admin = login_as(engine, Role.ADMIN)
    no_enterprise = client.post(
        "/api/auth/users",
        json={"username": "qiye", "password": "password-1", "role": "enterprise"},
        headers=admin,
    )
    assert no_enterprise.status_code == 422
    assert no_enterprise.json()["location"] == "enterprise_id"
    short = client.post(
        "/api/auth/users", json={"username": "x", "password": "short", "role": "patrol"}, headers=admin
    )
    assert short.status_code == 422
    me = client.get("/api/auth/me", headers=admin).json()
    users = client.get("/api/auth/users", headers=admin).json()
    my_id = next(u["id"] for u in users if u["username"] == me["username"])
    assert client.post(f"/api/auth/users/{my_id}/deactivate", headers=admin).status_code == 422


@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.PATROL, Role.OFFICER, Role.LEADER, Role.ENTERPRISE, Role.POLICE]
)
def test_only_administrators_manage_accounts(client: TestClient, engine: sa.Engine, role: Role) -> None:
    headers = login_as(
        engine, role, enterprise_id=None if role is not Role.ENTERPRISE else _enterprise(engine)
    )
    assert client.get("/api/auth/users", headers=headers).status_code == 403
    assert (
        client.post(
            "/api/auth/users",
            json={"username": "y", "password": "password-1", "role": "admin"},
            headers=headers,
        ).status_code
        == 403
    )
    assert client.get("/admin/users", headers={**headers, **HTML}).status_code == 403


def _enterprise(engine: sa.Engine) -> int:
    from ecosentinel.registry.models import Enterprise

    with Session(engine) as session:
        e = Enterprise(name="测试企业", credit_code="91330400CCCCCCCC03")
        session.add(e)
        session.commit()
        return e.id


def test_users_page_form_creates_an_account(client: TestClient, engine: sa.Engine) -> None:
    admin = {**login_as(engine, Role.ADMIN), **HTML}
    response = client.post(
        "/admin/users",
        data={"username": "li", "password": "password-1", "role": "analyst", "display_name": "李四"},
        headers=admin,
    )
    assert response.status_code == 200
    assert "已创建账号 li" in response.text
    assert "李四" in response.text
    bad = client.post(
        "/admin/users", data={"username": "li", "password": "password-1", "role": "analyst"}, headers=admin
    )
    assert "用户名 li 已存在" in bad.text


def test_audit_search_filters_and_permissions(client: TestClient, engine: sa.Engine) -> None:
    login_as(engine, Role.PATROL)
    patrol = login(client, "patrol-eNone-aNone")  # a login writes an audit entry
    assert client.get("/api/audit/entries", headers=patrol).status_code == 403
    leader = login_as(engine, Role.LEADER)
    found = client.get("/api/audit/entries", params={"username": "patrol-eNone-aNone"}, headers=leader).json()
    assert found["total"] == 1
    assert found["results"][0]["action"] == "login"
    none = client.get(
        "/api/audit/entries", params={"username": "patrol-eNone-aNone", "action": "delete"}, headers=leader
    ).json()
    assert none["total"] == 0
    page = client.get("/audit", params={"username": "patrol-eNone-aNone"}, headers={**leader, **HTML})
    assert page.status_code == 200
    assert "patrol-eNone-aNone 登录" in page.text
    assert client.get("/audit", headers={**patrol, **HTML}).status_code == 403


def test_interference_register(client: TestClient, engine: sa.Engine, db_session: Session) -> None:
    patrol = login_as(engine, Role.PATROL)
    created = client.post(
        "/api/audit/interference",
        json={"requester": "某局副局长王某", "content": "要求删除 3 月 10 日的超标数据", "channel": "电话"},
        headers=patrol,
    )
    assert created.status_code == 201, created.text
    assert (
        client.get("/api/audit/interference", headers=patrol).status_code == 403
    )  # patrol records, not reads
    analyst = login_as(engine, Role.ANALYST)
    listed = client.get("/api/audit/interference", headers=analyst).json()
    assert [r["requester"] for r in listed["results"]] == ["某局副局长王某"]
    entry = db_session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "interference"))
    assert entry is not None
    assert "要求删除" in entry.detail
    empty = client.post("/api/audit/interference", json={"requester": " ", "content": "x"}, headers=patrol)
    assert empty.status_code == 422
    form = client.post(
        "/audit/interference", data={"requester": "李某", "content": "改数据"}, headers={**patrol, **HTML}
    )
    assert "干预记录已登记" in form.text
    db_session.rollback()  # end the snapshot taken above
    assert db_session.scalar(sa.select(sa.func.count()).select_from(InterferenceRecord)) == 2
    assert client.post("/api/audit/interference", json={"requester": "a", "content": "b"}).status_code == 401
    police = login_as(engine, Role.POLICE)
    assert (
        client.post(
            "/api/audit/interference", json={"requester": "a", "content": "b"}, headers=police
        ).status_code
        == 403
    )


def test_audit_verify_cli_and_page_detect_tampering(
    client: TestClient, engine: sa.Engine, migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = login_as(engine, Role.ADMIN)
    for name in ("a1", "a2", "a3"):
        client.post(
            "/api/auth/users",
            json={"username": name, "password": "password-1", "role": "patrol"},
            headers=admin,
        )
    monkeypatch.setenv("ECOSENTINEL_DATABASE_URL", migrated_url)
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "共 3 条记录，哈希链" in ok.output
    with engine.begin() as conn:
        second = conn.scalar(sa.select(AuditEntry.id).order_by(AuditEntry.id).offset(1).limit(1))
        conn.execute(
            sa.update(AuditEntry).where(AuditEntry.id == second).values(summary="创建账号 a2（管理员）")
        )
    broken = runner.invoke(cli_app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"编号 {second}" in broken.output
    assert "内容被修改" in broken.output
    api = client.get("/api/audit/verify", headers=admin).json()
    assert api == {
        "ok": False,
        "entries": 2,
        "first_bad_id": second,
        "reason": "entry content does not match its hash",
    }
    page = client.get("/audit", params={"check": "true"}, headers={**admin, **HTML})
    assert 'data-testid="chain-broken"' in page.text


def test_users_cli_create_and_list(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECOSENTINEL_DATABASE_URL", migrated_url)
    monkeypatch.setenv("ECOSENTINEL_NEW_PASSWORD", "cli-password-1")
    runner = CliRunner()
    created = runner.invoke(
        cli_app, ["users", "create", "wang", "--role", "leader", "--display-name", "王局"]
    )
    assert created.exit_code == 0, created.output
    assert "已创建账号 wang（局领导）" in created.output
    again = runner.invoke(cli_app, ["users", "create", "wang", "--role", "leader"])
    assert again.exit_code == 2
    assert "已存在" in again.output
    listed = runner.invoke(cli_app, ["users", "list"])
    assert "wang\tleader\t局领导\t王局" in listed.output
