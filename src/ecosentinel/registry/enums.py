"""Stable lowercase string enums of the registry."""

from __future__ import annotations

from enum import StrEnum


class PointType(StrEnum):
    """What a monitoring point (监测点位) measures."""

    WATER = "water"  # 废水
    GAS = "gas"  # 废气
