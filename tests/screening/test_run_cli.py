"""``ecosentinel screen`` over the store: JSONL fields, Chinese table, clear errors (both backends)."""

from __future__ import annotations

import json

import sqlalchemy as sa
from typer.testing import CliRunner

from ecosentinel.cli import app
from ecosentinel.screening.models import ScreeningFinding, ScreeningRun
from ecosentinel.store.base import MeasurementStore
from tests.screening.test_run_service import seed

JSONL_KEYS = ["mn", "code", "rule", "start", "end", "severity", "score", "title_zh", "evidence"]
runner = CliRunner()


def test_jsonl_lines_have_exactly_the_documented_fields(
    engine: sa.Engine, store: MeasurementStore, migrated_url: str
) -> None:
    data = seed(engine, store)
    result = runner.invoke(
        app,
        [
            *("screen", "--from", "2024-05-06T00:00", "--to", "2024-05-08T00:00+08:00", "--format", "jsonl"),
            *("--database-url", migrated_url, "--no-save"),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines
    for line in lines:
        assert list(line) == JSONL_KEYS
        assert line["mn"] == data.bad_mn
        assert line["start"].endswith("+08:00")
        assert isinstance(line["evidence"], dict)
        assert "北京时间" in line["evidence"]["explanation_zh"]
        assert line["severity"] in ("low", "medium", "high")
    constant = [line for line in lines if line["rule"] == "R01_constant_value"]
    assert {line["code"] for line in constant} <= {"w01018", "w21003", "w21011", "w21001"}
    assert constant[0]["title_zh"]
    with engine.connect() as conn:  # --no-save records nothing
        assert conn.scalar(sa.select(sa.func.count()).select_from(ScreeningRun)) == 0


def test_default_window_table_and_save(engine: sa.Engine, store: MeasurementStore, migrated_url: str) -> None:
    data = seed(engine, store)
    result = runner.invoke(
        app, ["screen", "--points", f"{data.bad_mn},{data.clean_mn}", "--database-url", migrated_url]
    )
    assert result.exit_code == 0, result.output
    assert "点位MN" in result.stdout
    assert "规则名称" in result.stdout
    assert "共 " in result.stdout
    with engine.connect() as conn:
        run = conn.execute(sa.select(ScreeningRun.mode, ScreeningRun.status, ScreeningRun.window_end)).one()
        assert run[0] == "cli"
        assert run[1] == "succeeded"
        saved = conn.scalar(sa.select(sa.func.count()).select_from(ScreeningFinding))
    assert saved == result.stdout.count(data.bad_mn)


def test_bad_options_give_clear_errors(engine: sa.Engine, store: MeasurementStore, migrated_url: str) -> None:
    seed(engine, store, days=1.0)
    bad_time = runner.invoke(app, ["screen", "--from", "yesterday", "--database-url", migrated_url])
    assert bad_time.exit_code != 0
    assert "无法识别的时间" in bad_time.output
    assert "yesterday" in bad_time.output

    bad_point = runner.invoke(app, ["screen", "--points", "NOSUCHMN", "--database-url", migrated_url])
    assert bad_point.exit_code != 0
    assert "NOSUCHMN" in bad_point.output

    reversed_window = runner.invoke(
        app, ["screen", "--from", "2024-05-07", "--to", "2024-05-06", "--database-url", migrated_url]
    )
    assert reversed_window.exit_code != 0
    assert "筛查时段无效" in reversed_window.output
