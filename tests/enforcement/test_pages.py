"""The enforcement web pages (warnings, patrol reports, tasks, inspections, cases) render for the roles that
may open them, refuse the others, and their forms change records through the services."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.enforcement.models import (
    Case,
    EnforcementWarning,
    Inspection,
    Task,
    TaskStatus,
    WarningStatus,
)
from tests.conftest import login_as, use_data_dir
from tests.enforcement.test_inspections import PNG
from tests.enforcement.test_warnings import red_warning, seed_point

MN2 = "33040200000002"


def _html(headers: dict[str, str]) -> dict[str, str]:
    return {"accept": "text/html", **headers}


def _user_id(engine: sa.Engine, role: Role) -> int:
    with Session(engine) as session:
        user_id = session.scalar(sa.select(User.id).where(User.username == f"{role.value}-eNone-aNone"))
    assert user_id is not None
    return user_id


def _warning(engine: sa.Engine, warning_id: int) -> EnforcementWarning:
    with Session(engine) as session:
        warning = session.get(EnforcementWarning, warning_id)
        assert warning is not None
        session.expunge(warning)
        return warning


def test_pages_render_for_allowed_roles_and_refuse_others(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    warning = red_warning(db_session)
    officer = _html(login_as(engine, Role.OFFICER))
    patrol = _html(login_as(engine, Role.PATROL))
    police = _html(login_as(engine, Role.POLICE))
    enterprise = _html(login_as(engine, Role.ENTERPRISE, enterprise_id=warning.enterprise_id))

    listing = client.get("/enforcement/warnings", headers=patrol)
    assert listing.status_code == 200
    assert "<h1>预警处置</h1>" in listing.text
    assert 'id="warning-list"' in listing.text
    assert f'class="warning-link" href="/enforcement/warnings/{warning.id}"' in listing.text
    assert 'data-testid="count-red">1<' in listing.text
    assert 'href="/enforcement/warnings"' in listing.text  # nav entries of the patrol's permissions
    assert 'href="/enforcement/tasks"' in listing.text
    assert 'href="/enforcement/cases"' not in listing.text
    filtered = client.get("/enforcement/warnings?colour=yellow", headers=patrol)
    assert "暂无符合条件的预警" in filtered.text

    detail = client.get(f"/enforcement/warnings/{warning.id}", headers=patrol)
    assert detail.status_code == 200
    assert f"预警 #{warning.id}" in detail.text
    assert "化学需氧量超标后 10 分钟内骤降" in detail.text  # the finding's explanation
    assert "<dt>peak</dt>" in detail.text  # and its evidence values
    assert f'id="charts" data-mn="{warning.mn}"' in detail.text  # the station curve, on the warning's day
    assert 'name="start" value="2024-03-01T00:00"' in detail.text
    assert f"/stations/{warning.mn}?start=2024-03-01T00:00&amp;end=2024-03-02T00:00" in detail.text
    assert 'id="escalate"' in detail.text

    # the enterprise's own warnings are not for it: warnings are a bureau page; police see cases only
    assert client.get("/enforcement/warnings", headers=enterprise).status_code == 403
    assert client.get(f"/enforcement/warnings/{warning.id}", headers=enterprise).status_code == 403
    assert client.get("/enforcement/tasks", headers=police).status_code == 403
    assert client.get("/enforcement/cases", headers=patrol).status_code == 403
    police_cases = client.get("/enforcement/cases", headers=police)
    assert police_cases.status_code == 200
    assert "<h1>案件管理</h1>" in police_cases.text
    assert 'href="/enforcement/warnings"' not in police_cases.text
    anonymous = client.get("/enforcement/warnings", headers={"accept": "text/html"}, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")

    patrol_page = client.get("/enforcement/patrol", headers=patrol)
    assert patrol_page.status_code == 200
    assert "<h1>平台巡查报告</h1>" in patrol_page.text
    made = client.post("/enforcement/patrol", headers=patrol)
    assert made.status_code == 200
    assert "新增预警 1 条" in made.text
    assert f'href="/enforcement/warnings/{warning.id}"' in made.text
    again = client.post("/enforcement/patrol", headers=patrol)
    assert "本次巡查期间无新增可疑数据" in again.text
    assert client.post("/enforcement/patrol", headers=_html(login_as(engine, Role.LEADER))).status_code == 403

    tasks = client.get("/enforcement/tasks?mine=true", headers=officer)
    assert tasks.status_code == 200
    assert "<h1>执法任务</h1>" in tasks.text
    assert client.get("/enforcement/tasks/999", headers=officer).status_code == 404
    cases = client.get("/enforcement/cases", headers=officer)
    assert "<h1>案件管理</h1>" in cases.text
    assert 'id="case-form"' in cases.text


def test_dismiss_needs_a_reason(client: TestClient, engine: sa.Engine, db_session: Session) -> None:
    warning = red_warning(db_session)
    patrol = _html(login_as(engine, Role.PATROL))
    refused = client.post(
        f"/enforcement/warnings/{warning.id}/dismiss", data={"reason": "  "}, headers=patrol
    )
    assert refused.status_code == 200  # back on the warning page …
    assert "排除预警必须填写理由" in refused.text  # … with the Chinese error
    assert _warning(engine, warning.id).status == WarningStatus.NEW.value
    assert 'class="flash flash-error"' in refused.text

    reviewed = client.post(
        f"/enforcement/warnings/{warning.id}/review",
        data={"next": "/enforcement/warnings"},
        headers=patrol,
    )
    assert "<h1>预警处置</h1>" in reviewed.text  # the list it came from
    assert _warning(engine, warning.id).status == WarningStatus.UNDER_REVIEW.value
    no_category = client.post(
        f"/enforcement/warnings/{warning.id}/dismiss", data={"reason": "仪器校准期间数据"}, headers=patrol
    )
    assert "排除预警必须选择排除原因类别" in no_category.text
    assert _warning(engine, warning.id).status == WarningStatus.UNDER_REVIEW.value
    dismissed = client.post(
        f"/enforcement/warnings/{warning.id}/dismiss",
        data={"reason": "仪器校准期间数据", "category": "maintenance"},
        headers=patrol,
    )
    assert dismissed.status_code == 200
    stored = _warning(engine, warning.id)
    assert (stored.status, stored.dismiss_reason) == ("dismissed", "仪器校准期间数据")
    assert "仪器校准期间数据" in dismissed.text  # the reason, on the page
    assert "运维校准" in dismissed.text  # and its category
    assert "<td>排除</td>" in dismissed.text  # and in its status history
    again = client.post(f"/enforcement/warnings/{warning.id}/review", headers=patrol)
    assert "不能变更为" in again.text
    officer_only = _html(login_as(engine, Role.POLICE))
    assert client.post(f"/enforcement/warnings/{warning.id}/review", headers=officer_only).status_code == 403


def test_escalate_via_page_creates_a_task(client: TestClient, engine: sa.Engine, db_session: Session) -> None:
    first = red_warning(db_session)
    seed_point(db_session, MN2, credit="91330400MA2B00002X")
    second = red_warning(db_session, MN2)
    patrol = _html(login_as(engine, Role.PATROL))
    officer = _html(login_as(engine, Role.OFFICER))
    officer_id = _user_id(engine, Role.OFFICER)

    asked = client.post(f"/enforcement/warnings/{first.id}/escalate", data={}, headers=patrol)
    assert asked.status_code == 200
    with Session(engine) as session:
        task = session.scalars(sa.select(Task).where(Task.warning_id == first.id)).one()
        assert task.status == TaskStatus.PENDING.value
        assert task.title.startswith("核查红色预警")
    assert f"任务 #{task.id}" in asked.text  # the patrol lands on the new task
    assert _warning(engine, first.id).status == WarningStatus.ESCALATED.value

    no_team = client.post(
        f"/enforcement/warnings/{second.id}/escalate",
        data={"assignees": [str(officer_id)], "deadline": "2000-01-01T08:00"},
        headers=officer,
    )
    assert "办结期限不能早于当前时间" in no_team.text
    assert _warning(engine, second.id).status == WarningStatus.NEW.value
    dispatched = client.post(
        f"/enforcement/warnings/{second.id}/escalate",
        data={"assignees": [str(officer_id)], "deadline": "2099-01-01T08:00", "title": "夜查"},
        headers=officer,
    )
    assert dispatched.status_code == 200
    with Session(engine) as session:
        task2 = session.scalars(sa.select(Task).where(Task.warning_id == second.id)).one()
        assert (task2.status, task2.title) == (TaskStatus.DISPATCHED.value, "夜查")
        assert [m.user_id for m in task2.members] == [officer_id]

    # the pending task is dispatched from its page; a refused action leaves it as it was
    page = client.get(f"/enforcement/tasks/{task.id}", headers=officer)
    assert 'id="action-dispatch"' in page.text
    assert 'id="action-start"' not in page.text
    empty = client.post(f"/enforcement/tasks/{task.id}/dispatch", data={}, headers=officer)
    assert "派发任务必须指定至少一名执法人员" in empty.text
    done = client.post(
        f"/enforcement/tasks/{task.id}/dispatch", data={"assignees": [str(officer_id)]}, headers=officer
    )
    assert f"任务 #{task.id}：派发完成" in done.text
    with Session(engine) as session:
        assert session.get(Task, task.id).status == TaskStatus.DISPATCHED.value  # type: ignore[union-attr]
    assert client.post(f"/enforcement/tasks/{task.id}/cancel", headers=patrol).status_code == 403


def test_checklist_form_saves_item_results(
    client: TestClient,
    engine: sa.Engine,
    db_session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_data_dir(client, tmp_path)
    warning = red_warning(db_session)
    officer = _html(login_as(engine, Role.OFFICER))
    officer_id = _user_id(engine, Role.OFFICER)
    client.post(
        f"/enforcement/warnings/{warning.id}/escalate", data={"assignees": [str(officer_id)]}, headers=officer
    )
    with Session(engine) as session:
        task_id = session.scalars(sa.select(Task.id)).one()

    opened = client.post(f"/enforcement/tasks/{task_id}/inspect", headers=officer, follow_redirects=False)
    assert opened.status_code == 303
    inspection_path = opened.headers["location"]
    page = client.get(inspection_path, headers=officer)
    assert page.status_code == 200
    assert "现场检查要点（10 项）" in page.text
    assert "化学需氧量超标后 10 分钟内骤降" in page.text  # pre-filled screening evidence
    assert page.text.count('name="result_') == 30  # 10 items × 符合/不符合/不适用
    with Session(engine) as session:
        assert session.get(Task, task_id).status == TaskStatus.IN_PROGRESS.value  # type: ignore[union-attr]
        inspection_id = session.scalars(sa.select(Inspection.id)).one()

    saved = client.post(
        inspection_path,
        data={"result_1": "conform", "result_5": "nonconform", "notes_5": "数采仪与平台数据不一致"},
        headers=officer,
    )
    assert "检查记录已保存" in saved.text
    with Session(engine) as session:
        inspection = session.get(Inspection, inspection_id)
        assert inspection is not None
        results = {i.item_no: (i.result, i.notes) for i in inspection.items}
    assert results[1] == ("conform", None)
    assert results[5] == ("nonconform", "数采仪与平台数据不一致")
    assert results[2] == (None, None)

    refused = client.post(inspection_path, data={"result_1": "conform", "submit": "1"}, headers=officer)
    assert "以下检查项尚未填写结果" in refused.text
    assert 'data-testid="inspection-status">填写中' in refused.text

    uploaded = client.post(
        f"{inspection_path}/attachments",
        files={"file": ("现场.png", PNG, "image/png")},
        data={"item_no": "5"},
        headers=officer,
    )
    assert hashlib.sha256(PNG).hexdigest() in uploaded.text
    assert "现场.png" in uploaded.text
    wrong = client.post(
        f"{inspection_path}/attachments",
        files={"file": ("x.pdf", b"not a pdf", "application/pdf")},
        headers=officer,
    )
    assert "附件内容与声明的类型 application/pdf 不符" in wrong.text

    full = {f"result_{n}": "conform" for n in range(1, 11)}
    submitted = client.post(inspection_path, data={**full, "submit": "1"}, headers=officer)
    assert "检查记录已提交签字" in submitted.text
    assert 'id="checklist-form"' in submitted.text
    assert 'name="result_1"' not in submitted.text  # frozen
    patrol = _html(login_as(engine, Role.PATROL))
    assert client.get(inspection_path, headers=patrol).status_code == 200  # tasks.read
    assert client.post(inspection_path, data=full, headers=patrol).status_code == 403


def test_police_see_only_transferred_cases(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    warning = red_warning(db_session)
    officer = _html(login_as(engine, Role.OFFICER))
    police = _html(login_as(engine, Role.POLICE))
    opened = client.post(
        "/enforcement/cases",
        data={"title": "某印染公司篡改数据案", "warning_ids": str(warning.id), "enterprise_id": ""},
        headers=officer,
        follow_redirects=False,
    )
    assert opened.status_code == 303
    case_path = opened.headers["location"]
    with Session(engine) as session:
        case = session.scalars(sa.select(Case)).one()
        case_id, number = case.id, case.number
    page = client.get(case_path, headers=officer)
    assert page.status_code == 200
    assert f"案件 {number}" in page.text
    assert "化学需氧量超标后 10 分钟内骤降" in page.text  # the linked finding
    assert f'href="/api/enforcement/cases/{case_id}/evidence.pdf"' in page.text
    assert 'id="transfer-form"' in page.text

    assert client.get(case_path, headers=police).status_code == 404  # not transferred: not there at all
    assert number not in client.get("/enforcement/cases", headers=police).text

    penalty = client.post(
        f"{case_path}/penalties", data={"amount_wan": "0", "legal_basis": "大气法第九十九条"}, headers=officer
    )
    assert "罚款金额（万元）必须大于 0" in penalty.text
    penalty = client.post(
        f"{case_path}/penalties",
        data={"amount_wan": "20", "legal_basis": "大气法第九十九条"},
        headers=officer,
    )
    assert 'data-testid="penalties"' in penalty.text

    extracted = client.post(f"{case_path}/extracts", headers=officer)
    assert "已生成数据摘录 1 份" in extracted.text  # one per finding, the window ± 1 hour
    with Session(engine) as session:
        extract = session.scalars(sa.select(Case)).one().extracts[0]
        assert extract.sha256 == hashlib.sha256(extract.csv_text.encode()).hexdigest()
    assert f"<code>{extract.sha256}</code>" in extracted.text
    assert f"/api/enforcement/cases/{case_id}/extracts/{extract.id}.csv" in extracted.text

    transfer = {
        "recipient": "police",
        "recipient_org": "嘉兴市公安局南湖区分局",
        "kind": "criminal",
        "letter_no": "嘉环移〔2024〕5号",
        "letter_text": "涉嫌污染环境罪，依法移送。",
        "investigation_report": "经调查……",
        "site_record": "",
        "items": "TOC 分析仪取样杯 1 个\n自来水软管 1 根",
        "cc_procuratorate": "1",
    }
    missing = client.post(f"{case_path}/transfer", data=transfer, headers=officer)
    assert "移送材料缺少：现场勘查笔录" in missing.text
    assert client.get(case_path, headers=police).status_code == 404
    done = client.post(
        f"{case_path}/transfer", data={**transfer, "site_record": "取样杯内有自来水"}, headers=officer
    )
    assert "案件已移送 嘉兴市公安局南湖区分局" in done.text
    assert "自来水软管 1 根" in done.text

    seen = client.get(case_path, headers=police)
    assert seen.status_code == 200
    assert "涉嫌污染环境罪，依法移送。" in seen.text
    assert 'id="transfer-form"' not in seen.text
    assert number in client.get("/enforcement/cases", headers=police).text
    assert client.post(f"{case_path}/penalties", data={"amount_wan": "1"}, headers=police).status_code == 403
