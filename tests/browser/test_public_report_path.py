"""A phone user (390×844) files a report on the public pages without an account, gets a tracking code and
follows it; the analyst triages it (links the warning of the same enterprise and period, turns it into a task
in one action, closes it with a reply); the phone user then sees the task step and the published reply."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from sqlalchemy.orm import Session

from ecosentinel.database import create_engine
from ecosentinel.enforcement.models import Task
from ecosentinel.reporting.models import PublicReport
from tests.browser.harness import Live, chromium, log_in, phone, sideways_overflow, wait_for, wait_for_text

PHONE = "13800001111"
REPLY = "经现场核查，该企业采样杯注水问题属实，已依法立案查处。感谢您的监督！"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 512


@contextmanager
def _db(live: Live) -> Iterator[Session]:
    engine = create_engine(live.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def _fits_the_phone(driver: WebDriver) -> None:
    width = driver.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"


def test_phone_user_reports_and_follows_staff_triage_into_a_task_and_reply(
    live: Live, browser: WebDriver, tmp_path: Path
) -> None:
    photo = tmp_path / "采样杯.jpg"
    photo.write_bytes(JPEG)
    phone = chromium(390, 844, mobile=True)
    try:
        # The public home lists the form; the form works on a phone and needs no account.
        phone.get(f"{live.base_url}/public")
        wait_for(phone, "[data-testid=public-links]")
        phone.find_element(By.CSS_SELECTOR, "[data-testid=public-links] a[href='/public/report']").click()
        wait_for(phone, "#report-form")
        _fits_the_phone(phone)
        options = [
            o.get_attribute("value") for o in phone.find_elements(By.CSS_SELECTOR, "#subject-list option")
        ]
        assert "甲化工有限公司 / 甲化工废水总排口" in options
        phone.find_element(By.NAME, "subject").send_keys("甲化工有限公司 / 甲化工废水总排口")
        phone.execute_script("document.querySelector('input[name=observed_at]').value = '2025-03-10T10:30'")
        phone.find_element(By.NAME, "description").send_keys("上午看到有人拿水桶往采样杯里倒水，排口流出黑水")
        phone.find_element(By.NAME, "files").send_keys(str(photo))
        phone.find_element(By.NAME, "contact_phone").send_keys(PHONE)
        phone.find_element(By.ID, "report-submit").click()
        wait_for(phone, "[data-testid=new-code]")
        _fits_the_phone(phone)
        code = phone.find_element(By.CSS_SELECTOR, "[data-testid=report-code]").text
        assert code.startswith("JB")
        assert phone.find_element(By.CSS_SELECTOR, "[data-testid=report-status]").text == "已受理，待研判"
        assert PHONE not in phone.find_element(By.TAG_NAME, "body").text
        with _db(live) as db:
            report = db.scalar(sa.select(PublicReport))
            assert report is not None
            assert report.contact_phone == PHONE
            assert len(report.files) == 1
            report_id = report.id

        # The analyst: the queue, the report, link the warning of the same enterprise and period, make a task,
        # close it with a reply.
        log_in(browser, live.base_url, "fenxi", next_path="/reports")
        wait_for(browser, "#report-list")
        browser.find_element(
            By.CSS_SELECTOR, f"#report-list tr[data-report-id='{report_id}'] a.report-link"
        ).click()
        wait_for(browser, "#candidate-warnings")
        assert (
            browser.find_element(By.CSS_SELECTOR, "[data-testid=report-enterprise]").text == "甲化工有限公司"
        )
        browser.find_element(
            By.CSS_SELECTOR,
            f"#candidate-warnings tr[data-warning-id='{live.enforcement.warning_id}'] .link-warning",
        ).click()
        wait_for_text(browser, "#flash", f"已关联预警 #{live.enforcement.warning_id}")
        browser.find_element(By.ID, "make-task").click()
        wait_for_text(browser, "#flash", "已转为执法任务")
        task_link = browser.find_element(By.ID, "report-task")
        with _db(live) as db:
            task = db.scalar(sa.select(Task).where(Task.source == "complaint"))
            assert task is not None
            assert PHONE not in task.description
            assert task_link.text == f"任务 #{task.id}"
        close = browser.find_element(By.ID, "action-close")
        Select(close.find_element(By.NAME, "outcome")).select_by_visible_text("经核查属实，已依法处理")
        close.find_element(By.NAME, "reply").send_keys(REPLY)
        browser.find_element(By.ID, "close-report").click()
        wait_for_text(browser, "#flash", "举报已办结")
        assert browser.find_element(By.CSS_SELECTOR, "[data-testid=report-status]").text == "已办结"

        # The phone user follows the report with the tracking code typed in.
        phone.delete_all_cookies()
        phone.get(f"{live.base_url}/public/report/track")
        wait_for(phone, "#track-form")
        phone.find_element(By.NAME, "code").send_keys(code.lower())
        phone.find_element(By.ID, "track-submit").click()
        wait_for(phone, "#report-status")
        _fits_the_phone(phone)
        assert phone.find_element(By.CSS_SELECTOR, "[data-testid=report-status]").text == "已办结"
        assert phone.find_element(By.CSS_SELECTOR, "[data-testid=report-reply]").text == REPLY
        steps = phone.find_element(By.CSS_SELECTOR, "[data-testid=report-steps]").text
        assert "已转交执法人员现场核查" in steps
        assert "办结：经核查属实，已依法处理" in steps
        assert PHONE not in phone.find_element(By.TAG_NAME, "body").text
    finally:
        phone.quit()


def test_a_burst_from_one_phone_is_refused_with_a_clear_message(live: Live) -> None:
    phone = chromium(390, 844, mobile=True)
    try:
        for _ in range(4):  # the first test filed one report from this address: three more reach the limit
            phone.get(f"{live.base_url}/public/report")
            wait_for(phone, "#report-form")
            phone.find_element(By.NAME, "subject").send_keys("乙热电有限公司")
            phone.find_element(By.NAME, "description").send_keys("晚上烟囱冒黑烟，在线监测屏幕却一直显示达标")
            phone.find_element(By.ID, "report-submit").click()
            wait_for(phone, "#flash .flash")
        text = phone.find_element(By.ID, "flash").text
        assert "提交过于频繁" in text
        assert "12369" in text
        assert phone.find_element(By.NAME, "description").get_attribute("value") == (
            "晚上烟囱冒黑烟，在线监测屏幕却一直显示达标"
        )
    finally:
        phone.quit()


def test_every_public_page_fits_a_phone_without_an_account(live: Live) -> None:
    """Each page linked from the public home opens without logging in and does not scroll sideways."""
    handset = phone()
    try:
        handset.get(f"{live.base_url}/public")
        wait_for(handset, "[data-testid=public-links]")
        links = [
            str(a.get_attribute("href"))
            for a in handset.find_elements(By.CSS_SELECTOR, "[data-testid=public-links] a")
        ]
        assert len(links) >= 5
        too_wide = []
        for url in [f"{live.base_url}/public", *links]:
            handset.get(url)
            wait_for(handset, "footer")
            assert "/login" not in handset.current_url, url
            assert not handset.find_elements(By.CSS_SELECTOR, "[data-testid=logout]")
            if sideways_overflow(handset):
                too_wide.append(f"{url}: {sideways_overflow(handset)}px")
        assert too_wide == []
    finally:
        handset.quit()
