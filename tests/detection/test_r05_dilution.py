"""R05 dilution at hour and minute resolution, with the flagged window asserted: natural co-movement
(production changes, the point's own rhythm learnt from its history) is not dilution."""

import datetime as dt
from collections.abc import Sequence

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType, screen_point
from ecosentinel.detection.calibration import build_profile, with_profile
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, scaled, series, wavy

WATER = PointContext(
    mn=MN,
    point_type=PointType.WATER,
    factors={"w01018": FactorSpec(limit=150), "w21003": FactorSpec(limit=15)},
)
N = 72
COD, NH3, FLOW = wavy(N, 100, 10), wavy(N, 10, 1, 5), wavy(N, 50, 5, 4)
STEP = range(30, 36)
STEP_WINDOW = [(T0 + 30 * HOUR, T0 + 36 * HOUR)]


def water(
    cod: Sequence[float | None],
    nh3: Sequence[float | None],
    flow: Sequence[float | None] = FLOW,
    *,
    start: dt.datetime = T0,
    step: dt.timedelta = HOUR,
    kind: str = "hour",
    extra: Sequence[pl.DataFrame] = (),
) -> pl.DataFrame:
    return frame(
        series("w01018", cod, start=start, step=step, kind=kind),
        series("w21003", nh3, start=start, step=step, kind=kind),
        series("w00000", flow, start=start, step=step, kind=kind),
        *extra,
    )


# 15-minute sensors: 3 days, all factors at 30 % from 30:00 to 36:00
Q = 4 * N
Q_STEP = range(4 * 30, 4 * 36)
Q_COD, Q_NH3, Q_FLOW = wavy(Q, 100, 10), wavy(Q, 10, 1, 5), wavy(Q, 50, 5, 4)

# 20 days of history in which the plant's own rhythm makes both pollutants fall together to 35 % for
# four hours every day (flow kept): natural co-movement, e.g. a daily production change
H_DAYS = 20
H_N = 24 * H_DAYS
RHYTHM = [i for i in range(H_N) if 10 <= i % 24 < 14]
HISTORY = water(
    scaled(wavy(H_N, 100, 10), RHYTHM, 0.35),
    scaled(wavy(H_N, 10, 1, 5), RHYTHM, 0.35),
    wavy(H_N, 50, 5, 4),
    start=T0 - H_N * HOUR,
)
PROFILE = build_profile(HISTORY, WATER)
# a point whose pollutants fall together to 5 % every day (weather-driven, e.g. an ambient-like series)
DEEP_PROFILE = build_profile(
    water(
        scaled(wavy(H_N, 100, 10), RHYTHM, 0.05),
        scaled(wavy(H_N, 10, 1, 5), RHYTHM, 0.05),
        wavy(H_N, 50, 5, 4),
        start=T0 - H_N * HOUR,
    ),
    WATER,
)
PRODUCTION = series("wc_prod_kw", [1000.0] * 30 + [300.0] * 6 + [1000.0] * 36)
PRODUCTION_ON = series("wc_prod_kw", [1000.0] * N)

CASES: list[Case] = [
    {
        "id": "catch: hourly, both factors at 30 % for 6 h with the flow unchanged",
        "frame": water(scaled(COD, STEP, 0.3), scaled(NH3, STEP, 0.3)),
        "context": WATER,
        "expect": 1,
        "variant": "step",
        "windows": STEP_WINDOW,
    },
    {
        "id": "trap: the same fall while production power drops to 30 % (a production change)",
        "frame": water(scaled(COD, STEP, 0.3), scaled(NH3, STEP, 0.3), extra=[PRODUCTION]),
        "context": WATER,
        "expect": 0,
        "variant": "step",
    },
    {
        "id": "catch: the same fall while production runs on",
        "frame": water(scaled(COD, STEP, 0.3), scaled(NH3, STEP, 0.3), extra=[PRODUCTION_ON]),
        "context": WATER,
        "expect": 1,
        "variant": "step",
        "windows": STEP_WINDOW,
    },
    {
        "id": "catch: 15-minute sensors, both factors at 30 % for 6 h (averaged to hours)",
        "frame": water(
            scaled(Q_COD, Q_STEP, 0.3), scaled(Q_NH3, Q_STEP, 0.3), Q_FLOW, step=15 * MINUTE, kind="minute"
        ),
        "context": WATER,
        "expect": 1,
        "variant": "step",
        "windows": STEP_WINDOW,
    },
    {
        "id": "clean: 15-minute sensors, fluctuating",
        "frame": water(Q_COD, Q_NH3, Q_FLOW, step=15 * MINUTE, kind="minute"),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: 15-minute sensors, NH3-N silent during the fall: COD alone is not dilution",
        "frame": water(
            scaled(Q_COD, Q_STEP, 0.3),
            [None if i in Q_STEP else v for i, v in enumerate(Q_NH3)],
            Q_FLOW,
            step=15 * MINUTE,
            kind="minute",
        ),
        "context": WATER,
        "expect": 0,
        "variant": "step",
    },
    {
        "id": "trap: a 35 % co-movement the point shows every day in its history (profile)",
        "frame": water(scaled(COD, STEP, 0.35), scaled(NH3, STEP, 0.35)),
        "context": with_profile(WATER, PROFILE),
        "expect": 0,
        "variant": "step",
    },
    {
        "id": "catch: a 10 % fall, deeper than anything in that history (profile)",
        "frame": water(scaled(COD, STEP, 0.1), scaled(NH3, STEP, 0.1)),
        "context": with_profile(WATER, PROFILE),
        "expect": 1,
        "variant": "step",
        "windows": STEP_WINDOW,
    },
]


