"""Files written by the simulator: readable back with the READING_SCHEMA types and by the importers."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ecosentinel.cli import app
from ecosentinel.errors import ValidationError
from ecosentinel.readings import READING_SCHEMA
from ecosentinel.registry.yaml_file import load_registry_file
from ecosentinel.simulator import ScenarioSpec, SimulationResult, simulate, write_outputs
from ecosentinel.simulator.cli import parse_scenario
from ecosentinel.simulator.outputs import CSV_COLUMNS, read_labels
from ecosentinel.store.importer import read_readings_csv
from tests.simulator.helpers import config


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationResult]:
    result = simulate(
        config(ScenarioSpec("parameter_change", station=0), ScenarioSpec("tap_water_night", station=1))
    )
    out = tmp_path_factory.mktemp("sim")
    write_outputs(result, out)
    return out, result


def test_csv_reads_back_with_the_reading_schema(written: tuple[Path, SimulationResult]) -> None:
    out, result = written
    assert (out / "readings.csv").read_text(encoding="utf-8").splitlines()[0] == ",".join(CSV_COLUMNS)
    frame = pl.read_csv(
        out / "readings.csv",
        schema={c: pl.Utf8() if c == "time" else READING_SCHEMA[c] for c in CSV_COLUMNS},
    ).with_columns(pl.col("time").str.to_datetime("%Y-%m-%dT%H:%M:%S%:z").dt.convert_time_zone("UTC"))
    assert "+08:00" in (out / "readings.csv").read_text(encoding="utf-8")[:200]
    expected = result.readings.select(CSV_COLUMNS)
    assert frame.equals(expected.cast({"time": pl.Datetime("us", "UTC")}))


def test_parquet_keeps_every_column(written: tuple[Path, SimulationResult]) -> None:
    out, result = written
    assert pl.read_parquet(out / "readings.parquet").equals(result.readings)


def test_registry_and_readings_go_through_the_importers(written: tuple[Path, SimulationResult]) -> None:
    out, result = written
    registry = load_registry_file(out / "registry.yaml")
    mns = [p.mn for e in registry.enterprises for p in e.points]
    assert sorted(mns) == sorted(result.station_mns)
    factors_only = out / "factors.csv"
    pl.read_csv(out / "readings.csv", infer_schema=False).filter(
        ~pl.col("code").str.starts_with("wc_")
    ).write_csv(factors_only)
    imported = read_readings_csv(factors_only, known_mns=mns)
    original = result.readings.filter(~pl.col("code").str.starts_with("wc_"))
    assert imported.height == original.height
    # the flue-gas converted values (and Min/Max/Cou) come through the import too
    keys = ["mn", "time", "kind", "code", "source"]
    both = imported.join(original, on=keys, suffix="_sim")
    assert both.height == original.height
    assert original["zs"].drop_nulls().len() > 0
    for c in ("zs", "vmin", "vmax", "cou"):
        assert both[c].equals(both[f"{c}_sim"], check_names=False), c


def test_jsonl_side_records(written: tuple[Path, SimulationResult]) -> None:
    out, result = written
    labels = read_labels(out / "labels.jsonl")
    assert labels == result.labels
    first = json.loads((out / "labels.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"mn", "scenario", "start", "end", "codes", "severity"}
    assert first["start"].endswith("+08:00")
    for name, frame in [
        ("events", result.events),
        ("om_records", result.om_records),
        ("filed_parameters", result.filed_parameters),
        ("parameter_uploads", result.parameter_uploads),
        ("episodes", result.episodes),
    ]:
        lines = (out / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        assert len(lines) == frame.height, name
        assert set(json.loads(lines[0])) == set(frame.columns), name
    event = json.loads((out / "events.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert event["type"] in {
        "door_open",
        "door_close",
        "camera_offline",
        "camera_online",
        "camera_moved",
        "video_lost",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dilution", ScenarioSpec("dilution")),
        ("dilution:0.5", ScenarioSpec("dilution", severity=0.5)),
        ("dilution@2", ScenarioSpec("dilution", station=2)),
        ("dilution@2:0.5", ScenarioSpec("dilution", station=2, severity=0.5)),
        (
            "replay@330400000000000011000001",
            ScenarioSpec("replay", station="330400000000000011000001"),
        ),
    ],
)
def test_parse_scenario(text: str, expected: ScenarioSpec) -> None:
    assert parse_scenario(text) == expected


@pytest.mark.parametrize("text", ["", ":0.5", "dilution:high"])
def test_parse_scenario_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_scenario(text)


def test_cli_writes_files(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["simulate", "--water", "1", "--gas", "1", "--days", "2", "--seed", "4"]
    result = runner.invoke(app, [*args, "--scenario", "zs_mismatch@1:0.5", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "已生成 2 个站点" in result.output
    [label] = read_labels(tmp_path / "labels.jsonl")
    assert label.scenario == "zs_mismatch"
    assert label.severity == 0.5
    for name in ("readings.csv", "readings.parquet", "registry.yaml", "om_records.jsonl"):
        assert (tmp_path / name).stat().st_size > 0, name
    for name in ("events.jsonl", "filed_parameters.jsonl", "parameter_uploads.jsonl", "episodes.jsonl"):
        assert (tmp_path / name).exists(), name


def test_cli_refuses_unknown_scenarios(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["simulate", "--days", "1", "--scenario", "bribery", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "未知的造假场景" in result.output
