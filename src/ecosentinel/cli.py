"""The one command-line entry point: ``ecosentinel …``. Each area contributes its own Typer app."""

from __future__ import annotations

import logging

import typer

from ecosentinel.accounts.cli import users_app
from ecosentinel.audit.cli import audit_app
from ecosentinel.bench.cli import bench_app
from ecosentinel.enforcement.cli import register as register_enforcement
from ecosentinel.enforcement.ledger.cli import register as register_ledger
from ecosentinel.evaluation.cli import register as register_evaluation
from ecosentinel.protocol.hj212.cli import hj212_app
from ecosentinel.registry.cli import register as register_registry
from ecosentinel.registry.import_cli import import_app
from ecosentinel.screening.cli import register as register_screening
from ecosentinel.server.cli import register as register_serving
from ecosentinel.simulator.cli import register as register_simulator
from ecosentinel.store.cli import db_app

app = typer.Typer(
    help="EcoSentinel 自动监控哨兵 — HJ 212 ingest, screening for falsified monitoring data, enforcement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(hj212_app, name="hj212", help="HJ 212 packet tools (decode / encode).")
app.add_typer(import_app, name="import", help="Import readings (CSV) or the registry (YAML).")
app.add_typer(db_app, name="db", help="Database schema (Alembic migrations).")
app.add_typer(bench_app, name="bench", help="Benchmarks; results go to docs/benchmarks.md.")
app.add_typer(audit_app, name="audit", help="Audit trail: verify the hash chain.")
app.add_typer(users_app, name="users", help="User accounts: create, list.")
register_serving(app)
register_simulator(app)
register_screening(app)
register_registry(app)
register_ledger(app)
register_enforcement(app)
register_evaluation(app)


@app.callback()
def _root(verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:  # Alembic announces every plugin and migration step at INFO
        logging.getLogger("alembic").setLevel(logging.WARNING)


@app.command("demo")
def demo_command(
    water: int = typer.Option(6, help="Simulated wastewater stations."),
    gas: int = typer.Option(4, help="Simulated flue-gas stations."),
    days: float = typer.Option(3.0, help="Days of history generated on first start."),
    speed: float = typer.Option(10.0, help="Live data speed: simulated minutes per wall-clock minute."),
    port: int = typer.Option(None, help="Web port (default 8000)."),
    hj212_port: int = typer.Option(None, help="HJ 212 TCP port (default 9212)."),
) -> None:
    """Run the platform with demo data and live simulated stations (演示：make run)."""
    import asyncio

    from ecosentinel.config import get_settings
    from ecosentinel.demo import run_demo
    from ecosentinel.server.runtime import install_event_loop_policy

    settings = get_settings()
    if port is not None:
        settings.web.port = port
    if hj212_port is not None:
        settings.ingest.port = hj212_port
    settings.check()
    settings.ensure_dirs()
    install_event_loop_policy()
    asyncio.run(run_demo(settings, water=water, gas=gas, days=days, speed=speed))


def main() -> None:
    app()
