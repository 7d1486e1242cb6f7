"""Report forms: the monthly 附表2 and the 附表1 contacts list as Excel, with the seed's exact headers."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.cli import app as cli_app
from ecosentinel.enforcement import draws, reports
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.enforcement.ledger.service import ActionInput
from ecosentinel.registry.models import Enterprise
from tests.conftest import login_as

D = dt.date

# Typed from seed 001 附表2 / 附表1 (kept independent of the module under test).
SEED_DETAIL_HEADERS = [
    "序号",
    "问题  类别*",
    "问题描述",
    "企业(点位)名称",
    "问题来源*",
    "是否批评教育",
    "是否约谈并收承诺书",
    "是否书面责令改正",
    "是否行政处罚",
    "罚款金额\n(万元)",
    "是否移送拘留",
    "是否移送刑事案件",
    "是否依法申请关停",
    "整改时限",
    "是否完成整改",
]
SEED_CONTACT_HEADERS = ["序号", "姓  名", "单  位", "职  务", "联系电话"]


def _fill(session: Session) -> None:
    """October and November 2026: two draws, one inspected; three problems, one rectified in November."""
    a = Enterprise(name="甲化工有限公司", credit_code="91500102MA5U000011")
    b = Enterprise(name="乙污水处理厂", credit_code="91500102MA5U000012")
    session.add_all([a, b])
    session.add_all(
        [User(username=f"o{i}", display_name=f"执法{i}", password_hash="-", role="officer") for i in range(4)]
    )
    session.flush()
    draws.run_draw(session, SYSTEM, title="十月", drawn_on=D(2026, 10, 5), enterprise_count=1, seed="1")
    nov = draws.run_draw(
        session, SYSTEM, title="十一月", drawn_on=D(2026, 11, 5), enterprise_count=2, seed="2"
    )
    draws.record_selection_result(
        session, SYSTEM, nov.selections[0].id, inspected_on=D(2026, 11, 12), outcome="未发现问题"
    )
    today = D(2026, 12, 1)
    ledger.create_problem(
        session,
        SYSTEM,
        found_on=D(2026, 10, 8),
        category="水",
        description="雨水排口有废水排出",
        source="投诉举报",
        enterprise_id=a.id,
        deadline=D(2026, 10, 30),
        actions=[ActionInput("书面责令改正")],
        today=today,
    )
    ledger.create_problem(
        session,
        SYSTEM,
        found_on=D(2026, 11, 10),
        category="自动监控",
        description="COD 数据在超标后骤降，采样杯注水",
        source="大数据平台推动",
        enterprise_id=b.id,
        deadline=D(2026, 12, 10),
        rectified_on=D(2026, 11, 25),
        actions=[
            ActionInput("行政处罚", fine_wan=20.0, decision_no="涪环罚〔2026〕31号"),
            ActionInput("移送拘留"),
        ],
        today=today,
    )
    ledger.create_problem(
        session,
        SYSTEM,
        found_on=D(2026, 12, 1),
        category="其他",
        category_note="噪声",
        description="夜间施工",
        source="日常排查",
        enterprise_name="某建筑工地",
        today=today,
    )
    reports.save_contact(
        session, SYSTEM, name="赵雷", unit="区生态环境局", position="联络员", phone="72899063"
    )
    session.commit()


def _row(ws: Worksheet, row: int, first: int = 1, last: int = 15) -> list[object]:
    return [ws.cell(row=row, column=c).value for c in range(first, last + 1)]


def _check_monthly(workbook: openpyxl.Workbook) -> None:
    ws = workbook["附表2"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    # Part 1: the row-label header spans two rows, each group spans two columns.
    assert ws["A4"].value == "1.现场检查计划报备情况*。"
    assert {"A5:A6", "B5:C5", "D5:E5", "A4:O4", "A10:O10"} <= merged
    assert _row(ws, 5, 2, 5) == ["现场检查次数", None, "问题情况", None]
    assert _row(ws, 6, 2, 5) == ["计划次数", "完成次数", "发现问题数量", "完成整改数量"]
    assert _row(ws, 7, 1, 5) == ["本月", 2, 1, 1, 1]
    assert _row(ws, 8, 1, 5) == ["总计", 3, 1, 2, 1]
    # Part 2: the seed's 15 headers, the year's problems to the end of November.
    assert ws["A10"].value == "2.现场检查发现问题明细表（全年累计填报）*。"
    assert _row(ws, 11) == SEED_DETAIL_HEADERS
    first = _row(ws, 12)
    assert first[:5] == [1, "水", "雨水排口有废水排出", "甲化工有限公司", "投诉举报"]
    assert first[5:13] == ["否", "否", "是", "否", None, "否", "否", "否"]
    assert first[14] == "否"
    second = _row(ws, 13)
    assert second[1] == "自动监控"
    assert second[4] == "大数据平台推动"
    assert second[8:11] == ["是", 20.0, "是"]
    assert second[14] == "是"
    assert ws.cell(row=14, column=3).value != "夜间施工"  # found in December: not in November's form
    contacts = workbook["附表1"]
    assert _row(contacts, 4, 1, 5) == SEED_CONTACT_HEADERS
    assert _row(contacts, 5, 1, 5) == [1, "赵雷", "区生态环境局", "联络员", "72899063"]
    assert contacts["A2"].value == "单位分管负责人和联络员名单"


def test_monthly_report_excel_via_cli(migrated_url: str, db_session: Session, tmp_path: Path) -> None:
    _fill(db_session)
    out = tmp_path / "monthly.xlsx"
    result = CliRunner().invoke(
        cli_app,
        [
            "report",
            "monthly",
            "--month",
            "2026-11",
            "--out",
            str(out),
            "--unit",
            "执法支队",
            "--database-url",
            migrated_url,
        ],
    )
    assert result.exit_code == 0, result.output
    workbook = openpyxl.load_workbook(out)
    _check_monthly(workbook)
    assert workbook["附表2"]["A3"].value == "填报单位：执法支队"
    assert workbook["附表2"]["I3"].value == "报表时段：2026年11月"

    bad = CliRunner().invoke(
        cli_app,
        ["report", "monthly", "--month", "2026-13", "--out", str(out), "--database-url", migrated_url],
    )
    assert bad.exit_code == 1
    assert "月份格式应为 YYYY-MM" in bad.output


def test_report_api_and_year_summary(client: TestClient, engine: sa.Engine) -> None:
    with Session(engine) as session:
        _fill(session)
    leader = login_as(engine, Role.LEADER)
    response = client.get("/api/enforcement/reports/monthly.xlsx?month=2026-11", headers=leader)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    _check_monthly(openpyxl.load_workbook(io.BytesIO(response.content)))

    figures = client.get("/api/enforcement/reports/monthly?month=2026-11", headers=leader).json()
    assert figures["this_month"] == {"planned": 2, "completed": 1, "found": 1, "rectified": 1}
    assert figures["headers"] == SEED_DETAIL_HEADERS

    year = client.get("/api/enforcement/reports/year?year=2026", headers=leader).json()
    assert [m["counts"]["found"] for m in year["months"]][9:] == [1, 1, 1]
    assert year["penalties"] == 1
    assert year["fines_wan"] == 20.0
    water = next(r for r in year["by_category"] if r["label"] == "水")
    assert (water["found"], water["rectified"], water["open"]) == (1, 0, 1)
    xlsx = client.get("/api/enforcement/reports/year.xlsx?year=2026", headers=leader)
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames == ["年度汇总", "附表2"]
    # An enterprise may not read the report forms.
    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=1)
    assert client.get("/api/enforcement/reports/monthly?month=2026-11", headers=enterprise).status_code == 403
