"""R12 'ceiling': values clipped just under the limit for days, against the point's own earlier values.

Hour and minute data; every catch asserts the flagged window (CST days, T0 is 08:00 CST).
"""

import datetime as dt
import random

import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.calibration import build_profile, with_profile
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, series

LIMIT = 35.0
GAS = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=LIMIT)})
CST_MIDNIGHT = 16  # hour index of 00:00 CST after T0 (08:00 CST)


def honest(n: int, seed: int) -> list[float | None]:
    rng = random.Random(seed)
    return [round(max(0.0, rng.gauss(20.0, 4.0)), 2) for _ in range(n)]


def clipped(values: list[float | None], a: int, b: int, seed: int = 5) -> list[float | None]:
    """Rows a..b-1 raised and clipped just under the limit (0.93-0.995 L), as the bunching scenario does."""
    rng = random.Random(seed)
    out = list(values)
    for i in range(a, b):
        v = out[i]
        if v is not None:
            raised = v * 2.0
            out[i] = round(rng.uniform(0.93, 0.995) * LIMIT if raised > 0.93 * LIMIT else raised, 2)
    return out


H = CST_MIDNIGHT + 13 * 24
PILE_H = (CST_MIDNIGHT + 10 * 24, CST_MIDNIGHT + 13 * 24)  # three CST days after ten honest ones
HOURLY = honest(H, 1)
M_DAYS = 7
PILE_M = ((CST_MIDNIGHT + 4 * 24) * 60, (CST_MIDNIGHT + 7 * 24) * 60)
MINUTES = [
    None if v is None else round(v + 0.1 * (i % 7 - 3), 2)
    for i, v in enumerate(x for x in honest(CST_MIDNIGHT + M_DAYS * 24, 2) for _ in range(60))
]
"""A load level per hour with minute noise (an hourly-level signal sampled every minute)."""


def first_last_in_band(values: list[float | None], step_rows: int) -> tuple[int, int]:
    """Hour indexes of the first and last hourly value in [0.9 L, L) (hourly means for minute data)."""
    hours = [values[i : i + step_rows] for i in range(0, len(values), step_rows)]
    means = [sum(v for v in h if v is not None) / len(h) for h in hours]
    inside = [i for i, m in enumerate(means) if 0.9 * LIMIT <= m < LIMIT]
    return inside[0], inside[-1]


def ceiling_window(values: list[float | None], step_rows: int) -> tuple[dt.datetime, dt.datetime]:
    """From the first clipped hour to the end of the last one."""
    a, b = first_last_in_band(values, step_rows)
    return T0 + a * HOUR, T0 + (b + 1) * HOUR


H_WINDOW = ceiling_window(clipped(HOURLY, *PILE_H), 1)
M_WINDOW = ceiling_window(clipped(MINUTES, *PILE_M), 60)

