"""Pydantic schemas of O&M supervision: request bodies (``*In``) and responses (``*Read``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from ecosentinel.om.enums import FaultStatus, Grade, PartAction, RecordKind, ViolationKind


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive UTC; every response carries aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


Utc = Annotated[dt.datetime, AfterValidator(_utc)]
OptUtc = Annotated[dt.datetime | None, AfterValidator(_utc)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PointRef(_In):
    """A point by id or by MN (one of them)."""

    point_id: int | None = None
    mn: str | None = None


class RecordIn(PointRef):
    """An electronic maintenance record (电子运维记录), filed after a visit."""

    kind: RecordKind
    started_at: dt.datetime
    ended_at: dt.datetime
    staff_id: int | None = None  # the O&M staff member who did the work
    staff_name: Name | None = None  # when the person is not registered as staff
    description: Text = ""
    part_name: Name | None = None
    part_model: Name | None = None
    factor_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,16}$")] | None = None
    standard_value: float | None = None
    measured_value: float | None = None
    agency_id: int | None = None  # only for bureau staff filing on an agency's behalf


class RecordUpdate(_In):
    """Fields of a record that may be corrected afterwards (the change is audit-recorded)."""

    description: Text | None = None
    ended_at: dt.datetime | None = None
    part_name: Name | None = None
    part_model: Name | None = None
    standard_value: float | None = None
    measured_value: float | None = None


class RecordRead(_Read):
    id: int
    point_id: int
    mn: str
    agency_id: int | None
    staff_id: int | None
    staff_name: str
    kind: RecordKind
    started_at: Utc
    ended_at: Utc
    description: str
    part_name: str | None
    part_model: str | None
    factor_code: str | None
    standard_value: float | None
    measured_value: float | None
    created_at: Utc
    created_by: str
    updated_at: OptUtc
    timely: bool


class FaultIn(PointRef):
    occurred_at: dt.datetime
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    device: Name | None = None


class FaultRepairIn(_In):
    repaired_at: dt.datetime
    repair_note: Text = ""
    record_id: int | None = None


class FaultRead(_Read):
    id: int
    point_id: int
    mn: str
    agency_id: int | None
    device: str | None
    occurred_at: Utc
    description: str
    status: FaultStatus
    repaired_at: OptUtc
    repair_note: str | None
    record_id: int | None
    created_at: Utc
    created_by: str


class SparePartIn(PointRef):
    part_name: Name
    part_model: Name | None = None
    quantity: int = Field(gt=0, le=10_000)
    action: PartAction
    at: dt.datetime
    record_id: int | None = None
    note: Text | None = None


class SparePartRead(_Read):
    id: int
    point_id: int
    mn: str
    agency_id: int | None
    part_name: str
    part_model: str | None
    quantity: int
    action: PartAction
    at: Utc
    record_id: int | None
    note: str | None
    created_at: Utc
    created_by: str


class ViolationIn(_In):
    """A confirmed violation of an agency; ``falsification`` vetoes its quarter (一票否决)."""

    agency_id: int
    kind: ViolationKind
    confirmed_at: dt.datetime
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    staff_id: int | None = None
    point_id: int | None = None
    reference: Name | None = None


class ViolationRead(_Read):
    id: int
    agency_id: int
    staff_id: int | None
    point_id: int | None
    kind: ViolationKind
    confirmed_at: Utc
    description: str
    reference: str | None
    created_at: Utc
    created_by: str


class AssessmentRead(_Read):
    """An agency's quarterly assessment with every input behind the score."""

    id: int
    agency_id: int
    agency_name: str
    quarter: str
    points: int
    expected_hours: int
    received_hours: int
    valid_hours: int
    records: int
    timely_records: int
    comparison_tests: int
    comparison_passed: int
    findings: int
    transmission_rate: float | None
    valid_rate: float | None
    timeliness_rate: float | None
    comparison_rate: float | None
    score: float
    grade: Grade
    veto: bool
    veto_reason: str | None
    rank: int | None
    published: bool
    published_at: OptUtc
    computed_at: Utc
    computed_by: str


class RankingRow(BaseModel):
    """One line of the published ranking (公开排名): no internal detail."""

    rank: int | None
    agency_name: str
    score: float
    grade: Grade
    veto: bool


class Ranking(BaseModel):
    quarter: str | None
    published_at: OptUtc = None
    results: list[RankingRow]
