"""``ecosentinel screen``: screen the stored readings and print the findings (table in Chinese, or JSONL)."""

from __future__ import annotations

# Commands import their services inside the function on purpose: `ecosentinel --help` and every other
# command start without loading the database, polars or the web stack.
import datetime as dt
import json
import unicodedata
from pathlib import Path
from typing import Annotated, Any

import typer

from ecosentinel.detection import messages
from ecosentinel.detection.findings import Finding
from ecosentinel.errors import EcoSentinelError
from ecosentinel.readings import CST
from ecosentinel.screening import messages as run_messages

MAX_WORKERS = 64


def parse_time(value: str, option: str) -> dt.datetime:
    """ISO 8601; a value without an offset is China Standard Time."""
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(messages.BAD_TIME.format(value=value), param_hint=option) from None
    return parsed.replace(tzinfo=CST) if parsed.tzinfo is None else parsed


def parse_points(value: str) -> list[str]:
    """Comma-separated MNs."""
    mns = sorted({p.strip() for p in value.split(",") if p.strip()})
    if not mns:
        raise typer.BadParameter(messages.EMPTY_POINTS, param_hint="--points")
    return mns


def jsonl_record(finding: Finding) -> dict[str, Any]:
    """The JSONL shape: mn, code (factor codes), rule (rule code), start, end, severity, score, title_zh,
    evidence (with the Chinese sentence explaining why it is suspicious as ``explanation_zh``)."""
    from ecosentinel.screening.service import rule_title

    return {
        "mn": finding.mn,
        "code": ",".join(finding.factors),
        "rule": finding.rule,
        "start": finding.start.astimezone(CST).isoformat(),
        "end": finding.end.astimezone(CST).isoformat(),
        "severity": finding.severity.value,
        "score": round(finding.score, 4),
        "title_zh": rule_title(finding.rule),
        "evidence": {**finding.evidence, "explanation_zh": finding.explanation_zh},
    }


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(findings: list[Finding]) -> str:
    """Findings as an aligned table with Chinese headers."""
    from ecosentinel.screening.service import rule_title

    rows = [
        [
            f.mn,
            ",".join(f.factors),
            f.rule.split("_", 1)[0],
            f.start.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
            f.end.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
            messages.SEVERITY_NAMES.get(f.severity.value, f.severity.value),
            f"{f.score:.2f}",
            rule_title(f.rule),
        ]
        for f in findings
    ]
    headers = list(messages.TABLE_HEADERS)
    widths = [max(_width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def screen_command(
    time_from: Annotated[
        str | None,
        typer.Option("--from", help="Window start, ISO 8601 (no offset = China Standard Time)."),
    ] = None,
    time_to: Annotated[
        str | None, typer.Option("--to", help="Window end (exclusive); default: newest reading + 1 s.")
    ] = None,
    points: Annotated[
        str | None, typer.Option("--points", help="Comma-separated MNs (default: every point with data).")
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="table | jsonl")] = "table",
    workers: Annotated[int, typer.Option("--workers", help="1 = in-process; N = a pool of N processes.")] = 1,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Record the run, its findings and day scores.")
    ] = True,
    config_file: Annotated[
        Path | None, typer.Option("--config", help="Screening configuration YAML (rule overrides).")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="Database URL (default: ECOSENTINEL_DATABASE_URL or data/…)."),
    ] = None,
    executor: Annotated[
        str,
        typer.Option("--executor", help="local (this machine) | spark (Spark over the Parquet archive)."),
    ] = "local",
    spark_master: Annotated[
        str | None,
        typer.Option("--spark-master", help="Spark master URL (default local[2]; e.g. spark://host:7077)."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="store | archive: where readings are read (spark: archive)."),
    ] = None,
    archive: Annotated[
        str | None,
        typer.Option(
            "--archive",
            help="Archive directory (default: DATA_DIR/archive); for spark also hdfs://… or s3a://… URIs.",
        ),
    ] = None,
) -> None:
    """Screen the stored readings for falsification and print the findings (筛查，输出疑似线索).

    Default window: the last 24 hours of data present in the store (or the archive, when read from it).
    """
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.detection.config import ScreeningConfig
    from ecosentinel.registry.service import registered_mns
    from ecosentinel.screening.service import default_window, run_screening
    from ecosentinel.store.base import MeasurementStore, open_store
    from ecosentinel.store.cli import prepared_database_url

    if output_format not in ("table", "jsonl"):
        raise typer.BadParameter("table | jsonl", param_hint="--format")
    if not 1 <= workers <= MAX_WORKERS:
        raise typer.BadParameter(messages.BAD_WORKERS.format(value=workers), param_hint="--workers")
    if executor not in ("local", "spark"):
        raise typer.BadParameter(run_messages.BAD_EXECUTOR.format(value=executor), param_hint="--executor")
    source = source or ("archive" if executor == "spark" or archive is not None else "store")
    if source not in ("store", "archive") or (executor == "spark" and source != "archive"):
        raise typer.BadParameter(run_messages.BAD_SOURCE.format(value=source), param_hint="--source")
    if executor == "spark" and workers > 1:
        raise typer.BadParameter(run_messages.SPARK_WORKERS, param_hint="--workers")
    start = parse_time(time_from, "--from") if time_from else None
    end = parse_time(time_to, "--to") if time_to else None
    if start is not None and end is not None and start >= end:
        raise typer.BadParameter(
            messages.BAD_WINDOW.format(start=start.isoformat(), end=end.isoformat()), param_hint="--from/--to"
        )
    mns = parse_points(points) if points is not None else None
    database_url = prepared_database_url(database_url)
    archive_root: str | None = None
    if source == "archive":
        from ecosentinel.archive.layout import default_root

        archive_root = archive if archive is not None else str(default_root())
    try:
        config = ScreeningConfig.from_yaml(config_file) if config_file else None
        engine = create_engine(database_url)
        if archive_root is not None and "://" not in archive_root:
            from ecosentinel.archive.reader import ArchiveReader

            store: MeasurementStore = ArchiveReader(Path(archive_root))
        else:
            store = open_store(database_url)
        try:
            factory = session_factory(engine)
            if mns is not None:
                with factory() as session:
                    known = set(store.list_points()) | registered_mns(session)
                unknown = [m for m in mns if m not in known]
                if unknown:
                    raise typer.BadParameter(
                        messages.UNKNOWN_POINTS.format(mns=", ".join(unknown)), param_hint="--points"
                    )
            if start is None or end is None:
                default_start, default_end = default_window(store)
                if end is None:
                    end = default_end
                if start is None:
                    start = end - (default_end - default_start)
                if start >= end:
                    raise typer.BadParameter(
                        messages.BAD_WINDOW.format(start=start.isoformat(), end=end.isoformat()),
                        param_hint="--from/--to",
                    )
            outcome = run_screening(
                factory,
                database_url,
                start=start,
                end=end,
                mns=mns,
                workers=workers,
                mode="cli",
                config=config,
                save=save,
                store=store,
                archive=archive_root,
                executor=executor,
                spark_master=spark_master,
            )
        finally:
            store.close()
            engine.dispose()
    except EcoSentinelError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(code=1) from None
    findings = outcome.result.findings
    if output_format == "jsonl":
        for f in findings:
            typer.echo(json.dumps(jsonl_record(f), ensure_ascii=False, sort_keys=False))
        return
    typer.echo(format_table(findings) if findings else messages.NO_FINDINGS)
    typer.echo(
        messages.TABLE_FOOTER.format(
            n=len(findings),
            points=outcome.result.points,
            readings=outcome.result.readings,
            seconds=outcome.seconds,
        )
    )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.command("screen")(screen_command)
