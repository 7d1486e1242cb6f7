"""``ecosentinel registry …``: registry files, dynamic-control uploads, events, meters, permit checks."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from ecosentinel.errors import EcoSentinelError

registry_app = typer.Typer(no_args_is_help=True)

DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="Database URL (default: ECOSENTINEL_DATABASE_URL or data/ecosentinel.db)."
    ),
]


def _url(database_url: str | None) -> str:
    from ecosentinel.store.cli import prepared_database_url

    return prepared_database_url(database_url)


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    from ecosentinel.database import create_engine, session_factory, session_scope

    engine = create_engine(_url(database_url))
    try:
        with session_scope(session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _fail(exc: EcoSentinelError) -> None:
    typer.echo(str(exc), err=True)
    raise typer.Exit(code=1)


@registry_app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(help="Registry workbook (.xlsx) or YAML (docs/registry-format.md).")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Import the registry, all or nothing (errors name sheet, row and column). 导入登记信息。"""
    from ecosentinel.audit.service import record
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.registry import messages
    from ecosentinel.registry.excel import counts_text, import_registry_file

    try:
        with _session(database_url) as session:
            counts = import_registry_file(session, file)
            record(
                session,
                SYSTEM,
                "import",
                "registry",
                None,
                f"命令行导入 {file.name}：{counts_text(counts)}",
                counts,
            )
    except EcoSentinelError as exc:
        _fail(exc)
        return
    typer.echo(messages.IMPORTED_TABLES.format(file=file, counts=counts_text(counts)))


@registry_app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(help="Target file: .xlsx (a sheet per kind) or .yaml.")],
    with_passwords: Annotated[
        bool, typer.Option("--with-passwords", help="Include the loggers' access passwords (audited).")
    ] = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Export the whole registry (without logger passwords unless asked). 导出登记信息。"""
    from ecosentinel.audit.service import record
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.registry import messages
    from ecosentinel.registry.excel import counts_text, export_registry_file

    try:
        with _session(database_url) as session:
            counts = export_registry_file(session, file, include_passwords=with_passwords)
            note = messages.PASSWORDS_EXPORTED if with_passwords else ""
            record(
                session,
                SYSTEM,
                "export",
                "registry",
                None,
                f"命令行导出 {file.name}{note}：{counts_text(counts)}",
                {**counts, "with_passwords": with_passwords},
            )
    except EcoSentinelError as exc:
        _fail(exc)
        return
    typer.echo(messages.EXPORTED_TABLES.format(file=file, counts=counts_text(counts)))


@registry_app.command("import-3020")
def import_3020_command(
    file: Annotated[
        Path, typer.Argument(help="Text file of HJ 212 frames, one per line (CN 3020 are kept).")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Import dynamic-control uploads (CN 3020) into the parameter history. 导入动态管控参数。"""
    from ecosentinel.registry import messages
    from ecosentinel.registry.dynamic import import_3020_file

    try:
        with _session(database_url) as session:
            result = import_3020_file(session, file)
    except EcoSentinelError as exc:
        _fail(exc)
        return
    typer.echo(
        messages.IMPORTED_3020.format(
            file=file, packets=result.packets, parameters=result.parameters, skipped=result.skipped_other
        )
    )


