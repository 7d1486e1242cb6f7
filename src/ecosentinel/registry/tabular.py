"""The whole registry as tables: one table (Excel sheet / YAML list) per kind, rows keyed by natural keys.

The same specification drives import and export of Excel and YAML (format: docs/registry-format.md).
Import is all or nothing: every row is checked first, every problem is reported with its sheet, row and
column, and only a clean file is applied (inside the caller's transaction). Records are created or updated
by their natural key (credit code, MN, serial number …) and never deleted.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.errors import ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry import messages
from ecosentinel.registry.enums import FacilityType, KeyCategory, MeterKind, PermitStatus, PointType
from ecosentinel.registry.factors import FACTOR_NAMES
from ecosentinel.registry.models import (
    Camera,
    Device,
    Door,
    Enterprise,
    Factor,
    FiledParameter,
    Meter,
    OMAgency,
    OMAssignment,
    OMStaff,
    Outlet,
    Permit,
    PermitRequirement,
    Point,
)
from ecosentinel.registry.validation import credit_code_problem
from ecosentinel.registry.yaml_file import RegistryFileError

logger = logging.getLogger(__name__)

Row = dict[str, Any]
ROW_NUMBER = "_row"
"""Key of the row number (as the user sees it in the file) that parsed rows carry for later errors."""
Tables = dict[str, list[Row]]
"""Kind (``enterprises``, ``points`` …) -> rows of typed values keyed by column key."""


def _mn_problem(value: str) -> str | None:
    if re.fullmatch(r"[0-9A-Za-z]{14}|[0-9A-Za-z]{24}", value):
        return None
    return "MN 应为14位或24位字母数字"


def _code_problem(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Za-z0-9_]{1,16}", value) else "因子编码应为1～16位字母、数字或下划线"


def _factor_list_problem(value: str) -> str | None:
    for code in _split_codes(value):
        problem = _code_problem(code)
        if problem:
            return problem
    return None


def _split_codes(value: str | None) -> list[str]:
    return [c.strip() for c in re.split(r"[,，;；\s]+", value or "") if c.strip()]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet: key in YAML, Chinese header in Excel, type and rules."""

    key: str
    header: str
    kind: str = "str"  # str | text (must not be a number) | float | bool | date | datetime
    required: bool = False
    choices: tuple[str, ...] = ()
    max_len: int | None = None
    check: Callable[[str], str | None] | None = None


@dataclass(frozen=True, slots=True)
class Sheet:
    """One kind of registry record."""

    kind: str
    title: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    checks: tuple[Callable[[Row], tuple[str, str] | None], ...] = field(default=())

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def _range_check(low: str, high: str) -> Callable[[Row], tuple[str, str] | None]:
    def check(row: Row) -> tuple[str, str] | None:
        a, b = row.get(low), row.get(high)
        if a is not None and b is not None and a > b:
            return low, f"{low}>{high}"
        return None

    return check


def _ref_o2_check(row: Row) -> tuple[str, str] | None:
    if row.get("ref_o2") is not None and row.get("type") != PointType.GAS.value:
        return "ref_o2", messages.REF_O2_GAS_ONLY
    return None


