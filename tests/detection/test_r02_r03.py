"""Table-driven tests of R02 (zero/negative while operating) and R03 (over-range, clipping)."""

from collections.abc import Sequence

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.calibration import build_profile, with_profile
from ecosentinel.detection.findings import Finding
from ecosentinel.detection.profile import PointProfile
from tests.detection.helpers import (
    HOUR,
    MINUTE,
    T0,
    Case,
    check_case,
    frame,
    replaced,
    run_case,
    series,
    wavy,
)

CTX = PointContext(
    mn="MN0001",
    point_type=PointType.WATER,
    factors={"w01018": FactorSpec(limit=50, range_high=200)},
)
N = 48
COD = wavy(N, 30, 8)
POWER = [100.0] * N
M = 16 * 60  # minutes: T0 is 08:00 CST, so 16 hours stay inside one China day (R03 counts per day)
COD_MIN = wavy(M, 30, 8)
POWER_MIN = [100.0] * M


def minutes(code: str, values: Sequence[float | None], flags: dict[int, str] | None = None) -> pl.DataFrame:
    return series(code, values, step=MINUTE, kind="minute", flags=flags)


R02_CASES: list[Case] = [
    {
        "id": "catch: five zero hours while production power is on",
        "frame": frame(series("w01018", replaced(COD, range(20, 25), 0.0)), series("wc_prod_kw", POWER)),
        "context": CTX,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 20 * HOUR, T0 + 25 * HOUR)],  # the five zero hours, end of the last one
    },
    {
        "id": "catch: negative values with only flow to show operation",
        "frame": frame(series("w01018", replaced(COD, range(20, 24), -1.5)), series("w00000", [12.0] * N)),
        "context": CTX,
        "expect": 1,
        "severity": "medium",
        "windows": [(T0 + 20 * HOUR, T0 + 24 * HOUR)],
    },
    {
        "id": "catch: minute data, 150 zero minutes while production power is on",
        "frame": frame(
            minutes("w01018", replaced(COD_MIN, range(300, 450), 0.0)), minutes("wc_prod_kw", POWER_MIN)
        ),
        "context": CTX,
        "expect": 1,
        "severity": "medium",  # 2.5 h: under twice the 2 h level (high from 4 h)
        "windows": [(T0 + 300 * MINUTE, T0 + 450 * MINUTE)],  # end of the last zero minute
    },
    {
        "id": "trap: minute data, 100 zero minutes stay below the 2-hour run (counted in hours, not rows)",
        "frame": frame(
            minutes("w01018", replaced(COD_MIN, range(300, 400), 0.0)), minutes("wc_prod_kw", POWER_MIN)
        ),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "clean: positive COD",
        "frame": frame(series("w01018", COD), series("wc_prod_kw", POWER)),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "trap: zeros while production is really off",
        "frame": frame(
            series("w01018", replaced(COD, range(20, 25), 0.0)),
            series("wc_prod_kw", replaced(POWER, range(19, 26), 0.0)),
        ),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "trap: a single purge-cycle zero",
        "frame": frame(series("w01018", replaced(COD, [20], 0.0)), series("wc_prod_kw", POWER)),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "missing: zeros separated by a missing hour stay below the 2-hour run",
        "frame": frame(
            series("w01018", replaced(replaced(COD, [20, 22], 0.0), [21], None)), series("wc_prod_kw", POWER)
        ),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "calibration flag: zeros during a C-flagged zero check",
        "frame": frame(
            series("w01018", replaced(COD, range(20, 25), 0.0), flags={i: "C" for i in range(20, 25)}),
            series("wc_prod_kw", POWER),
        ),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "calibration flag: negative values flagged D (analyser fault) are not valid data",
        "frame": frame(
            series("w01018", replaced(COD, range(20, 24), -1.5), flags={i: "D" for i in range(20, 24)}),
            series("w00000", [12.0] * N),
        ),
        "context": CTX,
        "expect": 0,
    },
]

