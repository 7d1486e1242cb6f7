"""JSON API of the problem ledger, plans, double-random draws, report forms (/api/enforcement) and public
disclosure (/api/public). Routes are thin: they parse, check the permission, call a service, shape the answer.

``router`` carries both prefixes; include it as it is (no extra prefix).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import disclosure, draws, plans, reports
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.enforcement.ledger.models import (
    DrawSelection,
    InspectionPlan,
    LedgerAction,
    LedgerProblem,
    PositiveListEntry,
    RandomDraw,
    ReportContact,
)
from ecosentinel.web.deps import client_ip, get_db, public, require
from ecosentinel.web.paging import Page
from ecosentinel.web.paging import page_of as _page

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

staff = APIRouter(prefix="/api/enforcement", tags=["enforcement: ledger, plans, draws, reports"])
public_api = APIRouter(prefix="/api/public", tags=["public disclosure"])

Db = Annotated[Session, Depends(get_db, scope="function")]
LedgerReader = Annotated[Principal, Depends(require(Perm.LEDGER_READ))]
LedgerWriter = Annotated[Principal, Depends(require(Perm.LEDGER_WRITE))]
PlanReader = Annotated[Principal, Depends(require(Perm.PLANS_READ))]
PlanManager = Annotated[Principal, Depends(require(Perm.PLANS_MANAGE))]
ReportReader = Annotated[Principal, Depends(require(Perm.REPORTS_READ))]

# --- schemas ------------------------------------------------------------------------------------------------


class ActionIn(BaseModel):
    kind: str = Field(
        description="criticism|interview|order|penalty|detention|criminal|closure, or the Chinese label"
    )
    fine_wan: float | None = Field(None, description="罚款金额（万元）; required for penalty")
    decision_no: str | None = None
    decided_on: dt.date | None = None
    public_summary: str | None = None
    note: str | None = None

    def to_input(self) -> ledger.ActionInput:
        return ledger.ActionInput(**self.model_dump())


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    kind_zh: str
    fine_wan: float | None
    decision_no: str | None
    decided_on: dt.date | None
    public_summary: str | None
    note: str | None
    created_by: str

    @classmethod
    def of(cls, action: LedgerAction) -> ActionOut:
        return cls.model_validate(
            {**_columns(action), "kind_zh": ledger.ACTION_ZH[ledger.ActionKind(action.kind)]}
        )


class ProblemIn(BaseModel):
    found_on: dt.date
    category: str = Field(
        description="water|air|solid_waste|permit|construction|protected_area|monitoring|other"
    )
    category_note: str | None = None
    description: str
    enterprise_id: int | None = None
    enterprise_name: str | None = None
    point_id: int | None = None
    source: str = Field(description="referral|department|big_data|complaint|routine|other")
    source_note: str | None = None
    deadline: dt.date | None = None
    rectified_on: dt.date | None = None
    rectification_note: str | None = None
    task_id: int | None = None
    case_id: int | None = None
    actions: list[ActionIn] = []


class ProblemPatch(BaseModel):
    found_on: dt.date | None = None
    category: str | None = None
    category_note: str | None = None
    description: str | None = None
    enterprise_id: int | None = None
    enterprise_name: str | None = None
    point_id: int | None = None
    source: str | None = None
    source_note: str | None = None
    deadline: dt.date | None = None
    rectified_on: dt.date | None = None
    rectification_note: str | None = None
    task_id: int | None = None
    case_id: int | None = None


class ProblemOut(BaseModel):
    id: int
    found_on: dt.date
    category: str
    category_zh: str
    category_note: str | None
    description: str
    enterprise_id: int | None
    enterprise_name: str
    point_id: int | None
    source: str
    source_zh: str
    source_note: str | None
    deadline: dt.date | None
    rectified_on: dt.date | None
    rectification_note: str | None
    task_id: int | None
    case_id: int | None
    overdue_days: int | None
    created_by: str
    actions: list[ActionOut]

    @classmethod
    def of(cls, problem: LedgerProblem, today: dt.date | None = None) -> ProblemOut:
        day = today or ledger.today_cst()
        overdue = (
            (day - problem.deadline).days
            if problem.deadline is not None and problem.rectified_on is None and problem.deadline < day
            else None
        )
        return cls.model_validate(
            {
                **_columns(problem),
                "category_zh": ledger.CATEGORY_ZH[ledger.ProblemCategory(problem.category)],
                "source_zh": ledger.SOURCE_ZH[ledger.ProblemSource(problem.source)],
                "overdue_days": overdue,
                "actions": [ActionOut.of(a) for a in problem.actions],
            }
        )


class RectifyIn(BaseModel):
    rectified_on: dt.date
    note: str | None = None


class OverdueOut(BaseModel):
    problem: ProblemOut
    days_overdue: int
    reminder: str


class PhaseIn(BaseModel):
    name: str
    start_on: dt.date
    end_on: dt.date
    description: str | None = None


class PhaseOut(PhaseIn):
    model_config = ConfigDict(from_attributes=True)

    seq: int


class PlanIn(BaseModel):
    kind: str = Field(description="annual|special (年度计划|专项计划)")
    title: str
    start_on: dt.date
    end_on: dt.date
    scope: str | None = None
    focus: str | None = None
    departments: str | None = None
    planned_inspections: int | None = None
    phases: list[PhaseIn] = []


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    year: int
    kind: str
    title: str
    scope: str | None
    focus: str | None
    departments: str | None
    start_on: dt.date
    end_on: dt.date
    planned_inspections: int | None
    created_by: str
    phases: list[PhaseOut]


class PositiveListIn(BaseModel):
    enterprise_id: int
    reason: str
    valid_from: dt.date
    valid_until: dt.date | None = None


class PositiveListOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    reason: str
    valid_from: dt.date
    valid_until: dt.date | None
    created_by: str


class EndIn(BaseModel):
    valid_until: dt.date


class DrawIn(BaseModel):
    title: str
    drawn_on: dt.date
    enterprise_count: int
    inspectors_per_enterprise: int = 2
    plan_id: int | None = None
    seed: str | None = Field(None, description="hex; a fresh random seed when omitted")
    weights: dict[str, int] = Field(
        default_factory=dict, description="risk class → integer weight (high, flagged, normal)"
    )
    risk_window_days: int = draws.DEFAULT_RISK_WINDOW_DAYS
    enterprise_ids: list[int] | None = Field(None, description="restrict the pool to these enterprises")


class InspectorOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    display_name: str


class SelectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rank: int
    enterprise_id: int
    enterprise_name: str
    task_id: int | None
    inspected_on: dt.date | None
    outcome: str | None
    problems_found: int | None
    inspectors: list[InspectorOut]


class DrawOut(BaseModel):
    id: int
    plan_id: int | None
    title: str
    drawn_on: dt.date
    drawn_at: dt.datetime
    drawn_by: str
    algorithm: str
    seed: str
    params: dict[str, Any]
    snapshot_hash: str
    result_hash: str
    published_at: dt.datetime | None
    selections: list[SelectionOut]
    pool_snapshot: dict[str, Any] | None = None

    @classmethod
    def of(cls, draw: RandomDraw, *, with_snapshot: bool = False) -> DrawOut:
        values = _columns(draw)
        values["params"] = json.loads(draw.params)
        values["pool_snapshot"] = json.loads(draw.pool_snapshot) if with_snapshot else None
        values["selections"] = [SelectionOut.model_validate(s) for s in draw.selections]
        return cls.model_validate(values)


class VerifyOut(BaseModel):
    draw_id: int
    ok: bool
    seed: str
    recorded_hash: str
    recomputed_hash: str | None
    message: str


class SelectionResultIn(BaseModel):
    inspected_on: dt.date
    outcome: str
    problems_found: int = 0


class TasksIn(BaseModel):
    deadline: dt.datetime | None = None


class CountsOut(BaseModel):
    planned: int
    completed: int
    found: int
    rectified: int


class MonthlyOut(BaseModel):
    year: int
    month: int
    this_month: CountsOut
    total: CountsOut
    headers: list[str]
    rows: list[list[Any]]


class ContactIn(BaseModel):
    name: str
    unit: str
    position: str | None = None
    phone: str | None = None
    seq: int | None = None


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    seq: int
    name: str
    unit: str
    position: str | None
    phone: str | None


class MonthRowOut(BaseModel):
    month: int
    counts: CountsOut
    penalties: int
    fines_wan: float


class BreakdownOut(BaseModel):
    label: str
    found: int
    rectified: int
    open: int
    overdue: int


class YearOut(BaseModel):
    year: int
    months: list[MonthRowOut]
    by_category: list[BreakdownOut]
    by_source: list[BreakdownOut]
    total: CountsOut
    penalties: int
    fines_wan: float


def _columns(row: object) -> dict[str, Any]:
    table = row.__table__  # type: ignore[attr-defined]
    return {c.key: getattr(row, c.key) for c in table.columns}


def _counts(c: reports.Counts) -> CountsOut:
    return CountsOut(planned=c.planned, completed=c.completed, found=c.found, rectified=c.rectified)


# --- ledger -------------------------------------------------------------------------------------------------


@staff.get("/ledger", response_model=Page[ProblemOut])
def list_ledger(
    db: Db,
    principal: LedgerReader,
    year: int | None = None,
    enterprise_id: int | None = None,
    category: str | None = None,
    source: str | None = None,
    open_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[ProblemOut]:
    """The problem ledger (现场检查发现问题台账), in order found."""
    problems = ledger.list_problems(
        db,
        year=year,
        enterprise_id=enterprise_id,
        category=category,
        source=source,
        open_only=open_only,
        limit=limit,
        offset=offset,
    )
    return _page([ProblemOut.of(p) for p in problems], limit, offset)


@staff.post("/ledger", response_model=ProblemOut, status_code=201)
def create_ledger_problem(body: ProblemIn, request: Request, db: Db, principal: LedgerWriter) -> ProblemOut:
    """Record a problem and its measures (行政处罚 needs the fine in 万元)."""
    fields = body.model_dump(exclude={"actions"})
    problem = ledger.create_problem(
        db, principal, **fields, actions=[a.to_input() for a in body.actions], ip=client_ip(request)
    )
    return ProblemOut.of(problem)


@staff.get("/ledger/overdue", response_model=list[OverdueOut])
def list_overdue(db: Db, principal: LedgerReader, today: dt.date | None = None) -> list[OverdueOut]:
    """Problems past their rectification deadline and not rectified (整改逾期提醒), most overdue first."""
    return [
        OverdueOut(
            problem=ProblemOut.of(o.problem, today), days_overdue=o.days_overdue, reminder=o.reminder_zh
        )
        for o in ledger.overdue_problems(db, today=today)
    ]


@staff.get("/ledger/{problem_id}", response_model=ProblemOut)
def get_ledger_problem(problem_id: int, db: Db, principal: LedgerReader) -> ProblemOut:
    return ProblemOut.of(ledger.get_problem(db, problem_id))


@staff.patch("/ledger/{problem_id}", response_model=ProblemOut)
def patch_ledger_problem(
    problem_id: int, body: ProblemPatch, request: Request, db: Db, principal: LedgerWriter
) -> ProblemOut:
    """Change some fields of a problem (only those sent)."""
    problem = ledger.update_problem(
        db, principal, problem_id, body.model_dump(exclude_unset=True), ip=client_ip(request)
    )
    return ProblemOut.of(problem)


@staff.post("/ledger/{problem_id}/rectify", response_model=ProblemOut)
def rectify_ledger_problem(
    problem_id: int, body: RectifyIn, request: Request, db: Db, principal: LedgerWriter
) -> ProblemOut:
    """Record that the rectification was completed (完成整改)."""
    problem = ledger.mark_rectified(
        db, principal, problem_id, rectified_on=body.rectified_on, note=body.note, ip=client_ip(request)
    )
    return ProblemOut.of(problem)


@staff.post("/ledger/{problem_id}/actions", response_model=ActionOut, status_code=201)
def add_ledger_action(
    problem_id: int, body: ActionIn, request: Request, db: Db, principal: LedgerWriter
) -> ActionOut:
    """Add a measure (批评教育, 约谈, 责令改正, 行政处罚 …) to a problem."""
    return ActionOut.of(ledger.add_action(db, principal, problem_id, body.to_input(), ip=client_ip(request)))


@staff.put("/ledger/actions/{action_id}", response_model=ActionOut)
def update_ledger_action(
    action_id: int, body: ActionIn, request: Request, db: Db, principal: LedgerWriter
) -> ActionOut:
    """Replace a measure's details (e.g. the penalty decision number and date once decided)."""
    return ActionOut.of(
        ledger.update_action(db, principal, action_id, body.to_input(), ip=client_ip(request))
    )


