"""The officer's whole field journey on a 390×844 phone, by taps only: my task on the dashboard → the task →
start the inspection → the checklist with a photo → 记入台账 (saved) → 立案 → the case's data extracts → the
evidence PDF downloaded. No page on the way scrolls sideways."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from ecosentinel.auth.models import User
from ecosentinel.auth.service import principal_of
from ecosentinel.enforcement import tasks
from ecosentinel.enforcement.ledger.models import LedgerProblem
from ecosentinel.enforcement.models import Attachment, Case
from ecosentinel.readings import CST
from tests.browser.harness import (
    Live,
    log_in,
    open_db,
    sideways_overflow,
    wait_for,
    wait_for_download,
    wait_for_text,
)
from tests.enforcement.test_cases import PNG  # a real, decodable photo

TITLE = "核查甲化工总排口稀释嫌疑"
NOTE = "采样杯内液体颜色明显偏浅"


@pytest.fixture(scope="module")
def task_id(live: Live) -> int:
    """The red warning escalated to a task dispatched to the officer ``zhifa``."""
    with open_db(live) as session:
        officer = session.scalar(sa.select(User).where(User.username == "zhifa"))
        assert officer is not None
        task = tasks.create_task(
            session,
            principal_of(officer),
            source="warning",
            title=TITLE,
            warning_id=live.enforcement.warning_id,
            deadline=dt.datetime.now(CST) + dt.timedelta(days=7),
            assignees=[officer.id],
        )
        session.commit()
        return task.id


def _fits(driver: WebDriver, seen: list[str]) -> None:
    """Record the page; fail at once if it scrolls sideways."""
    wait_for(driver, "footer")
    seen.append(driver.current_url)
    assert sideways_overflow(driver) == 0, f"{driver.current_url} is wider than the 390px phone"


def test_officer_walks_task_checklist_photo_ledger_case_and_pdf_on_a_phone(
    live: Live, task_id: int, handset: WebDriver, downloads: Path, tmp_path: Path
) -> None:
    seen: list[str] = []
    log_in(handset, live.base_url, "zhifa")
    _fits(handset, seen)

    # 我的任务 on the dashboard → the task → 开始现场检查
    handset.find_element(By.CSS_SELECTOR, "[data-testid=my-tasks]").find_element(By.LINK_TEXT, TITLE).click()
    wait_for(handset, "[data-testid=task-detail]")
    assert handset.current_url == f"{live.base_url}/enforcement/tasks/{task_id}"
    _fits(handset, seen)
    assert handset.find_element(By.CSS_SELECTOR, "[data-testid=task-status]").text == "已派发"
    handset.find_element(By.ID, "start-inspection").click()
    wait_for(handset, "#checklist-form")
    inspection_id = int(handset.current_url.rsplit("/", 1)[1])
    _fits(handset, seen)

    # The checklist: answers, a note and a photo taken for item 2, saved together.
    handset.find_element(By.CSS_SELECTOR, "input[name=result_1][value=conform]").click()
    handset.find_element(By.CSS_SELECTOR, "input[name=result_2][value=nonconform]").click()
    handset.find_element(By.NAME, "notes_2").send_keys(NOTE)
    photo = tmp_path / "采样杯.png"
    photo.write_bytes(PNG)
    handset.find_element(By.NAME, "photo_2").send_keys(str(photo))
    handset.find_element(By.NAME, "conclusion").send_keys("采样杯有稀释痕迹，已拍照取证。")
    handset.find_element(By.ID, "save-checklist").click()
    wait_for_text(handset, "#flash", "已上传 1 个照片或文件")
    _fits(handset, seen)
    assert "采样杯.png" in handset.find_element(By.CSS_SELECTOR, "tr[data-item='2'] .item-files").text
    assert handset.find_element(By.CSS_SELECTOR, "input[name=result_2][value=nonconform]").is_selected()

    # 记入台账: the form comes filled in from the inspection; the officer sets the deadline and saves.
    handset.find_element(By.ID, "to-ledger").click()
    wait_for(handset, "[data-testid=ledger-form]")
    _fits(handset, seen)
    form = handset.find_element(By.CSS_SELECTOR, "[data-testid=ledger-form]")
    assert NOTE in (form.find_element(By.NAME, "description").get_attribute("value") or "")
    assert form.find_element(By.NAME, "task_id").get_attribute("value") == str(task_id)
    assert Select(form.find_element(By.NAME, "category")).first_selected_option.text == "水"
    deadline = (dt.datetime.now(CST) + dt.timedelta(days=30)).date()
    handset.execute_script(
        "document.querySelector('[data-testid=ledger-form] [name=deadline]').value = arguments[0];",
        deadline.isoformat(),
    )
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_text(handset, "#flash", "已保存")
    assert "/enforcement/ledger/" in handset.current_url
    _fits(handset, seen)
    with open_db(live) as db:
        problem = db.scalar(sa.select(LedgerProblem).where(LedgerProblem.task_id == task_id))
        assert problem is not None
        assert NOTE in problem.description
        assert problem.deadline == deadline

    # 立案 from the inspection leads to the new case; there: extracts from the finding, the evidence pack.
    handset.get(f"{live.base_url}/enforcement/inspections/{inspection_id}")
    handset.find_element(By.ID, "open-case-from-inspection").click()
    wait_for_text(handset, "#flash", "已立案")
    wait_for(handset, "#evidence-pdf")
    with open_db(live) as db:
        case = db.scalar(sa.select(Case).order_by(Case.id.desc()).limit(1))
        assert case is not None
        assert [i.id for i in case.inspections] == [inspection_id]
        assert [w.id for w in case.warnings] == [live.enforcement.warning_id]
        case_id, number = case.id, case.number
        photo_hash = db.scalar(sa.select(Attachment.sha256).where(Attachment.inspection_id == inspection_id))
        assert photo_hash is not None
    assert handset.current_url == f"{live.base_url}/enforcement/cases/{case_id}"
    assert number in handset.find_element(By.ID, "flash").text
    _fits(handset, seen)
    handset.find_element(By.ID, "make-extracts").click()
    wait_for(handset, "#extracts")
    _fits(handset, seen)
    extracts = handset.find_element(By.ID, "extracts").text
    assert "分钟数据" in extracts  # named in Chinese, not "minute"
    assert "化学需氧量（COD）[w01018]" in extracts
    assert "minute" not in extracts
    handset.find_element(By.ID, "evidence-pdf").click()
    import time

    time.sleep(3)
    print(
        "URL",
        handset.current_url,
        handset.find_element(By.TAG_NAME, "body").text[-800:],
        list(downloads.iterdir()),
    )
    pdf = wait_for_download(downloads, ".pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert number in text
    assert NOTE in text  # the checklist
    assert photo_hash in text  # the photo, by its hash
    assert "现场照片：采样杯.png，检查项 2" in text  # and the photo itself
    assert "化学需氧量" in text  # the extract's chart and rows
    pages = {u.removeprefix(live.base_url).split("?")[0].rstrip("0123456789") for u in seen}
    assert pages == {
        "/",
        "/enforcement/tasks/",
        "/enforcement/inspections/",
        "/enforcement/ledger/new",
        "/enforcement/ledger/",
        "/enforcement/cases/",
    }
