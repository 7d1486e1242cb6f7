"""List tables sort by a header click, filter by typed text and page long lists; the warning page shows its
curve near the top with the finding's factor first."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.harness import Live, log_in, wait_for


def _visible_first_cells(browser: WebDriver, table: str) -> list[str]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"{table} tr")[1:]
    return [r.find_elements(By.TAG_NAME, "td")[0].text for r in rows if r.is_displayed()]


def test_station_table_sorts_filters_and_pages(live: Live, browser: WebDriver) -> None:
    log_in(browser, live.base_url, "fenxi", next_path="/stations")
    table = "table[data-enhanced]"
    wait_for(browser, table)
    header = browser.find_elements(By.CSS_SELECTOR, f"{table} th")[0]
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    first = _visible_first_cells(browser, table)
    assert first == ["甲化工废水总排口", "乙热电废水排口"]  # Chinese (pinyin) order: jia before yi
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert _visible_first_cells(browser, table) == list(reversed(first))
    browser.execute_script(
        "const s = document.querySelector(arguments[0]); delete s.dataset.enhanced;"
        "s.parentNode.querySelectorAll('.table-pager').forEach(function (p) { p.remove(); });"
        "EcoSentinelTables.enhance(s, {pageSize: 1});",
        table,
    )
    label = browser.find_element(By.CSS_SELECTOR, "[data-testid=page-label]")
    assert label.text == "第 1/2 页，共 2 行"
    shown = _visible_first_cells(browser, table)
    assert len(shown) == 1
    browser.find_element(By.XPATH, "//div[contains(@class,'table-pager')]//button[text()='下一页']").click()
    assert _visible_first_cells(browser, table) != shown
    assert {*shown, *_visible_first_cells(browser, table)} == set(first)


def test_warning_page_shows_the_decisive_curve_first_near_the_top(live: Live, browser: WebDriver) -> None:
    log_in(browser, live.base_url, "fenxi", next_path=f"/enforcement/warnings/{live.enforcement.warning_id}")
    wait_for(browser, "#charts[data-loaded='1']")
    top = browser.execute_script(
        "return document.getElementById('warning-curve').getBoundingClientRect().top;"
    )
    assert top < 400
    assert (browser.find_element(By.ID, "charts").get_attribute("data-order") or "").split(",")[0] == "w01018"
