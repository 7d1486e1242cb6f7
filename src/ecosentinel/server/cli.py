"""``ecosentinel ingest`` (HJ 212 receiver alone) and ``ecosentinel serve`` (receiver + web app)."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import asyncio

import typer

from ecosentinel.config import get_settings
from ecosentinel.server.runtime import install_event_loop_policy, run_ingest_forever, run_platform


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("ingest")(ingest_command)
    app.command("serve")(serve_command)


def ingest_command(
    host: str = typer.Option(None, help="Listen address (default from settings: 127.0.0.1)."),
    port: int = typer.Option(None, "--hj212-port", "--port", help="HJ 212 TCP port (default 9212; 0 = any)."),
    database_url: str = typer.Option(None, help="Database URL (default: SQLite under the data directory)."),
    processes: int = typer.Option(
        1, min=1, help="Receiver processes sharing the port (SO_REUSEPORT); 1 = in this process."
    ),
    journal: bool = typer.Option(
        None,
        "--journal/--no-journal",
        help="Acknowledge after an fsync'd append to the packet journal; a loader process stores behind "
        "(default from settings: off; docs/ingest.md).",
    ),
) -> None:
    """Run the HJ 212 receiver alone (HJ 212 数据接收服务)."""
    settings = get_settings()
    if journal is not None:
        settings.ingest.journal = journal
    if host is not None:
        settings.ingest.host = host
    if port is not None:
        settings.ingest.port = port
    if database_url is not None:
        settings.database_url = database_url
    settings.check()
    install_event_loop_policy()
    asyncio.run(run_ingest_forever(settings, processes=processes))


def serve_command(
    host: str = typer.Option(None, help="Web listen address (default 127.0.0.1)."),
    port: int = typer.Option(None, help="Web port (default 8000)."),
    hj212_port: int = typer.Option(None, help="HJ 212 TCP port (default 9212)."),
    database_url: str = typer.Option(None, help="Database URL (default: SQLite under the data directory)."),
    receivers: int = typer.Option(
        0,
        min=0,
        help="HJ 212 receiver processes of their own, sharing the port (SO_REUSEPORT); 0 = in the web "
        "app's process.",
    ),
    journal: bool = typer.Option(
        None,
        "--journal/--no-journal",
        help="Acknowledge after an fsync'd append to the packet journal; a loader process stores behind "
        "(default from settings: off; docs/ingest.md).",
    ),
) -> None:
    """Run the platform: web app, API (OpenAPI at /openapi.json) and HJ 212 receiver (启动平台)."""
    settings = get_settings()
    if journal is not None:
        settings.ingest.journal = journal
    if host is not None:
        settings.web.host = host
    if port is not None:
        settings.web.port = port
    if hj212_port is not None:
        settings.ingest.port = hj212_port
    if database_url is not None:
        settings.database_url = database_url
    settings.check()
    install_event_loop_policy()
    asyncio.run(run_platform(settings, receivers=receivers))
