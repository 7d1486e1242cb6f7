"""Station events and working-condition series (seed 004): door access (门禁), cameras (视频) and
working-condition / electricity meters (工况/用电) of production and treatment facilities.

Door and camera events are rows of ``station_event`` (screening reads them through
``ecosentinel.registry.context``). Meter series go to the measurement store as readings on the linked
point's MN under the reserved codes the screening rules read (wc_prod_kw / wc_treat_kw).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

import polars as pl
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session

from ecosentinel.auth.service import Principal
from ecosentinel.config import DataTimeSettings
from ecosentinel.detection.context import WC_PRODUCTION, WC_TREATMENT, EventType
from ecosentinel.errors import PermissionDeniedError, ValidationError
from ecosentinel.readings import CST, READING_SCHEMA, DataKind, Source
from ecosentinel.registry import messages
from ecosentinel.registry.enums import FacilityType
from ecosentinel.registry.models import Camera, Door, Meter, Point, StationEvent
from ecosentinel.registry.scope import visible_mns
from ecosentinel.store.base import MeasurementStore
from ecosentinel.store.timecheck import earliest_allowed, latest_allowed

logger = logging.getLogger(__name__)


class EventIn(BaseModel):
    """One door or camera event. Times without an offset are China Standard Time."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    mn: Annotated[str, StringConstraints(max_length=24)] | None = None
    time: dt.datetime
    type: EventType
    device_code: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="camera or door code (摄像头/门禁编号)"
    )
    detail: Annotated[str, StringConstraints(max_length=500)] | None = None

    def utc_time(self) -> dt.datetime:
        t = self.time if self.time.tzinfo else self.time.replace(tzinfo=CST)
        return t.astimezone(dt.UTC)


