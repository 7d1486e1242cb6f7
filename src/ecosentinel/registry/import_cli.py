"""CLI for imports (``ecosentinel import readings|registry``): readings are checked against the registry."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
from pathlib import Path
from typing import Annotated

import typer

from ecosentinel.errors import EcoSentinelError
from ecosentinel.store.cli import DatabaseUrl, fail, prepared_database_url

import_app = typer.Typer(no_args_is_help=True)


@import_app.command("readings")
def import_readings_command(
    file: Annotated[Path, typer.Argument(help="CSV with columns mn,time,kind,code,value,flag[,source].")],
    database_url: DatabaseUrl = None,
) -> None:
    """Import readings from CSV, all or nothing (times in China Standard Time unless they carry an offset)."""
    from ecosentinel.config import get_settings
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.registry.service import registered_mns
    from ecosentinel.store import messages
    from ecosentinel.store.base import open_store
    from ecosentinel.store.importer import import_readings

    url = prepared_database_url(database_url)
    try:
        engine = create_engine(url)
        try:
            with session_factory(engine)() as session:
                known = registered_mns(session)
        finally:
            engine.dispose()
        store = open_store(url)
        try:
            rows, inserted = import_readings(
                file, store=store, known_mns=known, data_time=get_settings().data_time
            )
        finally:
            store.close()
    except EcoSentinelError as exc:
        fail(exc)
        return
    typer.echo(messages.IMPORTED_READINGS.format(file=file, rows=rows, inserted=inserted))


@import_app.command("registry")
def import_registry_command(
    file: Annotated[Path, typer.Argument(help="Registry YAML (format: docs/registry-format.md).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Import enterprises, points and factors from YAML (all or nothing; existing records are updated)."""
    from ecosentinel.database import create_engine, session_factory, session_scope
    from ecosentinel.registry import messages
    from ecosentinel.registry.service import import_registry
    from ecosentinel.registry.yaml_file import load_registry_file

    url = prepared_database_url(database_url)
    try:
        registry = load_registry_file(file)
        engine = create_engine(url)
        try:
            with session_scope(session_factory(engine)) as session:
                summary = import_registry(session, registry, source_name=str(file))
        finally:
            engine.dispose()
    except EcoSentinelError as exc:
        fail(exc)
        return
    typer.echo(
        messages.IMPORTED_REGISTRY.format(
            file=file, enterprises=summary.enterprises, points=summary.points, factors=summary.factors
        )
    )
