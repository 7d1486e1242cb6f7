"""Registry services: plain query functions over a session (the caller owns the transaction)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, selectinload

from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.registry import messages
from ecosentinel.registry.enums import PointType
from ecosentinel.registry.factors import FACTOR_NAMES
from ecosentinel.registry.models import Enterprise, Factor, Point
from ecosentinel.registry.schemas import (
    FactorLimits,
    ImportSummary,
    PointAuth,
    PointContextRead,
    PointRead,
    RegistryIn,
)

logger = logging.getLogger(__name__)


def get_point_auth(session: Session, mn: str) -> PointAuth | None:
    """Get the MN, PW and active state of a point, or None when the MN is not registered."""
    row = session.execute(sa.select(Point.mn, Point.pw, Point.active).where(Point.mn == mn)).one_or_none()
    return None if row is None else PointAuth(mn=row.mn, pw=row.pw, active=row.active)


def load_point_auth(engine: Engine) -> dict[str, str]:
    """Load MN -> PW of every active point in one query (the ingest server's credential cache)."""
    with engine.connect() as connection:
        rows = connection.execute(sa.select(Point.mn, Point.pw).where(Point.active.is_(True)))
        return {mn: pw for mn, pw in rows}


def get_point_by_mn(session: Session, mn: str) -> Point | None:
    """Get a point by its MN."""
    return session.scalars(sa.select(Point).where(Point.mn == mn)).one_or_none()


def get_enterprise_by_credit_code(session: Session, credit_code: str) -> Enterprise | None:
    """Get an enterprise by its unified social credit code."""
    return session.scalars(sa.select(Enterprise).where(Enterprise.credit_code == credit_code)).one_or_none()


def registered_mns(session: Session, *, active_only: bool = False) -> set[str]:
    """Get the MNs of all registered points."""
    query = sa.select(Point.mn)
    if active_only:
        query = query.where(Point.active.is_(True))
    return set(session.scalars(query))


def list_points(
    session: Session,
    *,
    enterprise_id: int | None = None,
    point_type: PointType | None = None,
    active: bool | None = None,
) -> list[PointRead]:
    """List points (without passwords), optionally filtered, sorted by MN."""
    query = sa.select(Point, Enterprise).join(Enterprise, Point.enterprise_id == Enterprise.id)
    if enterprise_id is not None:
        query = query.where(Point.enterprise_id == enterprise_id)
    if point_type is not None:
        query = query.where(Point.type == PointType(point_type).value)
    if active is not None:
        query = query.where(Point.active.is_(active))
    return [
        PointRead(
            id=point.id,
            mn=point.mn,
            name=point.name,
            type=PointType(point.type),
            active=point.active,
            ref_o2=point.ref_o2,
            enterprise_id=enterprise.id,
            enterprise_name=enterprise.name,
            credit_code=enterprise.credit_code,
        )
        for point, enterprise in session.execute(query.order_by(Point.mn)).all()
    ]


def point_context(session: Session, mn: str) -> PointContextRead:
    """Get what screening needs about a point: type, reference O2, limits and range per factor."""
    point = session.scalars(
        sa.select(Point)
        .where(Point.mn == mn)
        .options(selectinload(Point.factors), selectinload(Point.enterprise))
    ).one_or_none()
    if point is None:
        raise NotFoundError(messages.POINT_NOT_FOUND.format(mn=mn))
    return PointContextRead(
        mn=point.mn,
        name=point.name,
        type=PointType(point.type),
        active=point.active,
        ref_o2=point.ref_o2,
        enterprise_id=point.enterprise_id,
        enterprise_name=point.enterprise.name,
        industry=point.enterprise.industry,
        factors={
            f.code: FactorLimits(
                code=f.code,
                name=f.name,
                unit=f.unit,
                limit=f.limit_high,
                limit_low=f.limit_low,
                range_max=f.range_max,
                detection_limit=f.detection_limit,
            )
            for f in point.factors
        },
    )


def _parse(data: RegistryIn | Mapping[str, Any], source_name: str) -> RegistryIn:
    if isinstance(data, RegistryIn):
        return data
    try:
        return RegistryIn.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        raise ValidationError(
            messages.REGISTRY_INVALID.format(path=path, error=first["msg"]), location=source_name
        ) from exc


def duplicate_problems(registry: RegistryIn) -> list[tuple[tuple[str | int, ...], str]]:
    """Find credit codes, MNs and factor codes that repeat within one registry file: (path, message)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    codes: set[str] = set()
    mns: set[str] = set()
    for e_index, enterprise in enumerate(registry.enterprises):
        if enterprise.credit_code in codes:
            problems.append(
                (
                    ("enterprises", e_index, "credit_code"),
                    messages.DUPLICATE_CREDIT_CODE.format(code=enterprise.credit_code),
                )
            )
        codes.add(enterprise.credit_code)
        for p_index, point in enumerate(enterprise.points):
            if point.mn in mns:
                problems.append(
                    (
                        ("enterprises", e_index, "points", p_index, "mn"),
                        messages.DUPLICATE_MN.format(mn=point.mn),
                    )
                )
            mns.add(point.mn)
            seen: set[str] = set()
            for f_index, factor in enumerate(point.factors):
                if factor.code in seen:
                    problems.append(
                        (
                            ("enterprises", e_index, "points", p_index, "factors", f_index, "code"),
                            messages.DUPLICATE_FACTOR.format(code=factor.code),
                        )
                    )
                seen.add(factor.code)
    return problems


def import_registry(
    session: Session, data: RegistryIn | Mapping[str, Any], *, source_name: str
) -> ImportSummary:
    """Create or update enterprises (by credit code), points (by MN), factors (by code); never delete.

    Works inside the caller's transaction: on error nothing is flushed for good, the caller rolls back.
    """
    registry = _parse(data, source_name)
    problems = duplicate_problems(registry)
    if problems:
        loc, message = problems[0]
        raise ValidationError(message, location=f"{source_name}:{'.'.join(str(p) for p in loc)}")
    summary = ImportSummary(source_name=source_name)
    for e_index, item in enumerate(registry.enterprises):
        enterprise = get_enterprise_by_credit_code(session, item.credit_code)
        if enterprise is None:
            enterprise = Enterprise(credit_code=item.credit_code, name=item.name)
            session.add(enterprise)
        enterprise.name = item.name
        enterprise.industry = item.industry
        enterprise.address = item.address
        enterprise.lon = item.lon
        enterprise.lat = item.lat
        session.flush()
        summary.enterprises += 1
        for p_index, p in enumerate(item.points):
            point = get_point_by_mn(session, p.mn)
            if point is None:
                if p.pw is None:
                    raise ValidationError(
                        messages.PW_REQUIRED_NEW.format(mn=p.mn),
                        location=f"{source_name}:enterprises[{e_index}].points[{p_index}].pw",
                    )
                point = Point(mn=p.mn, enterprise_id=enterprise.id, pw=p.pw)
                session.add(point)
            elif point.enterprise_id != enterprise.id:
                owner = session.get(Enterprise, point.enterprise_id)
                raise ValidationError(
                    messages.MN_OTHER_ENTERPRISE.format(
                        mn=p.mn, credit_code=owner.credit_code if owner else "?"
                    ),
                    location=f"{source_name}:enterprises[{e_index}].points[{p_index}].mn",
                )
            if p.pw is not None:
                point.pw = p.pw
            point.name = p.name
            point.type = p.type.value
            point.active = p.active
            point.ref_o2 = p.ref_o2
            session.flush()
            summary.points += 1
            existing = {
                f.code: f for f in session.scalars(sa.select(Factor).where(Factor.point_id == point.id))
            }
            for f in p.factors:
                factor = existing.get(f.code)
                if factor is None:
                    factor = Factor(point_id=point.id, code=f.code)
                    session.add(factor)
                default_name, default_unit = FACTOR_NAMES.get(f.code, (f.code, None))
                factor.name = f.name or default_name
                factor.unit = f.unit or default_unit
                factor.limit_high = f.limit
                factor.limit_low = f.limit_low
                factor.range_max = f.range
                factor.detection_limit = f.detection_limit
                summary.factors += 1
    session.flush()
    logger.info(
        "registry %s imported: %d enterprises, %d points, %d factors",
        source_name,
        summary.enterprises,
        summary.points,
        summary.factors,
    )
    return summary
