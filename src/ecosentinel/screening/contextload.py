"""Build the ``PointContext`` of each point to screen from the registry (I/O at the edge of the engine).

``load_contexts`` is the one place that turns database records into what rules need. The registry gives
point type, reference O2, enterprise, industry and per-factor limits / range / detection limit. Device
filings, CN 3020 uploads, door/camera events, O&M records, maintenance windows and approved data marks are
added by the
extension point ``_extend`` (see below) from the registry and O&M areas.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.detection.context import FactorSpec, PointContext, PointType
from ecosentinel.interop.marks import approved_marks_frame
from ecosentinel.om.context import om_records_frame
from ecosentinel.registry import context as registry_context
from ecosentinel.registry.models import Point

logger = logging.getLogger(__name__)


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


def _by_mn(frame: pl.DataFrame) -> dict[str, pl.DataFrame]:
    if frame.height == 0:
        return {}
    return {str(mn): part for (mn,), part in frame.partition_by("mn", as_dict=True).items()}


def _side_records(
    session: Session, mns: list[str], start: dt.datetime, end: dt.datetime
) -> dict[str, dict[str, pl.DataFrame]]:
    """Side records per field of PointContext, each split by point (the registry and O&M areas provide
    them)."""
    return {
        "filed_parameters": _by_mn(registry_context.filed_parameters(session, mns, start, end)),
        "parameter_uploads": _by_mn(registry_context.parameter_uploads(session, mns, start, end)),
        "events": _by_mn(registry_context.events(session, mns, start, end)),
        "maintenance_windows": _by_mn(registry_context.maintenance_windows(session, mns, start, end)),
        "om_records": _by_mn(om_records_frame(session, mns, start, end)),
        "standard_checks": _by_mn(registry_context.standard_checks(session, mns, start, end)),
        "data_marks": _by_mn(approved_marks_frame(session, mns, start, end)),
    }


def _extend(
    session: Session, contexts: dict[str, PointContext], start: dt.datetime, end: dt.datetime
) -> dict[str, PointContext]:
    """EXTENSION POINT: filed_parameters, parameter_uploads, events, om_records, maintenance_windows,
    data_marks.

    Filled from ``ecosentinel.registry.context`` (device filings, CN 3020 uploads, door/camera events,
    declared maintenance windows), ``ecosentinel.om.context`` (electronic O&M records) and
    ``ecosentinel.interop.marks`` (approved data marks: rules skip them like windows, scoring weighs
    findings in them ``marked_period``). A new kind of
    side record is one more entry in ``_side_records`` and a matching PointContext field.
    """
    if not contexts:
        return contexts
    records = _side_records(session, sorted(contexts), start, end)
    out: dict[str, PointContext] = {}
    for mn, context in contexts.items():
        fields: dict[str, Any] = {name: per_mn[mn] for name, per_mn in records.items() if mn in per_mn}
        extended = replace(context, **fields) if fields else context
        out[mn] = _with_filed_cycles(extended)
    return out


MEASURING_INTERVAL = "i13003"
"""HJ 212-2017 information code of the analyser's measuring interval (测量间隔, minutes), as filed."""


def _with_filed_cycles(context: PointContext) -> PointContext:
    """Analyser cycles per hour from the filed measuring interval, where the registry's factor has none.

    R04 (re-runs after an exceedance) and R01/R13 (held analyser results) read cycles off minute data only
    when they know how often the analyser measures.
    """
    filed = context.filed_parameters
    if filed.is_empty() or not context.factors:
        return context
    intervals = filed.filter(pl.col("info_id") == MEASURING_INTERVAL)
    factors = dict(context.factors)
    changed = False
    for code, value in intervals.select("pol_id", "value").iter_rows():
        spec = factors.get(str(code))
        if spec is None or spec.cycles_per_hour is not None:
            continue
        try:
            minutes = float(value)
        except (TypeError, ValueError):
            continue
        if minutes > 0:
            factors[str(code)] = replace(spec, cycles_per_hour=60.0 / minutes)
            changed = True
    return replace(context, factors=factors) if changed else context


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
    # UTC before any query: SQLite stores datetimes without their offset, so compare like with like.
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
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