CASES: list[Case] = [
    {
        "id": "catch: hourly values clipped just under the limit for three days",
        "frame": frame(series("a21026", clipped(HOURLY, *PILE_H))),
        "context": GAS,
        "expect": 1,
        "variant": "ceiling",
        "severity": "medium",
        "windows": [H_WINDOW],
    },
    {
        "id": "catch: minute values clipped for three days (judged on clock-hour means)",
        "frame": frame(series("a21026", clipped(MINUTES, *PILE_M), step=MINUTE, kind="minute")),
        "context": GAS,
        "expect": 1,
        "variant": "ceiling",
        "severity": "medium",
        "windows": [M_WINDOW],
    },
    {
        "id": "clean: thirteen honest days",
        "frame": frame(series("a21026", HOURLY)),
        "context": GAS,
        "expect": 0,
        "variant": "ceiling",
    },
    {
        "id": "trap: honest values rise and cross the limit (no ceiling: values above L too)",
        "frame": frame(
            series(
                "a21026",
                [None if v is None else (v * 1.6 if PILE_H[0] <= i else v) for i, v in enumerate(HOURLY)],
            )
        ),
        "context": GAS,
        "expect": 0,
        "variant": "ceiling",
    },
    {
        "id": "missing: the clipped days are mostly missing (4 valid hours a day)",
        "frame": frame(
            series(
                "a21026",
                [None if (PILE_H[0] <= i and i % 6) else v for i, v in enumerate(clipped(HOURLY, *PILE_H))],
            )
        ),
        "context": GAS,
        "expect": 0,
        "variant": "ceiling",
    },
    {
        "id": "calibration flag: the clipped stretch is flagged C",
        "frame": frame(series("a21026", clipped(HOURLY, *PILE_H), flags={i: "C" for i in range(*PILE_H)})),
        "context": GAS,
        "expect": 0,
        "variant": "ceiling",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r12_ceiling(case: Case) -> None:
    found = check_case("R12", case)
    if not case["id"].startswith("catch:"):
        return
    assert found[0].evidence["pre_window_share"] < 0.05
    assert "截顶" in found[0].explanation_zh


def test_r12_ceiling_windows_lie_in_the_clipped_days() -> None:
    """The expected windows are not read off the rule: the honest days before hold no in-band hour."""
    assert T0 + (PILE_H[0] - 1) * HOUR <= H_WINDOW[0] < H_WINDOW[1] <= T0 + PILE_H[1] * HOUR
    assert T0 + (PILE_M[0] // 60 - 1) * HOUR <= M_WINDOW[0] < M_WINDOW[1] <= T0 + PILE_M[1] * MINUTE


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r12_ceiling_window_starts_and_ends_with_the_pile_not_at_cst_midnight(minute: bool) -> None:
    # the pile starts at 13:00 CST and ends at 06:00 CST: the day windows find it, the finding covers it
    if minute:
        a, b = PILE_M[0] - 11 * 60, PILE_M[1] + 6 * 60
        values = clipped(MINUTES + MINUTES[: 24 * 60], a, b)
        kw = {"step": MINUTE, "kind": "minute"}
        first, last = first_last_in_band(values, 60)
    else:
        a, b = PILE_H[0] - 11, PILE_H[1] + 6
        values = clipped(HOURLY + HOURLY[:24], a, b)
        kw = {}
        first, last = first_last_in_band(values, 1)
    found = check_case(
        "R12",
        {
            "id": "pile across CST midnights",
            "frame": frame(series("a21026", values, **kw)),  # type: ignore[arg-type]
            "context": GAS,
            "expect": 1,
            "variant": "ceiling",
            "severity": "medium",
        },
    )
    assert (found[0].start, found[0].end) == (T0 + first * HOUR, T0 + (last + 1) * HOUR)
    assert found[0].start < T0 + (PILE_H[0] if not minute else PILE_M[0] // 60) * HOUR


# A short screening window (the pile's three CST days and half a day before them): the window holds too
# few values before the pile to say what is usual for this point, so the ceiling test reads the point's
# clean history instead (profile ``band_share``); without a profile it cannot judge.
SHORT_PRE = 12  # hours of the window before the pile


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize("with_history", [True, False], ids=["history", "no-history"])
def test_r12_ceiling_on_a_short_window_reads_the_points_history(minute: bool, with_history: bool) -> None:
    per, kw = (60, {"step": MINUTE, "kind": "minute"}) if minute else (1, {})
    hist_h = 30 * 24
    history = honest(hist_h, 7)
    profile = build_profile(frame(series("a21026", history, start=T0 - hist_h * HOUR)), GAS)
    assert profile.level("R12", "band_share", "a21026") is not None
    hours = clipped(honest(SHORT_PRE + 3 * 24, 3), SHORT_PRE, SHORT_PRE + 3 * 24)
    values = [v for v in hours for _ in range(per)]
    start = T0 + (CST_MIDNIGHT - SHORT_PRE) * HOUR  # the pile starts at 00:00 CST
    context = with_profile(GAS, profile) if with_history else GAS
    found = check_case(
        "R12",
        {
            "id": "short window",
            "frame": frame(series("a21026", values, start=start, **kw)),  # type: ignore[arg-type]
            "context": context,
            "expect": 1 if with_history else 0,
            "variant": "ceiling",
        },
    )
    if found:
        a, b = first_last_in_band(values, per)
        assert (found[0].start, found[0].end) == (start + a * HOUR, start + (b + 1) * HOUR)
        assert found[0].evidence["history"]["statistic"] == "band_share"
        assert "历史标定数据" in found[0].explanation_zh


# A source back from a long outage, with no clean history: the pile comes half a day after the window
# starts, and the point's own values after the pile are the only baseline there is.
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize("after_days", [7, 0], ids=["week-after", "nothing-after"])
def test_r12_ceiling_after_an_outage_reads_the_values_after_the_pile(minute: bool, after_days: int) -> None:
    per, kw = (60, {"step": MINUTE, "kind": "minute"}) if minute else (1, {})
    n = SHORT_PRE + (3 + after_days) * 24
    hours = clipped(honest(n, 4), SHORT_PRE, SHORT_PRE + 3 * 24)
    values = [v for v in hours for _ in range(per)]
    start = T0 + (CST_MIDNIGHT - SHORT_PRE) * HOUR  # the pile starts at 00:00 CST
    found = check_case(
        "R12",
        {
            "id": "after an outage",
            "frame": frame(series("a21026", values, start=start, **kw)),  # type: ignore[arg-type]
            "context": GAS,
            "expect": 1 if after_days else 0,
            "variant": "ceiling",
        },
    )
    if found:
        a, b = first_last_in_band(values[: (SHORT_PRE + 3 * 24) * per], per)  # the pile's own hours
        assert (found[0].start, found[0].end) == (start + a * HOUR, start + (b + 1) * HOUR)
        assert found[0].evidence["baseline"] == "window before and after"
        assert found[0].evidence["pre_window_values"] >= after_days * 24
        assert "该时段之后的数据" in found[0].explanation_zh


# An analyser that holds each result for its 4-hour cycle: the ceiling counts its results. Clipped
# results over three days are a pile; one result stuck just under the limit for the three days is one
# measurement (R01 reports the stuck analyser), not a pile.
def _held(hours: list[float | None], cycle: int = 4) -> list[float | None]:
    return [hours[(i // cycle) * cycle] for i in range(len(hours))]


HELD_PILED = _held(clipped(HOURLY, *PILE_H))
HELD_STUCK = _held([0.97 * LIMIT if PILE_H[0] <= i < PILE_H[1] else v for i, v in enumerate(HOURLY)])


@pytest.mark.parametrize(("values", "expect"), [(HELD_PILED, 1), (HELD_STUCK, 0)], ids=["piled", "stuck"])
def test_r12_ceiling_counts_a_holding_analysers_results(values: list[float | None], expect: int) -> None:
    found = check_case(
        "R12",
        {
            "id": "4-h analyser",
            "frame": frame(series("a21026", values)),
            "context": GAS,
            "expect": expect,
            "variant": "ceiling",
        },
    )
    if found:
        assert found[0].evidence["window_count"] <= 3 * 24 // 4 + 1  # results, not hours
        assert found[0].start >= T0 + PILE_H[0] * HOUR - dt.timedelta(days=1)


# A weak pile: three CST days with 11 of their 24 hours clipped under the limit, the day before with 5 of
# them, the day after with 1. The three-day windows that take in the day before fall under the 0.4 share,
# but that day alone is in band about nine times as often as the point's days before it (binomial tail
# about 2e-4): it joins the pile. One hour in band the day after (tail about 0.4) does not.
PILE_HOURS = {1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21}
EDGE_HOURS = {2, 6, 10, 14, 20}


def _weak_pile() -> list[float | None]:
    values = list(HOURLY) + list(HOURLY[:24])
    rng = random.Random(9)
    for day, hours in ((9, EDGE_HOURS), (10, PILE_HOURS), (11, PILE_HOURS), (12, PILE_HOURS), (13, {4})):
        for h in hours:
            values[CST_MIDNIGHT + day * 24 + h] = round(rng.uniform(0.93, 0.995) * LIMIT, 2)
    return values


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r12_ceiling_takes_in_an_edge_day_that_is_in_band_on_its_own(minute: bool) -> None:
    hourly = _weak_pile()
    per = 60 if minute else 1
    kw = {"step": MINUTE, "kind": "minute"} if minute else {}
    found = check_case(
        "R12",
        {
            "id": "weak pile with an edge day",
            "frame": frame(series("a21026", [v for v in hourly for _ in range(per)], **kw)),  # type: ignore[arg-type]
            "context": GAS,
            "expect": 1,
            "variant": "ceiling",
            "severity": "medium",
        },
    )
    first = CST_MIDNIGHT + 9 * 24 + min(EDGE_HOURS)
    last = CST_MIDNIGHT + 12 * 24 + max(PILE_HOURS)
    assert (found[0].start, found[0].end) == (T0 + first * HOUR, T0 + (last + 1) * HOUR)
    assert found[0].evidence["edge_days_joined"] == 1
    assert "前后相邻的1天单日也显著密集贴限" in found[0].explanation_zh