# --- plans and positive list --------------------------------------------------------------------------------


def _plan_out(plan: InspectionPlan) -> PlanOut:
    return PlanOut.model_validate(plan)


@staff.get("/plans", response_model=Page[PlanOut])
def list_plans(db: Db, principal: PlanReader, year: int | None = None) -> Page[PlanOut]:
    return _page([_plan_out(p) for p in plans.list_plans(db, year=year)])


@staff.post("/plans", response_model=PlanOut, status_code=201)
def create_plan(body: PlanIn, request: Request, db: Db, principal: PlanManager) -> PlanOut:
    """Create an annual or special inspection plan with its phases."""
    fields = body.model_dump(exclude={"phases"})
    phases = [plans.PhaseInput(**p.model_dump()) for p in body.phases]
    return _plan_out(plans.create_plan(db, principal, **fields, phases=phases, ip=client_ip(request)))


@staff.get("/plans/{plan_id}", response_model=PlanOut)
def get_plan(plan_id: int, db: Db, principal: PlanReader) -> PlanOut:
    return _plan_out(plans.get_plan(db, plan_id))


def _entry_out(entry: PositiveListEntry) -> PositiveListOut:
    return PositiveListOut.model_validate(entry)


@staff.get("/positive-list", response_model=Page[PositiveListOut])
def list_positive(db: Db, principal: PlanReader, on: dt.date | None = None) -> Page[PositiveListOut]:
    """The positive list (正面清单); with ``on``, only entries valid that day."""
    return _page([_entry_out(e) for e in plans.positive_list(db, on=on)])


