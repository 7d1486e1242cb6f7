"""Rule adjustments (规则调整): per-point recalibration of a screening rule, only through a reviewed step.

A person with ``warnings.triage`` proposes an adjustment for one rule at one point, with the reliability
counts that motivated it (the basis, computed from warning outcomes by ``enforcement.outcomes``); someone
else holding ``adjustments.approve`` approves or rejects it with a note; an approved adjustment can be
revoked the same way. Every step is an audit entry. Nothing here changes screening by itself:
``approved_adjustments(session, mns)`` is what the engine loads as context (docs/enforcement.md says how it
applies them).

Kinds:

* ``cap_yellow``: findings of this rule at this point may raise a yellow warning at most (no parameters).
* ``raise_threshold``: parameter overrides for this rule at this point (the rule's own parameter names,
  checked against its parameter model; ``enabled`` is refused: switching a rule off is not a calibration).

This module lives in screening (not enforcement) so that screening, which sits below enforcement in the
layers, can import ``approved_adjustments``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.database import Base
from ecosentinel.detection.catalogue import rule_class
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.registry.models import Point
from ecosentinel.registry.scope import check_point, visible_point_ids
from ecosentinel.screening import messages

_TS = sa.DateTime(timezone=True)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class AdjustmentKind(StrEnum):
    CAP_YELLOW = "cap_yellow"  # 本点位该规则最高触发黄色预警
    RAISE_THRESHOLD = "raise_threshold"  # 本点位该规则参数调整


class AdjustmentStatus(StrEnum):
    PROPOSED = "proposed"  # 待审核
    APPROVED = "approved"  # 已批准
    REJECTED = "rejected"  # 已驳回
    SUPERSEDED = "superseded"  # 已被同点位同规则同类的新调整取代
    REVOKED = "revoked"  # 已撤销


class RuleAdjustment(Base):
    """One proposed recalibration of a rule at a point, its basis and its review."""

    __tablename__ = "rule_adjustment"

    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(sa.String(24), index=True)
    point_id: Mapped[int | None] = mapped_column(sa.ForeignKey("point.id", ondelete="SET NULL"), index=True)
    rule: Mapped[str] = mapped_column(sa.String(64))  # full rule code, e.g. R05_dilution
    kind: Mapped[str] = mapped_column(sa.String(24))  # AdjustmentKind value
    params: Mapped[str] = mapped_column(sa.Text)  # canonical JSON object ("{}" for cap_yellow)
    reason: Mapped[str] = mapped_column(sa.Text)  # why the proposer asks for it
    basis_confirmed: Mapped[int] = mapped_column(sa.Integer)
    basis_not_confirmed: Mapped[int] = mapped_column(sa.Integer)
    basis_excluded: Mapped[int] = mapped_column(sa.Integer)
    basis_reliability: Mapped[float] = mapped_column(sa.Float)
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    proposed_by: Mapped[str] = mapped_column(sa.String(64))
    proposed_by_id: Mapped[int | None] = mapped_column(sa.Integer)
    proposed_at: Mapped[dt.datetime] = mapped_column(_TS, default=_utcnow)
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(64))
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.Integer)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    review_note: Mapped[str | None] = mapped_column(sa.Text)
    ended_by: Mapped[str | None] = mapped_column(sa.String(64))  # who revoked or superseded it
    ended_at: Mapped[dt.datetime | None] = mapped_column(_TS)
    end_note: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def params_dict(self) -> dict[str, Any]:
        value = json.loads(self.params or "{}")
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Basis:
    """Outcome counts of one rule at one point: what a proposal is based on.

    ``not_confirmed`` = refuted on site + dismissed for a reason that speaks against the rule; ``excluded`` =
    dismissed as duplicate or other (recorded, not counted). The estimate is the Beta(1, 1) posterior mean.
    """

    confirmed: int = 0
    not_confirmed: int = 0
    excluded: int = 0

    @property
    def n(self) -> int:
        return self.confirmed + self.not_confirmed

    @property
    def reliability(self) -> float:
        return (self.confirmed + 1) / (self.n + 2)


@dataclass(frozen=True)
class Adjustment:
    """What the screening engine applies for one rule at one point (the approved adjustments merged)."""

    mn: str
    rule: str
    cap_yellow: bool = False
    params: Mapping[str, Any] = field(default_factory=dict)
    adjustment_ids: tuple[int, ...] = ()


def normalise_rule(code: str) -> str:
    """A registered rule's full code from its full code or short number; ValidationError otherwise."""
    try:
        return rule_class((code or "").strip()).code
    except NotFoundError as exc:
        raise ValidationError(messages.ADJUSTMENT_UNKNOWN_RULE.format(rule=code), location="rule") from exc


