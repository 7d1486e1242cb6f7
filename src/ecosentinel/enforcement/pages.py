"""Web UI pages of the enforcement workflow: warnings with triage, outcomes and patrol reports, tasks, the
on-site inspection checklist with attachments, and cases with extracts, penalties and transfer (rule
reliability and adjustments: ``outcomes_pages``).

Forms post back to these pages, which call the same services (and need the same permissions) as the JSON
API under ``/api/enforcement``, then redirect with a one-time message; a refused input comes back as a
Chinese error message on the page it came from, with nothing changed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Perm, Role
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import cases as case_service
from ecosentinel.enforcement import inspections as inspection_service
from ecosentinel.enforcement import messages as msg
from ecosentinel.enforcement import outcomes as outcome_service
from ecosentinel.enforcement import responses as response_service
from ecosentinel.enforcement import tasks as task_service
from ecosentinel.enforcement import warnings as warning_service
from ecosentinel.enforcement.api import data_dir
from ecosentinel.enforcement.models import (
    Case,
    EnforcementWarning,
    Inspection,
    Task,
    TaskStatus,
    WarningOutcome,
    WarningStatus,
    as_utc,
)
from ecosentinel.errors import ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, Point
from ecosentinel.registry.scope import visible_point_ids
from ecosentinel.screening.adjustments import approved_adjustments
from ecosentinel.screening.service import rule_title
from ecosentinel.web.deps import client_ip, current_principal, get_db, require, store_of
from ecosentinel.web.ui import error_redirect, file_kind, page, redirect, register_nav, safe_next

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

Db = Annotated[Session, Depends(get_db, scope="function")]
WarningReader = Annotated[Principal, Depends(require(Perm.WARNINGS_READ))]
WarningTriager = Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))]
TaskReader = Annotated[Principal, Depends(require(Perm.TASKS_READ))]
Inspector = Annotated[Principal, Depends(require(Perm.INSPECTIONS_WRITE))]
CaseReader = Annotated[Principal, Depends(require(Perm.CASES_READ))]
CaseWriter = Annotated[Principal, Depends(require(Perm.CASES_WRITE))]
CaseTransferrer = Annotated[Principal, Depends(require(Perm.CASES_TRANSFER))]

register_nav(msg.NAV_WARNINGS, "/enforcement/warnings", Perm.WARNINGS_READ, order=300)
register_nav(msg.NAV_TASKS, "/enforcement/tasks", Perm.TASKS_READ, order=310)
register_nav(msg.NAV_CASES, "/enforcement/cases", Perm.CASES_READ, order=320)

CURVE_MAX = dt.timedelta(days=31)
"""Longest window the station curve shows (the station page's own limit)."""


# --- form helpers -------------------------------------------------------------------------------------------


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _int(form: FormData, name: str) -> int | None:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationError(msg.BAD_INTEGER.format(value=value), location=name) from exc


def _ints(form: FormData, name: str) -> list[int]:
    out = []
    for i, value in enumerate(form.getlist(name)):
        if not isinstance(value, str) or not value.strip():
            continue
        try:
            out.append(int(value))
        except ValueError as exc:
            raise ValidationError(msg.BAD_INTEGER.format(value=value), location=f"{name}[{i}]") from exc
    return out


def _datetime(form: FormData, name: str) -> dt.datetime | None:
    """A ``datetime-local`` input (China Standard Time) as an aware datetime."""
    value = _text(form, name)
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(msg.BAD_DATETIME.format(value=value), location=name) from exc
    return parsed.replace(tzinfo=CST) if parsed.tzinfo is None else parsed


def _local(value: dt.datetime) -> str:
    """A stored timestamp as the station page's ``datetime-local`` value (CST)."""
    return as_utc(value).astimezone(CST).strftime("%Y-%m-%dT%H:%M")


def _back(form: FormData, default: str) -> str:
    return safe_next(_text(form, "next"), default)


def _apply(
    request: Request, db: Session, action: Callable[[], Any], *, back: str, ok: str | Callable[[Any], str]
) -> Response:
    """Run a service call: commit and go on with a message, or roll back and go back with the error."""
    try:
        result = action()
    except ValidationError as exc:
        db.rollback()
        return error_redirect(back, exc, request)
    db.commit()  # before the redirect: get_db commits only after the response is sent
    return redirect(back, flash=ok(result) if callable(ok) else ok)


def _names(db: Session, model: type[Enterprise] | type[Point], ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.execute(sa.select(model.id, model.name).where(model.id.in_(ids)))
    return {row_id: name for row_id, name in rows}


# --- warnings -----------------------------------------------------------------------------------------------


def _warning_counts(db: Session, principal: Principal) -> dict[str, dict[str, int]]:
    query = sa.select(EnforcementWarning.colour, EnforcementWarning.status, sa.func.count()).group_by(
        EnforcementWarning.colour, EnforcementWarning.status
    )
    ids = visible_point_ids(db, principal)
    if ids is not None:
        query = query.where(EnforcementWarning.point_id.in_(ids))
    by_colour = {c: 0 for c in ("red", "yellow", "green")}
    by_status = {s.value: 0 for s in WarningStatus}
    for colour, status, n in db.execute(query):
        by_colour[colour] = by_colour.get(colour, 0) + n
        by_status[status] = by_status.get(status, 0) + n
    return {"colour": by_colour, "status": by_status}


def _visible_points(db: Session, principal: Principal) -> list[Point]:
    query = sa.select(Point).where(Point.mn.in_(sa.select(EnforcementWarning.mn)))
    ids = visible_point_ids(db, principal)
    if ids is not None:
        query = query.where(Point.id.in_(ids))
    return list(db.scalars(query.order_by(Point.mn)))


def _warning_ctx(db: Session, principal: Principal) -> dict[str, Any]:
    return {
        "colour_names": msg.COLOUR_NAMES,
        "status_names": msg.WARNING_STATUS_NAMES,
        "period": lambda w: warning_service.period_text(w.period_start, w.period_end),
        "can_triage": principal.can(Perm.WARNINGS_TRIAGE),
        "can_dispatch": principal.can(Perm.TASKS_DISPATCH),
        "open_statuses": warning_service.OPEN_STATUSES,
        "officers": task_service.officers(db) if principal.can(Perm.TASKS_DISPATCH) else [],
        "dismiss_categories": msg.DISMISS_CATEGORY_NAMES,
        "outcome_text": _outcome_text,
        "rule_title": rule_title,
    }


def _outcome_text(outcome: WarningOutcome | None) -> str:
    label = outcome_service.outcome_label(outcome)
    return f"{label}：{outcome.reason}" if outcome is not None and outcome.reason else label


def _rule_rows(db: Session, principal: Principal, warning: EnforcementWarning) -> list[dict[str, Any]]:
    """Each rule of the warning with its Chinese title, its outcome counts at this point and any approved
    adjustment there."""
    table = outcome_service.rule_reliability(db, principal, mns=[warning.mn])
    approved = approved_adjustments(db, [warning.mn]).get(warning.mn, {})
    rows = []
    for rule in outcome_service.warning_rules(db, warning):
        basis = table.at(warning.mn, rule)
        adjustment = approved.get(rule)
        rows.append(
            {
                "rule": rule,
                "title": rule_title(rule),
                "basis": basis,
                "text": msg.RELIABILITY_AT_POINT.format(
                    confirmed=basis.confirmed,
                    not_confirmed=basis.not_confirmed,
                    reliability=f"{basis.reliability:.2f}",
                )
                if basis.n or basis.excluded
                else msg.RELIABILITY_NONE,
                "adjustment": adjustment,
            }
        )
    return rows


@router.get("/enforcement/warnings", response_class=HTMLResponse)
def warnings_page(
    request: Request,
    db: Db,
    principal: WarningReader,
    colour: str | None = None,
    status: str | None = None,
    mn: str | None = None,
    offset: int = 0,
) -> Response:
    """The warning list (预警处置) with filters, colour counts and the triage actions of each warning."""
    limit = 50
    rows, total = warning_service.list_warnings(
        db,
        principal,
        colour=colour or None,
        status=status or None,
        mn=mn or None,
        limit=limit,
        offset=max(offset, 0),
    )
    points = _names(db, Point, {w.point_id for w in rows if w.point_id is not None})
    enterprises = _names(db, Enterprise, {w.enterprise_id for w in rows if w.enterprise_id is not None})
    return page(
        request,
        "enforcement/warnings_list.html",
        principal,
        title=msg.TITLE_WARNINGS,
        warnings=rows,
        total=total,
        offset=max(offset, 0),
        limit=limit,
        filters={"colour": colour or "", "status": status or "", "mn": mn or ""},
        counts=_warning_counts(db, principal),
        points=_visible_points(db, principal),
        point_names=points,
        enterprise_names=enterprises,
        here=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        **_warning_ctx(db, principal),
    )


@router.get("/enforcement/warnings/{warning_id}", response_class=HTMLResponse)
def warning_page(request: Request, warning_id: int, db: Db, principal: WarningReader) -> Response:
    """One warning: point, enterprise, period, findings with their evidence, the station curve, history."""
    warning = warning_service.get_warning(db, principal, warning_id, ip=client_ip(request), record_view=True)
    db.commit()  # the view entry is written; the station curve's own request reads after it
    point = db.get(Point, warning.point_id) if warning.point_id is not None else None
    enterprise = db.get(Enterprise, warning.enterprise_id) if warning.enterprise_id is not None else None
    history = list(
        db.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.entity == "warning",
                AuditEntry.entity_id == str(warning.id),
                AuditEntry.action != "view",
            )
            .order_by(AuditEntry.id)
        )
    )
    tasks = list(db.scalars(sa.select(Task).where(Task.warning_id == warning.id).order_by(Task.id)))
    inspections = (
        list(
            db.scalars(
                sa.select(Inspection)
                .where(Inspection.task_id.in_([t.id for t in tasks]))
                .order_by(Inspection.id)
            )
        )
        if tasks
        else []
    )
    start, end = as_utc(warning.period_start), as_utc(warning.period_end)
    if end - start > CURVE_MAX:
        start = end - CURVE_MAX
    findings = [
        {
            "rule": f.rule,
            "factors": "、".join(f.factors),
            "start": f.start,
            "end": f.end,
            "severity": f.severity,
            "score": f.score,
            "explanation_zh": f.explanation_zh,
            "evidence": json.loads(f.evidence or "{}"),
        }
        for f in warning.findings
    ]
    return page(
        request,
        "enforcement/warnings_detail.html",
        principal,
        title=msg.TITLE_WARNING.format(id=warning.id),
        warning=warning,
        point=point,
        enterprise=enterprise,
        findings=findings,
        history=history,
        tasks=tasks,
        inspections=inspections,
        task_status_names=msg.TASK_STATUS_NAMES,
        rule_rows=_rule_rows(db, principal, warning),
        outcome=warning.outcome,
        outcome_step_names=msg.OUTCOME_STEP_NAMES,
        can_record_outcome=principal.can(Perm.INSPECTIONS_WRITE)
        and warning.status == WarningStatus.ESCALATED.value,
        curve={"mn": warning.mn, "start": _local(start), "end": _local(end)},
        show_curve=point is not None and principal.can(Perm.DATA_READ),
        show_findings=principal.can(Perm.FINDINGS_READ),
        here=f"/enforcement/warnings/{warning.id}",
        responses=response_service.responses_of(db, warning.id),
        response_kind_names=msg.RESPONSE_KIND_NAMES,
        **_warning_ctx(db, principal),
    )


