"""Industry profiles of simulated stations: factors, limits, analyser ranges, schedules, enterprise names.

Limits follow the GB discharge standards the industries are held to (values as commonly applied in
Zhejiang; a simulation needs plausible numbers, not legal advice):

- 印染 GB 4287-2012 direct discharge; 电镀 GB 21900-2008 table 2; 造纸 GB 3544-2008;
  污水处理厂 GB 18918-2002 grade 1A; 化工 GB 8978-1996 grade 1 (TN from local practice).
- 火电 / 造纸 self-owned power plant: GB 13223-2011 ultra-low emission (SO2 35, NOx 50, PM 10 at 6 % O2);
  钢铁 sintering ultra-low (SO2 35, NOx 50, PM 10 at 16 % O2);
  垃圾焚烧 GB 18485-2014 hourly limits at 11 % O2; 化工 gas boiler GB 13271-2014 special limits at 3.5 % O2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ecosentinel.registry.enums import PointType

# Factor codes used by the simulator (HJ 212-2017).
COD, NH3N, TP, TN, PH, WFLOW = "w01018", "w21003", "w21011", "w21001", "w01001", "w00000"
SO2, NOX, PM, O2, TEMP, HUM, GFLOW = "a21026", "a21002", "a34013", "a19001", "a01012", "a01014", "a00000"
WC_PROD, WC_TREAT = "wc_prod_kw", "wc_treat_kw"
"""Reserved codes of the working-condition (工况/用电) series, stored as minute readings on the point's MN."""

WATER_POLLUTANTS = (COD, NH3N, TP, TN)
GAS_POLLUTANTS = (SO2, NOX, PM)


@dataclass(frozen=True, slots=True)
class FactorSpec:
    """One monitored factor of an industry profile."""

    code: str
    unit: str
    resolution: float  # what the analyser prints (values are rounded to it)
    range_hi: float  # analyser range (量程)
    mean: float  # typical level (measured; for flue-gas pollutants: the O2-converted level)
    limit: float | None = None
    limit_low: float | None = None
    cycle_min: int = 0  # 0: continuous; otherwise one analyser result every cycle_min minutes

    @property
    def decimals(self) -> int:
        return max(0, round(float(-np.log10(self.resolution))))


@dataclass(frozen=True, slots=True)
class Industry:
    """An industry profile: what a point of such an enterprise measures and how its production runs."""

    name: str  # 印染, 火电, …
    type: PointType
    schedule: str  # continuous | two_shift | day_shift | load_follow | wwtp
    factors: tuple[FactorSpec, ...]
    point_name: str
    company_suffixes: tuple[str, ...]
    prod_kw: float  # rated power of the production facility
    treat_kw: float  # rated power of the treatment facility
    shutdown_rate: float  # planned shutdowns per 30 days
    ref_o2: float | None = None
    o2_full: float = 0.0  # flue gas O2 % at full load
    o2_low_extra: float = 0.0  # extra O2 % at zero load (excess air at low load)
    storm_susceptibility: tuple[float, float] = (0.0, 0.0)  # water: how much rain reaches the outlet

    def factor(self, code: str) -> FactorSpec:
        for f in self.factors:
            if f.code == code:
                return f
        raise KeyError(code)


def _water(
    cod: tuple[float, float, float],
    nh3n: tuple[float, float, float],
    tp: tuple[float, float, float],
    tn: tuple[float, float, float],
    ph_mean: float,
    flow: float,
) -> tuple[FactorSpec, ...]:
    """Water factors; each pollutant tuple is (limit, typical mean, analyser range)."""
    return (
        FactorSpec(COD, "mg/L", 0.1, cod[2], cod[1], limit=cod[0], cycle_min=60),
        FactorSpec(NH3N, "mg/L", 0.01, nh3n[2], nh3n[1], limit=nh3n[0], cycle_min=60),
        FactorSpec(TP, "mg/L", 0.01, tp[2], tp[1], limit=tp[0], cycle_min=120),
        FactorSpec(TN, "mg/L", 0.01, tn[2], tn[1], limit=tn[0], cycle_min=120),
        FactorSpec(PH, "", 0.01, 14.0, ph_mean, limit=9.0, limit_low=6.0),
        FactorSpec(WFLOW, "L/s", 0.01, flow * 4, flow),
    )


def _gas(
    so2: tuple[float, float, float],
    nox: tuple[float, float, float],
    pm: tuple[float, float, float],
    temp: float,
    hum: float,
    flow: float,
) -> tuple[FactorSpec, ...]:
    """Flue-gas factors; each pollutant tuple is (limit, typical O2-converted mean, analyser range)."""
    return (
        FactorSpec(SO2, "mg/m3", 1.0, so2[2], so2[1], limit=so2[0]),
        FactorSpec(NOX, "mg/m3", 1.0, nox[2], nox[1], limit=nox[0]),
        FactorSpec(PM, "mg/m3", 0.1, pm[2], pm[1], limit=pm[0]),
        FactorSpec(O2, "%", 0.01, 25.0, 0.0),
        FactorSpec(TEMP, "℃", 0.1, 300.0, temp),
        FactorSpec(HUM, "%", 0.01, 40.0, hum),
        FactorSpec(GFLOW, "m3/s", 0.01, flow * 3, flow),
    )


