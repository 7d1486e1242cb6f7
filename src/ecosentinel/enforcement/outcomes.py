"""Learning from outcomes: what became of each warning, each rule's reliability per point, and proposals to
recalibrate a rule at a point from it.

Outcomes (``WarningOutcome``, one per warning): ``dismissed`` at triage with a reason category
(``warnings.dismiss_warning``), or ``confirmed`` (查实) / ``refuted`` (未查实) recorded by an officer once the
warning became a task (``record_inspection_outcome``). Every change is audited on the warning.

Reliability: per (point MN, rule) and per rule overall, a warning counts once for every rule among its
findings: ``confirmed`` for the rule, ``refuted`` or dismissed as false alarm / maintenance / equipment fault
/ production change / weather against it; dismissed as duplicate or other is recorded but not counted. The
estimate is the Beta(1, 1) posterior mean ``(confirmed + 1) / (n + 2)``.

Adjustments: ``propose_adjustment`` computes the basis from these counts and hands the proposal to
``screening.adjustments`` (review, approval and what screening loads live there). ``suggest_adjustments``
lists rule/point pairs that look unreliable (n ≥ 5, reliability ≤ 0.2); it never applies anything.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import SYSTEM, Principal
from ecosentinel.enforcement import messages
from ecosentinel.enforcement.models import (
    DismissCategory,
    EnforcementWarning,
    Inspection,
    InspectionStatus,
    OutcomeResult,
    OutcomeStep,
    Task,
    WarningFinding,
    WarningOutcome,
    WarningStatus,
)
from ecosentinel.enforcement.warnings import get_warning, parse_category
from ecosentinel.errors import ValidationError
from ecosentinel.registry.scope import visible_point_ids
from ecosentinel.screening import adjustments
from ecosentinel.screening.adjustments import AdjustmentKind, AdjustmentStatus, Basis, RuleAdjustment
from ecosentinel.screening.service import rule_title

NOT_CONFIRMED_CATEGORIES = frozenset(
    {
        DismissCategory.FALSE_ALARM,
        DismissCategory.MAINTENANCE,
        DismissCategory.EQUIPMENT_FAULT,
        DismissCategory.PRODUCTION_CHANGE,
        DismissCategory.WEATHER,
    }
)
"""Dismissal categories that count against the rules of the warning (duplicate and other do not count)."""

SUGGEST_MIN_N = 5
SUGGEST_MAX_RELIABILITY = 0.2


# --- recording ----------------------------------------------------------------------------------------------


def outcome_label(outcome: WarningOutcome | None) -> str:
    """``查实``, ``未查实（降雨/天气）``, ``排除（运维校准）`` … (``—`` without an outcome)."""
    if outcome is None:
        return "—"
    text = messages.OUTCOME_RESULT_NAMES.get(outcome.result, outcome.result)
    if outcome.category:
        text += f"（{messages.DISMISS_CATEGORY_NAMES.get(outcome.category, outcome.category)}）"
    return text


def _snapshot(outcome: WarningOutcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "result": outcome.result,
        "category": outcome.category,
        "reason": outcome.reason,
        "step": outcome.step,
        "inspection_id": outcome.inspection_id,
        "recorded_by": outcome.recorded_by,
    }


def _inspection_for(session: Session, warning: EnforcementWarning, inspection_id: int | None) -> int | None:
    """The inspection the outcome rests on: the one named (it must belong to a task of the warning), else the
    latest submitted inspection of the warning's tasks, else None."""
    tasks = sa.select(Task.id).where(Task.warning_id == warning.id)
    if inspection_id is not None:
        inspection = session.get(Inspection, inspection_id)
        task_ids = set(session.scalars(tasks))
        if inspection is None or inspection.task_id not in task_ids:
            raise ValidationError(
                messages.OUTCOME_INSPECTION_MISMATCH.format(inspection=inspection_id, id=warning.id),
                location="inspection_id",
            )
        return inspection.id
    return session.scalar(
        sa.select(Inspection.id)
        .where(Inspection.task_id.in_(tasks), Inspection.status == InspectionStatus.SUBMITTED.value)
        .order_by(Inspection.submitted_at.desc(), Inspection.id.desc())
        .limit(1)
    )


