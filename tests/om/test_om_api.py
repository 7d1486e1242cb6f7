"""O&M routes: identity and scope of records, audit, the public ranking (no login)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.database import session_factory
from ecosentinel.om.models import MaintenanceRecord
from tests.conftest import login_as
from tests.om.helpers import MN_A, MN_B, Ids, make_registry


def _setup(engine: sa.Engine) -> Ids:
    with session_factory(engine)() as session:
        return make_registry(session)


def _body(mn: str, staff_id: int | None = None, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "mn": mn,
        "kind": "calibration",
        "started_at": "2026-10-10T09:00:00+08:00",
        "ended_at": "2026-10-10T10:00:00+08:00",
        "description": "零点、量程校准",
        "factor_code": "w01018",
    }
    if staff_id is not None:
        body["staff_id"] = staff_id
    return {**body, **extra}


def test_agency_files_only_for_its_own_points(client: TestClient, engine: sa.Engine) -> None:
    ids = _setup(engine)
    agency_a = login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_a)
    created = client.post("/api/om/records", json=_body(MN_A, ids.staff_a), headers=agency_a)
    assert created.status_code == 201, created.text
    record = created.json()
    assert (record["mn"], record["agency_id"], record["staff_name"]) == (MN_A, ids.agency_a, "张运维")
    assert record["created_by"] == f"om_agency-eNone-a{ids.agency_a}"
    assert record["timely"] is False  # filed weeks after the visit

    # Agency A may not file for agency B's point, nor name agency B's staff member on its own point.
    refused = client.post("/api/om/records", json=_body(MN_B, ids.staff_a), headers=agency_a)
    assert refused.status_code == 403
    wrong_staff = client.post("/api/om/records", json=_body(MN_A, ids.staff_b), headers=agency_a)
    assert wrong_staff.status_code == 422
    assert wrong_staff.json()["location"] == "staff_id"
    # …nor for a visit before its assignment began.
    early = _body(
        MN_A, ids.staff_a, started_at="2026-09-01T09:00:00+08:00", ended_at="2026-09-01T10:00:00+08:00"
    )
    assert client.post("/api/om/records", json=early, headers=agency_a).status_code == 403
    # Agency B cannot see or change agency A's record.
    agency_b = login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_b)
    assert client.get(f"/api/om/records/{record['id']}", headers=agency_b).status_code == 403
    assert client.get("/api/om/records", headers=agency_b).json() == []
    patch = client.patch(f"/api/om/records/{record['id']}", json={"description": "x"}, headers=agency_b)
    assert patch.status_code == 403

    with session_factory(engine)() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(MaintenanceRecord)) == 1
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "om_record")).all()
        assert [e.action for e in entries] == ["create"]


def test_enterprise_sees_only_its_own_records(client: TestClient, engine: sa.Engine) -> None:
    ids = _setup(engine)
    client.post(
        "/api/om/records",
        json=_body(MN_A, ids.staff_a),
        headers=login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_a),
    )
    client.post(
        "/api/om/records",
        json=_body(MN_B, ids.staff_b),
        headers=login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_b),
    )
    own = client.get(
        "/api/om/records", headers=login_as(engine, Role.ENTERPRISE, enterprise_id=ids.enterprise_1)
    )
    assert [r["mn"] for r in own.json()] == [MN_A]
    other = client.get(
        "/api/om/records", headers=login_as(engine, Role.ENTERPRISE, enterprise_id=ids.enterprise_2)
    )
    assert [r["mn"] for r in other.json()] == [MN_B]
    # The enterprise can read but not file records.
    refused = client.post(
        "/api/om/records",
        json=_body(MN_A, ids.staff_a),
        headers=login_as(engine, Role.ENTERPRISE, enterprise_id=ids.enterprise_1),
    )
    assert refused.status_code == 403
    analyst = client.get("/api/om/records", headers=login_as(engine, Role.ANALYST))
    assert sorted(r["mn"] for r in analyst.json()) == [MN_A, MN_B]


def test_record_validation_names_the_field(client: TestClient, engine: sa.Engine) -> None:
    ids = _setup(engine)
    headers = login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_a)
    part = client.post(
        "/api/om/records", json=_body(MN_A, ids.staff_a, kind="part_replacement"), headers=headers
    )
    assert part.status_code == 422
    assert part.json()["location"] == "part_name"
    std = client.post(
        "/api/om/records", json=_body(MN_A, ids.staff_a, kind="standard_check"), headers=headers
    )
    assert std.status_code == 422
    assert std.json()["location"] == "standard_value"
    backwards = _body(MN_A, ids.staff_a, ended_at="2026-10-10T08:00:00+08:00")
    response = client.post("/api/om/records", json=backwards, headers=headers)
    assert response.status_code == 422
    assert response.json()["location"] == "ended_at"
    naive = _body(MN_A, ids.staff_a, started_at="2026-10-10T09:00:00", ended_at="2026-10-10T10:00:00")
    response = client.post("/api/om/records", json=naive, headers=headers)
    assert response.status_code == 422
    assert response.json()["location"] == "started_at"
    unknown = client.post(
        "/api/om/records", json=_body("33040000000000000000X999", ids.staff_a), headers=headers
    )
    assert unknown.status_code == 422
    assert unknown.json()["location"] == "mn"


def test_record_change_is_audited(client: TestClient, engine: sa.Engine) -> None:
    ids = _setup(engine)
    headers = login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_a)
    record = client.post("/api/om/records", json=_body(MN_A, ids.staff_a), headers=headers).json()
    changed = client.patch(
        f"/api/om/records/{record['id']}", json={"description": "校准后核查合格"}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.json()["description"] == "校准后核查合格"
    with session_factory(engine)() as session:
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "om_record", AuditEntry.action == "update")
        ).one()
        assert "零点、量程校准" in entry.detail
        assert "校准后核查合格" in entry.detail


def test_faults_and_spare_parts(client: TestClient, engine: sa.Engine) -> None:
    ids = _setup(engine)
    headers = login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_a)
    fault = client.post(
        "/api/om/faults",
        json={
            "mn": MN_A,
            "occurred_at": "2026-10-11T03:00:00+08:00",
            "description": "蠕动泵管破裂",
            "device": "COD",
        },
        headers=headers,
    )
    assert fault.status_code == 201
    assert fault.json()["status"] == "open"
    repaired = client.post(
        f"/api/om/faults/{fault.json()['id']}/repair",
        json={"repaired_at": "2026-10-11T09:00:00+08:00", "repair_note": "更换泵管"},
        headers=headers,
    )
    assert repaired.status_code == 200
    assert repaired.json()["status"] == "repaired"
    again = client.post(
        f"/api/om/faults/{fault.json()['id']}/repair",
        json={"repaired_at": "2026-10-11T09:00:00+08:00"},
        headers=headers,
    )
    assert again.status_code == 422
    part = client.post(
        "/api/om/spare-parts",
        json={
            "mn": MN_A,
            "part_name": "蠕动泵管",
            "quantity": 2,
            "action": "installed",
            "at": "2026-10-11T09:00:00+08:00",
        },
        headers=headers,
    )
    assert part.status_code == 201
    assert (
        client.post(
            "/api/om/spare-parts",
            json={
                "mn": MN_B,
                "part_name": "蠕动泵管",
                "quantity": 1,
                "action": "installed",
                "at": "2026-10-11T09:00:00+08:00",
            },
            headers=headers,
        ).status_code
        == 403
    )
    listed = client.get(
        "/api/om/faults", headers=login_as(engine, Role.ENTERPRISE, enterprise_id=ids.enterprise_2)
    )
    assert listed.json() == []


def test_ranking_is_public_and_shows_only_published(client: TestClient, engine: sa.Engine) -> None:
    ids = _setup(engine)
    assert client.get("/api/om/ranking").json() == {"quarter": None, "published_at": None, "results": []}
    analyst = login_as(engine, Role.ANALYST)
    client.post(
        "/api/om/violations",
        json={
            "agency_id": ids.agency_b,
            "kind": "falsification",
            "confirmed_at": "2026-10-05T10:00:00+08:00",
            "description": "运维人员协助篡改监测数据",
        },
        headers=analyst,
    )
    computed = client.post("/api/om/assessments/2026Q4/compute", headers=analyst)
    assert computed.status_code == 200, computed.text
    assert [r["agency_id"] for r in computed.json()] == [ids.agency_a, ids.agency_b]
    assert client.get("/api/om/ranking", params={"quarter": "2026Q4"}).json()["results"] == []
    assert client.post("/api/om/assessments/2026Q4/publish", headers=analyst).status_code == 200
    ranking = client.get("/api/om/ranking").json()  # no login
    assert ranking["quarter"] == "2026Q4"
    assert [(r["rank"], r["agency_name"], r["veto"]) for r in ranking["results"]] == [
        (1, "嘉兴运维甲公司", False),
        (2, "嘉兴运维乙公司", True),
    ]
    # An agency sees its own assessment only; it cannot compute.
    own = client.get("/api/om/assessments", headers=login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_a))
    assert [r["agency_id"] for r in own.json()] == [ids.agency_a]
    refused = client.post(
        "/api/om/assessments/2026Q4/compute", headers=login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_a)
    )
    assert refused.status_code == 403
    bad = client.post("/api/om/assessments/2026Q5/compute", headers=analyst)
    assert bad.status_code == 422
    assert bad.json()["location"] == "quarter"
