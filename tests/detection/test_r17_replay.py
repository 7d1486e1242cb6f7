"""Table-driven tests of R17 (a day of data copied or replayed from an earlier day)."""

import datetime as dt
import math
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.calibration import build_profile, with_profile
from ecosentinel.detection.rules.r17_replay import ReplayParams, _none_within, _windows
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, replaced, run_case, series

GAS = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35)})


def honest(n: int, per_day: int, seed: int) -> list[float | None]:
    """A daily cycle plus measurement noise, at 2 decimals: similar days, never the same day twice."""
    rng = random.Random(seed)
    return [round(20 + 5 * math.sin(2 * math.pi * i / per_day) + rng.gauss(0, 1.5), 2) for i in range(n)]


DAYS = 8
H = honest(24 * DAYS, 24, 1)
DAY6 = range(144, 168)


def copied(values: list[float | None], rows: range, lag_rows: int, jitter: float = 0.0) -> list[float | None]:
    rng = random.Random(7)
    out = list(values)
    for i in rows:
        v = values[i - lag_rows]
        out[i] = None if v is None else round(v * (1 + jitter * rng.gauss(0, 1)), 2)
    return out


M = honest(3 * 1440, 1440, 2)

CASES: list[Case] = [
    {
        "id": "catch: day 6 is an exact copy of day 4 (hourly)",
        "frame": frame(series("a21026", copied(H, DAY6, 48))),
        "context": GAS,
        "expect": 1,
        "variant": "identical",
        "severity": "high",
        "windows": [(T0 + 144 * HOUR, T0 + 168 * HOUR)],  # day 6, the copied day
    },
    {
        "id": "catch: day 6 is day 5 with 0.5% noise added (near-identical)",
        "frame": frame(series("a21026", copied(H, DAY6, 24, jitter=0.005))),
        "context": GAS,
        "expect": 1,
        "variant": "near_identical",
        "severity": "medium",
    },
    {
        "id": "catch: a day of minute data replayed from two days earlier",
        "frame": frame(series("a21026", copied(M, range(2880, 4320), 2880), step=MINUTE, kind="minute")),
        "context": GAS,
        "expect": 1,
        "variant": "identical",
        "windows": [(T0 + 2880 * MINUTE, T0 + 4320 * MINUTE)],
    },
    {
        "id": "clean: eight honest days with the same daily cycle",
        "frame": frame(series("a21026", H)),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: a constant value repeated every day is R01's finding, not a replay",
        "frame": frame(series("a21026", [12.0] * (24 * DAYS))),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "clean: days at the detection floor (2, 2, ..., 4) repeat by themselves",
        "frame": frame(series("a21026", [4.0 if i % 24 == 23 else 2.0 for i in range(24 * DAYS)])),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "missing: the copied day is half missing, too little to compare",
        "frame": frame(series("a21026", replaced(copied(H, DAY6, 48), range(144, 156), None))),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: the copied day is C-flagged (values not valid, not compared)",
        "frame": frame(series("a21026", copied(H, DAY6, 48), flags={i: "C" for i in DAY6})),
        "context": GAS,
        "expect": 0,
    },
    {
        "id": "calibration flag: the copied day is M-flagged (maintenance, values not valid)",
        "frame": frame(series("a21026", copied(H, DAY6, 48), flags={i: "M" for i in DAY6})),
        "context": GAS,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r17_cases(case: Case) -> None:
    check_case("R17", case)


def test_r17_identical_evidence_names_the_source_day() -> None:
    f = check_case("R17", CASES[0])[0]
    assert f.evidence["lag_days"] == 2
    assert f.evidence["identical_share"] == 1.0
    assert f.evidence["compared"] == 24
    assert f.evidence["window"] == ["2024-03-07T08:00+08:00", "2024-03-08T08:00+08:00"]
    assert f.evidence["source_window"] == ["2024-03-05T08:00+08:00", "2024-03-06T08:00+08:00"]
    assert "2天前" in f.explanation_zh


# Per-point calibration (statistic replay_distance): a base-load point whose days repeat one schedule
# matches its earlier days to about 1 % naturally. Its history sets the near-identical level below that,
# so such a day is no finding with the profile (it is one with the rule's 2 % constant), while a copy
# with 0.2 % noise is caught either way. Hour and minute data.
def schedule(days: int, per_day: int, seed: int, noise: float = 0.007) -> list[float | None]:
    rng = random.Random(seed)
    return [
        round(
            300 * (1 + 0.2 * math.sin(2 * math.pi * (i % per_day) / per_day)) * (1 + rng.gauss(0, noise)), 1
        )
        for i in range(days * per_day)
    ]


@pytest.mark.parametrize("per_day", [24, 1440], ids=["hour", "minute"])
def test_r17_near_identical_level_is_calibrated_on_a_repeating_schedule(per_day: int) -> None:
    step, kind = (HOUR, "hour") if per_day == 24 else (MINUTE, "minute")
    history = series("a21026", schedule(30, per_day, 3), start=T0 - 30 * 24 * HOUR, step=step, kind=kind)
    profile = build_profile(frame(history), GAS)
    level = profile.level("R17", "replay_distance", "a21026")
    assert level is not None
    assert 0.002 <= level.level < 0.01  # below the schedule's natural ~1 % day-to-day match
    window = schedule(4, per_day, 4)
    natural = frame(series("a21026", window, step=step, kind=kind))
    plain = run_case("R17", {"id": "rule constant", "frame": natural, "context": GAS, "expect": 1})
    assert plain
    assert {f.evidence["kind"] for f in plain} == {"near_identical"}
    check_case(
        "R17", {"id": "calibrated", "frame": natural, "context": with_profile(GAS, profile), "expect": 0}
    )
    day3 = range(2 * per_day, 3 * per_day)
    replay = frame(series("a21026", copied(window, day3, per_day, jitter=0.002), step=step, kind=kind))
    found = check_case(
        "R17",
        {
            "id": "a copy with 0.2 % noise",
            "frame": replay,
            "context": with_profile(GAS, profile),
            "expect": 1,
            "variant": "near_identical",
            "windows": [(T0 + 2 * 24 * HOUR, T0 + 3 * 24 * HOUR)],
        },
    )
    assert found[0].evidence["calibration"]["statistic"] == "replay_distance"


def _resolution(minute: bool) -> tuple[int, dt.timedelta, str, list[float | None], range]:
    """(rows a day, step, data kind, the honest series, the rows of its copied day) at minute or hour
    resolution."""
    if minute:
        return 1440, MINUTE, "minute", M, range(2 * 1440, 3 * 1440)
    return 24, HOUR, "hour", H, DAY6


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize("load_repeats", [True, False], ids=["load-repeats", "load-differs"])
def test_r17_near_copy_explained_by_a_load_that_repeats_its_day(minute: bool, load_repeats: bool) -> None:
    # a near-identical day (0.5 % noise) is medium; when the separately metered production power
    # repeats that earlier day as closely, the unit simply ran the same schedule: a clue (low)
    per_day, step, kind, base, rows = _resolution(minute)
    values = copied(base, rows, per_day, jitter=0.005)
    rng = random.Random(3)
    power = [
        round(800 + 100 * math.sin(2 * math.pi * i / per_day) + rng.gauss(0, 40), 1)
        for i in range(len(values))
    ]
    if load_repeats:
        power[rows.start : rows.stop] = power[rows.start - per_day : rows.stop - per_day]
    else:  # that day the unit ran another schedule (evening peak instead of a midday one)
        power[rows.start : rows.stop] = [700 + 200 * (i % per_day > per_day * 3 // 4) for i in rows]
    found = check_case(
        "R17",
        {
            "id": "near copy with load",
            "frame": frame(
                series("a21026", values, step=step, kind=kind),
                series("wc_prod_kw", power, step=step, kind=kind),
            ),
            "context": GAS,
            "expect": 1,
            "variant": "near_identical",
            "severity": "low" if load_repeats else "medium",
            "windows": [(T0 + rows.start * step, T0 + rows.stop * step)],
        },
    )
    assert ("机组按相同的调度重复运行" in found[0].explanation_zh) is load_repeats
    assert (found[0].score == ReplayParams().explained_score) is load_repeats
    assert found[0].evidence["load_rms_over_level"] is not None


def _flow_findings(
    flow: Sequence[float | None], nox: Sequence[float | None], step: Any, kind: str, *, limit: float
) -> list[Any]:
    """R17's one finding on the flue-gas flow of a point with that flow and a NOx series."""
    context = PointContext(
        mn=MN, point_type=PointType.GAS, factors={"a21002": FactorSpec(limit=limit), "a00000": FactorSpec()}
    )
    found = run_case(
        "R17",
        {
            "id": "near copy of the flow",
            "frame": frame(
                series("a00000", flow, step=step, kind=kind), series("a21002", nox, step=step, kind=kind)
            ),
            "context": context,
            "expect": 1,
        },
    )
    flows = [f for f in found if f.factors == ("a00000",)]
    assert len(flows) == 1
    return flows


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize("nox_copied", [True, False], ids=["nox-copied-too", "nox-differs"])
def test_r17_near_copy_of_one_factor_while_another_differs_is_a_clue(minute: bool, nox_copied: bool) -> None:
    # a steady flue-gas flow repeats its earlier day within 0.5 %: medium when the NOx of that day is a
    # near copy too (a logger replays every factor), low when the NOx clearly differs (a steady process)
    per_day, step, kind, base, rows = _resolution(minute)
    flow = copied([None if v is None else v * 1000 for v in base], rows, per_day, jitter=0.005)
    nox_base = honest(len(base), per_day, 11)
    nox = copied(nox_base, rows, per_day, jitter=0.005) if nox_copied else nox_base
    flows = _flow_findings(flow, nox, step, kind, limit=100)
    assert (flows[0].start, flows[0].end) == (T0 + rows.start * step, T0 + rows.stop * step)
    assert flows[0].severity.value == ("medium" if nox_copied else "low")
    other = flows[0].evidence["other_factor_not_copied"]
    if nox_copied:
        assert other is None
    else:
        assert other["factor"] == "a21002"
        assert other["rms_over_level"] > 0.02
        assert "只有烟气流量[a00000]相似" in flows[0].explanation_zh
        assert flows[0].score == ReplayParams().explained_score  # a weak clue: explained by the finding


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r17_identical_copy_is_contiguous_a_coincident_pair_before_it_stays_out(minute: bool) -> None:
    # day 6 copied from day 4; three steps before day 6 two consecutive values happen to equal their
    # source two days earlier (a 'replicated change'), with a differing value between them and the copy
    per_day, step, kind, base, rows = _resolution(minute)
    lag = per_day if minute else 48
    values = copied(base, rows, lag)
    a = rows.start - 3
    values[a] = values[a - lag]
    values[a + 1] = values[a + 1 - lag]
    assert values[a] != values[a + 1]
    assert values[a + 2] != values[a + 2 - lag]
    found = check_case(
        "R17",
        {
            "id": "copy with a coincident pair before it",
            "frame": frame(series("a21026", values, step=step, kind=kind)),
            "context": GAS,
            "expect": 1,
            "variant": "identical",
        },
    )
    # starts with the copy, not at the coincident pair (the copy's last minutes are bounded by its last
    # replicated change, a few minutes short of the day's end)
    assert found[0].start == T0 + rows.start * step
    assert T0 + (rows.stop - 5) * step <= found[0].end <= T0 + rows.stop * step


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r17_a_logger_replay_is_bounded_by_the_factors_copied_with_it(minute: bool) -> None:
    # every factor of day 6 copied from day 4 (a logger replay); just before the copy, SO2 happens to
    # equal its source for two steps in a row (contiguous with the copy), NOx does not: the copy of
    # SO2 starts where NOx's does
    per_day, step, kind = (1440, MINUTE, "minute") if minute else (24, HOUR, "hour")
    so2 = M if minute else H
    nox = honest(len(so2), per_day, 5)
    rows = range(2 * per_day, 3 * per_day) if minute else DAY6
    lag = per_day if minute else 48
    so2_c, nox_c = copied(so2, rows, lag), copied(nox, rows, lag)
    for i in (rows.start - 2, rows.start - 1):
        so2_c[i] = so2_c[i - lag]
    assert so2_c[rows.start - 2] != so2_c[rows.start - 1]
    ctx = PointContext(
        mn=MN,
        point_type=PointType.GAS,
        factors={"a21026": FactorSpec(limit=35), "a21002": FactorSpec(limit=100)},
    )
    found = check_case(
        "R17",
        {
            "id": "logger replay",
            "frame": frame(
                series("a21026", so2_c, step=step, kind=kind), series("a21002", nox_c, step=step, kind=kind)
            ),
            "context": ctx,
            "expect": 2,
            "variant": "identical",
        },
    )
    by_factor = {f.factors[0]: f for f in found}
    assert by_factor["a21026"].start == by_factor["a21002"].start == T0 + rows.start * step


# An effluent analyser that holds each result for hours (cn-effluent: about 7): a day is a handful of
# held values, fewer than min_distinct, yet a day copied identically carries far more information than
# chance allows (each value held by 1-3 % of the month's runs), unlike a detection-floor day.
WATER = PointContext(mn=MN, point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=5)})


def held_month(seed: int, hold: int = 5) -> list[float | None]:
    """30 days of an analyser holding each result for ``hold`` hours, results at 0.01 mg/L."""
    rng = random.Random(seed)
    out: list[float | None] = []
    level = 2.0
    while len(out) < 30 * 24:
        level = min(6.0, max(0.3, level + rng.gauss(0, 0.35)))
        out += [round(level, 2)] * hold
    return out[: 30 * 24]


HELD = held_month(1)
DAY20 = range(20 * 24, 21 * 24)
FLOOR = [0.05 if i % 24 not in (9, 10) else 0.07 for i in range(30 * 24)]  # a plant at the analyser floor


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r17_identical_copy_of_a_held_analysers_day(minute: bool) -> None:
    values = copied(HELD, DAY20, 5 * 24)
    assert len(set(values[DAY20.start : DAY20.stop])) < 6  # under min_distinct: found by its information
    if minute:
        f = frame(series("w21003", [v for v in values for _ in range(60)], step=MINUTE, kind="minute"))
    else:
        f = frame(series("w21003", values))
    found = check_case(
        "R17",
        {"id": "held", "frame": f, "context": WATER, "expect": 1, "variant": "identical", "severity": "high"},
    )
    # the copied stretch: within the copied day, bounded by its replicated changes
    assert T0 + 20 * 24 * HOUR <= found[0].start < found[0].end <= T0 + 21 * 24 * HOUR
    assert found[0].end - found[0].start >= 12 * HOUR
    # the uncopied month has no finding, and a floor day repeating itself carries too little information
    assert (
        check_case(
            "R17", {"id": "honest", "frame": frame(series("w21003", HELD)), "context": WATER, "expect": 0}
        )
        == []
    )
    floor = frame(series("w21003", FLOOR))
    assert check_case("R17", {"id": "floor", "frame": floor, "context": WATER, "expect": 0}) == []


def held_days(seed: int, days: int, hold: int = 5) -> list[float | None]:
    """``days`` of an analyser holding each result for ``hold`` hours (as ``held_month``)."""
    rng = random.Random(seed)
    out: list[float | None] = []
    level = 2.0
    while len(out) < days * 24:
        level = min(6.0, max(0.3, level + rng.gauss(0, 0.35)))
        out += [round(level, 2)] * hold
    return out[: days * 24]


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r17_a_held_copy_in_a_short_pass_is_weighed_against_the_points_history(minute: bool) -> None:
    """The server's incremental pass reads 9 days (a day and 8 days of context). In 9 days of a held
    analyser each value holds a larger share of the few runs, so a copied day of held values looked too
    probable to be a copy (measured with ``bench detect-live`` on cn-effluent: a day copied from 3 days
    earlier, red when its month was screened, never found by the live passes). The profile keeps the
    history's runs; the copy is weighed against them."""
    values = held_days(1, 40)
    history, recent = values[: 30 * 24], values[31 * 24 :]  # 30 days of history, then a 9-day pass
    day8 = range(8 * 24, 9 * 24)
    recent = copied(recent, day8, 3 * 24)  # the pass's last day copied from 3 days earlier
    assert len(set(recent[day8.start : day8.stop])) < 6  # under min_distinct: found by its information
    step, kind, rep = (MINUTE, "minute", 60) if minute else (HOUR, "hour", 1)

    def rows(vals: list[float | None], start: dt.datetime) -> pl.DataFrame:
        return series("w21003", [v for v in vals for _ in range(rep)], start=start, step=step, kind=kind)

    start = T0 + 31 * 24 * HOUR
    short = frame(rows(recent, start))
    # the frame alone: its 9 days' runs make the copied day a few bits too probable
    assert run_case("R17", {"id": "no history", "frame": short, "context": WATER, "expect": 0}) == []
    profile = build_profile(frame(rows(history, T0)), WATER)
    fp = profile.factor("w21003")
    assert fp is not None
    assert fp.run_values  # the history's runs, kept
    assert sum(n for _, n in fp.run_values) >= 90
    found = check_case(
        "R17",
        {
            "id": "weighed against the history",
            "frame": short,
            "context": with_profile(WATER, profile),
            "expect": 1,
            "variant": "identical",
            "severity": "high",
        },
    )
    assert start + 8 * 24 * HOUR <= found[0].start < found[0].end <= start + 9 * 24 * HOUR
    assert found[0].end - found[0].start >= 12 * HOUR
    # the same history does not make an uncopied pass a copy
    honest_pass = frame(rows(values[31 * 24 :], start))
    assert (
        run_case("R17", {"id": "honest", "frame": honest_pass, "context": with_profile(WATER, profile)}) == []
    )


def _exact_within(x: np.ndarray[Any, Any], y: np.ndarray[Any, Any], w: int, max_distance: float) -> bool:
    """Whether ``_windows`` without its prefilter finds a covered window within ``max_distance``."""
    _, dist, _, cnt = _windows(None, w, 0.0, ReplayParams(), (x, y))
    if dist.size == 0:
        return False
    with np.errstate(invalid="ignore"):
        return bool(((cnt >= ReplayParams().min_coverage * w) & (dist <= max_distance)).any())


@pytest.mark.parametrize("seed", range(40))
def test_r17_prefilter_never_rules_out_a_window_the_exact_sums_keep(seed: int) -> None:
    """``_none_within`` may only skip the window sums when they would find nothing: random series whose
    lagged copies sit around the distance level (noise scaled to land just under or over it), with
    gaps, a level near zero or of either sign, and the uncovered first lag days."""
    rng = np.random.default_rng(seed)
    w = int(rng.choice([96, 240, 1440]))
    n = w * int(rng.integers(2, 9))
    level = float(rng.choice([0.0, 0.05, 1.0, -30.0, 50.0, 1e6]))
    x = level + rng.normal(0, 1 + abs(level) * 0.05, n)
    lag = w * int(rng.integers(1, 3)) if n > 2 * w else w
    y = np.full(n, np.nan)
    y[lag:] = x[: n - lag]
    # a copied stretch with noise around the level's share
    copy = slice(int(rng.integers(lag, n - w // 2)), None)
    jitter = float(rng.choice([0.0, 0.005, 0.015, 0.02, 0.025, 0.05]))
    x[copy] = y[copy] * (1 + jitter * rng.normal(0, 1, x[copy].size))
    x[rng.random(n) < float(rng.choice([0.0, 0.05, 0.3]))] = np.nan
    m = np.isfinite(x) & np.isfinite(y)
    x0, y0 = np.where(m, x, 0.0), np.where(m, y, 0.0)
    for max_distance in (0.002, 0.01, 0.02, 0.05, 0.5):
        if _none_within(x0, y0, m, w, ReplayParams().min_coverage * w, max_distance):
            assert not _exact_within(x, y, w, max_distance)
        # the prefilter's answer never changes what _windows returns
        kept = _windows(None, w, 0.0, ReplayParams(), (x, y), max_distance)
        if kept[1].size:
            full = _windows(None, w, 0.0, ReplayParams(), (x, y))
            for a, b in zip(kept, full, strict=True):
                np.testing.assert_array_equal(a, b)


def test_r17_prefilter_rules_out_days_that_are_far_apart() -> None:
    """The prefilter is worth its pass: a month of noisy minute data against itself a day earlier is
    ruled out without the window sums."""
    rng = np.random.default_rng(3)
    n, w = 30 * 1440, 1440
    x = 50 + rng.normal(0, 3, n)
    y = np.full(n, np.nan)
    y[w:] = x[:-w]
    m = np.isfinite(x) & np.isfinite(y)
    x0, y0 = np.where(m, x, 0.0), np.where(m, y, 0.0)
    assert _none_within(x0, y0, m, w, ReplayParams().min_coverage * w, 0.02)
    assert not _exact_within(x, y, w, 0.02)


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r17_another_factor_uncorrelated_with_its_earlier_day_was_not_copied(minute: bool) -> None:
    # the flow repeats its day within ~1.5 % (near the 2 % level); the NOx differs by ~2.5 %, under twice
    # the flow's difference, but does not correlate with its own earlier day (a steady NOx plus noise):
    # a copy would correlate, so the flow's match is a clue
    per_day, step, kind = (1440, MINUTE, "minute") if minute else (24, HOUR, "hour")
    n = 3 * per_day
    rows = range(2 * per_day, 3 * per_day)
    rng = np.random.default_rng(5)
    flow_base = [1000.0 + 200.0 * math.sin(2 * math.pi * i / per_day) + rng.normal(0, 30) for i in range(n)]
    flow = list(flow_base)
    for i in rows:
        flow[i] = flow_base[i - per_day] * (1 + rng.normal(0, 0.015))
    nox = [100.0 + rng.normal(0, 1.8) for _ in range(n)]
    flows = _flow_findings(flow, nox, step, kind, limit=200)
    d_flow = flows[0].evidence["rms_over_level"]
    other = flows[0].evidence["other_factor_not_copied"]
    assert other is not None
    assert 0.02 < other["rms_over_level"] < 2 * d_flow  # only the correlation says it was not copied
    assert flows[0].severity.value == "low"