@router.post("/enforcement/warnings/{warning_id}/review")
async def warning_review(request: Request, warning_id: int, db: Db, principal: WarningTriager) -> Response:
    form = await request.form()
    return _apply(
        request,
        db,
        lambda: warning_service.review_warning(
            db, principal, warning_id, note=_text(form, "note"), ip=client_ip(request)
        ),
        back=_back(form, f"/enforcement/warnings/{warning_id}"),
        ok=msg.FLASH_REVIEWED.format(id=warning_id),
    )


@router.post("/enforcement/warnings/{warning_id}/dismiss")
async def warning_dismiss(request: Request, warning_id: int, db: Db, principal: WarningTriager) -> Response:
    form = await request.form()
    return _apply(
        request,
        db,
        lambda: warning_service.dismiss_warning(
            db,
            principal,
            warning_id,
            reason=_text(form, "reason") or "",
            category=_text(form, "category"),
            ip=client_ip(request),
        ),
        back=_back(form, f"/enforcement/warnings/{warning_id}"),
        ok=msg.FLASH_DISMISSED.format(id=warning_id),
    )


@router.post("/enforcement/warnings/{warning_id}/outcome")
async def warning_outcome(request: Request, warning_id: int, db: Db, principal: Inspector) -> Response:
    """Record (or correct) the on-site result of an escalated warning: 查实 or 未查实."""
    form = await request.form()
    return _apply(
        request,
        db,
        lambda: outcome_service.record_inspection_outcome(
            db,
            principal,
            warning_id,
            result=_text(form, "result") or "",
            reason=_text(form, "reason") or "",
            category=_text(form, "category"),
            inspection_id=_int(form, "inspection_id"),
            ip=client_ip(request),
        ),
        back=_back(form, f"/enforcement/warnings/{warning_id}"),
        ok=lambda o: msg.FLASH_OUTCOME.format(id=warning_id, result=outcome_service.outcome_label(o)),
    )


