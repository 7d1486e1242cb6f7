"""Pydantic schemas of the screening API (apart from the ORM models)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ecosentinel.screening.models import (
    EnterpriseDayScore,
    PointDayScore,
    ScreeningFinding,
    ScreeningRun,
)
from ecosentinel.screening.service import utc

T = TypeVar("T")


class Meta(BaseModel):
    count: int
    limit: int | None = None
    offset: int | None = None


class Page(BaseModel, Generic[T]):
    """The envelope of every list response."""

    meta: Meta
    results: list[T]


class FindingOut(BaseModel):
    """A finding in lists (no evidence; fetch the detail for it, which is audit-recorded)."""

    id: int
    mn: str
    enterprise_id: int | None
    rule: str
    factors: list[str]
    start: dt.datetime
    end: dt.datetime
    severity: str
    score: float
    title_zh: str
    first_run_id: int | None
    run_id: int | None

    @classmethod
    def of(cls, row: ScreeningFinding) -> FindingOut:
        return cls(
            id=row.id,
            mn=row.mn,
            enterprise_id=row.enterprise_id,
            rule=row.rule,
            factors=list(row.factors),
            start=utc(row.start),
            end=utc(row.end),
            severity=row.severity,
            score=row.score,
            title_zh=row.title_zh,
            first_run_id=row.first_run_id,
            run_id=row.run_id,
        )


class FindingDetail(FindingOut):
    """A finding with its evidence and Chinese explanation."""

    explanation_zh: str
    evidence: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def detail(cls, row: ScreeningFinding) -> FindingDetail:
        base = FindingOut.of(row).model_dump()
        return cls(
            **base,
            explanation_zh=row.explanation_zh,
            evidence=json.loads(row.evidence),
            created_at=utc(row.created_at),
            updated_at=utc(row.updated_at),
        )


class PointDayScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mn: str
    enterprise_id: int | None
    day: dt.date
    score: float
    colour: str
    n_findings: int
    rules: str  # "a,b": this response has always given the rules comma-separated (the column is a list)
    run_id: int | None

    @field_validator("rules", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        return ",".join(value) if isinstance(value, list) else value


class EnterpriseDayScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    enterprise_id: int
    day: dt.date
    score: float
    colour: str
    n_findings: int
    points: int
    run_id: int | None


class RunOut(BaseModel):
    id: int
    mode: str
    triggered_by: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    window_start: dt.datetime | None
    window_end: dt.datetime | None
    points: int
    points_done: int
    readings: int
    findings: int
    new_findings: int
    error: str | None

    @classmethod
    def of(cls, run: ScreeningRun) -> RunOut:
        def opt(t: dt.datetime | None) -> dt.datetime | None:
            return None if t is None else utc(t)

        return cls(
            id=run.id,
            mode=run.mode,
            triggered_by=run.triggered_by,
            status=run.status,
            started_at=utc(run.started_at),
            finished_at=opt(run.finished_at),
            window_start=opt(run.window_start),
            window_end=opt(run.window_end),
            points=run.points,
            points_done=run.points_done,
            readings=run.readings,
            findings=run.findings,
            new_findings=run.new_findings,
            error=run.error,
        )


class RunRequest(BaseModel):
    """Start a screening pass; omitted window = the last 24 h of data, omitted points = all."""

    model_config = ConfigDict(extra="forbid")

    start: dt.datetime | None = None
    end: dt.datetime | None = None
    points: list[str] | None = Field(default=None, max_length=5000)
    workers: int = Field(default=1, ge=1, le=16)


class RunStarted(BaseModel):
    run_id: int
    status_url: str


def score_page(rows: list[PointDayScore]) -> Page[PointDayScoreOut]:
    return Page[PointDayScoreOut](
        meta=Meta(count=len(rows)), results=[PointDayScoreOut.model_validate(r) for r in rows]
    )


def enterprise_score_page(rows: list[EnterpriseDayScore]) -> Page[EnterpriseDayScoreOut]:
    return Page[EnterpriseDayScoreOut](
        meta=Meta(count=len(rows)), results=[EnterpriseDayScoreOut.model_validate(r) for r in rows]
    )
