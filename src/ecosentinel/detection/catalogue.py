"""The registry of screening rules. Adding a rule = one module in ``rules/`` + one line here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ecosentinel.detection.base import Rule
from ecosentinel.detection.rules.q01_standard_check import StandardCheckRule
from ecosentinel.detection.rules.r01_constant_value import ConstantValueRule
from ecosentinel.detection.rules.r02_zero_negative import ZeroNegativeRule
from ecosentinel.detection.rules.r03_over_range import OverRangeRule
from ecosentinel.detection.rules.r04_post_exceedance_drop import PostExceedanceDropRule
from ecosentinel.detection.rules.r05_dilution import DilutionRule
from ecosentinel.detection.rules.r06_parameter_deviation import ParameterDeviationRule
from ecosentinel.detection.rules.r08_o2_dilution import O2DilutionRule
from ecosentinel.detection.rules.r09_strategic_gap import StrategicGapRule
from ecosentinel.detection.rules.r10_treatment_off import TreatmentOffRule
from ecosentinel.detection.rules.r11_flow_manipulation import FlowManipulationRule
from ecosentinel.detection.rules.r12_bunching import BunchingRule
from ecosentinel.detection.rules.r13_digit_test import DigitTestRule
from ecosentinel.detection.rules.r15_door_camera_correlation import DoorCameraRule
from ecosentinel.detection.rules.r16_flag_abuse import FlagAbuseRule
from ecosentinel.detection.rules.r17_replay import ReplayRule
from ecosentinel.detection.rules.r18_hourly_mismatch import HourlyMismatchRule
from ecosentinel.detection.rules.r19_three_way_mismatch import ThreeWayMismatchRule
from ecosentinel.detection.rules.r20_flat_while_working import FlatWhileWorkingRule
from ecosentinel.errors import NotFoundError

RULES: tuple[type[Rule[Any]], ...] = (
    ConstantValueRule,
    ZeroNegativeRule,
    OverRangeRule,
    PostExceedanceDropRule,
    DilutionRule,
    ParameterDeviationRule,
    O2DilutionRule,
    StrategicGapRule,
    TreatmentOffRule,
    FlowManipulationRule,
    BunchingRule,
    DigitTestRule,
    DoorCameraRule,
    FlagAbuseRule,
    ReplayRule,
    HourlyMismatchRule,
    ThreeWayMismatchRule,
    FlatWhileWorkingRule,
    StandardCheckRule,
)
"""Every rule ``screen_point`` runs by default, in order."""


def rule_class(code: str) -> type[Rule[Any]]:
    """A registered rule by full code (``R01_constant_value``) or short number (``R01``)."""
    for cls in RULES:
        if code in (cls.code, cls.code.split("_", 1)[0]):
            return cls
    raise NotFoundError(f"未知的筛查规则：{code}")


def rule_title(code: str) -> str:
    """The Chinese name of a rule by full code or number (``R10_treatment_off`` → 治理设施停运或标停未停); an
    unknown code (a rule since removed) is named as such, never shown raw alone."""
    try:
        return rule_class(code.strip()).title_zh
    except NotFoundError:
        return f"已停用的规则（{code.split('_', 1)[0]}）"


def rule_titles(codes: str | Sequence[str] | None) -> str:
    """Rule codes (a stored JSON list, or comma-separated text) as their Chinese names."""
    items = (codes or "").split(",") if isinstance(codes, str) or codes is None else list(codes)
    return "、".join(rule_title(c) for c in items if c.strip())


def finding_series(rule: str, factors: Sequence[str]) -> list[str]:
    """The reading codes that show a finding: its own factors, then the context series its rule's evidence
    rests on (``Rule.context_series``, e.g. the treatment power of R10), each once."""
    try:
        context = rule_class(rule.strip()).context_series
    except NotFoundError:
        context = ()
    return list(dict.fromkeys([*factors, *context]))