R03_CASES: list[Case] = [
    {
        "id": "catch: values at the range ceiling without flag T",
        "frame": frame(series("w01018", replaced(COD, [3, 4], 200.0))),
        "context": CTX,
        "expect": 1,
        "variant": "unflagged_over_range",
        "windows": [(T0 + 3 * HOUR, T0 + 5 * HOUR)],
    },
    {
        "id": "catch: minute data, 20 minutes at the range ceiling without flag T",
        "frame": frame(minutes("w01018", replaced(COD_MIN, range(200, 220), 200.0))),
        "context": CTX,
        "expect": 1,
        "variant": "unflagged_over_range",
        "windows": [(T0 + 200 * MINUTE, T0 + 220 * MINUTE)],
    },
    {
        "id": "catch: five flagged values clipped at the ceiling in one day",
        "frame": frame(
            series("w01018", replaced(COD, range(2, 7), 200.0), flags={i: "T" for i in range(2, 7)})
        ),
        "context": CTX,
        "expect": 1,
        "variant": "clipped_at_range",
        "windows": [(T0 + 2 * HOUR, T0 + 7 * HOUR)],
    },
    {
        "id": "catch: eight identical values just under the limit",
        "frame": frame(series("w01018", replaced(COD, range(2, 10), 48.0))),
        "context": CTX,
        "expect": 1,
        "variant": "pile_below_limit",
        "windows": [(T0 + 2 * HOUR, T0 + 10 * HOUR)],
    },
    {
        "id": "catch: minute data, five hours of minutes fixed just under the limit",
        "frame": frame(minutes("w01018", replaced(COD_MIN, range(400, 700), 48.0))),
        "context": CTX,
        "expect": 1,
        "variant": "pile_below_limit",
        "windows": [(T0 + 400 * MINUTE, T0 + 700 * MINUTE)],
    },
    {
        "id": "clean: honest over-range flagged T twice",
        "frame": frame(series("w01018", replaced(COD, [3, 4], 200.0), flags={3: "T", 4: "T"})),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "clean: ordinary COD",
        "frame": frame(series("w01018", COD)),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "missing: three piled values and missing hours do not make a pile",
        "frame": frame(series("w01018", replaced(replaced(COD, range(2, 5), 48.0), range(5, 12), None))),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "calibration flag: span-check values at the ceiling flagged C",
        "frame": frame(series("w01018", replaced(COD, [3, 4], 200.0), flags={3: "C", 4: "C"})),
        "context": CTX,
        "expect": 0,
    },
    {
        "id": "calibration flag: values at the ceiling flagged D (analyser fault)",
        "frame": frame(series("w01018", replaced(COD, [3, 4], 200.0), flags={3: "D", 4: "D"})),
        "context": CTX,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", R02_CASES, ids=[c["id"] for c in R02_CASES])
def test_r02_cases(case: Case) -> None:
    check_case("R02", case)


@pytest.mark.parametrize("case", R03_CASES, ids=[c["id"] for c in R03_CASES])
def test_r03_cases(case: Case) -> None:
    check_case("R03", case)


# Per-point calibration of R02 where nothing shows the process running (no power, no flow): six zero
# hours on an NH3-N analyser whose 30-day history never reads zero are 'unlike this point' (medium); on a
# point whose history holds such zero runs (a plant that stops without flagging F) they stay a clue.
NH3 = PointContext(mn="MN0001", point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=5)})
HIST = 30 * 24
NEVER_ZERO = build_profile(frame(series("w21003", wavy(HIST, 1.2, 0.5), start=T0 - HIST * HOUR)), NH3)
STOPS = [0.0 if i % 72 < 8 else v for i, v in enumerate(wavy(HIST, 1.2, 0.5))]
OFTEN_ZERO = build_profile(frame(series("w21003", STOPS, start=T0 - HIST * HOUR)), NH3)
NH3_WINDOW = replaced(wavy(N, 1.2, 0.5), range(20, 26), 0.0)
NH3_MINUTES = [v for v in NH3_WINDOW for _ in range(60)]


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("profile", "severity"),
    [(None, "low"), (NEVER_ZERO, "medium"), (OFTEN_ZERO, "low")],
    ids=["none", "never", "often"],
)
def test_r02_unknown_operation_judged_on_the_points_history(
    minute: bool, profile: PointProfile | None, severity: str
) -> None:
    s = series("w21003", NH3_MINUTES, step=MINUTE, kind="minute") if minute else series("w21003", NH3_WINDOW)
    context = NH3 if profile is None else with_profile(NH3, profile)
    found = check_case(
        "R02",
        {
            "id": "six zero hours, no power or flow",
            "frame": frame(s),
            "context": context,
            "expect": 1,
            "severity": severity,
            "windows": [(T0 + 20 * HOUR, T0 + 26 * HOUR)],
        },
    )
    if severity == "medium":
        assert found[0].evidence["calibration"]["statistic"] == "zero_run_hours"
        assert "自身历史中从未出现" in found[0].explanation_zh


