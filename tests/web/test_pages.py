"""The web shell, dashboard, station page and series API: what each role sees, and what it is refused."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.store.base import MeasurementStore
from tests.conftest import add_user, login_as
from tests.web.seeding import FINDING_START, FINDING_TEXT, FINDING_TITLE, MN_A, MN_B, START, seed

HTML = {"accept": "text/html,application/xhtml+xml"}


def _html(headers: dict[str, str]) -> dict[str, str]:
    return {**headers, **HTML}


def test_browser_without_session_is_sent_to_login_and_api_gets_401(client: TestClient) -> None:
    response = client.get("/stations?x=1", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fstations%3Fx%3D1"
    assert client.get("/stations", follow_redirects=False).status_code == 401
    assert client.get(f"/api/data/points/{MN_A}/series", headers=HTML).status_code == 401


def test_login_form_sets_session_and_returns_to_next(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "xunchao", Role.PATROL)
    bad = client.post("/login", data={"username": "xunchao", "password": "nope", "next": "/"}, headers=HTML)
    assert bad.status_code == 401
    assert "用户名或密码错误" in bad.text
    ok = client.post(
        "/login",
        data={"username": "xunchao", "password": "test-password-1", "next": "/stations"},
        headers=HTML,
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/stations"
    page = client.get("/stations", headers=HTML)
    assert page.status_code == 200
    assert "xunchao" in page.text
    assert "第三方巡查" in page.text
    out = client.post("/logout", headers=HTML, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/stations", headers=HTML, follow_redirects=False).status_code == 303


def test_login_never_redirects_off_site(client: TestClient, engine: sa.Engine) -> None:
    add_user(engine, "u1", Role.PATROL)
    for target in ("//evil.example/x", "https://evil.example/", "\\\\evil"):
        response = client.post(
            "/login",
            data={"username": "u1", "password": "test-password-1", "next": target},
            headers=HTML,
            follow_redirects=False,
        )
        assert response.headers["location"] == "/"


def test_navigation_shows_only_what_the_role_may_use(client: TestClient, engine: sa.Engine) -> None:
    patrol = client.get("/stations", headers=_html(login_as(engine, Role.PATROL))).text
    assert 'href="/stations"' in patrol
    assert 'href="/admin/users"' not in patrol
    assert 'href="/audit"' not in patrol
    admin = client.get("/stations", headers=_html(login_as(engine, Role.ADMIN))).text
    assert 'href="/admin/users"' in admin
    assert 'href="/audit"' in admin


def test_dashboard_counts_colours_and_stations(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    seed(db_session, store)
    text = client.get("/", headers=_html(login_as(engine, Role.PATROL))).text
    assert '红色点位</div><div class="value">1<' in text
    assert '绿色点位</div><div class="value">1<' in text
    assert "甲化工废水总排口" in text
    assert "乙热电废水排口" in text
    assert 'data-testid="enterprise-map"' in text
    assert "2025-03-10" in text
    # every point label stays inside the 600-wide map: labels right of x=400 are anchored at their end
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+"( text-anchor="end")?>', text)
    assert labels
    for x, anchor in labels:
        assert float(x) <= 400 + 11 or anchor, x
        assert not anchor or float(x) > 400 - 11


def test_enterprise_dashboard_shows_only_its_own_points(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    world = seed(db_session, store)
    text = client.get(
        "/", headers=_html(login_as(engine, Role.ENTERPRISE, enterprise_id=world.enterprise_b))
    ).text
    assert "乙热电废水排口" in text
    assert "甲化工" not in text


def test_series_has_every_factor_flags_findings_and_events(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    seed(db_session, store)
    headers = login_as(engine, Role.PATROL)
    response = client.get(f"/api/data/points/{MN_A}/series", headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["kind"] == "minute"
    cod = next(f for f in data["factors"] if f["code"] == "w01018")
    assert [f["code"] for f in data["factors"]] == ["w01018", "w21003"]
    assert len(cod["values"]) == 360
    assert cod["limit_high"] == 50.0
    assert cod["flags"][30] == "C"
    assert cod["times"][0] == START.timestamp()
    assert [f["explanation"] for f in data["findings"]] == [FINDING_TEXT]
    assert data["findings"][0]["start"] == FINDING_START.timestamp()
    assert [e["type_zh"] for e in data["events"]] == ["站房门打开"]
    views = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "view")).all()
    assert [(v.entity, v.entity_id) for v in views] == [("finding", MN_A)]


def test_series_window_and_kind(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    seed(db_session, store)
    headers = login_as(engine, Role.ANALYST)
    response = client.get(
        f"/api/data/points/{MN_A}/series",
        params={"start": "2025-03-10T09:00:00", "end": "2025-03-10T10:00:00"},  # naive = CST
        headers=headers,
    )
    cod = next(f for f in response.json()["factors"] if f["code"] == "w01018")
    assert len(cod["values"]) == 60
    assert response.json()["findings"] == []
    assert cod["times"][0] == (START + dt.timedelta(hours=1)).timestamp()
    with_finding = client.get(
        f"/api/data/points/{MN_A}/series",
        params={
            "start": "2025-03-10T10:30:00",
            "end": "2025-03-10T11:30:00",
        },  # the finding is 10:00-11:00 CST
        headers=headers,
    ).json()
    assert [f["title"] for f in with_finding["findings"]] == [FINDING_TITLE]
    assert [e["type"] for e in with_finding["events"]] == []  # the door opened at 10:05
    bad = client.get(
        f"/api/data/points/{MN_A}/series",
        params={"start": "2025-03-10T10:00:00", "end": "2025-03-10T09:00:00"},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["location"] == "start"
    long = client.get(
        f"/api/data/points/{MN_A}/series",
        params={"start": "2025-01-01T00:00:00", "end": "2025-03-10T09:00:00"},
        headers=headers,
    )
    assert long.status_code == 422
    assert client.get("/api/data/points/NOSUCHMN/series", headers=headers).status_code == 404


def test_enterprise_cannot_read_another_enterprises_station(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    world = seed(db_session, store)
    headers = login_as(engine, Role.ENTERPRISE, enterprise_id=world.enterprise_b)
    assert client.get(f"/api/data/points/{MN_B}/series", headers=headers).status_code == 200
    assert client.get(f"/api/data/points/{MN_A}/series", headers=headers).status_code == 403
    page = client.get(f"/stations/{MN_A}", headers=_html(headers))
    assert page.status_code == 403
    assert "无权查看该企业或点位的数据" in page.text
    assert client.get(f"/stations/{MN_A}", headers=headers).status_code == 403  # JSON clients: JSON 403
    assert client.get(f"/stations/{MN_B}", headers=_html(headers)).status_code == 200


def test_om_agency_without_assignment_sees_no_station(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    seed(db_session, store)
    headers = login_as(engine, Role.OM_AGENCY, agency_id=999)
    assert client.get(f"/api/data/points/{MN_A}/series", headers=headers).status_code == 403
    assert "暂无可查看的监测点位" in client.get("/stations", headers=_html(headers)).text


def test_roles_without_data_access_are_refused_station_pages(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    seed(db_session, store)
    headers = login_as(engine, Role.POLICE)
    assert client.get(f"/api/data/points/{MN_A}/series", headers=headers).status_code == 403
    refused = client.get("/stations", headers=_html(headers))
    assert refused.status_code == 403
    assert "无权访问" in refused.text
    home = client.get("/", headers=_html(headers), follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] != "/"


def test_finding_readers_only_see_findings_on_curves(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    seed(db_session, store)
    headers = login_as(engine, Role.PERMIT_OFFICE)  # may read data, not findings
    data = client.get(f"/api/data/points/{MN_A}/series", headers=headers).json()
    assert data["findings"] == []
    assert data["factors"]
    assert "疑似弄虚作假线索" not in client.get(f"/stations/{MN_A}", headers=_html(headers)).text


def test_public_home_needs_no_login(client: TestClient) -> None:
    response = client.get("/public", headers=HTML)
    assert response.status_code == 200
    assert "信息公开" in response.text
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/vendor/uplot/uPlot.iife.min.js").status_code == 200
