"""CLI of the ledger, draws and report forms: ``ecosentinel ledger …``, ``ecosentinel draw …``,
``ecosentinel report …``."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from ecosentinel.errors import EcoSentinelError

ledger_app = typer.Typer(no_args_is_help=True, help="Problem ledger (台账): overdue rectification reminders.")
draw_app = typer.Typer(
    no_args_is_help=True, help="Double-random draws (双随机): verify a draw from its seed."
)
report_app = typer.Typer(
    no_args_is_help=True,
    help="Report forms of the problem ledger (问题台账) as Excel: 附表1 contacts, 附表2, year summary.",
)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database URL (default: ECOSENTINEL_DATABASE_URL or data/ecosentinel.db)."
    ),
]


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    from ecosentinel.database import create_engine, session_factory, session_scope
    from ecosentinel.store.cli import prepared_database_url

    engine = create_engine(prepared_database_url(database_url))
    try:
        with session_scope(session_factory(engine)) as session:
            yield session
    except EcoSentinelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    finally:
        engine.dispose()


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"日期格式应为 YYYY-MM-DD：{value}") from exc


@ledger_app.command("overdue")
def overdue_command(
    today: Annotated[
        str | None, typer.Option(help="Reference date YYYY-MM-DD (default: today, CST).")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="text | jsonl")] = "text",
    database_url: DatabaseUrl = None,
) -> None:
    """List problems past their rectification deadline (整改逾期提醒)."""
    from ecosentinel.enforcement.ledger import messages as msg
    from ecosentinel.enforcement.ledger.service import overdue_problems, today_cst

    day = _date(today) or today_cst()
    with _session(database_url) as session:
        overdue = overdue_problems(session, today=day)
        if output_format == "jsonl":
            for item in overdue:
                p = item.problem
                line = {
                    "id": p.id,
                    "enterprise": p.enterprise_name,
                    "description": p.description,
                    "deadline": p.deadline,
                    "days_overdue": item.days_overdue,
                }
                typer.echo(json.dumps(line, ensure_ascii=False, default=str))
        elif not overdue:
            typer.echo(msg.NO_OVERDUE.format(date=day))
        else:
            typer.echo(msg.OVERDUE_HEADER.format(date=day, count=len(overdue)))
            for item in overdue:
                typer.echo(item.reminder_zh)


@draw_app.command("verify")
def verify_command(
    draw_id: Annotated[int, typer.Argument(help="Draw id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Re-run a draw from its recorded seed and pool snapshot and compare with the recorded result (复核)."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.enforcement.draws import verify_draw

    with _session(database_url) as session:
        result = verify_draw(session, draw_id, actor=SYSTEM)
        typer.echo(result.message_zh)
    if not result.ok:
        raise typer.Exit(code=1)


@draw_app.command("show")
def show_command(
    draw_id: Annotated[int, typer.Argument(help="Draw id.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Print a draw's seed, hashes and selections."""
    from ecosentinel.enforcement.draws import get_draw

    with _session(database_url) as session:
        draw = get_draw(session, draw_id)
        typer.echo(f"随机抽查 {draw.id}：{draw.title}（{draw.drawn_on}，算法 {draw.algorithm}）")
        typer.echo(f"随机种子 {draw.seed}")
        typer.echo(f"对象库快照哈希 {draw.snapshot_hash}")
        typer.echo(f"结果哈希 {draw.result_hash}")
        for s in draw.selections:
            names = "、".join(i.display_name for i in s.inspectors)
            typer.echo(f"{s.rank:>3}. {s.enterprise_name}（检查人员：{names}）")


@report_app.command("monthly")
def monthly_command(
    month: Annotated[str, typer.Option(help="Month YYYY-MM, e.g. 2026-11.")],
    out: Annotated[Path, typer.Option(help="Excel file to write (.xlsx).")],
    unit: Annotated[str, typer.Option(help="填报单位.")] = "",
    filler: Annotated[str, typer.Option(help="填报人.")] = "",
    phone: Annotated[str, typer.Option(help="联系电话.")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Write the monthly report form (附表2 of the problem ledger, with the 附表1 contacts list) as Excel."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.enforcement.reports import monthly_workbook, parse_month, record_export

    with _session(database_url) as session:
        year, number = parse_month(month)
        workbook = monthly_workbook(session, year=year, month=number, unit=unit, filler=filler, phone=phone)
        out.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(out)
        record_export(session, SYSTEM, f"{year}-{number:02d}")
    typer.echo(f"已写出 {year}年{number}月 现场检查工作情况报表：{out}")


@report_app.command("year")
def year_command(
    year: Annotated[int, typer.Option(help="Year, e.g. 2026.")],
    out: Annotated[Path, typer.Option(help="Excel file to write (.xlsx).")],
    unit: Annotated[str, typer.Option(help="填报单位.")] = "",
    database_url: DatabaseUrl = None,
) -> None:
    """Write the year summary (month by month, by category and source, and the year's 附表2) as Excel."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.enforcement.reports import record_export, year_workbook

    with _session(database_url) as session:
        workbook = year_workbook(session, year=year, unit=unit)
        out.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(out)
        record_export(session, SYSTEM, str(year))
    typer.echo(f"已写出 {year}年 年度汇总：{out}")


def register(app: typer.Typer) -> None:
    """Add ``ledger``, ``draw`` and ``report`` to the root app."""
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(draw_app, name="draw")
    app.add_typer(report_app, name="report")
