"""Configuration and results of a simulation run."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from ecosentinel.readings import CST, DataKind


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    """One falsification to inject.

    ``station`` is a station index (water stations first: 0 … water-1, then gas stations) or an MN;
    ``None`` lets the seed choose a station of a suitable type. ``start_offset`` is counted from the start
    of the simulation; ``None`` lets the seed choose a window (avoiding shutdowns). ``duration`` ``None``
    uses the scenario's default. ``severity`` 1.0 is a clear case, 0.5 a subtle one. ``params`` are
    scenario-specific options (see docs/simulator.md), e.g. ``{"code": "w21003"}``.
    """

    id: str
    station: int | str | None = None
    start_offset: dt.timedelta | None = None
    duration: dt.timedelta | None = None
    severity: float = 1.0
    params: Mapping[str, float | str] = field(default_factory=dict)


def _default_start() -> dt.datetime:
    return dt.datetime(2024, 5, 6, tzinfo=CST)


@dataclass(slots=True)
class SimulationConfig:
    """What to simulate. ``start`` is timezone-aware (naive means China Standard Time)."""

    seed: int = 0
    start: dt.datetime = field(default_factory=_default_start)
    days: float = 7.0
    water: int = 3
    gas: int = 2
    scenarios: list[ScenarioSpec] = field(default_factory=list)
    kinds: tuple[DataKind, ...] = (DataKind.MINUTE, DataKind.HOUR)
    include_rtd: bool = False
    three_way: bool = True  # also emit the hourly values as the data logger and the analyser stored them


@dataclass(frozen=True, slots=True)
class Label:
    """Ground truth of one injected falsification."""

    mn: str
    scenario: str
    start: dt.datetime
    end: dt.datetime
    codes: tuple[str, ...]
    severity: float

    def to_json(self) -> dict[str, Any]:
        """The JSONL shape: ISO times with the +08:00 offset."""
        return {
            "mn": self.mn,
            "scenario": self.scenario,
            "start": self.start.astimezone(CST).isoformat(),
            "end": self.end.astimezone(CST).isoformat(),
            "codes": list(self.codes),
            "severity": self.severity,
        }


@dataclass(slots=True)
class SimulationResult:
    """Everything one run produced. Frames keep times as timezone-aware UTC.

    ``episodes`` lists the legitimate look-alikes the run contains (storms, shutdowns, start-ups,
    transmission gaps, camera outages): ground truth for measuring false positives.
    """

    config: SimulationConfig
    readings: pl.DataFrame
    events: pl.DataFrame
    om_records: pl.DataFrame
    filed_parameters: pl.DataFrame
    parameter_uploads: pl.DataFrame
    episodes: pl.DataFrame
    labels: list[Label]
    registry: dict[str, Any]
    station_mns: list[str]  # MN of each station index (water stations first, then gas)

    def points(self) -> list[dict[str, Any]]:
        """All points of the registry, flattened (registry order)."""
        return [p for e in self.registry["enterprises"] for p in e["points"]]

    def point(self, station: int | str) -> dict[str, Any]:
        """The registry entry of a station index or MN."""
        mn = self.station_mns[station] if isinstance(station, int) else station
        return next(p for p in self.points() if p["mn"] == mn)


EVENT_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "time": pl.Datetime("us", "UTC"),
    "type": pl.Utf8(),
    "detail": pl.Utf8(),
}
OM_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "kind": pl.Utf8(),
    "person": pl.Utf8(),
    "note": pl.Utf8(),
}
FILED_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "pol_id": pl.Utf8(),
    "info_id": pl.Utf8(),
    "name": pl.Utf8(),
    "value": pl.Float64(),
}
UPLOAD_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "time": pl.Datetime("us", "UTC"),
    "pol_id": pl.Utf8(),
    "info_id": pl.Utf8(),
    "value": pl.Float64(),
}
EPISODE_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "kind": pl.Utf8(),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
}
