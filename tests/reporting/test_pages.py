"""The staff pages of reporting and joint punishment render and their forms act (hotline entry, contact
shown only on request and audited, credit records created and withdrawn from the page)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.enforcement.credit.models import CreditRecord
from ecosentinel.reporting.models import PublicReport
from tests.conftest import login_as, use_data_dir
from tests.enforcement.test_credit import AUTHORITY_CODE, _fixture_case
from tests.enforcement.test_warnings import DAY, at

HTML = {"Accept": "text/html"}


def test_hotline_entry_and_report_detail_pages(
    client: TestClient, engine: sa.Engine, db_session: Session, tmp_path: Path
) -> None:
    use_data_dir(client, tmp_path)
    analyst = {**login_as(engine, Role.ANALYST), **HTML}
    form = client.get("/reports/new", headers=analyst)
    assert form.status_code == 200
    assert "热线工单号" in form.text
    form_data = {
        "channel": "hotline_12345",
        "ticket": "12345-0001",
        "subject": "某化工厂",
        "category": "illegal_discharge",
        "description": "来电反映夜间有暗管向河道排放污水",
        "observed_at": at(DAY, 1).astimezone().strftime("%Y-%m-%dT%H:%M"),
        "contact_name": "赵先生",
        "contact_phone": "0573-82345678",
    }
    refused = client.post("/reports/new", data={**form_data, "ticket": ""}, headers=analyst)
    assert refused.status_code == 422
    assert "请填写热线工单号" in refused.text
    assert "来电反映夜间有暗管" in refused.text
    created = client.post("/reports/new", data=form_data, headers=analyst, follow_redirects=False)
    assert created.status_code == 303
    report_id = db_session.scalar(sa.select(PublicReport.id))
    assert created.headers["location"] == f"/reports/{report_id}"
    detail = client.get(f"/reports/{report_id}", headers=analyst)
    assert "显示联系方式（留痕）" in detail.text
    assert "0573-82345678" not in detail.text
    assert "12345政务服务热线" in detail.text
    shown = client.get(f"/reports/{report_id}?contact=1", headers=analyst)
    assert "0573-82345678" in shown.text
    assert (
        db_session.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.action == "view_identity", AuditEntry.entity == "public_report"
            )
        )
        == 1
    )
    queue = client.get("/reports", headers=analyst)
    assert "12345-0001" in queue.text
    assert "某化工厂" in queue.text
    assert "0573-82345678" not in queue.text
    closed = client.post(
        f"/reports/{report_id}/close",
        data={"outcome": "out_of_scope", "reply": "已转交水利部门处理"},
        headers=analyst,
        follow_redirects=False,
    )
    assert closed.status_code == 303
    db_session.expire_all()
    report = db_session.get(PublicReport, report_id)
    assert report is not None
    assert (report.status, report.outcome, report.ledger_problem_id) == ("closed", "out_of_scope", None)


def test_credit_staff_page_creates_and_withdraws(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    _, agency_id, penalty_id, _ = _fixture_case(db_session)
    officer = {**login_as(engine, Role.OFFICER), **HTML}
    page = client.get("/credit", headers=officer)
    assert page.status_code == 200
    assert "嘉环罚〔2025〕12号" in page.text
    created = client.post(
        "/credit/records",
        data={
            "penalty_id": str(penalty_id),
            "facts": "",
            "authority": "嘉兴市生态环境局",
            "authority_code": AUTHORITY_CODE,
            "include_enterprise": "1",
            "agency_ids": str(agency_id),
            "person_name": "张某某",
            "person_id": "330402198506120032",
            "person_employer": "嘉兴某环保运维有限公司",
        },
        headers=officer,
        follow_redirects=False,
    )
    assert created.status_code == 303
    db_session.expire_all()
    records = db_session.scalars(sa.select(CreditRecord).order_by(CreditRecord.id)).all()
    assert [r.subject_kind for r in records] == ["enterprise", "om_agency", "person"]
    assert records[0].facts.startswith("2025年3月")  # the case's facts when none are typed
    page = client.get("/credit", headers=officer)
    assert page.text.count("公示中") == 3
    refused = client.post(
        f"/credit/records/{records[0].id}/withdraw", data={"reason": "已整改"}, headers=officer
    )
    assert "问题台账" in refused.text  # rectification not yet entered in the ledger: refused, with the reason
    db_session.expire_all()
    assert db_session.get(CreditRecord, records[0].id).withdrawn_on is None  # type: ignore[union-attr]
