"""HJ 212 code tables: factors (监测因子) with their 2005 codes, commands (CN), systems (ST), reply codes.

Factor data follow HJ 212-2017 appendix B (units, data type ``Nx.y`` giving the default decimals ``y``)
and its column of the former HJ/T 212-2005 codes; cross-checked with a public transcription of the table
(srdgame/lua-HJ212 ``hj212.csv``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "CODE_2005_TO_2017",
    "COMMANDS",
    "FACTORS",
    "INFO_IDS",
    "NUMERIC_FIELDS",
    "SYSTEMS",
    "ExeRtn",
    "FactorInfo",
    "Medium",
    "QnRtn",
    "normalise_code",
]

Medium = Literal["water", "gas"]


@dataclass(frozen=True, slots=True)
class FactorInfo:
    """One monitoring factor (监测因子)."""

    code: str  # HJ 212-2017 code
    name: str  # Chinese name
    unit: str  # unit of the concentration / value
    medium: Medium
    decimals: int  # default decimals (from the standard's data type Nx.y)
    code_2005: str | None = None
    cou_unit: str | None = None  # unit of the -Cou cumulative amount, when the factor has one


def _w(
    code: str, name: str, unit: str, dec: int, c05: str | None = None, cou: str | None = None
) -> FactorInfo:
    return FactorInfo(code, name, unit, "water", dec, c05, cou)


def _a(
    code: str, name: str, unit: str, dec: int, c05: str | None = None, cou: str | None = None
) -> FactorInfo:
    return FactorInfo(code, name, unit, "gas", dec, c05, cou)


_FACTOR_LIST: Final = (
    # wastewater (废水)
    _w("w00000", "污水流量", "L/s", 2, "B01", "m³"),
    _w("w01001", "pH值", "无量纲", 2, "001"),
    _w("w01002", "色度", "倍", 2, "002"),
    _w("w01009", "溶解氧", "mg/L", 1),
    _w("w01010", "水温", "℃", 1),
    _w("w01012", "悬浮物", "mg/L", 0, "003", "kg"),
    _w("w01014", "电导率", "μS/cm", 1),
    _w("w01017", "五日生化需氧量", "mg/L", 1, "010", "kg"),
    _w("w01018", "化学需氧量", "mg/L", 1, "011", "kg"),
    _w("w01019", "高锰酸盐指数", "mg/L", 1, None, "kg"),
    _w("w01020", "总有机碳", "mg/L", 1, "015", "kg"),
    _w("w20111", "总汞", "μg/L", 2, "020", "g"),
    _w("w20115", "总镉", "μg/L", 1, "022", "g"),
    _w("w20116", "总铬", "mg/L", 3, "023", "kg"),
    _w("w20117", "六价铬", "μg/L", 3, "024", "g"),
    _w("w20119", "总砷", "μg/L", 3, "026", "g"),
    _w("w20120", "总铅", "μg/L", 0, "027", "g"),
    _w("w20121", "总镍", "mg/L", 2, "028", "kg"),
    _w("w20122", "总铜", "mg/L", 2, "029", "kg"),
    _w("w20123", "总锌", "mg/L", 3, "030", "kg"),
    _w("w21001", "总氮", "mg/L", 2, "065", "kg"),
    _w("w21003", "氨氮", "mg/L", 2, "060", "kg"),
    _w("w21011", "总磷", "mg/L", 2, "101", "kg"),
    _w("w21016", "氰化物", "mg/L", 3, "070", "kg"),
    _w("w21017", "氟化物", "mg/L", 2, "072", "kg"),
    _w("w22001", "石油类", "mg/L", 2, "080", "kg"),
    _w("w23002", "挥发酚", "mg/L", 4, "110", "kg"),
    # flue gas (废气)
    _a("a00000", "废气流量", "m³/s", 1, "B02", "m³"),
    _a("a01011", "烟气流速", "m/s", 2, "S02"),
    _a("a01012", "烟气温度", "℃", 1, "S03"),
    _a("a01013", "烟气压力", "kPa", 3, "S08"),
    _a("a01014", "烟气湿度", "%", 1, "S05"),
    _a("a01015", "制冷温度", "℃", 1, "S06"),
    _a("a01016", "烟道截面积", "m²", 2, "S07"),
    _a("a01017", "烟气动压", "kPa", 3, "S04"),
    _a("a05001", "二氧化碳", "mg/m³", 3, "30", "kg"),
    _a("a19001", "氧气含量", "%", 1, "S01"),
    _a("a21001", "氨", "mg/m³", 3, "10", "kg"),
    _a("a21002", "氮氧化物", "mg/m³", 1, "03", "kg"),
    _a("a21003", "一氧化氮", "mg/m³", 1, None, "kg"),
    _a("a21004", "二氧化氮", "mg/m³", 1, None, "kg"),
    _a("a21005", "一氧化碳", "mg/m³", 3, "04", "kg"),
    _a("a21024", "氯化氢", "mg/m³", 3, "08", "kg"),
    _a("a21026", "二氧化硫", "mg/m³", 2, "02", "kg"),
    _a("a21028", "硫化氢", "mg/m³", 2, "05", "kg"),
    _a("a24087", "碳氢化合物", "mg/m³", 2, "25", "kg"),
    _a("a24088", "非甲烷总烃", "mg/m³", 3, None, "kg"),
    _a("a25002", "苯", "mg/m³", 3, None, "kg"),
    _a("a25003", "甲苯", "mg/m³", 2, "17", "kg"),
    _a("a25005", "二甲苯", "mg/m³", 2, "18", "kg"),
    _a("a34013", "颗粒物（烟尘）", "mg/m³", 0, "01", "kg"),
)

FACTORS: Final = MappingProxyType({f.code: f for f in _FACTOR_LIST})
"""Factor code (2017) -> FactorInfo."""

CODE_2005_TO_2017: Final = MappingProxyType({f.code_2005: f.code for f in _FACTOR_LIST if f.code_2005})
"""HJ/T 212-2005 factor code -> HJ 212-2017 code."""

_NORMALISE = dict(CODE_2005_TO_2017)


def normalise_code(code: str) -> str:
    """The HJ 212-2017 form of a factor code: 2005 codes are mapped, anything else is returned unchanged."""
    return _NORMALISE.get(code, code)


NUMERIC_FIELDS: Final = frozenset({"Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg", "ZsMin", "ZsMax"})
"""Field suffixes whose values are numbers; all others (Flag, EFlag, SampleTime, Info …) stay text."""

INFO_IDS: Final = MappingProxyType(
    {
        "i11001": "运行日志",
        "i12001": "工作状态",
        "i12002": "分析仪与数采仪通讯状态",
        "i12003": "分析仪报警状态",
        "i13001": "测量量程",
        "i13002": "测量精度",
        "i13003": "测量间隔",
        "i13004": "消解温度",
        "i13005": "消解时长",
        "i13006": "校准时间",
        "i13007": "截距",
        "i13008": "斜率",
        "i13009": "测量检出限",
    }
)
"""Dynamic-control InfoId (现场端信息编码) -> Chinese name: logs i11xxx, states i12xxx, parameters i13xxx."""

COMMANDS: Final = MappingProxyType(
    {
        "1011": "提取现场机时间",
        "1012": "设置现场机时间",
        "1061": "提取实时数据间隔",  # 1061-1064, 3011-3015: see hj212/control.py
        "1062": "设置实时数据间隔",
        "1063": "提取分钟数据间隔",
        "1064": "设置分钟数据间隔",
        "2011": "实时数据",
        "2051": "分钟数据",
        "2061": "小时数据",
        "2031": "日数据",
        "2041": "设备运行时间日历史数据",
        "2081": "数采仪开机时间",
        "3011": "零点校准量程校准",
        "3012": "即时采样",
        "3014": "比对采样",
        "3015": "超标留样",
        "3020": "上传现场机信息（日志、状态、参数）",
        "3021": "设置现场机参数",
        "9011": "请求应答",
        "9012": "执行结果",
        "9013": "通知应答",
        "9014": "数据应答",
    }
)
"""Common command codes (CN) -> meaning."""

SYSTEMS: Final = MappingProxyType(
    {
        "21": "地表水质量监测",
        "22": "空气质量监测",
        "27": "挥发性有机物监测",
        "31": "大气环境污染源",
        "32": "地表水体环境污染源",
        "39": "扬尘",
        "51": "烟气排放过程监控",
        "52": "污水排放过程监控",
        "91": "系统交互",
    }
)
"""Common system codes (ST) -> meaning."""


class QnRtn(IntEnum):
    """Request answer codes (请求命令返回, CN 9011)."""

    READY = 1  # 准备执行请求
    REJECTED = 2  # 请求被拒绝
    PW_WRONG = 3
    MN_WRONG = 4
    ST_WRONG = 5
    FLAG_WRONG = 6
    QN_WRONG = 7
    CN_WRONG = 8
    CRC_WRONG = 9
    UNKNOWN = 100  # 未知错误


class ExeRtn(IntEnum):
    """Execution result codes (执行结果, CN 9012)."""

    SUCCESS = 1  # 执行成功
    FAILED = 2  # 执行失败，但不知道原因
    CONDITION_WRONG = 3  # 命令请求条件错误
    TIMEOUT = 4  # 通讯超时
    BUSY = 5  # 系统繁忙不能执行
    FAULT = 6  # 系统故障
    NO_DATA = 100  # 没有数据


class Version(StrEnum):
    """Protocol versions."""

    V2017 = "2017"
    V2005 = "2005"
