"""Table-driven tests of R20 (flat value while the working condition varies), minute and hour data."""

import datetime as dt
import random

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.base import Series
from ecosentinel.detection.calibration import build_profile, with_profile
from ecosentinel.detection.rules.r20_flat_while_working import (
    FlatWhileWorkingParams,
    _runs_numpy,
    _runs_polars,
)
from ecosentinel.readings import DataKind
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, series

GAS = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21002": FactorSpec(limit=200)})
WATER = PointContext(mn=MN, point_type=PointType.WATER, factors={"w01018": FactorSpec(limit=100)})

DAYS_M = 2 * 1440
FREEZE_M = (1500, 1500 + 8 * 60)  # 8 hours of minutes on day 2


def nox(n: int, period: int) -> list[float]:
    """A load-following NOx signal at 0.1 resolution that never repeats for long."""
    return [round(120.0 + 15.0 * ((i * 7) % period) / period + 0.1 * (i % 13), 1) for i in range(n)]


def load(n: int, period: int) -> list[float]:
    """Production power swinging between 60 and 100 % (kW)."""
    return [6000.0 + 4000.0 * abs(((i % period) / period) * 2 - 1) for i in range(n)]


def frozen(values: list[float], a: int, b: int) -> list[float | None]:
    out: list[float | None] = list(values)
    for i in range(a, b):
        out[i] = values[a]
    return out


MIN_NOX = nox(DAYS_M, 37)
MIN_LOAD = load(DAYS_M, 240)
HOURS = 10 * 24
FREEZE_H = (150, 160)
HOUR_NOX = nox(HOURS, 11)
HOUR_LOAD = load(HOURS, 12)


def minute(code: str, values: list[float | None], flags: dict[int, str] | None = None) -> pl.DataFrame:
    return series(code, values, step=MINUTE, kind="minute", flags=flags)


