"""The one command-line entry point: ``ecosentinel …``. Each area contributes its own Typer app."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import logging
import traceback
from typing import Any

import typer
from typer.core import TyperGroup

from ecosentinel.accounts.cli import users_app
from ecosentinel.archive.cli import archive_app
from ecosentinel.audit.cli import audit_app
from ecosentinel.bench.cli import bench_app
from ecosentinel.enforcement.cli import register as register_enforcement
from ecosentinel.enforcement.credit.cli import register as register_credit
from ecosentinel.enforcement.ledger.cli import register as register_ledger
from ecosentinel.evaluation.cli import register as register_evaluation
from ecosentinel.interop.cli import register as register_interop
from ecosentinel.protocol.hj212.cli import hj212_app
from ecosentinel.registry.cli import register as register_registry
from ecosentinel.registry.import_cli import import_app
from ecosentinel.screening.cli import register as register_screening
from ecosentinel.server.cli import register as register_serving
from ecosentinel.simulator.cli import register as register_simulator
from ecosentinel.store.cli import db_app


def one_line(exc: BaseException) -> str:
    """What a user is told when a command fails: one line saying what is wrong and what to do."""
    import sqlalchemy.exc

    from ecosentinel.config import get_settings
    from ecosentinel.errors import EcoSentinelError
    from ecosentinel.store import messages

    def first_line(value: object) -> str:
        text = str(value).strip()
        return text.splitlines()[0] if text else type(value).__name__

    if isinstance(exc, EcoSentinelError):
        return str(exc)
    if isinstance(exc, sqlalchemy.exc.ArgumentError):
        return messages.DB_BAD_URL.format(detail=first_line(exc))
    if isinstance(exc, sqlalchemy.exc.DBAPIError | sqlalchemy.exc.OperationalError):
        try:
            url = sqlalchemy.make_url(get_settings().effective_database_url).render_as_string(
                hide_password=True
            )
        except Exception:  # the settings themselves are what failed
            url = ""
        return messages.DB_UNUSABLE.format(url=url, detail=first_line(exc.orig or exc))
    if isinstance(exc, OSError):
        return messages.FILE_ACCESS.format(path=exc.filename or "", detail=exc.strerror or first_line(exc))
    return messages.INTERNAL_ERROR.format(kind=type(exc).__name__, detail=first_line(exc))


class OneLineErrors(TyperGroup):
    """The root command group: a failure a user can cause ends in one line and exit code 1, never a
    traceback (``--verbose`` adds it)."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context type is private
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # usage errors keep their own output
            raise
        except Exception as exc:
            if ctx.meta.get(VERBOSE_KEY):
                traceback.print_exc()
            typer.echo(one_line(exc), err=True)
            raise typer.Exit(code=1) from exc


VERBOSE_KEY = "ecosentinel.verbose"

app = typer.Typer(
    cls=OneLineErrors,
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
app.add_typer(
    archive_app, name="archive", help="Columnar archive: build, verify, list (Parquet + hash chain)."
)
register_serving(app)
register_simulator(app)
register_screening(app)
register_registry(app)
register_ledger(app)
register_enforcement(app)
register_credit(app)
register_evaluation(app)
register_interop(app)


@app.callback()
def _root(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging and tracebacks."),
) -> None:
    ctx.meta[VERBOSE_KEY] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:  # Alembic announces every plugin and migration step at INFO
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if ctx.invoked_subcommand == "report":  # the monthly workbook gets the 投诉举报 sheet of public reporting
        from ecosentinel.reporting.monthly import install

        install()


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
