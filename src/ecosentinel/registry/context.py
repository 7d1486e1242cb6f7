"""Registry facts for screening: the polars frames of ``PointContext`` (incl. standard-sample checks).

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

from ecosentinel.detection.context import EVENT_SCHEMA, PARAMETER_SCHEMA, STANDARD_CHECK_SCHEMA, WINDOW_SCHEMA
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


def standard_checks(
    session: Session, mns: Collection[str], start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Standard-sample checks (标样核查) in [start, end) (STANDARD_CHECK_SCHEMA), for rule Q01."""
    query = (
        sa.select(StandardCheck)
        .where(StandardCheck.mn.in_(list(mns)), StandardCheck.time >= start, StandardCheck.time < end)
        .order_by(StandardCheck.mn, StandardCheck.time)
    )
    rows = [
        {
            "mn": c.mn,
            "time": _utc(c.time),
            "factor": c.factor_code,
            "standard_value": c.standard_value,
            "measured_value": c.measured_value,
            "source": c.source,
        }
        for c in session.scalars(query)
    ]
    return _frame(rows, STANDARD_CHECK_SCHEMA)
