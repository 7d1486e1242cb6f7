"""JSON API of the enforcement workflow (prefix ``/api/enforcement``): warnings and patrol reports, tasks,
on-site inspections with attachments, cases with extracts, penalties, transfers and the PDF evidence pack.

Routes are thin: each declares its permission and calls the services; domain errors map to HTTP in
``server.app``. Police (cases.read only) see transferred cases and nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.config import get_settings
from ecosentinel.enforcement import cases as case_service
from ecosentinel.enforcement import evidence as evidence_service
from ecosentinel.enforcement import inspections as inspection_service
from ecosentinel.enforcement import messages
from ecosentinel.enforcement import tasks as task_service
from ecosentinel.enforcement import warnings as warning_service
from ecosentinel.enforcement.models import (
    Attachment,
    Case,
    DataExtract,
    EnforcementWarning,
    Inspection,
    PatrolReport,
    Penalty,
    Task,
    Transfer,
    WarningOutcome,
    as_utc,
)
from ecosentinel.web.deps import client_ip, current_principal, get_db, require, store_of

api = APIRouter(prefix="/api/enforcement", tags=["enforcement"])

Db = Annotated[Session, Depends(get_db, scope="function")]


def data_dir(request: Request) -> Path:
    """The installation's data directory (``app.state.settings`` when the app carries one)."""
    settings = getattr(request.app.state, "settings", None) or get_settings()
    return Path(settings.data_dir)


DataDir = Annotated[Path, Depends(data_dir)]


