"""Per-point calibration: factor profiles, operating model and states, budget levels."""

import datetime as dt
import pickle

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.calibration import (
    DEFAULT_BUDGET,
    budget_level,
    budget_level_low,
    build_profile,
    upper_quantile,
    with_profile,
)
from ecosentinel.detection.profile import PointProfile, State, operating_states
from tests.detection.helpers import HOUR, MINUTE, T0, frame, series, wavy

GAS = PointContext(mn="MN0001", point_type=PointType.GAS, factors={"a21002": FactorSpec(limit=100)})
EMPTY = PointProfile(mn="MN0001", start=T0, end=T0)


def test_factor_profile_reads_step_quantum_and_measuring_cycle() -> None:
    held = [round(2.0 + 0.11 * (i // 3 % 7), 2) for i in range(24 * 20)]  # each result held 3 h
    continuous = [100.0 + 0.3713 * ((i * 7) % 23) for i in range(1440 * 3)]
    profile = build_profile(
        frame(
            series("w21003", held),
            series("w00000", continuous, step=MINUTE, kind="minute"),
        ),
        PointContext(mn="MN0001", point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=5)}),
    )
    nh3, flow = profile.factors["w21003"], profile.factors["w00000"]
    assert (nh3.kind, nh3.step_seconds, nh3.quantum, nh3.cycle_hours) == ("hour", 3600.0, 0.01, 3.0)
    assert nh3.held_share == pytest.approx(2 / 3, abs=0.01)
    assert (flow.kind, flow.step_seconds, flow.cycle_hours) == ("minute", 60.0, None)
    assert flow.quantum == 0.0  # not quantised at any power of ten
    # flow is the operating signal when no power meter is there
    assert (profile.operating.basis, profile.operating.signal) == ("flow", "w00000")


def test_operating_model_prefers_the_power_meter_and_marks_start_up() -> None:
    power = [800.0] * 10 + [0.0] * 5 + [800.0] * 10
    profile = build_profile(frame(series("wc_prod_kw", power), series("w00000", wavy(25, 30, 4))), GAS)
    assert profile.operating.basis == "power"
    assert profile.operating.on_level == pytest.approx(160.0)
    states = operating_states(series("wc_prod_kw", power).select("time", "value"), profile.operating)[
        "state"
    ].to_list()
    assert states[:10] == [State.RUNNING.value] * 10
    assert states[10:15] == [State.STOPPED.value] * 5
    assert states[15:17] == [State.STARTUP.value] * 2  # within 2 h of the last stopped hour
    assert states[17:] == [State.RUNNING.value] * 8


def test_o2_says_stopped_when_the_flue_reads_ambient_air() -> None:
    o2 = [8.0] * 10 + [20.8] * 6 + [8.5] * 8
    profile = build_profile(frame(series("a19001", o2)), GAS)
    assert (profile.operating.basis, profile.operating.on_level) == ("o2", 19.0)
    states = operating_states(series("a19001", o2).select("time", "value"), profile.operating)
    assert states["state"].to_list()[10:16] == [State.STOPPED.value] * 6


def test_upper_quantile_extrapolates_beyond_the_sample_maximum() -> None:
    days = [1.0] * 40 + [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0] * 2
    q = upper_quantile(days, DEFAULT_BUDGET)
    assert q > max(days)  # 60 days cannot show their 0.998 quantile
    assert upper_quantile(days, 0.5) == 1.0  # inside the sample: the order statistic


def test_a_unit_standing_alone_does_not_set_the_level() -> None:
    # a month of daily longest runs of 1-3 h and one 24-hour freeze: the freeze is left out
    usual = [1.0, 2.0, 2.0, 3.0, 1.0, 2.0, 3.0, 2.0, 1.0, 2.0] * 3
    clean = upper_quantile(usual, DEFAULT_BUDGET)
    assert clean < 24.0
    assert upper_quantile([*usual[:-1], 24.0], DEFAULT_BUDGET) == pytest.approx(
        upper_quantile(usual[:-1], DEFAULT_BUDGET)
    )
    # two falsified days (a freeze across midnight counts on both): the second does not make the first
    # look plausible
    assert upper_quantile([*usual[:-2], 24.0, 24.0], DEFAULT_BUDGET) < 24.0
    # ... and a point whose history is mostly zeros keeps its one-day events out too
    assert upper_quantile([0.0] * 27 + [24.0, 24.0, 24.0], DEFAULT_BUDGET) == 0.0


def test_a_recurring_or_plausible_large_unit_still_sets_the_level() -> None:
    # the largest unit is within what the others' tail makes plausible: kept (4 h among 1-3 h)
    usual = [1.0, 2.0, 2.0, 3.0, 1.0, 2.0, 3.0, 2.0, 1.0, 2.0] * 3
    assert upper_quantile([*usual[:-1], 4.0], DEFAULT_BUDGET) >= 4.0
    # long holds that recur (a held analyser: a fifth of the days) are the point's normal: kept
    held = [2.0, 3.0, 2.0, 20.0, 3.0] * 6
    assert upper_quantile(held, DEFAULT_BUDGET) >= 20.0
    # more than a tenth of the units alike is never left out as falsified
    assert upper_quantile([0.0] * 26 + [24.0] * 4, DEFAULT_BUDGET) >= 24.0


def test_budget_levels_respect_floor_ceiling_and_default() -> None:
    few = budget_level(
        "R01",
        "identical_run_hours",
        "x",
        [2.0] * 13,
        budget=0.01,
        floor=6,
        default=24,
        margin=1,
        ceiling=168,
        profile=EMPTY,
    )
    assert few is None  # fewer than 14 history units
    level = budget_level(
        "R01",
        "identical_run_hours",
        "x",
        [2.0] * 30,
        budget=0.01,
        floor=6,
        default=24,
        margin=1,
        ceiling=168,
        profile=EMPTY,
    )
    assert level is not None
    assert (level.level, level.quantile, level.n) == (6.0, 2.0, 30)  # the floor wins
    low = budget_level_low(
        "R05",
        "common_drop_ratio",
        None,
        [0.9] * 20 + [0.4 + 0.05 * i for i in range(10)],
        budget=0.01,
        floor=0.1,
        default=0.5,
        factor_margin=0.9,
        profile=EMPTY,
    )
    assert low is not None
    assert low.quantile is not None
    assert low.quantile <= 0.4  # at or beyond the deepest natural fall in the history
    assert low.level == pytest.approx(max(0.1, low.quantile * 0.9))
    gentle = budget_level_low(
        "R05",
        "common_drop_ratio",
        None,
        [0.95] * 30,
        budget=0.01,
        floor=0.1,
        default=0.5,
        factor_margin=0.9,
        profile=EMPTY,
    )
    assert gentle is not None
    assert gentle.level == 0.5  # never looser than the rule's default


def test_profile_travels_with_the_context() -> None:
    profile = build_profile(frame(series("a21002", wavy(24 * 20, 50, 10))), GAS)
    ctx = with_profile(GAS, profile)
    again = pickle.loads(pickle.dumps(ctx))
    assert again.profile == profile
    assert again.profile is not None
    assert again.profile.level("R01", "identical_run_hours", "a21002") is not None
    assert again.profile.level("R01", "identical_run_hours", "nope") is None
    assert ctx.profile is not None
    assert ctx.profile.start == T0
    assert ctx.profile.end == T0 + (24 * 20 - 1) * HOUR


def test_flagged_history_is_not_evidence() -> None:
    """A history whose only long run is substitute data (flag S) calibrates as if it had none."""
    values = wavy(24 * 30, 50, 10)
    values[100:200] = [77.7] * 100
    flags = {i: "S" for i in range(100, 200)}
    with_s = build_profile(frame(series("a21002", values, flags=flags)), GAS)
    level = with_s.level("R01", "identical_run_hours", "a21002")
    assert level is not None
    assert level.quantile is not None
    assert level.quantile < 10
    assert isinstance(level.history[0], str)
    assert pl.Series([1]).len() == 1
    assert dt.timedelta(0) == dt.timedelta(0)
