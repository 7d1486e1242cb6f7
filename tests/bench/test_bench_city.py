"""``bench city`` on a tiny size: the generated archive verifies, holds exactly what was generated, is
screened, and the figures reach the docs section (a temporary docs file, never the repository's)."""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ecosentinel.archive.chain import read_chain, verify
from ecosentinel.archive.layout import day_bounds, open_layout
from ecosentinel.archive.reader import ArchiveReader
from ecosentinel.bench.city_data import FACTORS_PER_POINT, FIRST_DAY, MINUTES, generate_archive, plan_points
from ecosentinel.bench.cli import bench_app
from ecosentinel.readings import READING_SCHEMA


def test_generated_archive_is_sealed_sorted_and_complete_but_for_its_gaps(tmp_path: Path) -> None:
    points = plan_points(4)
    assert [p.water for p in points] == [True, True, True, False]  # 30 % flue gas, rounded down
    result = generate_archive(tmp_path / "archive", points, 2)
    layout = open_layout(tmp_path / "archive")
    assert verify(layout) is None
    assert result.gap_readings > 0  # the seed gives gaps: the count below is not the trivial one
    assert result.readings == 4 * 2 * MINUTES * FACTORS_PER_POINT - result.gap_readings
    assert sum(e.rows for e in read_chain(layout)) == result.readings
    for entry in read_chain(layout):
        frame = pl.read_parquet(layout.root / entry.path)
        assert dict(frame.schema) == READING_SCHEMA
        assert frame.equals(frame.sort("mn", "code", "kind", "source", "time"))
        assert entry.bucket == layout.bucket_of(frame["mn"][0])
    start, _ = day_bounds(FIRST_DAY)
    _, end = day_bounds(FIRST_DAY + dt.timedelta(days=1))
    frame = ArchiveReader(layout.root).read_window(start=start, end=end)
    assert frame.height == result.readings
    # a gap takes every factor of the point: each minute present has all 8 series
    per_minute = frame.group_by("mn", "time").len()
    assert per_minute["len"].unique().to_list() == [FACTORS_PER_POINT]
    gas = frame.filter(pl.col("code") == "a21026")
    assert gas.height > 0
    assert gas["zs"].null_count() == 0
    assert gas["value"].null_count() == 0


def test_bench_city_generates_verifies_screens_and_writes_its_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # write_section's docs/benchmarks.md is now tmp_path's
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the registry database too
    archive = tmp_path / "archive"
    result = CliRunner().invoke(
        bench_app,
        ["city", "--points", "3", "--days", "1", "--workers", "1", "--archive", str(archive), "--keep"],
    )
    assert result.exit_code == 0, result.output
    assert verify(open_layout(archive)) is None
    start, end = day_bounds(FIRST_DAY)
    readings = ArchiveReader(archive).read_window(start=start, end=end).height
    docs = (tmp_path / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert "<!-- bench:city -->" in docs
    assert "<!-- /bench:city -->" in docs
    found = re.search(r"\| readings in the archive \| ([\d,]+) \(([\d,]+) absent", docs)
    assert found is not None
    stored, gaps = (int(g.replace(",", "")) for g in found.groups())
    assert readings == stored == 3 * 1 * MINUTES * FACTORS_PER_POINT - gaps == 34_464  # seed 7: 96 absent
    assert f"| readings screened | {readings:,} |" in docs
    assert "| `archive verify` | chain ok" in docs
    assert "3 points x 1 days only, not the full city-month" in docs


def test_bench_city_without_keep_removes_what_it_generated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    archive = tmp_path / "archive"
    result = CliRunner().invoke(
        bench_app,
        [
            "city",
            "--points",
            "1",
            "--days",
            "1",
            "--workers",
            "1",
            "--archive",
            str(archive),
            "--no-write-docs",
        ],
    )
    assert result.exit_code == 0, result.output
    assert not archive.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--points", "0"], "must be at least 1, got 0"),
        (["--days", "-1"], "must be at least 1, got -1"),
        (["--workers", "0"], "must be 1 to 64, got 0"),
    ],
)
def test_bad_arguments_are_one_clear_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(bench_app, ["city", *args, "--no-write-docs"])
    assert result.exit_code == 2
    assert message in result.output


def test_a_non_empty_archive_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(
        bench_app, ["city", "--archive", str(tmp_path), "--no-write-docs"], env={"COLUMNS": "400"}
    )
    assert result.exit_code == 2
    assert "must be a new or empty directory" in result.output
    assert (tmp_path / "something").exists()
