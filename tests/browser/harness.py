"""The real app under uvicorn on a free port over a temporary SQLite database, and headless Chromium.

Used by the browser tests and by ``python -m tests.browser.screenshots`` (which regenerates docs/screenshots).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import create_user
from ecosentinel.database import create_engine, session_factory, upgrade
from ecosentinel.store.base import open_store
from tests.browser.enforcement_seed import Enforcement, seed_enforcement
from tests.web.seeding import World, seed

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "browser-pass-1"
USERS = {
    "xunchao": Role.PATROL,
    "fenxi": Role.ANALYST,
    "zhifa": Role.OFFICER,
    "zhifa2": Role.OFFICER,  # draws need two inspectors per enterprise
    "admin": Role.ADMIN,
    "lingdao": Role.LEADER,
}
WAIT_S = 20.0


@dataclass(frozen=True)
class Live:
    base_url: str
    database_url: str
    world: World
    enforcement: Enforcement


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_app(tmp: Path) -> Iterator[Live]:
    """Migrate and seed a database in ``tmp``, serve the app on it, stop it afterwards."""
    from ecosentinel.server.app import create_app

    url = f"sqlite:///{tmp / 'browser.db'}"
    upgrade(url)
    engine = create_engine(url)
    store = open_store(url)
    factory = session_factory(engine)
    with factory() as session:
        world = seed(session, store)
        for username, role in USERS.items():
            create_user(
                session, username=username, password=PASSWORD, role=role, display_name=f"{username}用户"
            )
        create_user(
            session,
            username="qiye",
            password=PASSWORD,
            role=Role.ENTERPRISE,
            enterprise_id=world.enterprise_b,
            display_name="乙热电",
        )
        session.commit()
        enforcement = seed_enforcement(session, store, world)
    store.close()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(session_factory=factory), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name="browser-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield Live(
            base_url=f"http://127.0.0.1:{port}", database_url=url, world=world, enforcement=enforcement
        )
    finally:
        server.should_exit = True
        thread.join(timeout=WAIT_S)
        engine.dispose()


def chromium(
    width: int = 1366, height: int = 900, *, mobile: bool = False, downloads: Path | None = None
) -> WebDriver:
    """Headless Chromium through the system chromedriver; ``mobile`` emulates a phone of that size (a desktop
    window cannot be narrower than about 500 px, and a phone reports a touch screen); files the user
    downloads are saved in ``downloads`` without a prompt."""
    options = webdriver.ChromeOptions()
    if downloads is not None:
        options.add_experimental_option(
            "prefs",
            {"download.default_directory": str(downloads), "download.prompt_for_download": False},
        )
    if mobile:
        options.add_experimental_option(
            "mobileEmulation", {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 3.0}}
        )
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def wait_for(driver: WebDriver, css: str) -> None:
    """Wait until ``css`` matches; on timeout, fail with the page's URL, text and console."""
    try:
        WebDriverWait(driver, WAIT_S).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
        )
    except TimeoutException as exc:
        body = driver.find_element(By.TAG_NAME, "body").text[:1500]
        console = driver.get_log("browser")  # type: ignore[attr-defined]
        raise AssertionError(f"{css} not found on {driver.current_url}:\n{body}\n{console}") from exc


def wait_for_url(driver: WebDriver, fragment: str) -> None:
    """Wait until the browser has navigated to a URL containing ``fragment`` (after a form submit the old
    page's elements are still there until the new page arrives, so waiting for an element alone races)."""
    try:
        WebDriverWait(driver, WAIT_S).until(expected_conditions.url_contains(fragment))
    except TimeoutException as exc:
        raise AssertionError(f"the browser stayed on {driver.current_url}, expected {fragment!r}") from exc


def wait_for_reload(driver: WebDriver, element: WebElement) -> None:
    """Wait until ``element`` of the current page is gone (the next page has replaced it): after a form
    posts back to the same URL, elements matching the old page's selectors are still there until then."""
    try:
        WebDriverWait(driver, WAIT_S).until(expected_conditions.staleness_of(element))
    except TimeoutException as exc:
        raise AssertionError(f"the page {driver.current_url} was not replaced") from exc


def log_in(driver: WebDriver, base_url: str, username: str, next_path: str = "/") -> None:
    """Log in through the login form, as a user would."""
    driver.get(f"{base_url}{next_path}")  # no session: the app sends the browser to /login?next=…
    wait_for(driver, "input[name=username]")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=login-submit]").click()
    wait_for(driver, "[data-testid=user-name]")


def wait_for_text(driver: WebDriver, css: str, text: str) -> None:
    """Wait until an element matching ``css`` contains ``text`` (e.g. the flash message after a form post).

    The page may be replaced while it is polled (a form post navigating away): the matching elements'
    texts are read in one script, so no element handle outlives its document between finding and reading
    it, and a poll that lands mid-navigation (the script or a node lookup refused) is simply retried."""

    def _has_text(d: WebDriver) -> bool:
        texts = d.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText);", css
        )
        return any(text in t for t in texts or ())

    try:
        WebDriverWait(driver, WAIT_S, ignored_exceptions=(WebDriverException,)).until(_has_text)
    except TimeoutException as exc:
        body = driver.find_element(By.TAG_NAME, "body").text[:1500]
        raise AssertionError(f"{text!r} not in {css} on {driver.current_url}:\n{body}") from exc


@contextmanager
def open_db(live: Live) -> Iterator[Session]:
    """A session on the live app's database (its own engine, disposed afterwards)."""
    engine = create_engine(live.database_url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def phone(width: int = 390, height: int = 844, *, downloads: Path | None = None) -> WebDriver:
    """Chromium as a phone of that size: device metrics and touch emulated (``innerWidth`` is ``width``)."""
    driver = chromium(width, height, downloads=downloads)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 3, "mobile": True},
    )
    return driver


def sideways_overflow(driver: WebDriver) -> int:
    """How many CSS pixels the page is wider than the screen (0 when nothing scrolls sideways)."""
    widths = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")
    return max(0, int(widths[0]) - int(widths[1]))


def wait_for_download(directory: Path, suffix: str) -> Path:
    """The one finished download in ``directory`` whose name ends in ``suffix``."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        done = [p for p in directory.iterdir() if p.name.endswith(suffix) and p.stat().st_size > 0]
        if done and not any(p.name.endswith(".crdownload") for p in directory.iterdir()):
            assert len(done) == 1, done
            return done[0]
        time.sleep(0.1)
    raise AssertionError(
        f"no *{suffix} download in {directory}: {sorted(p.name for p in directory.iterdir())}"
    )