def _t(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else as_utc(value)


# ---------------------------------------------------------------------------------------------- schemas


class Page(BaseModel):
    total: int
    results: list[Any]


class FindingOut(BaseModel):
    finding_id: str
    rule: str
    factors: list[str]
    start: dt.datetime
    end: dt.datetime
    severity: str
    score: float
    explanation_zh: str
    evidence: dict[str, Any]


class OutcomeOut(BaseModel):
    """What became of a warning: confirmed / refuted on site, or dismissed with a reason category."""

    result: str
    result_zh: str
    category: str | None
    category_zh: str | None
    reason: str
    step: str
    step_zh: str
    inspection_id: int | None
    recorded_by: str
    recorded_at: dt.datetime


def outcome_out(o: WarningOutcome | None) -> OutcomeOut | None:
    if o is None:
        return None
    return OutcomeOut(
        result=o.result,
        result_zh=messages.OUTCOME_RESULT_NAMES.get(o.result, o.result),
        category=o.category,
        category_zh=messages.DISMISS_CATEGORY_NAMES.get(o.category) if o.category else None,
        reason=o.reason,
        step=o.step,
        step_zh=messages.OUTCOME_STEP_NAMES.get(o.step, o.step),
        inspection_id=o.inspection_id,
        recorded_by=o.recorded_by,
        recorded_at=as_utc(o.recorded_at),
    )


class WarningOut(BaseModel):
    id: int
    mn: str
    point_id: int | None
    enterprise_id: int | None
    colour: str
    colour_zh: str
    score: float
    period_start: dt.datetime
    period_end: dt.datetime
    rules: list[str]
    summary_zh: str
    basis_zh: str  # which evidence set the colour (evidence fusion)
    status: str
    status_zh: str
    dismiss_reason: str | None
    reviewed_by: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    n_findings: int
    outcome: OutcomeOut | None = None
    findings: list[FindingOut] | None = None


def warning_out(w: EnforcementWarning, *, with_findings: bool = False) -> WarningOut:
    return WarningOut(
        id=w.id,
        mn=w.mn,
        point_id=w.point_id,
        enterprise_id=w.enterprise_id,
        colour=w.colour,
        colour_zh=messages.COLOUR_NAMES.get(w.colour, w.colour),
        score=w.score,
        period_start=as_utc(w.period_start),
        period_end=as_utc(w.period_end),
        rules=list(w.rules),
        summary_zh=w.summary_zh,
        basis_zh=w.basis_zh or "",
        status=w.status,
        status_zh=messages.WARNING_STATUS_NAMES[w.status],
        dismiss_reason=w.dismiss_reason,
        reviewed_by=w.reviewed_by,
        created_at=as_utc(w.created_at),
        updated_at=as_utc(w.updated_at),
        n_findings=len(w.findings),
        outcome=outcome_out(w.outcome),
        findings=[
            FindingOut(
                finding_id=f.finding_id,
                rule=f.rule,
                factors=list(f.factors),
                start=as_utc(f.start),
                end=as_utc(f.end),
                severity=f.severity,
                score=f.score,
                explanation_zh=f.explanation_zh,
                evidence=json.loads(f.evidence or "{}"),
            )
            for f in w.findings
        ]
        if with_findings
        else None,
    )


class SyncIn(BaseModel):
    days: int | None = Field(31, ge=1, description="Point-days of the last N days (None = all)")
    min_colour: str = "green"


class SyncOut(BaseModel):
    created: int
    merged: int
    unchanged: int
    warning_ids: list[int]


class NoteIn(BaseModel):
    note: str | None = None


class DismissIn(BaseModel):
    reason: str = ""
    category: str | None = Field(
        None,
        description="false_alarm | maintenance | equipment_fault | production_change | weather | duplicate | "
        "other (or the Chinese name); required",
    )


class EscalateIn(BaseModel):
    title: str | None = None
    description: str = ""
    deadline: dt.datetime | None = None
    assignees: list[int] = Field(default_factory=list)


class PatrolOut(BaseModel):
    id: int
    since: dt.datetime | None
    cutoff: dt.datetime
    created_by: str
    n_new: int
    n_red: int
    n_yellow: int
    n_green: int
    warning_ids: dict[str, list[int]]
    text_zh: str


def patrol_out(r: PatrolReport) -> PatrolOut:
    return PatrolOut(
        id=r.id,
        since=_t(r.since),
        cutoff=as_utc(r.cutoff),
        created_by=r.created_by,
        n_new=r.n_new,
        n_red=r.n_red,
        n_yellow=r.n_yellow,
        n_green=r.n_green,
        warning_ids=json.loads(r.warning_ids),
        text_zh=r.text_zh,
    )


class HistoryOut(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    action_zh: str
    from_status: str | None
    to_status: str
    note: str | None


class TaskOut(BaseModel):
    id: int
    title: str
    source: str
    source_zh: str
    source_ref: str | None
    warning_id: int | None
    enterprise_id: int | None
    point_id: int | None
    description: str
    status: str
    status_zh: str
    deadline: dt.datetime | None
    overdue: bool
    result_zh: str | None
    assignees: list[int]
    team: list[str]
    created_by: str
    created_at: dt.datetime
    history: list[HistoryOut] | None = None


def task_out(session: Session, t: Task, *, with_history: bool = False) -> TaskOut:
    deadline = _t(t.deadline)
    return TaskOut(
        id=t.id,
        title=t.title,
        source=t.source,
        source_zh=messages.TASK_SOURCE_NAMES[t.source],
        source_ref=t.source_ref,
        warning_id=t.warning_id,
        enterprise_id=t.enterprise_id,
        point_id=t.point_id,
        description=t.description,
        status=t.status,
        status_zh=messages.TASK_STATUS_NAMES[t.status],
        deadline=deadline,
        overdue=deadline is not None
        and deadline < dt.datetime.now(dt.UTC)
        and t.status not in ("completed", "cancelled"),
        result_zh=t.result_zh,
        assignees=[m.user_id for m in t.members],
        team=task_service.team_names(session, t),
        created_by=t.created_by,
        created_at=as_utc(t.created_at),
        history=[
            HistoryOut(
                at=as_utc(h.at),
                actor=h.actor,
                action=h.action,
                action_zh=messages.TASK_ACTION_NAMES.get(h.action, h.action),
                from_status=h.from_status,
                to_status=h.to_status,
                note=h.note,
            )
            for h in t.history
        ]
        if with_history
        else None,
    )


class TaskIn(BaseModel):
    source: str
    title: str | None = None
    description: str = ""
    source_ref: str | None = None
    warning_id: int | None = None
    enterprise_id: int | None = None
    point_id: int | None = None
    deadline: dt.datetime | None = None
    assignees: list[int] = Field(default_factory=list)


class TaskActionIn(BaseModel):
    assignees: list[int] | None = None
    deadline: dt.datetime | None = None
    note: str | None = None


class OfficerOut(BaseModel):
    id: int
    username: str
    display_name: str


class AttachmentOut(BaseModel):
    id: int
    item_no: int | None
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: dt.datetime


def attachment_out(a: Attachment) -> AttachmentOut:
    return AttachmentOut(
        id=a.id,
        item_no=a.item_no,
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        sha256=a.sha256,
        uploaded_by=a.uploaded_by,
        uploaded_at=as_utc(a.uploaded_at),
    )


class InspectionOut(BaseModel):
    id: int
    task_id: int | None
    enterprise_id: int | None
    point_id: int | None
    status: str
    status_zh: str
    inspected_at: dt.datetime | None
    inspectors: str
    conclusion: str | None
    submitted_by: str | None
    submitted_at: dt.datetime | None
    items: list[dict[str, Any]]
    evidence: list[dict[str, Any]]
    attachments: list[AttachmentOut]


def inspection_out(i: Inspection) -> InspectionOut:
    return InspectionOut(
        id=i.id,
        task_id=i.task_id,
        enterprise_id=i.enterprise_id,
        point_id=i.point_id,
        status=i.status,
        status_zh=messages.INSPECTION_STATUS_NAMES[i.status],
        inspected_at=_t(i.inspected_at),
        inspectors=i.inspectors,
        conclusion=i.conclusion,
        submitted_by=i.submitted_by,
        submitted_at=_t(i.submitted_at),
        items=inspection_service.checklist_view(i),
        evidence=json.loads(i.prefill or "[]"),
        attachments=[attachment_out(a) for a in i.attachments],
    )


class InspectionIn(BaseModel):
    task_id: int | None = None
    enterprise_id: int | None = None
    point_id: int | None = None
    inspectors: str | None = None


class ItemIn(BaseModel):
    item_no: int
    result: str | None = None
    notes: str | None = None


class InspectionUpdateIn(BaseModel):
    items: list[ItemIn] = Field(default_factory=list)
    inspected_at: dt.datetime | None = None
    inspectors: str | None = None
    conclusion: str | None = None


class ExtractOut(BaseModel):
    id: int
    mn: str
    codes: list[str]
    kind: str
    start: dt.datetime
    end: dt.datetime
    finding_id: str | None
    rows: int
    sha256: str


def extract_out(e: DataExtract) -> ExtractOut:
    return ExtractOut(
        id=e.id,
        mn=e.mn,
        codes=list(e.codes),
        kind=e.kind,
        start=as_utc(e.start),
        end=as_utc(e.end),
        finding_id=e.finding_id,
        rows=e.rows,
        sha256=e.sha256,
    )


class PenaltyOut(BaseModel):
    id: int
    amount_wan: Decimal
    legal_basis: str
    decision_no: str | None
    decided_at: dt.date | None
    ledger_entry_id: int | None


def penalty_out(p: Penalty) -> PenaltyOut:
    return PenaltyOut(
        id=p.id,
        amount_wan=p.amount_wan,
        legal_basis=p.legal_basis,
        decision_no=p.decision_no,
        decided_at=p.decided_at,
        ledger_entry_id=p.ledger_entry_id,
    )


class TransferOut(BaseModel):
    id: int
    recipient: str
    recipient_org: str
    kind: str
    kind_zh: str
    letter_no: str
    letter_text: str
    investigation_report: str
    site_record: str
    items: list[str]
    cc_procuratorate: bool
    transferred_by: str
    transferred_at: dt.datetime
    reply: str | None
    reply_at: dt.datetime | None


def transfer_out(t: Transfer) -> TransferOut:
    return TransferOut(
        id=t.id,
        recipient=t.recipient,
        recipient_org=t.recipient_org,
        kind=t.kind,
        kind_zh=messages.TRANSFER_KIND_NAMES[t.kind],
        letter_no=t.letter_no,
        letter_text=t.letter_text,
        investigation_report=t.investigation_report,
        site_record=t.site_record,
        items=json.loads(t.items_list or "[]"),
        cc_procuratorate=t.cc_procuratorate,
        transferred_by=t.transferred_by,
        transferred_at=as_utc(t.transferred_at),
        reply=t.reply,
        reply_at=_t(t.reply_at),
    )


class PackOut(BaseModel):
    id: int
    sha256: str
    size: int
    created_by: str
    created_at: dt.datetime


class CaseOut(BaseModel):
    id: int
    number: str
    title: str
    enterprise_id: int | None
    task_id: int | None
    status: str
    status_zh: str
    facts_zh: str
    created_by: str
    created_at: dt.datetime
    warning_ids: list[int]
    inspection_ids: list[int]
    extracts: list[ExtractOut] | None = None
    penalties: list[PenaltyOut] | None = None
    transfers: list[TransferOut] | None = None
    packs: list[PackOut] | None = None
    warnings: list[WarningOut] | None = None
    inspections: list[InspectionOut] | None = None


def case_out(c: Case, *, full: bool = False) -> CaseOut:
    out = CaseOut(
        id=c.id,
        number=c.number,
        title=c.title,
        enterprise_id=c.enterprise_id,
        task_id=c.task_id,
        status=c.status,
        status_zh=messages.CASE_STATUS_NAMES[c.status],
        facts_zh=c.facts_zh,
        created_by=c.created_by,
        created_at=as_utc(c.created_at),
        warning_ids=[w.id for w in c.warnings],
        inspection_ids=[i.id for i in c.inspections],
    )
    if full:
        out.extracts = [extract_out(e) for e in c.extracts]
        out.penalties = [penalty_out(p) for p in c.penalties]
        out.transfers = [transfer_out(t) for t in c.transfers]
        out.packs = [
            PackOut(
                id=p.id,
                sha256=p.sha256,
                size=p.size,
                created_by=p.created_by,
                created_at=as_utc(p.created_at),
            )
            for p in c.packs
        ]
        out.warnings = [warning_out(w, with_findings=True) for w in c.warnings]
        out.inspections = [inspection_out(i) for i in c.inspections]
    return out


class CaseIn(BaseModel):
    title: str
    facts_zh: str = ""
    enterprise_id: int | None = None
    task_id: int | None = None
    warning_ids: list[int] = Field(default_factory=list)
    inspection_ids: list[int] = Field(default_factory=list)


class LinkIn(BaseModel):
    warning_ids: list[int] = Field(default_factory=list)
    inspection_ids: list[int] = Field(default_factory=list)


class ExtractIn(BaseModel):
    mn: str
    start: dt.datetime
    end: dt.datetime
    codes: list[str] = Field(default_factory=list)
    kind: str | None = None


class PenaltyIn(BaseModel):
    amount_wan: Decimal
    legal_basis: str
    decision_no: str | None = None
    decided_at: dt.date | None = None
    ledger_entry_id: int | None = None


class TransferIn(BaseModel):
    recipient: str = "police"
    recipient_org: str
    kind: str = "criminal"
    letter_no: str
    letter_text: str
    investigation_report: str
    site_record: str
    items: list[str] = Field(default_factory=list)
    cc_procuratorate: bool = True


class ReplyIn(BaseModel):
    reply: str


# ---------------------------------------------------------------------------------------------- warnings


@api.get("/warnings")
def list_warnings(
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.WARNINGS_READ))],
    status: str | None = None,
    colour: str | None = None,
    mn: str | None = None,
    enterprise_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page:
    """Warnings (预警) the caller may see, newest period first."""
    rows, total = warning_service.list_warnings(
        db,
        principal,
        status=status,
        colour=colour,
        mn=mn,
        enterprise_id=enterprise_id,
        limit=limit,
        offset=offset,
    )
    return Page(total=total, results=[warning_out(w) for w in rows])


