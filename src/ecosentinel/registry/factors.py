"""Names and usual units of common HJ 212-2017 factor codes, used when the registry file gives none."""

from __future__ import annotations

FACTOR_NAMES: dict[str, tuple[str, str | None]] = {
    "w01018": ("化学需氧量", "mg/L"),
    "w21003": ("氨氮", "mg/L"),
    "w21011": ("总磷", "mg/L"),
    "w21001": ("总氮", "mg/L"),
    "w01001": ("pH值", None),
    "w00000": ("废水流量", "L/s"),
    "w01010": ("水温", "℃"),
    "w01014": ("电导率", "μS/cm"),
    "a21026": ("二氧化硫", "mg/m³"),
    "a21002": ("氮氧化物", "mg/m³"),
    "a21003": ("一氧化氮", "mg/m³"),
    "a21004": ("二氧化氮", "mg/m³"),
    "a21005": ("一氧化碳", "mg/m³"),
    "a34013": ("颗粒物", "mg/m³"),
    "a19001": ("氧含量", "%"),
    "a01011": ("烟气流速", "m/s"),
    "a01012": ("烟气温度", "℃"),
    "a01013": ("烟气压力", "kPa"),
    "a01014": ("烟气湿度", "%"),
    "a00000": ("废气流量", "m³/s"),
    "a24088": ("非甲烷总烃", "mg/m³"),
}