@registry_app.command("events")
def events_command(
    file: Annotated[
        Path, typer.Argument(help="CSV (mn,time,type[,device_code,detail]) or JSON list of events.")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Import door and camera events. 导入门禁/视频事件。"""
    from ecosentinel.auth.service import SYSTEM
    from ecosentinel.errors import ValidationError
    from ecosentinel.registry import messages
    from ecosentinel.registry.events import EventIn, parse_events_csv, record_events

    try:
        text = file.read_text(encoding="utf-8-sig")
        if file.suffix.lower() == ".json":
            try:
                events = [EventIn.model_validate(item) for item in json.loads(text)]
            except ValueError as exc:
                raise ValidationError(str(exc), location=str(file)) from exc
        else:
            events = parse_events_csv(text, source=str(file))
        with _session(database_url) as session:
            added, duplicates = record_events(session, SYSTEM, events)
    except EcoSentinelError as exc:
        _fail(exc)
        return
    typer.echo(messages.IMPORTED_EVENTS.format(added=added, duplicates=duplicates))


@registry_app.command("meters")
def meters_command(
    file: Annotated[
        Path, typer.Argument(help="CSV meter,time,value (meter = registered meter code; CST times).")
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Import working-condition / electricity series into the measurement store. 导入工况/用电数据。"""
    from ecosentinel.registry import messages
    from ecosentinel.registry.events import import_meter_csv
    from ecosentinel.store.base import open_store

    url = _url(database_url)
    try:
        store = open_store(url)
        try:
            with _session(url) as session:
                rows, inserted = import_meter_csv(
                    session, store, file.read_text(encoding="utf-8-sig"), source=str(file)
                )
        finally:
            store.close()
    except EcoSentinelError as exc:
        _fail(exc)
        return
    typer.echo(messages.IMPORTED_METER_READINGS.format(rows=rows, inserted=inserted))


@registry_app.command("permits")
def permits_command(
    permit: Annotated[list[str] | None, typer.Option("--permit", help="Only these permit numbers.")] = None,
    hours: Annotated[float, typer.Option(help="'Recently' = within these hours.")] = 24.0,
    output: Annotated[str, typer.Option("--format", help="text | jsonl")] = "text",
    database_url: DatabaseUrl = None,
) -> None:
    """应装尽装、联网: unmet monitoring requirements and QC gaps of each permit."""
    from ecosentinel.registry.permits import check_permits
    from ecosentinel.store.base import open_store

    url = _url(database_url)
    try:
        store = open_store(url)
        try:
            with _session(url) as session:
                checks = check_permits(session, store, numbers=permit, recent=dt.timedelta(hours=hours))
        finally:
            store.close()
    except EcoSentinelError as exc:
        _fail(exc)
        return
    for c in checks:
        if output == "jsonl":
            gaps = [
                {"outlet": g.outlet, "factor": g.factor, "reason": g.reason, "reason_zh": g.reason_zh}
                for g in c.gaps
            ]
            qc = [
                {"outlet": g.outlet, "factor": g.factor, "reason": g.reason, "reason_zh": g.reason_zh}
                for g in c.qc_gaps
            ]
            typer.echo(
                json.dumps({"permit": c.permit, "ok": c.ok, "gaps": gaps, "qc_gaps": qc}, ensure_ascii=False)
            )
            continue
        typer.echo(f"{c.permit} {c.enterprise}：{'满足' if c.ok else '存在缺口'}（要求 {c.requirements} 项）")
        for g in c.gaps + c.qc_gaps:
            typer.echo(f"  - {g.reason_zh}")


@registry_app.command("pre-issue")
def pre_issue_command(
    number: Annotated[str, typer.Argument(help="Permit (application) number.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Pre-issuance check: may the permit be issued? Exit code 0 = yes, 2 = no. 核发前联网核查。"""
    from ecosentinel.registry.permits import pre_issuance_check
    from ecosentinel.store.base import open_store

    url = _url(database_url)
    try:
        store = open_store(url)
        try:
            with _session(url) as session:
                decision = pre_issuance_check(session, store, number)
        finally:
            store.close()
    except EcoSentinelError as exc:
        _fail(exc)
        return
    typer.echo(f"{decision.permit} {decision.enterprise}：{decision.summary_zh}")
    for reason in decision.reasons:
        typer.echo(f"  - {reason}")
    if not decision.issuable:
        raise typer.Exit(code=2)


@registry_app.command("compare")
def compare_command(
    factor: Annotated[str, typer.Argument(help="Factor code, e.g. w01018.")],
    manual: Annotated[float, typer.Argument(help="Manual (reference) value.")],
    online: Annotated[float, typer.Argument(help="Online analyser value.")],
) -> None:
    """Judge one comparison pair against the HJ 355 / HJ 75 tolerance. 比对监测判定。"""
    from ecosentinel.registry.permits import judge_comparison

    try:
        verdict = judge_comparison(factor, manual, online)
    except EcoSentinelError as exc:
        _fail(exc)
        return
    typer.echo(verdict.text_zh)


def register(app: typer.Typer) -> None:
    """Add ``ecosentinel registry …`` to the root CLI."""
    app.add_typer(
        registry_app,
        name="registry",
        help="Registry: Excel/YAML import and export, 3020 uploads, events, permits.",
    )
