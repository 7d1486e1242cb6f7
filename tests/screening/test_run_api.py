"""/api/screening: findings and scores scoped by enterprise, audited finding views, runs started and polled
(both backends)."""

from __future__ import annotations

import datetime as dt
import time

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.database import session_factory
from ecosentinel.detection.findings import Finding, Severity
from ecosentinel.screening import service
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.store.base import MeasurementStore
from tests.conftest import login_as
from tests.screening.test_run_service import Seeded, seed

WAIT_S = 120.0


def _screened(engine: sa.Engine, store: MeasurementStore, url: str) -> Seeded:
    """Seeded data, screened and saved, plus one hand-made finding on the clean point (other enterprise)."""
    data = seed(engine, store)
    factory = session_factory(engine)
    service.run_screening(factory, url, start=data.start, end=data.end, store=store)
    t0 = data.start + dt.timedelta(hours=3)
    other = Finding(
        data.clean_mn,
        "R02_zero_negative",
        ("w21003",),
        t0,
        t0 + dt.timedelta(hours=2),
        Severity.HIGH,
        0.9,
        {"kind": "zero", "window": [t0.isoformat(), (t0 + dt.timedelta(hours=2)).isoformat()]},
        "测试线索",
    )
    with factory() as session:
        contexts = load_contexts(session, [data.clean_mn], data.start, data.end)
        service.save_findings(session, [other], contexts, run_id=None)
        session.commit()
    return data


def test_findings_and_scores_are_scoped_to_the_enterprise(
    client: TestClient, engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = _screened(engine, store, migrated_url)
    ent_a, ent_b = data.enterprise_of[data.bad_mn], data.enterprise_of[data.clean_mn]
    analyst = login_as(engine, Role.ANALYST)
    a_user = login_as(engine, Role.ENTERPRISE, enterprise_id=ent_a)
    b_user = login_as(engine, Role.ENTERPRISE, enterprise_id=ent_b)

    everything = client.get("/api/screening/findings", headers=analyst).json()
    assert {f["mn"] for f in everything["results"]} == {data.bad_mn, data.clean_mn}
    assert everything["meta"]["count"] == len(everything["results"])

    own_a = client.get("/api/screening/findings", headers=a_user).json()
    assert own_a["results"]
    assert {f["mn"] for f in own_a["results"]} == {data.bad_mn}
    assert {f["enterprise_id"] for f in own_a["results"]} == {ent_a}
    own_b = client.get("/api/screening/findings", headers=b_user).json()
    assert [f["mn"] for f in own_b["results"]] == [data.clean_mn]
    assert own_b["meta"]["count"] == 1

    a_finding = own_a["results"][0]["id"]
    assert client.get(f"/api/screening/findings/{a_finding}", headers=b_user).status_code == 403
    assert (
        client.get("/api/screening/findings", params={"mn": data.bad_mn}, headers=b_user).status_code == 403
    )

    scores_b = client.get("/api/screening/scores/points", headers=b_user).json()["results"]
    assert {s["mn"] for s in scores_b} == {data.clean_mn}
    scores_all = client.get("/api/screening/scores/points", headers=analyst).json()["results"]
    assert {s["mn"] for s in scores_all} == {data.bad_mn, data.clean_mn}
    ent_scores_b = client.get("/api/screening/scores/enterprises", headers=b_user).json()["results"]
    assert {s["enterprise_id"] for s in ent_scores_b} == {ent_b}

    high = client.get("/api/screening/findings", params={"min_severity": "high"}, headers=analyst).json()
    assert all(f["severity"] == "high" for f in high["results"])
    assert (
        client.get("/api/screening/findings", params={"min_severity": "x"}, headers=analyst).status_code
        == 422
    )


def test_viewing_a_finding_is_audited(
    client: TestClient, engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = _screened(engine, store, migrated_url)
    user = login_as(engine, Role.ENTERPRISE, enterprise_id=data.enterprise_of[data.bad_mn])
    finding = client.get("/api/screening/findings", headers=user).json()["results"][0]
    detail = client.get(f"/api/screening/findings/{finding['id']}", headers=user)
    assert detail.status_code == 200
    body = detail.json()
    assert body["explanation_zh"]
    assert body["evidence"]["window"]
    assert client.get("/api/screening/findings/999999", headers=user).status_code == 404
    with Session(engine) as session:
        views = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "screening_finding", AuditEntry.action == "view")
        ).all()
    assert [v.entity_id for v in views] == [str(finding["id"])]
    assert views[0].username.startswith("enterprise")


def test_a_run_started_over_the_api_can_be_polled(
    client: TestClient, engine: sa.Engine, store: MeasurementStore
) -> None:
    data = seed(engine, store, days=1.0)
    analyst = login_as(engine, Role.ANALYST)
    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=data.enterprise_of[data.bad_mn])
    assert client.post("/api/screening/runs", json={}, headers=enterprise).status_code == 403
    assert client.get("/api/screening/runs", headers=enterprise).status_code == 403

    started = client.post("/api/screening/runs", json={"points": [data.bad_mn]}, headers=analyst)
    assert started.status_code == 202, started.text
    status_url = started.json()["status_url"]
    deadline = time.monotonic() + WAIT_S
    while True:
        run = client.get(status_url, headers=analyst).json()
        if run["status"] != "running":
            break
        assert time.monotonic() < deadline, run
        time.sleep(0.05)
    assert run["status"] == "succeeded", run["error"]
    assert run["points"] == run["points_done"] == 1
    assert run["mode"] == "manual"
    assert run["triggered_by"] == "analyst-eNone-aNone"
    runs = client.get("/api/screening/runs", headers=analyst).json()["results"]
    assert [r["id"] for r in runs] == [run["id"]]
    found = client.get("/api/screening/findings", params={"run_id": run["id"]}, headers=analyst).json()
    assert found["meta"]["count"] == run["new_findings"] > 0

    bad = client.post(
        "/api/screening/runs",
        json={"start": "2024-05-07T00:00:00", "end": "2024-05-06T00:00:00"},
        headers=analyst,
    )
    assert bad.status_code == 422


def test_pages_show_scoped_findings_and_start_runs(
    client: TestClient, engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = _screened(engine, store, migrated_url)
    b_user = login_as(engine, Role.ENTERPRISE, enterprise_id=data.enterprise_of[data.clean_mn])
    listing = client.get("/screening", headers=b_user)
    assert listing.status_code == 200
    assert data.clean_mn in listing.text
    assert data.bad_mn not in listing.text
    assert "发起筛查" not in listing.text  # enterprises may not start runs
    own = client.get("/api/screening/findings", headers=b_user).json()["results"][0]["id"]
    detail = client.get(f"/screening/findings/{own}", headers=b_user)
    assert detail.status_code == 200
    assert "测试线索" in detail.text

    analyst = login_as(engine, Role.ANALYST)
    listing = client.get("/screening", params={"min_severity": "high"}, headers=analyst)
    assert listing.status_code == 200
    assert "发起筛查" in listing.text
    started = client.post("/screening/runs", data={}, headers=analyst, follow_redirects=False)
    assert started.status_code == 303
    app = client.app
    assert isinstance(app, FastAPI)
    assert app.state.jobs.wait_all(WAIT_S)
    runs = client.get("/api/screening/runs", headers=analyst).json()["results"]
    assert runs[0]["status"] == "succeeded"
