"""The registry of screening rules. Adding a rule = one module in ``rules/`` + one line here."""

from __future__ import annotations

from typing import Any

from ecosentinel.errors import NotFoundError
from ecosentinel.screening.base import Rule
from ecosentinel.screening.rules.r01_constant_value import ConstantValueRule

RULES: tuple[type[Rule[Any]], ...] = (ConstantValueRule,)
"""Every rule ``screen_point`` runs by default, in order."""


def rule_class(code: str) -> type[Rule[Any]]:
    """A registered rule by full code (``R01_constant_value``) or short number (``R01``)."""
    for cls in RULES:
        if code in (cls.code, cls.code.split("_", 1)[0]):
            return cls
    raise NotFoundError(f"未知的筛查规则：{code}")
