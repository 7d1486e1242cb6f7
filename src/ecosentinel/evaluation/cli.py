"""CLI of O&M supervision and the enterprise evaluation: ``om rate``, ``om ranking``, ``evaluate``."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import json
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from ecosentinel.auth.service import SYSTEM
from ecosentinel.database import create_engine, session_factory, session_scope
from ecosentinel.errors import EcoSentinelError
from ecosentinel.evaluation import messages as evaluation_messages
from ecosentinel.evaluation import om_assessment as service
from ecosentinel.evaluation import service as evaluation_service
from ecosentinel.om import messages
from ecosentinel.om.periods import previous_quarter
from ecosentinel.store.base import MeasurementStore, open_store
from ecosentinel.store.cli import prepared_database_url

om_app = typer.Typer(no_args_is_help=True)


class OutputFormat(StrEnum):
    TEXT = "text"
    JSONL = "jsonl"


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database URL (default: ECOSENTINEL_DATABASE_URL or data/ecosentinel.db)."
    ),
]
Format = Annotated[OutputFormat, typer.Option("--format", help="text (Chinese) or jsonl.")]


@contextmanager
def _open(database_url: str | None) -> Iterator[tuple[Session, MeasurementStore]]:
    url = prepared_database_url(database_url)
    engine = create_engine(url)
    store = open_store(url)
    try:
        with session_scope(session_factory(engine)) as session:
            yield session, store
    except EcoSentinelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from exc
    finally:
        store.close()
        engine.dispose()


@om_app.command("rate")
def rate_command(
    quarter: Annotated[
        str | None, typer.Option(help="Quarter such as 2026Q3 (default: the last complete one).")
    ] = None,
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish the ranking after computing it.")
    ] = False,
    output: Format = OutputFormat.TEXT,
    database_url: DatabaseUrl = None,
) -> None:
    """Compute the quarterly O&M assessment and credit grade of every agency (运维考核)."""
    name = quarter or previous_quarter().name
    with _open(database_url) as (session, store):
        rows = service.rate_quarter(session, store, name, principal=SYSTEM)
        if publish:
            service.publish_quarter(session, name, principal=SYSTEM)
        reads = [service.assessment_read(r) for r in rows]
    if output is OutputFormat.JSONL:
        for read in reads:
            typer.echo(read.model_dump_json())
        return
    typer.echo(messages.RATED.format(quarter=name, count=len(reads)))
    typer.echo(messages.RANKING_HEADER)
    for read in reads:
        veto = "  " + messages.VETO_NOTE.format(reason=read.veto_reason) if read.veto else ""
        typer.echo(
            messages.CLI_RATED_ROW.format(
                rank=read.rank or "-",
                name=read.agency_name,
                score=read.score,
                grade=read.grade.value,
                veto=veto,
            )
        )
    typer.echo(messages.CLI_PUBLISHED if publish else messages.CLI_UNPUBLISHED)


@om_app.command("ranking")
def ranking_command(
    quarter: Annotated[str | None, typer.Option(help="Quarter (default: the latest published).")] = None,
    output: Format = OutputFormat.TEXT,
    database_url: DatabaseUrl = None,
) -> None:
    """Print the published ranking of O&M agencies (公开排名)."""
    with _open(database_url) as (session, _):
        ranking = service.published_ranking(session, quarter)
    if output is OutputFormat.JSONL:
        for row in ranking.results:
            typer.echo(
                json.dumps({"quarter": ranking.quarter, **row.model_dump(mode="json")}, ensure_ascii=False)
            )
        return
    if ranking.quarter is None or not ranking.results:
        typer.echo(messages.NO_RANKING.format(quarter=quarter or ""))
        return
    typer.echo(f"{ranking.quarter}  {messages.RANKING_HEADER}")
    for row in ranking.results:
        typer.echo(
            messages.CLI_RATED_ROW.format(
                rank=row.rank or "-",
                name=row.agency_name,
                score=row.score,
                grade=row.grade.value,
                veto="  一票否决" if row.veto else "",
            )
        )


def evaluate_command(
    period: Annotated[str, typer.Option(help="Quarter (2026Q3) or month (2026-09).")],
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish the evaluations after computing them.")
    ] = False,
    output: Format = OutputFormat.TEXT,
    database_url: DatabaseUrl = None,
) -> None:
    """Compute the enterprise evaluation (环保脸谱) of every enterprise for a period."""
    with _open(database_url) as (session, store):
        rows = evaluation_service.evaluate_period(session, store, period, principal=SYSTEM)
        if publish:
            evaluation_service.publish_period(session, period, principal=SYSTEM)
        reads = [evaluation_service.evaluation_read(r) for r in sorted(rows, key=lambda r: -r.score)]
    if output is OutputFormat.JSONL:
        for read in reads:
            typer.echo(read.model_dump_json())
        return
    typer.echo(
        evaluation_messages.EVALUATED.format(period=reads[0].period if reads else period, count=len(reads))
    )
    for read in reads:
        typer.echo(
            messages.CLI_EVALUATED_ROW.format(
                name=read.enterprise_name,
                score=read.score,
                grade=evaluation_messages.GRADE_ZH[read.grade.value],
                colour=evaluation_messages.COLOUR_ZH[read.colour.value],
            )
        )
    typer.echo(messages.CLI_PUBLISHED if publish else messages.CLI_UNPUBLISHED)


def register(app: typer.Typer) -> None:
    """Add ``om`` and ``evaluate`` to the root app."""
    app.add_typer(om_app, name="om", help="O&M supervision: quarterly assessment and ranking (运维考核).")
    app.command("evaluate")(evaluate_command)
