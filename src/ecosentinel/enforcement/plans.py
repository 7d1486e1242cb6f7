"""Inspection plans (执法现场检查计划, seed 001) with phases, and the positive list (正面清单).

A plan is annual (年度) or special (专项); its phases (动员部署, 全面实施, 总结提高 …) lie inside its dates.
Enterprises on the positive list are exempt from random draws while their entry is valid.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.audit.service import record
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.ledger import messages as msg
from ecosentinel.enforcement.ledger.models import InspectionPlan, PlanPhase, PositiveListEntry
from ecosentinel.enforcement.ledger.service import parse_choice
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.registry.models import Enterprise


class PlanKind(StrEnum):
    ANNUAL = "annual"  # 年度计划
    SPECIAL = "special"  # 专项计划


PLAN_KIND_ZH: dict[PlanKind, str] = {PlanKind.ANNUAL: "年度计划", PlanKind.SPECIAL: "专项计划"}


@dataclass(frozen=True)
class PhaseInput:
    name: str
    start_on: dt.date
    end_on: dt.date
    description: str | None = None


def _validate_phases(start_on: dt.date, end_on: dt.date, phases: Sequence[PhaseInput]) -> None:
    for i, phase in enumerate(phases):
        where = f"phases[{i}]"
        if not phase.name.strip():
            raise ValidationError(msg.PHASE_NAME_REQUIRED.format(seq=i + 1), location=f"{where}.name")
        if phase.end_on < phase.start_on:
            raise ValidationError(
                msg.PHASE_DATES.format(name=phase.name, start=phase.start_on, end=phase.end_on),
                location=f"{where}.end_on",
            )
        if phase.start_on < start_on or phase.end_on > end_on:
            raise ValidationError(
                msg.PHASE_OUTSIDE_PLAN.format(
                    name=phase.name,
                    start=phase.start_on,
                    end=phase.end_on,
                    plan_start=start_on,
                    plan_end=end_on,
                ),
                location=where,
            )


def create_plan(
    session: Session,
    actor: Principal,
    *,
    kind: str,
    title: str,
    start_on: dt.date,
    end_on: dt.date,
    scope: str | None = None,
    focus: str | None = None,
    departments: str | None = None,
    planned_inspections: int | None = None,
    phases: Sequence[PhaseInput] = (),
    ip: str | None = None,
) -> InspectionPlan:
    """Create a plan with its phases (validated: dates in order, phases inside the plan)."""
    plan_kind = parse_choice(PlanKind, PLAN_KIND_ZH, kind, msg.PLAN_KIND_UNKNOWN, "kind")
    if not title.strip():
        raise ValidationError(msg.PLAN_TITLE_REQUIRED, location="title")
    if end_on < start_on:
        raise ValidationError(msg.PLAN_DATES.format(start=start_on, end=end_on), location="end_on")
    if planned_inspections is not None and planned_inspections < 0:
        raise ValidationError(msg.PLANNED_NEGATIVE, location="planned_inspections")
    _validate_phases(start_on, end_on, phases)
    plan = InspectionPlan(
        year=start_on.year,
        kind=plan_kind.value,
        title=title.strip(),
        scope=scope,
        focus=focus,
        departments=departments,
        start_on=start_on,
        end_on=end_on,
        planned_inspections=planned_inspections,
        created_by=actor.username,
        phases=[
            PlanPhase(
                seq=i + 1,
                name=p.name.strip(),
                start_on=p.start_on,
                end_on=p.end_on,
                description=p.description,
            )
            for i, p in enumerate(phases)
        ],
    )
    session.add(plan)
    session.flush()
    record(
        session,
        actor,
        "create",
        "inspection_plan",
        plan.id,
        msg.AUDIT_PLAN_CREATED.format(id=plan.id, title=plan.title),
        {"kind": plan.kind, "start_on": start_on, "end_on": end_on, "phases": len(phases)},
        ip=ip,
    )
    return plan


def get_plan(session: Session, plan_id: int) -> InspectionPlan:
    plan = session.get(InspectionPlan, plan_id, options=[selectinload(InspectionPlan.phases)])
    if plan is None:
        raise NotFoundError(msg.PLAN_NOT_FOUND.format(id=plan_id))
    return plan


def list_plans(session: Session, *, year: int | None = None) -> list[InspectionPlan]:
    query = sa.select(InspectionPlan).options(selectinload(InspectionPlan.phases))
    if year is not None:
        query = query.where(InspectionPlan.year == year)
    return list(session.scalars(query.order_by(InspectionPlan.start_on, InspectionPlan.id)))


def add_to_positive_list(
    session: Session,
    actor: Principal,
    *,
    enterprise_id: int,
    reason: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    ip: str | None = None,
) -> PositiveListEntry:
    """Put an enterprise on the positive list (exempt from random draws from ``valid_from``)."""
    if session.get(Enterprise, enterprise_id) is None:
        raise ValidationError(msg.ENTERPRISE_NOT_FOUND.format(id=enterprise_id), location="enterprise_id")
    if valid_until is not None and valid_until < valid_from:
        raise ValidationError(
            msg.POSITIVE_LIST_DATES.format(until=valid_until, start=valid_from), location="valid_until"
        )
    entry = PositiveListEntry(
        enterprise_id=enterprise_id,
        reason=reason.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=actor.username,
    )
    session.add(entry)
    session.flush()
    record(
        session,
        actor,
        "create",
        "positive_list_entry",
        entry.id,
        msg.AUDIT_POSITIVE_LIST_ADDED.format(enterprise_id=enterprise_id),
        {"reason": entry.reason, "valid_from": valid_from, "valid_until": valid_until},
        ip=ip,
    )
    return entry


def end_positive_list_entry(
    session: Session, actor: Principal, entry_id: int, *, until: dt.date, ip: str | None = None
) -> PositiveListEntry:
    """End an entry's validity (the enterprise returns to the draw pool after ``until``)."""
    entry = session.get(PositiveListEntry, entry_id)
    if entry is None:
        raise NotFoundError(msg.POSITIVE_LIST_NOT_FOUND.format(id=entry_id))
    if until < entry.valid_from:
        raise ValidationError(
            msg.POSITIVE_LIST_DATES.format(until=until, start=entry.valid_from), location="valid_until"
        )
    entry.valid_until = until
    session.flush()
    record(
        session,
        actor,
        "update",
        "positive_list_entry",
        entry.id,
        msg.AUDIT_POSITIVE_LIST_ENDED.format(id=entry.id, date=until),
        {"valid_until": until},
        ip=ip,
    )
    return entry


def positive_list(session: Session, *, on: dt.date | None = None) -> list[PositiveListEntry]:
    """All entries, or those valid on ``on``."""
    query = sa.select(PositiveListEntry)
    if on is not None:
        query = query.where(
            PositiveListEntry.valid_from <= on,
            sa.or_(PositiveListEntry.valid_until.is_(None), PositiveListEntry.valid_until >= on),
        )
    return list(session.scalars(query.order_by(PositiveListEntry.enterprise_id, PositiveListEntry.id)))