# With the discharge flow showing the plant running, the same six zero hours are a warning (medium), unless
# the point's own history holds zero runs as long while it discharged (an effluent nitrifying to below the
# analyser's step): then a clue (low). Production power keeps them evidence (R02's power tests below).
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("profile", "severity"),
    [(None, "medium"), (NEVER_ZERO, "medium"), (OFTEN_ZERO, "low")],
    ids=["none", "never", "often"],
)
def test_r02_with_flow_running_judged_on_the_points_history(
    minute: bool, profile: PointProfile | None, severity: str
) -> None:
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    flow = series("w00000", [round(40 + 5 * ((i * 7) % 5), 1) for i in range(N * per)], step=step, kind=kind)
    nh3 = series("w21003", [v for v in NH3_WINDOW for _ in range(per)], step=step, kind=kind)
    context = NH3 if profile is None else with_profile(NH3, profile)
    found = check_case(
        "R02",
        {
            "id": "six zero hours while the effluent flows",
            "frame": frame(nh3, flow),
            "context": context,
            "expect": 1,
            "severity": severity,
            "windows": [(T0 + 20 * HOUR, T0 + 26 * HOUR)],
        },
    )
    assert found[0].evidence["operating_basis"] == "flow"
    assert ("排放时也出现过如此长的零值" in found[0].explanation_zh) == (severity == "low")


# The same analyser whose history holds exact zero runs (a plant stopping without flagging F) but never
# a negative value: six hours of zeros stay a clue, but six hours with negative values among them are new
# behaviour for it (medium); one negative value is not enough, nor is a history that held negatives.
NEGATIVE_DRIFT = [-0.02 if i % 72 == 9 else v for i, v in enumerate(STOPS)]
DRIFTING = build_profile(frame(series("w21003", NEGATIVE_DRIFT, start=T0 - HIST * HOUR)), NH3)


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("profile", "negatives", "severity"),
    [(OFTEN_ZERO, [21, 23, 24], "medium"), (OFTEN_ZERO, [23], "low"), (DRIFTING, [21, 23, 24], "low")],
    ids=["never-negative", "one-negative", "history-negative"],
)
def test_r02_negative_values_new_to_a_point_with_zero_runs(
    minute: bool, profile: PointProfile, negatives: list[int], severity: str
) -> None:
    assert profile.factor("w21003") is not None
    hourly = replaced(NH3_WINDOW, negatives, -0.03)
    per = 60 if minute else 1
    kw = {"step": MINUTE, "kind": "minute"} if minute else {}
    found = check_case(
        "R02",
        {
            "id": "six zero hours with negatives",
            "frame": frame(series("w21003", [v for v in hourly for _ in range(per)], **kw)),  # type: ignore[arg-type]
            "context": with_profile(NH3, profile),
            "expect": 1,
            "severity": severity,
            "windows": [(T0 + 20 * HOUR, T0 + 26 * HOUR)],
        },
    )
    if severity == "medium":
        assert "从未出现负值" in found[0].explanation_zh


