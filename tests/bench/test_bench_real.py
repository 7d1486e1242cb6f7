"""``bench detect`` on the real backgrounds: loading, injection, leave-one-out, metrics, the CLI.

Needs the public series in /work/shared/data (CI has them); skipped cleanly when that folder is absent.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from ecosentinel.bench.detect import DetectOptions, command_line, goal_check, report_body, run_detect
from ecosentinel.bench.detect_backgrounds import (
    NH3N,
    NOX,
    Background,
    UnknownBackgroundError,
    load_background,
    with_limits_scaled,
    with_output_step,
)
from ecosentinel.bench.detect_corpus import PointRun
from ecosentinel.bench.detect_generic import availability
from ecosentinel.bench.detect_inject import INJECTORS, NEVER, o2_dilution, place, post_exceedance_drop
from ecosentinel.bench.detect_metrics import Detection
from ecosentinel.bench.detect_real import Profiles, clean_runs, frame_of, injected_runs, segments
from ecosentinel.cli import app
from ecosentinel.detection import ScreeningConfig
from ecosentinel.detection.context import GAS_FLOW, O2_CODE

DATA = Path("/work/shared/data")

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"real public series absent: {DATA} not found")


def _options(**kw: object) -> DetectOptions:
    base = DetectOptions(
        sim=False, severities=("default",), per_combo=1, max_segments=2, backgrounds=("epa-cems",), data=DATA
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def test_epa_conversion_and_substitute_flags() -> None:
    bg = load_background("epa-cems", DATA)
    assert len(bg.tracks) == 8
    unit = next(t for t in bg.tracks if t.name == "WV_Mitchell_1")
    on = unit.flags[NOX] != "F"
    # converted value = measured × (21 − 6)/(21 − O2) wherever the unit runs
    zs, c, o2 = unit.zs[NOX][on], unit.values[NOX][on], unit.values[O2_CODE][on]
    assert np.allclose(zs, c * 15 / (21 - o2), rtol=2e-3, atol=0.2)
    # substitute data (Part 75 code 3/4) is kept, flagged S, never labelled
    assert (unit.flags[NOX] == "S").sum() > 100
    assert (unit.flags[GAS_FLOW] == "S").sum() > 1000  # heat input substituted on 24 % of its hours
    limit = unit.factors[NOX].limit
    assert limit is not None
    assert limit > float(np.median(zs))
    # load is the working-condition series, zero while off
    assert unit.wc is not None
    assert (unit.wc[~on] == 0).all()


def test_minute_variants_keep_the_hours_and_the_analyser_cycle() -> None:
    gas = load_background("epa-cems-minute", DATA).tracks[0]
    frame = frame_of(gas, "M")
    minutes = frame.filter((frame["kind"] == "minute") & (frame["code"] == NOX))
    hours = frame.filter((frame["kind"] == "hour") & (frame["code"] == NOX))
    assert minutes.height == 60 * hours.height
    m = minutes["value"].to_numpy()[:600].reshape(10, 60).mean(axis=1)
    assert np.allclose(m, hours["value"].to_numpy()[:10], atol=0.11)
    water = load_background("tilburg-wwtp-minute", DATA).tracks[0]
    nh3 = water.values[NH3N]
    assert water.hold_min == 60
    assert all(len(set(nh3[k : k + 60])) == 1 for k in range(0, 6000, 60))  # held for its 60-min cycle
    assert water.factors[NH3N].cycles_per_hour == 1.0


def test_o2_dilution_moves_o2_concentration_and_flow_but_not_the_converted_value() -> None:
    tr = load_background("epa-cems", DATA).tracks[2].slice(24 * 40, 24 * 70, "U")
    before = {k: v.copy() for k, v in tr.values.items()}
    zs_before = tr.zs[NOX].copy()
    i0 = place(tr, "o2_dilution", np.random.default_rng(1))
    assert i0 is not None
    _, a, b = o2_dilution(tr, i0, 1.0, np.random.default_rng(1))
    mid = slice(a + 3, b - 3)
    assert np.all(tr.values[O2_CODE][mid] - before[O2_CODE][mid] > 3.9)
    assert np.all(tr.values[NOX][mid] < before[NOX][mid])
    assert np.all(tr.values[GAS_FLOW][mid] > before[GAS_FLOW][mid])
    assert np.array_equal(tr.zs[NOX], zs_before)
    # measured × (21 − 6)/(21 − O2) is still the (unchanged) converted value
    recon = tr.values[NOX][mid] * 15 / (21 - tr.values[O2_CODE][mid])
    assert np.allclose(recon, zs_before[mid], rtol=3e-3, atol=0.3)


def test_post_exceedance_drop_is_one_cycle_over_then_near_zero_cycles() -> None:
    tr = load_background("tilburg-wwtp-minute", DATA).tracks[0]
    limit = tr.factors[NH3N].limit
    assert limit is not None
    _, a, b = post_exceedance_drop(tr, 10 * 1440 + 17, 1.0, np.random.default_rng(3))
    assert a % 60 == 0
    assert b - a == 3 * 60
    v = tr.values[NH3N]
    assert np.all(v[a : a + 60] > limit)
    assert len(set(v[a : a + 60])) == 1
    assert np.all(v[a + 60 : b] < 0.5 * limit)


@pytest.mark.parametrize(
    ("background", "track"), [("beijing-aq", 0), ("cn-effluent", 0), ("tilburg-wwtp-minute", 0)]
)
def test_bunching_clips_under_the_limit_on_every_day_of_its_label(background: str, track: int) -> None:
    """Each CST day is lifted on its own median: a day whose real level was lower than the others' is
    clipped too, not left far under the limit with its label (as one factor for the window did)."""
    from ecosentinel.bench.detect_inject import bunching

    tr = load_background(background, DATA).tracks[track]
    code = tr.target
    assert code is not None
    limit = tr.factors[code].limit
    assert limit is not None
    rng = np.random.default_rng(11)
    i0 = place(tr, "bunching", rng)
    assert i0 is not None
    _, a, b = bunching(tr, i0, 1.0, rng)
    values = (tr.zs[code] if code in tr.zs else tr.values[code])[a:b]
    day = (np.arange(a, b) - tr.first_midnight) // (24 * tr.per_hour)
    for d in np.unique(day):
        v = values[(day == d) & np.isfinite(values)]
        if len(v) < 4 * tr.per_hour:
            continue  # a label edge of a few hours
        assert np.median(v) >= 0.8 * limit, (d, np.median(v))
        assert v.max() < limit


@pytest.mark.parametrize("seed", range(5))
def test_replay_copies_a_day_that_holds_data(seed: int) -> None:
    from ecosentinel.bench.detect_inject import replay

    tr = load_background("tilburg-wwtp", DATA).tracks[0].slice(0, 20 * 24, "r")
    code = tr.target
    assert code is not None
    # the analyser missed every day before the window but one (four days back): the copy comes from it
    i0 = 10 * 24
    for lag in (1, 2, 3, 5, 6, 7):
        tr.values[code][i0 - lag * 24 : i0 - lag * 24 + 24] = np.nan
    source = tr.values[code][i0 - 4 * 24 : i0 - 3 * 24].copy()
    assert np.isfinite(source).all()
    codes, a, b = replay(tr, i0, 1.0, np.random.default_rng(seed))
    assert (a, b) == (i0, i0 + 24)
    assert code in codes
    assert np.array_equal(tr.values[code][a:b], source)


def test_treatment_off_cuts_tilburg_aeration_power_and_leaves_the_data_alone() -> None:
    from ecosentinel.bench.detect_inject import treatment_off, why_not

    bg = load_background("tilburg-wwtp", DATA)
    tr = bg.tracks[0].slice(0, 20 * 24, "t")
    assert tr.treat is not None
    # the treatment meter is the real aeration air flow: it never sits near zero in the clean series
    assert float(np.nanmin(tr.treat)) > 0.1 * float(np.nanpercentile(tr.treat, 95))
    before = {c: v.copy() for c, v in tr.values.items()}
    power = tr.treat.copy()
    codes, a, b = treatment_off(tr, 10 * 24, 1.0, np.random.default_rng(1))
    assert codes == ["wc_treat_kw"]
    assert b - a == 6
    assert np.all(tr.treat[a:b] <= 0.03 * 1.2 * power[a:b])
    assert np.array_equal(tr.treat[:a], power[:a])
    assert all(np.array_equal(tr.values[c], before[c], equal_nan=True) for c in before)
    assert why_not(tr, "treatment_off") is None
    assert why_not(load_background("epa-cems", DATA).tracks[0], "treatment_off") is not None


def test_every_catalogue_type_is_injected_somewhere_or_explained() -> None:
    names = (
        "epa-cems",
        "epa-cems-minute",
        "cn-effluent",
        "tilburg-wwtp",
        "tilburg-wwtp-minute",
        "dk-wwtp-inflow",
    )
    from ecosentinel.bench.detect_real import applicable

    carried: set[str] = set()
    for name in names:
        fit = applicable(load_background(name, DATA))
        carried |= {s for s, why in fit.items() if why is None}
        assert all(why for why in fit.values() if why is not None)
    assert carried == set(INJECTORS)
    assert set(NEVER).isdisjoint(carried)


def test_injected_replay_is_found_on_a_real_background() -> None:
    result = run_detect(_options(scenarios=("replay",), per_combo=2, max_segments=3))
    s = result.scores("rules")[("epa-cems", "replay", "default")]
    assert s.labels == 2
    assert s.recall == 1.0
    assert s.ttd_median is not None
    assert s.ttd_median <= 24.0


def test_online_alert_sees_only_the_data_received_by_then() -> None:
    from ecosentinel.bench.detect import STEP_LIKE
    from ecosentinel.bench.detect_baseline import online_alert, rules_detection
    from ecosentinel.bench.detect_metrics import ALERT_LADDER, time_to_detection

    bg = load_background("epa-cems", DATA)
    run = next(injected_runs(bg, seed=100, severities=["default"], scenarios=["o2_dilution"], per_combo=1))
    label = run.labels[0]
    det = rules_detection(run, None, STEP_LIKE)
    alert = det.alerts[(label.scenario, label.start)]
    assert alert in ALERT_LADDER
    # the whole-window finding ends with the 72 h episode; the replay flags it well before
    assert alert < (label.end - label.start).total_seconds() / 3600
    assert time_to_detection(label, det) == alert
    assert online_alert(run, label) == alert
    # without the online set the offline definition applies (the finding's end)
    offline = rules_detection(run)
    assert offline.alerts == {}
    ttd = time_to_detection(label, offline)
    assert ttd is not None
    assert ttd > alert


def _everything(run: PointRun) -> Detection:
    return Detection(flagged=frozenset(run.days), red=frozenset(run.days))


def _nothing(run: PointRun) -> Detection:
    return Detection(flagged=frozenset())


def test_clean_rate_and_red_precision_are_computed_from_point_days() -> None:
    options = _options(backgrounds=("dk-wwtp-inflow",), scenarios=("replay",), max_segments=3)
    result = run_detect(options, {"rules": _everything, "robust_z": _nothing})
    bg = load_background("dk-wwtp-inflow", DATA)
    untouched = list(clean_runs(bg, 3))
    days = sum(len(r.days) for r in untouched)
    assert days == 3 * bg.segment_days
    clean = result.clean("rules", untouched_only=True)["dk-wwtp-inflow"]
    assert (clean.clean_days, clean.flagged, clean.rate) == (days, days, 1.0)
    assert result.clean("robust_z", untouched_only=True)["dk-wwtp-inflow"].rate == 0.0
    red = result.red()["dk-wwtp-inflow"]
    # all red: one falsified day (the replayed day) among every untouched and injected point-day
    assert red.red_on_falsified == 1
    # one injected run (a whole replayed CST day: no ambiguous day) on a segment of the same length
    assert red.red == days + bg.segment_days
    goals = goal_check(result, "dk-wwtp-inflow", untouched_only=True)
    assert not goals.met["clean"]
    assert not goals.met["red"]


def test_leave_one_background_out_calls_the_hook_on_the_other_backgrounds() -> None:
    seen: list[tuple[str, ...]] = []

    def calibrator(train: Sequence[Background]) -> ScreeningConfig:
        seen.append(tuple(b.name for b in train))
        return ScreeningConfig()

    options = _options(
        backgrounds=("epa-cems", "dk-wwtp-inflow"), scenarios=("constant_value",), max_segments=1
    )
    result = run_detect(options, calibrator=calibrator)
    assert seen == [("dk-wwtp-inflow",), ("epa-cems",)]
    assert result.backgrounds["epa-cems"].trained_on == ("dk-wwtp-inflow",)
    body = report_body(result, quick=False)
    assert "leave one background out" in body
    assert "| epa-cems |" in body
    assert "#### Goals per background" in body
    assert "three_way_mismatch: one source per background" in body


def test_quick_option_covers_every_background_in_seconds() -> None:
    result = run_detect(dataclasses.replace(DetectOptions.quick(DATA), sim=False))
    assert set(result.backgrounds) == {
        "epa-cems",
        "epa-cems-minute",
        "cn-effluent",
        "tilburg-wwtp",
        "tilburg-wwtp-minute",
        "dk-wwtp-inflow",
        "beijing-aq",
    }
    sources = {o.source for o in result.outcomes}
    assert sources == set(result.backgrounds)
    assert all(segments(load_background(n, DATA), 1) for n in ("cn-effluent", "dk-wwtp-inflow"))


def test_baselines_say_whether_they_ran() -> None:
    avail = availability()
    assert set(avail) == {"ecod", "adtk"}
    assert all(v is None or (isinstance(v, str) and "\n" not in v) for v in avail.values())


def test_the_bench_runs_without_pyod_and_adtk_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real_find = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> object:
        return None if name in ("pyod", "adtk") else real_find(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    result = run_detect(_options(backgrounds=("dk-wwtp-inflow",), scenarios=("replay",), max_segments=1))
    assert result.ran == ["robust_z"]
    assert all(set(o.detections) == {"rules", "robust_z"} for o in result.outcomes)
    body = report_body(result, quick=False)
    assert "PyOD ECOD: did not run — not installed (pyod" in body
    assert "ADTK: did not run — not installed (adtk" in body
    assert "| dk-wwtp-inflow | Danish WWTP inflow" in body


def test_unknown_background_is_a_clear_one_line_error() -> None:
    with pytest.raises(UnknownBackgroundError):
        load_background("nope", DATA)
    line = _one_line_error("--backgrounds", "nope")
    assert "未知的背景数据：nope" in line
    assert "epa-cems" in line


def _one_line_error(*args: str) -> str:
    """``bench detect`` with ``args`` exits 2 with exactly one non-empty line of output: that line."""
    result = CliRunner().invoke(app, ["bench", "detect", *args, "--no-sim", "--no-write-docs"])
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1
    return lines[0]


def test_injected_runs_are_copies_with_one_label_each() -> None:
    bg = load_background("cn-effluent", DATA)
    original = bg.tracks[0].values[NH3N].copy()
    runs = list(
        injected_runs(
            bg, seed=5, severities=["default"], scenarios=["constant_value", "bunching"], per_combo=2
        )
    )
    assert len(runs) == 4
    assert all(len(r.labels) == 1 and r.labels[0].start < r.labels[0].end for r in runs)
    assert np.array_equal(bg.tracks[0].values[NH3N], original, equal_nan=True)
    first = runs[0].labels[0].start
    assert first.tzinfo is not None
    assert first.astimezone(dt.UTC).minute == 0


@pytest.mark.parametrize("episodes", [1, 3])
def test_gap_episodes_are_labels_two_days_apart_in_one_segment(episodes: int) -> None:
    """``--gap-episodes``: a gap segment carries up to that many silenced exceedances, each its own label of
    the same point, at least two days apart, each with its values blanked; other scenarios keep one."""
    bg = load_background("epa-cems", DATA)
    runs = list(
        injected_runs(
            bg,
            seed=5,
            severities=["default"],
            scenarios=["gap_during_exceedance", "constant_value"],
            per_combo=2,
            gap_episodes=episodes,
        )
    )
    gaps = [r for r in runs if r.labels[0].scenario == "gap_during_exceedance"]
    assert len(gaps) == 2
    # up to that many: a peaking unit's segment may run on too few days for all of them
    assert max(len(r.labels) for r in gaps) == episodes
    for run in gaps:
        assert 1 <= len(run.labels) <= episodes
        assert {lab.mn for lab in run.labels} == {run.context.mn}
        starts = sorted(lab.start for lab in run.labels)
        assert all(b - a >= dt.timedelta(days=2) for a, b in itertools.pairwise(starts))
        for lab in run.labels:
            inside = run.frame.filter(
                pl.col("time").is_between(lab.start, lab.end, closed="left")
                & (pl.col("code") == lab.codes[0])
                & pl.col("value").is_not_null()
            )
            assert inside.height < (lab.end - lab.start) / dt.timedelta(hours=1)  # some hours blanked
    assert all(len(r.labels) == 1 for r in runs if r.labels[0].scenario == "constant_value")


def test_gap_episodes_are_in_the_recorded_command_and_bounded() -> None:
    assert "--gap-episodes 3" in command_line(DetectOptions(gap_episodes=3), quick=False)
    assert "--gap-episodes" not in command_line(DetectOptions(), quick=False)
    result = CliRunner().invoke(
        app, ["bench", "detect", "--gap-episodes", "9", "--no-sim", "--no-write-docs"]
    )
    assert result.exit_code == 2
    assert "--gap-episodes" in result.output


def test_a_tracks_first_segment_is_calibrated_on_the_days_after_it() -> None:
    """As the screening service does for a point's first month: the profile comes from the 30 days after
    the segment (never the segment itself); later segments keep the 30 days before them."""
    bg = load_background("epa-cems", DATA)
    segs = [s for s in segments(bg) if s.track.name == "GA_703-3BLR"][:2]  # a base-load unit
    profiles = Profiles()
    first, second = (profiles.context(s, s.track.slice(s.a, s.b, "x"), "MN1").profile for s in segs)
    assert first is not None
    assert second is not None
    seg0_end = segs[0].track.time_at(segs[0].b - 1)
    seg1_start = segs[1].track.time_at(segs[1].a)
    assert first.start > seg0_end  # after the segment
    assert second.end < seg1_start  # before the segment
    assert first.levels
    assert second.levels
    assert Profiles(enabled=False).context(segs[0], segs[0].track, "MN1").profile is None


def test_limits_scaled_change_only_the_factor_specs() -> None:
    bg = load_background("cn-effluent", DATA)
    moved = with_limits_scaled(bg, 0.6)
    assert moved.name == "cn-effluent@limits×0.6"
    before, after = bg.tracks[0], moved.tracks[0]
    assert after.factors[NH3N].limit == pytest.approx(0.6 * (before.factors[NH3N].limit or 0))
    assert after.factors[NH3N].range_high == before.factors[NH3N].range_high
    assert after.values[NH3N] is before.values[NH3N]  # shared, not copied
    assert bg.tracks[0].factors[NH3N].limit == 5.0  # the original is untouched


def test_untouched_segments_are_screened_again_with_moved_limits() -> None:
    result = run_detect(
        _options(
            backgrounds=("cn-effluent",), scenarios=("replay",), limit_scales=(0.6, 1.5), output_steps=()
        )
    )
    sources = {o.source for o in result.scaled}
    assert sources == {"cn-effluent@limits×0.6", "cn-effluent@limits×1.5"}
    assert all(set(o.detections) == {"rules"} and not o.labels for o in result.scaled)
    clean = [o for o in result.outcomes if not o.labels]
    assert len(result.scaled) == 2 * len(clean)
    body = report_body(result, quick=False)
    assert "#### Limits moved: the clean-day rate with every limit scaled" in body
    row = next(ln for ln in body.splitlines() if ln.startswith("| cn-effluent | ") and "/" in ln)
    assert row.count("/") == 3  # limits x 1, 0.6 and 1.5
    assert "--limit-scales 0.6,1.5" in body


def test_output_step_rounds_pollutants_with_a_limit_and_recomputes_the_converted_value() -> None:
    bg = load_background("epa-cems", DATA)
    coarse = with_output_step(bg, 0.1)
    assert coarse.name == "epa-cems@step0.1"
    before, after = bg.tracks[0], coarse.tracks[0]
    limit = before.factors[NOX].limit or 0.0
    step = 10.0 ** np.floor(np.log10(0.1 * limit))
    on = np.isfinite(after.values[NOX])
    assert np.allclose(after.values[NOX][on] / step, np.round(after.values[NOX][on] / step))
    assert not np.allclose(after.values[NOX][on], before.values[NOX][on])  # it did round
    assert np.array_equal(after.values[O2_CODE], before.values[O2_CODE], equal_nan=True)  # not a pollutant
    o2 = np.minimum(after.values[O2_CODE][on], 20.0)
    expected = after.values[NOX][on] * 15 / (21 - o2)
    assert np.allclose(after.zs[NOX][on], expected, atol=0.051)  # from the rounded value, to 0.1
    assert np.isfinite(before.values[NOX]).sum() == on.sum()  # the original is untouched


def test_untouched_segments_are_screened_again_at_a_coarse_output_step() -> None:
    result = run_detect(
        _options(backgrounds=("cn-effluent",), scenarios=("replay",), limit_scales=(), output_steps=(0.1,))
    )
    assert {o.source for o in result.scaled} == {"cn-effluent@step0.1"}
    clean = [o for o in result.outcomes if not o.labels]
    assert len(result.scaled) == len(clean)
    body = report_body(result, quick=False)
    assert "#### Output step moved" in body
    row = next(
        ln
        for ln in body.splitlines()
        if ln.startswith("| cn-effluent | ") and "step" not in ln and ln.count("/") == 2
    )
    assert row.count("(") == 4  # as recorded and at the step: share and red days each
    assert "--output-steps 0.1" in body


def test_bad_output_steps_are_a_clear_one_line_error() -> None:
    assert "--output-steps" in _one_line_error("--output-steps", "x")
    assert "--output-steps" in _one_line_error("--output-steps", "0")


def test_bad_limit_scales_are_a_clear_one_line_error() -> None:
    assert "--limit-scales" in _one_line_error("--limit-scales", "0.6,x")
    assert "--limit-scales" in _one_line_error("--limit-scales", "-1")
