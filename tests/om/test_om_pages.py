"""O&M and evaluation pages: public pages without login, staff pages scoped, the filing form."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient

from ecosentinel.auth.roles import Role
from ecosentinel.database import session_factory
from ecosentinel.om.models import MaintenanceRecord
from tests.conftest import login_as
from tests.om.helpers import MN_A, MN_B, make_registry


def test_pages(client: TestClient, engine: sa.Engine) -> None:
    with session_factory(engine)() as session:
        ids = make_registry(session)
    analyst = login_as(engine, Role.ANALYST)
    client.post("/api/om/assessments/2026Q4/compute", headers=analyst)
    client.post("/api/om/assessments/2026Q4/publish", headers=analyst)
    client.post("/api/evaluation/2026Q4/compute", headers=analyst)
    client.post("/api/evaluation/2026Q4/publish", headers=analyst)

    ranking = client.get("/public/om-ranking")  # no login
    assert ranking.status_code == 200
    assert "嘉兴运维甲公司" in ranking.text
    assert "2026Q4" in ranking.text
    evaluation = client.get("/public/evaluation")
    assert evaluation.status_code == 200
    assert "嘉兴甲造纸有限公司" in evaluation.text

    agency = login_as(engine, Role.OM_AGENCY, agency_id=ids.agency_a)
    form_page = client.get("/om", headers=agency)
    assert form_page.status_code == 200
    assert MN_A in form_page.text
    assert MN_B not in form_page.text
    filed = client.post(
        "/om/records",
        headers=agency,
        data={
            "mn": MN_A,
            "kind": "cleaning",
            "started_at": "2026-10-12T09:00",
            "ended_at": "2026-10-12T10:00",
            "staff_name": "张运维",
            "description": "清洗采样管路",
        },
        follow_redirects=False,
    )
    assert filed.status_code == 303
    refused = client.post(
        "/om/records",
        headers=agency,
        data={
            "mn": MN_B,
            "kind": "cleaning",
            "started_at": "2026-10-12T09:00",
            "ended_at": "2026-10-12T10:00",
            "staff_name": "张运维",
        },
        follow_redirects=False,
    )
    assert refused.status_code == 303  # back to the form with the refusal as a message
    with session_factory(engine)() as session:
        mns = list(session.scalars(sa.select(MaintenanceRecord.point_id)))
        assert mns == [ids.point_1]
    own = client.get("/evaluation", headers=login_as(engine, Role.ENTERPRISE, enterprise_id=ids.enterprise_2))
    assert "嘉兴乙化工有限公司" in own.text
    assert "嘉兴甲造纸有限公司" not in own.text
    assert client.get("/om/assessments", headers=agency).status_code == 200
