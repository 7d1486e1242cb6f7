"""Registry facts for screening: the polars frames of ``PointContext`` and standard-check findings.

The screening context loader calls these with the points (MNs) and the window it screens; every frame has
exactly the schema ``ecosentinel.detection.context`` declares, and is empty (never None) when nothing is
known. Filed parameters are returned whatever their date (a filing before the window is still in force);
uploads, events and windows are those of ``[start - slack, end)``, so rules see what happened just before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.detection.context import EVENT_SCHEMA, PARAMETER_SCHEMA, WINDOW_SCHEMA
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.messages import factor_name
from ecosentinel.readings import CST
from ecosentinel.registry import messages
from ecosentinel.registry.dynamic import STANDARD_CHECK_TOLERANCE, standard_check_error
from ecosentinel.registry.models import (
    Device,
    FiledParameter,
    MaintenanceWindow,
    ParameterUpload,
    Point,
    StandardCheck,
    StationEvent,
)

LOOKBACK = dt.timedelta(hours=6)
"""Uploads and events this long before the window are included (rules compare before/after)."""

STANDARD_CHECK_RULE = "Q01_standard_check"
"""Rule code of standard-sample check findings (not a PointRule: the checks are records, not a series)."""
STANDARD_CHECK_HIGH = 0.20
"""[P] a check off by more than twice the HJ 355 tolerance is high severity."""


def _utc(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)


def _frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def filed_parameters(
    session: Session, mns: Collection[str], start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Filed parameters (备案参数) of the devices at these points in force before ``end`` (PARAMETER_SCHEMA).

    ``time`` is the filing's effective date (null: always in force); ``pol_id`` null for device-level items.
    """
    del start  # a filing made before the window is still in force
    query = (
        sa.select(
            Point.mn,
            FiledParameter.effective_from,
            FiledParameter.pol_id,
            FiledParameter.info_id,
            FiledParameter.value,
        )
        .join(Device, FiledParameter.device_id == Device.id)
        .join(Point, Device.point_id == Point.id)
        .where(Point.mn.in_(list(mns)))
        .where(sa.or_(FiledParameter.effective_from.is_(None), FiledParameter.effective_from < end))
        .order_by(Point.mn, FiledParameter.effective_from, FiledParameter.id)
    )
    rows = [
        {"mn": mn, "time": _utc(t), "pol_id": pol or None, "info_id": info, "value": value}
        for mn, t, pol, info, value in session.execute(query)
    ]
    return _frame(rows, PARAMETER_SCHEMA)


def parameter_uploads(
    session: Session, mns: Collection[str], start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """CN 3020 uploads (动态管控) of these points in [start - LOOKBACK, end), by time (PARAMETER_SCHEMA)."""
    query = (
        sa.select(
            ParameterUpload.mn,
            ParameterUpload.time,
            ParameterUpload.pol_id,
            ParameterUpload.info_id,
            ParameterUpload.value,
        )
        .where(ParameterUpload.mn.in_(list(mns)))
        .where(ParameterUpload.time >= start - LOOKBACK, ParameterUpload.time < end)
        .order_by(ParameterUpload.mn, ParameterUpload.time, ParameterUpload.id)
    )
    rows = [
        {"mn": mn, "time": _utc(t), "pol_id": pol or None, "info_id": info, "value": value}
        for mn, t, pol, info, value in session.execute(query)
    ]
    return _frame(rows, PARAMETER_SCHEMA)


def events(session: Session, mns: Collection[str], start: dt.datetime, end: dt.datetime) -> pl.DataFrame:
    """Door and camera events of these points in [start - LOOKBACK, end) (EVENT_SCHEMA)."""
    query = (
        sa.select(StationEvent.mn, StationEvent.time, StationEvent.type)
        .where(StationEvent.mn.in_(list(mns)))
        .where(StationEvent.time >= start - LOOKBACK, StationEvent.time < end)
        .order_by(StationEvent.mn, StationEvent.time)
    )
    rows = [{"mn": mn, "time": _utc(t), "type": typ} for mn, t, typ in session.execute(query)]
    return _frame(rows, EVENT_SCHEMA)


def maintenance_windows(
    session: Session, mns: Collection[str], start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Approved maintenance windows (报备的维护时段) overlapping [start, end) (WINDOW_SCHEMA)."""
    query = (
        sa.select(MaintenanceWindow.mn, MaintenanceWindow.start, MaintenanceWindow.end)
        .where(MaintenanceWindow.mn.in_(list(mns)))
        .where(MaintenanceWindow.status == "approved")  # a declaration excuses nothing until reviewed
        .where(MaintenanceWindow.start < end, MaintenanceWindow.end > start)
        .order_by(MaintenanceWindow.mn, MaintenanceWindow.start)
    )
    rows = [{"mn": mn, "start": _utc(s), "end": _utc(e)} for mn, s, e in session.execute(query)]
    return _frame(rows, WINDOW_SCHEMA)


def standard_check_findings(
    session: Session, mns: Collection[str], start: dt.datetime, end: dt.datetime
) -> list[Finding]:
    """A finding for every standard-sample check in [start, end) outside the HJ 355 tolerance (±10 %).

    Source: seed 003 (dynamic control uploads standard-sample check results); HJ 355-2019 (standard
    solution check ±10 %, /work/shared/domain/detection-research.md). Medium severity; high when the
    error exceeds twice the tolerance.
    """
    query = (
        sa.select(StandardCheck)
        .where(StandardCheck.mn.in_(list(mns)), StandardCheck.time >= start, StandardCheck.time < end)
        .order_by(StandardCheck.mn, StandardCheck.time)
    )
    out: list[Finding] = []
    for check in session.scalars(query):
        error = standard_check_error(check.standard_value, check.measured_value)
        if abs(error) <= STANDARD_CHECK_TOLERANCE + 1e-12:
            continue
        t = _utc(check.time)
        assert t is not None
        high = abs(error) > STANDARD_CHECK_HIGH
        evidence = {
            "window": [iso(t), iso(t)],
            "kind": "standard_check",
            "factor": check.factor_code,
            "standard_value": check.standard_value,
            "measured_value": check.measured_value,
            "relative_error": round(error, 6),
            "threshold": {"tolerance": STANDARD_CHECK_TOLERANCE, "high": STANDARD_CHECK_HIGH},
            "comparison": "|measured - standard| / standard > tolerance (HJ 355-2019)",
            "source": check.source,
        }
        out.append(
            Finding(
                mn=check.mn,
                rule=STANDARD_CHECK_RULE,
                factors=(check.factor_code,),
                start=t,
                end=t,
                severity=Severity.HIGH if high else Severity.MEDIUM,
                score=0.8 if high else 0.55,
                evidence=evidence,
                explanation_zh=messages.STANDARD_CHECK_EXPLAIN.format(
                    time=cst_text(t.astimezone(CST)),
                    mn=check.mn,
                    factor=factor_name(check.factor_code),
                    standard=_num(check.standard_value),
                    measured=_num(check.measured_value),
                    error=_num(round(error * 100, 1)),
                    tolerance=_num(STANDARD_CHECK_TOLERANCE * 100),
                ),
            )
        )
    return out


def _num(x: float) -> str:
    return f"{x:g}"
