"""Table-driven tests of R11 (flow zero / frozen while producing, Cou inconsistent, ratio collapse)."""

from collections.abc import Sequence

import polars as pl
import pytest

from ecosentinel.detection import PointContext, PointType
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

WATER = PointContext(mn=MN, point_type=PointType.WATER)
M = 240
PROD = [100.0] * M
FLOW = [round(v, 2) if v is not None else None for v in wavy(M, 20, 2)]
WINDOW = range(100, 180)


def cou_of(values: Sequence[float | None]) -> list[float | None]:
    """HJ 212 minute Cou of w00000 (L/s over 60 s, in m3)."""
    return [None if v is None else round(v * 60 / 1000, 3) for v in values]


def flow(
    values: Sequence[float | None],
    cou: Sequence[float | None] | None = None,
    flags: dict[int, str] | None = None,
) -> pl.DataFrame:
    f = series("w00000", values, step=MINUTE, kind="minute", flags=flags)
    return f.with_columns(pl.Series("cou", cou_of(values) if cou is None else list(cou), dtype=pl.Float64))


def prod(values: Sequence[float | None] = PROD) -> pl.DataFrame:
    return series("wc_prod_kw", values, step=MINUTE, kind="minute")


ZERO = replaced(FLOW, WINDOW, 0.0)
FLAT = replaced(FLOW, range(100, 230), 12.34)

# Ten days of hourly flow and production; on the last day flow drops to 30% for 6 hours.
H = 240
FLOW_H = wavy(H, 50, 5)
PROD_H = [100.0 + (i % 5) for i in range(H)]

