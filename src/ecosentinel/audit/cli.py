"""``ecosentinel audit verify``: check the audit trail's hash chain."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import typer

from ecosentinel.audit import messages

audit_app = typer.Typer(help="Audit trail (痕迹管理).", no_args_is_help=True)


@audit_app.command("verify")
def verify_command() -> None:
    """Verify the hash chain of the audit trail; exit 1 and name the first bad entry when it is broken."""
    from ecosentinel.audit.service import verify
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.store.cli import prepared_database_url

    engine = create_engine(prepared_database_url())
    try:
        with session_factory(engine)() as session:
            result = verify(session)
    finally:
        engine.dispose()
    if result.ok:
        typer.echo(messages.CHAIN_OK.format(entries=result.entries))
        return
    reason = messages.REASONS_ZH.get(result.reason or "", result.reason or "")
    typer.echo(
        messages.CHAIN_BROKEN.format(entries=result.entries, entry_id=result.first_bad_id, reason=reason)
    )
    raise typer.Exit(1)