def parse_kind(kind: str) -> AdjustmentKind:
    try:
        return AdjustmentKind((kind or "").strip())
    except ValueError as exc:
        choices = "、".join(k.value for k in AdjustmentKind)
        raise ValidationError(
            messages.ADJUSTMENT_UNKNOWN_KIND.format(kind=kind, choices=choices), location="kind"
        ) from exc


def check_params(rule: str, kind: AdjustmentKind, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters of an adjustment, checked against the rule's parameter model."""
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise ValidationError(messages.ADJUSTMENT_PARAMS_NOT_OBJECT, location="params")
    values = dict(params)
    if kind is AdjustmentKind.CAP_YELLOW:
        if values:
            raise ValidationError(messages.ADJUSTMENT_CAP_NO_PARAMS, location="params")
        return {}
    if not values:
        raise ValidationError(messages.ADJUSTMENT_PARAMS_REQUIRED, location="params")
    if "enabled" in values:
        raise ValidationError(messages.ADJUSTMENT_PARAMS_NO_ENABLED, location="params.enabled")
    try:
        rule_class(rule).params_model.model_validate(values)
    except PydanticValidationError as exc:
        error = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ValidationError(
            messages.ADJUSTMENT_PARAMS_INVALID.format(rule=rule, error=error), location="params"
        ) from exc
    return values


def _canonical(params: Mapping[str, Any]) -> str:
    return json.dumps(dict(params), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _text(value: str | None) -> str:
    return (value or "").strip()


def _status_zh(status: str) -> str:
    return messages.ADJUSTMENT_STATUS_NAMES.get(status, status)


def _detail(adj: RuleAdjustment) -> dict[str, Any]:
    return {
        "mn": adj.mn,
        "rule": adj.rule,
        "kind": adj.kind,
        "params": adj.params_dict,
        "basis": {
            "confirmed": adj.basis_confirmed,
            "not_confirmed": adj.basis_not_confirmed,
            "excluded": adj.basis_excluded,
            "reliability": round(adj.basis_reliability, 4),
        },
    }


def propose(
    session: Session,
    actor: Principal,
    *,
    mn: str,
    rule: str,
    kind: str,
    params: Mapping[str, Any] | None,
    reason: str,
    basis: Basis,
    ip: str | None = None,
) -> RuleAdjustment:
    """Record a proposal (status ``proposed``); it changes nothing until someone else approves it."""
    actor.require(Perm.WARNINGS_TRIAGE)
    point = session.scalar(sa.select(Point).where(Point.mn == (mn or "").strip()))
    if point is None:
        raise ValidationError(messages.ADJUSTMENT_UNKNOWN_POINT.format(mn=mn), location="mn")
    check_point(session, actor, point.id)
    code = normalise_rule(rule)
    adjustment_kind = parse_kind(kind)
    values = check_params(code, adjustment_kind, params)
    reason = _text(reason)
    if not reason:
        raise ValidationError(messages.ADJUSTMENT_REASON_REQUIRED, location="reason")
    pending = session.scalar(
        sa.select(RuleAdjustment.id).where(
            RuleAdjustment.mn == point.mn,
            RuleAdjustment.rule == code,
            RuleAdjustment.kind == adjustment_kind.value,
            RuleAdjustment.status == AdjustmentStatus.PROPOSED.value,
        )
    )
    if pending is not None:
        raise ValidationError(
            messages.ADJUSTMENT_DUPLICATE.format(mn=point.mn, rule=code, id=pending), location="rule"
        )
    adj = RuleAdjustment(
        mn=point.mn,
        point_id=point.id,
        rule=code,
        kind=adjustment_kind.value,
        params=_canonical(values),
        reason=reason,
        basis_confirmed=basis.confirmed,
        basis_not_confirmed=basis.not_confirmed,
        basis_excluded=basis.excluded,
        basis_reliability=basis.reliability,
        status=AdjustmentStatus.PROPOSED.value,
        proposed_by=actor.username,
        proposed_by_id=actor.user_id,
        proposed_at=_utcnow(),
    )
    session.add(adj)
    session.flush()
    record(
        session,
        actor,
        "propose",
        "rule_adjustment",
        adj.id,
        messages.ADJUSTMENT_PROPOSED_SUMMARY.format(
            id=adj.id,
            mn=adj.mn,
            rule=adj.rule,
            kind=messages.ADJUSTMENT_KIND_NAMES[adj.kind],
            confirmed=basis.confirmed,
            not_confirmed=basis.not_confirmed,
            reliability=f"{basis.reliability:.2f}",
        ),
        {**_detail(adj), "reason": reason},
        ip=ip,
    )
    return adj


def get_adjustment(session: Session, actor: Principal, adjustment_id: int) -> RuleAdjustment:
    adj = session.get(RuleAdjustment, adjustment_id)
    if adj is None:
        raise NotFoundError(messages.ADJUSTMENT_NOT_FOUND.format(id=adjustment_id))
    if adj.point_id is not None:
        check_point(session, actor, adj.point_id)
    return adj


def _audit_status(
    session: Session,
    actor: Principal,
    adj: RuleAdjustment,
    before: str,
    note: str,
    ip: str | None,
    **extra: Any,
) -> None:
    record(
        session,
        actor,
        adj.status,
        "rule_adjustment",
        adj.id,
        messages.ADJUSTMENT_REVIEWED_SUMMARY.format(
            id=adj.id, mn=adj.mn, rule=adj.rule, before=_status_zh(before), after=_status_zh(adj.status)
        ),
        {**_detail(adj), "from": before, "to": adj.status, "note": note, **extra},
        ip=ip,
    )


def _review(
    session: Session,
    actor: Principal,
    adjustment_id: int,
    target: AdjustmentStatus,
    note: str | None,
    ip: str | None,
) -> RuleAdjustment:
    actor.require(Perm.ADJUSTMENTS_APPROVE)
    adj = get_adjustment(session, actor, adjustment_id)
    if adj.status != AdjustmentStatus.PROPOSED.value:
        text = messages.ADJUSTMENT_NOT_PROPOSED.format(id=adj.id, status=_status_zh(adj.status))
        raise ValidationError(text, location="status")
    if adj.proposed_by == actor.username:
        raise ValidationError(messages.ADJUSTMENT_SELF_REVIEW, location="reviewer")
    text = _text(note)
    if not text:
        raise ValidationError(messages.ADJUSTMENT_NOTE_REQUIRED, location="note")
    superseded: list[RuleAdjustment] = []
    now = _utcnow()
    if target is AdjustmentStatus.APPROVED:
        # the rule may have changed since the proposal: its parameters must still be valid
        check_params(normalise_rule(adj.rule), AdjustmentKind(adj.kind), adj.params_dict)
        superseded = list(
            session.scalars(
                sa.select(RuleAdjustment).where(
                    RuleAdjustment.mn == adj.mn,
                    RuleAdjustment.rule == adj.rule,
                    RuleAdjustment.kind == adj.kind,
                    RuleAdjustment.status == AdjustmentStatus.APPROVED.value,
                )
            )
        )
    adj.status = target.value
    adj.reviewed_by = actor.username
    adj.reviewed_by_id = actor.user_id
    adj.reviewed_at = now
    adj.review_note = text
    session.flush()
    _audit_status(
        session, actor, adj, AdjustmentStatus.PROPOSED.value, text, ip, supersedes=[o.id for o in superseded]
    )
    for old in superseded:
        old.status = AdjustmentStatus.SUPERSEDED.value
        old.ended_by = actor.username
        old.ended_at = now
        old.end_note = f"#{adj.id}"
        session.flush()
        _audit_status(session, actor, old, AdjustmentStatus.APPROVED.value, text, ip, superseded_by=adj.id)
    return adj


def approve(
    session: Session, actor: Principal, adjustment_id: int, *, note: str | None, ip: str | None = None
) -> RuleAdjustment:
    """Approve a proposal (not one's own); an earlier approved adjustment of the same kind is superseded."""
    return _review(session, actor, adjustment_id, AdjustmentStatus.APPROVED, note, ip)


def reject(
    session: Session, actor: Principal, adjustment_id: int, *, note: str | None, ip: str | None = None
) -> RuleAdjustment:
    """Reject a proposal (not one's own), with a note."""
    return _review(session, actor, adjustment_id, AdjustmentStatus.REJECTED, note, ip)


def revoke(
    session: Session, actor: Principal, adjustment_id: int, *, note: str | None, ip: str | None = None
) -> RuleAdjustment:
    """Withdraw an approved adjustment (the rule is screened as before at that point), with a note."""
    actor.require(Perm.ADJUSTMENTS_APPROVE)
    adj = get_adjustment(session, actor, adjustment_id)
    if adj.status != AdjustmentStatus.APPROVED.value:
        text = messages.ADJUSTMENT_NOT_APPROVED.format(id=adj.id, status=_status_zh(adj.status))
        raise ValidationError(text, location="status")
    text = _text(note)
    if not text:
        raise ValidationError(messages.ADJUSTMENT_NOTE_REQUIRED, location="note")
    adj.status = AdjustmentStatus.REVOKED.value
    adj.ended_by = actor.username
    adj.ended_at = _utcnow()
    adj.end_note = text
    session.flush()
    _audit_status(session, actor, adj, AdjustmentStatus.APPROVED.value, text, ip)
    return adj


def list_adjustments(
    session: Session,
    actor: Principal,
    *,
    status: str | None = None,
    mn: str | None = None,
    limit: int = 200,
) -> list[RuleAdjustment]:
    """Adjustments the caller may see (open proposals first, then newest first)."""
    query = sa.select(RuleAdjustment)
    ids = visible_point_ids(session, actor)
    if ids is not None:
        query = query.where(RuleAdjustment.point_id.in_(ids))
    if status:
        query = query.where(RuleAdjustment.status == status)
    if mn:
        query = query.where(RuleAdjustment.mn == mn)
    pending_first = sa.case((RuleAdjustment.status == AdjustmentStatus.PROPOSED.value, 0), else_=1)
    return list(session.scalars(query.order_by(pending_first, RuleAdjustment.id.desc()).limit(limit)).all())


def approved_adjustments(
    session: Session, mns: Iterable[str] | None = None
) -> dict[str, dict[str, Adjustment]]:
    """The approved adjustments as screening context: point MN → full rule code → what applies.

    ``mns=None`` loads every point's. Approved ``cap_yellow`` and ``raise_threshold`` of one rule at one
    point are merged into one ``Adjustment`` (at most one of each kind is approved at a time).
    """
    query = sa.select(RuleAdjustment).where(RuleAdjustment.status == AdjustmentStatus.APPROVED.value)
    if mns is not None:
        wanted = sorted(set(mns))
        if not wanted:
            return {}
        query = query.where(RuleAdjustment.mn.in_(wanted))
    out: dict[str, dict[str, Adjustment]] = {}
    for adj in session.scalars(query.order_by(RuleAdjustment.id)):
        current = out.setdefault(adj.mn, {}).get(adj.rule) or Adjustment(mn=adj.mn, rule=adj.rule)
        out[adj.mn][adj.rule] = Adjustment(
            mn=adj.mn,
            rule=adj.rule,
            cap_yellow=current.cap_yellow or adj.kind == AdjustmentKind.CAP_YELLOW.value,
            params={**current.params, **adj.params_dict},
            adjustment_ids=(*current.adjustment_ids, adj.id),
        )
    return out
