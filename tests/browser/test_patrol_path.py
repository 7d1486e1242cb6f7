"""A patrol's path through the real UI in headless Chromium, and a public visitor's."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.enforcement_seed import DRAW_OUTCOME, DRAW_TITLE, PENALTY_NO, PENALTY_SUMMARY, PERIOD
from tests.browser.harness import WAIT_S, Live, log_in, wait_for
from tests.web.seeding import FINDING_END, FINDING_START, FINDING_TEXT, MN_A, MN_B

# Colour of the canvas pixel in the middle of the shaded finding window, near the top of the plot.
_OVERLAY_PIXEL = """
const u = document.getElementById('charts').charts[0];
const x = Math.round(u.valToPos((arguments[0] + arguments[1]) / 2, 'x', true));
const y = Math.round(u.bbox.top + 30 * devicePixelRatio);
return Array.from(u.ctx.getImageData(x, y, 1, 1).data);
"""
_OUTSIDE_PIXEL = """
const u = document.getElementById('charts').charts[0];
const x = Math.round(u.valToPos(arguments[0], 'x', true));
const y = Math.round(u.bbox.top + 30 * devicePixelRatio);
return Array.from(u.ctx.getImageData(x, y, 1, 1).data);
"""


def test_patrol_logs_in_sees_dashboard_and_station_curve_with_finding(live: Live, browser: WebDriver) -> None:
    log_in(browser, live.base_url, "xunchao")
    assert browser.current_url == f"{live.base_url}/"
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=user-name]").text == "xunchao用户"
    counts = browser.find_element(By.CSS_SELECTOR, "[data-testid=colour-counts]").text
    assert "红色点位\n1" in counts
    assert len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=enterprise-map] circle")) == 2

    browser.find_element(By.LINK_TEXT, "甲化工废水总排口").click()
    wait_for(browser, "#charts[data-loaded='1']")
    assert browser.current_url == f"{live.base_url}/stations/{MN_A}"
    titles = [h.text for h in browser.find_elements(By.CSS_SELECTOR, "#charts .chart-box h3")]
    assert titles == ["化学需氧量（COD）（mg/L） [w01018]", "氨氮（mg/L） [w21003]"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#charts canvas")) == 2
    findings = browser.find_elements(By.CSS_SELECTOR, "[data-testid=finding-list] li")
    assert len(findings) == 1
    assert FINDING_TEXT in findings[0].text
    events = browser.find_element(By.CSS_SELECTOR, "[data-testid=event-table]").text
    assert "站房门打开" in events

    inside = browser.execute_script(_OVERLAY_PIXEL, FINDING_START.timestamp(), FINDING_END.timestamp())
    outside = browser.execute_script(_OUTSIDE_PIXEL, FINDING_START.timestamp() - 3600)
    assert inside[0] > inside[1]  # red-tinted shading drawn inside the finding window
    assert inside[3] > 0
    assert outside[3] == 0 or outside[:3] != inside[:3]


def test_window_form_reloads_the_curve(live: Live, browser: WebDriver) -> None:
    log_in(browser, live.base_url, "fenxi", next_path=f"/stations/{MN_A}")
    wait_for(browser, "#charts[data-loaded='1']")
    browser.execute_script(
        "document.querySelector('[name=start]').value='2025-03-10T09:00';"
        "document.querySelector('[name=end]').value='2025-03-10T09:30';"
        "document.getElementById('charts').dataset.loaded='';"
    )
    browser.find_element(By.CSS_SELECTOR, "#window-form button[type=submit]").click()
    wait_for(browser, "#charts[data-loaded='1']")
    assert "2025-03-10 09:00 至 2025-03-10 09:30" in browser.find_element(By.ID, "window-text").text
    assert browser.find_element(By.ID, "finding-empty").is_displayed()


def test_enterprise_user_is_refused_another_enterprises_station(live: Live, browser: WebDriver) -> None:
    log_in(browser, live.base_url, "qiye")
    assert "甲化工" not in browser.find_element(By.TAG_NAME, "body").text
    browser.get(f"{live.base_url}/stations/{MN_A}")
    assert "无权访问" in browser.find_element(By.TAG_NAME, "h1").text
    browser.get(f"{live.base_url}/stations/{MN_B}")
    wait_for(browser, "#charts[data-loaded='1']")


def test_public_visitor_sees_public_home_without_login(live: Live, browser: WebDriver) -> None:
    browser.get(f"{live.base_url}/public")
    assert browser.find_element(By.TAG_NAME, "h1").text == "信息公开"
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=logout]")
    browser.get(f"{live.base_url}/stations")
    WebDriverWait(browser, WAIT_S).until(lambda d: "/login" in d.current_url)
    assert browser.current_url.endswith("/login?next=%2Fstations")


def test_public_visitor_reads_evaluations_penalties_and_random_inspections(
    live: Live, browser: WebDriver
) -> None:
    browser.get(f"{live.base_url}/public")
    wait_for(browser, "[data-testid=public-links]")
    links = {
        a.get_attribute("pathname"): a.text
        for a in browser.find_elements(By.CSS_SELECTOR, "[data-testid=public-links] a")
    }
    assert "企业环保脸谱" in links["/public/evaluation"]
    assert "行政处罚信息公开" in links["/public/penalties"]
    assert "双随机抽查结果公开" in links["/public/random-inspections"]

    # Each page is reached by its link on the public home, as a visitor would.
    browser.find_element(By.CSS_SELECTOR, "[data-testid=public-links] a[href='/public/evaluation']").click()
    wait_for(browser, "[data-testid=public-evaluation]")
    assert browser.find_element(By.TAG_NAME, "h1").text == f"企业环保脸谱（{PERIOD}）"
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=public-evaluation] tr")[1:]
    by_name = {r.find_element(By.TAG_NAME, "td").text: r for r in rows}
    assert set(by_name) == {"甲化工有限公司", "乙热电有限公司"}
    for row in by_name.values():
        badge = row.find_element(By.CSS_SELECTOR, ".badge").text
        assert badge in ("绿脸", "蓝脸", "黄脸", "红脸"), badge
    assert not browser.find_elements(By.CSS_SELECTOR, "[data-testid=logout]")

    browser.get(f"{live.base_url}/public")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=public-links] a[href='/public/penalties']").click()
    wait_for(browser, "[data-testid=public-penalties]")
    assert browser.find_element(By.TAG_NAME, "h1").text == "行政处罚信息公开"
    penalties = browser.find_elements(By.CSS_SELECTOR, "[data-testid=public-penalties] tr")[1:]
    assert len(penalties) == 1
    cells = [td.text for td in penalties[0].find_elements(By.TAG_NAME, "td")]
    assert cells == [
        "2025-03-28",
        PENALTY_NO,
        "甲化工有限公司",
        "91330400AAAAAAAA01",
        "自动监控",
        PENALTY_SUMMARY,
        "20.0",
    ]
    assert "内部线索" not in browser.find_element(By.TAG_NAME, "body").text

    browser.get(f"{live.base_url}/public")
    browser.find_element(
        By.CSS_SELECTOR, "[data-testid=public-links] a[href='/public/random-inspections']"
    ).click()
    wait_for(browser, "[data-testid=public-draw]")
    assert browser.find_element(By.TAG_NAME, "h1").text == "双随机抽查结果公开"
    draws = browser.find_elements(By.CSS_SELECTOR, "[data-testid=public-draw]")
    assert len(draws) == 1
    assert draws[0].find_element(By.TAG_NAME, "h2").text == DRAW_TITLE
    drawn = draws[0].find_elements(By.CSS_SELECTOR, "table tr")[1:]
    assert len(drawn) == 1
    cells = [td.text for td in drawn[0].find_elements(By.TAG_NAME, "td")]
    assert cells[0] == "1"
    assert cells[1] in ("甲化工有限公司", "乙热电有限公司")
    assert cells[2:] == ["2025-03-12", DRAW_OUTCOME]
    for officer in ("zhifa用户", "zhifa2用户"):
        assert officer not in browser.find_element(By.TAG_NAME, "body").text
