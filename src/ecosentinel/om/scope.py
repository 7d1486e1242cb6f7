"""Which monitoring points an O&M agency maintains (used by ``ecosentinel.auth.scope``)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.readings import CST
from ecosentinel.registry.models import OMAssignment


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
