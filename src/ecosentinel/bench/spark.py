"""``ecosentinel bench spark``: the Spark executor in local mode against in-process screening, on the same
Parquet archive (issue 10: identical findings, time within 2x of in-process).

For each size (points x days) the data are prepared as ``bench screen`` prepares them (``screen.prepare``:
simulated minute + hourly readings in a temporary SQLite store with its registry), with a few injected
falsifications so that the comparison has findings to compare, then sealed into a Parquet archive
(``archive_read.seal``). On the same window and the same point contexts (loaded once, timed apart):

1. in-process screening from the archive, exactly ``execute`` as ``ecosentinel screen --source archive``
   runs it with one worker;
2. a Spark session on ``--master`` (default ``local[2]``): its start (the JVM) is timed on its own, then
   two passes of ``execute_spark``: the first (cold: Spark's Python workers start and import the engine)
   and the second (warm);
3. in-process screening once more, so that the in-process time brackets Spark's on a shared machine (the
   faster of the two in-process passes is the yardstick: ratios can only come out higher).

Findings of both Spark passes are compared with the in-process findings field by field (``to_dict``: rule,
point, factors, start, end, severity, score, evidence and explanation, in order), as
tests/screening/test_spark_executor.py compares them. Times are wall clock (Spark's work runs in its own
worker processes and the JVM).
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import typer

from ecosentinel.archive.reader import archive_url
from ecosentinel.bench import archive_read
from ecosentinel.bench.ingest import machine_line
from ecosentinel.bench.report import write_section
from ecosentinel.bench.screen import parse_sizes, prepare
from ecosentinel.database import create_engine, session_factory
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.findings import Finding
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.screening.executor import ExecutionResult, execute
from ecosentinel.screening.spark import DEFAULT_MASTER, execute_spark, spark_session
from ecosentinel.simulator.models import ScenarioSpec
from ecosentinel.store.base import open_store

GOAL_RATIO = 2.0
"""Issue 10: Spark local mode within 2x of in-process screening on the same data."""

SECTION = "spark"
"""The marker of this benchmark's section in docs/benchmarks.md (``<!-- bench:spark -->``)."""

SCENARIOS = (
    ScenarioSpec(id="constant_value", station=0),
    ScenarioSpec(id="zero_negative"),
    ScenarioSpec(id="flag_abuse"),
    ScenarioSpec(id="hourly_mismatch"),
)
"""Injected into the prepared data (stations chosen by the seed), so that there are findings to compare:
``bench screen``'s clean simulated data give none."""


@dataclass(frozen=True, slots=True)
class SparkBenchRow:
    points: int
    days: float
    master: str
    readings: int
    findings: int
    build_s: float
    """Sealing the archive from the store (not part of any compared time)."""
    contexts_s: float
    """Loading the points' contexts from the database, once for all passes (not compared)."""
    in_process_s: tuple[float, ...]
    """In-process passes: before Spark, and after it."""
    session_s: float
    """Starting the Spark session (the JVM), once."""
    cold_s: float
    warm_s: float
    identical: bool
    """Both Spark passes returned exactly the in-process findings and read as many readings."""
    differing: int
    """Findings that differ (by position, plus any difference in number) in the worse Spark pass."""

    @property
    def in_process_best_s(self) -> float:
        return min(self.in_process_s)

    @property
    def cold_ratio(self) -> float:
        return self.cold_s / self.in_process_best_s if self.in_process_best_s else 0.0

    @property
    def warm_ratio(self) -> float:
        return self.warm_s / self.in_process_best_s if self.in_process_best_s else 0.0

    @property
    def start_and_cold_ratio(self) -> float:
        """Session start + first pass / in-process: a one-off ``screen --executor spark`` run."""
        return (self.session_s + self.cold_s) / self.in_process_best_s if self.in_process_best_s else 0.0

    def row(self) -> str:
        runs = " / ".join(f"{s:.2f}" for s in self.in_process_s)
        same = "yes" if self.identical else f"**no** ({self.differing})"
        return (
            f"| {self.points} | {self.days:g} | {self.master} | {self.readings:,} | {self.findings} "
            f"| {self.contexts_s:.2f} | {runs} | {self.session_s:.2f} | {self.cold_s:.2f} "
            f"| {self.warm_s:.2f} | {self.cold_ratio:.2f} | {self.warm_ratio:.2f} "
            f"| {self.start_and_cold_ratio:.2f} | {same} |"
        )


