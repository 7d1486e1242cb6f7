"""Labelled corpus of the accuracy benchmark: simulated stations with one injected scenario each.

One simulation per (scenario, severity): a few stations of the fitting type(s), each carrying one
injection in a window the simulator picks (away from shutdowns, and from rain for the water scenarios
that look like dilution); every other point-day of those stations is clean. Clean batches add stations
with no injection at all. All clean days still contain the legitimate look-alikes the simulator makes
(daily calibrations, maintenance visits, planned shutdowns and start-ups, storms, transmission gaps).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import polars as pl

from ecosentinel.detection.context import FactorSpec, PointContext, PointType
from ecosentinel.readings import CST
from ecosentinel.simulator import SimulationConfig, SimulationResult, simulate
from ecosentinel.simulator.models import Label, ScenarioSpec
from ecosentinel.simulator.scenarios import CATALOGUE

SEVERITIES: dict[str, float] = {"low": 0.5, "default": 1.0, "high": 1.5}
"""Simulator severities: 1.0 is the simulator's default (a clear case), 0.5 a subtle one."""


@dataclass(frozen=True, slots=True)
class Batch:
    """One simulation of the corpus: which scenario (None = clean) at which severity."""

    scenario: str | None
    severity_name: str
    seed: int
    water: int
    gas: int
    days: float

    @property
    def name(self) -> str:
        return f"{self.scenario or 'clean'}@{self.severity_name}"


@dataclass(slots=True)
class PointRun:
    """One monitoring point's data, context and ground truth, ready to screen."""

    source: str
    """``sim`` or ``real``."""
    batch: str
    frame: pl.DataFrame
    context: PointContext
    labels: list[Label]
    days: list[dt.date]
    """The CST days the point has data for (the point-days of the corpus)."""
    severity_name: str = "default"
    extra: dict[str, str] = field(default_factory=dict)


def plan(
    *,
    scenarios: list[str],
    severities: list[str],
    days: float,
    per_type: int,
    clean_water: int,
    clean_gas: int,
    seed: int,
) -> list[Batch]:
    """The simulations of the corpus, each with its own fixed seed (printed in the report)."""
    out: list[Batch] = []
    k = 0
    for sid in scenarios:
        types = CATALOGUE[sid].types
        water = per_type if PointType.WATER.value in {t.value for t in types} else 0
        gas = per_type if PointType.GAS.value in {t.value for t in types} else 0
        for sev in severities:
            k += 1
            out.append(Batch(sid, sev, seed + k, water, gas, days))
    if clean_water or clean_gas:
        out.append(Batch(None, "-", seed, clean_water, clean_gas, days))
    return out


def run_batch(batch: Batch) -> SimulationResult:
    """Simulate one batch: one injection per station of a fitting type."""
    specs: list[ScenarioSpec] = []
    if batch.scenario is not None:
        types = {t.value for t in CATALOGUE[batch.scenario].types}
        for index in range(batch.water + batch.gas):
            kind = PointType.WATER.value if index < batch.water else PointType.GAS.value
            if kind in types:
                specs.append(
                    ScenarioSpec(batch.scenario, station=index, severity=SEVERITIES[batch.severity_name])
                )
    config = SimulationConfig(
        seed=batch.seed, days=batch.days, water=batch.water, gas=batch.gas, scenarios=specs
    )
    return simulate(config)


def _str_values(frame: pl.DataFrame, with_time: bool) -> pl.DataFrame:
    cols = [pl.col("mn"), pl.col("pol_id"), pl.col("info_id"), pl.col("value").cast(pl.Utf8)]
    if with_time:
        cols.insert(1, pl.col("time"))
    else:
        cols.insert(1, pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("time"))
    return frame.select(cols)


def contexts(result: SimulationResult) -> dict[str, PointContext]:
    """PointContext per MN from a simulation's registry and side records (what the platform knows)."""
    out: dict[str, PointContext] = {}
    filed = _str_values(result.filed_parameters, with_time=False)
    uploads = _str_values(result.parameter_uploads, with_time=True)
    cycles = {
        (str(r["mn"]), str(r["pol_id"])): float(r["value"])
        for r in result.filed_parameters.filter(pl.col("info_id") == "i13003").iter_rows(named=True)
    }
    events = result.events.select("mn", "time", "type")
    om = result.om_records.select("mn", "start", "end", "kind", "person")
    for enterprise_index, enterprise in enumerate(result.registry["enterprises"]):
        for point in enterprise["points"]:
            mn = str(point["mn"])
            factors = {}
            for f in point["factors"]:
                cyc = cycles.get((mn, f["code"]))
                factors[f["code"]] = FactorSpec(
                    limit=f.get("limit"),
                    limit_low=f.get("limit_low"),
                    range_high=f.get("range"),
                    unit=f.get("unit"),
                    cycles_per_hour=60.0 / cyc if cyc else None,
                )
            out[mn] = PointContext(
                mn=mn,
                point_type=PointType(point["type"]),
                enterprise_id=f"E{enterprise_index:03d}",
                industry=str(enterprise["industry"]),
                factors=factors,
                ref_o2=point.get("ref_o2"),
                filed_parameters=filed.filter(pl.col("mn") == mn),
                parameter_uploads=uploads.filter(pl.col("mn") == mn),
                events=events.filter(pl.col("mn") == mn),
                om_records=om.filter(pl.col("mn") == mn),
            )
    return out


def cst_days(times: pl.Series) -> list[dt.date]:
    """Distinct CST days of a UTC time column, sorted."""
    days = times.dt.convert_time_zone(CST.key).dt.date().unique().sort()
    return [d for d in days.to_list() if d is not None]


def point_runs(batch: Batch, result: SimulationResult) -> Iterator[PointRun]:
    """Split a simulation into per-point runs with their labels."""
    ctxs = contexts(result)
    parts = result.readings.partition_by("mn", as_dict=True, maintain_order=False)
    first = result.config.start.astimezone(CST).date()
    n_days = round(result.config.days)
    all_days = [first + dt.timedelta(days=i) for i in range(n_days)]
    for (mn,), frame in parts.items():
        mn = str(mn)
        yield PointRun(
            source="sim",
            batch=batch.name,
            frame=frame,
            context=ctxs[mn],
            labels=[lab for lab in result.labels if lab.mn == mn],
            days=all_days,
            severity_name=batch.severity_name,
        )