_CREDIT = Column("credit_code", "统一社会信用代码", "text", True, max_len=18, check=credit_code_problem)
_MN = Column("mn", "监测点位MN", "text", True, max_len=24, check=_mn_problem)
_TYPES = tuple(t.value for t in PointType)

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "enterprises",
        "企业",
        (
            _CREDIT,
            Column("name", "企业名称", required=True, max_len=200),
            Column("industry", "行业", max_len=100),
            Column("address", "地址", max_len=300),
            Column("lon", "经度", "float"),
            Column("lat", "纬度", "float"),
            Column("key_category", "重点排污单位类别", choices=tuple(k.value for k in KeyCategory)),
        ),
        ("credit_code",),
    ),
    Sheet(
        "points",
        "监测点位",
        (
            Column("credit_code", "企业统一社会信用代码", "text", True, max_len=18),
            _MN,
            Column("pw", "访问密码", "text", max_len=32),
            Column("name", "点位名称", required=True, max_len=200),
            Column("type", "类型", required=True, choices=_TYPES),
            Column("active", "启用", "bool"),
            Column("ref_o2", "基准氧含量(%)", "float"),
        ),
        ("mn",),
        (_ref_o2_check,),
    ),
    Sheet(
        "factors",
        "监测因子",
        (
            _MN,
            Column("code", "因子编码", "text", True, check=_code_problem),
            Column("name", "因子名称", max_len=100),
            Column("unit", "单位", max_len=32),
            Column("limit_low", "排放限值下限", "float"),
            Column("limit", "排放限值上限", "float"),
            Column("range", "分析仪量程上限", "float"),
            Column("detection_limit", "检出限", "float"),
        ),
        ("mn", "code"),
        (_range_check("limit_low", "limit"),),
    ),
    Sheet(
        "outlets",
        "排放口",
        (
            Column("credit_code", "企业统一社会信用代码", "text", True, max_len=18),
            Column("code", "排放口编号", "text", True, max_len=32),
            Column("name", "排放口名称", max_len=200),
            Column("type", "类型", required=True, choices=_TYPES),
            Column("mn", "监测点位MN", "text", max_len=24, check=_mn_problem),
        ),
        ("credit_code", "code"),
    ),
    Sheet(
        "devices",
        "监测设备",
        (
            Column("serial_no", "设备出厂编号", "text", True, max_len=64),
            _MN,
            Column("model", "分析仪型号", max_len=100),
            Column("manufacturer", "生产厂家", max_len=200),
            Column("certification_no", "适用性检测/认证编号", max_len=100),
            Column("install_date", "安装日期", "date"),
            Column("factor_codes", "监测因子", max_len=200, check=_factor_list_problem),
        ),
        ("serial_no",),
    ),
    Sheet(
        "filed_parameters",
        "备案参数",
        (
            Column("serial_no", "设备出厂编号", "text", True, max_len=64),
            Column("pol_id", "因子编码", "text", max_len=16),
            Column("info_id", "参数编码", "text", True, max_len=32),
            Column("name", "参数名称", max_len=100),
            Column("value", "备案值", "str", True, max_len=64),
            Column("unit", "单位", max_len=32),
            Column("effective_from", "生效时间", "datetime"),
        ),
        ("serial_no", "pol_id", "info_id", "effective_from"),
    ),
    Sheet(
        "permits",
        "排污许可证",
        (
            Column("number", "许可证编号", "text", True, max_len=64),
            Column("credit_code", "企业统一社会信用代码", "text", True, max_len=18),
            Column("status", "状态", required=True, choices=tuple(s.value for s in PermitStatus)),
            Column("valid_from", "有效期起", "date"),
            Column("valid_to", "有效期止", "date"),
            Column("issuer", "发证机关", max_len=200),
        ),
        ("number",),
        (_range_check("valid_from", "valid_to"),),
    ),
    Sheet(
        "permit_requirements",
        "许可自动监测要求",
        (
            Column("number", "许可证编号", "text", True, max_len=64),
            Column("outlet_code", "排放口编号", "text", True, max_len=32),
            Column("factor_code", "因子编码", "text", True, check=_code_problem),
        ),
        ("number", "outlet_code", "factor_code"),
    ),
    Sheet(
        "om_agencies",
        "运维单位",
        (
            _CREDIT,
            Column("name", "单位名称", required=True, max_len=200),
            Column("registration_no", "登记编号", max_len=64),
            Column("qualification", "资质", max_len=200),
            Column("contact_person", "联系人", max_len=100),
            Column("contact_phone", "联系电话", "text", max_len=32),
        ),
        ("credit_code",),
    ),
    Sheet(
        "om_staff",
        "运维人员",
        (
            Column("agency_credit_code", "运维单位统一社会信用代码", "text", True, max_len=18),
            Column("name", "姓名", required=True, max_len=100),
            Column("id_no", "证件号码", "text", True, max_len=64),
            Column("qualification", "持证情况", max_len=200),
            Column("phone", "电话", "text", max_len=32),
            Column("active", "在岗", "bool"),
        ),
        ("agency_credit_code", "id_no"),
    ),
    Sheet(
        "om_assignments",
        "运维点位",
        (
            Column("agency_credit_code", "运维单位统一社会信用代码", "text", True, max_len=18),
            _MN,
            Column("valid_from", "起始日期", "date", True),
            Column("valid_to", "终止日期", "date"),
        ),
        ("agency_credit_code", "mn", "valid_from"),
        (_range_check("valid_from", "valid_to"),),
    ),
    Sheet(
        "meters",
        "工况用电监控",
        (
            Column("code", "监控设备编号", "text", True, max_len=64),
            _MN,
            Column("kind", "监控类型", required=True, choices=tuple(k.value for k in MeterKind)),
            Column("facility_type", "设施类型", required=True, choices=tuple(f.value for f in FacilityType)),
            Column("facility_name", "设施名称", max_len=200),
            Column("unit", "单位", max_len=16),
            Column("running_threshold", "运行判定阈值", "float"),
        ),
        ("code",),
    ),
    Sheet(
        "cameras",
        "视频监控",
        (
            Column("code", "摄像头编号", "text", True, max_len=64),
            _MN,
            Column("name", "名称", max_len=200),
            Column("location", "安装位置", max_len=200),
        ),
        ("code",),
    ),
    Sheet(
        "doors",
        "站房门禁",
        (
            Column("code", "门禁编号", "text", True, max_len=64),
            _MN,
            Column("name", "名称", max_len=200),
        ),
        ("code",),
    ),
)
SHEETS_BY_KIND: dict[str, Sheet] = {s.kind: s for s in SHEETS}
SHEETS_BY_TITLE: dict[str, Sheet] = {s.title: s for s in SHEETS}


