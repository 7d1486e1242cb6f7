"""Accounts and sessions over the API: login, bad password, logout, enterprise binding."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ecosentinel.auth.roles import Role
from ecosentinel.errors import ValidationError
from tests.conftest import add_user, login


def test_login_me_logout(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "zhang", Role.ANALYST)
    headers = login(client, "zhang")
    me = client.get("/api/auth/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["role"] == "analyst"
    assert "screening.run" in me.json()["permissions"]
    assert client.post("/api/auth/logout", headers=headers).status_code == 200
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "li", Role.OFFICER)
    bad = client.post("/api/auth/login", json={"username": "li", "password": "wrong-password"})
    unknown = client.post("/api/auth/login", json={"username": "nobody", "password": "wrong-password"})
    assert bad.status_code == unknown.status_code == 401
    assert bad.json()["detail"] == unknown.json()["detail"] == "用户名或密码错误"


def test_password_is_stored_hashed(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "wang", Role.LEADER, password="secret-password")
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT password_hash FROM app_user WHERE username='wang'")
        ).scalar_one()
    assert "secret-password" not in stored
    assert stored.startswith("$argon2id$")


def test_enterprise_account_must_name_its_enterprise(engine: sa.Engine) -> None:
    with pytest.raises(ValidationError, match="绑定企业"):
        add_user(engine, "ent", Role.ENTERPRISE)
