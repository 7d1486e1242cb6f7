"""Enterprise evaluation on both databases: hand-computed scores, history per period, scope, public list."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.database import session_factory
from ecosentinel.evaluation import service
from ecosentinel.om import service as om_service
from ecosentinel.om.enums import ViolationKind
from ecosentinel.om.schemas import ViolationIn
from ecosentinel.readings import DataKind, Reading, readings_frame
from ecosentinel.registry.models import Device
from ecosentinel.store.base import MeasurementStore, open_store
from tests.conftest import login_as
from tests.om.helpers import MN_A, MN_B, Ids, cst, make_registry

NOW = cst(2026, 10, 15, 12)


def _hours(store: MeasurementStore, mn: str, count: int, bad: set[int]) -> None:
    start = cst(2026, 9, 30)
    store.append(
        readings_frame(
            [
                Reading(
                    mn=mn,
                    code="w01018",
                    kind=DataKind.HOUR,
                    time=start + dt.timedelta(hours=h),
                    value=40.0,
                    flag="D" if h in bad else "N",
                )
                for h in range(count)
            ]
        )
    )


def _scenario(session: Session, store: MeasurementStore) -> Ids:
    ids = make_registry(session)
    session.add(Device(point_id=ids.point_1, serial_no="COD-0001", model="COD-2000", factor_codes=["w01018"]))
    _hours(store, MN_A, 20, bad={3, 4})
    _hours(store, MN_B, 24, bad=set())
    om_service.create_violation(
        session,
        SYSTEM,
        ViolationIn(
            agency_id=ids.agency_b,
            kind=ViolationKind.FALSIFICATION,
            confirmed_at=cst(2026, 9, 30, 20),
            description="采样管接自来水",
            point_id=ids.point_2,
        ),
    )
    session.commit()
    return ids


def test_hand_computed_scores_and_history(db_session: Session, store: MeasurementStore) -> None:
    ids = _scenario(db_session, store)
    rows = service.evaluate_period(db_session, store, "2026-09", principal=SYSTEM, now=NOW)
    db_session.commit()
    by_enterprise = {r.enterprise_id: r for r in rows}
    e1 = by_enterprise[ids.enterprise_1]
    # expected from the first hourly value (point registered later): 24 h; 20 received, 18 valid.
    # 20 (analyser filed) + 20 (networked) + 20/24*20 + 18/24*20 + 10 + 10 = 91.67
    assert (e1.installation, e1.networking, e1.operation, e1.data_quality) == (20.0, 20.0, 16.67, 15.0)
    assert (e1.score, e1.grade, e1.colour) == (91.7, "excellent", "green")
    e2 = by_enterprise[ids.enterprise_2]
    # no analyser filed: 0 + 20 + 20 + 20 + 10 + 10 = 80 (good/blue) but the confirmed falsification → red.
    assert (e2.score, e2.grade, e2.colour) == (80.0, "poor", "red")

    service.evaluate_period(db_session, store, "2026Q3", principal=SYSTEM, now=NOW)
    service.evaluate_period(
        db_session, store, "2026-09", principal=SYSTEM, now=NOW
    )  # recompute: no duplicate
    db_session.commit()
    history = service.history(db_session, SYSTEM, ids.enterprise_1)
    assert sorted(r.period for r in history) == ["2026-09", "2026Q3"]
    # The violation counts in the period it was confirmed in only.
    october = service.evaluate_period(db_session, store, "2026-10", principal=SYSTEM, now=NOW)
    detail = json.loads({r.enterprise_id: r for r in october}[ids.enterprise_2].detail)
    assert detail["falsification"] is False
    assert detail["capped"] is False


def test_public_and_staff_routes(client: TestClient, engine: sa.Engine) -> None:
    store = open_store(engine.url.render_as_string(hide_password=False))
    try:
        with session_factory(engine)() as session:
            ids = _scenario(session, store)
    finally:
        store.close()
    assert client.get("/api/evaluation/public").json() == []
    analyst = login_as(engine, Role.ANALYST)
    assert client.post("/api/evaluation/2026-09/compute", headers=analyst).status_code == 200
    assert client.get("/api/evaluation/public").json() == []  # computed, not yet published
    assert client.post("/api/evaluation/2026-09/publish", headers=analyst).status_code == 200
    public = client.get("/api/evaluation/public").json()  # no login
    assert next((p["enterprise_name"], p["period"]) for p in public)[1] == "2026-09"
    assert {p["enterprise_id"] for p in public} == {ids.enterprise_1, ids.enterprise_2}
    assert "detail" not in public[0]

    assert client.get("/api/evaluation").status_code == 401
    own = login_as(engine, Role.ENTERPRISE, enterprise_id=ids.enterprise_1)
    listed = client.get("/api/evaluation", headers=own).json()
    assert [r["enterprise_id"] for r in listed] == [ids.enterprise_1]
    assert listed[0]["detail"]["valid_hours"] == 18
    assert client.get(f"/api/evaluation/enterprises/{ids.enterprise_2}", headers=own).status_code == 403
    assert len(client.get(f"/api/evaluation/enterprises/{ids.enterprise_1}", headers=own).json()) == 1
    assert client.post("/api/evaluation/2026-09/compute", headers=own).status_code == 403
    bad = client.post("/api/evaluation/2026-13/compute", headers=analyst)
    assert bad.status_code == 422
    assert bad.json()["location"] == "period"
