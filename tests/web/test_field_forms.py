"""The ledger form makes the user choose (or takes the choice from the record), the monthly form counts
submitted inspections and names the reporting unit, and the public 环保脸谱 does not rank an enterprise
under investigation as its best."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from ecosentinel.auth.roles import Role
from ecosentinel.config import Settings
from ecosentinel.evaluation.scoring import Colour as FaceColour
from ecosentinel.evaluation.scoring import EvaluationInputs, evaluate
from tests.web.crawling import HTML, Site, site

__all__ = ["site"]


def _selected(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', select.group(1))


def test_ledger_form_does_not_default_category_and_source(site: Site) -> None:
    text = site.client.get("/enforcement/ledger/new", headers=site.headers(Role.OFFICER)).text
    assert _selected(text, "category") == [""]
    assert _selected(text, "source") == [""]
    assert '<option value="" disabled selected>请选择</option>' in text
    refused = site.client.post(
        "/enforcement/ledger/new",
        data={"found_on": "2025-03-10", "description": "烟气在线监测数据异常", "source": "routine"},
        headers=site.headers(Role.OFFICER),
    )
    assert refused.status_code == 422  # 问题类别 must be chosen; nothing was saved as 水
    assert _selected(refused.text, "source") == ["routine"]


def test_ledger_form_from_an_inspection_takes_type_and_origin(site: Site) -> None:
    url = f"/enforcement/ledger/new?inspection_id={site.world.inspection_id}"
    text = site.client.get(url, headers=site.headers(Role.OFFICER)).text
    assert _selected(text, "category") == ["water"]  # the point is a wastewater outlet
    assert _selected(text, "source") == ["big_data"]  # the task came from a platform warning
    assert "采样杯内有清水" in text
    assert f'name="task_id" inputmode="numeric" value="{site.world.task_id}"' in text


def test_monthly_form_counts_submitted_inspections_and_names_the_unit(site: Site) -> None:
    headers = site.headers(Role.LEADER)
    app = site.client.app
    before = app.state.settings  # type: ignore[attr-defined]
    app.state.settings = Settings(data_dir=before.data_dir, reporting_unit="嘉兴市生态环境局")  # type: ignore[attr-defined]
    try:
        text = site.client.get("/enforcement/reports", headers=headers).text
        assert 'name="unit" value="嘉兴市生态环境局"' in text
        part1 = text.split('data-testid="part1"')[1].split("</table>")[0]
        this_month = re.findall(r'<td class="num">(\d+)</td>', part1)[:4]
        assert int(this_month[1]) >= 1  # 完成次数: the crawl world's submitted inspection
        assert int(this_month[0]) >= int(this_month[1])
        month = re.search(r'name="month" value="(\d{4}-\d{2})"', text)
        assert month
        xlsx = site.client.get(
            f"/api/enforcement/reports/monthly.xlsx?month={month.group(1)}", headers=headers
        )
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
        assert sheet.cell(row=3, column=1).value == "填报单位：嘉兴市生态环境局"
    finally:
        app.state.settings = before  # type: ignore[attr-defined]


def test_enterprise_under_investigation_is_at_most_yellow() -> None:
    def inputs(*, under_investigation: bool = False) -> EvaluationInputs:
        return EvaluationInputs(
            points=1, installed=1, required=1, networked_points=1, expected_hours=24, received_hours=24,
            valid_hours=24, findings=0, penalties=0, under_investigation=under_investigation,
        )  # fmt: skip

    assert evaluate(inputs()).colour is FaceColour.GREEN
    held = evaluate(inputs(under_investigation=True))
    assert held.colour is FaceColour.YELLOW
    assert held.score < 75
    assert held.investigated


def test_public_faces_hold_back_an_enterprise_with_an_open_case(site: Site) -> None:
    text = site.client.get("/public/evaluation", headers=HTML).text
    table = text.split('data-testid="public-evaluation"')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    assert "乙热电" in rows[0]
    assert "甲化工" in rows[-1]
    assert "评价复核中" in rows[-1]
    assert "badge green" not in rows[-1]
