"""Chunk size follows a budget of readings (window length x resolution), and findings do not depend on it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.database import session_factory
from ecosentinel.detection.context import STANDARD_CHECK_SCHEMA
from ecosentinel.registry.service import import_registry
from ecosentinel.screening import executor
from ecosentinel.screening.contextload import load_contexts
from ecosentinel.screening.executor import (
    MAX_CHUNK_POINTS,
    Chunker,
    ChunkResult,
    execute,
    expected_readings,
)
from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.models import ScenarioSpec, SimulationConfig
from ecosentinel.store.base import MeasurementStore

START = dt.datetime(2024, 5, 6, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_chunker_learns_the_readings_per_point_and_keeps_to_the_budget() -> None:
    chunker = Chunker([f"p{i}" for i in range(100)], budget=1000, expected=100)
    assert chunker.learning
    first = chunker.next()
    assert first == [f"p{i}" for i in range(10)]  # 1000 // 100 expected
    chunker.observe(ChunkResult(first, [], 0, 0.0, 0.0))  # points without readings teach nothing
    assert chunker.learning
    assert len(chunker.next()) == 10
    chunker.observe(ChunkResult(["p10"], [], 240, 0.0, 0.0))
    assert not chunker.learning
    assert len(chunker.next()) == 4  # 1000 // 240
    chunker.observe(ChunkResult(["p2", "p3"], [], 1000, 0.0, 0.0))  # denser points: smaller chunks
    assert len(chunker.next()) == 2
    chunker.observe(ChunkResult(["p4"], [], 10, 0.0, 0.0))  # sparser ones do not grow them again
    assert len(chunker.next()) == 2
    unknown = Chunker([f"p{i}" for i in range(10)], budget=1000)  # nothing expected: single points
    assert len(unknown.next()) == 1
    sparse = Chunker([f"p{i}" for i in range(100)], budget=10**9, expected=10**9)
    assert len(sparse.next()) == 1
    sparse.observe(ChunkResult(["p0"], [], 1, 0.0, 0.0))  # sparser than expected: chunks grow, capped
    assert len(sparse.next()) == MAX_CHUNK_POINTS
    fixed = Chunker([f"p{i}" for i in range(10)], budget=1, points=4)
    assert [len(fixed.next()) for _ in range(3)] == [4, 4, 2]
    assert not fixed


def test_a_minute_data_month_is_expected_at_eight_series() -> None:
    day = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert expected_readings(day, day + dt.timedelta(days=30)) == 30 * 1440 * 8
    assert expected_readings(day, day) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_findings_are_the_same_whatever_the_chunk_budget(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str, workers: int
) -> None:
    result = simulate(
        SimulationConfig(
            seed=5,
            start=START,
            days=1.0,
            water=4,
            gas=2,
            scenarios=[
                ScenarioSpec(id="constant_value", station=0),
                ScenarioSpec(id="flag_abuse", station=2),
                ScenarioSpec(id="zero_negative", station=4),
            ],
        )
    )
    with session_factory(engine)() as session:
        import_registry(session, result.registry, source_name="test")
        session.commit()
    store.append(result.readings)
    latest = result.readings["time"].max()
    assert isinstance(latest, dt.datetime)
    end = latest + dt.timedelta(seconds=1)
    mns = sorted(result.station_mns)
    with Session(engine) as session:
        contexts = dict(load_contexts(session, mns, START, end))
    # a failed standard-sample check (Q01: a record, no readings needed) is screened once, with its point
    checked = mns[1]
    contexts[checked] = dataclasses.replace(
        contexts[checked],
        standard_checks=pl.DataFrame(
            [
                {
                    "mn": checked,
                    "time": START + dt.timedelta(hours=3),
                    "factor": "w01018",
                    "standard_value": 100.0,
                    "measured_value": 70.0,
                    "source": "3020",
                }
            ],
            schema=STANDARD_CHECK_SCHEMA,
            orient="row",
        ),
    )

    def run(budget: int) -> tuple[list[dict[str, object]], list[int]]:
        done: list[int] = []
        out = execute(
            migrated_url,
            mns,
            START,
            end,
            contexts,
            workers=workers,
            chunk_readings=budget,
            progress=lambda points, _total: done.append(points),
        )
        assert out.readings == result.readings.height
        assert out.points == len(mns)
        return [f.to_dict() for f in out.findings], done

    whole, whole_progress = run(10**9)  # every point in one chunk
    single, single_progress = run(1)  # one point per chunk
    assert whole
    assert [f["mn"] for f in whole if str(f["rule"]).startswith("Q01")] == [checked]
    assert single == whole
    assert len(single_progress) == len(mns)
    assert whole_progress == [len(mns)]


def test_worker_allocator_env_is_set_while_a_pool_starts_and_restored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(executor.JEMALLOC_CONF, "dirty_decay_ms:500,muzzy_decay_ms:1000")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "12345")  # the user's: kept
    with executor.worker_allocator_env():
        assert os.environ[executor.JEMALLOC_CONF] == (
            f"dirty_decay_ms:500,muzzy_decay_ms:1000,{executor.WORKER_JEMALLOC}"
        )
        assert os.environ["MALLOC_MMAP_THRESHOLD_"] == executor.WORKER_GLIBC_ENV["MALLOC_MMAP_THRESHOLD_"]
        assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "12345"
    assert os.environ[executor.JEMALLOC_CONF] == "dirty_decay_ms:500,muzzy_decay_ms:1000"
    assert "MALLOC_MMAP_THRESHOLD_" not in os.environ
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "12345"


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (None, "dirty_decay_ms:30000,muzzy_decay_ms:30000"),
        (
            "dirty_decay_ms:500,muzzy_decay_ms:1000",
            "dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:30000,muzzy_decay_ms:30000",
        ),
        (  # polars' transparent huge pages: kept, the decay appended
            "dirty_decay_ms:500,muzzy_decay_ms:1000,thp:always,metadata_thp:always",
            "dirty_decay_ms:500,muzzy_decay_ms:1000,thp:always,metadata_thp:always,"
            "dirty_decay_ms:30000,muzzy_decay_ms:30000",
        ),
        ("dirty_decay_ms:500,muzzy_decay_ms:1000,dirty_decay_ms:0", None),  # the user's decay wins
        ("narenas:2", None),  # not polars' own setting: left alone
    ],
)
def test_workers_jemalloc_decay_respects_a_users_setting(current: str | None, expected: str | None) -> None:
    assert executor._jemalloc_conf(current) == expected