def record_inspection_outcome(
    session: Session,
    actor: Principal,
    warning_id: int,
    *,
    result: str,
    reason: str,
    category: str | None = None,
    inspection_id: int | None = None,
    ip: str | None = None,
) -> WarningOutcome:
    """Record (or correct) what the on-site inspection of an escalated warning found: 查实 or 未查实.

    ``reason`` says what was found; ``category`` (refuted only) may say why the data looked suspicious.
    """
    actor.require(Perm.INSPECTIONS_WRITE)
    warning = get_warning(session, actor, warning_id)
    try:
        parsed = OutcomeResult((result or "").strip())
    except ValueError:
        parsed = None
    if parsed not in (OutcomeResult.CONFIRMED, OutcomeResult.REFUTED):
        raise ValidationError(messages.OUTCOME_RESULT_UNKNOWN.format(value=result), location="result")
    if warning.status != WarningStatus.ESCALATED.value:
        raise ValidationError(
            messages.OUTCOME_NEEDS_TASK.format(
                id=warning.id, status=messages.WARNING_STATUS_NAMES.get(warning.status, warning.status)
            ),
            location="status",
        )
    text = (reason or "").strip()
    if not text:
        raise ValidationError(messages.OUTCOME_REASON_REQUIRED, location="reason")
    cat = parse_category(category)
    if cat is not None and parsed is OutcomeResult.CONFIRMED:
        raise ValidationError(messages.OUTCOME_CATEGORY_ONLY_REFUTED, location="category")
    linked = _inspection_for(session, warning, inspection_id)
    before = _snapshot(warning.outcome)
    before_text = outcome_label(warning.outcome)
    outcome = warning.outcome or WarningOutcome(warning_id=warning.id)
    outcome.result = parsed.value
    outcome.category = cat.value if cat else None
    outcome.reason = text
    outcome.step = OutcomeStep.INSPECTION.value
    outcome.inspection_id = linked
    outcome.recorded_by = actor.username
    outcome.recorded_by_id = actor.user_id
    outcome.recorded_at = dt.datetime.now(dt.UTC)
    warning.outcome = outcome
    warning.updated_at = outcome.recorded_at
    session.flush()
    summary = (
        messages.OUTCOME_SUMMARY.format(id=warning.id, result=outcome_label(outcome), reason=text)
        if before is None
        else messages.OUTCOME_CHANGED_SUMMARY.format(
            id=warning.id, before=before_text, after=outcome_label(outcome), reason=text
        )
    )
    record(
        session,
        actor,
        "outcome",
        "warning",
        warning.id,
        summary,
        {"before": before, "after": _snapshot(outcome), "rules": warning_rules(session, warning)},
        ip=ip,
    )
    return outcome


# --- reliability --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReliabilityRow:
    """Counts of one rule (at one point, or overall when ``mn`` is None) and the estimate."""

    rule: str
    mn: str | None
    basis: Basis

    @property
    def title_zh(self) -> str:
        return rule_title(self.rule)

    @property
    def text_zh(self) -> str:
        return messages.RELIABILITY_TEXT.format(
            confirmed=self.basis.confirmed,
            not_confirmed=self.basis.not_confirmed,
            reliability=f"{self.basis.reliability:.2f}",
        )


@dataclass(frozen=True)
class ReliabilityTable:
    by_point: dict[tuple[str, str], Basis]
    """(point MN, rule) → counts."""
    by_rule: dict[str, Basis]
    """rule → counts over every point the caller may see."""

    def rows_by_rule(self) -> list[ReliabilityRow]:
        """Least reliable first (then most outcomes, then rule code)."""
        rows = [ReliabilityRow(rule, None, b) for rule, b in self.by_rule.items()]
        return sorted(rows, key=lambda r: (r.basis.reliability, -r.basis.n, r.rule))

    def rows_by_point(self) -> list[ReliabilityRow]:
        rows = [ReliabilityRow(rule, mn, b) for (mn, rule), b in self.by_point.items()]
        return sorted(rows, key=lambda r: (r.basis.reliability, -r.basis.n, r.mn or "", r.rule))

    def at(self, mn: str, rule: str) -> Basis:
        return self.by_point.get((mn, rule), Basis())


def classify(result: str, category: str | None) -> str:
    """``confirmed``, ``not_confirmed`` or ``excluded``: how one outcome counts for its rules."""
    if result == OutcomeResult.CONFIRMED.value:
        return "confirmed"
    if result == OutcomeResult.REFUTED.value:
        return "not_confirmed"
    if category in {c.value for c in NOT_CONFIRMED_CATEGORIES}:
        return "not_confirmed"
    return "excluded"


def warning_rules(session: Session, warning: EnforcementWarning) -> list[str]:
    """The rules a warning credits: those of its findings (its ``rules`` field when it has none)."""
    query = sa.select(WarningFinding.rule).where(WarningFinding.warning_id == warning.id)
    rules = set(session.scalars(query))
    return sorted(rules or set(warning.rules))


def _zero() -> dict[str, int]:
    return {"confirmed": 0, "not_confirmed": 0, "excluded": 0}


