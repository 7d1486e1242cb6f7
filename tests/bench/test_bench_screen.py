"""The plain vectorised pass that ``bench screen`` times next to screening (issue 10's yardstick)."""

from __future__ import annotations

import polars as pl

from ecosentinel.bench.screen import PlainPassRow, plain_pass
from tests.detection.helpers import HOUR, series


def test_plain_pass_counts_runs_gaps_and_days() -> None:
    values: list[float | None] = [1.0, 2.0, 2.0, 2.0, 3.0, *([4.0] * 40)]
    frame = series("w01018", values)
    frame = frame.filter(pl.col("time") != frame["time"][10])  # one absent hour: a gap
    other = series("w01018", [5.0] * 30, mn="MN0002", start=frame["time"][0] + 3 * HOUR)
    summary, daily = plain_pass(pl.concat([frame, other]))
    assert summary["longest_run"][0] == 39  # MN0001's 4.0 run without the dropped hour
    assert summary["gaps"][0] == 1
    assert daily.height == 2 + 2  # two (UTC) days per point
    assert daily.filter(pl.col("mn") == "MN0001")["n"].sum() == 44


def test_ratio_is_screening_over_plain_pass() -> None:
    row = PlainPassRow(1, 1.0, 1000, 0.0, 0.1, 0.5, 200.0)
    assert row.per_cpu_second == 2000.0
    assert row.ratio == 0.1


def test_archive_ratio_is_reported_next_to_the_store_ratio() -> None:
    row = PlainPassRow(1, 1.0, 1000, 0.0, 0.1, 0.5, 200.0, 500.0)
    assert row.archive_ratio == 0.25
    assert row.row().endswith("| 200 | 0.100 | 500 | 0.250 |")
    assert PlainPassRow(1, 1.0, 1000, 0.0, 0.1, 0.5, 200.0).row().endswith("| - | - |")
