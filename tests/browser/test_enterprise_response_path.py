"""The enterprise answers its warning in headless Chromium (情况说明 with a PDF attached); the analyst sees
the answer on the warning page and downloads the very file the enterprise sent."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from reportlab.pdfgen.canvas import Canvas
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import create_user
from ecosentinel.enforcement.models import WarningResponse
from tests.browser.harness import (
    PASSWORD,
    Live,
    log_in,
    open_db,
    wait_for,
    wait_for_download,
    wait_for_text,
    wait_for_url,
)

TEXT = "3月10日10时为运维人员更换采样泵，已附运维记录，请核查。"


def _pdf() -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out)
    canvas.drawString(72, 720, "maintenance record 2025-03-10")
    canvas.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def enterprise_user(live: Live) -> str:
    """An account of enterprise A, whose point has the red warning."""
    with open_db(live) as session:
        create_user(
            session,
            username="qiye_jia",
            password=PASSWORD,
            role=Role.ENTERPRISE,
            enterprise_id=live.world.enterprise_a,
            display_name="甲化工",
        )
        session.commit()
    return "qiye_jia"


def test_enterprise_answers_with_a_document_and_the_analyst_sees_it(
    live: Live,
    enterprise_user: str,
    browser: WebDriver,
    desk: WebDriver,
    downloads: Path,
    tmp_path: Path,
) -> None:
    warning_id = live.enforcement.warning_id
    document = tmp_path / "运维记录.pdf"
    document.write_bytes(_pdf())

    # The enterprise: its warnings from the menu, the red one, the answer with the document.
    log_in(browser, live.base_url, enterprise_user)
    browser.find_element(By.CSS_SELECTOR, ".mainnav a[href='/enterprise/warnings']").click()
    wait_for_url(browser, "/enterprise/warnings")
    wait_for(browser, f"a[href='/enterprise/warnings/{warning_id}']")
    browser.find_element(By.CSS_SELECTOR, f"a[href='/enterprise/warnings/{warning_id}']").click()
    wait_for(browser, "#response-form")
    assert "尚未答复" in browser.find_element(By.CSS_SELECTOR, "[data-testid=responses]").text
    form = browser.find_element(By.ID, "response-form")
    Select(form.find_element(By.NAME, "kind")).select_by_visible_text("情况说明")
    form.find_element(By.NAME, "file").send_keys(str(document))
    form.find_element(By.NAME, "text").send_keys(TEXT)
    browser.find_element(By.ID, "submit-response").click()
    wait_for_text(browser, "#flash", "情况说明")
    answered = browser.find_element(By.CSS_SELECTOR, "[data-testid=responses]").text
    assert TEXT in answered
    assert "运维记录.pdf" in answered
    with open_db(live) as db:
        response = db.scalar(sa.select(WarningResponse).where(WarningResponse.warning_id == warning_id))
        assert response is not None
        assert (response.kind, response.filename, response.created_by) == (
            "explanation",
            "运维记录.pdf",
            "qiye_jia",
        )

    # The analyst: the answer on the warning page, and the document itself.
    log_in(desk, live.base_url, "fenxi", next_path=f"/enforcement/warnings/{warning_id}")
    section = desk.find_element(By.CSS_SELECTOR, "[data-testid=enterprise-responses]")
    assert "企业答复（1）" in section.text
    assert TEXT in section.text
    assert "情况说明" in section.text
    section.find_element(By.LINK_TEXT, "运维记录.pdf").click()
    received = wait_for_download(downloads, ".pdf")
    assert received.read_bytes() == document.read_bytes()
