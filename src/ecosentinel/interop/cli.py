"""``ecosentinel forward …`` (upstream targets, mapping, status) and ``ecosentinel command …`` (反控).

Changes are recorded in the audit trail as the system account (the CLI runs on the server, as an operator).
"""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

forward_app = typer.Typer(help="Upstream forwarding targets (级联转发).", no_args_is_help=True)
command_app = typer.Typer(help="Remote commands to field loggers (反控).", no_args_is_help=True)
mark_app = typer.Typer(help="Data marks (数据标记).", no_args_is_help=True)
validity_app = typer.Typer(
    help="Validity and completeness statistics (传输率、有效率).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(forward_app, name="forward", help="Upstream forwarding: targets, MN/PW mapping, status.")
    app.add_typer(command_app, name="command", help="Remote commands (反控) to connected loggers.")
    app.add_typer(validity_app, name="validity", help="Transmission / valid-data / capture rates, alarms.")
    app.add_typer(
        mark_app, name="mark", help="Data marks (数据标记): move pending window declarations to marks."
    )


@mark_app.command("import-windows")
def import_windows_command() -> None:
    """Turn every maintenance window still pending review into a submitted maintenance mark (audited)."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.interop import marks, messages

    with _factory()() as session:
        moved = marks.import_pending_windows(session, SYSTEM)
        session.commit()
    typer.echo(messages.CLI_WINDOWS_IMPORTED.format(count=len(moved)))


def _factory() -> sessionmaker[Session]:
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.store.cli import prepared_database_url

    return session_factory(create_engine(prepared_database_url()))


@forward_app.command("add")
def add_command(
    name: str,
    host: str,
    port: int,
    cns: Annotated[str, typer.Option(help="Forwarded CNs, comma-separated.")] = "2011,2051,2061,2031",
    backlog: Annotated[bool, typer.Option(help="Also forward every packet already stored.")] = False,
    only_mapped: Annotated[bool, typer.Option(help="Forward only points with a mapping.")] = False,
) -> None:
    """Add an upstream platform (host, port) to forward received packets to."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.database import session_scope
    from ecosentinel.interop import forward, messages

    with session_scope(_factory()) as session:
        target = forward.add_target(
            session,
            SYSTEM,
            name=name,
            host=host,
            port=port,
            cns=cns,
            backlog=backlog,
            only_mapped=only_mapped,
        )
        typer.echo(messages.CLI_TARGET_ADDED.format(name=name, id=target.id))


@forward_app.command("set")
def set_command(
    target: str,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    cns: Annotated[str | None, typer.Option()] = None,
    enabled: Annotated[bool | None, typer.Option("--enabled/--disabled")] = None,
) -> None:
    """Change a target (by name or id)."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.database import session_scope
    from ecosentinel.interop import forward

    with session_scope(_factory()) as session:
        forward.update_target(
            session, SYSTEM, target, {"host": host, "port": port, "cns": cns, "enabled": enabled}
        )


@forward_app.command("remove")
def remove_command(target: str) -> None:
    """Remove a target with its mapping and queue."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.database import session_scope
    from ecosentinel.interop import forward, messages

    with session_scope(_factory()) as session:
        forward.remove_target(session, SYSTEM, target)
    typer.echo(messages.CLI_TARGET_REMOVED.format(name=target))


@forward_app.command("map")
def map_command(target: str, mn: str, upstream_mn: str, upstream_pw: str) -> None:
    """Set the MN and PW point MN has on the target."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.database import session_scope
    from ecosentinel.interop import forward, messages

    with session_scope(_factory()) as session:
        forward.set_mapping(session, SYSTEM, target, mn=mn, upstream_mn=upstream_mn, upstream_pw=upstream_pw)
    typer.echo(messages.CLI_MAPPING_SET.format(target=target, mn=mn, upstream_mn=upstream_mn))


@forward_app.command("status")
def status_command() -> None:
    """Per target: queue depth, last acknowledgement, lag."""
    from ecosentinel.database import session_scope
    from ecosentinel.interop import forward, messages
    from ecosentinel.readings import CST

    with session_scope(_factory()) as session:
        rows = forward.status(session)
    if not rows:
        typer.echo(messages.CLI_NO_TARGETS)
        return
    typer.echo("名称\t地址\t启用\t待转发\t已确认\t最近确认\t滞后(秒)\t最近错误")
    for s in rows:
        last = s.last_ack_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S") if s.last_ack_at else "—"
        typer.echo(
            f"{s.name}\t{s.host}:{s.port}\t{'是' if s.enabled else '否'}\t{s.queue_depth}\t{s.acked}\t{last}"
            f"\t{s.lag_s:.0f}\t{s.last_error or '—'}"
        )


@command_app.command("send")
def send_command(
    mn: str,
    command: Annotated[str, typer.Argument(help="time_query, time_set, rtd_interval_set, calibrate, …")],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE (PolId=w01018 …)")
    ] = None,
) -> None:
    """Queue a remote command; the running platform sends it while the logger is connected."""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.database import session_scope
    from ecosentinel.interop import commands, messages

    params = dict(p.split("=", 1) for p in (param or []) if "=" in p)
    with session_scope(_factory()) as session:
        row = commands.issue_command(session, SYSTEM, mn=mn, key=command, params=params)
        typer.echo(messages.CLI_COMMAND_QUEUED.format(id=row.id, qn=row.qn))


@command_app.command("list")
def list_command(mn: str, limit: int = 20) -> None:
    """A point's recent commands with their answers."""
    import json

    from ecosentinel.database import session_scope
    from ecosentinel.interop import commands

    with session_scope(_factory()) as session:
        rows = [commands.view(r) for r in commands.list_commands(session, mn=mn, limit=limit)]
    for v in rows:
        typer.echo(
            f"{v.id}\t{v.cn} {v.name_zh}\tQN={v.qn}\t{v.status_zh}\t{v.qn_rtn_zh or '—'}"
            f"\t{v.exe_rtn_zh or '—'}\t{json.dumps(v.result, ensure_ascii=False)}"
        )


@validity_app.command("stats")
def stats_command(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (CST).")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (CST).")],
    period: Annotated[str, typer.Option(help="day or month")] = "day",
    mn: Annotated[list[str] | None, typer.Option("--mn", help="Only these points.")] = None,
    out: Annotated[str | None, typer.Option(help="Write an Excel workbook here instead of printing.")] = None,
) -> None:
    """Per point, factor and day (or month): expected, received and valid hours and the three rates."""
    import datetime as dt
    from pathlib import Path

    from ecosentinel.database import session_scope
    from ecosentinel.interop import validity
    from ecosentinel.store.base import open_store
    from ecosentinel.store.cli import prepared_database_url

    url = prepared_database_url()
    store = open_store(url)
    try:
        with session_scope(_factory()) as session:
            rows = validity.statistics(
                session,
                store,
                start=dt.date.fromisoformat(start),
                end=dt.date.fromisoformat(end),
                mns=mn or None,
                period=period,
            )
    finally:
        store.close()
    if out:
        Path(out).write_bytes(validity.workbook(rows))
        typer.echo(f"已导出 {len(rows)} 行到 {out}")
        return
    typer.echo("\t".join(validity.HEADERS))

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{v:.1%}"

    for r in rows:
        typer.echo(
            f"{r.mn}\t{r.point_name}\t{r.code}\t{r.period}\t{r.expected}\t{r.received}\t{r.valid}"
            f"\t{pct(r.transmission_rate)}\t{pct(r.valid_rate)}\t{pct(r.capture_rate)}"
            f"\t{r.exceeded}\t{r.exceeded_marked}\t{r.down}\t{r.operating}\t{pct(r.operating_rate)}"
        )


@validity_app.command("alarms")
def alarms_command() -> None:
    """Offline points and point-factor-days with missing data (transmission rate below 90 %)."""
    from ecosentinel.database import session_scope
    from ecosentinel.interop import validity
    from ecosentinel.store.base import open_store
    from ecosentinel.store.cli import prepared_database_url

    store = open_store(prepared_database_url())
    try:
        with session_scope(_factory()) as session:
            found = validity.alarms(session, store)
    finally:
        store.close()
    for a in found:
        typer.echo(f"{a.mn}\t{a.point_name}\t{a.code or '—'}\t{a.period or '—'}\t{a.detail}")
