"""String enums of O&M supervision (stable lowercase values, stored in the database)."""

from __future__ import annotations

from enum import StrEnum

from ecosentinel.detection.context import OMKind


class RecordKind(StrEnum):
    """What an O&M visit did (运维内容), as filed in the electronic maintenance record (电子运维记录)."""

    CALIBRATION = "calibration"  # 校准
    CLEANING = "cleaning"  # 清洗
    PART_REPLACEMENT = "part_replacement"  # 更换部件
    REPAIR = "repair"  # 故障维修
    STANDARD_CHECK = "standard_check"  # 标样核查
    INSPECTION = "inspection"  # 巡检
    MAINTENANCE = "maintenance"  # 其他维护


SCREENING_KIND: dict[RecordKind, OMKind] = {
    RecordKind.CALIBRATION: OMKind.CALIBRATION,
    RecordKind.STANDARD_CHECK: OMKind.CALIBRATION,
    RecordKind.CLEANING: OMKind.CLEANING,
    RecordKind.REPAIR: OMKind.REPAIR,
    RecordKind.PART_REPLACEMENT: OMKind.REPAIR,
    RecordKind.INSPECTION: OMKind.MAINTENANCE,
    RecordKind.MAINTENANCE: OMKind.MAINTENANCE,
}
"""How each record kind appears to the screening rules (OM_SCHEMA ``kind``)."""


class FaultStatus(StrEnum):
    OPEN = "open"  # 待修复
    REPAIRED = "repaired"  # 已修复


class PartAction(StrEnum):
    """Spare-part movements (备品备件)."""

    RECEIVED = "received"  # 入库
    INSTALLED = "installed"  # 更换安装
    RETURNED = "returned"  # 退回


class ViolationKind(StrEnum):
    """Confirmed misconduct involving an agency; ``falsification`` triggers the one-vote veto (一票否决)."""

    FALSIFICATION = "falsification"  # 参与弄虚作假（一票否决）
    RULE_BREACH = "rule_breach"  # 违反运维规范


class Grade(StrEnum):
    """Credit grade of an O&M agency for a quarter (环境信用等级)."""

    A = "A"  # 诚信
    B = "B"  # 良好
    C = "C"  # 警示
    D = "D"  # 不良


TIMELY_HOURS = 24.0
"""A maintenance record is timely when filed within this many hours of the end of the visit (seed 004)."""
