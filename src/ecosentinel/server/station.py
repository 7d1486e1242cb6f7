"""What the station page shows: a point's curves, its findings and its door/camera events over one window.

Plain functions over a Session and the measurement store; the routes (``data_api``, ``pages``) check the
permission and the caller's scope first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.detection.messages import FACTOR_NAMES, SEVERITY_NAMES
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST, DataKind, Source
from ecosentinel.registry.models import Point, StationEvent
from ecosentinel.screening.models import ScreeningFinding
from ecosentinel.store.base import MeasurementStore
from ecosentinel.web import messages

logger = logging.getLogger(__name__)

MAX_WINDOW = dt.timedelta(days=31)
MINUTE_WINDOW_LIMIT = dt.timedelta(days=3)
"""Longer windows are drawn from hourly data (a month of minute data is too much for a browser chart)."""
SOURCE_PREFERENCE = (Source.PLATFORM, Source.LOGGER, Source.ANALYSER)
FLAG_NAMES_ZH: dict[str, str] = {
    "N": "正常",
    "F": "停运",
    "M": "维护",
    "S": "手工输入",
    "D": "故障",
    "C": "校准",
    "T": "超测上限",
    "B": "通讯异常",
    "P": "电源故障",
}
EVENT_NAMES_ZH: dict[str, str] = {
    "door_open": "站房门打开",
    "door_close": "站房门关闭",
    "camera_offline": "摄像头离线",
    "camera_online": "摄像头恢复在线",
    "camera_moved": "摄像头转向",
    "video_lost": "视频信号丢失",
}


def get_point(session: Session, mn: str) -> Point:
    """The registered point with this MN (and its enterprise and factors), or NotFoundError."""
    point = session.scalar(
        sa.select(Point)
        .where(Point.mn == mn)
        .options(selectinload(Point.factors), selectinload(Point.enterprise))
    )
    if point is None:
        raise NotFoundError(messages.POINT_NOT_FOUND.format(mn=mn))
    return point


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    kind: DataKind


def resolve_window(
    start: dt.datetime | None, end: dt.datetime | None, kind: DataKind | None, *, default_end: dt.datetime
) -> Window:
    """Validate the requested window (default: the last 24 hours up to ``default_end``)."""
    end = _aware(end) if end else default_end
    start = _aware(start) if start else end - dt.timedelta(hours=24)
    if start >= end:
        raise ValidationError(messages.WINDOW_ORDER, location="start")
    if end - start > MAX_WINDOW:
        raise ValidationError(messages.WINDOW_TOO_LONG.format(days=MAX_WINDOW.days), location="end")
    if kind is None:
        kind = DataKind.MINUTE if end - start <= MINUTE_WINDOW_LIMIT else DataKind.HOUR
    # UTC from here on: SQLite compares stored timestamps as UTC wall-clock text.
    return Window(start.astimezone(dt.UTC), end.astimezone(dt.UTC), kind)


def _aware(value: dt.datetime) -> dt.datetime:

    return value.replace(tzinfo=CST) if value.tzinfo is None else value


def last_data_time(store: MeasurementStore, mn: str) -> dt.datetime | None:
    latest = store.latest().filter(pl.col("mn") == mn)
    if latest.is_empty():
        return None
    value = latest["time"].max()
    return value if isinstance(value, dt.datetime) else None


def _epoch_s(t: dt.datetime) -> float:
    return t.timestamp()


def series(session: Session, store: MeasurementStore, point: Point, window: Window) -> dict[str, Any]:
    """Every factor of the point over the window, one preferred source per factor, with flags, findings
    and events: the JSON the station chart draws."""
    frame = store.read_window(start=window.start, end=window.end, mns=[point.mn], kinds=[window.kind])
    kind = window.kind
    if frame.is_empty():  # fall back to whatever kind the point sends
        for other in (DataKind.MINUTE, DataKind.HOUR, DataKind.RTD):
            if other is window.kind:
                continue
            frame = store.read_window(start=window.start, end=window.end, mns=[point.mn], kinds=[other])
            if not frame.is_empty():
                kind = other
                break
    registered = {f.code: f for f in point.factors}
    factors: list[dict[str, Any]] = []
    codes = (
        sorted(set(frame["code"].to_list()) | set(registered)) if not frame.is_empty() else sorted(registered)
    )
    for code in codes:
        rows = frame.filter(pl.col("code") == code) if not frame.is_empty() else frame
        if not rows.is_empty():
            available = set(rows["source"].to_list())
            source = next((s.value for s in SOURCE_PREFERENCE if s.value in available), sorted(available)[0])
            rows = rows.filter(pl.col("source") == source).sort("time")
        else:
            source = None
        spec = registered.get(code)
        factors.append(
            {
                "code": code,
                "name": FACTOR_NAMES.get(code, spec.name if spec else code),
                "unit": spec.unit if spec else None,
                "limit_high": spec.limit_high if spec else None,
                "limit_low": spec.limit_low if spec else None,
                "source": source,
                "times": [_epoch_s(t) for t in rows["time"].to_list()] if not rows.is_empty() else [],
                "values": rows["value"].to_list() if not rows.is_empty() else [],
                "flags": rows["flag"].to_list() if not rows.is_empty() else [],
            }
        )
    return {
        "mn": point.mn,
        "point_name": point.name,
        "enterprise_name": point.enterprise.name if point.enterprise else None,
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "kind": kind.value,
        "flag_names": FLAG_NAMES_ZH,
        "factors": factors,
        "findings": findings(session, point.mn, window.start, window.end),
        "events": events(session, point.mn, window.start, window.end),
    }


def findings(session: Session, mn: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Screening findings of the point overlapping the window, oldest first."""
    rows = session.scalars(
        sa.select(ScreeningFinding)
        .where(ScreeningFinding.mn == mn, ScreeningFinding.start < end, ScreeningFinding.end > start)
        .order_by(ScreeningFinding.start, ScreeningFinding.id)
        .limit(500)
    )
    out = []
    for f in rows:
        try:
            evidence = json.loads(f.evidence)
        except ValueError:
            evidence = None
        out.append(
            {
                "id": f.id,
                "rule": f.rule,
                "title": f.title_zh,
                "explanation": f.explanation_zh,
                "severity": f.severity,
                "severity_zh": SEVERITY_NAMES.get(f.severity, f.severity),
                "factors": list(f.factors),
                "start": _epoch_s(_utc(f.start)),
                "end": _epoch_s(_utc(f.end)),
                "evidence": evidence,
            }
        )
    return out


def events(session: Session, mn: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Door and camera events of the point in the window (working-condition power is a series)."""
    rows = session.scalars(
        sa.select(StationEvent)
        .where(StationEvent.mn == mn, StationEvent.time >= start, StationEvent.time < end)
        .order_by(StationEvent.time)
        .limit(2000)
    )
    return [
        {
            "time": _epoch_s(_utc(e.time)),
            "type": e.type,
            "type_zh": EVENT_NAMES_ZH.get(e.type, e.type),
            "device": e.device_code,
            "detail": e.detail,
        }
        for e in rows
    ]


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
