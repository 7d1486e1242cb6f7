"""Fixtures of the browser tests: one live app (SQLite) per module, and headless Chromium as a desktop or a
390x844 phone, with or without a downloads folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.harness import Live, chromium, live_app, phone


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp: Path = tmp_path_factory.mktemp("browser")
    with live_app(tmp) as running:
        yield running


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    driver = chromium()
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def downloads(tmp_path: Path) -> Path:
    """An empty folder the browser saves downloads into."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    return folder


@pytest.fixture
def desk(downloads: Path) -> Iterator[WebDriver]:
    """A desktop Chromium that saves downloads into ``downloads``."""
    driver = chromium(downloads=downloads)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def handset(downloads: Path) -> Iterator[WebDriver]:
    """A 390x844 phone Chromium that saves downloads into ``downloads``."""
    driver = phone(downloads=downloads)
    try:
        yield driver
    finally:
        driver.quit()
