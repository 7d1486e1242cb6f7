"""``ecosentinel archive build|verify|list``: seal closed days into the Parquet archive, check its chain."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from ecosentinel.errors import EcoSentinelError
from ecosentinel.store.cli import DatabaseUrl, fail, prepared_database_url

archive_app = typer.Typer(no_args_is_help=True)

ArchiveDir = Annotated[
    Path | None, typer.Option("--archive", help="Archive directory (default: DATA_DIR/archive).")
]


def archive_root(value: Path | None) -> Path:
    from ecosentinel.archive.layout import default_root

    return value if value is not None else default_root()


@archive_app.command("build")
def build_command(
    archive: ArchiveDir = None,
    first: Annotated[
        str | None, typer.Option("--from", help="First day to seal, YYYY-MM-DD (default: last sealed day).")
    ] = None,
    last: Annotated[
        str | None, typer.Option("--to", help="Last day to seal, inclusive (default: the last closed day).")
    ] = None,
    packets: Annotated[
        bool, typer.Option("--packets/--no-packets", help="Also archive the raw HJ 212 packets.")
    ] = True,
    database_url: DatabaseUrl = None,
) -> None:
    """Seal the closed days of the store into Parquet partitions and chain them (封存归档)."""
    from ecosentinel.archive import messages
    from ecosentinel.archive.build import build_archive, first_open_day
    from ecosentinel.archive.layout import parse_day
    from ecosentinel.store.base import open_store

    root = archive_root(archive)
    url = prepared_database_url(database_url)
    try:
        start = parse_day(first) if first else None
        until = parse_day(last) + dt.timedelta(days=1) if last else None
        store = open_store(url)
        try:
            result = build_archive(store, root, url=url, first=start, until=until, packets=packets)
        finally:
            store.close()
    except EcoSentinelError as exc:
        fail(exc)
        return
    if result.entries:
        typer.echo(
            messages.BUILT.format(
                partitions=result.partitions, rows=result.rows, days=len(result.days), root=root
            )
        )
    else:
        typer.echo(messages.BUILT_NOTHING.format(until=first_open_day(dt.datetime.now(dt.UTC)), root=root))


@archive_app.command("verify")
def verify_command(archive: ArchiveDir = None) -> None:
    """Check the hash chain and every partition file; name the first broken partition (exit 1)."""
    from ecosentinel.archive import messages
    from ecosentinel.archive.chain import read_chain, verify
    from ecosentinel.archive.layout import open_layout

    root = archive_root(archive)
    try:
        layout = open_layout(root)
        entries = read_chain(layout)
        problem = verify(layout, entries)
    except EcoSentinelError as exc:
        fail(exc)
        return
    if problem is not None:
        typer.echo(problem.message, err=True)
        raise typer.Exit(code=1)
    if not entries:
        typer.echo(messages.VERIFY_EMPTY.format(root=root))
        return
    typer.echo(messages.VERIFY_OK.format(entries=len(entries), partitions=len(entries)))


@archive_app.command("list")
def list_command(
    archive: ArchiveDir = None,
    day: Annotated[str | None, typer.Option("--day", help="Only this day, YYYY-MM-DD.")] = None,
) -> None:
    """List the sealed partitions in chain order."""
    from ecosentinel.archive import messages
    from ecosentinel.archive.chain import read_chain
    from ecosentinel.archive.layout import open_layout, parse_day

    try:
        layout = open_layout(archive_root(archive))
        wanted = parse_day(day).isoformat() if day else None
        entries = [e for e in read_chain(layout) if wanted is None or e.day == wanted]
    except EcoSentinelError as exc:
        fail(exc)
        return
    if not entries:
        typer.echo(messages.LIST_EMPTY)
        return
    rows = [
        [str(e.seq), e.dataset, e.day, f"{e.bucket:02d}", str(e.part), str(e.rows), e.sha256[:16]]
        for e in entries
    ]
    typer.echo("\t".join(messages.LIST_HEADERS))
    for row in rows:
        typer.echo("\t".join(row))
