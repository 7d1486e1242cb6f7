"""Report forms of seed 001: the monthly report (附表2), the contacts list (附表1), a year summary.

Counts: *planned* inspections are the enterprises drawn by double-random draws dated in the period,
*completed* ones those drawn enterprises whose inspection outcome was recorded in the period; *problems
found* are ledger problems found in the period, *rectified* those whose rectification was completed in it.
总计 is the year to the end of the month. The detail table lists the year's problems up to the end of the
month (全年累计填报), with rectification as of that day. Workbooks keep the seed's headers verbatim and
its merged header cells.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.ledger import messages as msg
from ecosentinel.enforcement.ledger.models import DrawSelection, LedgerProblem, RandomDraw, ReportContact
from ecosentinel.enforcement.ledger.service import (
    ACTION_ZH,
    CATEGORY_ZH,
    SOURCE_ZH,
    ActionKind,
    ProblemCategory,
    ProblemSource,
    action_of,
    list_problems,
    today_cst,
)
from ecosentinel.enforcement.models import Inspection
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST

# --- the seed's form text (seed 001 附表1 / 附表2), verbatim ---------------------------------------------

PART1_TITLE = "1.现场检查计划报备情况*。"
PART1_GROUPS = ("现场检查次数", "问题情况")
PART1_HEADERS = ("计划次数", "完成次数", "发现问题数量", "完成整改数量")
PART1_ROWS = ("本月", "总计")
PART2_TITLE = "2.现场检查发现问题明细表（全年累计填报）*。"
PART2_HEADERS = (
    "序号",
    "问题  类别*",
    "问题描述",
    "企业(点位)名称",
    "问题来源*",
    "是否批评教育",
    "是否约谈并收承诺书",
    "是否书面责令改正",
    "是否行政处罚",
    "罚款金额\n(万元)",
    "是否移送拘留",
    "是否移送刑事案件",
    "是否依法申请关停",
    "整改时限",
    "是否完成整改",
)
PART2_NOTES = (
    "填表说明：",
    "1．“现场检查发现问题明细表”：填写本年度发现问题的累计情况，已完成整改的应及时注明。",
    "2.“问题类别”：选填“水”“大气”“固危废”“排污许可”“建设项目”“自然保护地”“自动监控”，填“其他”的请说明具体情况。",
    "3．“问题来源”：选填“上级转办”“部门移交”“大数据平台推动”“投诉举报”“日常排查”，填“其他”的请说明具体情况。",
    "4．报送方式：请于每月25日前报送。",
)
CONTACT_HEADERS = ("序号", "姓  名", "单  位", "职  务", "联系电话")
SHEET_MONTHLY = "附表2"
SHEET_CONTACTS = "附表1"
SHEET_YEAR = "年度汇总"
YEAR_HEADERS = (
    "月份",
    "计划次数",
    "完成次数",
    "发现问题数量",
    "完成整改数量",
    "行政处罚数",
    "罚款金额(万元)",
)
BREAKDOWN_HEADERS = ("", "问题数量", "完成整改", "未整改", "其中逾期")

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_ACTION_ORDER = (
    ActionKind.CRITICISM,
    ActionKind.INTERVIEW,
    ActionKind.ORDER,
    ActionKind.PENALTY,
)
_ACTION_ORDER_AFTER_FINE = (ActionKind.DETENTION, ActionKind.CRIMINAL, ActionKind.CLOSURE)


def parse_month(value: str) -> tuple[int, int]:
    """``"2026-11"`` → (2026, 11), with a clear error otherwise."""
    match = _MONTH_RE.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValidationError(msg.MONTH_INVALID.format(value=value), location="month")
    return int(match.group(1)), int(match.group(2))


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    last = (dt.date(year + (month == 12), month % 12 + 1, 1)) - dt.timedelta(days=1)
    return first, last


CellValue = str | int | float | dt.date | None


@dataclass(frozen=True)
class Counts:
    """One row of part 1: planned / completed inspections, problems found / rectified."""

    planned: int = 0
    completed: int = 0
    found: int = 0
    rectified: int = 0

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.planned, self.completed, self.found, self.rectified)


@dataclass(frozen=True)
class MonthlyReport:
    year: int
    month: int
    this_month: Counts
    total: Counts
    problems: list[LedgerProblem] = field(default_factory=list)
    as_of: dt.date = dt.date(2000, 1, 1)  # last day of the month: rectification shown as of this day


def counts_between(session: Session, start: dt.date, end: dt.date) -> Counts:
    """Part-1 counts for the days ``start`` to ``end`` inclusive."""
    planned = session.scalar(
        sa.select(sa.func.count(DrawSelection.id))
        .join(RandomDraw, RandomDraw.id == DrawSelection.draw_id)
        .where(RandomDraw.drawn_on >= start, RandomDraw.drawn_on <= end)
    )
    completed = session.scalar(
        sa.select(sa.func.count(DrawSelection.id)).where(
            DrawSelection.inspected_on >= start, DrawSelection.inspected_on <= end
        )
    )
    # on-site inspections signed and submitted in the period (China Standard Time days) count as done too
    first = dt.datetime.combine(start, dt.time(), tzinfo=CST)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=CST)
    submitted = session.scalar(
        sa.select(sa.func.count(Inspection.id)).where(
            Inspection.status == "submitted",
            Inspection.submitted_at >= first,
            Inspection.submitted_at < after,
        )
    )
    completed = (completed or 0) + (submitted or 0)
    planned = max(planned or 0, completed)  # an inspection done is one that was planned
    found = session.scalar(
        sa.select(sa.func.count(LedgerProblem.id)).where(
            LedgerProblem.found_on >= start, LedgerProblem.found_on <= end
        )
    )
    rectified = session.scalar(
        sa.select(sa.func.count(LedgerProblem.id)).where(
            LedgerProblem.rectified_on >= start, LedgerProblem.rectified_on <= end
        )
    )
    return Counts(planned or 0, completed or 0, found or 0, rectified or 0)


def monthly_report(session: Session, *, year: int, month: int) -> MonthlyReport:
    """The figures of 附表2 for one month."""
    first, last = _month_bounds(year, month)
    return MonthlyReport(
        year=year,
        month=month,
        this_month=counts_between(session, first, last),
        total=counts_between(session, dt.date(year, 1, 1), last),
        problems=list_problems(session, year=year, found_until=last),
        as_of=last,
    )


def _choice_text(
    labels: dict[ProblemCategory, str] | dict[ProblemSource, str], value: str, note: str | None
) -> str:
    for member, label in labels.items():
        if member.value == value:
            return f"{label}（{note}）" if note and label == "其他" else label
    return value


def detail_row(problem: LedgerProblem, seq: int, as_of: dt.date) -> list[CellValue]:
    """One row of the detail table, in the seed's column order."""
    yes_no = {True: msg.YES, False: msg.NO}
    penalty = action_of(problem, ActionKind.PENALTY)
    row: list[CellValue] = [
        seq,
        _choice_text(CATEGORY_ZH, problem.category, problem.category_note),
        problem.description,
        problem.enterprise_name,
        _choice_text(SOURCE_ZH, problem.source, problem.source_note),
    ]
    row += [yes_no[action_of(problem, kind) is not None] for kind in _ACTION_ORDER]
    row.append(penalty.fine_wan if penalty is not None else None)
    row += [yes_no[action_of(problem, kind) is not None] for kind in _ACTION_ORDER_AFTER_FINE]
    row.append(problem.deadline)
    row.append(yes_no[problem.rectified_on is not None and problem.rectified_on <= as_of])
    return row