# A point with no history yet (its first screened month) is judged on the rest of the window: six hours of
# zeros are unlike it when its other days (at least a week) never read zero; with negative values among
# them, those are new when its other days never went below zero. Not when such a value shows elsewhere in
# the window, nor when the window is too short to say.
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize("negatives", [True, False], ids=["with-negatives", "zeros-only"])
@pytest.mark.parametrize(
    ("days", "elsewhere", "severity"),
    [(10, None, "medium"), (10, 200, "low"), (5, None, "low")],
    ids=["never", "elsewhere", "short-window"],
)
def test_r02_zero_run_judged_on_the_window_without_history(
    minute: bool, negatives: bool, days: int, elsewhere: int | None, severity: str
) -> None:
    hourly = replaced(wavy(days * 24, 1.2, 0.5), range(100, 106), 0.0)
    if negatives:
        hourly = replaced(hourly, [101, 103, 104], -0.03)
    if elsewhere is not None:
        hourly = replaced(hourly, [elsewhere], -0.01 if negatives else 0.0)
    per = 60 if minute else 1
    kw = {"step": MINUTE, "kind": "minute"} if minute else {}
    found = check_case(
        "R02",
        {
            "id": f"six zero hours{' with negatives' if negatives else ''}, no profile",
            "frame": frame(series("w21003", [v for v in hourly for _ in range(per)], **kw)),  # type: ignore[arg-type]
            "context": NH3,
            "expect": 1,
            "severity": severity,
            "windows": [(T0 + 100 * HOUR, T0 + 106 * HOUR)],
        },
    )
    # CST days the rest touches
    text = "天的数据从未出现负值" if negatives else "天的数据从未出现零值或负值"
    assert (text in found[0].explanation_zh) == (severity == "medium")


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(("hours", "severity"), [(2, "medium"), (3, "medium"), (4, "high")])
def test_r02_with_power_on_high_from_twice_the_level(minute: bool, hours: int, severity: str) -> None:
    # two hours of zeros while the power meter shows production is the rule's threshold itself: medium
    # (yellow); twice it is high (red alone)
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    cod = [v for v in COD for _ in range(per)]
    values = replaced(cod, range(20 * per, (20 + hours) * per), 0.0)
    check_case(
        "R02",
        {
            "id": f"{hours} h of zeros",
            "frame": frame(
                series("w01018", values, step=step, kind=kind),
                series("wc_prod_kw", [100.0] * len(cod), step=step, kind=kind),
            ),
            "context": CTX,
            "expect": 1,
            "severity": severity,
            "windows": [(T0 + 20 * HOUR, T0 + (20 + hours) * HOUR)],
        },
    )


