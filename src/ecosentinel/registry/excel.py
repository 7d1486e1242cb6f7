"""Registry files: the tables of ``tabular`` as an Excel workbook (a sheet per kind, Chinese headers) or YAML.

``import_registry_file`` accepts ``.xlsx`` and ``.yaml``/``.yml``; a YAML file in the older nested format
(enterprises → points → factors, docs/registry-format.md) is imported as before.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from ecosentinel.errors import ValidationError
from ecosentinel.registry import messages
from ecosentinel.registry.service import import_registry
from ecosentinel.registry.tabular import (
    ROW_NUMBER,
    SHEETS,
    SHEETS_BY_KIND,
    SHEETS_BY_TITLE,
    RawSheet,
    Sheet,
    Tables,
    apply_tables,
    export_tables,
    parse_tables,
)
from ecosentinel.registry.yaml_file import (
    Loc,
    RegistryFileError,
    _mark_for,
    _to_python,
    compose_yaml,
    load_registry_file,
)

logger = logging.getLogger(__name__)

YAML_SUFFIXES = (".yaml", ".yml")


def _file_error(message: str, where: str) -> RegistryFileError:
    return RegistryFileError([ValidationError(message, location=where)])


# ------------------------------------------------------------------------------------------- Excel


def read_xlsx(path: Path) -> list[RawSheet]:
    """Read every known sheet of a workbook; headers may be the Chinese titles or the English keys."""
    name = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise _file_error(messages.UNREADABLE_XLSX.format(error=exc), name) from exc
    errors: list[ValidationError] = []
    sheets: list[RawSheet] = []
    try:
        for ws in book.worksheets:
            sheet = SHEETS_BY_TITLE.get(ws.title) or SHEETS_BY_KIND.get(ws.title)
            if sheet is None:
                known = "、".join(s.title for s in SHEETS)
                errors.append(
                    ValidationError(messages.UNKNOWN_SHEET.format(sheet=ws.title, known=known), location=name)
                )
                continue
            rows = ws.iter_rows(values_only=True)
            header = next(rows, None) or ()
            keys: list[str | None] = []
            by_header = {c.header: c.key for c in sheet.columns} | {c.key: c.key for c in sheet.columns}
            for index, text in enumerate(header):
                label = str(text).strip() if text is not None else ""
                if not label:
                    keys.append(None)
                    continue
                key = by_header.get(label)
                if key is None:
                    errors.append(
                        ValidationError(
                            messages.SHEET_UNKNOWN_HEADER.format(header=label),
                            location=f"{name}:{sheet.title}:第1行:{get_column_letter(index + 1)}列",
                        )
                    )
                keys.append(key)
            for column in sheet.columns:
                if column.required and column.key not in keys:
                    errors.append(
                        ValidationError(
                            messages.SHEET_MISSING_HEADER.format(header=column.header),
                            location=f"{name}:{sheet.title}:第1行",
                        )
                    )
            data: list[tuple[int, dict[str, Any]]] = []
            for number, values in enumerate(rows, start=2):
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                data.append((number, {k: v for k, v in zip(keys, values, strict=False) if k is not None}))
            sheets.append(RawSheet(sheet.title, data))
    finally:
        book.close()
    if errors:
        raise RegistryFileError(errors)
    return sheets


def _cell(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return value


def write_xlsx(tables: Tables, path: Path) -> None:
    """Write the tables as a workbook: one sheet per kind, Chinese headers, text cells for identifiers."""
    book = Workbook()
    book.remove(book.worksheets[0])
    bold = Font(bold=True)
    for sheet in SHEETS:
        ws = book.create_sheet(sheet.title)
        ws.append([c.header for c in sheet.columns])
        for cell in ws[1]:
            cell.font = bold
        for row in tables.get(sheet.kind, []):
            ws.append([_cell(row.get(c.key)) for c in sheet.columns])
        for index, column in enumerate(sheet.columns, start=1):
            letter = get_column_letter(index)
            ws.column_dimensions[letter].width = max(12, len(column.header) * 2 + 2)
            if column.kind in ("text", "str"):
                for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "@"
            elif column.kind == "date":
                for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "yyyy-mm-dd"
            elif column.kind == "datetime":
                for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
        ws.freeze_panes = "A2"
    book.save(path)


# -------------------------------------------------------------------------------------------- YAML


def _is_nested(data: Any) -> bool:
    """The older format: enterprises with their points inside."""
    if not isinstance(data, dict) or set(data) - {"enterprises"}:
        return False
    items = data.get("enterprises") or []
    return isinstance(items, list) and any(isinstance(e, dict) and "points" in e for e in items)


def read_yaml(path: Path) -> list[RawSheet] | None:
    """Read a tables YAML file; None when it is in the older nested format."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _file_error(messages.UNREADABLE_YAML.format(error=exc), name) from exc
    node = compose_yaml(text, name)
    marks: dict[Loc, yaml.Mark] = {}
    data = _to_python(node, (), marks) if node is not None else None
    if _is_nested(data):
        return None
    if not isinstance(data, dict):
        raise _file_error(messages.NOT_TABLES, f"{name}:1:1")
    errors: list[ValidationError] = []
    sheets: list[RawSheet] = []
    for kind, rows in data.items():
        sheet = SHEETS_BY_KIND.get(str(kind)) or SHEETS_BY_TITLE.get(str(kind))
        mark = marks.get((str(kind),))
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        if sheet is None:
            known = "、".join(s.kind for s in SHEETS)
            errors.append(
                ValidationError(messages.UNKNOWN_SHEET.format(sheet=kind, known=known), location=where)
            )
            continue
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows or []):
            errors.append(ValidationError(messages.NOT_TABLES, location=where))
            continue
        by_header = {c.header: c.key for c in sheet.columns} | {c.key: c.key for c in sheet.columns}
        data_rows: list[tuple[int, dict[str, Any]]] = []
        for index, row in enumerate(rows):
            cells: dict[str, Any] = {}
            for key, value in row.items():
                column = by_header.get(str(key))
                if column is None:
                    m = _mark_for((str(kind), index, str(key)), marks)
                    errors.append(
                        ValidationError(
                            messages.SHEET_UNKNOWN_HEADER.format(header=key),
                            location=f"{name}:{m.line + 1}:{m.column + 1}" if m else name,
                        )
                    )
                    continue
                cells[column] = value
            data_rows.append((index + 1, cells))
        sheets.append(RawSheet(sheet.title, data_rows, _yaml_locator(name, str(kind), sheet, marks)))
    if errors:
        raise RegistryFileError(errors)
    return sheets