# ------------------------------------------------------------------------------------------- cells


class CellError(ValidationError):
    """A problem at one cell: ``sheet`` (Chinese title), ``row`` (1-based as the user sees it), ``column``."""

    def __init__(self, message: str, *, source: str, sheet: str, row: int | None, column: str | None) -> None:
        self.sheet, self.row, self.column = sheet, row, column
        where = f"{source}:{sheet}"
        if row is not None:
            where += f":第{row}行"
        if column is not None:
            where += f":{column}"
        super().__init__(message, location=where)


_TRUE = {"是", "true", "yes", "y", "1", "启用", "在岗"}
_FALSE = {"否", "false", "no", "n", "0", "停用", "离岗"}


def _number_text(value: float | int) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def convert(column: Column, value: Any) -> Any:
    """One cell as the column's type; None for empty; raise ValueError(Chinese message) when wrong."""
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            value = None
    if value is None:
        if column.required:
            raise ValueError(messages.CELL_REQUIRED.format(header=column.header))
        return None
    h = column.header
    if column.kind in ("str", "text"):
        if isinstance(value, bool):
            raise ValueError(messages.CELL_BAD.format(header=h, error=value))
        if isinstance(value, int | float):
            if column.kind == "text":
                raise ValueError(messages.CELL_NUMERIC_TEXT.format(header=h, value=value))
            value = _number_text(value)
        elif isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        text = str(value)
        if column.max_len is not None and len(text) > column.max_len:
            raise ValueError(messages.CELL_TOO_LONG.format(header=h, max=column.max_len, length=len(text)))
        if column.choices and text not in column.choices:
            raise ValueError(
                messages.CELL_NOT_CHOICE.format(header=h, choices="、".join(column.choices), value=text)
            )
        if column.check is not None:
            problem = column.check(text)
            if problem:
                raise ValueError(messages.CELL_PATTERN.format(header=h, rule=problem))
        return text
    if column.kind == "float":
        if isinstance(value, bool):
            raise ValueError(messages.CELL_NOT_NUMBER.format(header=h, value=value))
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(messages.CELL_NOT_NUMBER.format(header=h, value=value)) from None
        if not math.isfinite(number):
            raise ValueError(messages.CELL_NOT_NUMBER.format(header=h, value=value))
        return number
    if column.kind == "bool":
        if isinstance(value, bool):
            return value
        text = _number_text(value) if isinstance(value, int | float) else str(value).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(messages.CELL_NOT_BOOL.format(header=h, value=value))
    if column.kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).replace("/", "-"))
        except ValueError:
            raise ValueError(messages.CELL_NOT_DATE.format(header=h, value=value)) from None
    if column.kind == "datetime":
        if isinstance(value, dt.datetime):
            moment = value
        elif isinstance(value, dt.date):
            moment = dt.datetime.combine(value, dt.time())
        else:
            try:
                moment = dt.datetime.fromisoformat(str(value).replace("/", "-"))
            except ValueError:
                raise ValueError(messages.CELL_NOT_DATETIME.format(header=h, value=value)) from None
        # times without an offset are China Standard Time (the convention for imported files)
        return (moment if moment.tzinfo else moment.replace(tzinfo=CST)).astimezone(dt.UTC)
    raise AssertionError(column.kind)


