"""JSON data behind the station page: the curves of a monitoring point (scoped to what the caller may see)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.readings import DataKind
from ecosentinel.registry.scope import check_mn
from ecosentinel.server import station
from ecosentinel.web.deps import client_ip, get_db, require, store_of

router = APIRouter(prefix="/api/data", tags=["data 监测数据"])


@router.get("/points/{mn}/series")
def point_series(
    mn: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.DATA_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
    start: Annotated[dt.datetime | None, Query(description="Window start (ISO 8601; naive = CST)")] = None,
    end: Annotated[
        dt.datetime | None, Query(description="Window end (default: the point's last data)")
    ] = None,
    kind: Annotated[DataKind | None, Query(description="minute / hour / rtd (default by window)")] = None,
) -> dict[str, Any]:
    """Every factor of one point over a window (≤ 31 days) with flags, findings and door/camera events."""
    check_mn(db, principal, mn)
    point = station.get_point(db, mn)
    store = store_of(request)
    default_end = station.last_data_time(store, mn) or dt.datetime.now(dt.UTC)
    if end is None and start is None:
        default_end = default_end + dt.timedelta(minutes=1)
    window = station.resolve_window(start, end, kind, default_end=default_end)
    data = station.series(db, store, point, window)
    if data["findings"] and principal.can(Perm.FINDINGS_READ):
        # End the read transaction first: on SQLite a write on top of an older read snapshot fails at once
        # (SQLITE_BUSY_SNAPSHOT) when another connection committed meanwhile.
        db.commit()
        record(
            db,
            principal,
            "view",
            "finding",
            mn,
            f"查看点位 {mn} 的 {len(data['findings'])} 条疑似线索（曲线）",
            {"start": window.start.isoformat(), "end": window.end.isoformat()},
            ip=client_ip(request),
        )
    elif not principal.can(Perm.FINDINGS_READ):
        data["findings"] = []
    return data
