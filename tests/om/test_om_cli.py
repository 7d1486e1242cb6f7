"""``ecosentinel om rate|ranking`` and ``ecosentinel evaluate`` against a real database."""

from __future__ import annotations

import json

import sqlalchemy as sa
from typer.testing import CliRunner

from ecosentinel.cli import app
from ecosentinel.database import session_factory
from tests.om.helpers import make_registry


def test_rate_ranking_and_evaluate(engine: sa.Engine, migrated_url: str) -> None:
    with session_factory(engine)() as session:
        make_registry(session)
    runner = CliRunner()
    before = runner.invoke(app, ["om", "ranking", "--database-url", migrated_url])
    assert before.exit_code == 0, before.output
    assert "尚未公布" in before.output

    rated = runner.invoke(
        app, ["om", "rate", "--quarter", "2026Q3", "--publish", "--database-url", migrated_url]
    )
    assert rated.exit_code == 0, rated.output
    assert "2026Q3 运维考核完成：2 家运维单位" in rated.output
    assert "已公布" in rated.output

    ranking = runner.invoke(app, ["om", "ranking", "--format", "jsonl", "--database-url", migrated_url])
    rows = [json.loads(line) for line in ranking.output.splitlines()]
    assert [r["quarter"] for r in rows] == ["2026Q3", "2026Q3"]
    assert {r["agency_name"] for r in rows} == {"嘉兴运维甲公司", "嘉兴运维乙公司"}

    evaluated = runner.invoke(app, ["evaluate", "--period", "2026-09", "--database-url", migrated_url])
    assert evaluated.exit_code == 0, evaluated.output
    assert "2026-09 企业评价完成：2 家企业" in evaluated.output

    bad = runner.invoke(app, ["om", "rate", "--quarter", "2026-3", "--database-url", migrated_url])
    assert bad.exit_code == 1
    assert "季度格式" in bad.output
