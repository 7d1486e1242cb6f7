"""Shared helpers of the simulator tests: cached runs and series extraction."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import polars as pl

from ecosentinel.readings import CST
from ecosentinel.simulator import ScenarioSpec, SimulationConfig, SimulationResult, simulate

START = dt.datetime(2024, 5, 6, tzinfo=CST)
WATER, GAS, DAYS, SEED = 3, 2, 5.0, 11
WATER_STATIONS = (0, 1, 2)
GAS_STATIONS = (3, 4)


def config(*scenarios: ScenarioSpec, seed: int = SEED) -> SimulationConfig:
    return SimulationConfig(
        seed=seed, start=START, days=DAYS, water=WATER, gas=GAS, scenarios=list(scenarios)
    )


@cache
def clean_run(seed: int = SEED) -> SimulationResult:
    return simulate(config(seed=seed))


@cache
def scenario_run(
    scenario: str, station: int, severity: float = 1.0, params: tuple[tuple[str, str], ...] = ()
) -> SimulationResult:
    return simulate(config(ScenarioSpec(scenario, station=station, severity=severity, params=dict(params))))


def series(
    result: SimulationResult, mn: str, code: str, kind: str = "minute", source: str = "platform"
) -> pl.DataFrame:
    """Rows of one factor, sorted by time."""
    return result.readings.filter(
        (pl.col("mn") == mn)
        & (pl.col("code") == code)
        & (pl.col("kind") == kind)
        & (pl.col("source") == source)
    ).sort("time")


def factor_entry(result: SimulationResult, station: int, code: str) -> dict[str, Any]:
    factors: list[dict[str, Any]] = result.point(station)["factors"]
    return next(f for f in factors if f["code"] == code)
