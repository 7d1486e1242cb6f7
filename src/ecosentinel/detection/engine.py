"""``screen_point``: the pure per-point entry point (in-process, process pool, Spark applyInArrow)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, Rule
from ecosentinel.detection.catalogue import RULES, rule_class
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.findings import Finding
from ecosentinel.errors import ValidationError
from ecosentinel.readings import READING_SCHEMA

logger = logging.getLogger(__name__)

RuleSpec = str | type[Rule[Any]] | Rule[Any]


def _instances(rules: Sequence[RuleSpec] | None) -> list[Rule[Any]]:
    if rules is None:
        return [cls() for cls in RULES]
    out: list[Rule[Any]] = []
    for spec in rules:
        if isinstance(spec, Rule):
            out.append(spec)
        elif isinstance(spec, str):
            out.append(rule_class(spec)())
        else:
            out.append(spec())
    return out


def _conform(frame: pl.DataFrame, mn: str) -> pl.DataFrame:
    missing = [c for c in READING_SCHEMA if c not in frame.columns]
    if missing:
        raise ValidationError(f"读数表缺少列：{', '.join(missing)}", location="screen_point.frame")
    frame = frame.select([pl.col(c).cast(t) for c, t in READING_SCHEMA.items()])
    others = frame.filter(pl.col("mn") != mn)
    if others.height:
        raise ValidationError(
            f"读数表包含其他点位的数据（{others['mn'][0]}），每次只能筛查一个点位 {mn}",
            location="screen_point.frame",
        )
    return frame


def screen_point(
    frame: pl.DataFrame,
    context: PointContext,
    config: ScreeningConfig | None = None,
    rules: Sequence[RuleSpec] | None = None,
) -> list[Finding]:
    """Run the rules on one monitoring point's readings (READING_SCHEMA, all kinds and sources).

    Pure: no I/O, no global state; ``frame``, ``context`` and ``config`` are picklable. ``rules``
    selects rules by code (``"R01"`` or ``"R01_constant_value"``), class or instance; None = all
    registered rules. Findings come back sorted by start time, then rule code.
    """
    config = config or ScreeningConfig()
    data = PointData(_conform(frame, context.mn), context)
    findings: list[Finding] = []
    for rule in _instances(rules):
        if context.point_type not in rule.point_types:
            continue
        found = rule.screen(data, config)
        logger.debug("%s on %s: %d findings", rule.code, context.mn, len(found))
        findings.extend(found)
    findings.sort(key=lambda f: (f.start, f.rule, f.factors))
    return findings
