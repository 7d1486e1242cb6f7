"""Public reporting (举报): filing without an account, tracking, abuse limits, file checks, triage into a task
with a published reply, corroborated warnings, ledger and monthly form, and who may see the reporter."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.audit.service import verify
from ecosentinel.auth.roles import Role
from ecosentinel.enforcement.ledger.models import LedgerProblem
from ecosentinel.enforcement.models import EnforcementWarning, Task
from ecosentinel.enforcement.reports import monthly_workbook
from ecosentinel.enforcement.warnings import sync_warnings
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.reporting import service
from ecosentinel.reporting.models import PublicReport, RateEvent
from ecosentinel.reporting.monthly import month_rows
from tests.conftest import login_as, use_data_dir
from tests.enforcement.test_warnings import DAY, add_day, add_finding, at, seed_point

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100
PDF = b"%PDF-1.4\n" + b"x" * 100
EXE = b"MZ\x90\x00" + b"\x00" * 100
PHONE = "13912345678"
NAME = "王举报"


def _yellow_warning(session: Session) -> EnforcementWarning:
    point = seed_point(session)
    add_finding(session, point.mn, at(DAY, 2), at(DAY, 3))
    add_day(session, point.mn, DAY, colour="yellow", score=0.6)
    sync_warnings(session, days=None)
    session.commit()
    warning = session.scalar(sa.select(EnforcementWarning).where(EnforcementWarning.mn == point.mn))
    assert warning is not None
    assert warning.colour == "yellow"
    return warning


def _form(subject: str, **extra: str) -> dict[str, str]:
    return {
        "subject": subject,
        "category": "falsification",
        "description": "夜里看到有人往采样杯里倒水，排口流出的是黑水",
        "observed_at": at(DAY, 2, 30).isoformat(),
        **extra,
    }


def _file(client: TestClient, data: dict[str, str], files: list[tuple[str, bytes]] = ()) -> object:  # type: ignore[assignment]
    return client.post(
        "/api/public/reports",
        data=data,
        files=[("files", (name, content, "application/octet-stream")) for name, content in files],
    )


def test_report_is_filed_tracked_triaged_into_a_task_and_answered(
    client: TestClient, engine: sa.Engine, db_session: Session, tmp_path: Path
) -> None:
    use_data_dir(client, tmp_path)
    warning = _yellow_warning(db_session)
    enterprise_name = db_session.scalar(sa.text("SELECT name FROM enterprise"))
    filed = client.post(
        "/api/public/reports",
        data=_form(f"{enterprise_name} / 废水总排口", contact_name=NAME, contact_phone=PHONE),
        files=[("files", ("采样杯.jpg", JPEG, "image/jpeg")), ("files", ("clip.mp4", MP4, "video/mp4"))],
    )
    assert filed.status_code == 201, filed.text
    code = filed.json()["code"]
    assert code.startswith("JB")
    tracked = client.get(f"/api/public/reports/{code}")
    assert tracked.status_code == 200
    assert tracked.json()["status"] == "已受理，待研判"
    assert PHONE not in tracked.text
    assert NAME not in tracked.text

    analyst = login_as(engine, Role.ANALYST)
    queue = client.get("/api/reports", headers=analyst).json()["results"]
    assert len(queue) == 1
    report = queue[0]
    assert report["has_contact"] is True
    assert report["point_id"] is not None
    assert [f["content_type"] for f in report["files"]] == ["image/jpeg", "video/mp4"]
    assert PHONE not in json.dumps(queue, ensure_ascii=False)
    stored = tmp_path / "reports" / f"report-{report['id']}"
    assert len(list(stored.iterdir())) == 2
    picture = client.get(f"/api/reports/{report['id']}/files/{report['files'][0]['id']}", headers=analyst)
    assert picture.content == JPEG

    linked = client.post(
        f"/api/reports/{report['id']}/link", json={"warning_id": warning.id}, headers=analyst
    )
    assert linked.status_code == 200, linked.text
    assert linked.json()["links"][0]["matched_findings"] == 1
    db_session.expire_all()
    raised = db_session.get(EnforcementWarning, warning.id)
    assert raised is not None
    assert raised.colour == "red"
    assert "公众举报" in raised.basis_zh

    tasked = client.post(f"/api/reports/{report['id']}/task", json={}, headers=analyst)
    assert tasked.status_code == 200, tasked.text
    task = db_session.get(Task, tasked.json()["task_id"])
    assert task is not None
    assert (task.source, task.enterprise_id) == ("complaint", warning.enterprise_id)
    assert PHONE not in task.description
    assert NAME not in task.description
    assert f"#{warning.id}" in task.description
    assert client.get(f"/api/public/reports/{code}").json()["status"] == "已转执法人员核查"

    reply = "经现场核查，该企业篡改自动监测数据属实，已立案查处。感谢您的监督。"
    closed = client.post(
        f"/api/reports/{report['id']}/close",
        json={"outcome": "substantiated", "reply": reply},
        headers=analyst,
    )
    assert closed.status_code == 200, closed.text
    public = client.get(f"/api/public/reports/{code}").json()
    assert public["status"] == "已办结"
    assert public["reply"] == reply
    assert [s["text"] for s in public["steps"]] == [
        "举报已受理",
        "已转交执法人员现场核查",
        f"办结：经核查属实，已依法处理。{reply}",
    ]
    problem = db_session.get(LedgerProblem, closed.json()["ledger_problem_id"])
    assert problem is not None
    assert (problem.source, problem.category, problem.task_id) == ("complaint", "monitoring", task.id)
    assert PHONE not in problem.description

    db_session.expire_all()
    created = db_session.scalar(sa.select(PublicReport.created_at))
    assert created is not None
    month = created.astimezone(dt.timezone(dt.timedelta(hours=8)))
    rows = month_rows(db_session, month.year, month.month)
    assert rows[0] == ("网上举报", 1, 1, 1, 1, 0, 1)
    assert rows[-1][0] == "合计"
    sheet = load_workbook(
        io.BytesIO(_save(monthly_workbook_with_sheet(db_session, month.year, month.month)))
    )["投诉举报办理情况"]
    assert sheet["B3"].value == 1

    audit = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "public_report")).all()
    assert [a.action for a in audit if a.action != "view"] == ["create", "link", "task", "close"]
    everything = " ".join(f"{a.summary} {a.detail} {a.ip}" for a in db_session.scalars(sa.select(AuditEntry)))
    assert PHONE not in everything
    assert NAME not in everything
    assert verify(db_session).ok


def monthly_workbook_with_sheet(session: Session, year: int, month: int) -> object:
    from ecosentinel.reporting.monthly import install

    install()
    return monthly_workbook(session, year=year, month=month)


def _save(workbook: object) -> bytes:
    out = io.BytesIO()
    workbook.save(out)  # type: ignore[attr-defined]
    return out.getvalue()


def test_a_burst_from_one_address_is_refused_with_a_clear_message(
    client: TestClient, db_session: Session, tmp_path: Path
) -> None:
    use_data_dir(client, tmp_path)
    for _ in range(3):
        assert _file(client, _form("某化工厂")).status_code == 201  # type: ignore[attr-defined]
    refused = _file(client, _form("某化工厂"))
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "提交过于频繁" in refused.json()["detail"]  # type: ignore[attr-defined]
    assert "10 分钟内最多提交 3 件" in refused.json()["detail"]  # type: ignore[attr-defined]
    assert int(refused.headers["Retry-After"]) > 0  # type: ignore[attr-defined]
    page = client.post("/public/report", data=_form("某化工厂"), headers={"Accept": "text/html"})
    assert page.status_code == 429
    assert "提交过于频繁" in page.text
    assert "夜里看到有人往采样杯里倒水" in page.text  # what was typed is kept
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PublicReport)) == 3
    # No address is stored: only keyed hashes, which another address does not share.
    keys = set(db_session.scalars(sa.select(RateEvent.key)))
    assert "testclient" not in " ".join(keys)
    other = service.submit_report(
        db_session,
        service.ReportInput("某化工厂", "falsification", "另一位市民看到排口冒黑水", at(DAY, 1)),
        client_ip="198.51.100.7",
        data_dir=tmp_path,
    )
    assert other.id


def test_files_are_checked_by_size_and_by_their_bytes(client: TestClient, tmp_path: Path) -> None:
    use_data_dir(client, tmp_path)
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.report_limits = service.Limits(max_file_bytes=1000, reports_per_window=100, reports_per_day=100)
    cases = [
        (("big.jpg", JPEG + b"\x00" * 1000), "过大"),
        (("photo.jpg", PDF), "不是可接受的照片或视频"),
        (("virus.mp4", EXE), "不是可接受的照片或视频"),
        (("photo.jpg", PNG), "扩展名与内容不符"),
        (("empty.png", b""), "是空的"),
    ]
    for upload, text in cases:
        refused = _file(client, _form("某化工厂"), [upload])
        assert refused.status_code == 422, upload[0]  # type: ignore[attr-defined]
        assert text in refused.json()["detail"], refused.json()  # type: ignore[attr-defined]
    too_many = _file(client, _form("某化工厂"), [(f"p{i}.png", PNG) for i in range(6)])
    assert "最多上传 5 个文件" in too_many.json()["detail"]  # type: ignore[attr-defined]
    assert _file(client, _form("某化工厂"), [("ok.png", PNG), ("ok.jpeg", JPEG)]).status_code == 201  # type: ignore[attr-defined]
    assert not list(tmp_path.glob("reports/report-*/*.part"))
    with_html = client.post(
        "/public/report",
        data=_form("某化工厂"),
        files=[("files", ("photo.jpg", PDF, "image/jpeg"))],
        headers={"Accept": "text/html"},
    )
    assert with_html.status_code == 422
    assert "不是可接受的照片或视频" in with_html.text


def test_lookups_are_limited_per_address_and_per_code(db_session: Session, tmp_path: Path) -> None:
    report = service.submit_report(
        db_session,
        service.ReportInput("某化工厂", "falsification", "看到有人往采样杯里倒水", at(DAY, 1)),
        client_ip="203.0.113.1",
        data_dir=tmp_path,
    )
    limits = service.Limits(failed_lookups_per_address=3, lookups_per_code=4)
    for i in range(3):
        with pytest.raises(NotFoundError, match="未找到"):
            service.lookup(db_session, f"JB-WRONG-{i}", client_ip="203.0.113.9", limits=limits)
    with pytest.raises(service.TooManyRequestsError, match="查询过于频繁"):  # guessing codes is stopped
        service.lookup(db_session, report.code, client_ip="203.0.113.9", limits=limits)
    for i in range(4):
        view = service.lookup(
            db_session, service.format_code(report.code), client_ip=f"192.0.2.{i}", limits=limits
        )
        assert view.status == "已受理，待研判"
    with pytest.raises(service.TooManyRequestsError):  # one code may be looked up only so often
        service.lookup(db_session, report.code, client_ip="192.0.2.99", limits=limits)


def test_nothing_of_the_reporter_reaches_the_enterprise_or_roles_without_the_identity_permission(
    client: TestClient, engine: sa.Engine, db_session: Session, tmp_path: Path
) -> None:
    use_data_dir(client, tmp_path)
    point = seed_point(db_session)
    enterprise_id = point.enterprise_id
    name = db_session.scalar(sa.text("SELECT name FROM enterprise"))
    db_session.commit()
    filed = _file(client, _form(str(name), contact_name=NAME, contact_phone=PHONE), [("a.jpg", JPEG)])
    assert filed.status_code == 201  # type: ignore[attr-defined]
    report_id = db_session.scalar(sa.select(PublicReport.id))
    analyst = login_as(engine, Role.ANALYST)
    client.post(f"/api/reports/{report_id}/task", json={}, headers=analyst)

    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=enterprise_id)
    for path in (
        "/api/reports",
        f"/api/reports/{report_id}",
        f"/api/reports/{report_id}/contact",
        f"/api/reports/{report_id}/files/1",
        "/reports",
        f"/reports/{report_id}",
        f"/reports/{report_id}?contact=1",
    ):
        response = client.get(path, headers=enterprise)
        assert response.status_code == 403, path
        assert PHONE not in response.text
        assert NAME not in response.text
    task_id = db_session.scalar(sa.select(Task.id))
    assert client.get(f"/api/enforcement/tasks/{task_id}", headers=enterprise).status_code == 403
    for path in ("/api/enforcement/warnings", "/api/enforcement/ledger/problems", "/api/audit/entries"):
        response = client.get(path, headers=enterprise)
        assert PHONE not in response.text, path

    leader = login_as(engine, Role.LEADER)
    detail = client.get(f"/api/reports/{report_id}", headers=leader)
    assert detail.status_code == 200
    assert detail.json()["has_contact"] is True
    assert PHONE not in detail.text
    assert client.get(f"/api/reports/{report_id}/contact", headers=leader).status_code == 403
    leader_page = client.get(f"/reports/{report_id}?contact=1", headers={**leader, "Accept": "text/html"})
    assert "已留联系方式（无权查看）" in leader_page.text
    assert PHONE not in leader_page.text
    assert (
        client.post(f"/api/reports/{report_id}/reply", json={"reply": "x"}, headers=leader).status_code == 403
    )

    officer = login_as(engine, Role.OFFICER)
    task_view = client.get(f"/api/enforcement/tasks/{task_id}", headers=officer)
    assert task_view.status_code == 200
    assert PHONE not in task_view.text
    assert NAME not in task_view.text
    contact = client.get(f"/api/reports/{report_id}/contact", headers=analyst)
    assert contact.json() == {"name": NAME, "phone": PHONE}
    looks = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "view_identity")).all()
    assert [a.username for a in looks] == ["analyst-eNone-aNone"]
    audit_text = client.get("/api/audit/entries?limit=500", headers=analyst).text
    assert PHONE not in audit_text
    assert NAME not in audit_text


def test_hotline_reports_need_the_ticket_and_duplicates_merge(
    client: TestClient, engine: sa.Engine, db_session: Session, tmp_path: Path
) -> None:
    use_data_dir(client, tmp_path)
    analyst = login_as(engine, Role.ANALYST)
    body = _form("某化工厂", channel="hotline_12369", ticket="")
    missing = client.post("/api/reports/hotline", data=body, headers=analyst)
    assert missing.status_code == 422
    assert "工单号" in missing.json()["detail"]
    first = client.post(
        "/api/reports/hotline", data={**body, "ticket": "12369-20240301-0007"}, headers=analyst
    )
    assert first.status_code == 201, first.text
    assert first.json()["channel_zh"] == "12369环保举报热线"
    web = _file(client, _form("某化工厂"))
    code = web.json()["code"]  # type: ignore[attr-defined]
    web_id = db_session.scalar(sa.select(PublicReport.id).where(PublicReport.channel == "web"))
    merged = client.post(
        f"/api/reports/{web_id}/merge", json={"into": str(first.json()["id"])}, headers=analyst
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["status"] == "merged"
    again = client.post(f"/api/reports/{web_id}/reply", json={"reply": "x"}, headers=analyst)
    assert again.status_code == 422
    client.post(
        f"/api/reports/{first.json()['id']}/close",
        json={"outcome": "not_substantiated", "reply": "经现场核查，未发现所举报问题。"},
        headers=analyst,
    )
    followed = client.get(f"/api/public/reports/{code}").json()
    assert followed["status"] == "已办结"
    assert followed["reply"] == "经现场核查，未发现所举报问题。"
    enterprise = login_as(engine, Role.PATROL)
    assert client.post("/api/reports/hotline", data=body, headers=enterprise).status_code == 403


def test_bad_input_is_refused_in_chinese(db_session: Session, tmp_path: Path) -> None:
    bad = [
        (service.ReportInput("", "falsification", "看到有人往采样杯里倒水", at(DAY, 1)), "被举报"),
        (service.ReportInput("某厂", "falsification", "太短", at(DAY, 1)), "至少 10 个字"),
        (service.ReportInput("某厂", "falsification", "看到有人往采样杯里倒水", None), "发现时间"),
        (
            service.ReportInput(
                "某厂",
                "falsification",
                "看到有人往采样杯里倒水",
                dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
            ),
            "不能晚于现在",
        ),
        (service.ReportInput("某厂", "nonsense", "看到有人往采样杯里倒水", at(DAY, 1)), "未知的举报类型"),
        (
            service.ReportInput(
                "某厂", "falsification", "看到有人往采样杯里倒水", at(DAY, 1), contact_phone="abc"
            ),
            "联系电话",
        ),
    ]
    for data, text in bad:
        with pytest.raises(ValidationError, match=text):
            service.submit_report(db_session, data, client_ip="192.0.2.1", data_dir=tmp_path)
        db_session.rollback()  # as every caller does: the refused report is not counted


def test_the_monthly_report_cli_has_the_complaints_sheet(
    migrated_url: str, db_session: Session, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from ecosentinel.cli import app as cli_app

    report = service.submit_report(
        db_session,
        service.ReportInput("某化工厂", "falsification", "看到有人往采样杯里倒水", at(DAY, 1)),
        client_ip="192.0.2.1",
        data_dir=tmp_path,
        now=dt.datetime(2026, 11, 5, 2, 0, tzinfo=dt.UTC),
    )
    db_session.commit()
    assert report.id
    out = tmp_path / "monthly.xlsx"
    result = CliRunner().invoke(
        cli_app,
        ["report", "monthly", "--month", "2026-11", "--out", str(out), "--database-url", migrated_url],
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out)["投诉举报办理情况"]
    assert sheet["A1"].value == "2026年11月 投诉举报（自动监控）办理情况"
    assert [c.value for c in sheet[3]] == ["网上举报", 1, 0, 0, 0, 0, 0]
    assert [c.value for c in sheet[6]] == ["合计", 1, 0, 0, 0, 0, 0]


def test_a_parallel_burst_from_one_address_is_counted_one_by_one(engine: sa.Engine, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from ecosentinel.database import session_factory

    factory = session_factory(engine)

    def one(i: int) -> str:
        with factory() as session:
            try:
                service.submit_report(
                    session,
                    service.ReportInput(
                        "某化工厂", "falsification", f"第{i}位：看到排口冒黑水，在线数据却达标", at(DAY, 1)
                    ),
                    client_ip="198.51.100.20",
                    data_dir=tmp_path,
                )
            except service.TooManyRequestsError:
                session.rollback()
                return "refused"
            session.commit()
            return "filed"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(one, range(6)))
    assert sorted(outcomes) == ["filed"] * 3 + ["refused"] * 3
    with factory() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(PublicReport)) == 3
        assert session.scalar(sa.select(sa.func.count()).select_from(RateEvent)) == 3
