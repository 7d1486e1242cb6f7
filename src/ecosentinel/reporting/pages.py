"""Web pages of public reporting: the phone-friendly public form and tracking page (no login), and the
staff triage queue, hotline entry and report detail with its actions (``complaints.*``).

Forms post back here and call the same services as ``reporting.api``; a refused input comes back on the page
it came from with the Chinese message and the typed values kept, nothing changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import messages as enforcement_messages
from ecosentinel.enforcement import tasks as task_service
from ecosentinel.enforcement.api import data_dir
from ecosentinel.enforcement.ledger.service import CATEGORY_ZH
from ecosentinel.enforcement.models import Task
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise
from ecosentinel.reporting import messages as msg
from ecosentinel.reporting import service
from ecosentinel.reporting.api import limits_of, parse_observed
from ecosentinel.reporting.models import PublicReport
from ecosentinel.web.deps import client_ip, get_db, optional_principal, public, require
from ecosentinel.web.ui import page, redirect, register_nav, register_public_link

router = APIRouter(include_in_schema=False)

Db = Annotated[Session, Depends(get_db, scope="function")]
Reader = Annotated[Principal, Depends(require(Perm.COMPLAINTS_READ))]
Triager = Annotated[Principal, Depends(require(Perm.COMPLAINTS_TRIAGE))]
Visitor = Annotated[Principal | None, Depends(optional_principal)]

register_nav(msg.NAV_REPORTS, "/reports", Perm.COMPLAINTS_READ, order=305)
register_public_link(msg.PUBLIC_LINK, "/public/report", msg.PUBLIC_LINK_TEXT, order=5)
register_public_link(msg.TRACK_LINK, "/public/report/track", msg.TRACK_LINK_TEXT, order=6)

FORM_FIELDS = ("subject", "category", "description", "observed_at", "contact_name", "contact_phone")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


async def _input(form: FormData, request: Request) -> service.ReportInput:
    limits = limits_of(request)
    uploads = []
    for item in form.getlist("files"):
        if isinstance(item, UploadFile) and item.filename:
            uploads.append(service.Upload(item.filename, await item.read(limits.max_file_bytes + 1)))
    return service.ReportInput(
        subject=_text(form, "subject"),
        category=_text(form, "category") or "falsification",
        description=_text(form, "description"),
        observed_at=parse_observed(_text(form, "observed_at")),
        contact_name=_text(form, "contact_name") or None,
        contact_phone=_text(form, "contact_phone") or None,
        files=uploads,
    )


def _form_page(
    request: Request,
    db: Session,
    principal: Principal | None,
    *,
    template: str,
    title: str,
    values: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    limits = limits_of(request)
    now = dt.datetime.now(CST).strftime("%Y-%m-%dT%H:%M")
    return page(
        request,
        template,
        principal,
        title=title,
        status_code=status_code,
        subjects=service.subjects(db),
        categories=msg.CATEGORY_ZH,
        values=values or {"category": "falsification", "observed_at": now},
        now=now,
        limits=limits,
        max_file_mb=round(limits.max_file_bytes / 1048576),
        error=error,
        flash=[{"level": "error", "text": error}] if error else [],
        **ctx,
    )


# --- public -------------------------------------------------------------------------------------------------


@router.get("/public/report", response_class=HTMLResponse, dependencies=[Depends(public)])
def report_form(request: Request, db: Db, principal: Visitor) -> HTMLResponse:
    """The public report form (no login; works on a phone)."""
    return _form_page(request, db, principal, template="reporting/public_form.html", title="我要举报")


@router.post("/public/report", dependencies=[Depends(public)])
async def report_submit(request: Request, db: Db, principal: Visitor) -> Response:
    form = await request.form()
    values = {name: _text(form, name) for name in FORM_FIELDS}
    try:
        report = service.submit_report(
            db,
            await _input(form, request),
            client_ip=client_ip(request),
            data_dir=data_dir(request),
            limits=limits_of(request),
        )
    except service.TooManyRequestsError as exc:
        db.rollback()
        response = _form_page(
            request,
            db,
            principal,
            template="reporting/public_form.html",
            title="我要举报",
            values=values,
            error=str(exc),
            status_code=429,
        )
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except ValidationError as exc:
        db.rollback()
        return _form_page(
            request,
            db,
            principal,
            template="reporting/public_form.html",
            title="我要举报",
            values=values,
            error=str(exc),
            status_code=422,
        )
    code = service.format_code(report.code)
    db.commit()
    return redirect(f"/public/report/track?code={code}&new=1", flash=f"举报已提交，查询码：{code}")


@router.get("/public/report/track", response_class=HTMLResponse, dependencies=[Depends(public)])
def report_track(
    request: Request, db: Db, principal: Visitor, code: str | None = None, new: int = 0
) -> HTMLResponse:
    """Follow a report with its tracking code: status, public history, the bureau's reply."""
    view = None
    error = None
    status_code = 200
    if code:
        try:
            view = service.lookup(db, code, client_ip=client_ip(request), limits=limits_of(request))
        except service.TooManyRequestsError as exc:
            error, status_code = str(exc), 429
        except (NotFoundError, ValidationError) as exc:
            error, status_code = str(exc), 404
        db.commit()  # the counted lookup
    return page(
        request,
        "reporting/public_track.html",
        principal,
        title="举报办理查询",
        status_code=status_code,
        view=view,
        code=code or "",
        new=bool(new) and view is not None,
        flash=[{"level": "error", "text": error}] if error else [],
    )