def rule_reliability(
    session: Session,
    principal: Principal,
    *,
    mns: Collection[str] | None = None,
    rules: Collection[str] | None = None,
) -> ReliabilityTable:
    """Outcome counts per (point, rule) and per rule over the warnings the principal may see."""
    query = sa.select(EnforcementWarning.id, EnforcementWarning.mn, EnforcementWarning.rules).add_columns(
        WarningOutcome.result, WarningOutcome.category
    )
    query = query.join(WarningOutcome, WarningOutcome.warning_id == EnforcementWarning.id)
    ids = visible_point_ids(session, principal)
    if ids is not None:
        query = query.where(EnforcementWarning.point_id.in_(ids))
    if mns is not None:
        query = query.where(EnforcementWarning.mn.in_(list(mns) or [""]))
    outcomes = session.execute(query).all()
    finding_rules: dict[int, set[str]] = defaultdict(set)
    warning_ids = [row.id for row in outcomes]
    for start in range(0, len(warning_ids), 500):
        chunk = warning_ids[start : start + 500]
        for wid, rule in session.execute(
            sa.select(WarningFinding.warning_id, WarningFinding.rule)
            .where(WarningFinding.warning_id.in_(chunk))
            .distinct()
        ):
            finding_rules[wid].add(rule)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(_zero)
    wanted = set(rules) if rules is not None else None
    for row in outcomes:
        how = classify(row.result, row.category)
        credited = finding_rules.get(row.id) or set(row.rules)
        for rule in credited:
            if wanted is None or rule in wanted:
                counts[(row.mn, rule)][how] += 1
    by_point = {key: Basis(**c) for key, c in counts.items()}
    totals: dict[str, dict[str, int]] = defaultdict(_zero)
    for (_mn, rule), c in counts.items():
        for k, v in c.items():
            totals[rule][k] += v
    return ReliabilityTable(by_point=by_point, by_rule={rule: Basis(**c) for rule, c in totals.items()})


def basis_for(session: Session, mn: str, rule: str) -> Basis:
    """The counts of one rule at one point over all outcomes (what a proposal records as its basis)."""
    return rule_reliability(session, SYSTEM, mns=[mn], rules=[rule]).at(mn, rule)


# --- adjustments --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """A rule/point pair whose outcomes speak against the rule: a candidate proposal, never applied."""

    mn: str
    rule: str
    basis: Basis
    kind: str = AdjustmentKind.CAP_YELLOW.value

    @property
    def title_zh(self) -> str:
        return rule_title(self.rule)


def _adjustable(rule: str) -> str | None:
    try:
        return adjustments.normalise_rule(rule)
    except ValidationError:
        return None


def suggest_adjustments(
    session: Session,
    principal: Principal,
    *,
    min_n: int = SUGGEST_MIN_N,
    max_reliability: float = SUGGEST_MAX_RELIABILITY,
    table: ReliabilityTable | None = None,
) -> list[Suggestion]:
    """Registered rules at points with at least ``min_n`` counted outcomes and a reliability at most
    ``max_reliability`` that have no open proposal and no approved adjustment of the suggested kind."""
    table = table or rule_reliability(session, principal)
    taken = {
        (mn, rule)
        for mn, rule in session.execute(
            sa.select(RuleAdjustment.mn, RuleAdjustment.rule).where(
                RuleAdjustment.kind == AdjustmentKind.CAP_YELLOW.value,
                RuleAdjustment.status.in_([AdjustmentStatus.PROPOSED.value, AdjustmentStatus.APPROVED.value]),
            )
        )
    }
    out: list[Suggestion] = []
    for (mn, rule), basis in table.by_point.items():
        code = _adjustable(rule)
        if code is None or basis.n < min_n or basis.reliability > max_reliability or (mn, code) in taken:
            continue
        out.append(Suggestion(mn=mn, rule=code, basis=basis))
    return sorted(out, key=lambda s: (s.basis.reliability, -s.basis.n, s.mn, s.rule))


def propose_adjustment(
    session: Session,
    actor: Principal,
    *,
    mn: str,
    rule: str,
    kind: str,
    params: Mapping[str, Any] | None = None,
    reason: str,
    ip: str | None = None,
) -> RuleAdjustment:
    """Propose an adjustment of a rule at a point; its basis is the current outcome counts (never the
    caller's)."""
    actor.require(Perm.WARNINGS_TRIAGE)
    code = adjustments.normalise_rule(rule)
    return adjustments.propose(
        session,
        actor,
        mn=mn,
        rule=code,
        kind=kind,
        params=params,
        reason=reason,
        basis=basis_for(session, (mn or "").strip(), code),
        ip=ip,
    )
