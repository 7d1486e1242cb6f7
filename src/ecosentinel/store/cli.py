"""CLI for imports (``ecosentinel import …``) and the database schema (``ecosentinel db …``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ecosentinel.config import get_settings
from ecosentinel.errors import EcoSentinelError

import_app = typer.Typer(no_args_is_help=True)
db_app = typer.Typer(no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database URL (default: ECOSENTINEL_DATABASE_URL or data/ecosentinel.db)."
    ),
]


def _url(database_url: str | None) -> str:
    if database_url:
        return database_url
    settings = get_settings()
    settings.ensure_dirs()
    return settings.effective_database_url


def _fail(exc: EcoSentinelError) -> None:
    typer.echo(str(exc), err=True)
    raise typer.Exit(code=1)


@import_app.command("readings")
def import_readings_command(
    file: Annotated[Path, typer.Argument(help="CSV with columns mn,time,kind,code,value,flag[,source].")],
    database_url: DatabaseUrl = None,
) -> None:
    """Import readings from CSV, all or nothing (times in China Standard Time unless they carry an offset)."""
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.registry.service import registered_mns
    from ecosentinel.store import messages
    from ecosentinel.store.base import open_store
    from ecosentinel.store.importer import import_readings

    url = _url(database_url)
    try:
        engine = create_engine(url)
        try:
            with session_factory(engine)() as session:
                known = registered_mns(session)
        finally:
            engine.dispose()
        store = open_store(url)
        try:
            rows, inserted = import_readings(file, store=store, known_mns=known)
        finally:
            store.close()
    except EcoSentinelError as exc:
        _fail(exc)
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

    url = _url(database_url)
    try:
        registry = load_registry_file(file)
        engine = create_engine(url)
        try:
            with session_scope(session_factory(engine)) as session:
                summary = import_registry(session, registry, source_name=str(file))
        finally:
            engine.dispose()
    except EcoSentinelError as exc:
        _fail(exc)
        return
    typer.echo(
        messages.IMPORTED_REGISTRY.format(
            file=file, enterprises=summary.enterprises, points=summary.points, factors=summary.factors
        )
    )


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target Alembic revision.")] = "head",
    database_url: DatabaseUrl = None,
) -> None:
    """Apply the database migrations (creates the schema on a new database)."""
    import sqlalchemy as sa

    from ecosentinel.database import current_revision, upgrade
    from ecosentinel.store import messages

    url = _url(database_url)
    upgrade(url, revision)
    shown = sa.make_url(url).render_as_string(hide_password=True)
    typer.echo(messages.UPGRADED.format(revision=current_revision(url), url=shown))


@db_app.command("current")
def current_command(database_url: DatabaseUrl = None) -> None:
    """Print the migration revision the database is at (nothing when never migrated)."""
    from ecosentinel.database import current_revision

    typer.echo(current_revision(_url(database_url)) or "")
