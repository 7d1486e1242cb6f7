"""``ecosentinel registry …`` commands on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ecosentinel.cli import app
from tests.registry.sample import REGISTRY_YAML


def test_import_export_permits_and_compare(migrated_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    source = tmp_path / "registry.yaml"
    source.write_text(REGISTRY_YAML, encoding="utf-8")
    result = runner.invoke(app, ["registry", "import", str(source), "--database-url", migrated_url])
    assert result.exit_code == 0, result.output
    assert "企业 2" in result.output
    book = tmp_path / "out.xlsx"
    result = runner.invoke(app, ["registry", "export", str(book), "--database-url", migrated_url])
    assert result.exit_code == 0, result.output
    assert book.stat().st_size > 0
    result = runner.invoke(app, ["registry", "import", str(book), "--database-url", migrated_url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app, ["registry", "pre-issue", "91330400MA2B00001P001V", "--database-url", migrated_url]
    )
    assert result.exit_code == 2
    assert "暂不宜核发" in result.output
    assert "DW002" in result.output
    result = runner.invoke(app, ["registry", "compare", "w01018", "20", "26"])
    assert result.exit_code == 0
    assert "不合格" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(REGISTRY_YAML.replace('pw: "654321"', "pw: 654321"), encoding="utf-8")
    result = runner.invoke(app, ["registry", "import", str(bad), "--database-url", migrated_url])
    assert result.exit_code == 1
    assert "访问密码" in result.output
