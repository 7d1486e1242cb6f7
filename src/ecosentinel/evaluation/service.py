"""Enterprise evaluation services (环保脸谱): gather inputs, score, store per period, publish, history."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.audit.service import record as audit
from ecosentinel.auth.service import Principal
from ecosentinel.errors import NotFoundError
from ecosentinel.evaluation import inputs, messages
from ecosentinel.evaluation.models import EnterpriseEvaluation
from ecosentinel.evaluation.schemas import EvaluationRead, PublicEvaluation
from ecosentinel.evaluation.scoring import EvaluationInputs, evaluate
from ecosentinel.om.availability import Availability, hourly_availability
from ecosentinel.om.enums import ViolationKind
from ecosentinel.om.models import OMViolation
from ecosentinel.om.periods import Period, parse_period
from ecosentinel.om.service import as_utc
from ecosentinel.registry.enums import PermitStatus
from ecosentinel.registry.models import Device, Enterprise, Outlet, Permit, PermitRequirement, Point
from ecosentinel.registry.scope import check_enterprise, visible_enterprise_ids
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)


def _installation(session: Session, enterprise_id: int, point_ids: list[int]) -> tuple[int, int, str]:
    """(installed, required, basis): permit-required outlets with a point, else points with an analyser."""
    required = set(
        session.scalars(
            sa.select(PermitRequirement.outlet_code)
            .join(Permit, Permit.id == PermitRequirement.permit_id)
            .where(Permit.enterprise_id == enterprise_id, Permit.status == PermitStatus.ISSUED.value)
        )
    )
    if required:
        installed = set(
            session.scalars(
                sa.select(Outlet.code).where(
                    Outlet.enterprise_id == enterprise_id,
                    Outlet.code.in_(required),
                    Outlet.point_id.is_not(None),
                )
            )
        )
        return len(installed), len(required), "permit"
    if not point_ids:
        return 0, 0, "points"
    with_device = set(session.scalars(sa.select(Device.point_id).where(Device.point_id.in_(point_ids))))
    return len(with_device), len(point_ids), "points"


def enterprise_inputs(
    session: Session, store: MeasurementStore, period: Period, *, now: dt.datetime
) -> dict[int, tuple[EvaluationInputs, dict[str, Any]]]:
    """Inputs (and a JSON-able detail) of every registered enterprise for the period."""
    points = session.execute(
        sa.select(Point.id, Point.mn, Point.enterprise_id, Point.created_at).where(Point.active.is_(True))
    ).all()
    by_enterprise: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for point_id, mn, enterprise_id, _ in points:
        by_enterprise[enterprise_id].append((point_id, mn))
    availability = hourly_availability(
        store,
        {mn: [(period.start, period.end)] for _, mn, _, _ in points},
        now=now,
        since={mn: as_utc(created) for _, mn, _, created in points if created is not None},
    )
    all_mns = [mn for _, mn, _, _ in points]
    findings = inputs.FINDINGS(session, all_mns, period.start, period.end)
    enterprise_ids = list(session.scalars(sa.select(Enterprise.id).order_by(Enterprise.id)))
    penalties = inputs.PENALTIES(session, enterprise_ids, period.start, period.end)
    investigated = inputs.enforcement_open_cases(session, enterprise_ids, period.end)
    fraud_points = {
        point_id
        for point_id, confirmed in session.execute(
            sa.select(OMViolation.point_id, OMViolation.confirmed_at).where(
                OMViolation.kind == ViolationKind.FALSIFICATION.value, OMViolation.point_id.is_not(None)
            )
        )
        if period.start <= as_utc(confirmed) < period.end
    }
    result: dict[int, tuple[EvaluationInputs, dict[str, Any]]] = {}
    for enterprise_id in enterprise_ids:
        own = by_enterprise.get(enterprise_id, [])
        ids = [p for p, _ in own]
        installed, required, basis = _installation(session, enterprise_id, ids)
        per_point = {mn: availability.get(mn, Availability()) for _, mn in own}
        total = sum(per_point.values(), Availability())
        penalty = penalties.get(enterprise_id, inputs.Penalties())
        data = EvaluationInputs(
            points=len(own),
            installed=installed,
            required=required,
            networked_points=sum(1 for a in per_point.values() if a.received_hours > 0),
            expected_hours=total.expected_hours,
            received_hours=total.received_hours,
            valid_hours=total.valid_hours,
            findings=sum(findings.get(mn, 0) for _, mn in own),
            penalties=penalty.count,
            falsification=penalty.falsification or bool(fraud_points.intersection(ids)),
            under_investigation=enterprise_id in investigated,
        )
        detail = {
            **asdict(data),
            "installation_basis": basis,
            "per_point": {mn: asdict(a) for mn, a in per_point.items()},
        }
        result[enterprise_id] = (data, detail)
    return result


def evaluate_period(
    session: Session,
    store: MeasurementStore,
    period_name: str,
    *,
    principal: Principal,
    now: dt.datetime | None = None,
    ip: str | None = None,
) -> list[EnterpriseEvaluation]:
    """Compute (or recompute) every enterprise's evaluation for a period; stored per period, unpublished."""
    period = parse_period(period_name)
    now = now or dt.datetime.now(dt.UTC)
    existing = {
        e.enterprise_id: e
        for e in session.scalars(
            sa.select(EnterpriseEvaluation).where(EnterpriseEvaluation.period == period.name)
        )
    }
    rows = []
    for enterprise_id, (data, detail) in enterprise_inputs(session, store, period, now=now).items():
        result = evaluate(data)
        row = existing.pop(enterprise_id, None) or EnterpriseEvaluation(
            enterprise_id=enterprise_id, period=period.name
        )
        row.installation = result.components["installation"]
        row.networking = result.components["networking"]
        row.operation = result.components["operation"]
        row.data_quality = result.components["data_quality"]
        row.findings_score = result.components["findings"]
        row.penalties_score = result.components["penalties"]
        row.score = result.score
        row.grade = result.grade.value
        row.colour = result.colour.value
        row.findings = data.findings
        row.penalties = data.penalties
        row.detail = json.dumps(
            {**detail, "capped": result.capped, "investigated": result.investigated},
            ensure_ascii=False,
            sort_keys=True,
        )
        row.published = False
        row.published_at = None
        row.computed_at = now
        row.computed_by = principal.username
        session.add(row)
        rows.append(row)
    for stale in existing.values():
        session.delete(stale)
    session.flush()
    audit(
        session,
        principal,
        "compute",
        "enterprise_evaluation",
        period.name,
        messages.AUDIT_EVALUATED.format(period=period.name, count=len(rows)),
        {str(r.enterprise_id): {"score": r.score, "colour": r.colour} for r in rows},
        ip=ip,
    )
    logger.info("evaluated %d enterprises for %s", len(rows), period.name)
    return rows