def _held_history(per: int) -> PointProfile:
    """30 days of an analyser that holds each COD result for 4 hours (its measuring cycle)."""
    n = 30 * 24 * per
    results = wavy(30 * 6, 30, 8)
    values = [results[i // (4 * per)] for i in range(n)]
    step, kind = (MINUTE, "minute") if per > 1 else (HOUR, "hour")
    return build_profile(frame(series("w01018", values, step=step, kind=kind, start=T0 - n * step)), CTX)


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r03_pile_counts_measurements_of_a_holding_analyser(minute: bool) -> None:
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    profile = _held_history(per)
    assert profile.factor("w01018").cycle_hours == pytest.approx(4.0)  # type: ignore[union-attr]
    ctx = with_profile(CTX, profile)
    day = [v for v in COD[:24] for _ in range(per)]
    # one result (48.0) held for 12 h: one measurement, not a pile
    one = replaced(day, range(6 * per, 18 * per), 48.0)
    f = frame(series("w01018", one, step=step, kind=kind))
    assert (
        check_case(
            "R03", {"id": "held", "frame": f, "context": ctx, "expect": 0, "variant": "pile_below_limit"}
        )
        == []
    )
    # five separate measurements all landing on 48.0 (other results between them): a pile
    many = list(day)
    for k in range(5):  # within the first CST day (T0 is 08:00 CST)
        many[(1 + 3 * k) * per : (3 + 3 * k) * per] = [48.0] * (2 * per)
    found = check_case(
        "R03",
        {
            "id": "five measurements",
            "frame": frame(series("w01018", many, step=step, kind=kind)),
            "context": ctx,
            "expect": 1,
            "variant": "pile_below_limit",
            "windows": [(T0 + 1 * HOUR, T0 + 15 * HOUR)],
        },
    )
    assert found[0].evidence["count"] == 5
    assert found[0].evidence["counted"] == "measurements (runs of a held value)"
    assert "按测量次数计" in found[0].explanation_zh


# A discharge flow meter judged like a pollutant (a sewage plant's inflow does not stop): six hours of
# zero and negative flow on a flow-only point are judged on the meter's own history (never on the flow
# itself as the operating basis); with a production power meter, zero flow while it runs is R11's.
FLOW_ONLY = PointContext(mn="MN0001", point_type=PointType.WATER, factors={"w00000": FactorSpec()})
INFLOW_HISTORY = wavy(HIST, 1200.0, 300.0)
NEVER_DRY = build_profile(frame(series("w00000", INFLOW_HISTORY, start=T0 - HIST * HOUR)), FLOW_ONLY)
NIGHTS_DRY = [0.0 if i % 24 < 8 else v for i, v in enumerate(INFLOW_HISTORY)]
OFTEN_DRY = build_profile(frame(series("w00000", NIGHTS_DRY, start=T0 - HIST * HOUR)), FLOW_ONLY)
INFLOW = replaced(replaced(wavy(N, 1200.0, 300.0), range(20, 26), 0.0), [22], -0.02)


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("profile", "power", "severity"),
    [
        (None, None, "low"),
        (NEVER_DRY, None, "medium"),
        (OFTEN_DRY, None, "low"),
        (NEVER_DRY, 100.0, None),
        (NEVER_DRY, 0.0, None),
    ],
    ids=["no-history", "never-dry", "often-dry", "power-on-is-R11s", "power-off"],
)
def test_r02_flow_meter_reading_zero(
    minute: bool, profile: PointProfile | None, power: float | None, severity: str | None
) -> None:
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    parts = [series("w00000", [v for v in INFLOW for _ in range(per)], step=step, kind=kind)]
    if power is not None:
        parts.append(series("wc_prod_kw", [power] * (N * per), step=step, kind=kind))
    context = FLOW_ONLY if profile is None else with_profile(FLOW_ONLY, profile)
    case: Case = {"id": "inflow at zero", "frame": frame(*parts), "context": context, "expect": 0}
    if severity is not None:
        case |= {"expect": 1, "severity": severity, "windows": [(T0 + 20 * HOUR, T0 + 26 * HOUR)]}
    found = check_case("R02", case)
    if found:
        assert found[0].evidence["operating_basis"] == "unknown"
        assert found[0].evidence["kind"] == "flow"
        assert found[0].evidence["min"] == -0.02
        assert "流量计" in found[0].explanation_zh


# Piles are judged against the point's own days: an analyser reporting whole mg/L on a source held at a
# set point by its controls repeats one value in [0.8 x limit, limit) on every day. With a history (or,
# without one, a window) that piles like that every day, the same day is no warning; a day piling far
# more than the point ever did still is.
SET_POINT_DAY = [44.0, 45.0, 45.0, 46.0, 45.0, 44.0, 45.0, 46.0, 45.0, 43.0, 45.0, 47.0] * 2  # 45.0: half
TOP_SET_POINT_DAY = [44.0, 45.0, 45.0, 43.0, 45.0, 44.0, 45.0, 42.0, 45.0, 43.0, 45.0, 44.0] * 2  # 45.0: top


def _hours_to(per: int, hourly: list[float], pattern: list[float] = SET_POINT_DAY) -> list[float]:
    """Minute data under the hour pattern: the hour's value where it differs from the set-point pattern
    (a preset), else the pattern cycled minute by minute (a continuous analyser, not one holding its
    result for the hour)."""
    if per == 1:
        return list(hourly)
    usual = pattern * (len(hourly) // 24 + 1)
    return [v if v != usual[h] else pattern[m % 24] for h, v in enumerate(hourly) for m in range(per)]


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r03_piles_calibrated_on_the_points_own_days(minute: bool) -> None:
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    history = _hours_to(per, SET_POINT_DAY * 30)
    profile = build_profile(
        frame(series("w01018", history, step=step, kind=kind, start=T0 - len(history) * step)), CTX
    )
    level = profile.level("R03", "pile_share", "w01018")
    assert level is not None
    assert level.level == pytest.approx(0.55)  # half its values, every day, plus the margin
    ctx = with_profile(CTX, profile)
    same = frame(series("w01018", _hours_to(per, SET_POINT_DAY), step=step, kind=kind))
    assert check_case("R03", {"id": "its usual day", "frame": same, "context": ctx, "expect": 0}) == []
    preset = replaced(SET_POINT_DAY, range(2, 16), 48.0)  # 14 of the first CST day's 16 hours at 48.0
    found = check_case(
        "R03",
        {
            "id": "a preset value on 14 of 16 hours",
            "frame": frame(series("w01018", _hours_to(per, preset), step=step, kind=kind)),  # type: ignore[arg-type]
            "context": ctx,
            "expect": 1,
            "variant": "pile_below_limit",
            "severity": "medium",
            "windows": [(T0 + 2 * HOUR, T0 + 16 * HOUR)],
        },
    )
    assert found[0].evidence["calibration"]["statistic"] == "pile_share"
    assert "该点位自身标定值" in found[0].explanation_zh


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r03_piles_without_history_judged_on_the_window(minute: bool) -> None:
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    # ten days that all pile at the set point, the day's top (T0 is 08:00 CST: 11 CST days, the first and
    # last partial)
    habit = frame(
        series("w01018", _hours_to(per, TOP_SET_POINT_DAY * 10, TOP_SET_POINT_DAY), step=step, kind=kind)
    )
    found = run_case("R03", {"frame": habit, "context": CTX})
    piles = [f for f in found if f.evidence["kind"] == "pile_below_limit"]
    assert piles
    assert all(f.severity.value == "low" for f in piles)
    assert "同样在该区间内同一数值上堆积" in piles[0].explanation_zh
    # the same pile on one day among ten that do not pile: a warning, as before
    wavy_days = [round(30.0 + 8.0 * ((i * 7) % 13) / 13 + 0.013 * i, 3) for i in range(24 * 10)]
    one = replaced(wavy_days, range(24 * 5, 24 * 5 + 24), 45.0)
    found = check_case(
        "R03",
        {
            "id": "one piled day among ten",
            "frame": frame(series("w01018", _hours_to(per, one, TOP_SET_POINT_DAY), step=step, kind=kind)),  # type: ignore[arg-type]
            "context": CTX,
            "expect": 2,
            "variant": "pile_below_limit",
            "severity": "medium",
        },
    )


def _one_day_pile(
    code: str, day: list[float], context: PointContext, minute: bool, expect: int, severity: str
) -> list[Finding]:
    """Screen one CST day of hourly values (each held for 60 minutes on minute data) with R03; ``expect``
    piles of ``severity`` on its first 12 hours."""
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    start = T0 + 16 * HOUR  # 00:00 CST: one CST day
    return check_case(
        "R03",
        {
            "id": f"{code} pile of 12 hours in a day of {sorted(set(day))}",
            "frame": frame(
                series(code, [v for v in day for _ in range(per)], step=step, kind=kind, start=start)
            ),
            "context": context,
            "expect": expect,
            "variant": "pile_below_limit",
            "severity": severity,
            "windows": [(start, start + 12 * HOUR)] if expect else [],
        },
    )


# A pile is the day's top: a value preset or clipped to stay under the limit replaces what would have been
# above it. The same 12 hours at 45.0 (limit 50) with a quarter of the day higher (46-48, a source near its
# set point reported in whole mg/L) is no pile; with those hours lower (43-44) it is.
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("others", "expect"), [([46.0, 47.0, 48.0], 0), ([43.0, 44.0, 43.5], 1)], ids=["higher", "lower"]
)
def test_r03_a_pile_is_the_days_top(minute: bool, others: list[float], expect: int) -> None:
    day = [45.0] * 12 + others * 2 + [42.0, 41.0, 42.5, 41.5, 42.0, 41.0]
    found = _one_day_pile("w01018", day, CTX, minute, expect, "medium")
    if found:
        assert found[0].evidence["above"] == 0
        assert "当日仅0个数据高于该值" in found[0].explanation_zh


SO2_ULTRA_LOW = PointContext(
    mn="MN0001", point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35, range_high=100)}
)