POWER_PROFILE = build_profile(frame(series("wc_prod_kw", [1000.0] * H_N, start=T0 - H_N * HOUR)), WATER)
CASES.append(
    {
        "id": "trap: the production meter says stopped (profile's operating state) while the pollutants fall",
        "frame": water(
            scaled(COD, STEP, 0.3),
            scaled(NH3, STEP, 0.3),
            extra=[series("wc_prod_kw", [1000.0] * 30 + [0.0] * 6 + [1000.0] * 36)],
        ),
        "context": with_profile(WATER, POWER_PROFILE),
        "expect": 0,
        "variant": "step",
    }
)
CASES.append(
    {
        "id": "trap: a point that co-moves deeper than the 0.1 floor: an 8 % fall is only a low clue",
        "frame": water(scaled(COD, STEP, 0.08), scaled(NH3, STEP, 0.08)),
        "context": with_profile(WATER, DEEP_PROFILE),
        "expect": 1,
        "variant": "step",
        "severity": "low",
        "windows": STEP_WINDOW,
    }
)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r05_dilution_cases(case: Case) -> None:
    check_case("R05", case)


def test_r05_without_profile_flags_the_usual_rhythm() -> None:
    """The trap above is only a trap because of the profile: the constant 0.5 flags a 35 % fall."""
    found = [
        f
        for f in screen_point(water(scaled(COD, STEP, 0.35), scaled(NH3, STEP, 0.35)), WATER, rules=["R05"])
        if f.evidence["kind"] == "step"
    ]
    assert [(f.start, f.end) for f in found] == STEP_WINDOW
    assert "规则默认值0.5" in found[0].explanation_zh


def test_r05_calibrated_level_and_its_evidence() -> None:
    level = PROFILE.level("R05", "common_drop_ratio")
    assert level is not None
    assert level.n == H_DAYS + 1  # 20 UTC days touch 21 CST days
    assert level.quantile is not None
    assert level.quantile <= 0.36
    assert 0.1 <= level.level < 0.35
    [f] = [
        f
        for f in screen_point(
            water(scaled(COD, STEP, 0.1), scaled(NH3, STEP, 0.1)), with_profile(WATER, PROFILE), rules=["R05"]
        )
        if f.evidence["kind"] == "step"
    ]
    assert f.evidence["threshold"]["drop_ratio"] == pytest.approx(level.level, abs=1e-4)
    assert f.evidence["calibration"]["statistic"] == "common_drop_ratio"
    assert "该点位自身标定值" in f.explanation_zh


# An analyser reporting in whole mg/L on a 2 mg/L baseline: its fall to 1 is one output step, which says
# nothing of a common fall; COD falling alone is no dilution. The same fall at 0.01 mg/L resolution (a
# fine baseline of 200 steps) with COD is one.
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "15-minute"])
@pytest.mark.parametrize(("nh3_base", "expect"), [(2.0, 0), (2.13, 1)], ids=["whole-mg", "fine"])
def test_r05_a_factor_a_step_or_two_above_zero_is_not_a_common_fall(
    minute: bool, nh3_base: float, expect: int
) -> None:
    per, step, kind = (4, 15 * MINUTE, "minute") if minute else (1, HOUR, "hour")
    n = N * per
    cod = wavy(n, 100, 10)
    if nh3_base == 2.0:
        nh3 = [2.0 if (i // per) % 5 else (3.0 if i % 2 else 1.0) for i in range(n)]
        low = 1.0
    else:
        nh3 = [round(nh3_base + 0.07 * ((i * 3) % 5 - 2), 2) for i in range(n)]
        low = None
    rows = range(30 * per, 36 * per)
    cod = scaled(cod, rows, 0.3)
    nh3 = [(low if low is not None else round(v * 0.3, 2)) if i in rows else v for i, v in enumerate(nh3)]
    check_case(
        "R05",
        {
            "id": "NH3 at its output step",
            "frame": water(cod, nh3, wavy(n, 50, 5, 4), step=step, kind=kind),
            "context": WATER,
            "expect": expect,
            "variant": "step",
            **({"windows": STEP_WINDOW} if expect else {}),
        },
    )
