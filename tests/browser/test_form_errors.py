"""A refused form in the browser: the message beside the bad field, what was typed still there."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.harness import Live, log_in, wait_for


def test_bad_fine_keeps_the_typed_values_and_marks_the_field(live: Live, browser: WebDriver) -> None:
    path = f"/enforcement/ledger/{live.enforcement.problem_id}"
    log_in(browser, live.base_url, "zhifa", next_path=path)
    form = browser.find_element(By.CSS_SELECTOR, f"form[action='{path}/actions']")
    form.find_element(By.NAME, "fine_wan").send_keys("abc")
    form.find_element(By.NAME, "decision_no").send_keys("嘉环罚〔2025〕99号")
    form.find_element(By.NAME, "public_summary").send_keys("夜间以清水稀释采样")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, ".field-error")
    assert browser.current_url == f"{live.base_url}{path}"
    form = browser.find_element(By.CSS_SELECTOR, f"form[action='{path}/actions']")
    fine = form.find_element(By.NAME, "fine_wan")
    assert fine.get_attribute("value") == "abc"
    assert fine.get_attribute("aria-invalid") == "true"
    assert form.find_element(By.NAME, "decision_no").get_attribute("value") == "嘉环罚〔2025〕99号"
    assert form.find_element(By.NAME, "public_summary").get_attribute("value") == "夜间以清水稀释采样"
    error = form.find_element(By.CSS_SELECTOR, ".field-error")
    assert "abc" in error.text
    # the message follows the fine's label, inside the same form
    label_input = error.find_element(By.XPATH, "preceding-sibling::label[1]//input")
    assert label_input.get_attribute("name") == "fine_wan"
