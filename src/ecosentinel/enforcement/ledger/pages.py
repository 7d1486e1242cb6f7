"""Web UI pages of the problem ledger (with overdue reminders), plans, double-random draws (with re-run
verification), report downloads, and the public pages (no login) for penalties and random-inspection results.

Forms post back to these pages, which call the same services as the JSON API and redirect with a message.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import disclosure, draws, plans, reports
from ecosentinel.enforcement.inspections import checklist_view
from ecosentinel.enforcement.ledger import messages as msg
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.enforcement.models import Inspection, Task, as_utc
from ecosentinel.errors import ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, Point
from ecosentinel.web.deps import client_ip, get_db, optional_principal, public, require
from ecosentinel.web.ui import error_flash, error_redirect, page, redirect, register_nav, register_public_link

router = APIRouter(include_in_schema=False)

Db = Annotated[Session, Depends(get_db, scope="function")]
LedgerReader = Annotated[Principal, Depends(require(Perm.LEDGER_READ))]
LedgerWriter = Annotated[Principal, Depends(require(Perm.LEDGER_WRITE))]
PlanReader = Annotated[Principal, Depends(require(Perm.PLANS_READ))]
PlanManager = Annotated[Principal, Depends(require(Perm.PLANS_MANAGE))]
ReportReader = Annotated[Principal, Depends(require(Perm.REPORTS_READ))]
Visitor = Annotated[Principal | None, Depends(optional_principal)]

register_nav(msg.NAV_LEDGER, "/enforcement/ledger", Perm.LEDGER_READ, order=400)
register_nav(msg.NAV_PLANS, "/enforcement/plans", Perm.PLANS_READ, order=410)
register_nav(msg.NAV_DRAWS, "/enforcement/draws", Perm.PLANS_READ, order=420)
register_nav(msg.NAV_REPORTS, "/enforcement/reports", Perm.REPORTS_READ, order=430)
register_public_link(msg.TITLE_PUBLIC_PENALTIES, "/public/penalties", "已作出决定的环境行政处罚", order=20)
register_public_link(
    msg.TITLE_PUBLIC_DRAWS, "/public/random-inspections", "随机抽查事项、对象和检查结果", order=30
)


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def _date(form: FormData, name: str) -> dt.date | None:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"日期格式应为 YYYY-MM-DD：{value}", location=name) from exc


def _int(form: FormData, name: str) -> int | None:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValidationError(f"应为整数：{value}", location=name) from exc


def _float(form: FormData, name: str) -> float | None:
    value = _text(form, name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise ValidationError(f"应为数字：{value}", location=name) from exc


def _choices() -> dict[str, Any]:
    return {
        "categories": [(m.value, label) for m, label in ledger.CATEGORY_ZH.items()],
        "sources": [(m.value, label) for m, label in ledger.SOURCE_ZH.items()],
        "action_kinds": [(m.value, label) for m, label in ledger.ACTION_ZH.items()],
    }


def _enterprises(db: Session) -> list[tuple[int, str]]:
    from sqlalchemy import select

    return [(e.id, e.name) for e in db.scalars(select(Enterprise).order_by(Enterprise.name))]


def _label(labels: dict[ledger.ProblemCategory, str] | dict[ledger.ProblemSource, str], value: str) -> str:
    return next((label for m, label in labels.items() if m.value == value), value)


# --- ledger -------------------------------------------------------------------------------------------------


@router.get("/enforcement/ledger", response_class=HTMLResponse)
def ledger_page(
    request: Request, db: Db, principal: LedgerReader, year: int | None = None, open_only: bool = False
) -> Response:
    today = ledger.today_cst()
    problems = ledger.list_problems(db, year=year or today.year, open_only=open_only)
    return page(
        request,
        "enforcement/ledger_list.html",
        principal,
        title=msg.TITLE_LEDGER,
        problems=problems,
        overdue=ledger.overdue_problems(db, today=today),
        today=today,
        year=year or today.year,
        open_only=open_only,
        category_zh=lambda v: _label(ledger.CATEGORY_ZH, v),
        source_zh=lambda v: _label(ledger.SOURCE_ZH, v),
        action_zh=lambda v: ledger.ACTION_ZH[ledger.ActionKind(v)],
        can_write=principal.can(Perm.LEDGER_WRITE),
    )


def _suggested(db: Session, inspection_id: int | None, task_id: int | None) -> dict[str, str]:
    """Form values taken from the inspection (or task) the problem is recorded from: its enterprise, task,
    the point's type as 问题类别, the task's origin as 问题来源, the conclusion and the nonconforming items as
    the description. Without one, 问题类别 and 问题来源 stay unchosen: the user must pick them."""
    values = {"found_on": ledger.today_cst().isoformat()}
    inspection = db.get(Inspection, inspection_id) if inspection_id is not None else None
    if inspection is not None:
        task_id = inspection.task_id
        if inspection.inspected_at is not None:
            values["found_on"] = as_utc(inspection.inspected_at).astimezone(CST).date().isoformat()
        failed = [
            f"{item['item_no']}. {item['title']}：{item['notes'] or '不符合'}"
            for item in checklist_view(inspection)
            if item["result"] == "nonconform"
        ]
        values["description"] = "\n".join([inspection.conclusion or "", *failed]).strip()
    task = db.get(Task, task_id) if task_id is not None else None
    if task is not None:
        values["task_id"] = str(task.id)
        if task.source in ledger.SOURCE_OF_TASK:
            values["source"] = ledger.SOURCE_OF_TASK[task.source].value
        values.setdefault("description", task.description or task.title)
    enterprise_id = (inspection.enterprise_id if inspection else None) or (
        task.enterprise_id if task else None
    )
    if enterprise_id is not None:
        values["enterprise_id"] = str(enterprise_id)
    point_id = (inspection.point_id if inspection else None) or (task.point_id if task else None)
    point = db.get(Point, point_id) if point_id is not None else None
    if point is not None and point.type in ledger.CATEGORY_OF_POINT_TYPE:
        values["category"] = ledger.CATEGORY_OF_POINT_TYPE[point.type].value
    return values


@router.get("/enforcement/ledger/new", response_class=HTMLResponse)
def ledger_new_page(
    request: Request,
    db: Db,
    principal: LedgerWriter,
    inspection_id: int | None = None,
    task_id: int | None = None,
) -> Response:
    """The form; from an inspection or task (记入台账) it comes filled in from that record."""
    return page(
        request,
        "enforcement/ledger_form.html",
        principal,
        title=msg.TITLE_LEDGER_NEW,
        enterprises=_enterprises(db),
        values=_suggested(db, inspection_id, task_id),
        **_choices(),
    )


@router.post("/enforcement/ledger/new", response_class=HTMLResponse)
async def ledger_create(request: Request, db: Db, principal: LedgerWriter) -> Response:
    form = await request.form()
    actions = []
    for kind in form.getlist("actions"):
        if not isinstance(kind, str):
            continue
        if kind == ledger.ActionKind.PENALTY.value:
            actions.append(
                ledger.ActionInput(
                    kind,
                    fine_wan=_float(form, "fine_wan"),
                    decision_no=_text(form, "decision_no"),
                    decided_on=_date(form, "decided_on"),
                    public_summary=_text(form, "public_summary"),
                )
            )
        else:
            actions.append(ledger.ActionInput(kind))
    try:
        problem = ledger.create_problem(
            db,
            principal,
            found_on=_date(form, "found_on") or ledger.today_cst(),
            category=_text(form, "category") or "",
            category_note=_text(form, "category_note"),
            description=_text(form, "description") or "",
            enterprise_id=_int(form, "enterprise_id"),
            enterprise_name=_text(form, "enterprise_name"),
            source=_text(form, "source") or "",
            source_note=_text(form, "source_note"),
            deadline=_date(form, "deadline"),
            task_id=_int(form, "task_id"),
            case_id=_int(form, "case_id"),
            actions=actions,
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return page(
            request,
            "enforcement/ledger_form.html",
            principal,
            title=msg.TITLE_LEDGER_NEW,
            status_code=422,
            enterprises=_enterprises(db),
            values={k: v for k, v in form.items() if isinstance(v, str)},
            checked=[k for k in form.getlist("actions") if isinstance(k, str)],
            flash=[error_flash(exc, request)],
            **_choices(),
        )
    return redirect(f"/enforcement/ledger/{problem.id}", flash=msg.FLASH_SAVED)


@router.get("/enforcement/ledger/{problem_id}", response_class=HTMLResponse)
def ledger_detail_page(request: Request, problem_id: int, db: Db, principal: LedgerReader) -> Response:
    problem = ledger.get_problem(db, problem_id)
    today = ledger.today_cst()
    overdue = problem.rectified_on is None and problem.deadline is not None and problem.deadline < today
    return page(
        request,
        "enforcement/ledger_detail.html",
        principal,
        title=msg.TITLE_LEDGER_DETAIL.format(id=problem.id),
        problem=problem,
        overdue_days=(today - problem.deadline).days if overdue and problem.deadline else None,
        category_zh=_label(ledger.CATEGORY_ZH, problem.category),
        source_zh=_label(ledger.SOURCE_ZH, problem.source),
        action_zh=lambda v: ledger.ACTION_ZH[ledger.ActionKind(v)],
        can_write=principal.can(Perm.LEDGER_WRITE),
        today=today,
        **_choices(),
    )


@router.post("/enforcement/ledger/{problem_id}/rectify", response_class=HTMLResponse)
async def ledger_rectify(request: Request, problem_id: int, db: Db, principal: LedgerWriter) -> Response:
    form = await request.form()
    try:
        ledger.mark_rectified(
            db,
            principal,
            problem_id,
            rectified_on=_date(form, "rectified_on") or ledger.today_cst(),
            note=_text(form, "note"),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect(f"/enforcement/ledger/{problem_id}", exc, request)
    return redirect(f"/enforcement/ledger/{problem_id}", flash=msg.FLASH_SAVED)


@router.post("/enforcement/ledger/{problem_id}/actions", response_class=HTMLResponse)
async def ledger_add_action(request: Request, problem_id: int, db: Db, principal: LedgerWriter) -> Response:
    form = await request.form()
    action = ledger.ActionInput(
        _text(form, "kind") or "",
        fine_wan=_float(form, "fine_wan"),
        decision_no=_text(form, "decision_no"),
        decided_on=_date(form, "decided_on"),
        public_summary=_text(form, "public_summary"),
        note=_text(form, "note"),
    )
    try:
        existing = next(
            (a for a in ledger.get_problem(db, problem_id).actions if a.kind == action.kind), None
        )
        if existing is not None:  # the same kind again updates it (e.g. the penalty decision once taken)
            ledger.update_action(db, principal, existing.id, action, ip=client_ip(request))
        else:
            ledger.add_action(db, principal, problem_id, action, ip=client_ip(request))
    except ValidationError as exc:
        db.rollback()
        return error_redirect(f"/enforcement/ledger/{problem_id}", exc, request)
    return redirect(f"/enforcement/ledger/{problem_id}", flash=msg.FLASH_SAVED)


# --- plans --------------------------------------------------------------------------------------------------


def _phases(text: str | None) -> list[plans.PhaseInput]:
    """Phases from lines ``名称, 开始日期, 结束日期``."""
    phases = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) != 3:
            raise ValidationError(f"第 {n} 行应为：阶段名称, 开始日期, 结束日期", location="phases")
        try:
            phases.append(
                plans.PhaseInput(parts[0], dt.date.fromisoformat(parts[1]), dt.date.fromisoformat(parts[2]))
            )
        except ValueError as exc:
            raise ValidationError(f"第 {n} 行的日期格式应为 YYYY-MM-DD", location="phases") from exc
    return phases


@router.get("/enforcement/plans", response_class=HTMLResponse)
def plans_page(request: Request, db: Db, principal: PlanReader) -> Response:
    return page(
        request,
        "enforcement/plans.html",
        principal,
        title=msg.TITLE_PLANS,
        plans=plans.list_plans(db),
        kind_zh={k.value: v for k, v in plans.PLAN_KIND_ZH.items()},
        can_manage=principal.can(Perm.PLANS_MANAGE),
        positive=plans.positive_list(db, on=ledger.today_cst()),
        enterprises=_enterprises(db),
    )


@router.post("/enforcement/plans", response_class=HTMLResponse)
async def plans_create(request: Request, db: Db, principal: PlanManager) -> Response:
    form = await request.form()
    try:
        plans.create_plan(
            db,
            principal,
            kind=_text(form, "kind") or "",
            title=_text(form, "title") or "",
            start_on=_date(form, "start_on") or ledger.today_cst(),
            end_on=_date(form, "end_on") or ledger.today_cst(),
            scope=_text(form, "scope"),
            focus=_text(form, "focus"),
            departments=_text(form, "departments"),
            planned_inspections=_int(form, "planned_inspections"),
            phases=_phases(_text(form, "phases")),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect("/enforcement/plans", exc, request)
    return redirect("/enforcement/plans", flash=msg.FLASH_SAVED)


@router.post("/enforcement/plans/positive-list", response_class=HTMLResponse)
async def positive_list_add(request: Request, db: Db, principal: PlanManager) -> Response:
    form = await request.form()
    try:
        plans.add_to_positive_list(
            db,
            principal,
            enterprise_id=_int(form, "enterprise_id") or 0,
            reason=_text(form, "reason") or "",
            valid_from=_date(form, "valid_from") or ledger.today_cst(),
            valid_until=_date(form, "valid_until"),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect("/enforcement/plans", exc, request)
    return redirect("/enforcement/plans", flash=msg.FLASH_SAVED)


# --- draws --------------------------------------------------------------------------------------------------


@router.get("/enforcement/draws", response_class=HTMLResponse)
def draws_page(request: Request, db: Db, principal: PlanReader) -> Response:
    return page(
        request,
        "enforcement/draws_list.html",
        principal,
        title=msg.TITLE_DRAWS,
        draws=draws.list_draws(db),
        plans=plans.list_plans(db),
        today=ledger.today_cst(),
        can_manage=principal.can(Perm.PLANS_MANAGE),
    )


@router.post("/enforcement/draws", response_class=HTMLResponse)
async def draws_create(request: Request, db: Db, principal: PlanManager) -> Response:
    form = await request.form()
    try:
        draw = draws.run_draw(
            db,
            principal,
            title=_text(form, "title") or "",
            drawn_on=_date(form, "drawn_on") or ledger.today_cst(),
            enterprise_count=_int(form, "enterprise_count") or 0,
            inspectors_per_enterprise=_int(form, "inspectors_per_enterprise") or 2,
            plan_id=_int(form, "plan_id"),
            seed=_text(form, "seed"),
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect("/enforcement/draws", exc, request)
    return redirect(f"/enforcement/draws/{draw.id}", flash=msg.FLASH_DRAWN.format(seed=draw.seed))


@router.get("/enforcement/draws/{draw_id}", response_class=HTMLResponse)
def draw_detail_page(request: Request, draw_id: int, db: Db, principal: PlanReader) -> Response:
    draw = draws.get_draw(db, draw_id)
    snapshot = json.loads(draw.pool_snapshot)
    return page(
        request,
        "enforcement/draws_detail.html",
        principal,
        title=msg.TITLE_DRAW.format(title=draw.title),
        draw=draw,
        params=json.loads(draw.params),
        snapshot=snapshot,
        risk_zh={r.value: label for r, label in draws.RISK_ZH.items()},
        can_manage=principal.can(Perm.PLANS_MANAGE),
        verification=None,
    )


@router.post("/enforcement/draws/{draw_id}/verify", response_class=HTMLResponse)
def draw_verify(request: Request, draw_id: int, db: Db, principal: PlanReader) -> Response:
    """Re-run from the recorded seed (从种子重新抽取复核) and show the outcome."""
    result = draws.verify_draw(db, draw_id, actor=principal, ip=client_ip(request))
    return redirect(
        f"/enforcement/draws/{draw_id}", flash=result.message_zh, level="ok" if result.ok else "error"
    )


@router.post("/enforcement/draws/{draw_id}/publish", response_class=HTMLResponse)
def draw_publish(request: Request, draw_id: int, db: Db, principal: PlanManager) -> Response:
    try:
        draws.publish_draw(db, principal, draw_id, ip=client_ip(request))
    except ValidationError as exc:
        db.rollback()
        return error_redirect(f"/enforcement/draws/{draw_id}", exc, request)
    return redirect(f"/enforcement/draws/{draw_id}", flash=msg.FLASH_PUBLISHED)


@router.post("/enforcement/draws/selections/{selection_id}/result", response_class=HTMLResponse)
async def draw_selection_result(
    request: Request, selection_id: int, db: Db, principal: PlanManager
) -> Response:
    form = await request.form()
    draw_id = _int(form, "draw_id") or 0
    try:
        draws.record_selection_result(
            db,
            principal,
            selection_id,
            inspected_on=_date(form, "inspected_on") or ledger.today_cst(),
            outcome=_text(form, "outcome") or "",
            problems_found=_int(form, "problems_found") or 0,
            ip=client_ip(request),
        )
    except ValidationError as exc:
        db.rollback()
        return error_redirect(f"/enforcement/draws/{draw_id}", exc, request)
    return redirect(f"/enforcement/draws/{draw_id}", flash=msg.FLASH_SAVED)


# --- reports ------------------------------------------------------------------------------------------------


@router.get("/enforcement/reports", response_class=HTMLResponse)
def reports_page(request: Request, db: Db, principal: ReportReader, month: str | None = None) -> Response:
    today = ledger.today_cst()
    chosen = month or f"{today.year}-{today.month:02d}"
    year, number = reports.parse_month(chosen)
    return page(
        request,
        "enforcement/reports.html",
        principal,
        title=msg.TITLE_REPORTS,
        month=chosen,
        report=reports.monthly_report(db, year=year, month=number),
        groups=reports.PART1_GROUPS,
        headers=reports.PART1_HEADERS,
        rows=reports.PART1_ROWS,
        contacts=reports.list_contacts(db),
        unit=reports.reporting_unit(db, request.app.state.settings.reporting_unit),
    )


# --- public pages -------------------------------------------------------------------------------------------


@router.get("/public/penalties", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_penalties_page(request: Request, db: Db, principal: Visitor) -> Response:
    return page(
        request,
        "enforcement/public_penalties.html",
        principal,
        title=msg.TITLE_PUBLIC_PENALTIES,
        penalties=disclosure.public_penalties(db),
    )


@router.get("/public/random-inspections", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_draws_page(request: Request, db: Db, principal: Visitor) -> Response:
    return page(
        request,
        "enforcement/public_draws.html",
        principal,
        title=msg.TITLE_PUBLIC_DRAWS,
        draws=disclosure.public_draws(db),
    )
