"""Build the ``PointContext`` of each point to screen from the registry (I/O at the edge of the engine).

``load_contexts`` is the one place that turns database records into what rules need. The registry gives
point type, reference O2, enterprise, industry and per-factor limits / range / detection limit. Device
filings, CN 3020 uploads, door/camera events, O&M records and maintenance windows are added by the
extension point ``_extend`` (see below) when those records exist.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.registry.models import Point
from ecosentinel.screening.context import FactorSpec, PointContext, PointType

logger = logging.getLogger(__name__)

Extender = Callable[[Session, dict[str, PointContext], dt.datetime, dt.datetime], dict[str, PointContext]]
"""Takes the registry contexts and the window; returns them with side records filled in."""

_EXTENSION_MODULE = "ecosentinel.registry.context"
_EXTENSION_FUNCTION = "extend_contexts"


def guess_point_type(mn: str, codes: Iterable[str] = ()) -> PointType:
    """Type of an unregistered point: flue gas when its factor codes are air codes (``a…``)."""
    codes = list(codes)
    if codes and sum(c.startswith("a") for c in codes) > sum(c.startswith("w") for c in codes):
        return PointType.GAS
    return PointType.WATER


def context_from_point(point: Point) -> PointContext:
    """The registry part of a point's context."""
    return PointContext(
        mn=point.mn,
        point_type=PointType(point.type),
        enterprise_id=str(point.enterprise_id),
        industry=point.enterprise.industry if point.enterprise is not None else None,
        ref_o2=point.ref_o2,
        factors={
            f.code: FactorSpec(
                limit=f.limit_high,
                limit_low=f.limit_low,
                range_high=f.range_max,
                detection_limit=f.detection_limit,
                unit=f.unit,
            )
            for f in point.factors
        },
    )


def _extend(
    session: Session, contexts: dict[str, PointContext], start: dt.datetime, end: dt.datetime
) -> dict[str, PointContext]:
    """EXTENSION POINT: filled_parameters, parameter_uploads, events, om_records, maintenance_windows.

    If ``ecosentinel.registry.context`` offers ``extend_contexts(session, contexts, start, end)`` it is
    called here (its result replaces the contexts; use ``dataclasses.replace`` on each PointContext).
    """
    try:
        module = importlib.import_module(_EXTENSION_MODULE)
    except ModuleNotFoundError:
        return contexts
    extender: Any = getattr(module, _EXTENSION_FUNCTION, None)
    if extender is None:
        return contexts
    extended: dict[str, PointContext] = extender(session, contexts, start, end)
    return extended


def load_contexts(
    session: Session,
    mns: Iterable[str] | None,
    start: dt.datetime,
    end: dt.datetime,
    *,
    codes_by_mn: dict[str, list[str]] | None = None,
) -> dict[str, PointContext]:
    """Context of each point in ``mns`` (None = every registered point) for the window [start, end).

    A point the registry does not know still gets a minimal context (type guessed from its factor codes in
    ``codes_by_mn``), so data from an unregistered logger is screened with the rules that need no limits.
    """
    query = sa.select(Point).options(selectinload(Point.factors), selectinload(Point.enterprise))
    wanted = None if mns is None else sorted(set(mns))
    if wanted is not None:
        query = query.where(Point.mn.in_(wanted)) if len(wanted) <= 2000 else query
    contexts: dict[str, PointContext] = {}
    for point in session.scalars(query):
        if wanted is None or point.mn in wanted:
            contexts[point.mn] = context_from_point(point)
    for mn in wanted or ():
        if mn not in contexts:
            codes = (codes_by_mn or {}).get(mn, [])
            contexts[mn] = PointContext(mn=mn, point_type=guess_point_type(mn, codes))
    return _extend(session, contexts, start, end)
