"""Benchmarks CLI: each command prints its figures and records them in docs/benchmarks.md."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import typer

from ecosentinel.bench import decode, detect, hostile, ingest, screen
from ecosentinel.bench.report import write_section

bench_app = typer.Typer(no_args_is_help=True)
detect.register(bench_app)  # bench detect: screening accuracy vs a generic baseline
screen.register(bench_app)  # bench screen: screening speed and scaling curve
hostile.register(bench_app)  # bench hostile: a good logger's acks under floods and swarms


INGEST_GOAL_NOTE = (
    "Goal: ≥ 20,000 packets/s from ≥ 500 connections with p99 acknowledgement under 50 ms — not met. "
    "One receiver process does all the Python work under one interpreter lock: decoding (about 50 µs "
    "per packet, see the codec section), building the readings frame, the store's insert and the "
    "asyncio socket work; the group commit itself is cheap (a few fsyncs per second). The "
    "acknowledgement latency is queueing behind that CPU work: the loggers keep 4 packets in flight "
    "each. Durability holds at this rate (tests/ingest: kill -9 loses no acknowledged packet)."
)


@bench_app.command("ingest")
def ingest_command(
    backend: str = typer.Option("both", help="sqlite | postgresql | both"),
    connections: int = typer.Option(500, help="Concurrent simulated data loggers."),
    packets_per_conn: int = typer.Option(200, help="Minute packets (8 factors each) per logger."),
    window: int = typer.Option(4, help="Unanswered packets a logger keeps in flight."),
    postgres_url: str = typer.Option(
        None, envvar="ECOSENTINEL_TEST_DATABASE_URL", help="PostgreSQL URL for the postgresql backend."
    ),
    write_docs: bool = typer.Option(True, help="Record the results in docs/benchmarks.md."),
) -> None:
    """Ingest throughput, acknowledgement latency and peak memory over loopback TCP (入库性能基准)."""
    backends = ["sqlite", "postgresql"] if backend == "both" else [backend]
    results = []
    for name in backends:
        if name == "sqlite":
            tmp = tempfile.mkdtemp(prefix="ecosentinel-bench-")
            url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        else:
            if not postgres_url:
                raise typer.BadParameter("set ECOSENTINEL_TEST_DATABASE_URL or --postgres-url for postgresql")
            url = postgres_url
        result = ingest.run_ingest_bench(
            database_url=url,
            backend=name,
            connections=connections,
            packets_per_conn=packets_per_conn,
            window=window,
        )
        typer.echo(result.row())
        results.append(result)
    if write_docs:
        body = "\n".join(
            [
                "## Ingest (HJ 212 over loopback TCP, durable before acknowledgement)",
                "",
                f"Command: `ecosentinel bench ingest --backend {backend} --connections {connections} "
                f"--packets-per-conn {packets_per_conn} --window {window}`  ",
                f"Machine: {ingest.machine_line()}  ",
                f"Run: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; receiver and load generator share "
                "the machine (the load generator takes most of one core).",
                "",
                "| backend | connections | packets | packets/s | p50 ack ms | p99 ack ms "
                "| receiver peak RSS MB | readings stored |",
                "|---|---|---|---|---|---|---|---|",
                *(r.row() for r in results),
                "",
                INGEST_GOAL_NOTE,
            ]
        )
        write_section("ingest", body)


bench_app.command("decode")(decode.decode_command)
