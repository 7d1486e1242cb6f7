"""Table-driven tests of R05 (dilution), R08 (O2 dilution, 折算) and R10 (treatment off)."""

import datetime as dt
from collections.abc import Sequence

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.context import EVENT_SCHEMA
from tests.detection.helpers import (
    HOUR,
    MINUTE,
    MN,
    T0,
    Case,
    check_case,
    frame,
    replaced,
    scaled,
    series,
    wavy,
)

WATER = PointContext(
    mn=MN,
    point_type=PointType.WATER,
    factors={"w01018": FactorSpec(limit=150), "w21003": FactorSpec(limit=15), "w21011": FactorSpec(limit=3)},
)
N = 60
COD, NH3, TP, FLOW = wavy(N, 100, 10), wavy(N, 10, 1, 5), wavy(N, 2, 0.2, 9), wavy(N, 50, 5, 4)
STEP = range(30, 36)


def water(
    cod: Sequence[float | None] = COD,
    nh3: Sequence[float | None] = NH3,
    tp: Sequence[float | None] = TP,
    flow: Sequence[float | None] | None = FLOW,
    cod_flags: dict[int, str] | None = None,
) -> pl.DataFrame:
    parts = [series("w01018", cod, flags=cod_flags), series("w21003", nh3), series("w21011", tp)]
    if flow is not None:
        parts.append(series("w00000", flow))
    return frame(*parts)


def diluted(values: list[float | None]) -> list[float | None]:
    return scaled(values, STEP, 0.3)


DOOR = pl.DataFrame(
    {"mn": [MN], "time": [T0 + dt.timedelta(hours=29, minutes=50)], "type": ["door_open"]},
    schema=EVENT_SCHEMA,
)

# Four days with tap water on the sample line every night (22:00-06:00 CST = 14:00-22:00 UTC).
DAYS = 96
NIGHT_ROWS = [i for i in range(DAYS) if 14 <= i % 24 < 22]


def nightly(values: list[float | None]) -> list[float | None]:
    return scaled(values, NIGHT_ROWS, 0.25)