def _cell(
    ws: Worksheet, row: int, col: int, value: CellValue, *, bold: bool = False, border: bool = True
) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    cell.alignment = _CENTER
    if bold:
        cell.font = _BOLD
    if border:
        cell.border = _BORDER
    if isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"


def _merged_text(
    ws: Worksheet, row: int, first: int, last: int, text: str, *, font: Font | None = None
) -> None:
    ws.cell(row=row, column=first, value=text).alignment = _LEFT if font is None else _CENTER
    if font is not None:
        ws.cell(row=row, column=first).font = font
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)


def _box(ws: Worksheet, first_row: int, last_row: int, first_col: int, last_col: int) -> None:
    for r in range(first_row, last_row + 1):
        for c in range(first_col, last_col + 1):
            ws.cell(row=r, column=c).border = _BORDER


def write_monthly_sheet(
    ws: Worksheet,
    report: MonthlyReport,
    *,
    unit: str = "",
    filler: str = "",
    phone: str = "",
    filled_on: dt.date | None = None,
    title: str | None = None,
) -> None:
    """Lay out 附表2 on ``ws``: header, part 1 (merged group headers), part 2 (details), footer, notes."""
    width = len(PART2_HEADERS)
    ws.title = SHEET_MONTHLY
    ws.cell(row=1, column=1, value=SHEET_MONTHLY)
    _merged_text(ws, 2, 1, width, title or msg.REPORT_TITLE.format(year=report.year), font=_TITLE)
    _merged_text(ws, 3, 1, 8, f"填报单位：{unit}")
    _merged_text(ws, 3, 9, width, f"报表时段：{report.year}年{report.month}月")
    _merged_text(ws, 4, 1, width, PART1_TITLE, font=_BOLD)
    # Part 1: the first column's header spans both header rows; each group spans two columns.
    ws.merge_cells(start_row=5, start_column=1, end_row=6, end_column=1)
    for i, group in enumerate(PART1_GROUPS):
        col = 2 + 2 * i
        _cell(ws, 5, col, group, bold=True)
        ws.merge_cells(start_row=5, start_column=col, end_row=5, end_column=col + 1)
    for i, header in enumerate(PART1_HEADERS):
        _cell(ws, 6, 2 + i, header, bold=True)
    for r, (label, counts) in enumerate(zip(PART1_ROWS, (report.this_month, report.total), strict=True)):
        _cell(ws, 7 + r, 1, label, bold=True)
        for c, number in enumerate(counts.as_tuple()):
            _cell(ws, 7 + r, 2 + c, number)
    _box(ws, 5, 8, 1, 1 + len(PART1_HEADERS))
    # Part 2: the detail table.
    _merged_text(ws, 10, 1, width, PART2_TITLE, font=_BOLD)
    for c, header in enumerate(PART2_HEADERS, start=1):
        _cell(ws, 11, c, header, bold=True)
    row = 12
    for seq, problem in enumerate(report.problems, start=1):
        for c, value in enumerate(detail_row(problem, seq, report.as_of), start=1):
            _cell(ws, row, c, value)
            if c in (3, 4):
                ws.cell(row=row, column=c).alignment = _LEFT
        row += 1
    if not report.problems:  # the form keeps one empty row
        _box(ws, row, row, 1, width)
        row += 1
    day = filled_on or today_cst()
    _merged_text(
        ws,
        row + 1,
        1,
        width,
        f"填报人：{filler}        填报时间：{day.year}年{day.month}月{day.day}日        联系电话：{phone}",
    )
    for i, note in enumerate(PART2_NOTES):
        _merged_text(ws, row + 3 + i, 1, width, note)
    widths = (6, 10, 36, 24, 12, 8, 10, 10, 8, 10, 8, 10, 10, 12, 8)
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    ws.row_dimensions[11].height = 42