# --- staff --------------------------------------------------------------------------------------------------


@router.get("/reports", response_class=HTMLResponse)
def queue_page(request: Request, db: Db, principal: Reader, status: str | None = None) -> HTMLResponse:
    """The triage queue (no reporter contact here)."""
    rows = service.list_reports(db, principal, status=status or None)
    wanted = {r.enterprise_id for r in rows if r.enterprise_id}
    names = {
        enterprise_id: name
        for enterprise_id, name in db.execute(
            sa.select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(wanted))
        )
    }
    return page(
        request,
        "reporting/queue.html",
        principal,
        title="举报受理",
        rows=rows,
        names=names,
        status=status or "",
        status_names=msg.STATUS_ZH,
        channels=msg.CHANNEL_ZH,
        categories=msg.CATEGORY_ZH,
        can_triage=principal.can(Perm.COMPLAINTS_TRIAGE),
        code=service.format_code,
    )


@router.get("/reports/new", response_class=HTMLResponse)
def hotline_form(request: Request, db: Db, principal: Triager) -> HTMLResponse:
    """Enter a report from the 12369 or 12345 hotline."""
    return _form_page(request, db, principal, template="reporting/hotline.html", title="登记热线举报")


@router.post("/reports/new")
async def hotline_submit(request: Request, db: Db, principal: Triager) -> Response:
    form = await request.form()
    values = {name: _text(form, name) for name in (*FORM_FIELDS, "channel", "ticket")}
    try:
        report = service.create_hotline_report(
            db,
            principal,
            await _input(form, request),
            channel=_text(form, "channel"),
            ticket=_text(form, "ticket"),
            data_dir=data_dir(request),
            limits=limits_of(request),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return _form_page(
            request,
            db,
            principal,
            template="reporting/hotline.html",
            title="登记热线举报",
            values=values,
            error=str(exc),
            status_code=422,
        )
    db.commit()
    return redirect(
        f"/reports/{report.id}", flash=f"已登记热线举报，查询码 {service.format_code(report.code)}"
    )


@router.get("/reports/{report_id}", response_class=HTMLResponse)
def detail_page(
    request: Request, report_id: int, db: Db, principal: Reader, contact: int = 0
) -> HTMLResponse:
    """A report with its files, public history, candidate warnings and the triage actions."""
    ip = client_ip(request)
    report = service.get_report(db, principal, report_id, record_view=True, ip=ip)
    shown = None
    if contact and principal.can(Perm.COMPLAINTS_IDENTITY):
        shown = service.contact_of(db, principal, report, ip=ip)
    db.commit()
    enterprise = db.get(Enterprise, report.enterprise_id) if report.enterprise_id else None
    merged_into = db.get(PublicReport, report.merged_into_id) if report.merged_into_id else None
    return page(
        request,
        "reporting/detail.html",
        principal,
        title=f"举报 {service.format_code(report.code)}",
        report=report,
        enterprise=enterprise,
        merged_into=merged_into,
        task=db.get(Task, report.task_id) if report.task_id else None,
        task_status_names=enforcement_messages.TASK_STATUS_NAMES,
        enterprises=list(db.scalars(sa.select(Enterprise).order_by(Enterprise.name))),
        candidates=service.candidates(db, principal, report),
        findings=service.findings_in_window(db, principal, report),
        contact=shown,
        has_contact=report.contact_name is not None or report.contact_phone is not None,
        can_identity=principal.can(Perm.COMPLAINTS_IDENTITY),
        can_triage=principal.can(Perm.COMPLAINTS_TRIAGE),
        can_dispatch=principal.can(Perm.TASKS_DISPATCH),
        officers=task_service.officers(db) if principal.can(Perm.TASKS_DISPATCH) else [],
        open_report=report.status not in ("merged", "closed"),
        status_names=msg.STATUS_ZH,
        channels=msg.CHANNEL_ZH,
        categories=msg.CATEGORY_ZH,
        outcomes=msg.OUTCOME_ZH,
        ledger_categories={c.value: label for c, label in CATEGORY_ZH.items()},
        colour_names=enforcement_messages.COLOUR_NAMES,
        code=service.format_code,
    )


def _int_list(form: FormData, name: str) -> list[int]:
    out = []
    for value in form.getlist(name):
        if isinstance(value, str) and value.strip().isdigit():
            out.append(int(value))
    return out


@router.post("/reports/{report_id}/{action}")
async def report_action(
    request: Request, report_id: int, action: str, db: Db, principal: Triager
) -> Response:
    """Triage actions: enterprise, merge, link, task, reply, close."""
    form = await request.form()
    back = f"/reports/{report_id}"
    ip = client_ip(request)
    try:
        if action == "enterprise":
            service.set_enterprise(
                db, principal, report_id, enterprise_id=int(_text(form, "enterprise_id") or 0), ip=ip
            )
            done = "已确认被举报企业"
        elif action == "merge":
            service.merge_report(db, principal, report_id, into=_text(form, "into"), ip=ip)
            done = "已合并办理"
        elif action == "link":
            link = service.link_warning(
                db, principal, report_id, warning_id=int(_text(form, "warning_id") or 0), ip=ip
            )
            done = f"已关联预警 #{link.warning_id}" + (
                f"，预警由{enforcement_messages.COLOUR_NAMES[link.colour_before]}升为"
                f"{enforcement_messages.COLOUR_NAMES[link.colour_after]}"
                if link.colour_after != link.colour_before
                else ""
            )
        elif action == "task":
            deadline = parse_observed(_text(form, "deadline"))
            report = service.make_task(
                db,
                principal,
                report_id,
                assignees=_int_list(form, "assignees"),
                deadline=deadline.replace(tzinfo=CST) if deadline and deadline.tzinfo is None else deadline,
                ip=ip,
            )
            done = f"已转为执法任务 #{report.task_id}"
        elif action == "reply":
            service.publish_reply(db, principal, report_id, reply=_text(form, "reply"), ip=ip)
            done = "答复已公开"
        elif action == "close":
            service.close_report(
                db,
                principal,
                report_id,
                outcome=_text(form, "outcome"),
                reply=_text(form, "reply"),
                ledger_category=_text(form, "ledger_category") or None,
                ip=ip,
            )
            done = "举报已办结，答复已公开"
        else:
            raise NotFoundError(f"未知的操作 {action}")
    except ValidationError as exc:
        db.rollback()
        return redirect(back, flash=str(exc), level="error")
    db.commit()
    return redirect(back, flash=done)
