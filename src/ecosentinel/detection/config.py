"""Screening configuration: rule parameters with layered overrides, and the scoring weights.

Layers, later wins: the rule's sourced defaults < ``rules`` (everywhere) < ``industries[industry]``
< ``factors[code]`` < ``points[mn]`` < ``point_factors[mn][code]``. A rule is named by its full code
(``R01_constant_value``) or its short number (``R01``). Every rule's parameters include ``enabled``.

Example YAML::

    rules:
      R01: {min_identical_hours: 12}
    industries:
      printing_dyeing: {R04: {drop_ratio: 0.6}}
    factors:
      a21026: {R01: {min_identical_hours: 48}}
    points:
      "010000A8900016F000169DC0": {R09: {enabled: false}}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr
from pydantic import ValidationError as PydanticValidationError

from ecosentinel.detection.findings import Severity
from ecosentinel.errors import ValidationError

if TYPE_CHECKING:
    from ecosentinel.detection.base import Rule
    from ecosentinel.detection.context import PointContext

RuleOverrides = dict[str, dict[str, Any]]
"""rule code -> parameter name -> value."""


class RuleParams(BaseModel):
    """Base of every rule's parameter model. Subclasses give sourced defaults and say where from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True


P = TypeVar("P", bound=RuleParams)


class ScoringConfig(BaseModel):
    """Weights and cut-offs that turn findings into green/yellow/red (docs/screening.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_weights: dict[str, float] = Field(default_factory=dict)
    """Per-rule weight (full code or short number); rules not named weigh ``default_rule_weight``."""
    default_rule_weight: float = 1.0
    severity_weights: dict[Severity, float] = Field(
        default_factory=lambda: {Severity.LOW: 0.4, Severity.MEDIUM: 0.7, Severity.HIGH: 1.0}
    )
    maintenance_with_record: float = 0.5
    """Multiplier for a finding inside a declared maintenance window that has a matching O&M record."""
    maintenance_without_record: float = 1.5
    """Multiplier for a finding inside a declared maintenance window with no O&M record at all."""
    marked_period: float = 0.5
    """Multiplier for a finding overlapping an approved data mark (数据标记) of its point or factor."""
    yellow_at: float = 0.3
    red_at: float = 0.7
    fusion: bool = True
    """Evidence fusion (scoring.py): red needs a standalone finding or two independent families."""
    corroboration_min_weight: float = 0.25
    """[P] an evidence family corroborates only when its combined weight on the day reaches this
    (one medium finding of score >= 0.36; a low finding alone never does)."""
    standalone_min_weight: float = 0.5
    """[P] a standalone (physically grounded) finding sets red only with at least this weight itself."""
    rule_families: dict[str, str] = Field(default_factory=dict)
    """Re-assign a rule (full or short code) to an evidence family (evidence.Family values)."""


class ScreeningConfig(BaseModel):
    """Layered rule-parameter overrides plus scoring. Picklable; load with ``from_yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: RuleOverrides = Field(default_factory=dict)
    industries: dict[str, RuleOverrides] = Field(default_factory=dict)
    factors: dict[str, RuleOverrides] = Field(default_factory=dict)
    points: dict[str, RuleOverrides] = Field(default_factory=dict)
    point_factors: dict[str, dict[str, RuleOverrides]] = Field(default_factory=dict)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)

    _cache: dict[tuple[str, str, str | None, str | None], RuleParams] = PrivateAttr(default_factory=dict)

    @classmethod
    def from_yaml(cls, source: str | Path) -> ScreeningConfig:
        """Load from a YAML file path or YAML text, and check it against the registered rules."""
        if isinstance(source, Path) or (
            isinstance(source, str) and "\n" not in source and source.endswith((".yaml", ".yml"))
        ):
            path = Path(source)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValidationError(f"无法读取筛查配置：{exc}", location=str(path)) from exc
            location = str(path)
        else:
            text, location = str(source), "<yaml>"
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ValidationError(f"筛查配置不是有效的 YAML：{exc}", location=location) from exc
        try:
            config = cls.model_validate(raw)
        except PydanticValidationError as exc:
            raise ValidationError(f"筛查配置格式错误：{exc}", location=location) from exc
        # Function-level: the catalogue imports every rule, and every rule imports this module.
        from ecosentinel.detection.catalogue import RULES

        config.check(RULES)
        return config

    def check(self, rules: Iterable[type[Rule[Any]]]) -> None:
        """Raise ValidationError if an override names an unknown rule or an invalid parameter."""
        by_key: dict[str, type[Rule[Any]]] = {}
        for rule in rules:
            by_key[rule.code] = rule
            by_key[rule.code.split("_", 1)[0]] = rule
        for where, overrides in self._layers_for_check():
            for key, params in overrides.items():
                found = by_key.get(key)
                if found is None:
                    raise ValidationError(f"未知的筛查规则：{key}", location=where)
                try:
                    found.params_model.model_validate(params)
                except PydanticValidationError as exc:
                    raise ValidationError(f"规则 {key} 的参数无效：{exc}", location=where) from exc

    def _layers_for_check(self) -> Iterable[tuple[str, RuleOverrides]]:
        yield "rules", self.rules
        for name, layer in (
            ("industries", self.industries),
            ("factors", self.factors),
            ("points", self.points),
        ):
            for key, overrides in layer.items():
                yield f"{name}.{key}", overrides
        for mn, per_factor in self.point_factors.items():
            for code, overrides in per_factor.items():
                yield f"point_factors.{mn}.{code}", overrides

    def params_for(self, rule: type[Rule[P]] | Rule[P], context: PointContext, factor: str | None) -> P:
        """The rule's parameters for this point (and factor), all layers applied."""
        key = (rule.code, context.mn, context.industry, factor)
        cached = self._cache.get(key)
        if cached is None:
            merged: dict[str, Any] = {}
            layers: list[RuleOverrides | None] = [
                self.rules,
                self.industries.get(context.industry) if context.industry else None,
                self.factors.get(factor) if factor else None,
                self.points.get(context.mn),
                self.point_factors.get(context.mn, {}).get(factor) if factor else None,
            ]
            for layer in layers:
                merged.update(_pick(layer, rule.code))
            try:
                cached = rule.params_model.model_validate(merged)
            except PydanticValidationError as exc:
                raise ValidationError(f"规则 {rule.code} 的参数无效：{exc}", location=context.mn) from exc
            self._cache[key] = cached
        params: P = cached  # type: ignore[assignment]  # cache is keyed by rule code, so the type matches
        return params


def _pick(layer: Mapping[str, Mapping[str, Any]] | None, code: str) -> dict[str, Any]:
    if not layer:
        return {}
    out: dict[str, Any] = {}
    out.update(layer.get(code.split("_", 1)[0], {}))
    out.update(layer.get(code, {}))
    return out