@router.post("/enforcement/warnings/{warning_id}/escalate")
async def warning_escalate(request: Request, warning_id: int, db: Db, principal: WarningTriager) -> Response:
    """Escalate to a task (待派发; dispatched at once when a dispatcher names the team)."""
    form = await request.form()
    back = _back(form, f"/enforcement/warnings/{warning_id}")
    try:
        task = task_service.create_task(
            db,
            principal,
            source="warning",
            warning_id=warning_id,
            title=_text(form, "title"),
            description=_text(form, "description") or "",
            deadline=_datetime(form, "deadline"),
            assignees=_ints(form, "assignees"),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect(back, exc, request)
    db.commit()
    target = f"/enforcement/tasks/{task.id}" if principal.can(Perm.TASKS_READ) else back
    return redirect(target, flash=msg.FLASH_ESCALATED.format(id=warning_id, task_id=task.id))


# --- patrol reports -----------------------------------------------------------------------------------------


@router.get("/enforcement/patrol", response_class=HTMLResponse)
def patrol_page(request: Request, db: Db, principal: WarningReader, report: int | None = None) -> Response:
    """Patrol reports (平台巡查, every 2 hours): the chosen (default: latest) report and the earlier ones."""
    reports = warning_service.list_patrol_reports(db)
    current = warning_service.get_patrol_report(db, report) if report is not None else None
    if current is None and reports:
        current = reports[0]
    ids: dict[str, list[int]] = json.loads(current.warning_ids) if current else {}
    wanted = [*ids.get("new", []), *ids.get("updated", [])]
    visible = visible_point_ids(db, principal)
    linked = {
        w.id: w
        for w in db.scalars(sa.select(EnforcementWarning).where(EnforcementWarning.id.in_(wanted or [-1])))
        if visible is None or w.point_id in visible
    }
    return page(
        request,
        "enforcement/warnings_patrol.html",
        principal,
        title=msg.TITLE_PATROL,
        reports=reports,
        current=current,
        new=[linked[i] for i in ids.get("new", []) if i in linked],
        updated=[linked[i] for i in ids.get("updated", []) if i in linked],
        **_warning_ctx(db, principal),
    )


@router.post("/enforcement/patrol")
def patrol_create(request: Request, db: Db, principal: WarningTriager) -> Response:
    """Record a patrol report of what is new since the previous one."""
    report = warning_service.create_patrol_report(db, principal, ip=client_ip(request))
    db.commit()
    return redirect(f"/enforcement/patrol?report={report.id}", flash=msg.FLASH_PATROL.format(n=report.n_new))


# --- tasks --------------------------------------------------------------------------------------------------


def _can_move(principal: Principal, task: Task, action: str) -> bool:
    move = task_service.MOVES[action]
    if TaskStatus(task.status) not in move.sources or not principal.can(move.perm):
        return False
    members = {m.user_id for m in task.members}
    return not move.member_only or principal.role is Role.ADMIN or principal.user_id in members


@router.get("/enforcement/tasks", response_class=HTMLResponse)
def tasks_page(
    request: Request,
    db: Db,
    principal: TaskReader,
    mine: bool = False,
    status: str | None = None,
    source: str | None = None,
) -> Response:
    """Tasks (mine / all) with state, source, team and deadline."""
    rows, total = task_service.list_tasks(
        db,
        status=status or None,
        source=source or None,
        assignee_id=principal.user_id if mine else None,
        limit=200,
    )
    return page(
        request,
        "enforcement/tasks_list.html",
        principal,
        title=msg.TITLE_TASKS,
        tasks=rows,
        total=total,
        mine=mine,
        filters={"status": status or "", "source": source or ""},
        teams={t.id: task_service.team_names(db, t) for t in rows},
        enterprise_names=_names(db, Enterprise, {t.enterprise_id for t in rows if t.enterprise_id}),
        status_names=msg.TASK_STATUS_NAMES,
        source_names=msg.TASK_SOURCE_NAMES,
        now=dt.datetime.now(dt.UTC),
        as_utc=as_utc,
    )


@router.get("/enforcement/tasks/{task_id}", response_class=HTMLResponse)
def task_page(request: Request, task_id: int, db: Db, principal: TaskReader) -> Response:
    """One task: details, team, history, the actions the caller may take, its inspections."""
    task = task_service.get_task(db, task_id)
    actions = [a for a in task_service.MOVES if _can_move(principal, task, a)]
    return page(
        request,
        "enforcement/tasks_detail.html",
        principal,
        title=msg.TITLE_TASK.format(id=task.id),
        task=task,
        team=task_service.team_names(db, task),
        enterprise=db.get(Enterprise, task.enterprise_id) if task.enterprise_id else None,
        point=db.get(Point, task.point_id) if task.point_id else None,
        inspections=inspection_service.list_inspections(db, task_id=task.id),
        actions=actions,
        moves=task_service.MOVES,
        action_names=msg.TASK_ACTION_NAMES,
        status_names=msg.TASK_STATUS_NAMES,
        source_names=msg.TASK_SOURCE_NAMES,
        officers=task_service.officers(db) if principal.can(Perm.TASKS_DISPATCH) else [],
        can_inspect=principal.can(Perm.INSPECTIONS_WRITE)
        and task.status in (TaskStatus.DISPATCHED.value, TaskStatus.IN_PROGRESS.value),
        can_open_case=principal.can(Perm.CASES_WRITE),
        cases=list(db.scalars(sa.select(Case).where(Case.task_id == task.id).order_by(Case.id))),
    )


def _task_action(action: str) -> Callable[..., Any]:
    # The permission is declared on the route (add_api_route below), as in the JSON API.
    async def route(
        task_id: int,
        request: Request,
        db: Db,
        principal: Annotated[Principal, Depends(current_principal)],
    ) -> Response:
        form = await request.form()
        back = f"/enforcement/tasks/{task_id}"
        try:
            task_service.change_task(
                db,
                principal,
                task_id,
                action,
                assignees=_ints(form, "assignees"),
                deadline=_datetime(form, "deadline"),
                note=_text(form, "note"),
                ip=client_ip(request),
            )
        except ValidationError as exc:
            db.rollback()
            return error_redirect(back, exc, request)
        db.commit()
        return redirect(
            back, flash=msg.FLASH_TASK_CHANGED.format(id=task_id, action=msg.TASK_ACTION_NAMES[action])
        )

    route.__name__ = f"task_page_{action}"
    return route


for _action, _move in task_service.MOVES.items():
    router.add_api_route(
        f"/enforcement/tasks/{{task_id}}/{_action}",
        _task_action(_action),
        methods=["POST"],
        dependencies=[Depends(require(_move.perm))],
    )


@router.post("/enforcement/tasks/{task_id}/inspect")
def task_inspect(request: Request, task_id: int, db: Db, principal: Inspector) -> Response:
    """开始现场检查: open an inspection record for the task (a dispatched task of the team starts)."""
    try:
        inspection = inspection_service.create_inspection(
            db, principal, task_id=task_id, ip=client_ip(request)
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect(f"/enforcement/tasks/{task_id}", exc, request)
    db.commit()
    return redirect(
        f"/enforcement/inspections/{inspection.id}",
        flash=msg.FLASH_INSPECTION_OPENED.format(id=inspection.id),
    )


# --- inspections --------------------------------------------------------------------------------------------


@router.get("/enforcement/inspections/{inspection_id}", response_class=HTMLResponse)
def inspection_page(request: Request, inspection_id: int, db: Db, principal: TaskReader) -> Response:
    """The 10-point checklist of seed 000 with the screening evidence above it, attachments and submit."""
    inspection = inspection_service.get_inspection(db, inspection_id)
    return page(
        request,
        "enforcement/inspections_detail.html",
        principal,
        title=msg.TITLE_INSPECTION.format(id=inspection.id),
        inspection=inspection,
        items=inspection_service.checklist_view(inspection),
        prefill=json.loads(inspection.prefill or "[]"),
        enterprise=db.get(Enterprise, inspection.enterprise_id) if inspection.enterprise_id else None,
        point=db.get(Point, inspection.point_id) if inspection.point_id else None,
        results=list(msg.CHECK_RESULT_NAMES.items()),
        status_names=msg.INSPECTION_STATUS_NAMES,
        editable=principal.can(Perm.INSPECTIONS_WRITE) and inspection.status == "draft",
        can_download=principal.can(Perm.CASES_READ),
        content_types="、".join(dict.fromkeys(file_kind(t) for t in inspection_service.CONTENT_TYPES)),
        can_record=principal.can(Perm.LEDGER_WRITE),
        can_open_case=principal.can(Perm.CASES_WRITE),
        cases=list(
            db.scalars(
                sa.select(Case).where(Case.inspections.any(Inspection.id == inspection.id)).order_by(Case.id)
            )
        )
        if principal.can(Perm.CASES_READ)
        else [],
    )


def _items(form: FormData) -> list[inspection_service.ItemInput]:
    out = []
    for spec in msg.CHECKLIST:
        result = _text(form, f"result_{spec.no}")
        notes = _text(form, f"notes_{spec.no}")
        out.append(inspection_service.ItemInput(spec.no, result, notes))
    return out


@router.post("/enforcement/inspections/{inspection_id}")
async def inspection_save(request: Request, inspection_id: int, db: Db, principal: Inspector) -> Response:
    """Save the checklist (results and notes) and the header; with ``submit`` also sign and submit."""
    form = await request.form()
    back = f"/enforcement/inspections/{inspection_id}"
    submit = _text(form, "submit") is not None
    try:
        inspection_service.update_inspection(
            db,
            principal,
            inspection_id,
            items=_items(form),
            inspected_at=_datetime(form, "inspected_at"),
            inspectors=_text(form, "inspectors"),
            conclusion=_text(form, "conclusion") or "",
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect(back, exc, request)
    db.commit()  # what was entered is kept even when the submission below or an upload is refused
    uploads: list[tuple[int | None, UploadFile]] = [
        (spec.no, f)
        for spec in msg.CHECKLIST
        for f in form.getlist(f"photo_{spec.no}")
        if isinstance(f, UploadFile)
    ]
    uploads += [(_int(form, "item_no"), f) for f in form.getlist("file") if isinstance(f, UploadFile)]
    stored = 0
    for item_no, upload in uploads:
        if not upload.filename:
            continue
        data = await upload.read(inspection_service.MAX_ATTACHMENT_BYTES + 1)
        try:
            inspection_service.add_attachment(
                db,
                principal,
                inspection_id,
                data_dir=data_dir(request),
                filename=upload.filename,
                content_type=upload.content_type or "",
                data=data,
                item_no=item_no,
                ip=client_ip(request),
            )
        except ValidationError as exc:
            db.rollback()
            return error_redirect(back, exc, request)
        db.commit()
        stored += 1
    if not submit:
        saved = msg.FLASH_INSPECTION_SAVED
        return redirect(back, flash=saved + (msg.FLASH_INSPECTION_FILES.format(n=stored) if stored else ""))
    return _apply(
        request,
        db,
        lambda: inspection_service.submit_inspection(db, principal, inspection_id, ip=client_ip(request)),
        back=back,
        ok=msg.FLASH_INSPECTION_SUBMITTED,
    )


@router.post("/enforcement/inspections/{inspection_id}/attachments")
async def inspection_upload(request: Request, inspection_id: int, db: Db, principal: Inspector) -> Response:
    """Upload a photo or file (multipart) to the inspection; stored with its SHA-256."""
    form = await request.form()
    back = f"/enforcement/inspections/{inspection_id}"
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(back, flash=msg.FLASH_ATTACHMENT_MISSING, level="error")
    data = await upload.read(inspection_service.MAX_ATTACHMENT_BYTES + 1)
    try:
        attachment = inspection_service.add_attachment(
            db,
            principal,
            inspection_id,
            data_dir=data_dir(request),
            filename=upload.filename,
            content_type=upload.content_type or "",
            data=data,
            item_no=_int(form, "item_no"),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect(back, exc, request)
    db.commit()
    return redirect(
        back, flash=msg.FLASH_ATTACHMENT.format(filename=attachment.filename, sha256=attachment.sha256)
    )


# --- cases --------------------------------------------------------------------------------------------------


@router.get("/enforcement/cases", response_class=HTMLResponse)
def cases_page(request: Request, db: Db, principal: CaseReader, status: str | None = None) -> Response:
    """Cases (police: transferred ones only) and, for officers, the form to open one."""
    rows, total = case_service.list_cases(db, principal, status=status or None, limit=200)
    return page(
        request,
        "enforcement/cases_list.html",
        principal,
        title=msg.TITLE_CASES,
        cases=rows,
        total=total,
        status=status or "",
        status_names=msg.CASE_STATUS_NAMES,
        enterprise_names=_names(db, Enterprise, {c.enterprise_id for c in rows if c.enterprise_id}),
        can_write=principal.can(Perm.CASES_WRITE),
        enterprises=list(db.scalars(sa.select(Enterprise).order_by(Enterprise.name)))
        if principal.can(Perm.CASES_WRITE)
        else [],
    )


@router.post("/enforcement/cases")
async def case_create(request: Request, db: Db, principal: CaseWriter) -> Response:
    """Open a case (立案), from a task (its warning and inspections come along) or directly."""
    form = await request.form()
    task_id = _int(form, "task_id")
    back = _back(form, f"/enforcement/tasks/{task_id}" if task_id else "/enforcement/cases")
    try:
        case = case_service.create_case(
            db,
            principal,
            title=_text(form, "title") or "",
            facts_zh=_text(form, "facts_zh") or "",
            enterprise_id=_int(form, "enterprise_id"),
            task_id=task_id,
            warning_ids=_ints(form, "warning_ids"),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect(back, exc, request)
    db.commit()
    return redirect(f"/enforcement/cases/{case.id}", flash=msg.FLASH_CASE_CREATED.format(number=case.number))


@router.get("/enforcement/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: int, db: Db, principal: CaseReader) -> Response:
    """The case file: findings, inspections with attachments, extracts with hashes, penalties, transfers."""
    case = case_service.get_case(db, principal, case_id, ip=client_ip(request), record_view=True)
    db.commit()  # the view entry is written before the page's own reads finish
    is_open = case.status == "open"
    return page(
        request,
        "enforcement/cases_detail.html",
        principal,
        title=msg.TITLE_CASE.format(number=case.number),
        case=case,
        enterprise=db.get(Enterprise, case.enterprise_id) if case.enterprise_id else None,
        status_names=msg.CASE_STATUS_NAMES,
        colour_names=msg.COLOUR_NAMES,
        check_names=msg.CHECK_RESULT_NAMES,
        inspection_status_names=msg.INSPECTION_STATUS_NAMES,
        recipient_names=msg.RECIPIENT_NAMES,
        transfer_kind_names=msg.TRANSFER_KIND_NAMES,
        period=lambda w: warning_service.period_text(w.period_start, w.period_end),
        items_of=lambda t: json.loads(t.items_list or "[]"),
        can_write=is_open and principal.can(Perm.CASES_WRITE),
        can_transfer=is_open and principal.can(Perm.CASES_TRANSFER),
        can_reply=principal.can(Perm.CASES_TRANSFER),
        can_open_inspections=principal.can(Perm.TASKS_READ),
        can_open_warnings=principal.can(Perm.WARNINGS_READ),
    )


@router.post("/enforcement/cases/{case_id}/links")
async def case_link(request: Request, case_id: int, db: Db, principal: CaseWriter) -> Response:
    form = await request.form()
    back = f"/enforcement/cases/{case_id}"
    try:
        warning_ids, inspection_ids = _ints(form, "warning_ids"), _ints(form, "inspection_ids")
    except ValidationError as exc:
        return error_redirect(back, exc, request)
    return _apply(
        request,
        db,
        lambda: case_service.link_evidence(
            db,
            principal,
            case_id,
            warning_ids=warning_ids,
            inspection_ids=inspection_ids,
            ip=client_ip(request),
        ),
        back=back,
        ok=msg.FLASH_CASE_SAVED,
    )


@router.post("/enforcement/cases/{case_id}/extracts")
def case_extracts(request: Request, case_id: int, db: Db, principal: CaseWriter) -> Response:
    """Freeze the readings around every finding of the case's warnings (CSV + SHA-256)."""
    return _apply(
        request,
        db,
        lambda: case_service.add_finding_extracts(
            db, principal, store_of(request), case_id, before_write=db.commit, ip=client_ip(request)
        ),
        back=f"/enforcement/cases/{case_id}",
        ok=lambda made: msg.FLASH_EXTRACTS.format(n=len(made)),
    )


@router.post("/enforcement/cases/{case_id}/penalties")
async def case_penalty(request: Request, case_id: int, db: Db, principal: CaseWriter) -> Response:
    form = await request.form()
    back = f"/enforcement/cases/{case_id}"
    decided = _text(form, "decided_at")
    try:
        decided_at = dt.date.fromisoformat(decided) if decided else None
    except ValueError:
        return redirect(back, flash=f"日期格式应为 YYYY-MM-DD：{decided}", level="error")
    return _apply(
        request,
        db,
        lambda: case_service.add_penalty(
            db,
            principal,
            case_id,
            amount_wan=_text(form, "amount_wan") or "",
            legal_basis=_text(form, "legal_basis") or "",
            decision_no=_text(form, "decision_no"),
            decided_at=decided_at,
            ip=client_ip(request),
        ),
        back=back,
        ok=msg.FLASH_CASE_SAVED,
    )


@router.post("/enforcement/cases/{case_id}/transfer")
async def case_transfer(request: Request, case_id: int, db: Db, principal: CaseTransferrer) -> Response:
    """Transfer to police or prosecutors (移送) with 移送书, 调查报告, 现场勘查笔录, 涉案物品清单."""
    form = await request.form()
    items = [line for line in (_text(form, "items") or "").splitlines() if line.strip()]
    return _apply(
        request,
        db,
        lambda: case_service.transfer_case(
            db,
            principal,
            case_id,
            recipient=_text(form, "recipient") or "",
            recipient_org=_text(form, "recipient_org") or "",
            kind=_text(form, "kind") or "",
            letter_no=_text(form, "letter_no") or "",
            letter_text=_text(form, "letter_text") or "",
            investigation_report=_text(form, "investigation_report") or "",
            site_record=_text(form, "site_record") or "",
            items=items,
            cc_procuratorate=_text(form, "cc_procuratorate") is not None,
            ip=client_ip(request),
        ),
        back=f"/enforcement/cases/{case_id}",
        ok=lambda t: msg.FLASH_TRANSFERRED.format(org=t.recipient_org),
    )


@router.post("/enforcement/cases/{case_id}/transfers/{transfer_id}/reply")
async def case_transfer_reply(
    request: Request, case_id: int, transfer_id: int, db: Db, principal: CaseTransferrer
) -> Response:
    """Record the receiving authority's written answer (是否立案)."""
    form = await request.form()
    return _apply(
        request,
        db,
        lambda: case_service.record_reply(
            db, principal, transfer_id, reply=_text(form, "reply") or "", ip=client_ip(request)
        ),
        back=f"/enforcement/cases/{case_id}",
        ok=msg.FLASH_CASE_SAVED,
    )