@dataclass(slots=True)
class RawSheet:
    """One sheet as read from a file: header keys and rows of raw cell values with their row numbers."""

    title: str
    rows: list[tuple[int, dict[str, Any]]]  # (row number as the user sees it, column key -> raw value)
    locate: Callable[[int, str | None], str] | None = None  # row, column key -> exact "file:line:col"


def parse_tables(raw: Iterable[RawSheet], *, source: str) -> Tables:
    """Convert and check every cell and row; raise RegistryFileError listing every problem."""

    errors: list[ValidationError] = []
    tables: Tables = {s.kind: [] for s in SHEETS}
    for sheet_raw in raw:
        sheet = SHEETS_BY_TITLE.get(sheet_raw.title) or SHEETS_BY_KIND.get(sheet_raw.title)
        if sheet is None:
            continue  # checked by the readers, which know the file's own sheet list
        seen: dict[tuple[Any, ...], int] = {}
        for number, cells in sheet_raw.rows:
            row: Row = {}
            bad = False
            for column in sheet.columns:
                try:
                    row[column.key] = convert(column, cells.get(column.key))
                except ValueError as exc:
                    errors.append(_cell_error(str(exc), source, sheet, sheet_raw, number, column.key))
                    bad = True
            if bad:
                continue
            for check in sheet.checks:
                problem = check(row)
                if problem is not None:
                    key, text = problem
                    if ">" in text:
                        low, high = text.split(">")
                        text = messages.RANGE_ORDER.format(
                            low=sheet.column(low).header, high=sheet.column(high).header
                        )
                    errors.append(_cell_error(text, source, sheet, sheet_raw, number, key))
                    bad = True
            natural = tuple(row.get(k) or "" for k in sheet.key)
            if natural in seen:
                errors.append(
                    _cell_error(
                        messages.ROW_DUPLICATE.format(first=seen[natural], key="、".join(map(str, natural))),
                        source,
                        sheet,
                        sheet_raw,
                        number,
                        sheet.key[0],
                    )
                )
                continue
            seen[natural] = number
            if not bad:
                row[ROW_NUMBER] = number
                tables[sheet.kind].append(row)
    if errors:
        raise RegistryFileError(errors)
    return tables


def _cell_error(
    message: str, source: str, sheet: Sheet, raw: RawSheet, row: int, key: str | None
) -> ValidationError:
    header = sheet.column(key).header if key else None
    error = CellError(message, source=source, sheet=sheet.title, row=row, column=header)
    if raw.locate is not None:
        error.location = f"{raw.locate(row, key)} ({error.location})"
        error.args = (f"{error.location}: {message}",)
    return error


# ------------------------------------------------------------------------------------------- apply