@staff.post("/positive-list", response_model=PositiveListOut, status_code=201)
def add_positive(body: PositiveListIn, request: Request, db: Db, principal: PlanManager) -> PositiveListOut:
    return _entry_out(plans.add_to_positive_list(db, principal, **body.model_dump(), ip=client_ip(request)))


@staff.post("/positive-list/{entry_id}/end", response_model=PositiveListOut)
def end_positive(
    entry_id: int, body: EndIn, request: Request, db: Db, principal: PlanManager
) -> PositiveListOut:
    return _entry_out(
        plans.end_positive_list_entry(db, principal, entry_id, until=body.valid_until, ip=client_ip(request))
    )


# --- draws --------------------------------------------------------------------------------------------------


@staff.get("/draws", response_model=Page[DrawOut])
def list_draws(db: Db, principal: PlanReader, plan_id: int | None = None) -> Page[DrawOut]:
    return _page([DrawOut.of(d) for d in draws.list_draws(db, plan_id=plan_id)])


@staff.post("/draws", response_model=DrawOut, status_code=201)
def create_draw(body: DrawIn, request: Request, db: Db, principal: PlanManager) -> DrawOut:
    """Run a double-random draw; the seed, pool snapshot and result are recorded for verification."""
    draw = draws.run_draw(db, principal, **body.model_dump(), ip=client_ip(request))
    return DrawOut.of(draw, with_snapshot=True)


