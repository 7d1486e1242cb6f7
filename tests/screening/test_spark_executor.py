"""The Spark executor in local mode over a real Parquet archive gives exactly the findings of in-process
screening of the store on the same data (pyspark and Java are required: missing, the test fails, never
skips). One Spark session for the module: the JVM starts once."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.archive.build import build_archive
from ecosentinel.cli import app
from ecosentinel.database import create_engine, upgrade
from ecosentinel.detection.findings import Finding
from ecosentinel.errors import EcoSentinelError
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.screening.executor import execute
from ecosentinel.store.base import open_store
from tests.screening.test_run_service import Seeded, seed

runner = CliRunner()


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from ecosentinel.screening.spark import spark_session

    try:
        session = spark_session("local[2]")
    except EcoSentinelError as exc:
        pytest.fail(
            f"Spark cannot start here (pyspark, pandas and Java 17 are required): {exc}", pytrace=False
        )
    yield session
    session.stop()


@dataclass
class Archived:
    url: str
    root: Path
    data: Seeded


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Archived:
    """Two simulated points (one with injected constant values) in an SQLite store and its archive."""
    base = tmp_path_factory.mktemp("spark")
    url = f"sqlite:///{base / 'ecosentinel.db'}"
    upgrade(url)
    engine = create_engine(url)
    store = open_store(url)
    try:
        data = seed(engine, store)
        root = base / "archive"
        assert build_archive(store, root, url=url).partitions > 0
    finally:
        store.close()
        engine.dispose()
    return Archived(url, root, data)


def _key(f: Finding) -> tuple[Any, ...]:
    return (f.rule, f.mn, f.factors, f.start, f.end, f.severity)


@pytest.mark.parametrize("uri", [False, True], ids=["path: tasks read their chunks", "URI: Spark reads"])
def test_spark_findings_equal_in_process_findings(spark: Any, archived: Archived, uri: bool) -> None:
    # a path every executor can open: chunk mode; a file:// URI stands for hdfs:// or s3a://: group mode
    from ecosentinel.screening.spark import execute_spark

    data = archived.data
    mns = sorted(data.enterprise_of)
    engine = create_engine(archived.url)
    try:
        with Session(engine) as session:
            contexts = load_contexts(session, mns, data.start, data.end)
    finally:
        engine.dispose()
    local = execute(archived.url, mns, data.start, data.end, contexts)
    root = archived.root.as_uri() if uri else archived.root
    on_spark = execute_spark(root, mns, data.start, data.end, contexts, spark=spark)
    assert local.findings, "the seeded constant-value scenario must produce findings"
    assert [_key(f) for f in on_spark.findings] == [_key(f) for f in local.findings]
    assert [f.to_dict() for f in on_spark.findings] == [f.to_dict() for f in local.findings]
    assert on_spark.readings == local.readings == data.result.readings.height
    assert on_spark.points == local.points == 2


def test_screen_command_with_the_spark_executor(spark: Any, archived: Archived) -> None:
    window = (
        "--from",
        "2024-05-06T00:00",
        "--to",
        "2024-05-08T00:00+08:00",
        "--format",
        "jsonl",
        "--no-save",
    )
    common = [*window, "--database-url", archived.url]
    local = runner.invoke(app, ["screen", *common])
    assert local.exit_code == 0, local.output
    on_spark = runner.invoke(
        app,
        [
            "screen",
            *common,
            "--executor",
            "spark",
            "--spark-master",
            "local[2]",
            "--archive",
            str(archived.root),
        ],
    )
    assert on_spark.exit_code == 0, on_spark.output
    lines = [json.loads(line) for line in local.stdout.splitlines() if line.startswith("{")]
    assert lines
    assert [json.loads(line) for line in on_spark.stdout.splitlines() if line.startswith("{")] == lines
    bad = runner.invoke(app, ["screen", *common, "--executor", "spark", "--workers", "2"])
    assert bad.exit_code != 0


def test_spark_needs_an_archive(archived: Archived, tmp_path: Path) -> None:
    from ecosentinel.screening.spark import execute_spark

    with pytest.raises(EcoSentinelError, match="archive build"):
        execute_spark(tmp_path / "none", ["x"], archived.data.start, archived.data.end, {})


def test_unknown_executor_is_refused(archived: Archived) -> None:
    result = runner.invoke(app, ["screen", "--executor", "dask", "--database-url", archived.url])
    assert result.exit_code != 0
    assert "--executor" in result.output


def test_spark_engine_sees_the_archive_only(spark: Any, archived: Archived) -> None:
    engine = create_engine(archived.url)
    try:
        with engine.connect() as conn:
            assert (
                conn.scalar(sa.text("SELECT COUNT(*) FROM ms_reading"))
                == archived.data.result.readings.height
            )
    finally:
        engine.dispose()


def test_without_java_the_command_says_so_in_one_line(archived: Archived) -> None:
    env = {**os.environ, "JAVA_HOME": "/nonexistent-java", "PATH": str(Path(sys.executable).parent)}
    done = subprocess.run(
        [
            *(sys.executable, "-m", "ecosentinel", "screen", "--executor", "spark", "--no-save"),
            *("--from", "2024-05-06T00:00", "--to", "2024-05-07T00:00", "--database-url", archived.url),
            *("--archive", str(archived.root)),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("无法启动 Spark"), done.stderr
    assert "openjdk-17-jre-headless" in last


def test_a_later_pass_on_the_same_session_reads_days_sealed_since(spark: Any, tmp_path: Path) -> None:
    # Spark keeps its Python workers between passes: each pass must open the archive afresh, or a
    # long-lived session would screen a stale list of sealed partitions (missing days, silently)
    from ecosentinel.screening.spark import execute_spark

    url = f"sqlite:///{tmp_path / 'ecosentinel.db'}"
    upgrade(url)
    engine = create_engine(url)
    store = open_store(url)
    try:
        data = seed(engine, store)
        mns = sorted(data.enterprise_of)
        with Session(engine) as session:
            contexts = load_contexts(session, mns, data.start, data.end)
        root = tmp_path / "archive"
        second_day = data.start.date() + dt.timedelta(days=1)  # CST days; until is exclusive
        assert build_archive(store, root, url=url, until=second_day).partitions > 0
        early = execute_spark(root, mns, data.start, data.end, contexts, spark=spark)
        assert build_archive(store, root, url=url).partitions > 0  # the remaining days, sealed now
        later = execute_spark(root, mns, data.start, data.end, contexts, spark=spark)
        local = execute(url, mns, data.start, data.end, contexts)
    finally:
        store.close()
        engine.dispose()
    assert 0 < early.readings < later.readings == local.readings
    assert [f.to_dict() for f in later.findings] == [f.to_dict() for f in local.findings]