@dataclass(slots=True)
class _Resolver:
    """Finds records by natural key: first in this import, then in the database."""

    session: Session
    enterprises: dict[str, Enterprise] = field(default_factory=dict)
    points: dict[str, Point] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    permits: dict[str, Permit] = field(default_factory=dict)
    agencies: dict[str, OMAgency] = field(default_factory=dict)

    def _get(self, cache: dict[str, Any], model: Any, column: Any, value: str) -> Any:
        if value not in cache:
            found = self.session.scalars(sa.select(model).where(column == value)).one_or_none()
            if found is None:
                return None
            cache[value] = found
        return cache[value]

    def enterprise(self, code: str) -> Enterprise | None:
        result: Enterprise | None = self._get(self.enterprises, Enterprise, Enterprise.credit_code, code)
        return result

    def point(self, mn: str) -> Point | None:
        result: Point | None = self._get(self.points, Point, Point.mn, mn)
        return result

    def device(self, serial: str) -> Device | None:
        result: Device | None = self._get(self.devices, Device, Device.serial_no, serial)
        return result

    def permit(self, number: str) -> Permit | None:
        result: Permit | None = self._get(self.permits, Permit, Permit.number, number)
        return result

    def agency(self, code: str) -> OMAgency | None:
        result: OMAgency | None = self._get(self.agencies, OMAgency, OMAgency.credit_code, code)
        return result


def _upsert(session: Session, model: Any, where: Mapping[str, Any], values: Mapping[str, Any]) -> Any:
    query = sa.select(model)
    for key, value in where.items():
        column = getattr(model, key)
        query = query.where(column.is_(None) if value is None else column == value)
    record = session.scalars(query).one_or_none()
    if record is None:
        record = model(**where)
        session.add(record)
    for key, value in values.items():
        setattr(record, key, value)
    return record


class _RefErrors:
    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[ValidationError] = []

    def add(self, sheet: Sheet, row: int, key: str, message: str) -> None:
        header = sheet.column(key).header
        self.errors.append(CellError(message, source=self.source, sheet=sheet.title, row=row, column=header))

    def missing(self, sheet: Sheet, row: int, key: str, what: str, value: str) -> None:
        header = sheet.column(key).header
        self.add(sheet, row, key, messages.REF_MISSING.format(header=header, what=what, value=value))


