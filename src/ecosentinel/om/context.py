"""O&M facts for the screening engine: maintenance records (OM_SCHEMA) and declared windows (WINDOW_SCHEMA).

The registry's context extension calls these for the points and window being screened; rules use the
records to explain calibration/maintenance flags and the windows to weigh findings inside them lower.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.detection.context import OM_SCHEMA, WINDOW_SCHEMA
from ecosentinel.om.enums import SCREENING_KIND, RecordKind
from ecosentinel.om.models import MaintenanceRecord
from ecosentinel.registry.models import MaintenanceWindow, Point


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def om_records_frame(
    session: Session, mns: Iterable[str] | None, start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Maintenance records of the points (None = all) that overlap [start, end), in OM_SCHEMA."""
    query = (
        sa.select(
            Point.mn,
            MaintenanceRecord.started_at,
            MaintenanceRecord.ended_at,
            MaintenanceRecord.kind,
            MaintenanceRecord.staff_name,
        )
        .join(Point, Point.id == MaintenanceRecord.point_id)
        .where(MaintenanceRecord.started_at < end, MaintenanceRecord.ended_at >= start)
        .order_by(Point.mn, MaintenanceRecord.started_at)
    )
    if mns is not None:
        query = query.where(Point.mn.in_(list(mns)))
    rows = session.execute(query).all()
    return pl.DataFrame(
        {
            "mn": [r[0] for r in rows],
            "start": [_utc(r[1]) for r in rows],
            "end": [_utc(r[2]) for r in rows],
            "kind": [SCREENING_KIND[RecordKind(r[3])].value for r in rows],
            "person": [r[4] for r in rows],
        },
        schema=OM_SCHEMA,
    )


def maintenance_windows_frame(
    session: Session, mns: Iterable[str] | None, start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Declared maintenance windows (报备的维护时段) that overlap [start, end), in WINDOW_SCHEMA."""
    query = (
        sa.select(MaintenanceWindow.mn, MaintenanceWindow.start, MaintenanceWindow.end)
        .where(MaintenanceWindow.start < end, MaintenanceWindow.end >= start)
        .order_by(MaintenanceWindow.mn, MaintenanceWindow.start)
    )
    if mns is not None:
        query = query.where(MaintenanceWindow.mn.in_(list(mns)))
    rows = session.execute(query).all()
    return pl.DataFrame(
        {"mn": [r[0] for r in rows], "start": [_utc(r[1]) for r in rows], "end": [_utc(r[2]) for r in rows]},
        schema=WINDOW_SCHEMA,
    )