@api.post("/warnings/sync")
def sync_warnings(
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))],
    body: SyncIn | None = None,
) -> SyncOut:
    """Build warnings from the stored point-day scores (idempotent)."""
    body = body or SyncIn()
    result = warning_service.sync_warnings(db, actor=principal, days=body.days, min_colour=body.min_colour)
    return SyncOut(
        created=result.created,
        merged=result.merged,
        unchanged=result.unchanged,
        warning_ids=result.warning_ids,
    )


@api.get("/warnings/{warning_id}")
def get_warning(
    warning_id: int,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.WARNINGS_READ))],
) -> WarningOut:
    """One warning with its findings and their evidence (the view is audited)."""
    w = warning_service.get_warning(db, principal, warning_id, ip=client_ip(request), record_view=True)
    return warning_out(w, with_findings=True)


@api.post("/warnings/{warning_id}/review")
def review_warning(
    warning_id: int,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))],
    body: NoteIn | None = None,
) -> WarningOut:
    """Take a new warning under review (研判中)."""
    w = warning_service.review_warning(
        db, principal, warning_id, note=body.note if body else None, ip=client_ip(request)
    )
    return warning_out(w)


@api.post("/warnings/{warning_id}/dismiss")
def dismiss_warning(
    warning_id: int,
    body: DismissIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))],
) -> WarningOut:
    """Dismiss a warning; the reason category and the reason text are required (422 naming the field)."""
    w = warning_service.dismiss_warning(
        db, principal, warning_id, reason=body.reason, category=body.category, ip=client_ip(request)
    )
    return warning_out(w)


