"""Registry API: event scoping, registry file round trip, permits check, comparison tests, 3020 uploads."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.database import session_factory
from ecosentinel.registry.models import Enterprise, OMAgency, StationEvent
from tests.conftest import login_as
from tests.registry.sample import AGENCY, DYEING, GAS_MN, POWER, REGISTRY_YAML, WATER_MN


def _load(client: TestClient, engine: sa.Engine) -> dict[str, int]:
    admin = login_as(engine, Role.ADMIN)
    response = client.post("/api/registry/import?format=yaml", content=REGISTRY_YAML.encode(), headers=admin)
    assert response.status_code == 200, response.text
    with session_factory(engine)() as session:
        ids = {e.credit_code: e.id for e in session.scalars(sa.select(Enterprise))}
        ids[AGENCY] = session.scalars(sa.select(OMAgency.id)).one()
    return ids


def test_enterprise_posts_events_only_for_its_own_points(client: TestClient, engine: sa.Engine) -> None:
    ids = _load(client, engine)
    dyeing = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[DYEING])
    own = [{"mn": WATER_MN, "time": "2025-06-01T23:10:00", "type": "door_open", "device_code": "DOOR-001"}]
    response = client.post("/api/registry/events", json=own, headers=dyeing)
    assert response.json() == {"added": 1, "duplicates": 0}
    assert client.post("/api/registry/events", json=own, headers=dyeing).json() == {
        "added": 0,
        "duplicates": 1,
    }

    other = [{"mn": GAS_MN, "time": "2025-06-01T23:10:00", "type": "camera_moved"}]
    response = client.post("/api/registry/events", json=own + other, headers=dyeing)
    assert response.status_code == 403
    assert GAS_MN in response.text
    # the same through CSV, and by device code only
    csv_body = b"device_code,time,type\nDOOR-001,2025-06-02 01:00,door_close\n"
    power = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[POWER])
    response = client.post(
        "/api/registry/events", content=csv_body, headers={**power, "Content-Type": "text/csv"}
    )
    assert response.status_code == 403
    # the O&M agency maintains the water point
    agency = login_as(engine, Role.OM_AGENCY, agency_id=ids[AGENCY])
    response = client.post(
        "/api/registry/events", content=csv_body, headers={**agency, "Content-Type": "text/csv"}
    )
    assert response.json() == {"added": 1, "duplicates": 0}
    with session_factory(engine)() as session:
        stored = session.scalars(sa.select(StationEvent).order_by(StationEvent.time)).all()
        assert [(e.mn, e.type, e.created_by) for e in stored] == [
            (WATER_MN, "door_open", f"enterprise-e{ids[DYEING]}-aNone"),
            (WATER_MN, "door_close", f"om_agency-eNone-a{ids[AGENCY]}"),
        ]
    # a bad type is named
    bad = [{"mn": WATER_MN, "time": "2025-06-01T23:10:00", "type": "window_open"}]
    response = client.post("/api/registry/events", json=bad, headers=dyeing)
    assert response.status_code == 422
    # the enterprise sees only its own events
    listed = client.get(
        "/api/registry/events", params={"start": "2025-06-01T00:00", "end": "2025-06-03T00:00"}, headers=power
    )
    assert listed.json()["results"] == []


def test_registry_export_import_and_scoped_lists(client: TestClient, engine: sa.Engine) -> None:
    ids = _load(client, engine)
    admin = login_as(engine, Role.ADMIN)
    book = client.get("/api/registry/export", params={"format": "xlsx"}, headers=admin)
    assert book.status_code == 200
    assert book.content[:2] == b"PK"
    again = client.post("/api/registry/import?format=xlsx", content=book.content, headers=admin)
    assert again.json()["counts"]["filed_parameters"] == 3
    dyeing = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[DYEING])
    assert [p["mn"] for p in client.get("/api/registry/points", headers=dyeing).json()["results"]] == [
        WATER_MN
    ]
    assert client.get("/api/registry/export", headers=dyeing).status_code == 403
    devices = client.get("/api/registry/devices", headers=dyeing).json()["results"]
    assert devices[0]["filed_parameters"][0]["info_id"] in {"i13007", "i13008", "dilution_ratio"}
    power = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[POWER])
    assert client.get("/api/registry/devices", headers=power).json()["results"] == []
    bad = REGISTRY_YAML.replace("limit: 35", "limit: 三十五")
    response = client.post("/api/registry/import?format=yaml", content=bad.encode(), headers=admin)
    assert response.status_code == 422
    assert "监测因子:第3行:排放限值上限" in response.text


def test_permit_check_and_comparison_api(client: TestClient, engine: sa.Engine, db_session: Session) -> None:
    ids = _load(client, engine)
    office = login_as(engine, Role.PERMIT_OFFICE)
    result = client.get("/api/registry/permits/check", headers=office).json()
    assert result["meta"]["with_gaps"] == 1
    reasons = {(g["outlet"], g["reason"]) for g in result["results"][0]["gaps"]}
    assert ("DW002", "no_point") in reasons
    assert ("DW001", "no_data") in reasons
    decision = client.get("/api/registry/permits/91330400MA2B00001P001V/pre-issuance", headers=office).json()
    assert decision["issuable"] is False
    assert decision["reasons"]
    test = {
        "mn": WATER_MN,
        "factor_code": "w01018",
        "tested_on": "2025-03-01",
        "manual_value": 80,
        "online_value": 97,
    }
    response = client.post("/api/registry/comparison-tests", json=test, headers=office)
    assert response.status_code == 201
    assert response.json()["passed"] is False
    assert response.json()["basis"].startswith("HJ 355")
    power = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[POWER])
    assert client.get("/api/registry/permits", headers=power).json()["results"] == []
    assert client.get("/api/registry/comparison-tests", headers=power).json()["results"] == []
    response = client.get("/api/registry/permits/91330400MA2B00001P001V/pre-issuance", headers=power)
    assert response.status_code == 404


def test_registry_pages_are_scoped(client: TestClient, engine: sa.Engine) -> None:
    ids = _load(client, engine)
    office = login_as(engine, Role.PERMIT_OFFICE)
    html = client.get("/registry/permits", headers=office).text
    assert "91330400MA2B00001P001V" in html
    assert "未安装自动监测设备" in html
    power = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[POWER])
    html = client.get("/registry", headers=power).text
    assert GAS_MN in html
    assert WATER_MN not in html
