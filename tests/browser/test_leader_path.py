"""The leader (局领导) in headless Chromium: the overview counts open cases, open tasks and overdue
rectifications, each card leads to its list, and the monthly and yearly report forms download as real Excel
workbooks holding what the leader typed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement import cases, tasks
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.readings import CST
from tests.browser.harness import Live, log_in, open_db, wait_for, wait_for_download, wait_for_url

OVERDUE = "废气排口在线监测数据长期恒值，未按期整改"
UNIT = "嘉兴市生态环境局南湖分局"


@pytest.fixture(scope="module")
def staged(live: Live) -> None:
    """One open task, one open case and one rectification past its deadline."""
    today = dt.datetime.now(CST).date()
    with open_db(live) as session:
        tasks.create_task(
            session,
            SYSTEM,
            source="complaint",
            source_ref="12369-2026-0001",
            title="群众举报夜间排放",
            point_id=live.world.point_a,
        )
        cases.create_case(
            session, SYSTEM, title="乙热电涉嫌数据弄虚作假案", enterprise_id=live.world.enterprise_b
        )
        ledger.create_problem(
            session,
            SYSTEM,
            found_on=max(today - dt.timedelta(days=40), dt.date(today.year, 1, 1)),  # this year's forms
            category="自动监控",
            description=OVERDUE,
            source="大数据平台推动",
            enterprise_id=live.world.enterprise_b,
            deadline=today - dt.timedelta(days=1),
            today=today,
        )
        session.commit()


def _count(driver: WebDriver, testid: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f"[data-testid={testid}]").text


def test_leader_sees_counts_follows_them_and_downloads_the_report_forms(
    live: Live, staged: None, desk: WebDriver, downloads: Path
) -> None:
    log_in(desk, live.base_url, "lingdao")
    assert (_count(desk, "open-cases"), _count(desk, "open-tasks"), _count(desk, "overdue")) == (
        "1",
        "1",
        "1",
    )
    assert "red" in (
        desk.find_element(By.XPATH, "//a[.//*[@data-testid='overdue']]").get_attribute("class") or ""
    )

    # Each count opens the list behind it.
    desk.find_element(By.XPATH, "//a[.//*[@data-testid='overdue']]").click()
    wait_for(desk, "[data-testid=ledger-table]")
    assert OVERDUE in desk.find_element(By.CSS_SELECTOR, "[data-testid=ledger-table]").text
    desk.back()
    desk.find_element(By.XPATH, "//a[.//*[@data-testid='open-cases']]").click()
    wait_for_url(desk, "/enforcement/cases")
    wait_for(desk, "footer")
    assert "乙热电涉嫌数据弄虚作假案" in desk.find_element(By.TAG_NAME, "main").text

    # 报表, from the menu: the monthly form with the reporting unit typed in, and the yearly summary.
    desk.find_element(By.CSS_SELECTOR, ".mainnav a[href='/enforcement/reports']").click()
    wait_for(desk, "[data-testid=monthly-download-form]")
    form = desk.find_element(By.CSS_SELECTOR, "[data-testid=monthly-download-form]")
    unit = form.find_element(By.NAME, "unit")
    unit.clear()
    unit.send_keys(UNIT)
    form.find_element(By.NAME, "phone").send_keys("0573-82000000")
    form.find_element(By.CSS_SELECTOR, "[data-testid=download-monthly]").click()
    monthly = wait_for_download(downloads, ".xlsx")
    assert monthly.read_bytes()[:2] == b"PK"  # a zip container, as every .xlsx is
    book = openpyxl.load_workbook(monthly, read_only=True)
    cells = {str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
    assert any(UNIT in c for c in cells)
    assert any("0573-82000000" in c for c in cells)
    assert any(OVERDUE in c for c in cells)  # the ledger's problems are the form's detail rows
    monthly.unlink()

    year = dt.datetime.now(CST).year
    desk.find_element(By.LINK_TEXT, f"下载 {year} 年度汇总").click()
    yearly = wait_for_download(downloads, ".xlsx")
    book = openpyxl.load_workbook(yearly, read_only=True)
    assert book.worksheets
    assert any(
        OVERDUE in str(c)
        for ws in book.worksheets
        for row in ws.iter_rows(values_only=True)
        for c in row
        if c
    )
