"""Hardening of accounts and the audit trail (issue 12, items 5, 6, 8 and weak secrets): the keyed, anchored
audit chain catches truncation, deletion and recomputation; wrong passwords lock an account and an address
for a while (audited); a foreign Origin cannot use the session cookie; security headers; weak secrets are
refused outside local use."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.audit.service import _canonical, _fields, anchor, read_anchors, record, verify
from ecosentinel.auth.models import LoginFailure, User
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.config import LOCAL_SECRET, Settings
from ecosentinel.errors import ConfigError
from tests.conftest import add_user

KEY = b"a-test-key-of-at-least-32-characters-long"


def _write(db: Session, n: int) -> None:
    for i in range(n):
        record(db, SYSTEM, "update", "warning", i, f"预警 {i} 状态变更", {"i": i}, ip="10.0.0.1")
    db.commit()


# --- the audit chain ----------------------------------------------------------------------------------------


def test_recomputing_the_chain_without_the_key_is_detected(db_session: Session) -> None:
    _write(db_session, 4)
    assert verify(db_session).ok
    entries = list(db_session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    assert {e.scheme for e in entries} == {"hmac-sha256"}
    # an attacker edits the second entry and recomputes every hash after it, with plain SHA-256 (no key)
    entries[1].summary = "预警 1 已排除"
    prev = entries[0].entry_hash
    for e in entries[1:]:
        e.prev_hash = prev
        e.entry_hash = hashlib.sha256((prev + _canonical(_fields(e))).encode()).hexdigest()
        prev = e.entry_hash
    db_session.commit()
    result = verify(db_session)
    assert not result.ok
    assert result.first_bad_id == entries[1].id
    assert result.reason == "entry content does not match its hash"
    # relabelling them as legacy entries does not help: a keyed entry came first
    for e in entries[1:]:
        e.scheme = "sha256"
    db_session.commit()
    assert verify(db_session).reason == "an unkeyed entry follows keyed ones"


def test_truncation_and_deletion_are_caught_by_the_anchor(db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    _write(db_session, 5)
    written = anchor(db_session, path)
    assert written is not None
    assert (written.count, len(read_anchors(path))) == (5, 1)
    assert verify(db_session, anchors=path).ok
    _write(db_session, 2)  # entries after the anchor are fine
    assert verify(db_session, anchors=path).ok

    newest = db_session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).all()
    ids_after_anchor = [e.id for e in newest if e.id > written.head_id]
    db_session.execute(sa.delete(AuditEntry).where(AuditEntry.id >= written.head_id))
    db_session.commit()
    truncated = verify(db_session, anchors=path)
    assert len(ids_after_anchor) == 2
    assert not truncated.ok
    assert truncated.reason == "an anchored entry is missing or changed (entries deleted)"
    assert verify(db_session).ok  # without the anchor the shortened chain looks intact: that is the point

    db_session.execute(sa.delete(AuditEntry))
    db_session.commit()
    emptied = verify(db_session, anchors=path)
    assert not emptied.ok
    assert emptied.entries == 0


def test_a_forged_anchor_is_detected(db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    _write(db_session, 3)
    anchor(db_session, path)
    line = json.loads(path.read_text(encoding="utf-8"))
    line["count"] = 2
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert verify(db_session, anchors=path).reason == "an anchor does not match its MAC"


def test_anchor_on_an_empty_trail_writes_nothing(db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    assert anchor(db_session, path) is None
    assert not path.exists()


# --- login throttling ---------------------------------------------------------------------------------------


def test_wrong_passwords_lock_the_account_even_for_the_right_password(
    client: TestClient, engine: sa.Engine
) -> None:
    add_user(engine, "zhang", Role.ANALYST, password="right-password-1")
    for _ in range(4):
        bad = client.post("/api/auth/login", json={"username": "zhang", "password": "wrong"})
        assert bad.status_code == 401
    fifth = client.post("/api/auth/login", json={"username": "zhang", "password": "wrong"})
    assert fifth.status_code == 429
    assert "锁定" in fifth.json()["detail"]
    right = client.post("/api/auth/login", json={"username": "zhang", "password": "right-password-1"})
    assert right.status_code == 429  # still locked: the right password does not help an attacker
    with Session(engine) as session:
        locks = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "lockout")).all()
        failures = session.scalar(sa.select(sa.func.count()).select_from(LoginFailure))
    assert len(locks) == 1  # audited once, when the lockout started
    assert "zhang" in locks[0].summary
    assert failures == 5
    # another account is not affected
    add_user(engine, "li", Role.ANALYST, password="right-password-2")
    ok = client.post("/api/auth/login", json={"username": "li", "password": "right-password-2"})
    assert ok.status_code == 200


def test_a_success_clears_the_failures_of_the_account(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "wang", Role.PATROL, password="right-password-1")
    for _ in range(4):
        client.post("/api/auth/login", json={"username": "wang", "password": "wrong"})
    assert client.post(
        "/api/auth/login", json={"username": "wang", "password": "right-password-1"}
    ).is_success
    for _ in range(4):
        assert (
            client.post("/api/auth/login", json={"username": "wang", "password": "wrong"}).status_code == 401
        )


def test_one_address_trying_many_accounts_is_locked(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "target", Role.LEADER, password="right-password-1")
    codes = [
        client.post("/api/auth/login", json={"username": f"guess{i}", "password": "x"}).status_code
        for i in range(20)
    ]
    assert codes[:19] == [401] * 19
    assert codes[19] == 429
    blocked = client.post("/api/auth/login", json={"username": "target", "password": "right-password-1"})
    assert blocked.status_code == 429


def test_the_login_page_shows_the_lockout(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "zhao", Role.OFFICER, password="right-password-1")
    for _ in range(5):
        page = client.post("/login", data={"username": "zhao", "password": "wrong"})
    assert page.status_code == 429
    assert "锁定" in page.text


# --- CSRF and headers ---------------------------------------------------------------------------------------


def test_a_foreign_origin_cannot_use_the_session_cookie(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "boss", Role.ADMIN, password="right-password-1")
    logged_in = client.post("/api/auth/login", json={"username": "boss", "password": "right-password-1"})
    assert logged_in.status_code == 200
    body = {"username": "evil", "password": "password-123", "role": "admin"}
    forged = client.post("/api/auth/users", json=body, headers={"Origin": "http://evil.example"})
    assert forged.status_code == 403
    assert "跨站" in forged.json()["detail"]
    null_origin = client.post("/api/auth/users", json=body, headers={"Origin": "null"})
    assert null_origin.status_code == 403
    foreign_referer = client.post(
        "/api/auth/users", json=body, headers={"Referer": "http://evil.example/page"}
    )
    assert foreign_referer.status_code == 403
    with Session(engine) as session:
        assert session.scalar(sa.select(User).where(User.username == "evil")) is None
    same_site = client.post("/api/auth/users", json=body, headers={"Origin": "http://testserver"})
    assert same_site.status_code == 201, same_site.text


def test_security_headers_on_pages_and_api(client: TestClient) -> None:
    page = client.get("/login")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    api = client.get("/healthz")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in api.headers  # local use: plain HTTP
    assert "Content-Security-Policy" not in client.get("/docs").headers  # FastAPI's own page


def test_cookies_are_secure_outside_local_use(engine: sa.Engine) -> None:
    from ecosentinel.database import session_factory
    from ecosentinel.server.app import create_app

    settings = Settings(env="production", secret_key="s" * 40)
    add_user(engine, "prod", Role.ANALYST, password="right-password-1")
    with TestClient(create_app(session_factory=session_factory(engine), settings=settings)) as client:
        response = client.post("/api/auth/login", json={"username": "prod", "password": "right-password-1"})
        assert response.status_code == 200
        cookie = response.headers["set-cookie"].lower()
        assert "secure" in cookie
        assert "httponly" in cookie
        assert "samesite=strict" in cookie
        assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


# --- secrets ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [LOCAL_SECRET, "x", "short-secret-of-31-characters!!"])
def test_weak_secrets_are_refused_outside_local_use(secret: str) -> None:
    with pytest.raises(ConfigError):
        Settings(env="production", secret_key=secret).check()


def test_a_real_secret_and_local_use_are_accepted() -> None:
    Settings(env="production", secret_key="k" * 32).check()
    Settings(env="local", secret_key=LOCAL_SECRET).check()


def test_the_chain_depends_on_the_key(db_session: Session) -> None:
    _write(db_session, 2)
    assert verify(db_session).ok
    assert not verify(db_session, key=KEY).ok  # verified with another key the MACs do not match