def publish_period(
    session: Session, period_name: str, *, principal: Principal, ip: str | None = None
) -> list[EnterpriseEvaluation]:
    """Publish a computed period's evaluations (评价结果向社会公开)."""
    period = parse_period(period_name)
    rows = list(
        session.scalars(sa.select(EnterpriseEvaluation).where(EnterpriseEvaluation.period == period.name))
    )
    if not rows:
        raise NotFoundError(messages.NOT_COMPUTED.format(period=period.name))
    summary = messages.AUDIT_PUBLISHED.format(period=period.name)
    publish_rows(session, principal, rows, "enterprise_evaluation", period.name, summary, ip=ip)
    return rows


def _public_values(row: EnterpriseEvaluation) -> dict[str, Any]:
    return {
        "enterprise_id": row.enterprise_id,
        "enterprise_name": row.enterprise.name,
        "industry": row.enterprise.industry,
        "period": row.period,
        "installation": row.installation,
        "networking": row.networking,
        "operation": row.operation,
        "data_quality": row.data_quality,
        "findings_score": row.findings_score,
        "penalties_score": row.penalties_score,
        "score": row.score,
        "grade": row.grade,
        "colour": row.colour,
        "published_at": row.published_at,
    }


def public_read(row: EnterpriseEvaluation) -> PublicEvaluation:
    return PublicEvaluation.model_validate(_public_values(row))


def evaluation_read(row: EnterpriseEvaluation) -> EvaluationRead:
    return EvaluationRead.model_validate(
        {
            **_public_values(row),
            "id": row.id,
            "findings": row.findings,
            "penalties": row.penalties,
            "detail": json.loads(row.detail),
            "published": row.published,
            "computed_at": row.computed_at,
            "computed_by": row.computed_by,
        }
    )


def _base_query() -> sa.Select[EnterpriseEvaluation]:
    return sa.select(EnterpriseEvaluation).options(selectinload(EnterpriseEvaluation.enterprise))


def latest_published_period(session: Session) -> str | None:
    return session.scalar(
        sa.select(EnterpriseEvaluation.period)
        .where(EnterpriseEvaluation.published.is_(True))
        .order_by(EnterpriseEvaluation.published_at.desc(), EnterpriseEvaluation.period.desc())
        .limit(1)
    )


def published(session: Session, period_name: str | None = None) -> list[EnterpriseEvaluation]:
    """Published evaluations of a period (default: the latest published), best first. Public."""
    name = parse_period(period_name).name if period_name else latest_published_period(session)
    if name is None:
        return []
    query = _base_query().where(EnterpriseEvaluation.period == name, EnterpriseEvaluation.published.is_(True))
    return list(
        session.scalars(query.order_by(EnterpriseEvaluation.score.desc(), EnterpriseEvaluation.enterprise_id))
    )


def list_evaluations(
    session: Session, principal: Principal, *, period_name: str | None = None
) -> list[EnterpriseEvaluation]:
    """Evaluations with details the principal may see (an enterprise only its own), published or not."""
    query = _base_query()
    if period_name is not None:
        query = query.where(EnterpriseEvaluation.period == parse_period(period_name).name)
    visible = visible_enterprise_ids(session, principal)
    if visible is not None:
        query = query.where(EnterpriseEvaluation.enterprise_id.in_(visible or {-1}))
    return list(
        session.scalars(query.order_by(EnterpriseEvaluation.period.desc(), EnterpriseEvaluation.score.desc()))
    )


def history(session: Session, principal: Principal, enterprise_id: int) -> list[EnterpriseEvaluation]:
    """Every stored period of one enterprise, newest first."""
    if session.get(Enterprise, enterprise_id) is None:
        raise NotFoundError(messages.ENTERPRISE_NOT_FOUND.format(id=enterprise_id))
    check_enterprise(session, principal, enterprise_id)
    query = _base_query().where(EnterpriseEvaluation.enterprise_id == enterprise_id)
    return list(
        session.scalars(
            query.order_by(EnterpriseEvaluation.computed_at.desc(), EnterpriseEvaluation.period.desc())
        )
    )


class Publishable(Protocol):
    published: bool
    published_at: dt.datetime | None


def publish_rows(
    session: Session,
    principal: Principal,
    rows: Sequence[Publishable],
    entity: str,
    period: str,
    summary: str,
    *,
    ip: str | None = None,
) -> None:
    """Mark computed rows published (向社会公开) now, in one audited step (evaluations and O&M ratings)."""
    now = dt.datetime.now(dt.UTC)
    for row in rows:
        row.published = True
        row.published_at = now
    session.flush()
    audit(session, principal, "publish", entity, period, summary, {"rows": len(rows)}, ip=ip)
