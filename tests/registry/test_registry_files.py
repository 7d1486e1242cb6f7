"""Whole-registry import and export (Excel and YAML) on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ecosentinel.registry.excel import export_registry_file, import_registry_file
from ecosentinel.registry.models import Enterprise, FiledParameter, OMAgency, Point
from ecosentinel.registry.tabular import CellError, export_tables
from ecosentinel.registry.validation import credit_code_problem
from ecosentinel.registry.yaml_file import RegistryFileError
from tests.registry.sample import DYEING, load_sample


def test_excel_round_trip_gives_the_same_registry(db_session: Session, tmp_path: Path) -> None:
    counts = load_sample(db_session, tmp_path)
    assert (counts["enterprises"], counts["filed_parameters"], counts["doors"]) == (2, 3, 1)
    before = export_tables(db_session, include_passwords=True)
    book = tmp_path / "registry.xlsx"
    export_registry_file(db_session, book, include_passwords=True)  # a full backup, passwords included
    sheets = load_workbook(book).sheetnames
    assert sheets[:3] == ["企业", "监测点位", "监测因子"]
    assert {"备案参数", "排污许可证", "运维点位", "站房门禁"} <= set(sheets)

    # empty the registry (the database cascades), then import the workbook
    db_session.execute(sa.delete(Enterprise))
    db_session.execute(sa.delete(OMAgency))
    db_session.commit()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(FiledParameter)) == 0
    import_registry_file(db_session, book)
    db_session.commit()
    assert export_tables(db_session, include_passwords=True) == before
    # and importing the export again into the first database changes nothing
    import_registry_file(db_session, book)
    db_session.commit()
    assert export_tables(db_session, include_passwords=True) == before


def test_exports_leave_logger_passwords_out_and_imports_keep_them(
    db_session: Session, tmp_path: Path
) -> None:
    load_sample(db_session, tmp_path)
    passwords = dict(db_session.execute(sa.select(Point.mn, Point.pw)).tuples().all())
    assert passwords
    assert all(passwords.values())
    book = tmp_path / "registry.xlsx"
    export_registry_file(db_session, book)
    exported = load_workbook(book)["监测点位"]
    header = [c.value for c in exported[1]]
    column = header.index("访问密码")
    assert all(row[column].value in (None, "") for row in exported.iter_rows(min_row=2))
    import_registry_file(db_session, book)  # re-import into the same registry: passwords kept
    db_session.commit()
    assert dict(db_session.execute(sa.select(Point.mn, Point.pw)).tuples().all()) == passwords
    # into an empty registry, a point without a password is refused, naming the cell
    db_session.execute(sa.delete(Enterprise))
    db_session.execute(sa.delete(OMAgency))
    db_session.commit()
    with pytest.raises(RegistryFileError) as info:
        import_registry_file(db_session, book)
    db_session.rollback()
    assert "监测点位:第2行:访问密码" in str(info.value)


def test_yaml_round_trip(db_session: Session, tmp_path: Path) -> None:
    load_sample(db_session, tmp_path)
    before = export_tables(db_session)
    out = tmp_path / "out.yaml"
    export_registry_file(db_session, out)
    import_registry_file(db_session, out)
    db_session.commit()
    assert export_tables(db_session) == before
    slope = db_session.scalar(sa.select(FiledParameter).where(FiledParameter.info_id == "i13007"))
    assert slope is not None
    assert slope.effective_from is not None
    assert slope.effective_from.isoformat().startswith("2023-12-31T16:00")  # 2024-01-01 00:00 CST


def test_bad_cell_names_sheet_row_column_and_nothing_is_imported(db_session: Session, tmp_path: Path) -> None:
    load_sample(db_session, tmp_path)
    book = tmp_path / "registry.xlsx"
    export_registry_file(db_session, book)
    wb = load_workbook(book)
    wb["企业"]["B2"] = "改过的名称"  # a valid change that must not be applied
    wb["监测因子"]["F3"] = "一百"  # 排放限值上限 of the second factor row
    wb["监测点位"]["E4"] = "gas"  # ok cell in a non-existing row? (row 4 is empty: makes an incomplete row)
    wb.save(book)
    with pytest.raises(RegistryFileError) as info:
        import_registry_file(db_session, book)
    db_session.rollback()
    errors = info.value.errors
    number = [e for e in errors if isinstance(e, CellError) and e.sheet == "监测因子"]
    assert len(number) == 1
    assert (number[0].row, number[0].column) == (3, "排放限值上限")
    assert "监测因子:第3行:排放限值上限" in str(info.value)
    assert "一百" in str(info.value)
    incomplete = [e for e in errors if isinstance(e, CellError) and e.sheet == "监测点位"]
    assert incomplete
    assert all(e.row == 4 for e in incomplete)
    names = set(db_session.scalars(sa.select(Enterprise.name)))
    assert "改过的名称" not in names


def test_bad_reference_and_check_digit_are_reported(db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "enterprises:\n"
        '  - {credit_code: "91330400MA2B00001Q", name: 错误校验位}\n'
        "points:\n"
        '  - {credit_code: "' + DYEING + '", mn: "33040000000009", pw: "1", name: 点, type: water}\n',
        encoding="utf-8",
    )
    with pytest.raises(RegistryFileError) as info:
        import_registry_file(db_session, path)
    text = str(info.value)
    assert "bad.yaml:2:" in text
    assert "校验位错误" in text
    assert "应为 P" in text
    db_session.rollback()
    # the check digit fixed, the point refers to an enterprise that exists nowhere
    path.write_text(path.read_text(encoding="utf-8").replace("00001Q", "00002T"), encoding="utf-8")
    with pytest.raises(RegistryFileError) as info:
        import_registry_file(db_session, path)
    db_session.rollback()
    assert "监测点位:第1行:企业统一社会信用代码" in str(info.value)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Point)) == 0


def test_nested_yaml_still_imports(db_session: Session, tmp_path: Path) -> None:
    path = tmp_path / "nested.yaml"
    path.write_text(
        "enterprises:\n  - name: 企业\n    credit_code: 91330400MA2B000001\n    points:\n"
        '      - {mn: "33040000000001", pw: "1", name: 点, type: water, factors: [{code: w01018}]}\n',
        encoding="utf-8",
    )
    counts = import_registry_file(db_session, path)
    assert counts == {"enterprises": 1, "points": 1, "factors": 1}


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("9144030071526726XG", None),
        ("914403001922038216", None),
        ("9144030071526726XH", "校验位"),
        ("9144030071526726X", "18位"),
        ("91440300715267I6XG", "非法字符"),
    ],
)
def test_credit_code_check_digit(code: str, problem: str | None) -> None:
    found = credit_code_problem(code)
    assert (found is None) if problem is None else (found is not None and problem in found)