@api.post("/warnings/{warning_id}/escalate", status_code=201)
def escalate_warning(
    warning_id: int,
    body: EscalateIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))],
) -> TaskOut:
    """Escalate a warning to a task: pending without assignees, dispatched with them (tasks.dispatch)."""
    task = task_service.create_task(
        db,
        principal,
        source="warning",
        warning_id=warning_id,
        title=body.title,
        description=body.description,
        deadline=body.deadline,
        assignees=body.assignees,
        ip=client_ip(request),
    )
    return task_out(db, task, with_history=True)


@api.post("/patrol-reports", status_code=201)
def create_patrol_report(
    request: Request, db: Db, principal: Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))]
) -> PatrolOut:
    """Record a patrol report (平台巡查): what is new since the previous one."""
    return patrol_out(warning_service.create_patrol_report(db, principal, ip=client_ip(request)))


@api.get("/patrol-reports")
def list_patrol_reports(
    db: Db, principal: Annotated[Principal, Depends(require(Perm.WARNINGS_READ))]
) -> list[PatrolOut]:
    return [patrol_out(r) for r in warning_service.list_patrol_reports(db)]


@api.get("/patrol-reports/{report_id}")
def get_patrol_report(
    report_id: int, db: Db, principal: Annotated[Principal, Depends(require(Perm.WARNINGS_READ))]
) -> PatrolOut:
    return patrol_out(warning_service.get_patrol_report(db, report_id))


