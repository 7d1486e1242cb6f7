"""The 投诉举报 sheet of the monthly report workbook: reports received in the month by channel, and what
became of them (task, closed, substantiated, merged, linked to a warning)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy.orm import Session

from ecosentinel.enforcement import reports
from ecosentinel.readings import CST
from ecosentinel.reporting import messages as msg
from ecosentinel.reporting.models import PublicReport, ReportWarningLink


def month_rows(session: Session, year: int, month: int) -> list[tuple[str, int, int, int, int, int, int]]:
    """One row per channel (and the total): received, tasked, closed, substantiated, merged, linked."""
    first = dt.datetime(year, month, 1, tzinfo=CST)
    after = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=CST)
    reports_ = list(
        session.scalars(
            sa.select(PublicReport).where(
                PublicReport.created_at >= first.astimezone(dt.UTC),
                PublicReport.created_at < after.astimezone(dt.UTC),
            )
        )
    )
    linked = set(session.scalars(sa.select(ReportWarningLink.report_id).distinct()))
    rows = []
    totals = [0] * 6
    for channel, label in msg.CHANNEL_ZH.items():
        own = [r for r in reports_ if r.channel == channel]
        counts = [
            len(own),
            sum(1 for r in own if r.task_id is not None),
            sum(1 for r in own if r.status == "closed"),
            sum(1 for r in own if r.outcome == "substantiated"),
            sum(1 for r in own if r.status == "merged"),
            sum(1 for r in own if r.id in linked),
        ]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        rows.append((label, *counts))
    rows.append((msg.MONTHLY_TOTAL, *totals))
    return rows  # type: ignore[return-value]


def write_sheet(session: Session, workbook: Workbook, year: int, month: int) -> None:
    sheet = workbook.create_sheet(msg.MONTHLY_SHEET)
    sheet.append([msg.MONTHLY_TITLE.format(year=year, month=month)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(msg.MONTHLY_HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(msg.MONTHLY_HEADERS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in month_rows(session, year, month):
        sheet.append(list(row))
    sheet.column_dimensions["A"].width = 22


def install() -> None:
    """Add the sheet to every monthly workbook of this process (idempotent)."""
    if write_sheet not in reports.MONTHLY_SHEETS:
        reports.MONTHLY_SHEETS.append(write_sheet)
