"""What a rule knows about a monitoring point besides its readings: limits, ranges, events, O&M.

``PointContext`` is a frozen, picklable value: the same object travels to a process pool or a Spark
worker. Event-like inputs are polars frames with fixed schemas (``*_SCHEMA`` below); absent inputs are
empty frames, never ``None``, so rules need no special cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import polars as pl

from ecosentinel.detection.profile import PointProfile
from ecosentinel.errors import ValidationError


class PointType(StrEnum):
    """Monitoring point type: wastewater (废水) or flue gas (废气)."""

    WATER = "water"
    GAS = "gas"


class EventType(StrEnum):
    """Station-room door (门禁) and camera (视频) events."""

    DOOR_OPEN = "door_open"
    DOOR_CLOSE = "door_close"
    CAMERA_OFFLINE = "camera_offline"
    CAMERA_ONLINE = "camera_online"
    CAMERA_MOVED = "camera_moved"
    VIDEO_LOST = "video_lost"


class OMKind(StrEnum):
    """Kinds of O&M (运维) records."""

    CALIBRATION = "calibration"
    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    CLEANING = "cleaning"


# Reserved reading codes of working-condition (工况) series on the point's own MN.
WC_PRODUCTION = "wc_prod_kw"
"""Production-facility electric power, kW."""
WC_TREATMENT = "wc_treat_kw"
"""Treatment-facility electric power, kW."""

O2_CODE = "a19001"
WATER_FLOW = "w00000"
GAS_FLOW = "a00000"
FLOW_CODES = frozenset({WATER_FLOW, GAS_FLOW})

# Codes that are never pollutant concentrations: flue-gas state, water physical parameters, flow.
AUXILIARY_CODES = frozenset(
    {
        O2_CODE,
        "a01011",  # velocity
        "a01012",  # flue-gas temperature
        "a01013",  # pressure
        "a01014",  # humidity
        "a01017",  # duct area / dynamic pressure
        "w01010",  # water temperature
        "w01014",  # conductivity
    }
)
# Concentration factors we know even when the context gives no limit for them.
KNOWN_POLLUTANTS = frozenset(
    {
        "w01018",  # COD
        "w21003",  # NH3-N
        "w21011",  # TP
        "w21001",  # TN
        "w01001",  # pH (has a limit band 6-9)
        "a21026",  # SO2
        "a21002",  # NOx
        "a21003",  # NO
        "a21004",  # NO2
        "a21005",  # CO
        "a34013",  # particulates
        "a24088",  # non-methane hydrocarbons
    }
)

_UTC = pl.Datetime("us", "UTC")
PARAMETER_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "time": _UTC,
    "pol_id": pl.Utf8(),
    "info_id": pl.Utf8(),
    "value": pl.Utf8(),
}
"""CN 3020 parameter uploads (动态管控); filed parameters use the same columns (time = filing date)."""
EVENT_SCHEMA: dict[str, pl.DataType] = {"mn": pl.Utf8(), "time": _UTC, "type": pl.Utf8()}
"""Door and camera events; ``type`` is an EventType value."""
OM_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "start": _UTC,
    "end": _UTC,
    "kind": pl.Utf8(),
    "person": pl.Utf8(),
}
"""O&M records (电子运维记录); ``kind`` is an OMKind value."""
WINDOW_SCHEMA: dict[str, pl.DataType] = {"mn": pl.Utf8(), "start": _UTC, "end": _UTC}
STANDARD_CHECK_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "time": _UTC,
    "factor": pl.Utf8(),
    "standard_value": pl.Float64(),
    "measured_value": pl.Float64(),
    "source": pl.Utf8(),
}
"""Standard-sample checks (标样核查) of the point's analysers: the standard's concentration and what the
analyser measured (dynamic-control uploads or O&M records)."""
"""Declared maintenance windows (报备的维护时段)."""
MARK_SCHEMA: dict[str, pl.DataType] = {
    "mn": pl.Utf8(),
    "start": _UTC,
    "end": _UTC,
    "kind": pl.Utf8(),
    "factor": pl.Utf8(),
}
"""Approved data marks (数据标记, 《污染物排放自动监测设备标记规则》): ``kind`` is the mark's kind (fault,
maintenance, calibration, stop …); ``factor`` the marked factor code, null when the whole point is marked."""


def _empty(schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=dict(schema))


def _check_frame(frame: pl.DataFrame, schema: Mapping[str, pl.DataType], name: str) -> pl.DataFrame:
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise ValidationError(f"缺少列：{', '.join(missing)}", location=f"PointContext.{name}")
    try:
        return frame.select([pl.col(c).cast(t) for c, t in schema.items()])
    except pl.exceptions.PolarsError as exc:
        raise ValidationError(f"列类型不符：{exc}", location=f"PointContext.{name}") from exc


@dataclass(frozen=True, slots=True)
class FactorSpec:
    """What is known about one factor at one point (from the permit and the device filing).

    ``limit`` is the emission limit (排放限值) in the reported unit; ``limit_low`` the lower bound where
    the limit is a band (pH 6-9). ``range_low``/``range_high`` are the analyser's filed range (量程);
    ``detection_limit`` its method detection limit (检出限); ``cycles_per_hour`` the analyser's
    scheduled measuring cycles per hour (water analysers, e.g. 1 for COD).
    """

    limit: float | None = None
    limit_low: float | None = None
    range_low: float | None = None
    range_high: float | None = None
    detection_limit: float | None = None
    cycles_per_hour: float | None = None
    unit: str | None = None

    @property
    def span(self) -> float | None:
        """Width of the filed range, when known."""
        if self.range_high is None:
            return None
        return self.range_high - (self.range_low or 0.0)


@dataclass(frozen=True, slots=True)
class PointContext:
    """Everything about one monitoring point that screening needs besides its readings."""

    mn: str
    point_type: PointType
    enterprise_id: str | None = None
    industry: str | None = None
    factors: Mapping[str, FactorSpec] = field(default_factory=dict)
    ref_o2: float | None = None
    """Reference O2 (基准氧含量, %) for the O2-converted concentration; flue gas only."""
    filed_parameters: pl.DataFrame = field(default_factory=lambda: _empty(PARAMETER_SCHEMA))
    parameter_uploads: pl.DataFrame = field(default_factory=lambda: _empty(PARAMETER_SCHEMA))
    events: pl.DataFrame = field(default_factory=lambda: _empty(EVENT_SCHEMA))
    om_records: pl.DataFrame = field(default_factory=lambda: _empty(OM_SCHEMA))
    maintenance_windows: pl.DataFrame = field(default_factory=lambda: _empty(WINDOW_SCHEMA))
    standard_checks: pl.DataFrame = field(default_factory=lambda: _empty(STANDARD_CHECK_SCHEMA))
    data_marks: pl.DataFrame = field(default_factory=lambda: _empty(MARK_SCHEMA))
    """Approved data marks only (a submitted or rejected mark excuses nothing)."""
    profile: PointProfile | None = None
    """Per-point calibration from the point's own history (``calibration.build_profile``); rules fall
    back to their constants when it is None."""
    yellow_capped_rules: frozenset[str] = frozenset()
    """Rules whose findings may raise yellow at most at this point: a reviewed and approved adjustment
    (``screening.adjustments``, kind cap_yellow) after their warnings here were repeatedly refuted."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "point_type", PointType(self.point_type))
        object.__setattr__(self, "factors", dict(self.factors))
        for name, schema in (
            ("filed_parameters", PARAMETER_SCHEMA),
            ("parameter_uploads", PARAMETER_SCHEMA),
            ("events", EVENT_SCHEMA),
            ("om_records", OM_SCHEMA),
            ("maintenance_windows", WINDOW_SCHEMA),
            ("standard_checks", STANDARD_CHECK_SCHEMA),
            ("data_marks", MARK_SCHEMA),
        ):
            frame = _check_frame(getattr(self, name), schema, name)
            if "mn" in frame.columns and frame.height:
                frame = frame.filter(pl.col("mn") == self.mn)
            object.__setattr__(self, name, frame)

    def factor(self, code: str) -> FactorSpec:
        """The spec of a factor; an empty spec when the context does not know it."""
        return self.factors.get(code, FactorSpec())

    def om_overlapping(self, start: dt.datetime, end: dt.datetime, slack: dt.timedelta) -> pl.DataFrame:
        """O&M records that overlap [start - slack, end + slack]."""
        return self.om_records.filter((pl.col("start") <= end + slack) & (pl.col("end") >= start - slack))

    def in_maintenance_window(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether [start, end] overlaps a declared maintenance window."""
        hits = self.maintenance_windows.filter((pl.col("start") <= end) & (pl.col("end") >= start))
        return hits.height > 0

    def in_data_mark(self, start: dt.datetime, end: dt.datetime, factors: Iterable[str] = ()) -> bool:
        """Whether [start, end) overlaps an approved data mark of the whole point or of one of ``factors``.

        Marks are half-open like the hours they cover: a mark ending at 10:00 does not cover a finding that
        starts at 10:00 (a declared window, closed, would).
        """
        if self.data_marks.height == 0:
            return False
        codes = list(factors)
        begins = pl.col("start") <= end if start == end else pl.col("start") < end  # an instant: closed
        hits = self.data_marks.filter(
            begins & (pl.col("end") > start) & (pl.col("factor").is_null() | pl.col("factor").is_in(codes))
        )
        return hits.height > 0

    def excused(self, start: dt.datetime, end: dt.datetime, factors: Iterable[str] = ()) -> bool:
        """Inside a declared maintenance window or an approved data mark (rules skip such periods)."""
        return self.in_maintenance_window(start, end) or self.in_data_mark(start, end, factors)

    def events_near(
        self, start: dt.datetime, end: dt.datetime, slack: dt.timedelta, types: frozenset[str]
    ) -> pl.DataFrame:
        """Door/camera events of the given types within [start - slack, end + slack]."""
        return self.events.filter(
            pl.col("time").is_between(start - slack, end + slack) & pl.col("type").is_in(list(types))
        )
