"""The shared vocabulary of monitoring readings: data kinds, sources, HJ 212 flags, the frame schema.

Every part of EcoSentinel (codec, ingest, store, importer, simulator, screening) speaks in these terms.
A *reading* is one value of one factor (监测因子) of one monitoring point (MN) at one time, of one data
kind (real-time / minute / hour / day), from one source (platform / data logger / analyser).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

import polars as pl

CST = ZoneInfo("Asia/Shanghai")
"""China Standard Time: HJ 212 DataTime and imported files are in it unless they say otherwise."""


class DataKind(StrEnum):
    """Data kind, tied to the HJ 212 upload command (CN)."""

    RTD = "rtd"  # CN 2011 real-time data
    MINUTE = "minute"  # CN 2051
    HOUR = "hour"  # CN 2061
    DAY = "day"  # CN 2031


class Source(StrEnum):
    """Where a value came from, for the three-way comparison (三方比对, seed 000 point 5)."""

    PLATFORM = "platform"
    LOGGER = "logger"  # 数采仪
    ANALYSER = "analyser"  # 分析仪


class DataFlag(StrEnum):
    """HJ 212 data flags (数据标记)."""

    NORMAL = "N"
    STOPPED = "F"  # source stopped (停运)
    MAINTENANCE = "M"  # 维护
    SET_VALUE = "S"  # manually set value (手工输入)
    FAULT = "D"  # 故障
    CALIBRATION = "C"  # 校准
    OVER_RANGE = "T"  # over the upper measurement limit (超测上限)
    COMM_FAULT = "B"  # communication fault (通讯异常)
    POWER_FAILURE = "P"  # 2005 only: power failure


KIND_BY_CN: dict[str, DataKind] = {
    "2011": DataKind.RTD,
    "2051": DataKind.MINUTE,
    "2061": DataKind.HOUR,
    "2031": DataKind.DAY,
}
CN_BY_KIND: dict[DataKind, str] = {v: k for k, v in KIND_BY_CN.items()}

READING_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "code": pl.Utf8(),  # factor code, HJ 212-2017 form (e.g. w01018); 2005 codes are mapped on ingest
    "kind": pl.Utf8(),  # DataKind value
    "time": pl.Datetime("us", "UTC"),  # start of the interval (DataTime), timezone-aware UTC
    "source": pl.Utf8(),  # Source value
    "value": pl.Float64(),  # Rtd for real-time, Avg for minute/hour/day; null when missing
    "vmin": pl.Float64(),  # -Min, when sent
    "vmax": pl.Float64(),  # -Max, when sent
    "cou": pl.Float64(),  # -Cou cumulative amount (e.g. discharged volume), when sent
    "zs": pl.Float64(),  # -ZsRtd / -ZsAvg O2-converted concentration (折算浓度), flue gas, when sent
    "flag": pl.Utf8(),  # DataFlag value; "N" when the packet gave none
}
"""Column names and types of every readings frame (store reads, importer, simulator, screening)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One stored value. ``time`` must be timezone-aware."""

    mn: str
    code: str
    kind: DataKind
    time: dt.datetime
    value: float | None
    flag: str = DataFlag.NORMAL.value
    source: Source = Source.PLATFORM
    vmin: float | None = None
    vmax: float | None = None
    cou: float | None = None
    zs: float | None = None


def readings_frame(readings: list[Reading]) -> pl.DataFrame:
    """Build a frame in READING_SCHEMA from Reading objects."""
    return pl.DataFrame(
        {
            "mn": [r.mn for r in readings],
            "code": [r.code for r in readings],
            "kind": [r.kind.value for r in readings],
            "time": [r.time.astimezone(dt.UTC) for r in readings],
            "source": [r.source.value for r in readings],
            "value": [r.value for r in readings],
            "vmin": [r.vmin for r in readings],
            "vmax": [r.vmax for r in readings],
            "cou": [r.cou for r in readings],
            "zs": [r.zs for r in readings],
            "flag": [r.flag for r in readings],
        },
        schema=READING_SCHEMA,
    )


def empty_readings_frame() -> pl.DataFrame:
    """A frame with READING_SCHEMA and no rows."""
    return pl.DataFrame(schema=READING_SCHEMA)


ReadingRow = tuple[
    str, str, str, int, str, float | None, float | None, float | None, float | None, float | None, str
]
"""One reading as a plain tuple in READING_SCHEMA column order, with ``time`` as microseconds since
1970-01-01 UTC: the ingest writer's batch format (no frame is built for a batch on its way to the store)."""


def reading_rows_frame(rows: Sequence[ReadingRow]) -> pl.DataFrame:
    """Build a frame in READING_SCHEMA from reading rows."""
    columns: list[Sequence[object]] = list(zip(*rows, strict=True)) if rows else [() for _ in READING_SCHEMA]
    frame = pl.DataFrame(
        {
            name: pl.Series(name, column, dtype=pl.Int64 if name == "time" else dtype)
            for (name, dtype), column in zip(READING_SCHEMA.items(), columns, strict=True)
        }
    )
    return frame.with_columns(pl.col("time").cast(READING_SCHEMA["time"]))
