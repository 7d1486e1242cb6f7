"""Regenerate docs/screenshots/*.png from the real app in headless Chromium (CJK font: fonts-wqy-microhei).

Run: ``.venv/bin/python -m tests.browser.screenshots [output_dir]`` (default docs/screenshots).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.harness import chromium, live_app, log_in, wait_for
from tests.web.seeding import MN_A

PAGES = (
    ("dashboard", "/", "[data-testid=colour-counts]"),
    ("stations", "/stations", "[data-testid=station-table]"),
    ("station", f"/stations/{MN_A}?start=2025-03-10T08:00&end=2025-03-10T14:00", "#charts[data-loaded='1']"),
    ("audit", "/audit?check=true", "[data-testid=chain-ok]"),
    ("interference", "/audit/interference", "[data-testid=interference-form]"),
    ("users", "/admin/users", "[data-testid=user-table]"),
)


def _shoot(driver: WebDriver, path: Path) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1366, max(700, min(int(height) + 40, 2400)))
    driver.save_screenshot(str(path))


def main(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, live_app(Path(tmp)) as live:
        driver = chromium()
        try:
            driver.get(f"{live.base_url}/public")
            wait_for(driver, "h1")
            _shoot(driver, out / "public.png")
            driver.get(f"{live.base_url}/login")
            wait_for(driver, "input[name=username]")
            _shoot(driver, out / "login.png")
            written += [out / "public.png", out / "login.png"]
            log_in(driver, live.base_url, "admin")
            for name, path, ready in PAGES:
                driver.get(f"{live.base_url}{path}")
                wait_for(driver, ready)
                _shoot(driver, out / f"{name}.png")
                written.append(out / f"{name}.png")
        finally:
            driver.quit()
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")):
        print(p)