def _yaml_locator(
    name: str, kind: str, sheet: Sheet, marks: dict[Loc, yaml.Mark]
) -> Callable[[int, str | None], str]:
    keys = {c.key: {c.key, c.header} for c in sheet.columns}

    def locate(row: int, key: str | None) -> str:
        mark = None
        for label in keys.get(key or "", ()):
            mark = marks.get((kind, row - 1, label))
            if mark is not None:
                break
        mark = mark or _mark_for((kind, row - 1), marks)
        return f"{name}:{mark.line + 1}:{mark.column + 1}" if mark is not None else name

    return locate


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def write_yaml(tables: Tables, path: Path) -> None:
    """Write the tables as YAML: one list per kind, English keys, empty values left out."""
    doc = {
        sheet.kind: [
            {c.key: _plain(row[c.key]) for c in sheet.columns if row.get(c.key) is not None}
            for row in tables.get(sheet.kind, [])
        ]
        for sheet in SHEETS
    }
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=200)
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------- services


def read_registry_file(path: Path) -> Tables | None:
    """Parse and check a registry file; None for an older nested YAML (use ``load_registry_file``)."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        raw = read_xlsx(path)
    elif suffix in YAML_SUFFIXES:
        maybe = read_yaml(path)
        if maybe is None:
            return None
        raw = maybe
    else:
        raise _file_error(messages.UNSUPPORTED_FILE.format(suffix=suffix or "(none)"), str(path))
    return parse_tables(raw, source=str(path))


def import_registry_file(session: Session, path: Path) -> dict[str, int]:
    """Import a whole registry file (Excel or YAML) in the caller's transaction: counts per kind.

    Raises RegistryFileError listing every problem (sheet, row, column); the caller rolls back.
    """
    tables = read_registry_file(path)
    if tables is None:
        summary = import_registry(session, load_registry_file(path), source_name=str(path))
        return {"enterprises": summary.enterprises, "points": summary.points, "factors": summary.factors}
    return apply_tables(session, tables, source=str(path))


def export_registry_file(
    session: Session,
    path: Path,
    *,
    enterprise_ids: set[int] | None = None,
    include_passwords: bool = False,
) -> dict[str, int]:
    """Export the registry to ``.xlsx`` or ``.yaml``: counts per kind. Logger passwords only when asked."""
    tables = export_tables(session, enterprise_ids=enterprise_ids, include_passwords=include_passwords)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        write_xlsx(tables, path)
    elif suffix in YAML_SUFFIXES:
        write_yaml(tables, path)
    else:
        raise _file_error(messages.UNSUPPORTED_FILE.format(suffix=suffix or "(none)"), str(path))
    return {kind: len(rows) for kind, rows in tables.items()}


def counts_text(counts: dict[str, int]) -> str:
    """Counts per kind in Chinese, e.g. ``企业 2，监测点位 3``."""
    return "，".join(f"{SHEETS_BY_KIND[k].title} {n}" for k, n in counts.items() if n and k in SHEETS_BY_KIND)


def strip_row_numbers(tables: Tables) -> Tables:
    """Tables without the row numbers that parsing adds (to compare registries)."""
    return {
        k: [{c: v for c, v in row.items() if c != ROW_NUMBER} for row in rows] for k, rows in tables.items()
    }
