"""Regenerate docs/screenshots/*.png from the real app in headless Chromium (CJK font: fonts-wqy-microhei).

Run: ``.venv/bin/python -m tests.browser.screenshots [output_dir]`` (default docs/screenshots).

Besides the seeded world (tests/web/seeding.py, tests/browser/enforcement_seed.py) it stages, through the
services, what the enforcement pages show once officers have worked on the red warning: a dispatched task, a
half-filled inspection checklist and a case with its data extracts.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy.orm import Session

from ecosentinel.auth.models import User
from ecosentinel.auth.service import principal_of
from ecosentinel.database import create_engine
from ecosentinel.enforcement import cases, inspections, tasks
from ecosentinel.readings import CST
from ecosentinel.store.base import open_store
from tests.browser.harness import Live, chromium, live_app, log_in, wait_for
from tests.web.seeding import MN_A


@dataclass(frozen=True)
class Staged:
    task_id: int
    inspection_id: int
    case_id: int


def stage_case(live: Live) -> Staged:
    """Escalate the red warning to a task of officer zhifa, partly fill its inspection, open a case."""
    engine = create_engine(live.database_url)
    store = open_store(live.database_url)
    try:
        with Session(engine) as session:
            officer = session.scalar(sa.select(User).where(User.username == "zhifa"))
            assert officer is not None
            who = principal_of(officer)
            task = tasks.create_task(
                session,
                who,
                source="warning",
                warning_id=live.enforcement.warning_id,
                deadline=dt.datetime.now(CST).replace(hour=17, minute=0, second=0, microsecond=0)
                + dt.timedelta(days=7),
                assignees=[officer.id],
            )
            inspection = inspections.create_inspection(session, who, task_id=task.id)
            inspections.update_inspection(
                session,
                who,
                inspection.id,
                items=[
                    inspections.ItemInput(1, "conform", None),
                    inspections.ItemInput(2, "nonconform", "采样杯内液体颜色明显偏浅，疑似加水稀释"),
                    inspections.ItemInput(3, "na", None),
                ],
                inspected_at=dt.datetime(2025, 3, 11, 10, 30, tzinfo=CST),
                conclusion="采样杯有稀释痕迹，已拍照取证，建议立案调查。",
            )
            case = cases.create_case(
                session,
                who,
                title="甲化工有限公司涉嫌自动监控数据弄虚作假案",
                facts_zh="2025年3月10日10时至11时，化学需氧量超标后骤降，现场检查发现采样杯被加水稀释。",
                task_id=task.id,
            )
            cases.add_finding_extracts(session, who, store, case.id)
            session.commit()
            return Staged(task_id=task.id, inspection_id=inspection.id, case_id=case.id)
    finally:
        store.close()
        engine.dispose()


def _pages(live: Live, staged: Staged) -> tuple[tuple[str, str, str], ...]:
    """(file name, path, selector present once the page is ready) for a logged-in administrator."""
    return (
        ("dashboard", "/", "[data-testid=colour-counts]"),
        ("stations", "/stations", "[data-testid=station-table]"),
        ("map", "/map", "[data-testid=point-map]"),
        (
            "station",
            f"/stations/{MN_A}?start=2025-03-10T08:00&end=2025-03-10T14:00",
            "#charts[data-loaded='1']",
        ),
        ("warnings", "/enforcement/warnings", "#warning-list"),
        ("warning", f"/enforcement/warnings/{live.enforcement.warning_id}", "#charts[data-loaded='1']"),
        ("task", f"/enforcement/tasks/{staged.task_id}", "[data-testid=task-detail]"),
        ("inspection", f"/enforcement/inspections/{staged.inspection_id}", "#checklist-form"),
        ("case", f"/enforcement/cases/{staged.case_id}", "#evidence-pdf"),
        ("enterprise_response", f"/enterprise/warnings/{live.enforcement.warning_id}", "#response-form"),
        ("ledger", "/enforcement/ledger?year=2025", "[data-testid=ledger-table]"),
        ("draws", "/enforcement/draws", "[data-testid=draws-table]"),
        ("om_ratings", "/om/assessments", "[data-testid=om-assessments]"),
        ("registry", "/registry", "[data-testid=registry-points]"),
        ("audit", "/audit?check=true", "[data-testid=chain-ok]"),
        ("interference", "/audit/interference", "[data-testid=interference-form]"),
        ("users", "/admin/users", "[data-testid=user-table]"),
    )


PUBLIC_PAGES = (
    ("public", "/public", "[data-testid=public-links]"),
    ("public_evaluation", "/public/evaluation", "[data-testid=public-evaluation]"),
    ("public_penalties", "/public/penalties", "[data-testid=public-penalties]"),
    ("public_inspections", "/public/random-inspections", "[data-testid=public-draw]"),
    ("login", "/login", "input[name=username]"),
)


def _shoot(driver: WebDriver, path: Path) -> None:
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1366, max(700, min(int(height) + 40, 2400)))
    driver.save_screenshot(str(path))


PHONE_PAGES = (
    ("phone_dashboard", "/", "[data-testid=menu-button]"),
    ("phone_task", "/enforcement/tasks/{task_id}", "[data-testid=task-detail]"),
    ("phone_inspection", "/enforcement/inspections/{inspection_id}", "#checklist-form"),
    ("phone_ledger", "/enforcement/ledger/new?inspection_id={inspection_id}", "[data-testid=ledger-form]"),
    ("phone_case", "/enforcement/cases/{case_id}", "#evidence-pdf"),
)

ROLE_PAGES = (
    # the leader's overview and report forms; the analyst's rule-adjustment form with its parameter hint
    ("lingdao", "leader_dashboard", "/", "[data-testid=workload]"),
    ("lingdao", "reports", "/enforcement/reports", "[data-testid=monthly-download-form]"),
    ("fenxi", "adjustments", "/enforcement/adjustments", "#propose-form"),
)


def _phone_shots(live: Live, staged: Staged, out: Path) -> list[Path]:
    """The officer's pages on a 390×844 phone (device metrics emulated), full length."""
    driver = chromium(390, 844)
    written = []
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
        )
        log_in(driver, live.base_url, "zhifa")
        for name, path, ready in PHONE_PAGES:
            driver.get(
                live.base_url
                + path.format(
                    task_id=staged.task_id, inspection_id=staged.inspection_id, case_id=staged.case_id
                )
            )
            wait_for(driver, ready)
            height = int(driver.execute_script("return document.body.scrollHeight"))
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": 390, "height": min(height, 3000), "deviceScaleFactor": 2, "mobile": True},
            )
            driver.save_screenshot(str(out / f"{name}.png"))
            written.append(out / f"{name}.png")
            driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True},
            )
    finally:
        driver.quit()
    return written


def main(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp, live_app(Path(tmp)) as live:
        staged = stage_case(live)
        driver = chromium()
        try:
            for name, path, ready in PUBLIC_PAGES:
                driver.get(f"{live.base_url}{path}")
                wait_for(driver, ready)
                _shoot(driver, out / f"{name}.png")
                written.append(out / f"{name}.png")
            log_in(driver, live.base_url, "admin")
            for name, path, ready in _pages(live, staged):
                driver.get(f"{live.base_url}{path}")
                wait_for(driver, ready)
                _shoot(driver, out / f"{name}.png")
                written.append(out / f"{name}.png")
            for user, name, path, ready in ROLE_PAGES:
                driver.delete_all_cookies()
                log_in(driver, live.base_url, user)
                driver.get(f"{live.base_url}{path}")
                wait_for(driver, ready)
                _shoot(driver, out / f"{name}.png")
                written.append(out / f"{name}.png")
        finally:
            driver.quit()
        written += _phone_shots(live, staged, out)
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/screenshots")):
        print(p)