# ---------------------------------------------------------------------------------------------- tasks


@api.get("/officers")
def list_officers(
    db: Db, principal: Annotated[Principal, Depends(require(Perm.TASKS_DISPATCH))]
) -> list[OfficerOut]:
    """Officers a task can be assigned to."""
    return [
        OfficerOut(id=u.id, username=u.username, display_name=u.display_name)
        for u in task_service.officers(db)
    ]


@api.get("/tasks")
def list_tasks(
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.TASKS_READ))],
    status: str | None = None,
    source: str | None = None,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page:
    """Tasks, newest first; ``mine`` = those whose team includes the caller."""
    rows, total = task_service.list_tasks(
        db,
        status=status,
        source=source,
        assignee_id=principal.user_id if mine else None,
        limit=limit,
        offset=offset,
    )
    return Page(total=total, results=[task_out(db, t) for t in rows])


@api.post("/tasks", status_code=201)
def create_task(
    body: TaskIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.TASKS_DISPATCH))],
) -> TaskOut:
    """Create a task from a complaint (12369), a referral, a random draw or a warning."""
    task = task_service.create_task(db, principal, ip=client_ip(request), **body.model_dump())
    return task_out(db, task, with_history=True)


@api.get("/tasks/{task_id}")
def get_task(
    task_id: int, db: Db, principal: Annotated[Principal, Depends(require(Perm.TASKS_READ))]
) -> TaskOut:
    """One task with its full history."""
    return task_out(db, task_service.get_task(db, task_id), with_history=True)


def _task_action(action: str) -> Any:
    # The permission is declared on the route (add_api_route below): annotations here are resolved from
    # module globals, so the closure cannot name it in a Depends.
    def route(
        task_id: int,
        request: Request,
        db: Db,
        principal: Annotated[Principal, Depends(current_principal)],
        body: TaskActionIn | None = None,
    ) -> TaskOut:
        body = body or TaskActionIn()
        task = task_service.change_task(
            db,
            principal,
            task_id,
            action,
            assignees=body.assignees,
            deadline=body.deadline,
            note=body.note,
            ip=client_ip(request),
        )
        return task_out(db, task, with_history=True)

    route.__name__ = f"task_{action}"
    route.__doc__ = f"Task action: {messages.TASK_ACTION_NAMES[action]}."
    return route


for _action, _move in task_service.MOVES.items():
    api.add_api_route(
        f"/tasks/{{task_id}}/{_action}",
        _task_action(_action),
        methods=["POST"],
        dependencies=[Depends(require(_move.perm))],
    )


# ---------------------------------------------------------------------------------------------- inspections