@staff.get("/draws/{draw_id}", response_model=DrawOut)
def get_draw(draw_id: int, db: Db, principal: PlanReader) -> DrawOut:
    """A draw with its parameters, pool snapshot (who was eligible, with what weight) and selections."""
    return DrawOut.of(draws.get_draw(db, draw_id), with_snapshot=True)


@staff.post("/draws/{draw_id}/verify", response_model=VerifyOut)
def verify_draw(draw_id: int, request: Request, db: Db, principal: PlanReader) -> VerifyOut:
    """Re-run the draw from its recorded seed and snapshot and compare (复核)."""
    result = draws.verify_draw(db, draw_id, actor=principal, ip=client_ip(request))
    return VerifyOut(
        draw_id=result.draw_id,
        ok=result.ok,
        seed=result.seed,
        recorded_hash=result.recorded_hash,
        recomputed_hash=result.recomputed_hash,
        message=result.message_zh,
    )


@staff.post("/draws/{draw_id}/publish", response_model=DrawOut)
def publish_draw(draw_id: int, request: Request, db: Db, principal: PlanManager) -> DrawOut:
    """Publish the draw's result on the public pages (一公开)."""
    return DrawOut.of(draws.publish_draw(db, principal, draw_id, ip=client_ip(request)))


@staff.post("/draws/{draw_id}/tasks", response_model=list[int])
def create_draw_tasks(
    draw_id: int, body: TasksIn, request: Request, db: Db, principal: PlanManager
) -> list[int]:
    """Create one enforcement task per drawn enterprise (when the task service is installed)."""
    return draws.create_tasks_for_draw(db, principal, draw_id, deadline=body.deadline, ip=client_ip(request))


@staff.put("/draws/selections/{selection_id}/result", response_model=SelectionOut)
def record_selection_result(
    selection_id: int, body: SelectionResultIn, request: Request, db: Db, principal: PlanManager
) -> SelectionOut:
    """Record the inspection outcome of a drawn enterprise."""
    selection: DrawSelection = draws.record_selection_result(
        db, principal, selection_id, **body.model_dump(), ip=client_ip(request)
    )
    return SelectionOut.model_validate(selection)


# --- report forms -------------------------------------------------------------------------------------------


