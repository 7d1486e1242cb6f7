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
    file: Annotated[
        Path, typer.Argument(help="CSV with columns mn,time,kind,code,value,flag[,source,zs,vmin,vmax,cou].")
    ],
    database_url: DatabaseUrl = None,
    archive: Annotated[
        bool,
        typer.Option(
            "--archive/--no-archive", help="Seal the closed days it touched into the Parquet archive."
        ),
    ] = True,
    archive_dir: Annotated[
        Path | None, typer.Option("--archive-dir", help="Archive directory (default: DATA_DIR/archive).")
    ] = None,
) -> None:
    """Import readings from CSV, all or nothing (times in China Standard Time unless they carry an offset).

    Then the closed days the file touched are sealed into the columnar archive (docs/archive.md)."""
    import polars as pl

    from ecosentinel.archive import messages as archive_messages
    from ecosentinel.archive.build import build_archive, days_of_frame
    from ecosentinel.archive.layout import default_root
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
        stored: list[pl.DataFrame] = []
        try:
            rows, inserted = import_readings(
                file,
                store=store,
                known_mns=known,
                data_time=get_settings().data_time,
                on_stored=stored.append,
            )
            typer.echo(messages.IMPORTED_READINGS.format(file=file, rows=rows, inserted=inserted))
            days = set().union(*(days_of_frame(f) for f in stored))
            if archive and inserted and days:
                try:  # after the import's commit: the import stands even if the archive cannot be written
                    result = build_archive(
                        store, archive_dir or default_root(), url=url, days=days, packets=False
                    )
                except (EcoSentinelError, OSError) as exc:
                    typer.echo(archive_messages.IMPORT_ARCHIVE_FAILED.format(detail=exc), err=True)
                else:
                    if result.entries:
                        typer.echo(
                            archive_messages.IMPORT_ARCHIVED.format(
                                partitions=result.partitions, rows=result.rows
                            )
                        )
        finally:
            store.close()
    except EcoSentinelError as exc:
        fail(exc)
        return


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