WATER_INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "印染",
        PointType.WATER,
        "two_shift",
        _water((80, 42, 500), (10, 2.8, 50), (0.5, 0.22, 10), (15, 7.5, 100), 8.2, 25.0),
        "废水总排口",
        ("印染有限公司", "染整有限公司", "纺织印染有限公司"),
        800.0,
        150.0,
        0.6,
        storm_susceptibility=(0.1, 0.35),
    ),
    Industry(
        "化工",
        PointType.WATER,
        "continuous",
        _water((100, 55, 500), (15, 3.5, 50), (1.0, 0.4, 10), (40, 17, 100), 7.5, 15.0),
        "废水排放口",
        ("化工有限公司", "新材料有限公司", "精细化工有限公司"),
        1500.0,
        200.0,
        0.3,
        storm_susceptibility=(0.1, 0.3),
    ),
    Industry(
        "电镀",
        PointType.WATER,
        "day_shift",
        _water((80, 33, 500), (15, 2.5, 50), (1.0, 0.3, 10), (20, 8.5, 100), 7.2, 5.0),
        "电镀废水总排口",
        ("电镀有限公司", "表面处理有限公司", "金属制品有限公司"),
        400.0,
        60.0,
        0.4,
        storm_susceptibility=(0.1, 0.4),
    ),
    Industry(
        "造纸",
        PointType.WATER,
        "continuous",
        _water((90, 50, 500), (8, 1.8, 50), (0.8, 0.3, 10), (12, 6.0, 100), 7.6, 60.0),
        "废水总排口",
        ("纸业有限公司", "特种纸有限公司", "包装纸业有限公司"),
        3000.0,
        400.0,
        0.3,
        storm_susceptibility=(0.1, 0.3),
    ),
    Industry(
        "污水处理厂",
        PointType.WATER,
        "wwtp",
        _water((50, 21, 200), (5, 0.7, 20), (0.5, 0.18, 5), (15, 8.5, 50), 7.0, 350.0),
        "出水口",
        ("污水处理有限公司", "水务有限公司", "水处理有限公司"),
        300.0,
        900.0,
        0.0,
        storm_susceptibility=(0.6, 1.0),
    ),
)

GAS_INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "火电",
        PointType.GAS,
        "load_follow",
        _gas((35, 17, 200), (50, 31, 200), (10, 3.2, 50), 50.0, 12.0, 280.0),
        "1#机组脱硫出口",
        ("热电有限公司", "发电有限公司", "能源有限公司"),
        20000.0,
        3000.0,
        0.3,
        ref_o2=6.0,
        o2_full=5.6,
        o2_low_extra=6.0,
    ),
    Industry(
        "钢铁",
        PointType.GAS,
        "continuous",
        _gas((35, 14, 200), (50, 29, 200), (10, 3.8, 50), 82.0, 10.0, 300.0),
        "烧结机头烟气排放口",
        ("钢铁有限公司", "特钢有限公司", "钢业有限公司"),
        8000.0,
        2500.0,
        0.3,
        ref_o2=16.0,
        o2_full=15.2,
        o2_low_extra=2.8,
    ),
    Industry(
        "垃圾焚烧",
        PointType.GAS,
        "continuous",
        _gas((100, 24, 300), (300, 170, 500), (30, 3.5, 100), 148.0, 18.0, 25.0),
        "1#焚烧炉烟气排放口",
        ("环保能源有限公司", "再生能源有限公司", "垃圾焚烧发电有限公司"),
        1500.0,
        800.0,
        0.0,
        ref_o2=11.0,
        o2_full=8.5,
        o2_low_extra=5.0,
    ),
    Industry(
        "化工",
        PointType.GAS,
        "continuous",
        _gas((50, 3.0, 100), (50, 28, 200), (5, 1.8, 50), 92.0, 8.0, 8.0),
        "燃气锅炉废气排放口",
        ("化工有限公司", "新材料有限公司", "精细化工有限公司"),
        300.0,
        40.0,
        0.4,
        ref_o2=3.5,
        o2_full=3.8,
        o2_low_extra=5.0,
    ),
    Industry(
        "造纸",
        PointType.GAS,
        "continuous",
        _gas((35, 15, 200), (50, 30, 200), (10, 3.0, 50), 52.0, 12.5, 60.0),
        "自备热电锅炉烟气排放口",
        ("纸业有限公司", "特种纸有限公司", "包装纸业有限公司"),
        5000.0,
        900.0,
        0.3,
        ref_o2=6.0,
        o2_full=6.2,
        o2_low_extra=5.0,
    ),
)

PLACES = (
    "秀洲", "南湖", "海宁", "平湖", "桐乡", "嘉善", "海盐", "王江泾", "新塍", "洪合",
    "濮院", "许村", "乍浦", "西塘", "长安", "油车港", "凤桥", "崇福", "姚庄", "澉浦",
)  # fmt: skip
BRANDS = (
    "华联", "恒达", "永盛", "新宇", "金海", "瑞丰", "天成", "宏泰", "鑫源", "嘉禾",
    "富港", "三友", "锦程", "东方", "博远", "立信", "中舟", "绿源", "裕华", "万盛",
)  # fmt: skip
DISTRICTS = ("南湖区", "秀洲区", "海宁市", "平湖市", "桐乡市", "嘉善县", "海盐县")
ROADS = (
    "工业路",
    "兴业路",
    "滨海大道",
    "东方路",
    "长水路",
    "创业路",
    "纬三路",
    "经二路",
    "环城北路",
    "临港路",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = (
    "伟",
    "芳",
    "强",
    "敏",
    "磊",
    "军",
    "洋",
    "勇",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "斌",
    "婷",
)

_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(body17: str) -> str:
    """Complete a unified social credit code (统一社会信用代码, GB 32100-2015) with its check character."""
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(body17, _CREDIT_WEIGHTS, strict=True))
    return body17 + _CREDIT_CHARS[(31 - total % 31) % 31]


def person_name(rng: np.random.Generator) -> str:
    """A plausible Chinese personal name (for O&M staff)."""
    return str(SURNAMES[int(rng.integers(len(SURNAMES)))]) + "".join(
        GIVEN[int(i)] for i in rng.integers(len(GIVEN), size=int(rng.integers(1, 3)))
    )
