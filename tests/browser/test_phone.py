"""The officer on a phone (390×844): no page scrolls sideways, the menu folds away, a photo taken for a
checklist item is saved together with the answers not yet saved, and the inspection leads to the ledger and
to a case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select
from sqlalchemy.orm import Session

from ecosentinel.auth.models import User
from ecosentinel.auth.service import principal_of
from ecosentinel.database import create_engine
from ecosentinel.enforcement import cases, inspections, tasks
from ecosentinel.enforcement.models import Attachment, Case, Inspection
from tests.browser.harness import Live, chromium, log_in, wait_for, wait_for_text

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@dataclass(frozen=True)
class Field:
    task_id: int
    inspection_id: int
    case_id: int


@pytest.fixture(scope="module")
def field(live: Live) -> Field:
    """A complaint task of the officer ``zhifa`` at enterprise A, a draft inspection and an open case."""
    engine = create_engine(live.database_url)
    try:
        with Session(engine) as session:
            officer = session.scalar(sa.select(User).where(User.username == "zhifa"))
            assert officer is not None
            actor = principal_of(officer)
            task = tasks.create_task(
                session,
                actor,
                source="complaint",
                source_ref="12369-2025-0042",
                title="群众举报夜间排放",
                point_id=live.world.point_a,
                assignees=[officer.id],
                deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=5),
            )
            inspection = inspections.create_inspection(session, actor, task_id=task.id, inspectors="zhifa")
            case = cases.create_case(session, actor, title="举报核查案", task_id=task.id)
            session.commit()
            return Field(task_id=task.id, inspection_id=inspection.id, case_id=case.id)
    finally:
        engine.dispose()


@pytest.fixture
def phone() -> Iterator[WebDriver]:
    driver = chromium(390, 844)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True},
    )
    try:
        yield driver
    finally:
        driver.quit()


def _overflow(driver: WebDriver) -> tuple[int, int]:
    widths = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")
    return int(widths[0]), int(widths[1])


def test_no_officer_page_scrolls_sideways_on_a_phone(live: Live, field: Field, phone: WebDriver) -> None:
    log_in(phone, live.base_url, "zhifa")
    assert _overflow(phone)[1] == 390
    nav = [a.get_attribute("href") for a in phone.find_elements(By.CSS_SELECTOR, ".mainnav a")]
    assert len(nav) > 8
    details = [
        f"/enforcement/tasks/{field.task_id}",
        f"/enforcement/inspections/{field.inspection_id}",
        f"/enforcement/cases/{field.case_id}",
        f"/enforcement/warnings/{live.enforcement.warning_id}",
        f"/enforcement/ledger/{live.enforcement.problem_id}",
        f"/enforcement/draws/{live.enforcement.draw_id}",
        "/enforcement/ledger/new",
        "/stations/88888880000001",
    ]
    too_wide = []
    for url in [*(str(u) for u in nav), *(live.base_url + d for d in details)]:
        phone.get(url)
        wait_for(phone, "footer")
        scroll, inner = _overflow(phone)
        if scroll > inner:
            too_wide.append(f"{url.removeprefix(live.base_url)}: {scroll}px")
    assert too_wide == []


def test_menu_folds_away_on_a_phone(live: Live, phone: WebDriver) -> None:
    log_in(phone, live.base_url, "zhifa", next_path="/enforcement/tasks")
    menu = phone.find_element(By.CSS_SELECTOR, "[data-testid=menu-button]")
    assert menu.is_displayed()
    assert "任务" in menu.text  # names the current page
    links = phone.find_elements(By.CSS_SELECTOR, ".mainnav a")
    assert not any(a.is_displayed() for a in links)
    menu.click()
    assert all(a.is_displayed() for a in links)
    wide = chromium()
    try:
        log_in(wide, live.base_url, "zhifa")
        assert not wide.find_element(By.CSS_SELECTOR, "[data-testid=menu-button]").is_displayed()
        assert all(a.is_displayed() for a in wide.find_elements(By.CSS_SELECTOR, ".mainnav a"))
    finally:
        wide.quit()


def test_photo_keeps_unsaved_answers_and_inspection_leads_to_ledger_and_case(
    live: Live, field: Field, phone: WebDriver, tmp_path: Path
) -> None:
    path = f"/enforcement/inspections/{field.inspection_id}"
    log_in(phone, live.base_url, "zhifa", next_path=path)
    photo_input = phone.find_element(By.NAME, "photo_1")
    assert photo_input.get_attribute("accept") == "image/*"
    assert photo_input.get_attribute("capture") == "environment"
    phone.find_element(By.CSS_SELECTOR, "input[name=result_1][value=nonconform]").click()
    phone.find_element(By.NAME, "notes_1").send_keys("采样管路有三通阀")
    photo = tmp_path / "三通阀.png"
    photo.write_bytes(PNG)
    photo_input.send_keys(str(photo))
    phone.find_element(By.ID, "save-checklist").click()
    wait_for_text(phone, "#flash", "已上传 1 个照片或文件")
    assert phone.find_element(By.CSS_SELECTOR, "input[name=result_1][value=nonconform]").is_selected()
    assert phone.find_element(By.NAME, "notes_1").get_attribute("value") == "采样管路有三通阀"
    assert "三通阀.png" in phone.find_element(By.CSS_SELECTOR, "tr[data-item='1'] .item-files").text
    engine = create_engine(live.database_url)
    try:
        with Session(engine) as session:
            attachment = session.scalar(
                sa.select(Attachment).where(Attachment.inspection_id == field.inspection_id)
            )
            assert attachment is not None
            assert (attachment.item_no, attachment.filename) == (1, "三通阀.png")
    finally:
        engine.dispose()

    # 记入台账: the form comes filled in from the inspection (a water outlet, a complaint task)
    phone.find_element(By.ID, "to-ledger").click()
    wait_for(phone, "[data-testid=ledger-form]")
    assert Select(phone.find_element(By.NAME, "category")).first_selected_option.text == "水"
    assert Select(phone.find_element(By.NAME, "source")).first_selected_option.text == "投诉举报"
    assert "采样管路有三通阀" in (phone.find_element(By.NAME, "description").get_attribute("value") or "")
    assert phone.find_element(By.NAME, "task_id").get_attribute("value") == str(field.task_id)

    # 立案 from the inspection: a new case holding this inspection
    phone.get(f"{live.base_url}{path}")
    phone.find_element(By.ID, "open-case-from-inspection").click()
    wait_for_text(phone, "#flash", "已立案")
    engine = create_engine(live.database_url)
    try:
        with Session(engine) as session:
            newest = session.scalar(sa.select(Case).order_by(Case.id.desc()).limit(1))
            assert newest is not None
            assert newest.id != field.case_id
            assert field.inspection_id in [i.id for i in newest.inspections]
            assert session.get(Inspection, field.inspection_id) is not None
    finally:
        engine.dispose()
