"""The administrator keeps the registry from the page in headless Chromium: exports the Excel workbook and
the YAML file, edits the workbook, imports it (the page says what was imported and shows the change), and a
file of the wrong kind or with a bad row is refused beside the file field with nothing imported."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from ecosentinel.registry.models import Enterprise, OMAgency
from ecosentinel.registry.validation import credit_check_char
from tests.browser.harness import (
    Live,
    log_in,
    open_db,
    wait_for,
    wait_for_download,
    wait_for_reload,
    wait_for_text,
)

OLD = "乙热电有限公司"
NEW = "乙热电股份有限公司"


@pytest.fixture(scope="module")
def valid_codes(live: Live) -> None:
    """The seeded world's credit codes are placeholders (wrong check characters, a letter O); a registry kept
    through the import has valid ones, which the round trip needs."""
    with open_db(live) as db:
        for row in [*db.scalars(sa.select(Enterprise)), *db.scalars(sa.select(OMAgency))]:
            body = row.credit_code[:17].replace("O", "0")
            row.credit_code = body + credit_check_char(body)
        db.commit()


def _replace(book: openpyxl.Workbook, old: str, new: str) -> int:
    changed = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value == old:
                    cell.value = new
                    changed += 1
    return changed


def _upload(driver: WebDriver, path: Path) -> None:
    form = driver.find_element(By.ID, "registry-import")
    form.find_element(By.NAME, "file").send_keys(str(path))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for_reload(driver, form)  # the page posts back to itself: wait for the answer, not the old page


def _enterprise_names(live: Live) -> set[str]:
    with open_db(live) as db:
        return set(db.scalars(sa.select(Enterprise.name)))


def test_admin_exports_edits_and_imports_the_registry_in_the_page(
    live: Live, valid_codes: None, desk: WebDriver, downloads: Path, tmp_path: Path
) -> None:
    log_in(desk, live.base_url, "admin")
    desk.find_element(By.CSS_SELECTOR, ".mainnav a[href='/registry']").click()
    wait_for(desk, "[data-testid=registry-files]")

    # Export both formats.
    desk.find_element(By.ID, "export-yaml").click()
    exported_yaml = wait_for_download(downloads, ".yaml")
    document = yaml.safe_load(exported_yaml.read_text(encoding="utf-8"))
    assert OLD in str(document)
    exported_yaml.unlink()
    desk.find_element(By.ID, "export-xlsx").click()
    exported = wait_for_download(downloads, ".xlsx")
    book = openpyxl.load_workbook(exported)
    assert len(book.sheetnames) > 1  # a sheet per kind

    # A wrong kind of file: refused beside the field, nothing changes.
    text_file = tmp_path / "登记信息.csv"
    text_file.write_text("企业名称\n丙化工\n", encoding="utf-8")
    _upload(desk, text_file)
    wait_for(desk, "#registry-import .field-error")
    assert "只能导入 Excel 工作簿" in desk.find_element(By.CSS_SELECTOR, "#registry-import .field-error").text

    # A workbook with a bad row: the error names where, and nothing is imported.
    broken = openpyxl.load_workbook(exported)
    assert _replace(broken, OLD, NEW) > 0
    for sheet in broken.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value.isdigit() and len(cell.value) == 14:
                    cell.value = "不是MN"  # a monitoring point's MN must be 14 digits
                    break
    bad = tmp_path / "登记信息-错误.xlsx"
    broken.save(bad)
    _upload(desk, bad)
    wait_for(desk, "#registry-import .field-error")
    error = desk.find_element(By.CSS_SELECTOR, "#registry-import .field-error").text
    assert "行" in error
    assert OLD in _enterprise_names(live)
    assert NEW not in _enterprise_names(live)

    # The edited workbook: imported, the page says what and shows the new name.
    assert _replace(book, OLD, NEW) > 0
    edited = tmp_path / "登记信息.xlsx"
    book.save(edited)
    _upload(desk, edited)
    wait_for_text(desk, "#flash", "登记信息已导入")
    assert desk.current_url == f"{live.base_url}/registry"
    names = desk.find_element(By.CSS_SELECTOR, "[data-testid=registry-enterprises]").text
    assert NEW in names
    assert OLD not in names.replace(NEW, "")
    assert NEW in _enterprise_names(live)