def write_contacts_sheet(
    ws: Worksheet, contacts: Sequence[ReportContact], *, unit: str = "", filler: str = "", phone: str = ""
) -> None:
    """Lay out 附表1 (单位分管负责人和联络员名单) on ``ws``."""
    width = len(CONTACT_HEADERS)
    ws.title = SHEET_CONTACTS
    ws.cell(row=1, column=1, value=SHEET_CONTACTS)
    _merged_text(ws, 2, 1, width, msg.CONTACTS_TITLE, font=_TITLE)
    _merged_text(ws, 3, 1, width, f"填报单位：{unit}")
    for c, header in enumerate(CONTACT_HEADERS, start=1):
        _cell(ws, 4, c, header, bold=True)
    row = 5
    for seq, contact in enumerate(contacts, start=1):
        cells: list[CellValue] = [
            seq,
            contact.name,
            contact.unit,
            contact.position or "",
            contact.phone or "",
        ]
        for c, value in enumerate(cells, start=1):
            _cell(ws, row, c, value)
        row += 1
    while row < 8:  # the form shows at least three rows
        _box(ws, row, row, 1, width)
        row += 1
    _merged_text(
        ws,
        row + 1,
        1,
        width,
        f"填报时间：{today_cst():%Y-%m-%d}        填报人：{filler}        联系电话：{phone}",
    )
    for c, w in enumerate((6, 12, 30, 16, 16), start=1):
        ws.column_dimensions[get_column_letter(c)].width = w


