"""Command line of the enforcement workflow: ``ecosentinel warnings list|sync|reliability`` and
``ecosentinel case export-pdf ID OUT.pdf``."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import json
from pathlib import Path

import typer
from sqlalchemy.orm import Session, sessionmaker

from ecosentinel.auth.service import SYSTEM
from ecosentinel.config import Settings
from ecosentinel.enforcement import messages
from ecosentinel.errors import EcoSentinelError

warnings_app = typer.Typer(
    help="Warnings (预警): build them from screening scores, list them.", no_args_is_help=True
)
case_app = typer.Typer(help="Cases (案件): export the PDF evidence pack.", no_args_is_help=True)


def _factory() -> tuple[Settings, sessionmaker[Session]]:
    from ecosentinel.config import get_settings
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.store.cli import prepared_database_url

    settings = get_settings()
    return settings, session_factory(create_engine(prepared_database_url()))


@warnings_app.command("sync")
def sync_command(
    days: int = typer.Option(31, help="Point-days of the last N days; 0 = all."),
    min_colour: str = typer.Option("green", help="Lowest colour that becomes a warning: green|yellow|red."),
) -> None:
    """Build warnings from the stored point-day scores (idempotent; run after screening)."""
    from ecosentinel.database import session_scope
    from ecosentinel.enforcement.warnings import sync_warnings

    _, factory = _factory()
    with session_scope(factory) as session:
        result = sync_warnings(session, actor=SYSTEM, days=days or None, min_colour=min_colour)
    typer.echo(
        messages.CLI_SYNCED.format(created=result.created, merged=result.merged, unchanged=result.unchanged)
    )


@warnings_app.command("list")
def list_command(
    status: str = typer.Option(None, help="new|under_review|dismissed|escalated"),
    colour: str = typer.Option(None, help="green|yellow|red"),
    limit: int = typer.Option(50, help="At most this many."),
    fmt: str = typer.Option("text", "--format", help="text|jsonl"),
) -> None:
    """List warnings, newest period first (Chinese text, or jsonl for scripts)."""
    from ecosentinel.database import session_scope
    from ecosentinel.enforcement.api import warning_out
    from ecosentinel.enforcement.warnings import list_warnings

    _, factory = _factory()
    with session_scope(factory) as session:
        rows, _total = list_warnings(session, SYSTEM, status=status, colour=colour, limit=limit)
        if not rows:
            typer.echo(messages.CLI_NO_WARNINGS)
        for w in rows:
            if fmt == "jsonl":
                typer.echo(json.dumps(warning_out(w).model_dump(mode="json"), ensure_ascii=False))
            else:
                typer.echo(f"#{w.id} [{messages.WARNING_STATUS_NAMES[w.status]}] {w.summary_zh}")


@warnings_app.command("reliability")
def reliability_command(
    mn: str = typer.Option(None, help="Only this point (MN)."),
    fmt: str = typer.Option("text", "--format", help="text|jsonl"),
    database_url: str = typer.Option(
        None, "--database-url", help="Database URL (default: the configured one)."
    ),
) -> None:
    """Each rule's reliability from the outcomes of its warnings: per rule, then per point and rule."""
    from ecosentinel.database import create_engine, session_factory, session_scope
    from ecosentinel.enforcement.outcomes import rule_reliability

    factory = session_factory(create_engine(database_url)) if database_url else _factory()[1]
    engine = factory.kw["bind"]
    with session_scope(factory) as session:
        table = rule_reliability(session, SYSTEM, mns=[mn] if mn else None)
        rows = table.rows_by_rule() + table.rows_by_point()
        if not rows:
            typer.echo(messages.CLI_NO_OUTCOMES)
        for r in rows:
            if fmt == "jsonl":
                line = {
                    "mn": r.mn,
                    "rule": r.rule,
                    "title_zh": r.title_zh,
                    "confirmed": r.basis.confirmed,
                    "not_confirmed": r.basis.not_confirmed,
                    "excluded": r.basis.excluded,
                    "n": r.basis.n,
                    "reliability": round(r.basis.reliability, 4),
                }
                typer.echo(json.dumps(line, ensure_ascii=False))
            else:
                typer.echo(f"{r.mn or messages.CLI_ALL_POINTS} {r.title_zh}（{r.rule}）：{r.text_zh}")
    engine.dispose()


@case_app.command("export-pdf")
def export_pdf_command(
    case_id: int = typer.Argument(..., help="Case id."),
    out: Path = typer.Argument(..., help="Where to write the PDF."),  # noqa: B008
) -> None:
    """Export a case's evidence pack as PDF; its SHA-256 is recorded and printed."""
    from ecosentinel.database import session_scope
    from ecosentinel.enforcement.evidence import export_evidence_pack

    settings, factory = _factory()
    try:
        with session_scope(factory) as session:
            pack, pdf = export_evidence_pack(session, SYSTEM, case_id, data_dir=settings.data_dir)
            digest = pack.sha256
    except EcoSentinelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    out.write_bytes(pdf)
    typer.echo(messages.CLI_PDF_WRITTEN.format(path=out, sha256=digest, size=len(pdf)))


def register(app: typer.Typer) -> None:
    """Add ``warnings`` and ``case`` to the root command."""
    app.add_typer(
        warnings_app, name="warnings", help="Warnings (预警): sync from screening, list, rule reliability."
    )
    app.add_typer(case_app, name="case", help="Cases (案件): export-pdf.")
