"""The analyst's triage in headless Chromium: the warning list (red first, filtered by colour), the warning
with its curve and finding, 开始审核, then 转为任务 dispatched at once to an officer."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from ecosentinel.auth.models import User
from ecosentinel.enforcement.models import EnforcementWarning, Task, TaskMember, as_utc
from ecosentinel.readings import CST
from tests.browser.harness import Live, log_in, open_db, wait_for, wait_for_text, wait_for_url
from tests.web.seeding import FINDING_TEXT, MN_A

TITLE = "核查甲化工总排口稀释嫌疑"


def test_analyst_reviews_the_red_warning_and_escalates_it_to_an_officer(
    live: Live, browser: WebDriver
) -> None:
    warning_id = live.enforcement.warning_id
    log_in(browser, live.base_url, "fenxi", next_path="/enforcement/warnings")
    wait_for(browser, "#warning-list")
    colours = [
        r.get_attribute("data-colour")
        for r in browser.find_elements(By.CSS_SELECTOR, "#warning-list tr[data-warning-id]")
    ]
    rank = {"red": 0, "yellow": 1, "green": 2}
    assert colours
    assert colours == sorted(colours, key=lambda c: rank[c or ""])  # the most severe first

    # Filter to red warnings with the form, as a user would.
    Select(
        browser.find_element(By.CSS_SELECTOR, "#warning-filters select[name=colour]")
    ).select_by_visible_text("红色")
    browser.find_element(By.CSS_SELECTOR, "#warning-filters button[type=submit]").click()
    wait_for_url(browser, "colour=red")
    wait_for(browser, "#warning-list")
    rows = browser.find_elements(By.CSS_SELECTOR, "#warning-list tr[data-warning-id]")
    assert rows
    assert {r.get_attribute("data-colour") for r in rows} == {"red"}
    browser.find_element(
        By.CSS_SELECTOR, f"#warning-list tr[data-warning-id='{warning_id}'] a.warning-link"
    ).click()

    wait_for(browser, "#charts[data-loaded='1']")
    assert browser.find_element(By.ID, "charts").get_attribute("data-mn") == MN_A
    finding = browser.find_element(By.ID, "finding-list").text
    assert FINDING_TEXT in finding
    assert "规则编号 R04" in finding
    assert "R04_post_exceedance_drop" not in finding  # the rule's internal code is not shown
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=warning-status]").text == "新预警"

    browser.find_element(By.ID, "review").click()
    wait_for_text(browser, "[data-testid=warning-status]", "研判中")

    form = browser.find_element(By.ID, "escalate-form")
    form.find_element(By.NAME, "title").send_keys(TITLE)
    deadline = (dt.datetime.now(CST) + dt.timedelta(days=7)).replace(
        hour=17, minute=0, second=0, microsecond=0
    )
    browser.execute_script(
        "document.querySelector('#escalate-form [name=deadline]').value = arguments[0];",
        deadline.strftime("%Y-%m-%dT%H:%M"),
    )
    Select(form.find_element(By.NAME, "assignees")).select_by_visible_text("zhifa用户（zhifa）")
    browser.find_element(By.ID, "escalate").click()
    wait_for_text(browser, "#flash", f"预警 #{warning_id} 已转为任务")

    with open_db(live) as db:
        task = db.scalar(sa.select(Task).where(Task.warning_id == warning_id))
        assert task is not None
        assert (task.title, task.status, task.created_by) == (TITLE, "dispatched", "fenxi")
        assert task.deadline is not None
        assert as_utc(task.deadline) == deadline.astimezone(dt.UTC)
        assignees = db.scalars(
            sa.select(User.username)
            .join(TaskMember, TaskMember.user_id == User.id)
            .where(TaskMember.task_id == task.id)
        ).all()
        assert assignees == ["zhifa"]
        status = db.scalar(sa.select(EnforcementWarning.status).where(EnforcementWarning.id == warning_id))
        assert status == "escalated"
        task_id = task.id
    assert browser.current_url == f"{live.base_url}/enforcement/tasks/{task_id}"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=task-status]").text == "已派发"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=task-team]").text == "zhifa用户"

    # The warning now says what became of it, and the officer finds the task among his own.
    browser.get(f"{live.base_url}/enforcement/warnings/{warning_id}")
    wait_for(browser, "[data-testid=warning-status]")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=warning-status]").text == "已转任务"
    assert not browser.find_elements(By.ID, "escalate")
    browser.delete_all_cookies()
    log_in(browser, live.base_url, "zhifa")
    assert TITLE in browser.find_element(By.CSS_SELECTOR, "[data-testid=my-tasks]").text
