"""Write a simulation to files: readings CSV (the importer's format), registry YAML, JSONL side records."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from ecosentinel.readings import CST
from ecosentinel.simulator.models import Label, SimulationResult

logger = logging.getLogger(__name__)

CSV_COLUMNS = ("mn", "time", "kind", "code", "value", "flag", "source", "zs", "vmin", "vmax", "cou")
"""Columns of readings.csv, as ``ecosentinel import readings`` reads them."""

_ISO_CST = "%Y-%m-%dT%H:%M:%S%:z"


def write_outputs(result: SimulationResult, directory: Path) -> None:
    """Write readings.csv (+ lossless readings.parquet), registry.yaml and the JSONL files into ``directory``.

    readings.csv has the columns ``mn,time,kind,code,value,flag,source,zs,vmin,vmax,cou`` with times in
    ISO 8601 CST (zs: the O2-converted value of flue gas, as the stations report it);
    readings.parquet keeps every READING_SCHEMA column (vmin, vmax, cou, zs too), times in UTC.
    """
    directory.mkdir(parents=True, exist_ok=True)
    readings = result.readings
    readings.select(
        pl.col("time").dt.convert_time_zone("Asia/Shanghai") if c == "time" else pl.col(c)
        for c in CSV_COLUMNS
    ).write_csv(directory / "readings.csv", datetime_format=_ISO_CST)
    readings.write_parquet(directory / "readings.parquet")
    with (directory / "registry.yaml").open("w", encoding="utf-8") as fh:
        yaml.safe_dump(result.registry, fh, allow_unicode=True, sort_keys=False, width=200)
    _write_jsonl(directory / "labels.jsonl", [label.to_json() for label in result.labels])
    _write_frame(directory / "events.jsonl", result.events)
    _write_frame(directory / "om_records.jsonl", result.om_records)
    _write_frame(directory / "filed_parameters.jsonl", result.filed_parameters)
    _write_frame(directory / "parameter_uploads.jsonl", result.parameter_uploads)
    _write_frame(directory / "episodes.jsonl", result.episodes)
    logger.info("wrote %d readings and %d labels to %s", readings.height, len(result.labels), directory)


def read_labels(path: Path) -> list[Label]:
    """Read labels.jsonl back."""
    labels = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            labels.append(
                Label(
                    d["mn"],
                    d["scenario"],
                    dt.datetime.fromisoformat(d["start"]),
                    dt.datetime.fromisoformat(d["end"]),
                    tuple(d["codes"]),
                    float(d["severity"]),
                )
            )
    return labels


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(CST).isoformat()
    return value


def _write_frame(path: Path, frame: pl.DataFrame) -> None:
    _write_jsonl(path, [{k: _iso(v) for k, v in row.items()} for row in frame.iter_rows(named=True)])


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