# An analyser reporting whole mg/m3 on an ultra-low SO2 limit of 35 has 7 possible readings in the band
# [28, 35): a steady source reads the same few values all day, one of them its top, so a pile there is a
# clue only. The same day reported to 0.1 mg/m3 (70 readings in the band) stays a warning.
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("others", "severity"),
    [([30.0, 31.0, 32.0, 29.0], "low"), ([30.4, 31.7, 32.2, 29.6], "medium")],
    ids=["whole-units", "tenths"],
)
def test_r03_pile_on_a_coarse_output_step_is_a_clue(minute: bool, others: list[float], severity: str) -> None:
    found = _one_day_pile("a21026", [33.0] * 12 + others * 3, SO2_ULTRA_LOW, minute, 1, severity)
    evidence = found[0].evidence
    assert evidence["output_step"] == (1.0 if severity == "low" else 0.1)
    if severity == "low":
        assert evidence["band_readings"] == 7.0
        assert found[0].score <= 0.2  # weight 0.4 x 0.2: stays green beside another clue
        assert "只有约7个可能读数" in found[0].explanation_zh
    else:
        assert "可能读数" not in found[0].explanation_zh


def _six_zero_hours_while_flowing(values: list[float | None], minute: bool, severity: str) -> list[Finding]:
    """Screen 48 hours of an NH3-N analyser (hours 20-25 at zero) beside a running flow; one finding of
    ``severity`` on those six hours."""
    per = 60 if minute else 1
    kw = {"step": MINUTE, "kind": "minute"} if minute else {}
    return check_case(
        "R02",
        {
            "id": "six zero hours while the flow runs",
            "frame": frame(
                series("w21003", [v for v in values for _ in range(per)], **kw),  # type: ignore[arg-type]
                series("w00000", [120.0] * (len(values) * per), **kw),  # type: ignore[arg-type]
            ),
            "context": NH3,
            "expect": 1,
            "severity": severity,
            "windows": [(T0 + 20 * HOUR, T0 + 26 * HOUR)],
        },
    )