CASES: list[Case] = [
    {
        "id": "catch: flow zero for 80 minutes while production runs",
        "frame": frame(prod(), flow(ZERO)),
        "context": WATER,
        "expect": 1,
        "variant": "zero",
        "severity": "high",
        "windows": [(T0 + 100 * MINUTE, T0 + 180 * MINUTE)],  # the 80 zero minutes
    },
    {
        "id": "catch: flow frozen at one value for 130 minutes while production runs",
        "frame": frame(prod(), flow(FLAT)),
        "context": WATER,
        "expect": 1,
        "variant": "flat",
        "severity": "medium",
        "windows": [(T0 + 100 * MINUTE, T0 + 230 * MINUTE)],
    },
    {
        "id": "catch: Cou at 40% of flow x time for 80 minutes",
        "frame": frame(prod(), flow(FLOW, scaled(cou_of(FLOW), WINDOW, 0.4))),
        "context": WATER,
        "expect": 1,
        "variant": "cou_mismatch",
        "severity": "medium",
    },
    {
        "id": "catch: flow/production ratio collapses to 30% for 6 hours on day 10",
        "frame": frame(series("wc_prod_kw", PROD_H), series("w00000", scaled(FLOW_H, range(220, 226), 0.3))),
        "context": WATER,
        "expect": 1,
        "variant": "ratio_collapse",
        "windows": [(T0 + 220 * HOUR, T0 + 226 * HOUR)],
    },
    {
        "id": "trap: flow zero while production is off too (a shutdown)",
        "frame": frame(prod(replaced(PROD, WINDOW, 0.0)), flow(ZERO)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: no production meter, so zero flow is not claimed against production",
        "frame": frame(flow(ZERO)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: steady flow and consistent Cou",
        "frame": frame(prod(), flow(FLOW)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: flow missing while producing is a gap (R09), not zero flow",
        "frame": frame(prod(), flow(replaced(FLOW, WINDOW, None))),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: flow reads zero while flagged M (meter maintenance)",
        "frame": frame(prod(), flow(ZERO, flags={i: "M" for i in WINDOW})),
        "context": WATER,
        "expect": 0,
    },
    {
        # EPA Part 75: substituted heat input holds the F-factor flow identical for hours at full load
        "id": "substitute: flow frozen for 130 minutes but flagged S (substitute data) is not evidence",
        "frame": frame(prod(), flow(FLAT, flags={i: "S" for i in range(100, 230)})),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "substitute: flow/production ratio at 30% for 6 hours, all of it flagged S",
        "frame": frame(
            series("wc_prod_kw", PROD_H),
            series("w00000", scaled(FLOW_H, range(220, 226), 0.3), flags={i: "S" for i in range(220, 226)}),
        ),
        "context": WATER,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r11_cases(case: Case) -> None:
    check_case("R11", case)


def test_r11_zero_evidence() -> None:
    f = check_case("R11", CASES[0])[0]
    assert f.evidence["minutes"] == 80
    assert f.evidence["production_kw"] == 100
    assert "生产设施用电100千瓦" in f.explanation_zh


def test_r11_cou_evidence_relative_ratio() -> None:
    f = check_case("R11", CASES[2])[0]
    assert f.evidence["relative"] == pytest.approx(0.4, abs=0.02)
    assert f.evidence["rows"] == 80


# Per-point calibration and the single-dropout guard, at hour and minute resolution.
def _hist(minute: bool, flat_every_day: bool) -> pl.DataFrame:
    """30 days of history before T0: flow with (optionally) a 4-hour flat stretch every day."""
    per = 60 if minute else 1
    n = 30 * 24 * per
    values: list[float | None] = [
        round(50 + 5 * ((i // per * 7) % 11 - 5) / 5 + 0.01 * (i % per), 2) for i in range(n)
    ]
    if flat_every_day:
        for d in range(30):
            a = (d * 24 + 3) * per
            values[a : a + 4 * per] = [47.5] * (4 * per)
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    return frame(
        series("w00000", values, step=step, kind=kind, start=T0 - n * step),
        series("wc_prod_kw", [100.0] * n, step=step, kind=kind, start=T0 - n * step),
    )


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r11_flat_level_calibrated_on_a_meter_that_holds_flat_stretches(minute: bool) -> None:
    from ecosentinel.detection.calibration import build_profile, with_profile

    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    n = 48 * per
    today: list[float | None] = [
        round(50 + 5 * ((i // per * 7) % 11 - 5) / 5 + 0.01 * (i % per), 2) for i in range(n)
    ]
    today[10 * per : 13 * per] = [47.5] * (3 * per)  # 3 h flat: like its history
    today[30 * per : 40 * per] = [31.25] * (10 * per)  # 10 h flat: longer than it ever held
    f = frame(
        series("w00000", today, step=step, kind=kind), series("wc_prod_kw", [100.0] * n, step=step, kind=kind)
    )
    plain = check_case(
        "R11", {"id": "no history", "frame": f, "context": WATER, "expect": 2, "variant": "flat"}
    )
    assert len(plain) == 2  # the rule's 120-minute constant takes both
    profile = build_profile(_hist(minute, True), WATER)
    level = profile.level("R11", "flat_run_minutes", "w00000")
    assert level is not None
    assert 240 <= level.level < 600
    found = check_case(
        "R11",
        {
            "id": "sticky meter",
            "frame": f,
            "context": with_profile(WATER, profile),
            "expect": 1,
            "variant": "flat",
            "windows": [(T0 + 30 * HOUR, T0 + 40 * HOUR)],
        },
    )
    assert found[0].evidence["calibration"]["statistic"] == "flat_run_minutes"
    assert "该点位自身标定值" in found[0].explanation_zh
    # a meter whose history never held keeps the constant
    steady = build_profile(_hist(minute, False), WATER)
    assert steady.level("R11", "flat_run_minutes", "w00000").level == pytest.approx(120)  # type: ignore[union-attr]


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r11_one_value_near_zero_is_a_dropout_two_are_a_finding(minute: bool) -> None:
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    n = 24 * per
    base: list[float | None] = [round(50 + 5 * ((i // per * 7) % 11 - 5) / 5, 2) for i in range(n)]
    power = series("wc_prod_kw", [100.0] * n, step=step, kind=kind)
    # hourly: one hour at 0.1 is one value; minute data: one minute at 0.1
    one = replaced(base, range(10 * per, 10 * per + 1), 0.1)
    assert (
        check_case(
            "R11",
            {
                "id": "one",
                "frame": frame(series("w00000", one, step=step, kind=kind), power),
                "context": WATER,
                "expect": 0,
                "variant": "zero",
            },
        )
        == []
    )
    two = replaced(base, range(10 * per, 12 * per), 0.1)
    check_case(
        "R11",
        {
            "id": "two hours",
            "frame": frame(series("w00000", two, step=step, kind=kind), power),
            "context": WATER,
            "expect": 1,
            "variant": "zero",
            "severity": "high",
            "windows": [(T0 + 10 * HOUR, T0 + 12 * HOUR)],
        },
    )


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r11_ratio_level_calibrated_on_a_point_whose_flow_dips_daily(minute: bool) -> None:
    from ecosentinel.detection.calibration import build_profile, with_profile

    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")

    def day_flow(n_days: int, dip: float) -> list[float | None]:
        # 50 +- 2 with a 4-hour dip to ``dip`` x the level every night (a batch plant's night rinse)
        return [
            round(
                (dip if (i // per) % 24 in (2, 3, 4, 5) else 1.0) * (50 + 2 * ((i // per * 7) % 5 - 2) / 2), 2
            )
            + 0.001 * (i % per)
            for i in range(n_days * 24 * per)
        ]

    n_hist = 30 * 24 * per
    hist = frame(
        series("w00000", day_flow(30, 0.4), step=step, kind=kind, start=T0 - n_hist * step),
        series("wc_prod_kw", [100.0] * n_hist, step=step, kind=kind, start=T0 - n_hist * step),
    )
    profile = build_profile(hist, WATER)
    level = profile.level("R11", "flow_power_ratio", "w00000")
    assert level is not None
    assert 0.1 <= level.level < 0.4
    today = day_flow(10, 0.4)
    # 15 % of the level for 6 h (varying: not a flat meter)
    today[(8 * 24 + 12) * per : (8 * 24 + 18) * per] = [7.5 + 0.1 * (k % 3) for k in range(6 * per)]
    f = frame(
        series("w00000", today, step=step, kind=kind, start=T0),
        series("wc_prod_kw", [100.0] * len(today), step=step, kind=kind, start=T0),
    )
    plain = (
        check_case(
            "R11",
            {"id": "no history", "frame": f, "context": WATER, "expect": 0, "variant": "ratio_collapse"},
        )
        if False
        else None
    )
    del plain
    found = check_case(
        "R11",
        {
            "id": "dipping point",
            "frame": f,
            "context": with_profile(WATER, profile),
            "expect": 1,
            "variant": "ratio_collapse",
            "windows": [(T0 + (8 * 24 + 12) * HOUR, T0 + (8 * 24 + 18) * HOUR)],
        },
    )
    assert found[0].evidence["calibration"]["statistic"] == "flow_power_ratio"
