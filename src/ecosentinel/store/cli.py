"""CLI for the database schema (``ecosentinel db …``) and the database options other commands share."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
from typing import Annotated

import typer

from ecosentinel.config import get_settings
from ecosentinel.errors import EcoSentinelError

db_app = typer.Typer(no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database URL (default: ECOSENTINEL_DATABASE_URL or data/ecosentinel.db)."
    ),
]


def database_url_of(database_url: str | None) -> str:
    """The URL a command works on (``--database-url``, else the settings), the data directory created."""
    if database_url:
        return database_url
    settings = get_settings()
    settings.ensure_dirs()
    return settings.effective_database_url


def prepared_database_url(database_url: str | None = None) -> str:
    """``database_url_of`` with the schema made usable first (``database.prepare_schema``: SQLite is
    migrated on the spot, PostgreSQL must already be current)."""
    from ecosentinel.database import prepare_schema

    url = database_url_of(database_url)
    prepare_schema(url)
    return url


def fail(exc: EcoSentinelError) -> None:
    typer.echo(str(exc), err=True)
    raise typer.Exit(code=1)


@db_app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target Alembic revision.")] = "head",
    database_url: DatabaseUrl = None,
) -> None:
    """Apply the database migrations (creates the schema on a new database)."""
    import sqlalchemy as sa

    from ecosentinel.database import current_revision, upgrade
    from ecosentinel.store import messages

    url = database_url_of(database_url)
    upgrade(url, revision)
    shown = sa.make_url(url).render_as_string(hide_password=True)
    typer.echo(messages.UPGRADED.format(revision=current_revision(url), url=shown))


@db_app.command("current")
def current_command(database_url: DatabaseUrl = None) -> None:
    """Print the migration revision the database is at (nothing when never migrated)."""
    from ecosentinel.database import current_revision

    typer.echo(current_revision(database_url_of(database_url)) or "")
