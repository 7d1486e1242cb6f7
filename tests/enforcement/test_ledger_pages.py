"""The ledger, draw, report and public pages render and their forms work (HTTP level)."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.enforcement.ledger.models import LedgerProblem, RandomDraw
from ecosentinel.registry.models import Enterprise
from tests.conftest import login_as


def test_pages(client: TestClient, engine: sa.Engine) -> None:
    with Session(engine) as session:
        enterprise = Enterprise(name="甲化工有限公司", credit_code="91500102MA5U000041")
        session.add(enterprise)
        session.add_all(
            [
                User(username=f"o{i}", display_name=f"执法{i}", password_hash="-", role="officer")
                for i in range(4)
            ]
        )
        session.commit()
        enterprise_id = enterprise.id
    officer = login_as(engine, Role.OFFICER)
    html = {"accept": "text/html", **officer}

    form = {
        "found_on": "2026-01-05",
        "category": "monitoring",
        "description": "采样管接自来水",
        "enterprise_id": str(enterprise_id),
        "source": "big_data",
        "deadline": "2026-01-20",
        "actions": ["order", "penalty"],
    }
    refused = client.post("/enforcement/ledger/new", data=form, headers=html)
    assert refused.status_code == 422
    assert "行政处罚须填写罚款金额（万元）" in refused.text
    assert "采样管接自来水" in refused.text  # the form keeps what was typed
    created = client.post(
        "/enforcement/ledger/new", data={**form, "fine_wan": "10"}, headers=html, follow_redirects=False
    )
    assert created.status_code == 303
    with Session(engine) as session:
        problem = session.scalars(sa.select(LedgerProblem)).one()
        assert [a.kind for a in problem.actions] == ["order", "penalty"]
    listing = client.get("/enforcement/ledger?year=2026", headers=html)
    assert listing.status_code == 200
    assert 'data-testid="overdue-reminders"' in listing.text  # the deadline is long past
    assert "甲化工有限公司" in listing.text
    detail = client.get(f"/enforcement/ledger/{problem.id}", headers=html)
    assert "整改已逾期" in detail.text

    drawn = client.post(
        "/enforcement/draws",
        data={"title": "一月抽查", "drawn_on": "2026-01-06", "enterprise_count": "1", "seed": "beef"},
        headers=html,
        follow_redirects=False,
    )
    assert drawn.status_code == 303
    with Session(engine) as session:
        draw_id = session.scalars(sa.select(RandomDraw.id)).one()
    page = client.get(f"/enforcement/draws/{draw_id}", headers=html)
    assert "beef" in page.text
    verified = client.post(f"/enforcement/draws/{draw_id}/verify", headers=html)
    assert verified.status_code == 200
    assert "复核通过" in verified.text
    client.post(f"/enforcement/draws/{draw_id}/publish", headers=html)

    reports = client.get("/enforcement/reports?month=2026-01", headers=html)
    assert reports.status_code == 200
    assert 'action="/api/enforcement/reports/monthly.xlsx"' in reports.text
    assert '<input type="hidden" name="month" value="2026-01">' in reports.text

    client.cookies.clear()
    anonymous = {"accept": "text/html"}
    penalties = client.get("/public/penalties", headers=anonymous)
    assert penalties.status_code == 200
    assert "暂无公开的行政处罚" in penalties.text  # the penalty has no decision date yet
    inspections = client.get("/public/random-inspections", headers=anonymous)
    assert inspections.status_code == 200
    assert "一月抽查" in inspections.text
    assert "执法" not in inspections.text.split("<main", 1)[1].replace("执法检查", "")
    login_redirect = client.get("/enforcement/ledger", headers=anonymous, follow_redirects=False)
    assert login_redirect.status_code == 303
