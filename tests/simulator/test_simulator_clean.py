"""Clean (honest) simulated data: determinism and the statistics a data logger guarantees."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from ecosentinel.registry.schemas import RegistryIn
from ecosentinel.simulator import SimulationConfig, simulate
from ecosentinel.simulator.profiles import COD, GAS_POLLUTANTS, O2, WATER_POLLUTANTS, WFLOW
from tests.simulator.helpers import GAS_STATIONS, SEED, START, WATER_STATIONS, clean_run, config, series


def test_same_seed_same_data() -> None:
    a, b = simulate(config()), clean_run()
    assert a.readings.equals(b.readings)
    assert a.events.equals(b.events)
    assert a.om_records.equals(b.om_records)
    assert a.parameter_uploads.equals(b.parameter_uploads)
    assert a.registry == b.registry


def test_other_seed_other_data() -> None:
    a, b = clean_run(), clean_run(SEED + 1)
    assert a.station_mns != b.station_mns
    assert not a.readings["value"].equals(b.readings["value"])


def test_readings_have_the_reading_schema_and_every_kind() -> None:
    r = clean_run()
    from ecosentinel.readings import READING_SCHEMA

    assert dict(r.readings.schema) == READING_SCHEMA
    assert set(r.readings["kind"].unique()) == {"minute", "hour"}
    assert set(r.readings["source"].unique()) == {"platform", "logger", "analyser"}
    assert r.readings["time"].min() == START
    assert set(r.readings.filter(pl.col("kind") == "minute")["code"].unique()) >= {
        "wc_prod_kw",
        "wc_treat_kw",
    }


def test_registry_validates_against_the_import_schema() -> None:
    r = clean_run()
    registry = RegistryIn.model_validate(r.registry)
    mns = [p.mn for e in registry.enterprises for p in e.points]
    assert sorted(mns) == sorted(r.station_mns)
    assert all(len(mn) == 24 for mn in mns)
    gas = [p for e in registry.enterprises for p in e.points if p.type.value == "gas"]
    assert gas
    assert all(p.ref_o2 is not None for p in gas)


@pytest.mark.parametrize("station", [*WATER_STATIONS, *GAS_STATIONS])
def test_hourly_is_the_mean_of_valid_minutes(station: int) -> None:
    r = clean_run()
    mn = r.station_mns[station]
    codes = (*WATER_POLLUTANTS, WFLOW) if station in WATER_STATIONS else (*GAS_POLLUTANTS, O2)
    for code in codes:
        minutes = series(r, mn, code).with_columns(hour=pl.col("time").dt.truncate("1h"))
        expected = (
            minutes.group_by("hour")
            .agg(
                valid=pl.col("value").filter(pl.col("flag") == "N").mean(),
                every=pl.col("value").mean(),
                n_valid=(pl.col("flag") == "N").sum(),
            )
            .with_columns(mean=pl.when(pl.col("n_valid") > 0).then("valid").otherwise("every"))
        )
        hourly = series(r, mn, code, "hour").join(expected, left_on="time", right_on="hour", how="full")
        assert hourly["value"].null_count() == 0, "an hour with minute data has an hourly row"
        resolution = 0.1 if code in (COD, *GAS_POLLUTANTS[2:]) else 1.0 if code in GAS_POLLUTANTS else 0.01
        diff = (hourly["value"] - hourly["mean"]).abs().max()
        assert isinstance(diff, float)
        assert diff <= resolution / 2 + 1e-9, code
        assert (hourly.filter(pl.col("n_valid") > 0)["flag"] == "N").all()


def test_hourly_cou_is_the_sum_of_minute_cou() -> None:
    r = clean_run()
    mn = r.station_mns[0]
    minutes = series(r, mn, WFLOW)
    assert np.allclose(minutes["cou"], minutes["value"] * 60 / 1000, atol=0.0006)
    sums = minutes.group_by(pl.col("time").dt.truncate("1h").alias("time")).agg(pl.col("cou").sum())
    joined = series(r, mn, WFLOW, "hour").join(sums, on="time", suffix="_sum")
    assert np.allclose(joined["cou"], joined["cou_sum"], atol=0.001)


@pytest.mark.parametrize("kind", ["minute", "hour"])
@pytest.mark.parametrize("station", GAS_STATIONS)
def test_zs_follows_the_o2_formula(station: int, kind: str) -> None:
    r = clean_run()
    mn = r.station_mns[station]
    ref = r.point(station)["ref_o2"]
    o2 = series(r, mn, O2, kind).select("time", o2="value")
    for code in GAS_POLLUTANTS:
        every = series(r, mn, code, kind).join(o2, on="time")
        operating = every.filter(~pl.col("flag").is_in(["F", "C"]))
        assert operating.height > 0
        assert operating["zs"].null_count() == 0, "every operating row carries its converted value"
        rows = every.filter(pl.col("zs").is_not_null())
        expected = rows["value"] * (21 - ref) / (21 - rows["o2"])
        resolution = 0.1 if code == GAS_POLLUTANTS[2] else 1.0
        assert ((rows["zs"] - expected).abs() <= resolution / 2 + 1e-9).all(), code


def test_calibration_windows_are_flagged_c_and_recorded() -> None:
    r = clean_run()
    cal = r.om_records.filter(pl.col("kind") == "calibration")
    for station in (*WATER_STATIONS, *GAS_STATIONS):
        mn = r.station_mns[station]
        code = COD if station in WATER_STATIONS else GAS_POLLUTANTS[0]
        flagged = series(r, mn, code).filter(pl.col("flag") == "C")
        assert flagged.height > 0, "a daily calibration every day"
        records = cal.filter(pl.col("mn") == mn)
        assert records.height >= 4
        covered = flagged.join_where(
            records, pl.col("time") >= pl.col("start"), pl.col("time") < pl.col("end")
        )
        assert covered["time"].n_unique() == flagged.height, (
            "every C minute lies in an O&M calibration record"
        )


def test_maintenance_flags_have_records_and_door_events() -> None:
    r = simulate(SimulationConfig(seed=5, start=START, days=30, water=2, gas=0))
    flagged = r.readings.filter((pl.col("flag") == "M") & (pl.col("kind") == "minute"))
    assert flagged.height > 0
    records = r.om_records.filter(pl.col("kind") != "calibration")
    covered = flagged.join_where(
        records,
        pl.col("mn") == pl.col("mn_right"),
        pl.col("time") >= pl.col("start"),
        pl.col("time") < pl.col("end"),
    )
    assert covered.height == flagged.height
    doors = r.events.filter(pl.col("type") == "door_open")
    assert doors.height >= records.height


def test_water_analysers_run_in_cycles() -> None:
    r = clean_run()
    mn = r.station_mns[0]
    cod = series(r, mn, COD).filter(pl.col("flag") == "N")
    changes = cod.with_columns(changed=pl.col("value") != pl.col("value").shift(1)).filter(pl.col("changed"))
    per_hour = changes.group_by(pl.col("time").dt.truncate("1h")).len()["len"].to_list()
    assert per_hour
    assert max(per_hour) <= 2, "one COD result per hour (two when a gap or flag ends inside it)"
    assert (cod["vmin"] == cod["vmax"]).all(), "a held analyser result has no spread"


def test_a_month_has_the_legitimate_look_alikes() -> None:
    r = simulate(SimulationConfig(seed=2, start=START, days=30, water=4, gas=3))
    kinds = set(r.episodes["kind"].unique())
    assert {"storm", "transmission_gap", "shutdown"} <= kinds
    shutdown = r.episodes.filter(pl.col("kind") == "shutdown").row(0, named=True)
    rows = r.readings.filter(
        (pl.col("mn") == shutdown["mn"])
        & (pl.col("kind") == "minute")
        & pl.col("time").is_between(shutdown["start"], shutdown["end"], closed="left")
        & ~pl.col("code").str.starts_with("wc_")
    )
    assert rows.height > 0
    assert (rows["flag"] == "F").all()
    gap = r.episodes.filter(pl.col("kind") == "transmission_gap").row(0, named=True)
    missing = r.readings.filter(
        (pl.col("mn") == gap["mn"])
        & (pl.col("code") == r.readings.filter(pl.col("mn") == gap["mn"])["code"][0])
        & (pl.col("kind") == "minute")
        & pl.col("time").is_between(gap["start"], gap["end"], closed="left")
    )
    assert missing.height == 0


def test_ultra_low_emitters_sit_at_the_analyser_resolution() -> None:
    r = clean_run()
    for station in GAS_STATIONS:
        so2 = series(r, r.station_mns[station], GAS_POLLUTANTS[0])
        assert (so2["value"] == so2["value"].round(0)).all()
