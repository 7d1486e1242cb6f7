"""The framework around the rules: configuration layers, validation, purity, picklability."""

import datetime as dt
import pickle

import polars as pl
import pytest

from ecosentinel.detection import (
    RULES,
    FactorSpec,
    PointContext,
    PointType,
    ScreeningConfig,
    rule_class,
    screen_point,
)
from ecosentinel.detection.rules.r01_constant_value import ConstantValueRule
from ecosentinel.errors import NotFoundError, ValidationError
from tests.detection.helpers import MN, frame, series, wavy

CTX = PointContext(
    mn=MN, point_type=PointType.WATER, industry="dyeing", factors={"w01018": FactorSpec(limit=50)}
)

YAML = """
rules:
  R01: {min_identical_hours: 12}
industries:
  dyeing: {R01_constant_value: {min_identical_hours: 18}}
factors:
  w01018: {R01: {min_identical_hours: 20}}
points:
  MN0001: {R01: {band_hours: 10}}
point_factors:
  MN0001: {w01018: {R01: {min_identical_hours: 30}}}
"""


def test_layers_apply_in_order() -> None:
    config = ScreeningConfig.from_yaml(YAML)
    p = config.params_for(ConstantValueRule, CTX, "w01018")
    assert p.min_identical_hours == 30  # point x factor wins
    assert p.band_hours == 10  # point layer
    other = config.params_for(ConstantValueRule, CTX, "w21003")
    assert other.min_identical_hours == 18  # industry beats the global layer
    elsewhere = PointContext(mn="X", point_type=PointType.GAS)
    assert config.params_for(ConstantValueRule, elsewhere, "a21026").min_identical_hours == 12
    assert config.params_for(ConstantValueRule, elsewhere, None).band_fraction == 0.02  # sourced default


def test_from_yaml_reads_a_file(tmp_path: object) -> None:
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    path = tmp_path / "screening.yaml"
    path.write_text(YAML, encoding="utf-8")
    assert ScreeningConfig.from_yaml(path).rules == {"R01": {"min_identical_hours": 12}}


@pytest.mark.parametrize(
    "text",
    [
        "rules: {R99: {x: 1}}",
        "rules: {R01: {no_such_param: 1}}",
        "rules: {R01: {min_identical_hours: not-a-number}}",
        "unknown_section: {}",
        "rules: [1, 2",
    ],
)
def test_bad_yaml_is_a_validation_error(text: str) -> None:
    with pytest.raises(ValidationError):
        ScreeningConfig.from_yaml(text)


def test_disabled_rule_returns_nothing() -> None:
    values = [*wavy(20, 30, 6), *[31.0] * 30]
    data = frame(series("w01018", values))
    assert screen_point(data, CTX, rules=["R01"])
    off = ScreeningConfig(points={MN: {"R01": {"enabled": False}}})
    assert screen_point(data, CTX, off, rules=["R01"]) == []


def test_registry_codes_are_unique_and_documented() -> None:
    codes = [r.code for r in RULES]
    assert len(set(codes)) == len(codes)
    assert len({c.split("_", 1)[0] for c in codes}) == len(codes)
    for rule in RULES:
        assert "Source" in (rule.__doc__ or ""), rule.code
        assert rule.title_zh
        assert rule.title_en
        rule.params_model()  # defaults validate
    assert rule_class("R04").code == "R04_post_exceedance_drop"
    with pytest.raises(NotFoundError):
        rule_class("R99")


def test_frame_of_another_point_is_rejected() -> None:
    with pytest.raises(ValidationError):
        screen_point(frame(series("w01018", [1.0, 2.0], mn="OTHER")), CTX)


def test_frame_missing_a_column_is_rejected() -> None:
    with pytest.raises(ValidationError):
        screen_point(pl.DataFrame({"mn": [MN]}), CTX)


def test_context_rejects_bad_event_frame() -> None:
    with pytest.raises(ValidationError):
        PointContext(mn=MN, point_type=PointType.WATER, events=pl.DataFrame({"mn": [MN]}))


def test_everything_pickles_and_findings_are_stable() -> None:
    values = [*wavy(20, 30, 6), *[31.0] * 30]
    data = frame(series("w01018", values))
    config = ScreeningConfig.from_yaml(YAML)
    first = screen_point(data, CTX, config)
    again = screen_point(*pickle.loads(pickle.dumps((data, CTX, config))))
    assert [f.to_dict() for f in first] == [f.to_dict() for f in again]
    assert pickle.loads(pickle.dumps(first)) == first
    assert first[0].id == again[0].id


def test_all_rules_run_on_an_empty_and_a_mixed_frame() -> None:
    empty = frame(series("w01018", []))
    assert screen_point(empty, CTX) == []
    mixed = frame(
        series("w01018", wavy(100, 30, 6)),
        series("w01018", wavy(30, 30, 6), kind="minute", step=dt.timedelta(minutes=1)),
        series("w01018", wavy(10, 30, 6), kind="rtd", source="analyser"),
        series("w00000", [None] * 100),
        series("wc_prod_kw", [0.0] * 100),
    )
    assert screen_point(mixed, CTX) == []