CASES: list[Case] = [
    {
        "id": "catch: 8 hours of identical NOx minute values while production power swings 60-100 %",
        "frame": frame(minute("a21002", frozen(MIN_NOX, *FREEZE_M)), minute("wc_prod_kw", list(MIN_LOAD))),
        "context": GAS,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + FREEZE_M[0] * MINUTE, T0 + FREEZE_M[1] * MINUTE)],
    },
    {
        "id": "catch: hourly NOx identical for 10 hours while load swings",
        "frame": frame(series("a21002", frozen(HOUR_NOX, *FREEZE_H)), series("wc_prod_kw", list(HOUR_LOAD))),
        "context": GAS,
        "expect": 1,
        "windows": [(T0 + FREEZE_H[0] * HOUR, T0 + FREEZE_H[1] * HOUR)],
    },
    {
        "id": "catch: no power meter, flue-gas flow follows the load (medium)",
        "frame": frame(
            minute("a21002", frozen(MIN_NOX, *FREEZE_M)), minute("a00000", [v * 30 for v in MIN_LOAD])
        ),
        "context": GAS,
        "expect": 1,
        "severity": "medium",
        "windows": [(T0 + FREEZE_M[0] * MINUTE, T0 + FREEZE_M[1] * MINUTE)],
    },
    {
        "id": "clean: a 60-min analyser holds each result while flow varies (its own cycle)",
        "frame": frame(
            minute("w01018", [v for v in nox(DAYS_M // 60, 9) for _ in range(60)]),
            minute("w00000", [v / 100 for v in MIN_LOAD]),
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: an integer-reported SO2 sitting at 3 (three steps above zero) while the load swings",
        "frame": frame(
            minute(
                "a21002", [3.0 if FREEZE_M[0] <= i < FREEZE_M[1] else float(3 + i % 5) for i in range(DAYS_M)]
            ),
            minute("wc_prod_kw", list(MIN_LOAD)),
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: identical values while the load is steady (base load)",
        "frame": frame(minute("a21002", frozen(MIN_NOX, *FREEZE_M)), minute("wc_prod_kw", [8000.0] * DAYS_M)),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "trap: the plant is stopped (power near zero) while the value is held",
        "frame": frame(
            minute("a21002", frozen(MIN_NOX, *FREEZE_M)),
            minute(
                "wc_prod_kw", [0.0 if FREEZE_M[0] <= i < FREEZE_M[1] else v for i, v in enumerate(MIN_LOAD)]
            ),
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "missing: the frozen stretch is broken by missing minutes every 90 minutes",
        "frame": frame(
            minute(
                "a21002",
                [
                    None if (FREEZE_M[0] <= i < FREEZE_M[1] and i % 90 == 0) else v
                    for i, v in enumerate(frozen(MIN_NOX, *FREEZE_M))
                ],
            ),
            minute("wc_prod_kw", list(MIN_LOAD)),
        ),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: the held value is a calibration (flag C)",
        "frame": frame(
            minute("a21002", frozen(MIN_NOX, *FREEZE_M), flags={i: "C" for i in range(*FREEZE_M)}),
            minute("wc_prod_kw", list(MIN_LOAD)),
        ),
        "context": GAS,
        "expect": 0,
    },
]


def holding_analyser(cycles: int, hold: int, jitter: range, equal: range) -> list[float | None]:
    """An analyser holding each result for ``hold`` rows (adjacent results differ), whose results
    ``equal`` repeat the first of them, and whose rows ``jitter`` change every row (a day of minute
    noise: a replayed day, a narrow band, a data logger briefly interpolating)."""
    results = [round(30.0 + 0.5 * ((k * 7) % 23), 1) for k in range(cycles)]
    for k in equal:
        results[k] = results[equal[0]]
    values: list[float | None] = [r for r in results for _ in range(hold)]
    for i in jitter:
        values[i] = 31.1 + 0.1 * (i % 2)
    return values


# T0 is 08:00 CST: CST days start at row 16 h + k days. Minutes: a 2-hour analyser over 4 days with CST
# day 2 jittering each minute (1,440 one-minute runs against about 45 holds): the median over all runs is
# one minute, the median over days two hours (cycle), so six cycles are 12 h.
DAY2_M = range(16 * 60 + 1440, 16 * 60 + 2 * 1440)
HOLDS_M = 4 * 1440 // 120
# Hours: a 4-hour analyser over 12 days with CST days 2-4 jittering each hour (72 runs against 54).
DAYS24_H = range(16 + 2 * 24, 16 + 5 * 24)
HOLDS_H = 12 * 24 // 4
WATER_PROD = PointContext(mn=MN, point_type=PointType.WATER, factors={"w01018": FactorSpec(limit=50)})

CASES += [
    {
        "id": "clean: minutes, a 2-h analyser's 4 equal results (8 h) while another day jitters each minute",
        "frame": frame(
            minute("w01018", holding_analyser(HOLDS_M, 120, DAY2_M, range(33, 37))),
            minute("wc_prod_kw", list(load(4 * 1440, 240))),
        ),
        "context": WATER_PROD,
        "expect": 0,
    },
    {
        "id": "catch: minutes, the same analyser frozen for 8 results (16 h) while another day jitters",
        "frame": frame(
            minute("w01018", holding_analyser(HOLDS_M, 120, DAY2_M, range(33, 41))),
            minute("wc_prod_kw", list(load(4 * 1440, 240))),
        ),
        "context": WATER_PROD,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 33 * 120 * MINUTE, T0 + 41 * 120 * MINUTE)],
    },
    {
        "id": "clean: hours, a 4-h analyser's 4 equal results (16 h) while three other days jitter",
        "frame": frame(
            series("w01018", holding_analyser(HOLDS_H, 4, DAYS24_H, range(40, 44))),
            series("wc_prod_kw", list(load(12 * 24, 12))),
        ),
        "context": WATER_PROD,
        "expect": 0,
    },
    {
        "id": "catch: hours, the same analyser frozen for 7 results (28 h) while three other days jitter",
        "frame": frame(
            series("w01018", holding_analyser(HOLDS_H, 4, DAYS24_H, range(40, 47))),
            series("wc_prod_kw", list(load(12 * 24, 12))),
        ),
        "context": WATER_PROD,
        "expect": 1,
        "severity": "high",
        "windows": [(T0 + 40 * 4 * HOUR, T0 + 47 * 4 * HOUR)],
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r20(case: Case) -> None:
    found = check_case("R20", case)
    if "windows" in case:
        assert "工况" in found[0].explanation_zh


@pytest.mark.parametrize("seed", range(20))
def test_r20_runs_by_index_equal_the_group_by(seed: int) -> None:
    """``_runs_numpy`` (run boundaries by index) gives the frame of ``_runs_polars`` (the group-by)."""
    rng = random.Random(seed)
    n = rng.choice([0, 1, 2, 50, 500])
    values = [rng.choice([None, 0.0, -0.0, 1.0, 1.0, 2.5, float("inf")]) for _ in range(n)]
    times = [T0 + dt.timedelta(minutes=i) for i in range(n)]
    frame = pl.DataFrame(
        {
            "time": pl.Series(times, dtype=pl.Datetime("us", "UTC")),
            "value": pl.Series(values, dtype=pl.Float64),
        }
    )
    s = Series("w01018", DataKind.MINUTE, "platform", frame, dt.timedelta(minutes=1))
    found = _runs_numpy(s)
    assert found is not None
    assert found.equals(_runs_polars(s))
    with_nan = Series(
        "w01018", DataKind.MINUTE, "platform", frame.with_columns(pl.lit(float("nan")).alias("value")), None
    )
    assert n == 0 or _runs_numpy(with_nan) is None  # NaN: the group-by decides


@pytest.mark.parametrize("minute_data", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("limit", "severity", "text"),
    [(200.0, "high", None), (400.0, "low", "从未接近限值"), (100.0, "low", "不低于排放限值100")],
    ids=["near-the-limit", "history-under-half-the-limit", "held-over-the-limit"],
)
def test_r20_a_held_value_that_serves_no_falsifier_is_a_weak_clue(
    minute_data: bool, limit: float, severity: str, text: str | None
) -> None:
    # the same freeze while the load swings: evidence when the factor came near its limit (NOx 120-135 of
    # 200), a clue for the instrument when its history never reached half the limit (of 400) or when the
    # held value is over the limit (of 100): holding it reports more, not less
    context = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21002": FactorSpec(limit=limit)})
    history = nox(HOURS, 11)
    profile = build_profile(frame(series("a21002", history), series("wc_prod_kw", list(HOUR_LOAD))), context)
    if minute_data:
        f = frame(minute("a21002", frozen(MIN_NOX, *FREEZE_M)), minute("wc_prod_kw", list(MIN_LOAD)))
        window = (T0 + FREEZE_M[0] * MINUTE, T0 + FREEZE_M[1] * MINUTE)
    else:
        f = frame(series("a21002", frozen(HOUR_NOX, *FREEZE_H)), series("wc_prod_kw", list(HOUR_LOAD)))
        window = (T0 + FREEZE_H[0] * HOUR, T0 + FREEZE_H[1] * HOUR)
    found = check_case(
        "R20",
        {
            "id": "freeze",
            "frame": f,
            "context": with_profile(context, profile),
            "expect": 1,
            "windows": [window],
        },
    )
    if severity == "high":
        assert found[0].severity.value in ("medium", "high")
        assert "此项仅作提示" not in found[0].explanation_zh
    else:
        assert found[0].severity.value == "low"
        assert found[0].score == FlatWhileWorkingParams().explained_score
        assert text is not None
        assert text in found[0].explanation_zh
