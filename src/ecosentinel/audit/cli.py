"""``ecosentinel audit verify``: check the audit trail's hash chain."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import typer

from ecosentinel.audit import messages

audit_app = typer.Typer(help="Audit trail (痕迹管理).", no_args_is_help=True)


@audit_app.command("verify")
def verify_command() -> None:
    """Verify the keyed hash chain of the audit trail and its anchors (data/audit-anchors.jsonl); exit 1 and
    name the first bad entry when it is broken."""
    from ecosentinel.audit.service import read_anchors, verify
    from ecosentinel.config import get_settings
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.store.cli import prepared_database_url

    path = get_settings().audit_anchor_path
    engine = create_engine(prepared_database_url())
    try:
        with session_factory(engine)() as session:
            result = verify(session, anchors=path)
    finally:
        engine.dispose()
    if result.ok:
        typer.echo(messages.CHAIN_OK_ANCHORS.format(entries=result.entries, anchors=len(read_anchors(path))))
        return
    reason = messages.REASONS_ZH.get(result.reason or "", result.reason or "")
    typer.echo(
        messages.CHAIN_BROKEN.format(entries=result.entries, entry_id=result.first_bad_id, reason=reason)
    )
    raise typer.Exit(1)


@audit_app.command("anchor")
def anchor_command() -> None:
    """Append the chain's current count and head (MAC'd) to the anchor file outside the database."""
    from ecosentinel.audit.service import anchor
    from ecosentinel.config import get_settings
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.store.cli import prepared_database_url

    path = get_settings().audit_anchor_path
    engine = create_engine(prepared_database_url())
    try:
        with session_factory(engine)() as session:
            written = anchor(session, path)
    finally:
        engine.dispose()
    if written is None:
        typer.echo(messages.ANCHOR_EMPTY)
        return
    typer.echo(messages.ANCHORED.format(count=written.count, head_id=written.head_id, path=path))