def list_contacts(session: Session) -> list[ReportContact]:
    return list(session.scalars(sa.select(ReportContact).order_by(ReportContact.seq, ReportContact.id)))


def save_contact(
    session: Session,
    actor: Principal,
    *,
    name: str,
    unit: str,
    position: str | None = None,
    phone: str | None = None,
    seq: int | None = None,
    contact_id: int | None = None,
    ip: str | None = None,
) -> ReportContact:
    """Add a contact to 附表1 (or change one when ``contact_id`` is given)."""
    if not name.strip():
        raise ValidationError(msg.CONTACT_NAME_REQUIRED, location="name")
    if not unit.strip():
        raise ValidationError(msg.CONTACT_UNIT_REQUIRED, location="unit")
    if contact_id is not None:
        contact = session.get(ReportContact, contact_id)
        if contact is None:
            raise NotFoundError(f"联络员 {contact_id} 不存在")
    else:
        next_seq = session.scalar(sa.select(sa.func.coalesce(sa.func.max(ReportContact.seq), 0))) or 0
        contact = ReportContact(seq=next_seq + 1, name="", unit="")
        session.add(contact)
    contact.name = name.strip()
    contact.unit = unit.strip()
    contact.position = (position or "").strip() or None
    contact.phone = (phone or "").strip() or None
    if seq is not None:
        contact.seq = seq
    session.flush()
    record(
        session,
        actor,
        "update" if contact_id else "create",
        "report_contact",
        contact.id,
        msg.AUDIT_CONTACT_SAVED.format(name=contact.name),
        {"unit": contact.unit, "position": contact.position},
        ip=ip,
    )
    return contact


MonthlySheet = Callable[[Session, Workbook, int, int], None]
MONTHLY_SHEETS: list[MonthlySheet] = []
"""Further sheets of the monthly workbook, added by areas above enforcement (public reporting adds its
投诉举报 sheet: ``reporting.monthly.install``), each called with (session, workbook, year, month)."""


def monthly_workbook(
    session: Session,
    *,
    year: int,
    month: int,
    unit: str = "",
    filler: str = "",
    phone: str = "",
    filled_on: dt.date | None = None,
) -> Workbook:
    """The month's 附表2 and the 附表1 contacts list in one workbook."""
    workbook = Workbook()
    write_monthly_sheet(
        workbook.active,  # type: ignore[arg-type]
        monthly_report(session, year=year, month=month),
        unit=unit,
        filler=filler,
        phone=phone,
        filled_on=filled_on,
    )
    write_contacts_sheet(
        workbook.create_sheet(), list_contacts(session), unit=unit, filler=filler, phone=phone
    )
    for extra in MONTHLY_SHEETS:
        extra(session, workbook, year, month)
    return workbook


def reporting_unit(session: Session, configured: str = "") -> str:
    """填报单位: the installation's setting, else the unit of the first contact of 附表1, else empty."""
    if configured.strip():
        return configured.strip()
    return next((c.unit for c in list_contacts(session) if c.unit), "")


def contacts_workbook(session: Session, *, unit: str = "", filler: str = "", phone: str = "") -> Workbook:
    workbook = Workbook()
    write_contacts_sheet(workbook.active, list_contacts(session), unit=unit, filler=filler, phone=phone)  # type: ignore[arg-type]
    return workbook


@dataclass(frozen=True)
class YearSummary:
    year: int
    months: list[tuple[int, Counts, int, float]]  # month, counts, penalties, fines (万元)
    by_category: list[tuple[str, int, int, int, int]]  # label, found, rectified, open, overdue
    by_source: list[tuple[str, int, int, int, int]]
    total: Counts
    penalties: int
    fines_wan: float