@staff.get("/reports/monthly", response_model=MonthlyOut)
def monthly_report(
    db: Db, principal: ReportReader, month: Annotated[str, Query(description="YYYY-MM")]
) -> MonthlyOut:
    """The figures of the monthly report form (seed 001 附表2) as JSON."""
    year, number = reports.parse_month(month)
    report = reports.monthly_report(db, year=year, month=number)
    rows = [reports.detail_row(p, i, report.as_of) for i, p in enumerate(report.problems, start=1)]
    return MonthlyOut(
        year=year,
        month=number,
        this_month=_counts(report.this_month),
        total=_counts(report.total),
        headers=list(reports.PART2_HEADERS),
        rows=rows,
    )


def _xlsx(content: bytes, filename: str) -> Response:
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}"},
    )


@staff.get("/reports/monthly.xlsx", response_class=Response)
def monthly_report_xlsx(
    request: Request,
    db: Db,
    principal: ReportReader,
    month: Annotated[str, Query(description="YYYY-MM")],
    unit: str = "",
    filler: str = "",
    phone: str = "",
) -> Response:
    """The monthly report form (附表2, with the 附表1 contacts) as an Excel workbook."""
    year, number = reports.parse_month(month)
    unit = unit.strip() or reports.reporting_unit(db, request.app.state.settings.reporting_unit)
    workbook = reports.monthly_workbook(db, year=year, month=number, unit=unit, filler=filler, phone=phone)
    reports.record_export(db, principal, f"{year}-{number:02d}", ip=client_ip(request))
    return _xlsx(reports.workbook_bytes(workbook), f"monthly-{year}-{number:02d}.xlsx")


@staff.get("/reports/year", response_model=YearOut)
def year_report(db: Db, principal: ReportReader, year: int) -> YearOut:
    """The year summary: month by month, and problems by category and by source."""
    summary = reports.year_summary(db, year=year)
    return YearOut(
        year=year,
        months=[
            MonthRowOut(month=m, counts=_counts(c), penalties=p, fines_wan=f) for m, c, p, f in summary.months
        ],
        by_category=[
            BreakdownOut(label=r[0], found=r[1], rectified=r[2], open=r[3], overdue=r[4])
            for r in summary.by_category
        ],
        by_source=[
            BreakdownOut(label=r[0], found=r[1], rectified=r[2], open=r[3], overdue=r[4])
            for r in summary.by_source
        ],
        total=_counts(summary.total),
        penalties=summary.penalties,
        fines_wan=summary.fines_wan,
    )


@staff.get("/reports/year.xlsx", response_class=Response)
def year_report_xlsx(
    request: Request, db: Db, principal: ReportReader, year: int, unit: str = ""
) -> Response:
    workbook = reports.year_workbook(db, year=year, unit=unit)
    reports.record_export(db, principal, str(year), ip=client_ip(request))
    return _xlsx(reports.workbook_bytes(workbook), f"year-{year}.xlsx")


@staff.get("/reports/contacts", response_model=Page[ContactOut])
def list_contacts(db: Db, principal: ReportReader) -> Page[ContactOut]:
    """The contacts list of 附表1."""
    return _page([ContactOut.model_validate(c) for c in reports.list_contacts(db)])


@staff.post("/reports/contacts", response_model=ContactOut, status_code=201)
def add_contact(body: ContactIn, request: Request, db: Db, principal: LedgerWriter) -> ContactOut:
    contact: ReportContact = reports.save_contact(db, principal, **body.model_dump(), ip=client_ip(request))
    return ContactOut.model_validate(contact)


@staff.get("/reports/contacts.xlsx", response_class=Response)
def contacts_xlsx(db: Db, principal: ReportReader, unit: str = "") -> Response:
    return _xlsx(reports.workbook_bytes(reports.contacts_workbook(db, unit=unit)), "contacts.xlsx")


# --- public disclosure --------------------------------------------------------------------------------------


@public_api.get("/penalties", response_model=Page[disclosure.PublicPenalty], dependencies=[Depends(public)])
def public_penalties(db: Db, year: int | None = None) -> Page[disclosure.PublicPenalty]:
    """Published administrative penalties (行政处罚信息公开)."""
    return _page(disclosure.public_penalties(db, year=year))


@public_api.get(
    "/random-inspections", response_model=Page[disclosure.PublicDraw], dependencies=[Depends(public)]
)
def public_random_inspections(db: Db) -> Page[disclosure.PublicDraw]:
    """Published double-random inspections and their results (双随机抽查结果公开)."""
    return _page(disclosure.public_draws(db))


router = APIRouter()
router.include_router(staff)
router.include_router(public_api)