def apply_tables(session: Session, tables: Mapping[str, Sequence[Row]], *, source: str) -> dict[str, int]:
    """Create or update every row in the caller's transaction; raise RegistryFileError on bad references.

    Rows from :func:`parse_tables` carry their row number in the file; other rows are numbered as Excel
    would show them (header on row 1).
    """

    r = _Resolver(session)
    bad = _RefErrors(source)
    counts: dict[str, int] = {}

    def rows(kind: str) -> list[tuple[int, Sheet, Row]]:
        sheet = SHEETS_BY_KIND[kind]
        found = [(int(row.get(ROW_NUMBER, i + 2)), sheet, row) for i, row in enumerate(tables.get(kind, ()))]
        counts[kind] = len(found)
        return found

    for _i, _s, row in rows("enterprises"):
        e = _upsert(session, Enterprise, {"credit_code": row["credit_code"]}, _pick(row, "credit_code"))
        r.enterprises[row["credit_code"]] = e
    session.flush()
    for i, s, row in rows("points"):
        enterprise = r.enterprise(row["credit_code"])
        if enterprise is None:
            bad.missing(s, i, "credit_code", "企业", row["credit_code"])
            continue
        point = r.point(row["mn"])
        if point is not None and point.enterprise_id != enterprise.id:
            owner = session.get(Enterprise, point.enterprise_id)
            message = messages.REF_OTHER_ENTERPRISE.format(
                mn=row["mn"], credit_code=owner.credit_code if owner else "?"
            )
            bad.add(s, i, "mn", message)
            continue
        values = _pick(row, "credit_code", "mn")
        values["active"] = True if values["active"] is None else values["active"]
        if not values.get("pw"):
            # exports leave the logger password out: an existing point keeps its own, a new one needs one
            values.pop("pw", None)
            if point is None:
                bad.add(s, i, "pw", messages.PW_REQUIRED_NEW.format(mn=row["mn"]))
                continue
        point = _upsert(session, Point, {"mn": row["mn"]}, {**values, "enterprise_id": enterprise.id})
        r.points[row["mn"]] = point
    session.flush()
    for i, s, row in rows("factors"):
        point = r.point(row["mn"])
        if point is None:
            bad.missing(s, i, "mn", "监测点位", row["mn"])
            continue
        default_name, default_unit = FACTOR_NAMES.get(row["code"], (row["code"], None))
        _upsert(
            session,
            Factor,
            {"point_id": point.id, "code": row["code"]},
            {
                "name": row["name"] or default_name,
                "unit": row["unit"] or default_unit,
                "limit_high": row["limit"],
                "limit_low": row["limit_low"],
                "range_max": row["range"],
                "detection_limit": row["detection_limit"],
            },
        )
    for i, s, row in rows("outlets"):
        enterprise = r.enterprise(row["credit_code"])
        if enterprise is None:
            bad.missing(s, i, "credit_code", "企业", row["credit_code"])
            continue
        point_id = None
        if row["mn"] is not None:
            point = r.point(row["mn"])
            if point is None:
                bad.missing(s, i, "mn", "监测点位", row["mn"])
                continue
            point_id = point.id
        _upsert(
            session,
            Outlet,
            {"enterprise_id": enterprise.id, "code": row["code"]},
            {"name": row["name"], "type": row["type"], "point_id": point_id},
        )
    session.flush()
    for i, s, row in rows("devices"):
        point = r.point(row["mn"])
        if point is None:
            bad.missing(s, i, "mn", "监测点位", row["mn"])
            continue
        values = _pick(row, "serial_no", "mn")
        values["factor_codes"] = _split_codes(values["factor_codes"])
        device = _upsert(session, Device, {"serial_no": row["serial_no"]}, {**values, "point_id": point.id})
        r.devices[row["serial_no"]] = device
    session.flush()
    for i, s, row in rows("filed_parameters"):
        device = r.device(row["serial_no"])
        if device is None:
            bad.missing(s, i, "serial_no", "设备", row["serial_no"])
            continue
        _upsert(
            session,
            FiledParameter,
            {
                "device_id": device.id,
                "pol_id": row["pol_id"] or "",
                "info_id": row["info_id"],
                "effective_from": row["effective_from"],
            },
            {"name": row["name"], "value": row["value"], "unit": row["unit"]},
        )
    for i, s, row in rows("permits"):
        enterprise = r.enterprise(row["credit_code"])
        if enterprise is None:
            bad.missing(s, i, "credit_code", "企业", row["credit_code"])
            continue
        permit = _upsert(
            session,
            Permit,
            {"number": row["number"]},
            {**_pick(row, "number", "credit_code"), "enterprise_id": enterprise.id},
        )
        r.permits[row["number"]] = permit
    session.flush()
    for i, s, row in rows("permit_requirements"):
        permit = r.permit(row["number"])
        if permit is None:
            bad.missing(s, i, "number", "排污许可证", row["number"])
            continue
        _upsert(
            session,
            PermitRequirement,
            {"permit_id": permit.id, "outlet_code": row["outlet_code"], "factor_code": row["factor_code"]},
            {},
        )
    for _i, _s, row in rows("om_agencies"):
        agency = _upsert(session, OMAgency, {"credit_code": row["credit_code"]}, _pick(row, "credit_code"))
        r.agencies[row["credit_code"]] = agency
    session.flush()
    for i, s, row in rows("om_staff"):
        agency = r.agency(row["agency_credit_code"])
        if agency is None:
            bad.missing(s, i, "agency_credit_code", "运维单位", row["agency_credit_code"])
            continue
        values = _pick(row, "agency_credit_code", "id_no")
        values["active"] = True if values["active"] is None else values["active"]
        _upsert(session, OMStaff, {"agency_id": agency.id, "id_no": row["id_no"]}, values)
    for i, s, row in rows("om_assignments"):
        agency = r.agency(row["agency_credit_code"])
        point = r.point(row["mn"])
        if agency is None:
            bad.missing(s, i, "agency_credit_code", "运维单位", row["agency_credit_code"])
            continue
        if point is None:
            bad.missing(s, i, "mn", "监测点位", row["mn"])
            continue
        _upsert(
            session,
            OMAssignment,
            {"agency_id": agency.id, "point_id": point.id, "valid_from": row["valid_from"]},
            {"valid_to": row["valid_to"]},
        )
    for kind, model in (("meters", Meter), ("cameras", Camera), ("doors", Door)):
        for i, s, row in rows(kind):
            point = r.point(row["mn"])
            if point is None:
                bad.missing(s, i, "mn", "监测点位", row["mn"])
                continue
            _upsert(session, model, {"code": row["code"]}, {**_pick(row, "code", "mn"), "point_id": point.id})
    if bad.errors:
        raise RegistryFileError(bad.errors)
    session.flush()
    logger.info("registry tables %s imported: %s", source, counts)
    return counts


