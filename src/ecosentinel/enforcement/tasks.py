"""Enforcement tasks (执法任务, 指挥调度派发, seed 003): from a warning, a 12369 complaint, a superior's
referral or a random draw, dispatched to an inspection team of officers with a deadline.

States: pending (待派发) → dispatched (已派发) → in_progress (处理中) → completed (已完成); a team may
return a task (已退回) and a dispatcher may reassign or cancel it. Every change is a ``TaskHistory`` row
and an audit entry.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Perm, Role
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import messages
from ecosentinel.enforcement.models import Task, TaskHistory, TaskMember, TaskSource, TaskStatus
from ecosentinel.enforcement.warnings import OPEN_STATUSES, get_warning, mark_escalated
from ecosentinel.errors import NotFoundError, PermissionDeniedError, ValidationError
from ecosentinel.registry.models import Enterprise, Point

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Move:
    """One task action: the statuses it may start from, where it leads, and what it needs."""

    sources: frozenset[TaskStatus]
    target: TaskStatus
    perm: Perm
    note_required: bool = False
    member_only: bool = False


MOVES: dict[str, Move] = {
    "dispatch": Move(
        frozenset({TaskStatus.PENDING, TaskStatus.RETURNED}), TaskStatus.DISPATCHED, Perm.TASKS_DISPATCH
    ),
    "reassign": Move(
        frozenset({TaskStatus.DISPATCHED, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED}),
        TaskStatus.DISPATCHED,
        Perm.TASKS_DISPATCH,
        note_required=True,
    ),
    "start": Move(
        frozenset({TaskStatus.DISPATCHED}), TaskStatus.IN_PROGRESS, Perm.INSPECTIONS_WRITE, member_only=True
    ),
    "complete": Move(
        frozenset({TaskStatus.IN_PROGRESS}),
        TaskStatus.COMPLETED,
        Perm.INSPECTIONS_WRITE,
        note_required=True,
        member_only=True,
    ),
    "return": Move(
        frozenset({TaskStatus.DISPATCHED, TaskStatus.IN_PROGRESS}),
        TaskStatus.RETURNED,
        Perm.INSPECTIONS_WRITE,
        note_required=True,
        member_only=True,
    ),
    "cancel": Move(
        frozenset({TaskStatus.PENDING, TaskStatus.DISPATCHED, TaskStatus.RETURNED}),
        TaskStatus.CANCELLED,
        Perm.TASKS_DISPATCH,
        note_required=True,
    ),
}
"""The task state machine, by action."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def officers(session: Session) -> list[User]:
    """Active users with the officer role (who can form an inspection team)."""
    return list(
        session.scalars(
            sa.select(User).where(User.role == Role.OFFICER.value, User.active.is_(True)).order_by(User.id)
        )
    )


def _team(session: Session, assignees: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(assignees))
    if not ids:
        raise ValidationError(messages.TASK_ASSIGNEES_REQUIRED, location="assignees")
    found = {u.id: u for u in session.scalars(sa.select(User).where(User.id.in_(ids)))}
    for i, user_id in enumerate(ids):
        user = found.get(user_id)
        if user is None or not user.active or user.role != Role.OFFICER.value:
            raise ValidationError(
                messages.TASK_ASSIGNEE_NOT_OFFICER.format(id=user_id), location=f"assignees[{i}]"
            )
    return ids


def _deadline(deadline: dt.datetime | None) -> dt.datetime | None:
    if deadline is None:
        return None
    if deadline.tzinfo is None or deadline.utcoffset() is None:
        raise ValidationError(messages.TASK_DEADLINE_NAIVE, location="deadline")
    if deadline <= _now():
        raise ValidationError(messages.TASK_DEADLINE_PAST, location="deadline")
    return deadline.astimezone(dt.UTC)


def _set_team(session: Session, task: Task, ids: Sequence[int]) -> None:
    task.members.clear()
    session.flush()  # delete the old team before inserting the new one (same officer may stay)
    for i, user_id in enumerate(ids):
        task.members.append(TaskMember(user_id=user_id, leader=i == 0))


def _log(
    session: Session,
    actor: Principal,
    task: Task,
    action: str,
    before: str | None,
    note: str | None,
    ip: str | None,
    detail: dict[str, object] | None = None,
) -> None:
    task.history.append(
        TaskHistory(
            at=_now(),
            actor=actor.username,
            actor_id=actor.user_id,
            action=action,
            from_status=before,
            to_status=task.status,
            note=note,
        )
    )
    session.flush()
    summary = messages.TASK_CHANGED_SUMMARY.format(
        id=task.id,
        action=messages.TASK_ACTION_NAMES[action],
        from_status=messages.TASK_STATUS_NAMES.get(before or "", "—"),
        to_status=messages.TASK_STATUS_NAMES[task.status],
    )
    record(
        session,
        actor,
        action,
        "task",
        task.id,
        summary,
        {"from": before, "to": task.status, "note": note, **(detail or {})},
        ip=ip,
    )