HEADER = [
    "| points | days | master | readings | findings | contexts s | in-process s (before / after Spark) "
    "| session start s | Spark cold s | Spark warm s | cold / in-process | warm / in-process "
    "| (start + cold) / in-process | findings identical |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def differing_findings(expected: Sequence[Finding], actual: Sequence[Finding]) -> int:
    """How many findings differ between two sorted lists: positions whose findings differ in any field of
    ``to_dict`` (rule, point, factors, start, end, severity, score, evidence, explanation), plus the
    difference in number. 0: identical."""
    left, right = [f.to_dict() for f in expected], [f.to_dict() for f in actual]
    return sum(a != b for a, b in zip(left, right, strict=False)) + abs(len(left) - len(right))


def _timed(run: Callable[[], ExecutionResult]) -> tuple[ExecutionResult, float]:
    gc.collect()
    t0 = time.perf_counter()
    result = run()
    return result, time.perf_counter() - t0


def _contexts(
    url: str, mns: list[str], start: dt.datetime, end: dt.datetime
) -> tuple[Mapping[str, PointContext], float]:
    t0 = time.perf_counter()
    engine = create_engine(url)
    try:
        with session_factory(engine)() as session:
            contexts = load_contexts(session, mns, start, end)
    finally:
        engine.dispose()
    return contexts, time.perf_counter() - t0


def measure_spark(
    directory: Path,
    points: int,
    days: float,
    master: str = DEFAULT_MASTER,
    scenarios: Sequence[ScenarioSpec] = SCENARIOS,
) -> SparkBenchRow:
    """Prepare ``points`` x ``days`` in ``directory``, seal it, and time in-process screening from the
    archive against the Spark executor on ``master`` (module docstring). The Spark session is started
    here and stopped before returning, so its start is measured."""
    url, mns, start, end = prepare(directory, points, days, scenarios=scenarios)
    root = archive_read.archive_root(directory)
    store = open_store(url)
    try:
        build_s = archive_read.seal(store, root, start, end)
    finally:
        store.close()
    contexts, contexts_s = _contexts(url, mns, start, end)
    reader = archive_url(root)

    def in_process() -> ExecutionResult:
        return execute(reader, mns, start, end, contexts, workers=1)

    local, before_s = _timed(in_process)
    t0 = time.perf_counter()
    spark = spark_session(master)  # raises SparkUnavailableError (one line) without pyspark or Java
    session_s = time.perf_counter() - t0
    try:

        def on_spark() -> ExecutionResult:
            return execute_spark(root, mns, start, end, contexts, spark=spark)

        cold, cold_s = _timed(on_spark)
        warm, warm_s = _timed(on_spark)
    finally:
        spark.stop()
    again, after_s = _timed(in_process)
    differing = max(
        differing_findings(local.findings, cold.findings),
        differing_findings(local.findings, warm.findings),
        differing_findings(local.findings, again.findings),
    )
    identical = differing == 0 and cold.readings == warm.readings == local.readings == again.readings
    return SparkBenchRow(
        points=points,
        days=days,
        master=master,
        readings=local.readings,
        findings=len(local.findings),
        build_s=build_s,
        contexts_s=contexts_s,
        in_process_s=(before_s, after_s),
        session_s=session_s,
        cold_s=cold_s,
        warm_s=warm_s,
        identical=identical,
        differing=differing,
    )


def _met(ratio: float) -> str:
    return "met" if 0 < ratio <= GOAL_RATIO else "**not met**"


def verdicts(rows: Sequence[SparkBenchRow]) -> list[str]:
    """One line per size: findings identical or not, and each ratio against the goal."""
    return [
        f"- {r.points} points x {r.days:g} day(s) on `{r.master}`: findings "
        f"{'identical' if r.identical else f'**not identical** ({r.differing} differ)'} "
        f"({r.findings} findings, {r.readings:,} readings); cold pass {r.cold_ratio:.2f}x in-process: "
        f"{_met(r.cold_ratio)}; warm pass {r.warm_ratio:.2f}x: {_met(r.warm_ratio)}; with the session "
        f"start, a one-off run (start + cold) {r.start_and_cold_ratio:.2f}x: {_met(r.start_and_cold_ratio)}."
        for r in rows
    ]


def report(
    rows: Sequence[SparkBenchRow],
    command: str,
    machine: str,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    when: dt.datetime,
) -> str:
    """The docs/benchmarks.md section of one run."""

    def loads(values: tuple[float, float, float]) -> str:
        return " / ".join(f"{v:.1f}" for v in values)

    return "\n".join(
        [
            "## Spark executor (local mode) vs in-process screening, same archive",
            "",
            f"Command: `{command}`  ",
            f"Machine: {machine}; load average (1 / 5 / 15 min) {loads(load_before)} before the run, "
            f"{loads(load_after)} after (the machine is shared: wall-clock figures are upper bounds).  ",
            f"Run: {when:%Y-%m-%d %H:%M %Z}. Data prepared as `bench screen` prepares them (simulated minute "
            f"+ hourly readings, 70 % wastewater / 30 % flue-gas points) with {len(SCENARIOS)} injected "
            "falsifications "
            f"({', '.join(s.id for s in SCENARIOS)}) so that there are findings to compare, sealed into a "
            "Parquet archive. On the same window and the same contexts (loaded once, `contexts s`, not "
            "compared): in-process screening from the archive (`execute` as `screen --source archive` runs "
            "it, 1 worker) before and after the Spark passes; a Spark session started on its own "
            "(`session start s`: the JVM for the first size; later sizes of one run start a new context "
            "on the JVM already running, so theirs is short); then two passes of `execute_spark` "
            "(`screen --executor spark`; the archive is on this machine's disk, so its chunk mode: each "
            "task reads its chunk of points from the archive): "
            "cold (Spark's Python workers start and import the engine) and warm. Ratios divide by the "
            "faster in-process pass. Findings identical = both Spark passes (and the second in-process "
            "pass) return the first in-process pass's findings, every field of `Finding.to_dict` in order "
            "(rule, point, factors, start, end, severity, score, evidence, explanation), and as many "
            "readings. Wall-clock seconds.",
            "",
            *HEADER,
            *(r.row() for r in rows),
            "",
            f"Goal (issue 10): identical findings, Spark local mode within {GOAL_RATIO:g}x of in-process "
            "on the same data. Measured:",
            "",
            *verdicts(rows),
        ]
    )


def run(
    sizes: Sequence[tuple[int, float]],
    master: str = DEFAULT_MASTER,
    echo: Callable[[str], None] = typer.echo,
) -> list[SparkBenchRow]:
    """Measure every size, each in its own temporary directory (removed afterwards)."""
    rows: list[SparkBenchRow] = []
    for points, days in sizes:
        directory = Path(tempfile.mkdtemp(prefix="ecosentinel-bench-spark-"))
        try:
            rows.append(measure_spark(directory, points, days, master))
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        typer.echo(f"sealed {points} points x {days:g} days in {rows[-1].build_s:.1f}s", err=True)
        echo(rows[-1].row())
    return rows


def spark_bench_command(
    sizes: str = typer.Option("16x7", help="Points x days, comma-separated."),
    master: str = typer.Option(DEFAULT_MASTER, help="Spark master (local mode: local[N])."),
    write_docs: bool = typer.Option(True, help="Record the results in docs/benchmarks.md."),
) -> None:
    """Spark executor (local mode) vs in-process screening on the same archive (Spark 执行器性能基准)."""
    parsed = parse_sizes(sizes)
    load_before = os.getloadavg()
    command = f"ecosentinel bench spark --sizes {sizes} --master {master}"
    for line in HEADER:
        typer.echo(line)
    rows = run(parsed, master)
    text = report(rows, command, machine_line(), load_before, os.getloadavg(), dt.datetime.now().astimezone())
    for line in verdicts(rows):
        typer.echo(line)
    if write_docs and rows:
        write_section(SECTION, text)


def register(bench_app: typer.Typer) -> None:
    """Add this benchmark's command to ``ecosentinel bench``."""
    bench_app.command("spark")(spark_bench_command)