def parse_events_csv(text: str, *, source: str = "events.csv") -> list[EventIn]:
    """Events from CSV with a header: mn,time,type[,device_code,detail]; errors name the line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = set(reader.fieldnames or ())
    missing = [c for c in ("time", "type") if c not in fields]
    if missing or not ({"mn", "device_code"} & fields):
        need = missing or ["mn"]
        raise ValidationError(messages.CSV_MISSING_COLUMNS.format(columns=", ".join(need)), location=source)
    events: list[EventIn] = []
    for line, row in enumerate(reader, start=2):
        cleaned = {k: (v or None) for k, v in row.items() if k is not None}
        try:
            events.append(EventIn.model_validate(cleaned))
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValidationError(f"{where}: {first['msg']}", location=f"{source}:{line}") from exc
    return events


def _resolve(session: Session, events: Sequence[EventIn]) -> list[tuple[str, EventIn]]:
    """The MN of each event (from the camera/door code when not given); refuse mismatches."""
    codes = {e.device_code for e in events if e.device_code}
    owners: dict[str, str] = {}
    if codes:
        for model in (Camera, Door):
            query = sa.select(model.code, Point.mn).join(Point, model.point_id == Point.id)
            for code, mn in session.execute(query.where(model.code.in_(codes))):
                owners[code] = mn
    known = set(session.scalars(sa.select(Point.mn).where(Point.mn.in_({e.mn for e in events if e.mn}))))
    out: list[tuple[str, EventIn]] = []
    for index, event in enumerate(events):
        where = f"events[{index}]"
        owner = owners.get(event.device_code or "")
        if event.mn is None:
            if event.device_code is None:
                raise ValidationError(messages.EVENT_NO_POINT, location=where)
            if owner is None:
                raise ValidationError(
                    messages.EVENT_UNKNOWN_DEVICE.format(code=event.device_code), location=where
                )
            out.append((owner, event))
            continue
        if event.mn not in known:
            raise ValidationError(messages.UNKNOWN_MN.format(mn=event.mn), location=where)
        if owner is not None and owner != event.mn:
            raise ValidationError(
                messages.EVENT_DEVICE_OTHER_POINT.format(code=event.device_code, owner=owner, mn=event.mn),
                location=where,
            )
        out.append((event.mn, event))
    return out


def record_events(session: Session, principal: Principal, events: Sequence[EventIn]) -> tuple[int, int]:
    """Store events (all or nothing) for points the principal may see: (added, duplicates skipped).

    An enterprise may post only for its own points, an O&M agency only for the points it maintains.
    """
    if not events:
        raise ValidationError(messages.EVENTS_EMPTY)
    resolved = _resolve(session, events)
    allowed = visible_mns(session, principal)
    if allowed is not None:
        outside = sorted({mn for mn, _ in resolved if mn not in allowed})
        if outside:
            raise PermissionDeniedError(messages.EVENT_OUT_OF_SCOPE.format(mns="、".join(outside)))
    mns = {mn for mn, _ in resolved}
    times = [e.utc_time() for _, e in resolved]
    existing = {
        (mn, _aware(t), typ, code)
        for mn, t, typ, code in session.execute(
            sa.select(StationEvent.mn, StationEvent.time, StationEvent.type, StationEvent.device_code).where(
                StationEvent.mn.in_(mns), StationEvent.time >= min(times), StationEvent.time <= max(times)
            )
        )
    }
    added = 0
    for (mn, event), t in zip(resolved, times, strict=True):
        key = (mn, t, event.type.value, event.device_code or "")
        if key in existing:
            continue
        existing.add(key)
        session.add(
            StationEvent(
                mn=mn,
                time=t,
                type=event.type.value,
                device_code=event.device_code or "",
                detail=event.detail,
                created_by=principal.username,
            )
        )
        added += 1
    session.flush()
    return added, len(resolved) - added


def _aware(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t


def list_events(
    session: Session, *, mns: set[str] | None, start: dt.datetime, end: dt.datetime
) -> list[StationEvent]:
    """Events of the given points (None = all) in [start, end), in time order, at most 10000."""
    query = sa.select(StationEvent).where(StationEvent.time >= start, StationEvent.time < end)
    if mns is not None:
        query = query.where(StationEvent.mn.in_(mns))
    return list(session.scalars(query.order_by(StationEvent.time).limit(10_000)))


# ------------------------------------------------------------------------------------ meter series


def meter_code_for(facility_type: str) -> str:
    """The reading code a facility's power is stored under on its point's MN."""
    return WC_PRODUCTION if facility_type == FacilityType.PRODUCTION.value else WC_TREATMENT


def meter_readings(
    session: Session,
    rows: Iterable[dict[str, Any]],
    *,
    source: str = "meters.csv",
    kind: DataKind = DataKind.MINUTE,
    data_time: DataTimeSettings | None = None,
) -> pl.DataFrame:
    """Readings (READING_SCHEMA) from rows of meter,time,value (meter = a registered meter code).

    Times without an offset are China Standard Time; times beyond the future tolerance or before the
    earliest date of ``data_time`` are refused like every other reading. Errors name the CSV line.
    """
    policy = data_time or DataTimeSettings()
    now = dt.datetime.now(dt.UTC)
    latest, earliest = latest_allowed(policy, now), earliest_allowed(policy, now)
    meters = {
        code: (mn, facility)
        for code, mn, facility in session.execute(
            sa.select(Meter.code, Point.mn, Meter.facility_type).join(Point, Meter.point_id == Point.id)
        )
    }
    out: list[dict[str, Any]] = []
    for line, row in enumerate(rows, start=2):
        where = f"{source}:{line}"
        code = (row.get("meter") or "").strip()
        if code not in meters:
            raise ValidationError(messages.METER_UNKNOWN.format(code=code), location=where)
        raw_time = str(row.get("time", "")).strip()
        try:
            t = dt.datetime.fromisoformat(raw_time)
        except ValueError as exc:
            raise ValidationError(messages.METER_BAD_TIME.format(value=raw_time), location=where) from exc
        value_text = str(row.get("value", "")).strip()
        try:
            value = float(value_text) if value_text else None
        except ValueError as exc:
            raise ValidationError(messages.METER_BAD_VALUE.format(value=value_text), location=where) from exc
        t = (t if t.tzinfo else t.replace(tzinfo=CST)).astimezone(dt.UTC)
        if t > latest or t < earliest:
            raise ValidationError(messages.METER_TIME_OUT_OF_RANGE.format(value=raw_time), location=where)
        mn, facility = meters[code]
        out.append(
            {
                "mn": mn,
                "code": meter_code_for(facility),
                "kind": kind.value,
                "time": t,
                "source": Source.PLATFORM.value,
                "value": value,
                "vmin": None,
                "vmax": None,
                "cou": None,
                "zs": None,
                "flag": "N",
            }
        )
    return pl.DataFrame(out, schema=READING_SCHEMA)


def import_meter_csv(
    session: Session,
    store: MeasurementStore,
    text: str,
    *,
    source: str = "meters.csv",
    kind: DataKind = DataKind.MINUTE,
) -> tuple[int, int]:
    """Import a working-condition / electricity CSV (meter,time,value) into the store: (rows, inserted)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("meter", "time", "value") if c not in (reader.fieldnames or ())]
    if missing:
        raise ValidationError(
            messages.CSV_MISSING_COLUMNS.format(columns=", ".join(missing)), location=source
        )
    frame = meter_readings(session, reader, source=source, kind=kind)
    inserted = store.append(frame) if frame.height else 0
    logger.info("meter series %s: %d rows, %d new", source, frame.height, inserted)
    return frame.height, inserted