def create_task(
    session: Session,
    actor: Principal,
    *,
    source: TaskSource | str,
    title: str | None = None,
    description: str = "",
    source_ref: str | None = None,
    warning_id: int | None = None,
    enterprise_id: int | None = None,
    point_id: int | None = None,
    deadline: dt.datetime | None = None,
    assignees: Sequence[int] = (),
    ip: str | None = None,
) -> Task:
    """Create a task; with ``assignees`` it is dispatched at once (needs tasks.dispatch), else pending.

    From a warning (``source=warning``) the warning becomes escalated and lends its point and enterprise;
    a patrol with only warnings.triage may ask for a task this way (pending, for a dispatcher to assign).
    Complaints, referrals and random draws need ``source_ref`` (complaint no., referral doc no., draw id).
    """
    try:
        source = TaskSource(source)
    except ValueError as exc:
        raise ValidationError(f"未知的任务来源 {source}", location="source") from exc
    warning = None
    if source is TaskSource.WARNING:
        if warning_id is None:
            raise ValidationError(messages.TASK_WARNING_REQUIRED, location="warning_id")
        actor.require(Perm.WARNINGS_TRIAGE)
        warning = get_warning(session, actor, warning_id)
        if warning.status not in OPEN_STATUSES:
            raise ValidationError(
                messages.WARNING_ILLEGAL_TRANSITION.format(
                    current=messages.WARNING_STATUS_NAMES[warning.status],
                    target=messages.WARNING_STATUS_NAMES["escalated"],
                ),
                location="warning_id",
            )
        point_id = point_id or warning.point_id
        enterprise_id = enterprise_id or warning.enterprise_id
        if not title:
            point_name = session.scalar(sa.select(Point.name).where(Point.mn == warning.mn)) or warning.mn
            title = messages.TASK_FROM_WARNING_TITLE.format(
                colour=messages.COLOUR_NAMES[warning.colour], id=warning.id, point=point_name
            )
        description = description or warning.summary_zh
    else:
        actor.require(Perm.TASKS_DISPATCH)
        if not (source_ref or "").strip():
            raise ValidationError(
                messages.TASK_SOURCE_REF_REQUIRED.format(source=messages.TASK_SOURCE_NAMES[source.value]),
                location="source_ref",
            )
    title = (title or "").strip()
    if not title:
        raise ValidationError(messages.TASK_TITLE_REQUIRED, location="title")
    if point_id is not None:
        point = session.get(Point, point_id)
        if point is None:
            raise ValidationError(f"点位 {point_id} 不存在", location="point_id")
        enterprise_id = enterprise_id or point.enterprise_id
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise ValidationError(f"企业 {enterprise_id} 不存在", location="enterprise_id")
    team = _team(session, assignees) if assignees else []
    if team:
        actor.require(Perm.TASKS_DISPATCH)
    now = _now()
    task = Task(
        title=title,
        source=source.value,
        source_ref=(source_ref or "").strip() or None,
        warning_id=warning.id if warning else None,
        enterprise_id=enterprise_id,
        point_id=point_id,
        description=description,
        status=TaskStatus.PENDING.value,
        deadline=_deadline(deadline),
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    session.flush()
    _log(
        session,
        actor,
        task,
        "create",
        None,
        None,
        ip,
        {"source": source.value, "source_ref": task.source_ref},
    )
    if team:
        _set_team(session, task, team)
        task.status = TaskStatus.DISPATCHED.value
        _log(session, actor, task, "dispatch", TaskStatus.PENDING.value, None, ip, {"assignees": team})
    if warning is not None:
        mark_escalated(session, actor, warning, task.id, ip=ip)
    logger.info("task %d created from %s", task.id, source.value)
    return task


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFoundError(messages.TASK_NOT_FOUND.format(id=task_id))
    return task


def list_tasks(
    session: Session,
    *,
    status: str | None = None,
    source: str | None = None,
    assignee_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Task], int]:
    """Tasks, newest first, with the total count."""
    query = sa.select(Task)
    if status:
        query = query.where(Task.status == status)
    if source:
        query = query.where(Task.source == source)
    if assignee_id is not None:
        query = query.where(
            Task.id.in_(sa.select(TaskMember.task_id).where(TaskMember.user_id == assignee_id))
        )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Task.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def change_task(
    session: Session,
    actor: Principal,
    task_id: int,
    action: str,
    *,
    assignees: Sequence[int] | None = None,
    deadline: dt.datetime | None = None,
    note: str | None = None,
    ip: str | None = None,
) -> Task:
    """Apply one action of ``MOVES`` (dispatch, reassign, start, complete, return, cancel) to a task."""
    move = MOVES.get(action)
    if move is None:
        raise ValidationError(f"未知的任务操作 {action}（可用：{'、'.join(MOVES)}）", location="action")
    actor.require(move.perm)
    task = get_task(session, task_id)
    action_zh = messages.TASK_ACTION_NAMES[action]
    if TaskStatus(task.status) not in move.sources:
        raise ValidationError(
            messages.TASK_ILLEGAL_TRANSITION.format(
                current=messages.TASK_STATUS_NAMES[task.status], action=action_zh
            ),
            location="status",
        )
    note = (note or "").strip() or None
    if move.note_required and note is None:
        raise ValidationError(messages.TASK_NOTE_REQUIRED.format(action=action_zh), location="note")
    if (
        move.member_only
        and actor.role is not Role.ADMIN
        and actor.user_id not in {m.user_id for m in task.members}
    ):
        raise PermissionDeniedError(messages.TASK_NOT_MEMBER.format(action=action_zh))
    before = task.status
    detail: dict[str, object] = {}
    if action in ("dispatch", "reassign"):
        team = _team(session, assignees or [])
        _set_team(session, task, team)
        detail["assignees"] = team
        new_deadline = _deadline(deadline)
        if new_deadline is not None:
            task.deadline = new_deadline
            detail["deadline"] = new_deadline.isoformat()
    if action == "complete":
        task.result_zh = note
    task.status = move.target.value
    task.updated_at = _now()
    _log(session, actor, task, action, before, note, ip, detail)
    return task


def team_names(session: Session, task: Task) -> list[str]:
    """Display names of the task's team, leader first."""
    ids = [m.user_id for m in task.members]
    if not ids:
        return []
    users = {u.id: u.display_name for u in session.scalars(sa.select(User).where(User.id.in_(ids)))}
    return [users.get(i, str(i)) for i in ids]