def _pick(row: Row, *exclude: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in exclude and k != ROW_NUMBER}


# ------------------------------------------------------------------------------------------ export


def _cst(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(CST).replace(tzinfo=None)


def export_tables(
    session: Session, *, enterprise_ids: set[int] | None = None, include_passwords: bool = False
) -> Tables:
    """The whole registry (or the given enterprises' part of it) as tables, sorted by natural key.

    Logger passwords are left empty unless ``include_passwords`` (an import keeps existing passwords).

    Times are China Standard Time without an offset, as in the import files.
    """
    ents = list(session.scalars(sa.select(Enterprise).order_by(Enterprise.credit_code)))
    if enterprise_ids is not None:
        ents = [e for e in ents if e.id in enterprise_ids]
    code_of = {e.id: e.credit_code for e in ents}
    points = [p for p in session.scalars(sa.select(Point).order_by(Point.mn)) if p.enterprise_id in code_of]
    mn_of = {p.id: p.mn for p in points}
    t: Tables = {s.kind: [] for s in SHEETS}
    for e in ents:
        t["enterprises"].append(
            {
                "credit_code": e.credit_code,
                "name": e.name,
                "industry": e.industry,
                "address": e.address,
                "lon": e.lon,
                "lat": e.lat,
                "key_category": e.key_category,
            }
        )
    for p in points:
        t["points"].append(
            {
                "credit_code": code_of[p.enterprise_id],
                "mn": p.mn,
                "pw": p.pw if include_passwords else None,
                "name": p.name,
                "type": p.type,
                "active": p.active,
                "ref_o2": p.ref_o2,
            }
        )
    for f in session.scalars(sa.select(Factor).order_by(Factor.point_id, Factor.code)):
        if f.point_id in mn_of:
            t["factors"].append(
                {
                    "mn": mn_of[f.point_id],
                    "code": f.code,
                    "name": f.name,
                    "unit": f.unit,
                    "limit_low": f.limit_low,
                    "limit": f.limit_high,
                    "range": f.range_max,
                    "detection_limit": f.detection_limit,
                }
            )
    for o in session.scalars(sa.select(Outlet).order_by(Outlet.enterprise_id, Outlet.code)):
        if o.enterprise_id in code_of:
            t["outlets"].append(
                {
                    "credit_code": code_of[o.enterprise_id],
                    "code": o.code,
                    "name": o.name,
                    "type": o.type,
                    "mn": mn_of.get(o.point_id) if o.point_id is not None else None,
                }
            )
    devices = [
        d for d in session.scalars(sa.select(Device).order_by(Device.serial_no)) if d.point_id in mn_of
    ]
    serial_of = {d.id: d.serial_no for d in devices}
    for d in devices:
        t["devices"].append(
            {
                "serial_no": d.serial_no,
                "mn": mn_of[d.point_id],
                "model": d.model,
                "manufacturer": d.manufacturer,
                "certification_no": d.certification_no,
                "install_date": d.install_date,
                "factor_codes": ",".join(d.factor_codes) or None,
            }
        )
    for fp in session.scalars(
        sa.select(FiledParameter).order_by(FiledParameter.device_id, FiledParameter.id)
    ):
        if fp.device_id in serial_of:
            t["filed_parameters"].append(
                {
                    "serial_no": serial_of[fp.device_id],
                    "pol_id": fp.pol_id or None,
                    "info_id": fp.info_id,
                    "name": fp.name,
                    "value": fp.value,
                    "unit": fp.unit,
                    "effective_from": _cst(fp.effective_from),
                }
            )
    permits = [
        p for p in session.scalars(sa.select(Permit).order_by(Permit.number)) if p.enterprise_id in code_of
    ]
    number_of = {p.id: p.number for p in permits}
    for pm in permits:
        t["permits"].append(
            {
                "number": pm.number,
                "credit_code": code_of[pm.enterprise_id],
                "status": pm.status,
                "valid_from": pm.valid_from,
                "valid_to": pm.valid_to,
                "issuer": pm.issuer,
            }
        )
    for req in session.scalars(sa.select(PermitRequirement).order_by(PermitRequirement.id)):
        if req.permit_id in number_of:
            t["permit_requirements"].append(
                {
                    "number": number_of[req.permit_id],
                    "outlet_code": req.outlet_code,
                    "factor_code": req.factor_code,
                }
            )
    agencies = list(session.scalars(sa.select(OMAgency).order_by(OMAgency.credit_code)))
    if enterprise_ids is not None:
        agencies = []  # agencies are the bureau's records, not an enterprise's
    agency_code = {a.id: a.credit_code for a in agencies}
    for a in agencies:
        t["om_agencies"].append(
            {
                "credit_code": a.credit_code,
                "name": a.name,
                "registration_no": a.registration_no,
                "qualification": a.qualification,
                "contact_person": a.contact_person,
                "contact_phone": a.contact_phone,
            }
        )
    for st in session.scalars(sa.select(OMStaff).order_by(OMStaff.agency_id, OMStaff.id_no)):
        if st.agency_id in agency_code:
            t["om_staff"].append(
                {
                    "agency_credit_code": agency_code[st.agency_id],
                    "name": st.name,
                    "id_no": st.id_no,
                    "qualification": st.qualification,
                    "phone": st.phone,
                    "active": st.active,
                }
            )
    for asg in session.scalars(sa.select(OMAssignment).order_by(OMAssignment.agency_id, OMAssignment.id)):
        if asg.agency_id in agency_code and asg.point_id in mn_of:
            t["om_assignments"].append(
                {
                    "agency_credit_code": agency_code[asg.agency_id],
                    "mn": mn_of[asg.point_id],
                    "valid_from": asg.valid_from,
                    "valid_to": asg.valid_to,
                }
            )
    for m in session.scalars(sa.select(Meter).order_by(Meter.code)):
        if m.point_id in mn_of:
            t["meters"].append(
                {
                    "code": m.code,
                    "mn": mn_of[m.point_id],
                    "kind": m.kind,
                    "facility_type": m.facility_type,
                    "facility_name": m.facility_name,
                    "unit": m.unit,
                    "running_threshold": m.running_threshold,
                }
            )
    for c in session.scalars(sa.select(Camera).order_by(Camera.code)):
        if c.point_id in mn_of:
            t["cameras"].append(
                {"code": c.code, "mn": mn_of[c.point_id], "name": c.name, "location": c.location}
            )
    for door in session.scalars(sa.select(Door).order_by(Door.code)):
        if door.point_id in mn_of:
            t["doors"].append({"code": door.code, "mn": mn_of[door.point_id], "name": door.name})
    for sheet in SHEETS:
        t[sheet.kind].sort(key=lambda row, keys=sheet.key: tuple(str(row.get(k) or "") for k in keys))  # type: ignore[misc]
    return t
