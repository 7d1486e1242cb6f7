"""The problem ledger (台账) of seed 001 附表2: problems, the measures taken, rectification and reminders.

Categories, sources and measures are the ones the seed's form lists (填表说明 2 and 3). Every create and
change is written to the audit trail in the caller's transaction. Input values are accepted either as the
stable English value (``water``) or as the Chinese label of the form (``水``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.audit.service import record
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.ledger import messages as msg
from ecosentinel.enforcement.ledger.models import LedgerAction, LedgerProblem
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, Point

logger = logging.getLogger(__name__)


class ProblemCategory(StrEnum):
    """问题类别 (seed 001 附表2, 填表说明 2)."""

    WATER = "water"
    AIR = "air"
    SOLID_WASTE = "solid_waste"
    PERMIT = "permit"
    CONSTRUCTION = "construction"
    PROTECTED_AREA = "protected_area"
    MONITORING = "monitoring"
    OTHER = "other"


CATEGORY_ZH: dict[ProblemCategory, str] = {
    ProblemCategory.WATER: "水",
    ProblemCategory.AIR: "大气",
    ProblemCategory.SOLID_WASTE: "固危废",
    ProblemCategory.PERMIT: "排污许可",
    ProblemCategory.CONSTRUCTION: "建设项目",
    ProblemCategory.PROTECTED_AREA: "自然保护地",
    ProblemCategory.MONITORING: "自动监控",
    ProblemCategory.OTHER: "其他",
}


CATEGORY_OF_POINT_TYPE: dict[str, ProblemCategory] = {
    "water": ProblemCategory.WATER,
    "gas": ProblemCategory.AIR,
}
"""问题类别 suggested for a problem found at a monitoring point of this type (废水 → 水, 废气 → 大气)."""


class ProblemSource(StrEnum):
    """问题来源 (seed 001 附表2, 填表说明 3)."""

    REFERRAL = "referral"
    DEPARTMENT = "department"
    BIG_DATA = "big_data"
    COMPLAINT = "complaint"
    ROUTINE = "routine"
    OTHER = "other"


SOURCE_OF_TASK: dict[str, ProblemSource] = {
    "warning": ProblemSource.BIG_DATA,
    "complaint": ProblemSource.COMPLAINT,
    "referral": ProblemSource.REFERRAL,
    "random": ProblemSource.ROUTINE,
}
"""问题来源 suggested by where the task came from (a warning of this platform is 大数据平台推动)."""

SOURCE_ZH: dict[ProblemSource, str] = {
    ProblemSource.REFERRAL: "上级转办",
    ProblemSource.DEPARTMENT: "部门移交",
    ProblemSource.BIG_DATA: "大数据平台推动",
    ProblemSource.COMPLAINT: "投诉举报",
    ProblemSource.ROUTINE: "日常排查",
    ProblemSource.OTHER: "其他",
}


class ActionKind(StrEnum):
    """Measures the form asks about, one ``是否…`` column each (in the form's column order)."""

    CRITICISM = "criticism"
    INTERVIEW = "interview"
    ORDER = "order"
    PENALTY = "penalty"
    DETENTION = "detention"
    CRIMINAL = "criminal"
    CLOSURE = "closure"


ACTION_ZH: dict[ActionKind, str] = {
    ActionKind.CRITICISM: "批评教育",
    ActionKind.INTERVIEW: "约谈并收承诺书",
    ActionKind.ORDER: "书面责令改正",
    ActionKind.PENALTY: "行政处罚",
    ActionKind.DETENTION: "移送拘留",
    ActionKind.CRIMINAL: "移送刑事案件",
    ActionKind.CLOSURE: "依法申请关停",
}

E = TypeVar("E", bound=StrEnum)


def parse_choice(enum: type[E], labels: Mapping[E, str], value: str, message: str, location: str) -> E:
    """An enum member from its value or its Chinese label; a clear error listing the choices otherwise."""
    text = value.strip()
    for member in enum:
        if text == member.value or text == labels[member]:
            return member
    allowed = "、".join(labels[m] for m in enum)
    raise ValidationError(message.format(value=value, allowed=allowed), location=location)


@dataclass(frozen=True)
class ActionInput:
    """A measure to record; ``fine_wan`` (万元) is required for 行政处罚 and only allowed there."""

    kind: str
    fine_wan: float | None = None
    decision_no: str | None = None
    decided_on: dt.date | None = None
    public_summary: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class OverdueProblem:
    """A problem whose rectification deadline has passed without completion (整改逾期提醒)."""

    problem: LedgerProblem
    days_overdue: int

    @property
    def reminder_zh(self) -> str:
        p = self.problem
        description = p.description if len(p.description) <= 40 else p.description[:40] + "…"
        return msg.OVERDUE_LINE.format(
            enterprise=p.enterprise_name,
            description=description,
            deadline=p.deadline,
            days=self.days_overdue,
            id=p.id,
        )


def today_cst() -> dt.date:
    """Today's date in China Standard Time (deadlines are calendar days in CST)."""
    return dt.datetime.now(CST).date()


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    stripped = text.strip()
    return stripped or None


def _validate_action(action: ActionInput, location: str) -> ActionKind:
    kind = parse_choice(ActionKind, ACTION_ZH, action.kind, msg.ACTION_UNKNOWN, f"{location}.kind")
    if kind is ActionKind.PENALTY:
        if action.fine_wan is None:
            raise ValidationError(msg.FINE_REQUIRED, location=f"{location}.fine_wan")
        if not action.fine_wan > 0:
            raise ValidationError(
                msg.FINE_POSITIVE.format(value=action.fine_wan), location=f"{location}.fine_wan"
            )
        if action.decided_on is not None and not _clean(action.decision_no):
            raise ValidationError(msg.DECIDED_NEEDS_NUMBER, location=f"{location}.decision_no")
    else:
        if action.fine_wan is not None:
            raise ValidationError(msg.FINE_ONLY_PENALTY, location=f"{location}.fine_wan")
        if action.decision_no or action.decided_on:
            raise ValidationError(msg.DECISION_ONLY_PENALTY, location=f"{location}.decision_no")
    return kind


def _check_actions(actions: Sequence[ActionInput], existing: Iterable[str] = ()) -> list[ActionKind]:
    seen = set(existing)
    kinds: list[ActionKind] = []
    for i, action in enumerate(actions):
        kind = _validate_action(action, f"actions[{i}]")
        if kind.value in seen:
            raise ValidationError(
                msg.ACTION_DUPLICATE.format(action=ACTION_ZH[kind]), location=f"actions[{i}]"
            )
        seen.add(kind.value)
        kinds.append(kind)
    return kinds


def _validate_problem(session: Session, problem: LedgerProblem, today: dt.date) -> None:
    """Check a problem's fields (after create or update); normalise choices and fill the enterprise name."""
    problem.category = parse_choice(
        ProblemCategory, CATEGORY_ZH, problem.category, msg.CATEGORY_UNKNOWN, "category"
    ).value
    problem.source = parse_choice(
        ProblemSource, SOURCE_ZH, problem.source, msg.SOURCE_UNKNOWN, "source"
    ).value
    problem.category_note = _clean(problem.category_note)
    problem.source_note = _clean(problem.source_note)
    if problem.category == ProblemCategory.OTHER and not problem.category_note:
        raise ValidationError(msg.CATEGORY_NOTE_REQUIRED, location="category_note")
    if problem.source == ProblemSource.OTHER and not problem.source_note:
        raise ValidationError(msg.SOURCE_NOTE_REQUIRED, location="source_note")
    if not (problem.description or "").strip():
        raise ValidationError(msg.DESCRIPTION_REQUIRED, location="description")
    problem.description = problem.description.strip()
    if problem.enterprise_id is not None:
        enterprise = session.get(Enterprise, problem.enterprise_id)
        if enterprise is None:
            raise ValidationError(
                msg.ENTERPRISE_NOT_FOUND.format(id=problem.enterprise_id), location="enterprise_id"
            )
        if not _clean(problem.enterprise_name):
            problem.enterprise_name = enterprise.name
    if not _clean(problem.enterprise_name):
        raise ValidationError(msg.ENTERPRISE_REQUIRED, location="enterprise_name")
    problem.enterprise_name = problem.enterprise_name.strip()
    if problem.point_id is not None:
        point = session.get(Point, problem.point_id)
        if point is None or (
            problem.enterprise_id is not None and point.enterprise_id != problem.enterprise_id
        ):
            raise ValidationError(
                msg.POINT_NOT_IN_ENTERPRISE.format(
                    point_id=problem.point_id, enterprise_id=problem.enterprise_id
                ),
                location="point_id",
            )
    if problem.deadline is not None and problem.deadline < problem.found_on:
        raise ValidationError(
            msg.DEADLINE_BEFORE_FOUND.format(deadline=problem.deadline, found_on=problem.found_on),
            location="deadline",
        )
    if problem.rectified_on is not None:
        if problem.rectified_on < problem.found_on:
            raise ValidationError(
                msg.RECTIFIED_BEFORE_FOUND.format(
                    rectified_on=problem.rectified_on, found_on=problem.found_on
                ),
                location="rectified_on",
            )
        if problem.rectified_on > today:
            raise ValidationError(
                msg.RECTIFIED_IN_FUTURE.format(rectified_on=problem.rectified_on), location="rectified_on"
            )


def _action_detail(action: LedgerAction) -> dict[str, Any]:
    return {
        "kind": action.kind,
        "fine_wan": action.fine_wan,
        "decision_no": action.decision_no,
        "decided_on": action.decided_on,
    }


def _new_action(
    problem: LedgerProblem, action: ActionInput, kind: ActionKind, actor: Principal
) -> LedgerAction:
    row = LedgerAction(
        kind=kind.value,
        fine_wan=action.fine_wan,
        decision_no=_clean(action.decision_no),
        decided_on=action.decided_on,
        public_summary=_clean(action.public_summary),
        note=_clean(action.note),
        created_by=actor.username,
    )
    problem.actions.append(row)
    return row


PROBLEM_FIELDS = (
    "found_on",
    "category",
    "category_note",
    "description",
    "enterprise_id",
    "enterprise_name",
    "point_id",
    "source",
    "source_note",
    "deadline",
    "rectified_on",
    "rectification_note",
    "task_id",
    "case_id",
)
"""Fields of a problem a caller may set (create) or change (update)."""


def create_problem(
    session: Session,
    actor: Principal,
    *,
    found_on: dt.date,
    category: str,
    description: str,
    source: str,
    enterprise_id: int | None = None,
    enterprise_name: str | None = None,
    point_id: int | None = None,
    category_note: str | None = None,
    source_note: str | None = None,
    deadline: dt.date | None = None,
    rectified_on: dt.date | None = None,
    rectification_note: str | None = None,
    task_id: int | None = None,
    case_id: int | None = None,
    actions: Sequence[ActionInput] = (),
    today: dt.date | None = None,
    ip: str | None = None,
) -> LedgerProblem:
    """Record a problem with its measures; raises ValidationError naming the first bad field."""
    problem = LedgerProblem(
        found_on=found_on,
        category=category,
        category_note=category_note,
        description=description,
        enterprise_id=enterprise_id,
        enterprise_name=enterprise_name or "",
        point_id=point_id,
        source=source,
        source_note=source_note,
        deadline=deadline,
        rectified_on=rectified_on,
        rectification_note=_clean(rectification_note),
        task_id=task_id,
        case_id=case_id,
        created_by=actor.username,
    )
    _validate_problem(session, problem, today or today_cst())
    kinds = _check_actions(actions)
    for action, kind in zip(actions, kinds, strict=True):
        _new_action(problem, action, kind, actor)
    session.add(problem)
    session.flush()
    record(
        session,
        actor,
        "create",
        "ledger_problem",
        problem.id,
        msg.AUDIT_PROBLEM_CREATED.format(id=problem.id, enterprise=problem.enterprise_name),
        {
            "category": problem.category,
            "source": problem.source,
            "enterprise_id": problem.enterprise_id,
            "deadline": problem.deadline,
            "actions": [_action_detail(a) for a in problem.actions],
        },
        ip=ip,
    )
    logger.info("ledger problem %s created by %s", problem.id, actor.username)
    return problem


def get_problem(session: Session, problem_id: int) -> LedgerProblem:
    """One problem with its measures, or NotFoundError."""
    problem = session.get(LedgerProblem, problem_id, options=[selectinload(LedgerProblem.actions)])
    if problem is None:
        raise NotFoundError(msg.PROBLEM_NOT_FOUND.format(id=problem_id))
    return problem


def update_problem(
    session: Session,
    actor: Principal,
    problem_id: int,
    changes: Mapping[str, Any],
    *,
    today: dt.date | None = None,
    ip: str | None = None,
) -> LedgerProblem:
    """Change some fields of a problem (keys from ``PROBLEM_FIELDS``); the whole problem is re-validated."""
    problem = get_problem(session, problem_id)
    before: dict[str, Any] = {}
    for key, value in changes.items():
        if key not in PROBLEM_FIELDS:
            raise ValidationError(f"unknown field {key}", location=key)
        old = getattr(problem, key)
        if old != value:
            before[key] = old
            setattr(problem, key, value)
    if "enterprise_id" in before and "enterprise_name" not in changes:
        problem.enterprise_name = ""  # re-filled from the new enterprise
    _validate_problem(session, problem, today or today_cst())
    if before:
        session.flush()
        record(
            session,
            actor,
            "update",
            "ledger_problem",
            problem.id,
            msg.AUDIT_PROBLEM_UPDATED.format(id=problem.id),
            {"before": before, "after": {k: getattr(problem, k) for k in before}},
            ip=ip,
        )
    return problem


def mark_rectified(
    session: Session,
    actor: Principal,
    problem_id: int,
    *,
    rectified_on: dt.date,
    note: str | None = None,
    today: dt.date | None = None,
    ip: str | None = None,
) -> LedgerProblem:
    """Record that a problem's rectification was completed (完成整改) on ``rectified_on``."""
    problem = get_problem(session, problem_id)
    problem.rectified_on = rectified_on
    problem.rectification_note = _clean(note) or problem.rectification_note
    _validate_problem(session, problem, today or today_cst())
    session.flush()
    record(
        session,
        actor,
        "rectify",
        "ledger_problem",
        problem.id,
        msg.AUDIT_PROBLEM_RECTIFIED.format(id=problem.id, date=rectified_on),
        {"rectified_on": rectified_on, "note": problem.rectification_note},
        ip=ip,
    )
    return problem


def add_action(
    session: Session, actor: Principal, problem_id: int, action: ActionInput, *, ip: str | None = None
) -> LedgerAction:
    """Add one measure to a problem (each kind at most once per problem)."""
    problem = get_problem(session, problem_id)
    (kind,) = _check_actions([action], existing=(a.kind for a in problem.actions))
    row = _new_action(problem, action, kind, actor)
    session.flush()
    record(
        session,
        actor,
        "create",
        "ledger_action",
        row.id,
        msg.AUDIT_ACTION_ADDED.format(problem_id=problem.id, action=ACTION_ZH[kind]),
        _action_detail(row),
        ip=ip,
    )
    return row


def update_action(
    session: Session, actor: Principal, action_id: int, action: ActionInput, *, ip: str | None = None
) -> LedgerAction:
    """Replace the details of a measure (e.g. the penalty decision once taken); the kind cannot change."""
    row = session.get(LedgerAction, action_id)
    if row is None:
        raise NotFoundError(msg.ACTION_NOT_FOUND.format(id=action_id))
    kind = _validate_action(action, "action")
    if kind.value != row.kind:
        others = [a.kind for a in row.problem.actions if a.id != row.id]
        _check_actions([action], existing=others)
    before = _action_detail(row)
    row.kind = kind.value
    row.fine_wan = action.fine_wan
    row.decision_no = _clean(action.decision_no)
    row.decided_on = action.decided_on
    row.public_summary = _clean(action.public_summary)
    row.note = _clean(action.note)
    session.flush()
    record(
        session,
        actor,
        "update",
        "ledger_action",
        row.id,
        msg.AUDIT_ACTION_UPDATED.format(problem_id=row.problem_id, action=ACTION_ZH[kind]),
        {"before": before, "after": _action_detail(row)},
        ip=ip,
    )
    return row


def list_problems(
    session: Session,
    *,
    year: int | None = None,
    found_until: dt.date | None = None,
    enterprise_id: int | None = None,
    category: str | None = None,
    source: str | None = None,
    open_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[LedgerProblem]:
    """Problems in ledger order (date found, then id), filtered."""
    query = sa.select(LedgerProblem).options(selectinload(LedgerProblem.actions))
    if year is not None:
        query = query.where(
            LedgerProblem.found_on >= dt.date(year, 1, 1), LedgerProblem.found_on <= dt.date(year, 12, 31)
        )
    if found_until is not None:
        query = query.where(LedgerProblem.found_on <= found_until)
    if enterprise_id is not None:
        query = query.where(LedgerProblem.enterprise_id == enterprise_id)
    if category is not None:
        cat = parse_choice(ProblemCategory, CATEGORY_ZH, category, msg.CATEGORY_UNKNOWN, "category")
        query = query.where(LedgerProblem.category == cat.value)
    if source is not None:
        src = parse_choice(ProblemSource, SOURCE_ZH, source, msg.SOURCE_UNKNOWN, "source")
        query = query.where(LedgerProblem.source == src.value)
    if open_only:
        query = query.where(LedgerProblem.rectified_on.is_(None))
    query = query.order_by(LedgerProblem.found_on, LedgerProblem.id).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def overdue_problems(session: Session, *, today: dt.date | None = None) -> list[OverdueProblem]:
    """Problems past their rectification deadline and not rectified, most overdue first (整改逾期提醒)."""
    day = today or today_cst()
    query = (
        sa.select(LedgerProblem)
        .options(selectinload(LedgerProblem.actions))
        .where(LedgerProblem.rectified_on.is_(None), LedgerProblem.deadline < day)
        .order_by(LedgerProblem.deadline, LedgerProblem.id)
    )
    return [OverdueProblem(p, (day - p.deadline).days) for p in session.scalars(query) if p.deadline]


def action_of(problem: LedgerProblem, kind: ActionKind) -> LedgerAction | None:
    """The problem's measure of ``kind``, if taken."""
    return next((a for a in problem.actions if a.kind == kind.value), None)
