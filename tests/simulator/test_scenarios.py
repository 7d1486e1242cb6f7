"""Every scenario changes what it claims, only inside its labelled window (table-driven, ADTK-style).

Each case runs the same seed with and without the scenario: generation is deterministic per station, so
every difference between the two runs is the scenario's doing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pytest

from ecosentinel.errors import ValidationError
from ecosentinel.simulator import SCENARIO_IDS, Label, ScenarioSpec, SimulationResult, simulate
from ecosentinel.simulator.profiles import COD, GFLOW, NOX, O2, PH, SO2, WFLOW
from tests.simulator.helpers import clean_run, config, factor_entry, scenario_run, series

KEY = ["mn", "code", "kind", "source", "time"]
COMPARED = ["value", "vmin", "vmax", "cou", "zs", "flag"]


@dataclass(frozen=True)
class Case:
    scenario: str
    station: int
    check: Callable[[SimulationResult, SimulationResult, Label], None]
    severity: float = 1.0
    params: tuple[tuple[str, str], ...] = field(default=())


def window(
    result: SimulationResult, label: Label, code: str, kind: str = "minute", source: str = "platform"
) -> pl.DataFrame:
    rows = series(result, label.mn, code, kind, source)
    return rows.filter(pl.col("time").is_between(label.start, label.end, closed="left"))


def limit(result: SimulationResult, label: Label, code: str) -> float:
    station = result.station_mns.index(label.mn)
    return num(factor_entry(result, station, code)["limit"])


def num(x: object) -> float:
    """A polars scalar as a float (fails on null)."""
    assert isinstance(x, int | float), x
    return float(x)


def valid(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("flag") == "N")


def core(frame: pl.DataFrame, label: Label, margin: dt.timedelta = dt.timedelta(hours=2)) -> pl.DataFrame:
    """Rows away from the window edges, where analyser cycles started before or after it still show."""
    return frame.filter(pl.col("time").is_between(label.start + margin, label.end - margin, closed="left"))


# --- per-scenario claims -------------------------------------------------------------------------------


def check_post_exceedance_drop(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    cod = window(fals, label, COD)
    lim = limit(fals, label, COD)
    peak = cod.filter(pl.col("value") > lim)
    assert peak.height > 0, "the exceeding result is there"
    after = cod.filter(pl.col("time") > peak["time"].max())
    assert num(after["value"].min()) < 0.5 * num(peak["value"].max()), "then the results collapse"
    first_hour = cod.filter(pl.col("time") < label.start + dt.timedelta(hours=1))
    assert first_hour["value"].n_unique() >= 3, "more analyser results in that hour than scheduled"
    nh3n = window(fals, label, "w21003")
    assert nh3n.equals(window(clean, label, "w21003")), "no matching change in NH3-N"


def check_dilution(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    medians = []
    for code in label.codes:
        if code == PH:
            continue
        f, c = valid(window(fals, label, code)), valid(window(clean, label, code))
        joined = f.join(c, on="time", suffix="_c").filter(pl.col("value_c") > 0)
        medians.append(num((joined["value"] / joined["value_c"]).median()))
    assert np.allclose(medians, 0.35, atol=0.03), medians
    flow_f, flow_c = window(fals, label, WFLOW), window(clean, label, WFLOW)
    assert flow_f.equals(flow_c), "flow unchanged by default"


def check_tap_water_night(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    cod = core(valid(window(fals, label, COD)), label)
    assert num(cod["value"].max()) < 8.0
    ph = core(valid(window(fals, label, PH)), label)
    assert num(ph["value"].min()) > 7.2
    assert num(ph["value"].max()) < 7.55
    assert label.start.astimezone(dt.timezone(dt.timedelta(hours=8))).hour == 22
    events = fals.events.filter(pl.col("mn") == label.mn)
    near = events.filter(
        pl.col("time").is_between(
            label.start - dt.timedelta(minutes=30), label.start + dt.timedelta(minutes=1)
        )
    )
    assert set(near["type"]) & {"camera_moved", "video_lost"}
    assert "door_open" in set(near["type"])
    om = fals.om_records.filter(
        (pl.col("mn") == label.mn)
        & (pl.col("end") > label.start - dt.timedelta(minutes=30))
        & (pl.col("start") < label.start)
    )
    assert om.height == 0, "nobody filed an O&M record for that door opening"
    assert events.height > clean.events.filter(pl.col("mn") == label.mn).height


def check_parameter_change(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    code = label.codes[0]
    filed = fals.filed_parameters.filter(
        (pl.col("mn") == label.mn) & (pl.col("pol_id") == code) & (pl.col("info_id") == "i13008")
    )["value"][0]
    uploads = fals.parameter_uploads.filter(
        (pl.col("mn") == label.mn)
        & (pl.col("pol_id") == code)
        & (pl.col("info_id") == "i13008")
        & pl.col("time").is_between(label.start, label.end, closed="left")
    )
    assert uploads.height >= 2
    assert (uploads["value"] != filed).all(), "every upload during the window shows the changed slope"
    new = num(uploads["value"][0])
    assert abs(new / filed - 0.55) < 0.01
    f, c = valid(window(fals, label, code)), valid(window(clean, label, code))
    joined = f.join(c, on="time", suffix="_c").filter(pl.col("value_c") > 5)
    assert abs(num((joined["value"] / joined["value_c"]).median()) - new / filed) < 0.05
    after = fals.parameter_uploads.filter(
        (pl.col("mn") == label.mn) & (pl.col("info_id") == "i13008") & (pl.col("pol_id") == code)
    ).filter(pl.col("time") >= label.end)
    assert (after["value"] == filed).all(), "restored afterwards"


def check_constant_value(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    for code in label.codes:
        rows = window(fals, label, code)
        assert rows["value"].n_unique() == 1, code
        assert (rows["flag"] == "N").all()
    assert window(clean, label, label.codes[0])["value"].n_unique() > 1


def check_gap_during_exceedance(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    code = label.codes[0]
    present = window(fals, label, code)
    assert present.height < window(clean, label, code).height - 30, "data missing inside the window"
    lim = limit(fals, label, code)
    compared = present["zs"] if code in (SO2, NOX) else present["value"]
    assert num(compared.max()) <= lim
    assert num(compared.max()) > 0.7 * lim, "concentrations climb towards the limit before each gap"


def check_treatment_off(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    f, c = window(fals, label, "wc_treat_kw"), window(clean, label, "wc_treat_kw")
    assert num(f["value"].max()) < 0.06 * num(c["value"].median())
    prod = window(fals, label, "wc_prod_kw")
    assert num(prod["value"].median()) > 0.3 * num(prod["value"].max())
    for code in ("w01018", "a21002"):
        if window(clean, label, code).height:
            assert window(fals, label, code).equals(window(clean, label, code)), "emissions look normal"


def check_o2_dilution(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    def mean(r: SimulationResult, code: str, col: str = "value") -> float:
        return num(valid(window(r, label, code))[col].mean())

    assert mean(fals, O2) - mean(clean, O2) > 3.0
    assert mean(fals, NOX) < 0.9 * mean(clean, NOX)
    assert mean(fals, GFLOW) > 1.1 * mean(clean, GFLOW)
    assert abs(mean(fals, NOX, "zs") / mean(clean, NOX, "zs") - 1) < 0.05, "O2 normalisation cancels the air"
    assert window(fals, label, "wc_prod_kw").equals(window(clean, label, "wc_prod_kw")), "load unchanged"


def check_zs_mismatch(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    station = fals.station_mns.index(label.mn)
    ref = fals.point(station)["ref_o2"]
    o2 = window(fals, label, O2).select("time", o2="value")
    rows = valid(window(fals, label, NOX)).join(o2, on="time").filter(pl.col("zs").is_not_null())
    ratio = rows["zs"] / (rows["value"] * (21 - ref) / (21 - rows["o2"]))
    assert abs(num(ratio.median()) - 0.6) < 0.05
    assert window(fals, label, NOX)["value"].equals(window(clean, label, NOX)["value"])


def check_flag_abuse(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    code = label.codes[0]
    rows = window(fals, label, code)
    hidden = rows.filter(pl.col("flag").is_in(["C", "M", "D"]))
    assert hidden.height > 30
    compared = hidden["zs"] if code in (SO2, NOX) else hidden["value"]
    lim = limit(fals, label, code)
    values = hidden["value"] if compared.null_count() else compared
    assert num(values.max()) > lim
    om = fals.om_records.filter(
        (pl.col("mn") == label.mn)
        & (pl.col("start") < hidden["time"].max())
        & (pl.col("end") > hidden["time"].min())
    )
    assert om.filter(pl.col("kind") != "calibration").height == 0


def check_replay(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    code = COD if label.codes[0].startswith("w") else NOX
    day = window(fals, label, code)
    assert day.height > 1000
    full = series(fals, label.mn, code)
    matches = 0
    for k in range(1, 8):
        earlier = full.with_columns(pl.col("time") + dt.timedelta(days=k))
        joined = day.join(earlier, on="time", suffix="_e")
        if joined.height > 1000 and (joined["value"] == joined["value_e"]).all():
            matches += 1
    assert matches == 1, "the day equals exactly one earlier day"


def check_flow_manipulation(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    flow = window(fals, label, label.codes[0])
    assert flow["value"].n_unique() == 1
    assert num(flow["value"][0]) < 0.5 * num(window(clean, label, label.codes[0])["value"].mean())


def check_flow_manipulation_cou(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    flow = window(fals, label, WFLOW)
    assert flow["value"].equals(window(clean, label, WFLOW)["value"])
    ratio = (flow["cou"] / (flow["value"] * 60 / 1000)).drop_nans().drop_nulls()
    assert abs(num(ratio.median()) - 0.4) < 0.02


def _hourly_vs_minutes(r: SimulationResult, label: Label, code: str, source: str = "platform") -> float:
    minutes = (
        valid(window(r, label, code)).group_by(pl.col("time").dt.truncate("1h")).agg(pl.col("value").mean())
    )
    hourly = window(r, label, code, "hour", source).join(minutes, on="time", suffix="_m")
    return num((hourly["value"] / hourly["value_m"]).median())


def check_hourly_mismatch(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    for code in label.codes:
        assert abs(_hourly_vs_minutes(fals, label, code) - 0.65) < 0.03, code
        assert abs(_hourly_vs_minutes(clean, label, code) - 1.0) < 0.02, code
    assert window(fals, label, label.codes[0]).equals(window(clean, label, label.codes[0])), (
        "minutes untouched"
    )


def check_three_way_mismatch(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    for code in label.codes:
        plat = window(fals, label, code, "hour", "platform")
        analyser = window(fals, label, code, "hour", "analyser")
        logger = window(fals, label, code, "hour", "logger")
        assert logger["value"].equals(analyser["value"])
        joined = plat.join(analyser, on="time", suffix="_a").filter(pl.col("value_a") > 1)
        assert abs(num((joined["value"] / joined["value_a"]).median()) - 0.65) < 0.03
        assert analyser.equals(window(clean, label, code, "hour", "analyser"))


def check_bunching(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    code = label.codes[0]
    rows = valid(window(fals, label, code))
    compared = rows["zs"] if code in (SO2, NOX) else rows["value"]
    lim = limit(fals, label, code)
    assert num(compared.max()) <= lim
    share = num(((compared >= 0.93 * lim) & (compared <= lim)).mean())
    clean_rows = valid(window(clean, label, code))
    clean_compared = clean_rows["zs"] if code in (SO2, NOX) else clean_rows["value"]
    clean_share = num(((clean_compared >= 0.93 * lim) & (clean_compared <= lim)).mean())
    assert share > 0.25
    assert clean_share < 0.05


def check_zero_negative(clean: SimulationResult, fals: SimulationResult, label: Label) -> None:
    negatives = 0
    for code in label.codes:
        rows = core(valid(window(fals, label, code)), label)
        assert num((rows["value"] <= 0).mean()) > 0.8, code
        negatives += int((window(fals, label, code)["value"] < 0).sum())
    assert negatives > 0
    prod = window(fals, label, "wc_prod_kw")
    assert num(prod["value"].median()) > 0.3 * num(prod["value"].max())


CASES = [
    Case("post_exceedance_drop", 0, check_post_exceedance_drop),
    Case("dilution", 1, check_dilution),
    Case("tap_water_night", 2, check_tap_water_night),
    Case("parameter_change", 0, check_parameter_change),
    Case("parameter_change", 3, check_parameter_change),
    Case("constant_value", 1, check_constant_value),
    Case("constant_value", 4, check_constant_value),
    Case("gap_during_exceedance", 2, check_gap_during_exceedance),
    Case("gap_during_exceedance", 3, check_gap_during_exceedance),
    Case("treatment_off", 0, check_treatment_off),
    Case("treatment_off", 4, check_treatment_off),
    Case("o2_dilution", 3, check_o2_dilution),
    Case("zs_mismatch", 4, check_zs_mismatch),
    Case("flag_abuse", 1, check_flag_abuse),
    Case("flag_abuse", 3, check_flag_abuse),
    Case("replay", 2, check_replay),
    Case("replay", 4, check_replay),
    Case("flow_manipulation", 0, check_flow_manipulation),
    Case("flow_manipulation", 1, check_flow_manipulation_cou, params=(("mode", "cou"),)),
    Case("hourly_mismatch", 2, check_hourly_mismatch),
    Case("three_way_mismatch", 3, check_three_way_mismatch),
    Case("bunching", 0, check_bunching),
    Case("bunching", 4, check_bunching),
    Case("zero_negative", 1, check_zero_negative),
    Case("zero_negative", 3, check_zero_negative),
]


def _id(case: Case) -> str:
    return f"{case.scenario}@{case.station}" + ("".join(f"-{k}={v}" for k, v in case.params))


def test_every_scenario_has_a_case() -> None:
    assert {c.scenario for c in CASES} == set(SCENARIO_IDS)
    assert len(SCENARIO_IDS) == 16


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_scenario_changes_what_it_claims(case: Case) -> None:
    clean = clean_run()
    fals = scenario_run(case.scenario, case.station, case.severity, case.params)
    [label] = fals.labels
    assert label.mn == fals.station_mns[case.station]
    assert label.scenario == case.scenario
    assert label.start < label.end
    case.check(clean, fals, label)


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_differences_lie_inside_the_label(case: Case) -> None:
    clean, fals = clean_run(), scenario_run(case.scenario, case.station, case.severity, case.params)
    [label] = fals.labels
    joined = clean.readings.join(fals.readings, on=KEY, how="full", coalesce=True, suffix="_f")
    differs = pl.any_horizontal(
        [pl.col(c).ne_missing(pl.col(f"{c}_f")) for c in COMPARED]
        + [pl.col("flag").is_null() | pl.col("flag_f").is_null()]
    )
    changed = joined.filter(differs)
    assert changed.height > 0, "the scenario changed something"
    assert set(changed["mn"]) == {label.mn}
    first_hour = label.start.replace(minute=0)
    outside = changed.filter((pl.col("time") < first_hour) | (pl.col("time") >= label.end))
    assert outside.height == 0, outside.head()
    values_changed = changed.filter(
        pl.col("flag").is_not_null() & pl.col("flag_f").is_not_null() & (pl.col("kind") == "minute")
    )
    assert set(values_changed["code"]) <= {*label.codes, O2, "a01012", GFLOW}


@pytest.mark.parametrize("severity", [0.5, 1.0])
def test_subtle_cases_change_less(severity: float) -> None:
    clean = clean_run()
    fals = scenario_run("dilution", 1, severity)
    [label] = fals.labels
    f, c = core(valid(window(fals, label, COD)), label), core(valid(window(clean, label, COD)), label)
    ratio = num(f["value"].sum()) / num(c["value"].sum())
    assert abs(ratio - (1 - 0.65 * severity)) < 0.01
    assert label.severity == severity


def test_all_scenarios_at_once_give_one_label_each() -> None:
    result = simulate(config(*(ScenarioSpec(s) for s in SCENARIO_IDS)))
    assert [label.scenario for label in result.labels] == list(SCENARIO_IDS)
    water = set(result.station_mns[:3])
    for label in result.labels:
        if label.scenario in ("post_exceedance_drop", "dilution", "tap_water_night"):
            assert label.mn in water
        if label.scenario in ("o2_dilution", "zs_mismatch"):
            assert label.mn not in water
        assert label.start >= config().start


def test_explicit_window() -> None:
    spec = ScenarioSpec(
        "constant_value", station=1, start_offset=dt.timedelta(hours=30), duration=dt.timedelta(hours=5)
    )
    [label] = simulate(config(spec)).labels
    assert label.start == config().start + dt.timedelta(hours=30)
    assert label.end - label.start == dt.timedelta(hours=5)


@pytest.mark.parametrize(
    "spec",
    [
        ScenarioSpec("no_such_thing"),
        ScenarioSpec("o2_dilution", station=0),  # a water station
        ScenarioSpec("dilution", station=99),
        ScenarioSpec("dilution", station="000000000000000000000000"),
        ScenarioSpec("dilution", severity=0),
        ScenarioSpec("bunching", station=0, params={"code": "w99999"}),
    ],
)
def test_bad_scenarios_are_refused(spec: ScenarioSpec) -> None:
    with pytest.raises(ValidationError):
        simulate(config(spec))