def year_summary(session: Session, *, year: int, today: dt.date | None = None) -> YearSummary:
    """Month by month figures, and the year's problems by category and by source."""
    if not 2000 <= year <= 2100:
        raise ValidationError(msg.YEAR_INVALID.format(value=year), location="year")
    day = today or today_cst()
    problems = list_problems(session, year=year)
    months: list[tuple[int, Counts, int, float]] = []
    for month in range(1, 13):
        first, last = _month_bounds(year, month)
        fines = [
            a.fine_wan or 0.0
            for p in problems
            for a in p.actions
            if a.kind == ActionKind.PENALTY and first <= p.found_on <= last
        ]
        months.append((month, counts_between(session, first, last), len(fines), round(sum(fines), 4)))

    def breakdown(
        attr: str, labels: dict[ProblemCategory, str] | dict[ProblemSource, str]
    ) -> list[tuple[str, int, int, int, int]]:
        rows = []
        for member, label in labels.items():
            mine = [p for p in problems if getattr(p, attr) == member.value]
            done = sum(1 for p in mine if p.rectified_on is not None)
            overdue = sum(
                1 for p in mine if p.rectified_on is None and p.deadline is not None and p.deadline < day
            )
            rows.append((label, len(mine), done, len(mine) - done, overdue))
        return rows

    return YearSummary(
        year=year,
        months=months,
        by_category=breakdown("category", CATEGORY_ZH),
        by_source=breakdown("source", SOURCE_ZH),
        total=counts_between(session, dt.date(year, 1, 1), dt.date(year, 12, 31)),
        penalties=sum(m[2] for m in months),
        fines_wan=round(sum(m[3] for m in months), 4),
    )


def year_workbook(session: Session, *, year: int, unit: str = "") -> Workbook:
    """The year summary sheet and the year's full 附表2 (as of 31 December)."""
    summary = year_summary(session, year=year)
    workbook = Workbook()
    ws: Worksheet = workbook.active  # type: ignore[assignment]
    ws.title = SHEET_YEAR
    width = len(YEAR_HEADERS)
    _merged_text(ws, 1, 1, width, msg.YEAR_SUMMARY_TITLE.format(year=year), font=_TITLE)
    _merged_text(ws, 2, 1, width, f"填报单位：{unit}")
    for c, header in enumerate(YEAR_HEADERS, start=1):
        _cell(ws, 3, c, header, bold=True)
    row = 4
    for month, counts, penalties, fines in summary.months:
        month_cells: list[CellValue] = [f"{month}月", *counts.as_tuple(), penalties, fines]
        for c, value in enumerate(month_cells, start=1):
            _cell(ws, row, c, value)
        row += 1
    total_cells: list[CellValue] = ["合计", *summary.total.as_tuple(), summary.penalties, summary.fines_wan]
    for c, value in enumerate(total_cells, start=1):
        _cell(ws, row, c, value, bold=True)
    row += 2
    for heading, rows in (("问题类别", summary.by_category), ("问题来源", summary.by_source)):
        for c, header in enumerate((heading, *BREAKDOWN_HEADERS[1:]), start=1):
            _cell(ws, row, c, header, bold=True)
        row += 1
        for values in rows:
            for c, value in enumerate(list[CellValue](values), start=1):
                _cell(ws, row, c, value)
            row += 1
        row += 1
    for c, w in enumerate((14, 10, 10, 12, 12, 10, 14), start=1):
        ws.column_dimensions[get_column_letter(c)].width = w
    write_monthly_sheet(workbook.create_sheet(), monthly_report(session, year=year, month=12), unit=unit)
    return workbook


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def record_export(session: Session, actor: Principal, period: str, *, ip: str | None = None) -> None:
    """Audit a report export (it carries enterprise names and penalties)."""
    record(
        session, actor, "export", "report", period, msg.AUDIT_REPORT_EXPORTED.format(period=period), {}, ip=ip
    )


__all__ = [
    "ACTION_ZH",
    "CONTACT_HEADERS",
    "PART1_GROUPS",
    "PART1_HEADERS",
    "PART2_HEADERS",
    "Counts",
    "MonthlyReport",
    "contacts_workbook",
    "monthly_report",
    "monthly_workbook",
    "parse_month",
    "year_summary",
    "year_workbook",
]
