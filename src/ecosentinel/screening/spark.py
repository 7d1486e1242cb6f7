"""The Spark executor: the same rule code (``screen_frame`` -> ``detection.engine.screen_point``) run by
Spark over the Parquet archive.

The driver builds every point's context (registry, side records, calibration profile) as the other
executors do and broadcasts them with the configuration. Two ways to get the readings to the rules:

* an archive on a path every executor can open (this machine, or a file system mounted on every node):
  Spark schedules chunks of points (``mapInArrow`` over one row per chunk) and each task reads its chunk
  from the archive itself and screens it with ``screening.executor.screen_chunk``, exactly as a worker of
  the process pool does. The readings never pass through the JVM (measured on 16 points x 7 days of
  minute data: Spark's own read, shuffle and Arrow hand-over of the window took longer than the whole
  in-process pass);
* an archive on HDFS or an S3-compatible store (``hdfs://…``, ``s3a://…``): Spark reads it with the filters
  pushed down to Parquet and hands each point's readings to a task (``groupBy("mn").applyInArrow``).

Either way the findings come back pickled, so the driver gets exactly the objects the in-process executor
would have produced. pyspark is imported inside the functions: nothing else in EcoSentinel needs it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from ecosentinel.archive.layout import READINGS, days_between
from ecosentinel.archive.reader import ArchiveReader, archive_url
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.findings import Finding
from ecosentinel.errors import EcoSentinelError
from ecosentinel.readings import READING_SCHEMA
from ecosentinel.screening import messages
from ecosentinel.screening.executor import (
    DEFAULT_CHUNK_READINGS,
    Chunker,
    ExecutionResult,
    Progress,
    chunks,
    expected_readings,
    read_order,
    screen_frame,
    sort_findings,
    worker_chunk,
)

DEFAULT_MASTER = "local[2]"
RESULT_SCHEMA = "mn string, readings long, findings binary"
_RESULT_ARROW = pa.schema([("mn", pa.string()), ("readings", pa.int64()), ("findings", pa.binary())])
"""RESULT_SCHEMA as Arrow: one row per point (group mode) or per chunk (chunk mode, ``mn`` holding the
chunk's points as JSON)."""
CHUNK_SCHEMA = "chunk long, mns string"
CHUNKS_PER_CORE = 2
"""Chunk mode cuts the points into at least this many chunks per core Spark offers (a slow chunk then
leaves no core idle for long)."""
DEBIAN_JAVA = Path("/usr/lib/jvm/java-17-openjdk-amd64")

_broadcast_cache: dict[str, tuple[dict[str, PointContext], ScreeningConfig | None]] = {}


class SparkUnavailableError(EcoSentinelError):
    """pyspark or Java is missing: the executor cannot run here."""


def spark_session(master: str | None = None, app_name: str = "ecosentinel-screen") -> Any:
    """A session on ``master`` (default ``local[2]``; a cluster URL, or None under spark-submit, which
    sets the master itself). Timestamps are UTC end to end."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailableError(messages.SPARK_MISSING.format(detail=exc)) from None
    try:
        import pandas  # noqa: F401  # applyInArrow requires it
    except ImportError as exc:
        raise SparkUnavailableError(messages.SPARK_MISSING.format(detail=exc)) from None
    if "JAVA_HOME" not in os.environ and DEBIAN_JAVA.is_dir():
        os.environ["JAVA_HOME"] = str(DEBIAN_JAVA)
    if master is None or master.startswith("local"):
        # local workers run this interpreter (the one with ecosentinel installed); a cluster sets its own
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    elif "PYSPARK_GATEWAY_PORT" not in os.environ:  # not under spark-submit (which sets the master)
        builder = builder.master(DEFAULT_MASTER)
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
    )
    try:
        return builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own runtime errors when the JVM cannot start
        raise SparkUnavailableError(
            messages.SPARK_NO_JAVA.format(detail=str(exc).strip().splitlines()[0])
        ) from exc


def _state(broadcast: Any, token: str) -> tuple[dict[str, PointContext], ScreeningConfig | None]:
    """The broadcast contexts and configuration, unpickled once per worker process and pass (``token``)."""
    state = _broadcast_cache.get(token)
    if state is None:
        _broadcast_cache.clear()  # one pass at a time per worker: drop the previous pass's contexts
        state = _broadcast_cache[token] = pickle.loads(broadcast.value)
    return state


def screen_group(
    table: pa.Table, contexts: Mapping[str, PointContext], config: ScreeningConfig | None
) -> pa.Table:
    """One point's readings (an Arrow table from Spark) -> one row: mn, readings, pickled findings."""
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    frame = (
        frame.select(list(READING_SCHEMA))
        .with_columns(pl.col("time").dt.convert_time_zone("UTC"))
        .cast(READING_SCHEMA)  # type: ignore[arg-type]
        .sort("mn", "code", "kind", "source", "time")  # the store's order: rules see identical input
    )
    mn = str(frame["mn"][0])
    own = {mn: contexts[mn]} if mn in contexts else {}
    findings = screen_frame(frame, own, config)
    return pa.table(
        {"mn": [mn], "readings": [frame.height], "findings": [pickle.dumps(findings)]}, schema=_RESULT_ARROW
    )


def _group_function(broadcast: Any, token: str) -> Any:
    def run(table: pa.Table) -> pa.Table:
        contexts, config = _state(broadcast, token)
        return screen_group(table, contexts, config)

    return run


def _chunk_function(
    broadcast: Any, token: str, url: str, start: dt.datetime, end: dt.datetime
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        contexts, config = _state(broadcast, token)
        for batch in batches:
            for text in batch.column("mns").to_pylist():
                chunk = worker_chunk(url, json.loads(text), start, end, contexts, config)
                yield pa.RecordBatch.from_pydict(
                    {"mn": [text], "readings": [chunk.readings], "findings": [pickle.dumps(chunk.findings)]},
                    schema=_RESULT_ARROW,
                )

    return run


def spark_chunks(
    session: Any, root: Path, mns: Sequence[str], start: dt.datetime, end: dt.datetime
) -> list[list[str]]:
    """The chunks of points the chunk mode schedules: the in-process executor's chunks (about
    ``DEFAULT_CHUNK_READINGS`` readings each, points ordered by bucket), cut smaller where that leaves
    fewer than ``CHUNKS_PER_CORE`` chunks per core of the session."""
    ordered = read_order(archive_url(root), mns)
    size = Chunker(ordered, budget=DEFAULT_CHUNK_READINGS, expected=expected_readings(start, end)).size()
    cores = max(1, int(session.sparkContext.defaultParallelism))
    return chunks(ordered, min(size, -(-len(ordered) // (CHUNKS_PER_CORE * cores))))


def readings_frame(
    spark: Any, root: str | Path, mns: Sequence[str], start: dt.datetime, end: dt.datetime
) -> Any:
    """The window's readings as a Spark DataFrame with the filters pushed down to Parquet.

    A local archive is pruned by its hash chain (only sealed, chained partitions are read); an archive on
    HDFS or an S3-compatible store (``hdfs://…``, ``s3a://…``) by Spark's partition discovery on ``day``.
    """
    from pyspark.sql import functions as F  # noqa: N812

    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    if "://" in str(root):
        base = f"{str(root).rstrip('/')}/{READINGS}"
        days = [d.isoformat() for d in days_between(start, end)]
        frame = (
            spark.read.option("basePath", base).parquet(base).where(F.col("day").cast("string").isin(days))
        )
    else:
        files = ArchiveReader(Path(root)).files(READINGS, start, end, mns)
        if not files:
            return None
        frame = spark.read.parquet(*[str(f) for f in files])
    frame = frame.where(
        (F.col("time") >= F.lit(start)) & (F.col("time") < F.lit(end)) & F.col("mn").isin(list(mns))
    )
    return frame.select(*READING_SCHEMA)


def execute_spark(
    root: str | Path,
    mns: Sequence[str],
    start: dt.datetime,
    end: dt.datetime,
    contexts: Mapping[str, PointContext],
    *,
    config: ScreeningConfig | None = None,
    master: str | None = None,
    spark: Any = None,
    progress: Progress | None = None,
) -> ExecutionResult:
    """Screen ``mns`` over [start, end) from the archive at ``root`` on Spark; findings sorted as the other
    executors sort them."""
    if "://" not in str(root) and not (Path(root) / "ARCHIVE.json").exists():
        raise EcoSentinelError(messages.SPARK_NEEDS_ARCHIVE)
    session = spark if spark is not None else spark_session(master)
    t0 = time.perf_counter()
    result = ExecutionResult(pooled=True)
    wanted = sorted(set(mns))
    if "://" not in str(root):
        _execute_chunks(session, Path(root), wanted, start, end, contexts, config, result)
    else:
        _execute_groups(session, str(root), wanted, start, end, contexts, config, result)
    result.points = len(wanted)
    result.screen_s = time.perf_counter() - t0
    result.findings = sort_findings(result.findings)
    if progress is not None:
        progress(result.points, result.points)
    return result


def _broadcast(
    session: Any, wanted: list[str], contexts: Mapping[str, PointContext], config: ScreeningConfig | None
) -> Any:
    """The points' contexts and the configuration, pickled once and broadcast to every worker."""
    return session.sparkContext.broadcast(
        pickle.dumps(({mn: contexts[mn] for mn in wanted if mn in contexts}, config))
    )


def _execute_chunks(
    session: Any,
    root: Path,
    wanted: list[str],
    start: dt.datetime,
    end: dt.datetime,
    contexts: Mapping[str, PointContext],
    config: ScreeningConfig | None,
    result: ExecutionResult,
) -> None:
    """Chunk mode (module docstring): each task reads its chunk of points from the archive and screens it;
    records of points without readings are screened with their chunk, as in-process."""
    if not wanted:
        return
    parts = spark_chunks(session, root, wanted, start, end)
    broadcast = _broadcast(session, wanted, contexts, config)
    try:
        rows = [(i, json.dumps(part)) for i, part in enumerate(parts)]
        tasks = session.sparkContext.parallelize(rows, len(rows)).toDF(CHUNK_SCHEMA)
        function = _chunk_function(broadcast, uuid.uuid4().hex, archive_url(root), start, end)
        collected = tasks.mapInArrow(function, RESULT_SCHEMA).collect()
    finally:
        broadcast.unpersist()
    for row in collected:
        result.readings += int(row["readings"])
        result.findings.extend(pickle.loads(row["findings"]))


def _execute_groups(
    session: Any,
    root: str,
    wanted: list[str],
    start: dt.datetime,
    end: dt.datetime,
    contexts: Mapping[str, PointContext],
    config: ScreeningConfig | None,
    result: ExecutionResult,
) -> None:
    """Group mode (module docstring): Spark reads the archive and hands each point's readings to a task."""
    frame = readings_frame(session, root, wanted, start, end) if wanted else None
    seen: set[str] = set()
    if frame is not None:
        broadcast = _broadcast(session, wanted, contexts, config)
        try:
            rows = (
                frame.groupBy("mn")
                .applyInArrow(_group_function(broadcast, uuid.uuid4().hex), RESULT_SCHEMA)
                .collect()
            )
        finally:
            broadcast.unpersist()
        for row in rows:
            seen.add(str(row["mn"]))
            result.readings += int(row["readings"])
            found: list[Finding] = pickle.loads(row["findings"])
            result.findings.extend(found)
    # records are evidence without readings: standard-sample checks of points that sent nothing
    unseen = {mn: contexts[mn] for mn in wanted if mn not in seen and mn in contexts}
    if unseen:
        result.findings.extend(screen_frame(pl.DataFrame(schema=READING_SCHEMA), unseen, config))