@api.get("/checklist")
def checklist(principal: Annotated[Principal, Depends(require(Perm.TASKS_READ))]) -> list[dict[str, Any]]:
    """The 10 on-site checklist items of seed 000."""
    return [{"item_no": c.no, "title": c.title, "text": c.text} for c in messages.CHECKLIST]


@api.post("/inspections", status_code=201)
def create_inspection(
    body: InspectionIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.INSPECTIONS_WRITE))],
) -> InspectionOut:
    """Open an inspection record, pre-filled with the screening evidence for the point."""
    inspection = inspection_service.create_inspection(
        db, principal, ip=client_ip(request), **body.model_dump()
    )
    return inspection_out(inspection)


@api.get("/inspections")
def list_inspections(
    db: Db, principal: Annotated[Principal, Depends(require(Perm.TASKS_READ))], task_id: int | None = None
) -> list[InspectionOut]:
    return [inspection_out(i) for i in inspection_service.list_inspections(db, task_id=task_id)]


@api.get("/inspections/{inspection_id}")
def get_inspection(
    inspection_id: int, db: Db, principal: Annotated[Principal, Depends(require(Perm.TASKS_READ))]
) -> InspectionOut:
    return inspection_out(inspection_service.get_inspection(db, inspection_id))


@api.put("/inspections/{inspection_id}")
def update_inspection(
    inspection_id: int,
    body: InspectionUpdateIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.INSPECTIONS_WRITE))],
) -> InspectionOut:
    """Fill in checklist items (conform / nonconform / na, notes) and the header of a draft."""
    inspection = inspection_service.update_inspection(
        db,
        principal,
        inspection_id,
        items=[inspection_service.ItemInput(i.item_no, i.result, i.notes) for i in body.items],
        inspected_at=body.inspected_at,
        inspectors=body.inspectors,
        conclusion=body.conclusion,
        ip=client_ip(request),
    )
    return inspection_out(inspection)


@api.post("/inspections/{inspection_id}/submit")
def submit_inspection(
    inspection_id: int,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.INSPECTIONS_WRITE))],
) -> InspectionOut:
    """Sign and submit; afterwards the record cannot change."""
    return inspection_out(
        inspection_service.submit_inspection(db, principal, inspection_id, ip=client_ip(request))
    )


@api.post("/inspections/{inspection_id}/attachments", status_code=201)
async def upload_attachment(
    inspection_id: int,
    request: Request,
    db: Db,
    folder: DataDir,
    principal: Annotated[Principal, Depends(require(Perm.INSPECTIONS_WRITE))],
    file: Annotated[UploadFile, File()],
    item_no: Annotated[int | None, Form()] = None,
) -> AttachmentOut:
    """Upload a photo or file (≤ 20 MB; JPEG, PNG, PDF, MP4, text, CSV, XLSX, DOCX) with its SHA-256."""
    data = await file.read(inspection_service.MAX_ATTACHMENT_BYTES + 1)
    attachment = inspection_service.add_attachment(
        db,
        principal,
        inspection_id,
        data_dir=folder,
        filename=file.filename or "",
        content_type=file.content_type or "",
        data=data,
        item_no=item_no,
        ip=client_ip(request),
    )
    return attachment_out(attachment)


@api.get("/attachments/{attachment_id}")
def download_attachment(
    attachment_id: int,
    db: Db,
    folder: DataDir,
    principal: Annotated[Principal, Depends(require(Perm.CASES_READ))],
) -> Response:
    """The attachment's bytes (checked against its SHA-256); police only through transferred cases."""
    attachment, data = inspection_service.read_attachment(db, principal, attachment_id, data_dir=folder)
    return Response(
        content=data,
        media_type=attachment.content_type,
        headers={
            "X-Content-SHA256": attachment.sha256,
            "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(attachment.filename)}",
        },
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# ---------------------------------------------------------------------------------------------- cases


@api.get("/cases")
def list_cases(
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.CASES_READ))],
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page:
    """Cases the caller may see (police: transferred cases only)."""
    rows, total = case_service.list_cases(db, principal, status=status, limit=limit, offset=offset)
    return Page(total=total, results=[case_out(c) for c in rows])


@api.post("/cases", status_code=201)
def create_case(
    body: CaseIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.CASES_WRITE))],
) -> CaseOut:
    """Open a case file (from a task: its warning and inspections come along)."""
    return case_out(
        case_service.create_case(db, principal, ip=client_ip(request), **body.model_dump()), full=True
    )


