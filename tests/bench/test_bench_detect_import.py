"""``bench detect-import``: a real background through registry and readings import and ``ecosentinel screen``.

Needs the public series in /work/shared/data (CI has them); skipped cleanly when that folder is absent.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from ecosentinel.bench.detect_backgrounds import load_background
from ecosentinel.bench.detect_import import (
    BackgroundScore,
    Case,
    build_cases,
    label_rows,
    readings_of,
    registry_of,
    report,
    run,
    score_cases,
)
from ecosentinel.bench.detect_metrics import label_days
from ecosentinel.cli import app
from ecosentinel.registry.yaml_file import load_registry_file
from ecosentinel.simulator.models import Label

DATA = Path("/work/shared/data")

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"real public series absent: {DATA} not found")


@pytest.fixture(scope="module")
def epa_cases() -> list[Case]:
    bg = load_background("epa-cems", DATA, 300)
    return build_cases(bg, points=2, days=60, spacing=10, rng=np.random.default_rng(1), prefix="B0")


def test_cases_hold_one_injection_every_spacing_days_after_a_week(epa_cases: list[Case]) -> None:
    assert [c.mn for c in epa_cases] == ["B0000000000001", "B0000000000002"]
    # the first unit is a peaking turbine (runs 3-13 % of hours): nowhere to place most scenarios
    assert [c.series for c in epa_cases] == ["GA_55304-CT4", "GA_703-2BLR"]
    assert len(epa_cases[1].labels) in (4, 5)  # slots from day 7 every 10 days: 7, 17, 27, 37, 47
    for c in epa_cases:
        assert len(c.days) == 60
        assert len(c.labels) <= 5
        first = dt.datetime.combine(c.days[0], dt.time(0), tzinfo=dt.timezone(dt.timedelta(hours=8)))
        assert all(lab.start >= first + dt.timedelta(days=7) for lab in c.labels)
        assert len({lab.scenario for lab in c.labels}) == len(c.labels)  # round robin, no repeat yet
        assert all(lab.severity == 1.0 for lab in c.labels)


def test_files_are_the_documented_import_formats(epa_cases: list[Case], tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(registry_of(epa_cases), allow_unicode=True), encoding="utf-8")
    parsed = load_registry_file(path)  # what ``ecosentinel import registry`` reads and validates
    point = parsed.enterprises[0].points[0]
    assert point.type == "gas"
    assert point.ref_o2 == 6.0
    assert {f.code for f in point.factors} >= {"a21002", "a19001"}
    frame = readings_of(epa_cases, with_zs=False)
    assert frame.columns == ["mn", "time", "kind", "code", "value", "flag"]
    assert set(frame["mn"].unique().to_list()) == {"B0000000000001", "B0000000000002"}
    with_zs = readings_of(epa_cases, with_zs=True)
    assert with_zs.filter(pl.col("code") == "a21002")["zs"].drop_nulls().len() > 0


def test_scoring_counts_clean_days_spill_over_and_red_precision() -> None:
    day = dt.date(2024, 3, 10)
    cst = dt.timezone(dt.timedelta(hours=8))
    label = Label(
        "M",
        "constant_value",
        dt.datetime(2024, 3, 11, tzinfo=cst),
        dt.datetime(2024, 3, 12, tzinfo=cst),
        ("x",),
        1.0,
    )
    case = Case("bg", "M", None, [label], [day + dt.timedelta(days=k) for k in range(5)])  # type: ignore[arg-type]
    pos, _ = label_days(label)
    assert pos == {dt.date(2024, 3, 11)}
    stored = {
        ("M", dt.date(2024, 3, 10)): (
            "yellow",
            ["R01_constant_value"],
        ),  # the run began at 23:00 the day before
        ("M", dt.date(2024, 3, 11)): ("red", ["R01_constant_value"]),
        ("M", dt.date(2024, 3, 13)): ("red", ["R17_replay"]),  # a false alarm on a clean day
    }
    spans = {
        "M": [
            (dt.datetime(2024, 3, 10, 23, tzinfo=cst), dt.datetime(2024, 3, 12, tzinfo=cst)),
            (dt.datetime(2024, 3, 13, 2, tzinfo=cst), dt.datetime(2024, 3, 13, 9, tzinfo=cst)),
        ]
    }
    s = score_cases([case], stored, spans)
    assert (s.clean_days, s.clean_flagged, s.clean_red, s.clean_spill) == (4, 1, 1, 1)
    assert (s.red_true, s.red_all) == (1, 2)
    assert (s.labels["constant_value"], s.detected["constant_value"]) == (1, 1)
    assert s.clean_rules == {"R17_replay": 1}
    assert isinstance(s, BackgroundScore)
    [row] = label_rows([case], stored).to_dicts()
    assert (row["scenario"], row["found"]) == ("constant_value", True)
    assert row["days"] == "2024-03-11 red R01_constant_value"
    missed = label_rows([case], {})  # nothing stored: the label is listed, not found, its day green
    assert missed["found"].to_list() == [False]
    assert missed["days"].to_list() == ["2024-03-11 green -"]


def test_end_to_end_through_the_cli(tmp_path: Path) -> None:
    # one Danish inflow point, 40 days: imported and screened by the real commands in a fresh data directory
    result = run(
        DATA, ["dk-wwtp-inflow"], points=1, days=40, spacing=10, seed=5, with_zs=False, work=tmp_path
    )
    assert (tmp_path / "data" / "ecosentinel.db").exists()
    registry = yaml.safe_load((tmp_path / "registry.yaml").read_text(encoding="utf-8"))
    assert registry["enterprises"][0]["points"][0]["type"] == "water"
    [score] = result.scores
    assert score.points == 1
    assert score.point_days == 40
    assert sum(score.labels.values()) == 3  # days 7, 17, 27 (a slot needs 10 days)
    assert score.clean_days > 20
    assert set(result.seconds) == {"import registry", "import readings", "screen"}
    labels = pl.read_csv(tmp_path / "labels.csv")  # every label, found or not, for reading the misses
    assert labels.height == 3
    assert labels["found"].sum() == score.detected.total()
    assert set(labels["scenario"]) == set(score.labels)
    text = report(result)
    assert "| dk-wwtp-inflow | 1 | 40 |" in text
    assert "bench detect-import --backgrounds dk-wwtp-inflow --points 1 --days 40" in text


def test_an_unknown_background_is_refused_in_one_line(tmp_path: Path) -> None:
    args = ["bench", "detect-import", "--backgrounds", "epa-cems,nope", "--work", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--no-write-docs"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert "未知的背景数据：nope" in lines[0]
    assert not (tmp_path / "data").exists()  # refused before anything is imported
