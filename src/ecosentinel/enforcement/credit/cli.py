"""CLI of joint punishment: ``ecosentinel credit export|list`` (the files for the credit platforms)."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
from pathlib import Path
from typing import Annotated

import typer

from ecosentinel.enforcement.ledger.cli import DatabaseUrl, _session

credit_app = typer.Typer(
    no_args_is_help=True, help="Joint punishment (联合惩戒): credit records and their export."
)


@credit_app.command("export")
def export_command(
    out: Annotated[Path, typer.Option(help="File to write (.xlsx, .csv or .json: the format follows it).")],
    period: Annotated[
        str | None, typer.Option(help="Decided in: 2025, 2025-03 or 2025Q1 (default: all).")
    ] = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the credit records for the national credit information sharing platform and the enterprise
    credit publicity system (every field; audited as the system user)."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.enforcement.credit import service

    fmt = out.suffix.lower().lstrip(".")
    with _session(database_url) as session:
        data = service.export(session, SYSTEM, fmt=fmt, period=period)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    typer.echo(f"已写出联合惩戒失信记录（{period or '全部'}）：{out}")


@credit_app.command("list")
def list_command(database_url: DatabaseUrl = None) -> None:
    """Every record with its status today."""
    from ecosentinel.enforcement.credit import messages, service

    with _session(database_url) as session:
        today = service.today_cst()
        for rec in service.list_records(session):
            status = messages.STATUS_ZH[service.status_of(rec, today).value]
            typer.echo(
                f"{rec.number}  {messages.SUBJECT_KIND_ZH[rec.subject_kind]}  {rec.subject_name}  "
                f"{rec.decision_no}  {rec.publicity_start}～{rec.publicity_end}  {status}"
            )


def register(app: typer.Typer) -> None:
    app.add_typer(
        credit_app, name="credit", help="Joint punishment (联合惩戒): credit records and their export."
    )
