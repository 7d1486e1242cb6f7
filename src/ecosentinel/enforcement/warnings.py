"""Warnings (预警): screening point-day scores become green/yellow/red warnings with a life of their own.

``new → under_review → dismissed`` (a reason category and a reason text are required; the dismissal is the
warning's outcome, see ``outcomes``) ``| escalated`` (to a task, see ``tasks``).
A point-day whose findings are not yet on any warning of the point is merged into the point's open warning
whose period overlaps or touches that day, else it opens a new warning; so ``sync_warnings`` can run after
every screening pass and changes nothing the second time. The 2-hourly patrol report (平台巡查, seed 004)
lists what is new since the previous report's cut-off.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.audit.service import record
from ecosentinel.auth.service import SYSTEM, Principal
from ecosentinel.enforcement import messages
from ecosentinel.enforcement.models import (
    DismissCategory,
    EnforcementWarning,
    OutcomeResult,
    OutcomeStep,
    PatrolReport,
    WarningFinding,
    WarningOutcome,
    WarningStatus,
    as_utc,
)
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Point
from ecosentinel.registry.scope import check_point, visible_point_ids
from ecosentinel.screening.models import PointDayScore, ScreeningFinding
from ecosentinel.screening.service import rule_title

logger = logging.getLogger(__name__)

OPEN_STATUSES = (WarningStatus.NEW.value, WarningStatus.UNDER_REVIEW.value)
ALLOWED: dict[str, frozenset[str]] = {
    WarningStatus.NEW: frozenset(
        {WarningStatus.UNDER_REVIEW, WarningStatus.DISMISSED, WarningStatus.ESCALATED}
    ),
    WarningStatus.UNDER_REVIEW: frozenset({WarningStatus.DISMISSED, WarningStatus.ESCALATED}),
    WarningStatus.DISMISSED: frozenset(),
    WarningStatus.ESCALATED: frozenset(),
}
"""Warning state machine: from-status → statuses it may move to."""


@dataclass
class SyncResult:
    """What one ``sync_warnings`` pass did."""

    created: int = 0
    merged: int = 0
    unchanged: int = 0
    warning_ids: list[int] = field(default_factory=list)


def _rank(colour: str) -> int:
    return messages.COLOUR_RANK.get(colour, 0)


def _day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(), tzinfo=CST).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)


def period_text(start: dt.datetime, end: dt.datetime) -> str:
    """``2024-03-01`` or ``2024-03-01 至 2024-03-03`` (China Standard Time days, end exclusive)."""
    first = as_utc(start).astimezone(CST).date()
    last = (as_utc(end) - dt.timedelta(microseconds=1)).astimezone(CST).date()
    return first.isoformat() if last <= first else f"{first.isoformat()} 至 {last.isoformat()}"


def _summary(session: Session, w: EnforcementWarning) -> str:
    name = session.scalar(sa.select(Point.name).where(Point.mn == w.mn)) or w.mn
    return messages.WARNING_SUMMARY.format(
        period=period_text(w.period_start, w.period_end),
        point=name,
        mn=w.mn,
        colour=messages.COLOUR_NAMES.get(w.colour, w.colour),
        score=f"{w.score:.2f}",
        rules="、".join(f"{rule_title(r)}（{r.split('_', 1)[0]}）" for r in w.rules),
        n=len(w.findings),
    ) + (f"。{w.basis_zh}" if w.basis_zh else "")


def _attach(warning: EnforcementWarning, findings: Sequence[ScreeningFinding]) -> None:
    for f in findings:
        warning.findings.append(
            WarningFinding(
                finding_id=f.fingerprint,
                rule=f.rule,
                factors=list(f.factors),
                start=as_utc(f.start),
                end=as_utc(f.end),
                severity=f.severity,
                score=f.score,
                explanation_zh=f.explanation_zh,
                evidence=f.evidence,
            )
        )


def _sync_point_day(session: Session, actor: Principal, pds: PointDayScore, result: SyncResult) -> None:
    day_start, day_end = _day_bounds(pds.day)
    findings = list(
        session.scalars(
            sa.select(ScreeningFinding)
            .where(
                ScreeningFinding.mn == pds.mn,
                ScreeningFinding.start < day_end,
                sa.or_(ScreeningFinding.end > day_start, ScreeningFinding.start == day_start),
            )
            .order_by(ScreeningFinding.start, ScreeningFinding.id)
        )
    )
    if not findings:
        result.unchanged += 1
        return
    known = set(
        session.scalars(
            sa.select(WarningFinding.finding_id)
            .join(EnforcementWarning, EnforcementWarning.id == WarningFinding.warning_id)
            .where(
                EnforcementWarning.mn == pds.mn,
                WarningFinding.finding_id.in_([f.fingerprint for f in findings]),
            )
        )
    )
    fresh = [f for f in findings if f.fingerprint not in known]
    if not fresh:
        result.unchanged += 1
        return
    now = dt.datetime.now(dt.UTC)
    warning = session.scalar(
        sa.select(EnforcementWarning)
        .where(
            EnforcementWarning.mn == pds.mn,
            EnforcementWarning.status.in_(OPEN_STATUSES),
            EnforcementWarning.period_start <= day_end,
            EnforcementWarning.period_end >= day_start,
        )
        .order_by(EnforcementWarning.id)
        .limit(1)
    )
    rules = set(pds.rules) | {f.rule for f in fresh}
    if warning is None:
        point = session.scalar(sa.select(Point).where(Point.mn == pds.mn))
        warning = EnforcementWarning(
            point_id=point.id if point else None,
            mn=pds.mn,
            enterprise_id=point.enterprise_id if point else pds.enterprise_id,
            colour=pds.colour,
            score=pds.score,
            period_start=day_start,
            period_end=day_end,
            rules=sorted(rules),
            summary_zh="",
            basis_zh=pds.basis_zh or "",
            status=WarningStatus.NEW.value,
            created_at=now,
            updated_at=now,
        )
        session.add(warning)
        _attach(warning, fresh)
        warning.summary_zh = _summary(session, warning)
        session.flush()
        action = "create"
        result.created += 1
    else:
        if _rank(pds.colour) > _rank(warning.colour) or not warning.basis_zh:
            warning.colour = pds.colour if _rank(pds.colour) > _rank(warning.colour) else warning.colour
            warning.basis_zh = pds.basis_zh or warning.basis_zh
        warning.score = max(warning.score, pds.score)
        warning.period_start = min(as_utc(warning.period_start), day_start)
        warning.period_end = max(as_utc(warning.period_end), day_end)
        warning.rules = sorted(rules | set(warning.rules))
        _attach(warning, fresh)
        warning.summary_zh = _summary(session, warning)
        warning.updated_at = now
        session.flush()
        action = "merge"
        result.merged += 1
    result.warning_ids.append(warning.id)
    record(
        session,
        actor,
        action,
        "warning",
        warning.id,
        warning.summary_zh,
        {"day": pds.day.isoformat(), "findings": [f.fingerprint for f in fresh], "colour": warning.colour},
    )


def sync_warnings(
    session: Session,
    *,
    actor: Principal = SYSTEM,
    days: int | None = 31,
    min_colour: str = "green",
    today: dt.date | None = None,
) -> SyncResult:
    """Turn stored point-day scores (of the last ``days`` CST days; None = all) into warnings. Idempotent."""
    if min_colour not in messages.COLOUR_RANK:
        raise ValidationError(f"未知的预警颜色 {min_colour}", location="min_colour")
    colours = [c for c, r in messages.COLOUR_RANK.items() if r >= _rank(min_colour)]
    query = sa.select(PointDayScore).where(PointDayScore.colour.in_(colours))
    if days is not None:
        today = today or dt.datetime.now(CST).date()
        query = query.where(PointDayScore.day >= today - dt.timedelta(days=days))
    result = SyncResult()
    for pds in session.scalars(query.order_by(PointDayScore.day, PointDayScore.mn)).all():
        _sync_point_day(session, actor, pds, result)
    logger.info(
        "warnings synced: %d created, %d merged, %d unchanged",
        result.created,
        result.merged,
        result.unchanged,
    )
    return result


def list_warnings(
    session: Session,
    principal: Principal,
    *,
    status: str | None = None,
    colour: str | None = None,
    mn: str | None = None,
    enterprise_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[EnforcementWarning], int]:
    """Warnings the caller may see, newest period first, with the total count."""
    query = sa.select(EnforcementWarning)
    ids = visible_point_ids(session, principal)
    if ids is not None:
        query = query.where(EnforcementWarning.point_id.in_(ids))
    if status:
        query = query.where(EnforcementWarning.status == status)
    if colour:
        query = query.where(EnforcementWarning.colour == colour)
    if mn:
        query = query.where(EnforcementWarning.mn == mn)
    if enterprise_id is not None:
        query = query.where(EnforcementWarning.enterprise_id == enterprise_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.options(selectinload(EnforcementWarning.outcome))
        .order_by(
            sa.case(
                (EnforcementWarning.colour == "red", 0), (EnforcementWarning.colour == "yellow", 1), else_=2
            ),
            EnforcementWarning.score.desc(),
            EnforcementWarning.period_end.desc(),
            EnforcementWarning.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def get_warning(
    session: Session,
    principal: Principal,
    warning_id: int,
    *,
    ip: str | None = None,
    record_view: bool = False,
) -> EnforcementWarning:
    """One warning with its findings (a view of findings is audited when ``record_view``)."""
    warning = session.get(EnforcementWarning, warning_id)
    if warning is None:
        raise NotFoundError(messages.WARNING_NOT_FOUND.format(id=warning_id))
    if warning.point_id is not None:
        check_point(session, principal, warning.point_id)
    if record_view:
        record(session, principal, "view", "warning", warning.id, warning.summary_zh, ip=ip)
    return warning


def _transition(
    session: Session,
    actor: Principal,
    warning: EnforcementWarning,
    target: WarningStatus,
    *,
    detail: dict[str, object],
    ip: str | None,
    note: str | None = None,
) -> None:
    if target.value not in ALLOWED[WarningStatus(warning.status)]:
        raise ValidationError(
            messages.WARNING_ILLEGAL_TRANSITION.format(
                current=messages.WARNING_STATUS_NAMES[warning.status],
                target=messages.WARNING_STATUS_NAMES[target.value],
            ),
            location="status",
        )
    before = warning.status
    warning.status = target.value
    warning.reviewed_by = actor.username
    warning.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    record(
        session,
        actor,
        target.value,
        "warning",
        warning.id,
        messages.WARNING_CHANGED_SUMMARY.format(
            id=warning.id,
            before=messages.WARNING_STATUS_NAMES[before],
            after=messages.WARNING_STATUS_NAMES[target],
        )
        + (f"（{note}）" if note else ""),
        {"from": before, "to": target.value, **detail},
        ip=ip,
    )


def review_warning(
    session: Session, actor: Principal, warning_id: int, *, note: str | None = None, ip: str | None = None
) -> EnforcementWarning:
    """Take a new warning under review (研判)."""
    warning = get_warning(session, actor, warning_id)
    _transition(session, actor, warning, WarningStatus.UNDER_REVIEW, detail={"note": note}, ip=ip)
    return warning


def category_choices() -> str:
    """The dismissal categories as the error messages list them: ``false_alarm（误报/数据正常）、…``."""
    return "、".join(f"{c.value}（{messages.DISMISS_CATEGORY_NAMES[c.value]}）" for c in DismissCategory)


def parse_category(value: str | None, *, location: str = "category") -> DismissCategory | None:
    """A dismissal category from its stable value or its Chinese name; None when not given."""
    text = (value or "").strip()
    if not text:
        return None
    for category in DismissCategory:
        if text in (category.value, messages.DISMISS_CATEGORY_NAMES[category.value]):
            return category
    raise ValidationError(
        messages.DISMISS_CATEGORY_UNKNOWN.format(value=text, choices=category_choices()), location=location
    )


def dismiss_warning(
    session: Session,
    actor: Principal,
    warning_id: int,
    *,
    reason: str,
    category: str | None = None,
    ip: str | None = None,
) -> EnforcementWarning:
    """Dismiss a warning (排除); the reason category and the reason text are required and kept.

    The dismissal is the warning's outcome (``WarningOutcome``, step ``triage``); the audit entry has both.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(messages.DISMISS_REASON_REQUIRED, location="reason")
    parsed = parse_category(category)
    if parsed is None:
        raise ValidationError(
            messages.DISMISS_CATEGORY_REQUIRED.format(choices=category_choices()), location="category"
        )
    warning = get_warning(session, actor, warning_id)
    _transition(
        session,
        actor,
        warning,
        WarningStatus.DISMISSED,
        detail={"reason": reason, "category": parsed.value},
        ip=ip,
        note=messages.OUTCOME_DISMISSED_TEXT.format(
            category=messages.DISMISS_CATEGORY_NAMES[parsed.value], reason=reason
        ),
    )
    warning.dismiss_reason = reason
    warning.outcome = WarningOutcome(
        result=OutcomeResult.DISMISSED.value,
        category=parsed.value,
        reason=reason,
        step=OutcomeStep.TRIAGE.value,
        recorded_by=actor.username,
        recorded_by_id=actor.user_id,
        recorded_at=dt.datetime.now(dt.UTC),
    )
    session.flush()
    return warning


