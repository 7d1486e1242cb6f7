"""Screening engine (大数据分析筛查): explainable rules over one monitoring point's readings.

Public API::

    screen_point(frame, context, config=None, rules=None) -> list[Finding]
    score_days(findings, contexts, config=None) -> polars.DataFrame
    point_day_warnings(findings, contexts, config=None) -> list[PointDayWarning]
    build_profile(history, context, config=None, budget=0.002) -> PointProfile   # per-point calibration
"""

from ecosentinel.detection.calibration import build_profile, with_profile
from ecosentinel.detection.catalogue import RULES, rule_class
from ecosentinel.detection.config import RuleParams, ScoringConfig, ScreeningConfig
from ecosentinel.detection.context import FactorSpec, PointContext, PointType
from ecosentinel.detection.engine import screen_point
from ecosentinel.detection.findings import Finding, Severity
from ecosentinel.detection.profile import PointProfile
from ecosentinel.detection.scoring import Basis, Colour, PointDayWarning, point_day_warnings, score_days

__all__ = [
    "RULES",
    "Basis",
    "Colour",
    "FactorSpec",
    "Finding",
    "PointContext",
    "PointDayWarning",
    "PointProfile",
    "PointType",
    "RuleParams",
    "ScoringConfig",
    "ScreeningConfig",
    "Severity",
    "build_profile",
    "point_day_warnings",
    "rule_class",
    "score_days",
    "screen_point",
    "with_profile",
]