# Zeros below an analyser's output step: an NH3-N analyser reporting in 0.1 mg/L steps on an effluent
# that runs at 0.1-0.3 mg/L (median at most three steps) reads 0.0 whenever the value is under 0.05; six
# zero hours while the flow runs are then a clue (low). The same analyser on an effluent at 1.2 mg/L
# (twelve steps) reading zero is a warning (medium), as are new negative values.
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("level", "zero", "severity"),
    [(0.2, 0.0, "low"), (1.2, 0.0, "medium"), (0.2, -0.1, "low")],
    ids=["low-level", "clear-level", "low-level-one-negative"],
)
def test_r02_zeros_below_the_output_step(minute: bool, level: float, zero: float, severity: str) -> None:
    hours = 48
    base: list[float | None] = [round(level + 0.1 * ((i * 5) % 3 - 1), 1) for i in range(hours)]
    values = replaced(replaced(base, range(20, 26), 0.0), [22], zero)
    found = _six_zero_hours_while_flowing(values, minute, severity)
    if level < 1.0:
        assert "低于一个输出步长" in found[0].explanation_zh
        assert found[0].score == pytest.approx(0.1)  # the weakest clue: adds up with no other one


# The same analyser on an effluent whose median is clearly above zero (eight steps) but that reads its
# smallest output, one step (0.1 mg/L), on a sixth of its hours: a zero is the next reading down, a clue
# (low); without those one-step readings the six zero hours while the flow runs are a warning (medium).
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(("dips", "severity"), [(True, "low"), (False, "medium")], ids=["one-step", "never"])
def test_r02_zeros_of_an_analyser_that_often_reads_one_step(minute: bool, dips: bool, severity: str) -> None:
    hours = 48
    base: list[float | None] = [
        0.1 if dips and i % 6 == 3 else round(0.8 + 0.1 * ((i * 5) % 3 - 1), 1) for i in range(hours)
    ]
    found = _six_zero_hours_while_flowing(replaced(base, range(20, 26), 0.0), minute, severity)
    assert ("仅为一个步长" in found[0].explanation_zh) == dips