def mark_escalated(
    session: Session, actor: Principal, warning: EnforcementWarning, task_id: int, *, ip: str | None = None
) -> None:
    """Move a warning to escalated once its task exists (called by ``tasks.create_task``)."""
    _transition(session, actor, warning, WarningStatus.ESCALATED, detail={"task_id": task_id}, ip=ip)


def create_patrol_report(
    session: Session, actor: Principal, *, now: dt.datetime | None = None, ip: str | None = None
) -> PatrolReport:
    """Record a patrol report: warnings created, or given new findings, since the previous cut-off."""
    cutoff = as_utc(now or dt.datetime.now(dt.UTC))
    last = session.scalar(sa.select(PatrolReport).order_by(PatrolReport.cutoff.desc()).limit(1))
    since = as_utc(last.cutoff) if last else None
    ids = visible_point_ids(session, actor)
    query = sa.select(EnforcementWarning).where(EnforcementWarning.created_at <= cutoff)
    if since is not None:
        query = query.where(EnforcementWarning.created_at > since)
    if ids is not None:
        query = query.where(EnforcementWarning.point_id.in_(ids))
    new = list(session.scalars(query))
    updated: list[EnforcementWarning] = []
    if since is not None:
        touched = (
            sa.select(WarningFinding.warning_id)
            .where(WarningFinding.added_at > since, WarningFinding.added_at <= cutoff)
            .distinct()
        )
        query = sa.select(EnforcementWarning).where(
            EnforcementWarning.id.in_(touched),
            EnforcementWarning.created_at <= since,
            EnforcementWarning.status.in_(OPEN_STATUSES),
        )
        if ids is not None:
            query = query.where(EnforcementWarning.point_id.in_(ids))
        updated = list(session.scalars(query.order_by(EnforcementWarning.id)))
    new.sort(key=lambda w: (-_rank(w.colour), -w.score, w.id))
    counts = {c: sum(1 for w in new if w.colour == c) for c in ("red", "yellow", "green")}
    lines = [
        messages.PATROL_HEADER.format(
            cutoff=cutoff.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
            since=since.astimezone(CST).strftime("%Y-%m-%d %H:%M") if since else messages.PATROL_FIRST,
        ),
        messages.PATROL_COUNTS.format(
            n_new=len(new),
            n_red=counts["red"],
            n_yellow=counts["yellow"],
            n_green=counts["green"],
            n_updated=len(updated),
        ),
    ]
    lines += [
        messages.PATROL_LINE_NEW.format(colour=messages.COLOUR_NAMES[w.colour], id=w.id, summary=w.summary_zh)
        for w in new
    ]
    lines += [
        messages.PATROL_LINE_UPDATED.format(
            colour=messages.COLOUR_NAMES[w.colour], id=w.id, summary=w.summary_zh
        )
        for w in updated
    ]
    if not new and not updated:
        lines.append(messages.PATROL_NONE)
    report = PatrolReport(
        since=since,
        cutoff=cutoff,
        created_by=actor.username,
        n_new=len(new),
        n_red=counts["red"],
        n_yellow=counts["yellow"],
        n_green=counts["green"],
        warning_ids=json.dumps({"new": [w.id for w in new], "updated": [w.id for w in updated]}),
        text_zh="\n".join(lines),
    )
    session.add(report)
    session.flush()
    record(session, actor, "create", "patrol_report", report.id, lines[0] + lines[1], ip=ip)
    return report


