"""Stable lowercase string enums of the registry."""

from __future__ import annotations

from enum import StrEnum


class PointType(StrEnum):
    """What a monitoring point (监测点位) measures."""

    WATER = "water"  # 废水
    GAS = "gas"  # 废气


class KeyCategory(StrEnum):
    """Key-unit category (重点排污单位类别): on the water list, the air list, or both."""

    WATER = "water"  # 水环境重点排污单位
    GAS = "gas"  # 大气环境重点排污单位
    BOTH = "water_gas"


class PermitStatus(StrEnum):
    """State of a permit record."""

    APPLIED = "applied"  # 申请中
    ISSUED = "issued"  # 已核发
    REVOKED = "revoked"  # 已注销


class MeterKind(StrEnum):
    """What a meter measures."""

    WORKING_CONDITION = "working_condition"  # 工况监控
    ELECTRICITY = "electricity"  # 用电监控


class FacilityType(StrEnum):
    """Which facility a meter watches."""

    PRODUCTION = "production"  # 生产设施
    TREATMENT = "treatment"  # 治理设施