# The same analyser (eight steps, never one step) drifting down to its smallest reading, 0.1 mg/L, just
# before six zero hours and reading 0.1 again just after them: the zeros are the next reading down (a
# value under 0.05), a clue. Two steps (0.2) on either side are not: the zeros stay a warning.
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("around", "severity"), [(0.1, "low"), (0.2, "medium")], ids=["one-step-around", "two-steps-around"]
)
def test_r02_zeros_between_one_step_readings(minute: bool, around: float, severity: str) -> None:
    hours = 48
    base: list[float | None] = [round(0.8 + 0.1 * ((i * 5) % 3 - 1), 1) for i in range(hours)]
    values = replaced(replaced(replaced(base, range(20, 26), 0.0), [19, 26], around), [18, 27], 0.4)
    found = _six_zero_hours_while_flowing(values, minute, severity)
    assert ("之前的读数为0.1、之后为0.1" in found[0].explanation_zh) == (severity == "low")
    if severity == "low":
        assert found[0].score == pytest.approx(0.1)  # the weakest clue


# A sewage plant's inflow meter reads zero for five hours, then carries far more than usual: the pumping
# station stopped and emptied its wet well afterwards, the volume is on record (a clue). The same zeros
# followed by the usual flow, or by too little extra to make up for them, stay 'unlike this point'.
SEWAGE_INFLOW = PointContext(mn="MN0001", point_type=PointType.WATER, factors={"w00000": FactorSpec()})
FLOWING = build_profile(
    frame(series("w00000", wavy(HIST, 1100.0, 200.0), start=T0 - HIST * HOUR)), SEWAGE_INFLOW
)


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("before", "after", "severity"),
    [
        ([], [3000.0] * 10, "low"),
        ([], [2000.0] * 2, "medium"),
        ([], [], "medium"),
        ([2000.0, 2500.0, 3000.0, 3500.0], [3400.0] * 10, "medium"),
        ([], [1100.0, 1150.0] + [3300.0] * 8, "medium"),
    ],
    ids=["caught-up", "too-little-after", "usual-after", "mid-storm", "storm-later"],
)
def test_r02_zero_inflow_made_up_afterwards_is_a_clue(
    minute: bool, before: list[float], after: list[float], severity: str
) -> None:
    """Mid-storm: the zeros cut a rising storm flow (3,500 just before), and the flow after them is the
    storm's, not a catch-up on top of it. Storm later: the usual flow for two hours after the zeros, then
    a storm: no pump restarted on a full wet well."""
    hourly = replaced(wavy(N, 1100.0, 200.0), range(20, 25), 0.0)
    hourly[20 - len(before) : 20] = before
    hourly[25 : 25 + len(after)] = after
    per = 60 if minute else 1
    step, kind = (MINUTE, "minute") if minute else (HOUR, "hour")
    flow = series("w00000", [v for v in hourly for _ in range(per)], step=step, kind=kind)
    found = check_case(
        "R02",
        {
            "id": "five zero hours of a sewage inflow",
            "frame": frame(flow),
            "context": with_profile(SEWAGE_INFLOW, FLOWING),
            "expect": 1,
            "severity": severity,
            "windows": [(T0 + 20 * HOUR, T0 + 25 * HOUR)],
        },
    )
    caught = found[0].evidence["caught_up"]
    assert (caught is not None) == (severity == "low")
    assert ("被截留的水量随后已计入流量" in found[0].explanation_zh) == (severity == "low")
    if caught is not None:
        assert caught["missed_volume"] == pytest.approx(5 * 1100, rel=0.1)  # the usual level x 5 h
        assert caught["excess_volume"] >= caught["missed_volume"]