def list_patrol_reports(session: Session, *, limit: int = 50) -> list[PatrolReport]:
    """Stored patrol reports, newest first."""
    return list(session.scalars(sa.select(PatrolReport).order_by(PatrolReport.cutoff.desc()).limit(limit)))


def get_patrol_report(session: Session, report_id: int) -> PatrolReport:
    report = session.get(PatrolReport, report_id)
    if report is None:
        raise NotFoundError(messages.PATROL_REPORT_NOT_FOUND.format(id=report_id))
    return report


def corroborate_warning(
    session: Session,
    actor: Principal,
    warning_id: int,
    *,
    source_zh: str,
    detail: dict[str, object] | None = None,
    ip: str | None = None,
) -> tuple[str, str]:
    """Raise an open warning one colour (green → yellow → red) because an outside source matches one of its
    findings (e.g. a public report of the same enterprise and period); the reason joins its basis.

    Returns the colour before and after (equal when the warning is already red or no longer open).
    """
    warning = get_warning(session, actor, warning_id)
    before = warning.colour
    if warning.status not in OPEN_STATUSES or _rank(before) >= _rank("red"):
        return before, before
    after = next(c for c, r in messages.COLOUR_RANK.items() if r == _rank(before) + 1)
    warning.colour = after
    note = messages.WARNING_CORROBORATED_BASIS.format(source=source_zh)
    warning.basis_zh = f"{warning.basis_zh}；{note}" if warning.basis_zh else note
    warning.summary_zh = _summary(session, warning)
    warning.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    record(
        session,
        actor,
        "raise",
        "warning",
        warning.id,
        messages.WARNING_RAISED_SUMMARY.format(
            id=warning.id,
            before=messages.COLOUR_NAMES[before],
            after=messages.COLOUR_NAMES[after],
            source=source_zh,
        ),
        {"from": before, "to": after, **(detail or {})},
        ip=ip,
    )
    return before, after