R05_CASES: list[Case] = [
    {
        "id": "catch: all factors fall to 30% together, flow unchanged, door opened",
        "frame": water(diluted(COD), diluted(NH3), diluted(TP)),
        "context": PointContext(mn=MN, point_type=PointType.WATER, factors=WATER.factors, events=DOOR),
        "expect": 1,
        "variant": "step",
        "severity": "high",
    },
    {
        "id": "catch: tap water on the sample line every night",
        "frame": water(
            nightly(wavy(DAYS, 100, 10)),
            nightly(wavy(DAYS, 10, 1, 5)),
            nightly(wavy(DAYS, 2, 0.2, 9)),
            wavy(DAYS, 50, 5, 4),
        ),
        "context": WATER,
        "expect": 3,
        "variant": "night",
    },
    {
        "id": "trap: storm water raises flow (reported low, not medium)",
        "frame": water(diluted(COD), diluted(NH3), diluted(TP), scaled(FLOW, STEP, 3.0)),
        "context": WATER,
        "expect": 1,
        "severity": "low",
    },
    {
        "id": "trap: night shutdown lowers flow with the concentrations",
        "frame": water(diluted(COD), diluted(NH3), diluted(TP), scaled(FLOW, STEP, 0.3)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: only COD falls (a process change, ratios not kept)",
        "frame": water(diluted(COD)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: steady water",
        "frame": water(),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: NH3-N and TP missing during the drop leave one factor, no claim",
        "frame": water(diluted(COD), replaced(NH3, STEP, None), replaced(TP, STEP, None)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: COD C-flagged during the drop leaves two factors, still caught",
        "frame": water(diluted(COD), diluted(NH3), diluted(TP), cod_flags={i: "C" for i in STEP}),
        "context": WATER,
        "expect": 1,
        "variant": "step",
    },
    {
        "id": "calibration flag: every factor M-flagged during the drop, nothing valid to compare",
        "frame": frame(
            series("w01018", diluted(COD), flags={i: "M" for i in STEP}),
            series("w21003", diluted(NH3), flags={i: "M" for i in STEP}),
            series("w21011", diluted(TP), flags={i: "M" for i in STEP}),
            series("w00000", FLOW),
        ),
        "context": WATER,
        "expect": 0,
    },
]

GAS = PointContext(mn=MN, point_type=PointType.GAS, ref_o2=6.0, factors={"a21026": FactorSpec(limit=35)})
G = 120
O2 = wavy(G, 8, 0.6)
SO2 = wavy(G, 20, 3)
LOAD = [200.0] * G


def zs_of(values: list[float | None], o2: list[float | None]) -> list[float | None]:
    return [None if v is None or o is None else v * 15 / (21 - o) for v, o in zip(values, o2, strict=True)]


BAD_ZS = replaced(zs_of(SO2, O2), range(10, 14), 12.0)
O2_UP = replaced(O2, range(20, 26), 14.0)

R08_CASES: list[Case] = [
    {
        "id": "catch: reported 折算 values do not follow C x (21 - 6)/(21 - O2)",
        "frame": frame(series("a21026", SO2, zs=BAD_ZS), series("a19001", O2)),
        "context": GAS,
        "expect": 1,
        "variant": "zs_mismatch",
        "severity": "high",
        "windows": [(T0 + 10 * HOUR, T0 + 14 * HOUR)],  # the four hours with the wrong 折算
    },
    {
        "id": "catch: O2 up with unchanged load while SO2 halves",
        "frame": frame(
            series("a21026", scaled(SO2, range(20, 26), 0.5)),
            series("a19001", O2_UP),
            series("wc_prod_kw", LOAD),
        ),
        "context": GAS,
        "expect": 1,
        "variant": "o2_high",
        "severity": "high",
        "windows": [(T0 + 20 * HOUR, T0 + 26 * HOUR)],
    },
    {
        "id": "trap: O2 up because the load fell (honest excess air)",
        "frame": frame(
            series("a21026", scaled(SO2, range(20, 26), 0.5)),
            series("a19001", O2_UP),
            series("wc_prod_kw", replaced(LOAD, range(20, 26), 80.0)),
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: correct 折算 and steady O2",
        "frame": frame(
            series("a21026", SO2, zs=zs_of(SO2, O2)), series("a19001", O2), series("wc_prod_kw", LOAD)
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "missing: O2 missing where the 折算 is wrong, nothing to recompute",
        "frame": frame(series("a21026", SO2, zs=BAD_ZS), series("a19001", replaced(O2, range(10, 14), None))),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: wrong 折算 during a C-flagged span check",
        "frame": frame(
            series("a21026", SO2, zs=BAD_ZS, flags={i: "C" for i in range(10, 14)}), series("a19001", O2)
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: the O2 rise is M-flagged (O2 analyser maintenance), no dilution claim",
        "frame": frame(
            series("a21026", scaled(SO2, range(20, 26), 0.5)),
            series("a19001", O2_UP, flags={i: "M" for i in range(20, 26)}),
            series("wc_prod_kw", LOAD),
        ),
        "context": GAS,
        "expect": 0,
        "variant": "o2_high",
    },
    {
        "id": "missing: load missing during the O2 rise, so 'load unchanged' cannot be shown: only low",
        "frame": frame(
            series("a21026", scaled(SO2, range(20, 26), 0.5)),
            series("a19001", O2_UP),
            series("wc_prod_kw", replaced(LOAD, range(14, 32), None)),
        ),
        "context": GAS,
        "expect": 1,
        "variant": "o2_high",
        "severity": "low",
    },
]

M = 240
PROD = [100.0] * M
TREAT = [50.0] * M
SO2_MIN = wavy(M, 20, 3)
OFF = range(100, 140)
FLOW_MIN = wavy(M, 300, 20)
NH3N_MIN = wavy(M, 2, 0.3)


def minute(code: str, values: Sequence[float | None], flags: dict[int, str] | None = None) -> pl.DataFrame:
    return series(code, values, step=MINUTE, kind="minute", flags=flags)


R10_CASES: list[Case] = [
    {
        "id": "catch: treatment off for 40 minutes while SO2 stays under the limit",
        "frame": frame(
            minute("wc_prod_kw", PROD),
            minute("wc_treat_kw", replaced(TREAT, OFF, 0.5)),
            minute("a21026", SO2_MIN),
        ),
        "context": GAS,
        "expect": 1,
        "variant": "treatment_off",
        "severity": "high",
        "windows": [(T0 + 100 * MINUTE, T0 + 140 * MINUTE)],  # the 40 minutes the treatment was off
    },
    {
        "id": "catch: flagged F (stopped) while production runs",
        "frame": frame(
            minute("wc_prod_kw", PROD), minute("a21026", SO2_MIN, flags={i: "F" for i in range(100, 160)})
        ),
        "context": GAS,
        "expect": 1,
        "variant": "declared_stopped",
        "windows": [(T0 + 100 * MINUTE, T0 + 160 * MINUTE)],  # the F-flagged hour
    },
    {
        "id": "catch: hourly data, treatment off for three hours while production runs",
        "frame": frame(
            series("wc_prod_kw", PROD[:48]),
            series("wc_treat_kw", replaced(TREAT[:48], range(20, 23), 0.5)),
            series("a21026", SO2_MIN[:48]),
        ),
        "context": GAS,
        "expect": 1,
        "variant": "treatment_off",
        "severity": "high",
        "windows": [(T0 + 20 * HOUR, T0 + 23 * HOUR)],  # to the end of the last off hour
    },
    {
        "id": "catch: hourly data, flagged F for two hours while production runs",
        "frame": frame(
            series("wc_prod_kw", PROD[:48]), series("a21026", SO2_MIN[:48], flags={i: "F" for i in (30, 31)})
        ),
        "context": GAS,
        "expect": 1,
        "variant": "declared_stopped",
        "windows": [(T0 + 30 * HOUR, T0 + 32 * HOUR)],
    },
    {
        "id": "clean: treatment off for 10 minutes only",
        "frame": frame(
            minute("wc_prod_kw", PROD),
            minute("wc_treat_kw", replaced(TREAT, range(100, 110), 0.5)),
            minute("a21026", SO2_MIN),
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: production off as well",
        "frame": frame(
            minute("wc_prod_kw", replaced(PROD, OFF, 0.0)),
            minute("wc_treat_kw", replaced(TREAT, OFF, 0.5)),
            minute("a21026", SO2_MIN, flags={i: "F" for i in OFF}),
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "missing: no treatment-power data in the window proves nothing",
        "frame": frame(
            minute("wc_prod_kw", PROD),
            minute("wc_treat_kw", replaced(TREAT, OFF, None)),
            minute("a21026", SO2_MIN),
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: SO2 C-flagged during the off window, no 'normal data' claim",
        "frame": frame(
            minute("wc_prod_kw", PROD),
            minute("wc_treat_kw", replaced(TREAT, OFF, 0.5)),
            minute("a21026", SO2_MIN, flags={i: "C" for i in range(40, 160)}),
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: treatment power M-flagged (meter maintenance) is not 'off'",
        "frame": frame(
            minute("wc_prod_kw", PROD),
            minute("wc_treat_kw", replaced(TREAT, OFF, 0.5), flags={i: "M" for i in OFF}),
            minute("a21026", SO2_MIN),
        ),
        "context": GAS,
        "expect": 0,
        "variant": "treatment_off",
    },
    # no production meter (a sewage plant): the discharge flow is what the treatment must run for
    {
        "id": "catch: no production meter, treatment off 40 min while effluent flows and NH3-N looks fine",
        "frame": frame(
            minute("w00000", FLOW_MIN),
            minute("wc_treat_kw", replaced(TREAT, OFF, 0.5)),
            minute("w21003", NH3N_MIN),
        ),
        "context": WATER,
        "expect": 1,
        "variant": "treatment_off_flow",
        "severity": "high",
        "windows": [(T0 + 100 * MINUTE, T0 + 140 * MINUTE)],
    },
    {
        "id": "catch: hourly, no production meter, treatment off 3 hours while effluent flows",
        "frame": frame(
            series("w00000", FLOW_MIN[:48]),
            series("wc_treat_kw", replaced(TREAT[:48], range(20, 23), 0.5)),
            series("w21003", NH3N_MIN[:48]),
        ),
        "context": WATER,
        "expect": 1,
        "variant": "treatment_off_flow",
        "severity": "high",
        "windows": [(T0 + 20 * HOUR, T0 + 23 * HOUR)],
    },
    {
        "id": "catch: flow-only point, treatment off 3 h while discharging: nothing to contradict (medium)",
        "frame": frame(
            series("w00000", FLOW_MIN[:48]), series("wc_treat_kw", replaced(TREAT[:48], range(20, 23), 0.5))
        ),
        "context": WATER,
        "expect": 1,
        "variant": "treatment_off_unchecked",
        "severity": "medium",
        "windows": [(T0 + 20 * HOUR, T0 + 23 * HOUR)],
    },
    {
        "id": "clean: no production meter, treatment off while the effluent stops too (a plant shutdown)",
        "frame": frame(
            minute("w00000", replaced(FLOW_MIN, OFF, 0.0)),
            minute("wc_treat_kw", replaced(TREAT, OFF, 0.5)),
            minute("w21003", NH3N_MIN),
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "substitute: effluent flow flagged S (an hour either side too) proves no discharge",
        "frame": frame(
            minute("w00000", FLOW_MIN, flags={i: "S" for i in range(30, 210)}),
            minute("wc_treat_kw", replaced(TREAT, OFF, 0.5)),
            minute("w21003", NH3N_MIN),
        ),
        "context": WATER,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", R05_CASES, ids=[c["id"] for c in R05_CASES])
def test_r05_cases(case: Case) -> None:
    check_case("R05", case)


@pytest.mark.parametrize("case", R08_CASES, ids=[c["id"] for c in R08_CASES])
def test_r08_cases(case: Case) -> None:
    check_case("R08", case)


@pytest.mark.parametrize("case", R10_CASES, ids=[c["id"] for c in R10_CASES])
def test_r10_cases(case: Case) -> None:
    check_case("R10", case)
