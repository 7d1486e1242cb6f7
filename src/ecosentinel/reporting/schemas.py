"""Pydantic shapes of the reporting API. ``ReportRead`` never carries the reporter's contact; ``ContactRead``
is answered only to ``complaints.identity``."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from ecosentinel.enforcement.models import as_utc
from ecosentinel.reporting import messages as msg
from ecosentinel.reporting.models import PublicReport
from ecosentinel.reporting.service import PublicView


class Filed(BaseModel):
    code: str
    status: str


class PublicStepRead(BaseModel):
    at: dt.datetime
    text: str


class PublicViewRead(BaseModel):
    code: str
    received_at: dt.datetime
    channel: str
    category: str
    subject: str
    status: str
    reply: str | None
    replied_at: dt.datetime | None
    steps: list[PublicStepRead]

    @classmethod
    def of(cls, view: PublicView) -> PublicViewRead:
        return cls(
            code=view.code,
            received_at=view.received_at,
            channel=view.channel,
            category=view.category,
            subject=view.subject,
            status=view.status,
            reply=view.reply,
            replied_at=view.replied_at,
            steps=[PublicStepRead(at=s.at, text=s.text) for s in view.steps],
        )


class FileRead(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class LinkRead(BaseModel):
    warning_id: int
    matched_findings: int
    colour_before: str
    colour_after: str
    linked_by: str


class ReportRead(BaseModel):
    id: int
    code: str
    channel: str
    channel_zh: str
    hotline_ticket: str | None
    category: str
    enterprise_id: int | None
    point_id: int | None
    subject_text: str
    description: str
    observed_at: dt.datetime
    has_contact: bool
    status: str
    status_zh: str
    merged_into_id: int | None
    task_id: int | None
    ledger_problem_id: int | None
    outcome: str | None
    reply: str | None
    created_by: str
    created_at: dt.datetime
    files: list[FileRead]
    links: list[LinkRead]

    @classmethod
    def of(cls, r: PublicReport) -> ReportRead:
        return cls(
            id=r.id,
            code=r.code,
            channel=r.channel,
            channel_zh=msg.CHANNEL_ZH[r.channel],
            hotline_ticket=r.hotline_ticket,
            category=r.category,
            enterprise_id=r.enterprise_id,
            point_id=r.point_id,
            subject_text=r.subject_text,
            description=r.description,
            observed_at=as_utc(r.observed_at),
            has_contact=r.contact_name is not None or r.contact_phone is not None,
            status=r.status,
            status_zh=msg.STATUS_ZH[r.status],
            merged_into_id=r.merged_into_id,
            task_id=r.task_id,
            ledger_problem_id=r.ledger_problem_id,
            outcome=r.outcome,
            reply=r.reply,
            created_by=r.created_by,
            created_at=as_utc(r.created_at),
            files=[
                FileRead(
                    id=f.id, filename=f.filename, content_type=f.content_type, size=f.size, sha256=f.sha256
                )
                for f in r.files
            ],
            links=[
                LinkRead(
                    warning_id=x.warning_id,
                    matched_findings=x.matched_findings,
                    colour_before=x.colour_before,
                    colour_after=x.colour_after,
                    linked_by=x.linked_by,
                )
                for x in r.links
            ],
        )


class ContactRead(BaseModel):
    name: str | None
    phone: str | None


class MergeIn(BaseModel):
    into: str = Field(description="id or tracking code of the report this one repeats")


class LinkIn(BaseModel):
    warning_id: int


class TaskIn(BaseModel):
    assignees: list[int] = Field(default_factory=list)
    deadline: dt.datetime | None = None


class ReplyIn(BaseModel):
    reply: str


class CloseIn(BaseModel):
    outcome: str
    reply: str
    ledger_category: str | None = None


class EnterpriseIn(BaseModel):
    enterprise_id: int
