"""The one command-line entry point: ``ecosentinel …``. Each area contributes its own Typer app."""

from __future__ import annotations

import logging

import typer

from ecosentinel.bench.cli import bench_app
from ecosentinel.ingest.cli import register as register_serving
from ecosentinel.protocol.hj212.cli import hj212_app
from ecosentinel.screening.cli import register as register_screening
from ecosentinel.simulator.cli import register as register_simulator
from ecosentinel.store.cli import db_app, import_app

app = typer.Typer(
    help="EcoSentinel 自动监控哨兵 — HJ 212 ingest, screening for falsified monitoring data, enforcement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(hj212_app, name="hj212", help="HJ 212 packet tools (decode / encode).")
app.add_typer(import_app, name="import", help="Import readings (CSV) or the registry (YAML).")
app.add_typer(db_app, name="db", help="Database schema (Alembic migrations).")
app.add_typer(bench_app, name="bench", help="Benchmarks; results go to docs/benchmarks.md.")
register_serving(app)
register_simulator(app)
register_screening(app)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def main() -> None:
    app()
