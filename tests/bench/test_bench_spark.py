"""``ecosentinel bench spark`` on a tiny size: Spark local mode against in-process screening of the same
archive, findings compared, times and the docs section (written to a temporary docs/benchmarks.md, never
the project's). pyspark and Java are required: missing, the test fails, never skips."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ecosentinel.bench import spark as bench_spark
from ecosentinel.cli import app
from ecosentinel.detection.findings import Finding, Severity
from ecosentinel.errors import EcoSentinelError

runner = CliRunner()


def test_spark_bench_finds_what_in_process_finds_and_reports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a stray write would land here, not in the project's docs
    try:
        rows = bench_spark.run([(2, 1.0)], "local[2]", echo=lambda _: None)
    except EcoSentinelError as exc:
        pytest.fail(
            f"Spark cannot start here (pyspark, pandas and Java 17 are required): {exc}", pytrace=False
        )
    assert not (tmp_path / "docs").exists()
    [row] = rows
    assert row.identical
    assert row.differing == 0
    assert row.findings > 0, "the injected falsifications must give findings to compare"
    assert row.readings > 10_000
    assert row.session_s > 0
    assert row.cold_s > 0
    assert row.warm_s > 0
    assert all(s > 0 for s in row.in_process_s)
    assert len(row.in_process_s) == 2
    assert row.cold_ratio == pytest.approx(row.cold_s / min(row.in_process_s))
    assert row.warm_ratio == pytest.approx(row.warm_s / min(row.in_process_s))

    text = bench_spark.report(
        rows,
        "ecosentinel bench spark --sizes 2x1",
        "x86_64, 2 cores",
        (1.0, 2.0, 3.0),
        (1.5, 2.0, 3.0),
        dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC),
    )
    assert "Command: `ecosentinel bench spark --sizes 2x1`" in text
    assert "load average (1 / 5 / 15 min) 1.0 / 2.0 / 3.0 before the run, 1.5 / 2.0 / 3.0 after" in text
    assert "\n".join(bench_spark.HEADER) in text
    assert row.row() in text
    assert row.row().endswith("| yes |")
    assert "- 2 points x 1 day(s) on `local[2]`: findings identical" in text

    # the command around it: prints the table header and the verdicts; writes only with --write-docs
    # (here into tmp_path/docs, the working directory), replacing its own section and keeping the others
    monkeypatch.setattr(bench_spark, "run", lambda sizes, master: rows)
    printed = runner.invoke(app, ["bench", "spark", "--sizes", "2x1", "--no-write-docs"])
    assert printed.exit_code == 0, printed.output
    assert bench_spark.HEADER[0] in printed.stdout  # the rows themselves are printed by run, as measured
    assert bench_spark.verdicts(rows)[0] in printed.stdout
    assert not (tmp_path / "docs").exists()
    (tmp_path / "docs").mkdir()
    docs = tmp_path / "docs" / "benchmarks.md"
    other = "# Benchmarks\n\n<!-- bench:screen -->\nkept\n<!-- /bench:screen -->\n"
    docs.write_text(other, encoding="utf-8")
    for _ in range(2):
        assert runner.invoke(app, ["bench", "spark", "--sizes", "2x1"]).exit_code == 0
    written = docs.read_text(encoding="utf-8")
    assert written.startswith(other)
    assert written.count("<!-- bench:spark -->") == written.count("<!-- /bench:spark -->") == 1
    assert "Command: `ecosentinel bench spark --sizes 2x1 --master local[2]`" in written
    assert row.row() in written


def test_differing_findings_counts_field_and_number_differences() -> None:
    start = dt.datetime(2024, 5, 6, tzinfo=dt.UTC)

    def finding(score: float) -> Finding:
        return Finding(
            rule="R01_constant_value",
            mn="MN1",
            factors=("w01018",),
            start=start,
            end=start + dt.timedelta(hours=6),
            severity=Severity.HIGH,
            score=score,
            evidence={"hours": 6},
            explanation_zh="恒值",
        )

    assert bench_spark.differing_findings([finding(0.9)], [finding(0.9)]) == 0
    assert bench_spark.differing_findings([finding(0.9)], [finding(0.8)]) == 1
    assert bench_spark.differing_findings([finding(0.9)], [finding(0.9), finding(0.9)]) == 1
    assert bench_spark.differing_findings([], []) == 0


def test_bad_sizes_are_refused_before_spark_starts() -> None:
    result = runner.invoke(app, ["bench", "spark", "--sizes", "16by7", "--no-write-docs"])
    assert result.exit_code != 0
    assert "POINTSxDAYS" in result.output
