"""Maintenance windows declared by an enterprise excuse nothing until an analyst approves them, and no
declaration covers more than 72 hours (issue 12 item 9: a window from 2000 to 2099 excused everything)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.registry import context
from tests.conftest import login_as
from tests.registry.sample import DYEING, GAS_MN, WATER_MN
from tests.registry.test_registry_api import _load

START = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
END = dt.datetime(2025, 6, 3, tzinfo=dt.UTC)


def _windows(engine: sa.Engine) -> list[tuple[dt.datetime, dt.datetime]]:
    with Session(engine) as session:
        frame = context.maintenance_windows(session, [WATER_MN], START, END)
    return list(zip(frame["start"].to_list(), frame["end"].to_list(), strict=True))


def test_an_enterprise_window_waits_for_an_analyst(client: TestClient, engine: sa.Engine) -> None:
    ids = _load(client, engine)
    dyeing = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[DYEING])
    declared = client.post(
        "/api/registry/maintenance-windows",
        json={"mn": WATER_MN, "start": "2025-06-01T09:00:00", "end": "2025-06-01T12:00:00", "reason": "换泵"},
        headers=dyeing,
    )
    assert declared.status_code == 201, declared.text
    assert declared.json()["status"] == "pending"
    window_id = declared.json()["id"]
    assert _windows(engine) == []  # pending: screening does not see it

    assert (
        client.post(
            f"/api/registry/maintenance-windows/{window_id}/approve", json={}, headers=dyeing
        ).status_code
        == 403
    )  # the enterprise cannot approve its own
    pending = client.get("/api/registry/maintenance-windows?status=pending", headers=dyeing).json()
    assert [w["id"] for w in pending["results"]] == [window_id]

    analyst = login_as(engine, Role.ANALYST)
    approved = client.post(
        f"/api/registry/maintenance-windows/{window_id}/approve",
        json={"note": "已核实运维记录"},
        headers=analyst,
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert len(_windows(engine)) == 1
    again = client.post(
        f"/api/registry/maintenance-windows/{window_id}/reject", json={"note": "x"}, headers=analyst
    )
    assert again.status_code == 422  # reviewed once
    with Session(engine) as session:
        actions = list(
            session.scalars(
                sa.select(AuditEntry.action)
                .where(AuditEntry.entity == "maintenance_window")
                .order_by(AuditEntry.id)
            )
        )
    assert actions == ["create", "approve"]


def test_a_rejected_window_needs_a_reason_and_excuses_nothing(client: TestClient, engine: sa.Engine) -> None:
    ids = _load(client, engine)
    dyeing = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[DYEING])
    window_id = client.post(
        "/api/registry/maintenance-windows",
        json={"mn": WATER_MN, "start": "2025-06-02T01:00:00", "end": "2025-06-02T05:00:00"},
        headers=dyeing,
    ).json()["id"]
    analyst = login_as(engine, Role.ANALYST)
    no_reason = client.post(f"/api/registry/maintenance-windows/{window_id}/reject", json={}, headers=analyst)
    assert no_reason.status_code == 422
    rejected = client.post(
        f"/api/registry/maintenance-windows/{window_id}/reject",
        json={"note": "夜间无运维记录"},
        headers=analyst,
    )
    assert rejected.json()["status"] == "rejected"
    assert _windows(engine) == []


def test_no_declaration_covers_more_than_72_hours(client: TestClient, engine: sa.Engine) -> None:
    ids = _load(client, engine)
    dyeing = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[DYEING])
    century = client.post(
        "/api/registry/maintenance-windows",
        json={"mn": WATER_MN, "start": "2000-01-01T00:00:00", "end": "2099-12-31T00:00:00"},
        headers=dyeing,
    )
    assert century.status_code == 422
    assert "最长 72 小时" in century.json()["detail"]
    other = client.post(
        "/api/registry/maintenance-windows",
        json={"mn": GAS_MN, "start": "2025-06-01T00:00:00", "end": "2025-06-01T02:00:00"},
        headers=dyeing,
    )
    assert other.status_code == 403  # not its point


def test_staff_windows_are_approved_at_once(client: TestClient, engine: sa.Engine) -> None:
    _load(client, engine)
    admin = login_as(engine, Role.ADMIN)
    made = client.post(
        "/api/registry/maintenance-windows",
        json={"mn": WATER_MN, "start": "2025-06-01T09:00:00", "end": "2025-06-01T10:00:00"},
        headers=admin,
    )
    assert made.json()["status"] == "approved"
    assert len(_windows(engine)) == 1
