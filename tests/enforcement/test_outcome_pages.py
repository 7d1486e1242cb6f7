"""Outcomes, reliability and rule adjustments over HTTP: each route's role check (enterprise, officer,
analyst, leader), the warning detail page with each rule's reliability, and the review forms."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.detection.catalogue import RULES
from ecosentinel.detection.messages import RULE_PARAM_NAMES
from ecosentinel.enforcement.models import WarningOutcome
from ecosentinel.enforcement.tasks import create_task
from ecosentinel.screening.adjustments import RuleAdjustment
from tests.conftest import login_as
from tests.enforcement.test_adjustments import five_false_alarms
from tests.enforcement.test_outcomes import MN_A, R05
from tests.enforcement.test_warnings import red_warning, seed_point
from tests.web.wording import foreign_words, visible_text


def _html(headers: dict[str, str]) -> dict[str, str]:
    return {"accept": "text/html", **headers}


def test_outcome_api_and_page_form_by_role(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    warning = red_warning(db_session)
    create_task(db_session, SYSTEM, source="warning", warning_id=warning.id)
    db_session.commit()
    officer = login_as(engine, Role.OFFICER)
    analyst = login_as(engine, Role.ANALYST)
    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=warning.enterprise_id)
    url = f"/api/enforcement/warnings/{warning.id}/outcome"
    body = {"result": "confirmed", "reason": "现场发现采样管接自来水"}
    assert client.post(url, json=body, headers=analyst).status_code == 403  # triage is not an inspection
    assert client.post(url, json=body, headers=enterprise).status_code == 403
    bad = client.post(url, json={"result": "confirmed"}, headers=officer)
    assert bad.status_code == 422
    assert bad.json()["location"] == "reason"
    done = client.post(url, json=body, headers=officer)
    assert done.status_code == 200, done.text
    assert (done.json()["result_zh"], done.json()["step"]) == ("查实", "inspection")
    detail = client.get(f"/api/enforcement/warnings/{warning.id}", headers=analyst).json()
    assert detail["outcome"]["reason"] == "现场发现采样管接自来水"
    assert client.get(f"/api/enforcement/warnings/{warning.id}", headers=enterprise).status_code == 403

    page = client.get(f"/enforcement/warnings/{warning.id}", headers=_html(officer))
    assert 'id="outcome-form"' in page.text
    assert "更正检查结论" in page.text
    assert 'data-outcome="confirmed"' in page.text
    assert "超标后突降" in page.text  # the rule by its Chinese title
    assert "该规则在本点位：查实 1 次 / 排除 0 次，可靠度 0.67" in page.text
    assert (
        'id="outcome-form"'
        not in client.get(f"/enforcement/warnings/{warning.id}", headers=_html(analyst)).text
    )
    corrected = client.post(
        f"/enforcement/warnings/{warning.id}/outcome",
        data={"result": "refuted", "reason": "复核：系停产检修", "category": "production_change"},
        headers=_html(officer),
    )
    assert corrected.status_code == 200
    assert "已登记检查结论：未查实（生产工况变化）" in corrected.text
    assert "查实 0 次 / 排除 1 次，可靠度 0.33" in corrected.text
    assert "<td>登记检查结论</td>" in corrected.text  # in the warning's history
    refused = client.post(
        f"/enforcement/warnings/{warning.id}/outcome", data={"result": "refuted"}, headers=_html(analyst)
    )
    assert refused.status_code == 403
    with Session(engine) as s:
        outcome = s.scalars(sa.select(WarningOutcome)).one()
        assert (outcome.result, outcome.category) == ("refuted", "production_change")


def test_reliability_and_adjustment_routes_by_role(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    point = seed_point(db_session, MN_A)
    five_false_alarms(db_session)
    analyst = login_as(engine, Role.ANALYST)
    leader = login_as(engine, Role.LEADER)
    officer = login_as(engine, Role.OFFICER)
    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=point.enterprise_id)

    assert client.get("/api/enforcement/reliability", headers=enterprise).status_code == 403
    assert client.get("/api/enforcement/adjustments", headers=enterprise).status_code == 403
    rel = client.get(f"/api/enforcement/reliability?mn={MN_A}", headers=leader).json()
    assert rel["by_rule"] == [
        {
            "rule": R05,
            "title_zh": "样品稀释",
            "mn": None,
            "counts": {"confirmed": 0, "not_confirmed": 5, "excluded": 0, "n": 5, "reliability": 0.1429},
            "text_zh": "查实 0 次 / 排除 5 次，可靠度 0.14",
        }
    ]
    assert rel["by_point"][0]["mn"] == MN_A
    suggestions = client.get("/api/enforcement/adjustments/suggestions", headers=analyst).json()
    assert [(s["mn"], s["rule"], s["kind"]) for s in suggestions] == [(MN_A, R05, "cap_yellow")]

    proposal = {"mn": MN_A, "rule": "R05", "kind": "cap_yellow", "reason": "5 次预警均为误报"}
    assert client.post("/api/enforcement/adjustments", json=proposal, headers=leader).status_code == 403
    made = client.post("/api/enforcement/adjustments", json=proposal, headers=analyst)
    assert made.status_code == 201, made.text
    adj = made.json()
    assert (adj["status"], adj["rule"], adj["basis"]["not_confirmed"]) == ("proposed", R05, 5)
    approve_url = f"/api/enforcement/adjustments/{adj['id']}/approve"
    assert client.post(approve_url, json={"note": "同意"}, headers=analyst).status_code == 403
    assert client.post(approve_url, json={"note": "同意"}, headers=officer).status_code == 403
    assert client.get("/api/enforcement/adjustments/approved", headers=analyst).json() == []
    empty = client.post(approve_url, json={"note": ""}, headers=leader)
    assert (empty.status_code, empty.json()["location"]) == (422, "note")
    ok = client.post(approve_url, json={"note": "同意"}, headers=leader)
    assert ok.json()["status_zh"] == "已批准"
    assert client.get("/api/enforcement/adjustments/approved", headers=analyst).json() == [
        {"mn": MN_A, "rule": R05, "cap_yellow": True, "params": {}, "adjustment_ids": [adj["id"]]}
    ]

    # pages: the reliability list for analysts (in the navigation), the review forms for leaders only
    page = client.get("/enforcement/reliability", headers=_html(analyst))
    assert page.status_code == 200
    assert 'href="/enforcement/reliability"' in page.text
    assert f'<tr data-mn="{MN_A}" data-rule="{R05}">' in page.text
    assert "样品稀释" in page.text
    assert "暂无建议" in page.text  # an approved cap is no longer suggested
    assert client.get("/enforcement/reliability", headers=_html(enterprise)).status_code == 403
    listing = client.get("/enforcement/adjustments", headers=_html(analyst))
    assert 'id="propose-form"' in listing.text
    assert "approve-form" not in listing.text
    leader_view = client.get("/enforcement/adjustments", headers=_html(leader))
    assert 'id="propose-form"' not in leader_view.text
    assert "revoke-form" in leader_view.text

    proposed = client.post(
        "/enforcement/adjustments",
        data={
            "mn": MN_A,
            "rule": R05,
            "kind": "raise_threshold",
            "params": '{"drop_ratio": 0.3',
            "reason": "x",
        },
        headers=_html(analyst),
    )
    assert "参数不是有效的 JSON" in proposed.text
    proposed = client.post(
        "/enforcement/adjustments",
        data={
            "mn": MN_A,
            "rule": R05,
            "kind": "raise_threshold",
            "params": '{"drop_ratio": 0.3}',
            "reason": "雨季",
        },
        headers=_html(analyst),
    )
    assert "等待审核" in proposed.text
    with Session(engine) as s:
        new_id = s.scalar(sa.select(RuleAdjustment.id).where(RuleAdjustment.status == "proposed"))
    assert new_id is not None
    assert (
        client.post(
            f"/enforcement/adjustments/{new_id}/approve", data={"note": "同意"}, headers=_html(analyst)
        )
    ).status_code == 403
    rejected = client.post(
        f"/enforcement/adjustments/{new_id}/reject", data={"note": "参数过松"}, headers=_html(leader)
    )
    assert f"规则调整 #{new_id}：已驳回" in rejected.text
    assert "参数过松" in rejected.text


def test_adjustment_page_names_parameters_in_chinese(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    seed_point(db_session, MN_A)
    five_false_alarms(db_session)
    analyst = _html(login_as(engine, Role.ANALYST))
    proposed = client.post(
        "/enforcement/adjustments",
        data={
            "mn": MN_A,
            "rule": R05,
            "kind": "raise_threshold",
            "params": '{"drop_ratio": 0.3, "not_running_share": 0.6}',
            "reason": "雨季",
        },
        headers=analyst,
    )
    assert "等待审核" in proposed.text
    page = client.get("/enforcement/adjustments", headers=analyst)
    assert page.status_code == 200
    text = visible_text(page.text)
    assert "最小降幅比例＝0.3" in text
    assert "停运或启动时段占比＝0.6" in text
    row = page.text.split('data-testid="adjustment-list"', 1)[1].split("</table>", 1)[0]
    assert "drop_ratio" not in visible_text(row)  # the proposal names its parameters in Chinese
    # The hint says what the field takes (a JSON object of parameter codes, with an example) and lists each
    # rule's codes with their Chinese names.
    hint = page.text.split('data-testid="params-hint"', 1)[1].split("</p>", 1)[0]
    assert "JSON 对象" in hint
    assert '{"drop_ratio": 0.3, "min_hours": 3}' in hint
    assert "最小降幅比例（drop_ratio）＝0.5" in text
    assert "参与判定的因子（factors）＝" in text
    usernames = frozenset(session_usernames(engine)) | {"testclient"}
    assert foreign_words(text, usernames) == []


def session_usernames(engine: sa.Engine) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(sa.select(User.username)))


def test_every_rule_parameter_has_a_chinese_name() -> None:
    unlabelled = [
        f"{cls.code}.{key}"
        for cls in RULES
        for key in cls.params_model.model_fields
        if key not in RULE_PARAM_NAMES
    ]
    assert unlabelled == []
