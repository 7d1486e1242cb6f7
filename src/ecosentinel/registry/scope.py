"""Data scoping on top of permissions: an enterprise sees only its own data, an O&M agency only the points
it maintains, police only transferred cases (applied by the enforcement services).

Services call these with the caller's principal and filter their queries; ``None`` means "no restriction".
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.auth import messages
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.errors import PermissionDeniedError
from ecosentinel.readings import CST
from ecosentinel.registry.models import OMAssignment, Point


def agency_point_ids(session: Session, agency_id: int, *, on: dt.date | None = None) -> set[int]:
    """Point ids the agency maintains on ``on`` (default: today in China Standard Time).

    An assignment counts from ``valid_from`` through ``valid_to`` inclusive; an open end means "still".
    """
    day = on if on is not None else dt.datetime.now(CST).date()
    query = sa.select(OMAssignment.point_id).where(
        OMAssignment.agency_id == agency_id,
        OMAssignment.valid_from <= day,
        sa.or_(OMAssignment.valid_to.is_(None), OMAssignment.valid_to >= day),
    )
    return set(session.scalars(query))


_UNSCOPED = {Role.ADMIN, Role.ANALYST, Role.PATROL, Role.OFFICER, Role.LEADER, Role.PERMIT_OFFICE}


def visible_point_ids(session: Session, principal: Principal) -> set[int] | None:
    """Point ids the principal may see, or None for all."""
    if principal.role in _UNSCOPED:
        return None
    if principal.role is Role.ENTERPRISE and principal.enterprise_id is not None:
        return set(session.scalars(sa.select(Point.id).where(Point.enterprise_id == principal.enterprise_id)))
    if principal.role is Role.OM_AGENCY and principal.agency_id is not None:
        return agency_point_ids(session, principal.agency_id)
    return set()


def visible_enterprise_ids(session: Session, principal: Principal) -> set[int] | None:
    """Enterprise ids the principal may see, or None for all."""
    if principal.role in _UNSCOPED:
        return None
    if principal.role is Role.ENTERPRISE and principal.enterprise_id is not None:
        return {principal.enterprise_id}
    points = visible_point_ids(session, principal)
    if not points:
        return set()
    return set(session.scalars(sa.select(Point.enterprise_id).where(Point.id.in_(points))))


def visible_mns(session: Session, principal: Principal) -> set[str] | None:
    """MNs of the points the principal may see, or None for all."""
    ids = visible_point_ids(session, principal)
    if ids is None:
        return None
    if not ids:
        return set()
    return set(session.scalars(sa.select(Point.mn).where(Point.id.in_(ids))))


def check_point(session: Session, principal: Principal, point_id: int) -> None:
    ids = visible_point_ids(session, principal)
    if ids is not None and point_id not in ids:
        raise PermissionDeniedError(messages.OUT_OF_SCOPE)


def check_enterprise(session: Session, principal: Principal, enterprise_id: int) -> None:
    ids = visible_enterprise_ids(session, principal)
    if ids is not None and enterprise_id not in ids:
        raise PermissionDeniedError(messages.OUT_OF_SCOPE)


def check_mn(session: Session, principal: Principal, mn: str) -> None:
    mns = visible_mns(session, principal)
    if mns is not None and mn not in mns:
        raise PermissionDeniedError(messages.OUT_OF_SCOPE)