@api.get("/cases/{case_id}")
def get_case(
    case_id: int, request: Request, db: Db, principal: Annotated[Principal, Depends(require(Perm.CASES_READ))]
) -> CaseOut:
    """The full case file (the view is audited); police: 404 unless transferred."""
    case = case_service.get_case(db, principal, case_id, ip=client_ip(request), record_view=True)
    return case_out(case, full=True)


@api.post("/cases/{case_id}/links")
def link_case(
    case_id: int,
    body: LinkIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.CASES_WRITE))],
) -> CaseOut:
    """Attach warnings and inspection records to an open case."""
    case = case_service.link_evidence(
        db,
        principal,
        case_id,
        warning_ids=body.warning_ids,
        inspection_ids=body.inspection_ids,
        ip=client_ip(request),
    )
    return case_out(case, full=True)


@api.post("/cases/{case_id}/extracts", status_code=201)
def add_extract(
    case_id: int,
    body: ExtractIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.CASES_WRITE))],
) -> ExtractOut:
    """Freeze a window of one point's readings into the case (CSV + SHA-256)."""
    extract = case_service.add_extract(
        db,
        principal,
        store_of(request),
        case_id,
        before_write=db.commit,
        ip=client_ip(request),
        **body.model_dump(),
    )
    return extract_out(extract)


@api.post("/cases/{case_id}/extracts/from-findings", status_code=201)
def add_finding_extracts(
    case_id: int,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.CASES_WRITE))],
) -> list[ExtractOut]:
    """One extract per finding of the case's warnings (its window ± 1 h)."""
    made = case_service.add_finding_extracts(
        db, principal, store_of(request), case_id, before_write=db.commit, ip=client_ip(request)
    )
    return [extract_out(e) for e in made]


@api.get("/cases/{case_id}/extracts/{extract_id}.csv")
def download_extract(
    case_id: int, extract_id: int, db: Db, principal: Annotated[Principal, Depends(require(Perm.CASES_READ))]
) -> Response:
    """The extract as CSV; its SHA-256 (of these exact bytes) is in the header."""
    extract = case_service.get_extract(db, principal, case_id, extract_id)
    return Response(
        content=extract.csv_text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"X-Content-SHA256": extract.sha256},
    )


@api.post("/cases/{case_id}/penalties", status_code=201)
def add_penalty(
    case_id: int,
    body: PenaltyIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.CASES_WRITE))],
) -> PenaltyOut:
    """Record an administrative penalty (万元, legal basis)."""
    return penalty_out(
        case_service.add_penalty(db, principal, case_id, ip=client_ip(request), **body.model_dump())
    )


@api.post("/cases/{case_id}/transfer", status_code=201)
def transfer_case(
    case_id: int,
    body: TransferIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.CASES_TRANSFER))],
) -> TransferOut:
    """Transfer the case to police or prosecutors with 移送书, 调查报告, 现场勘查笔录, 涉案物品清单."""
    return transfer_out(
        case_service.transfer_case(db, principal, case_id, ip=client_ip(request), **body.model_dump())
    )


@api.post("/transfers/{transfer_id}/reply")
def record_reply(
    transfer_id: int,
    body: ReplyIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.CASES_TRANSFER))],
) -> TransferOut:
    """Record the receiving authority's written answer (是否立案)."""
    return transfer_out(
        case_service.record_reply(db, principal, transfer_id, reply=body.reply, ip=client_ip(request))
    )


@api.get("/cases/{case_id}/evidence.pdf")
def evidence_pdf(
    case_id: int,
    request: Request,
    db: Db,
    folder: DataDir,
    principal: Annotated[Principal, Depends(require(Perm.CASES_READ))],
) -> Response:
    """Export the case's evidence pack as PDF; its SHA-256 is recorded and sent in ``X-Content-SHA256``."""
    pack, pdf = evidence_service.export_evidence_pack(
        db, principal, case_id, data_dir=folder, ip=client_ip(request)
    )
    case = case_service.get_case(db, principal, case_id)
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={
            "X-Content-SHA256": pack.sha256,
            "Content-Disposition": f'attachment; filename="evidence-{case.number}.pdf"',
        },
    )


router = APIRouter()
"""This area's routes: the ones above plus those of ``ledger.api`` (ledger, plans, draws, reports)."""
router.include_router(api)
from ecosentinel.enforcement.ledger.api import router as ledger_router  # noqa: E402

router.include_router(ledger_router)
