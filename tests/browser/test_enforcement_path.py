"""From a red warning to a saved inspection checklist, through the real UI in headless Chromium: the patrol
opens the warning, sees its curve and finding, escalates it; an officer dispatches the task to himself, starts
the on-site inspection and saves the checklist."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from sqlalchemy.orm import Session

from ecosentinel.database import create_engine
from ecosentinel.enforcement.models import EnforcementWarning, Inspection, InspectionItem, Task
from tests.browser.harness import Live, log_in, wait_for, wait_for_text
from tests.web.seeding import FINDING_TEXT, MN_A

CONCLUSION = "现场核实：采样杯内有稀释痕迹，已拍照取证。"


@contextmanager
def _db(live: Live) -> Iterator[Session]:
    """A session on the live app's database (its own engine, disposed afterwards)."""
    engine = create_engine(live.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def test_patrol_escalates_red_warning_and_officer_saves_the_checklist(live: Live, browser: WebDriver) -> None:
    warning_id = live.enforcement.warning_id

    # Patrol: the warning list, the red warning, its curve with the finding.
    log_in(browser, live.base_url, "xunchao", next_path="/enforcement/warnings")
    wait_for(browser, "#warning-list")
    row = browser.find_element(By.CSS_SELECTOR, f"#warning-list tr[data-warning-id='{warning_id}']")
    assert row.get_attribute("data-colour") == "red"
    assert "甲化工废水总排口" in row.text
    row.find_element(By.CSS_SELECTOR, "a.warning-link").click()
    wait_for(browser, "#charts[data-loaded='1']")
    assert browser.current_url == f"{live.base_url}/enforcement/warnings/{warning_id}"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=warning-colour]").text == "红色预警"
    assert browser.find_element(By.ID, "charts").get_attribute("data-mn") == MN_A
    assert len(browser.find_elements(By.CSS_SELECTOR, "#charts canvas")) == 2
    findings = browser.find_elements(By.CSS_SELECTOR, "#finding-list li")
    assert len(findings) == 1
    assert FINDING_TEXT in findings[0].text
    assert FINDING_TEXT in browser.find_element(By.ID, "warning-findings").text

    browser.find_element(By.ID, "escalate").click()
    wait_for_text(browser, "#flash", f"预警 #{warning_id} 已转为任务")
    with _db(live) as db:
        task = db.scalar(sa.select(Task).where(Task.warning_id == warning_id))
        assert task is not None
        assert (task.status, task.created_by, task.enterprise_id) == (
            "pending",
            "xunchao",
            live.world.enterprise_a,
        )
        assert db.scalar(sa.select(EnforcementWarning.status).where(EnforcementWarning.id == warning_id)) == (
            "escalated"
        )
        task_id = task.id
    assert browser.current_url == f"{live.base_url}/enforcement/tasks/{task_id}"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=task-status]").text == "待派发"

    # Officer: the task, dispatch to himself, start the inspection, fill and save the checklist.
    browser.delete_all_cookies()
    log_in(browser, live.base_url, "zhifa", next_path=f"/enforcement/tasks/{task_id}")
    wait_for(browser, "#action-dispatch")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=task-team]").text == "未派发"
    assert not browser.find_elements(By.ID, "start-inspection")  # not before it is dispatched
    dispatch = browser.find_element(By.ID, "action-dispatch")
    Select(dispatch.find_element(By.NAME, "assignees")).select_by_visible_text("zhifa用户（zhifa）")
    dispatch.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_text(browser, "#flash", f"任务 #{task_id}：派发完成")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=task-status]").text == "已派发"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=task-team]").text == "zhifa用户"

    browser.find_element(By.ID, "start-inspection").click()
    wait_for(browser, "#checklist-form")
    assert "/enforcement/inspections/" in browser.current_url
    inspection_id = int(browser.current_url.rsplit("/", 1)[1])
    assert FINDING_TEXT in browser.find_element(By.CSS_SELECTOR, "[data-testid=prefill]").text
    rows = browser.find_elements(By.CSS_SELECTOR, "#checklist tr[data-item]")
    assert len(rows) == 10
    form = browser.find_element(By.ID, "checklist-form")
    form.find_element(By.CSS_SELECTOR, "input[name=result_1][value=conform]").click()
    form.find_element(By.CSS_SELECTOR, "input[name=result_2][value=nonconform]").click()
    form.find_element(By.NAME, "notes_2").send_keys("采样杯内液体颜色明显偏浅")
    form.find_element(By.CSS_SELECTOR, "input[name=result_3][value=na]").click()
    form.find_element(By.NAME, "conclusion").send_keys(CONCLUSION)
    browser.find_element(By.ID, "save-checklist").click()
    wait_for_text(browser, "#flash", "检查记录已保存")

    # The page shows what was saved, and so does the database.
    assert browser.find_element(By.CSS_SELECTOR, "#checklist tr[data-item='2']").get_attribute(
        "data-result"
    ) == ("nonconform")
    assert browser.find_element(By.CSS_SELECTOR, "input[name=result_1][value=conform]").is_selected()
    assert browser.find_element(By.NAME, "conclusion").get_attribute("value") == CONCLUSION
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=inspection-status]").text == "填写中"
    with _db(live) as db:
        inspection = db.get(Inspection, inspection_id)
        assert inspection is not None
        assert (inspection.task_id, inspection.status, inspection.conclusion) == (
            task_id,
            "draft",
            CONCLUSION,
        )
        items = {
            i.item_no: (i.result, i.notes)
            for i in db.scalars(
                sa.select(InspectionItem).where(InspectionItem.inspection_id == inspection_id)
            )
        }
        assert items[1] == ("conform", None)
        assert items[2] == ("nonconform", "采样杯内液体颜色明显偏浅")
        assert items[3][0] == "na"
        assert all(items[n][0] is None for n in range(4, 11))
