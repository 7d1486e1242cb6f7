"""Approved rule adjustments reach screening: raised thresholds as per-point parameters, caps on contexts."""

from __future__ import annotations

from ecosentinel.detection import PointContext, PointType, ScreeningConfig
from ecosentinel.detection.rules.r01_constant_value import ConstantValueRule
from ecosentinel.screening.adjustments import Adjustment
from ecosentinel.screening.service import apply_adjustments


def test_adjustments_become_point_parameters_and_caps() -> None:
    contexts = {
        "A": PointContext(mn="A", point_type=PointType.WATER),
        "B": PointContext(mn="B", point_type=PointType.WATER),
    }
    base = ScreeningConfig()
    default = base.params_for(ConstantValueRule, contexts["A"], None)
    adjustments = {
        "A": {
            "R01_constant_value": Adjustment(
                mn="A",
                rule="R01_constant_value",
                cap_yellow=True,
                params={"min_identical_hours": 48.0},
                adjustment_ids=(3,),
            ),
            "R05_dilution": Adjustment(mn="A", rule="R05_dilution", cap_yellow=True, adjustment_ids=(4,)),
        }
    }
    config, adjusted = apply_adjustments(base, contexts, adjustments)
    assert adjusted["A"].yellow_capped_rules == frozenset({"R01_constant_value", "R05_dilution"})
    assert adjusted["B"].yellow_capped_rules == frozenset()
    assert config is not None
    assert config.params_for(ConstantValueRule, adjusted["A"], None).min_identical_hours == 48.0
    assert config.params_for(ConstantValueRule, adjusted["B"], None) == default
    assert default.min_identical_hours != 48.0


def test_no_adjustments_change_nothing() -> None:
    contexts = {"A": PointContext(mn="A", point_type=PointType.WATER)}
    config, adjusted = apply_adjustments(None, contexts, {})
    assert config is None
    assert adjusted == contexts
