"""Inspection plans with phases, and the positive list, through the API."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.registry.models import Enterprise
from tests.conftest import login_as

PLAN = {
    "kind": "专项计划",
    "title": "2026年重点单位污染源自动监控专项执法检查计划",
    "start_on": "2026-01-01",
    "end_on": "2026-12-10",
    "scope": "全区涉水、涉气重点单位",
    "planned_inspections": 52,
    "phases": [
        {"name": "动员部署阶段", "start_on": "2026-01-01", "end_on": "2026-01-15"},
        {"name": "全面实施阶段", "start_on": "2026-01-15", "end_on": "2026-11-30"},
        {"name": "强化经验总结", "start_on": "2026-12-01", "end_on": "2026-12-10"},
    ],
}


def test_plans_and_positive_list(client: TestClient, engine: sa.Engine) -> None:
    officer = login_as(engine, Role.OFFICER)
    created = client.post("/api/enforcement/plans", json=PLAN, headers=officer)
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["kind"] == "special"
    assert plan["year"] == 2026
    assert [p["seq"] for p in plan["phases"]] == [1, 2, 3]

    outside = {**PLAN, "phases": [{"name": "总结", "start_on": "2026-12-01", "end_on": "2027-01-10"}]}
    refused = client.post("/api/enforcement/plans", json=outside, headers=officer)
    assert refused.status_code == 422
    assert refused.json()["location"] == "phases[0]"
    assert "超出计划时段" in refused.json()["detail"]
    bad_kind = client.post("/api/enforcement/plans", json={**PLAN, "kind": "monthly"}, headers=officer)
    assert bad_kind.status_code == 422
    assert "年度计划、专项计划" in bad_kind.json()["detail"]

    leader = login_as(engine, Role.LEADER)  # reads plans, does not manage them
    assert client.get("/api/enforcement/plans?year=2026", headers=leader).json()["meta"]["count"] == 1
    assert client.post("/api/enforcement/plans", json=PLAN, headers=leader).status_code == 403

    with Session(engine) as session:
        enterprise = Enterprise(name="守法企业", credit_code="91500102MA5U000031")
        session.add(enterprise)
        session.commit()
        enterprise_id = enterprise.id
    entry = client.post(
        "/api/enforcement/positive-list",
        json={"enterprise_id": enterprise_id, "reason": "正面清单", "valid_from": "2026-01-01"},
        headers=officer,
    )
    assert entry.status_code == 201
    valid = client.get("/api/enforcement/positive-list?on=2026-06-01", headers=leader).json()
    assert [e["enterprise_id"] for e in valid["results"]] == [enterprise_id]
    ended = client.post(
        f"/api/enforcement/positive-list/{entry.json()['id']}/end",
        json={"valid_until": "2026-03-31"},
        headers=officer,
    )
    assert ended.status_code == 200
    assert client.get("/api/enforcement/positive-list?on=2026-06-01", headers=leader).json()["results"] == []
