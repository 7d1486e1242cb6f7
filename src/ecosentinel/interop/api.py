"""JSON API of interoperation (/api/interop): forwarding targets (admin), remote commands, back-fill.

Every route depends on ``require(...)``: forwarding needs ``forward.manage`` (admin only); sending a command
``commands.send``; reading commands and back-fill requests ``data.read`` within the caller's scope.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.config import get_settings
from ecosentinel.interop import backfill, commands, forward, marks, validity
from ecosentinel.interop.schemas import (
    AlarmRead,
    BackfillRead,
    CommandIn,
    CommandRead,
    MappingIn,
    MappingRead,
    MarkRead,
    ReviewIn,
    TargetIn,
    TargetStatusRead,
    TargetUpdate,
    ValidityRead,
)
from ecosentinel.readings import CST
from ecosentinel.registry.scope import check_mn, visible_mns
from ecosentinel.store.base import MeasurementStore
from ecosentinel.web.deps import client_ip, get_db, require, store_of

router = APIRouter(prefix="/api/interop", tags=["interop 级联转发与反控"])

Db = Annotated[Session, Depends(get_db, scope="function")]
Admin = Annotated[Principal, Depends(require(Perm.FORWARD_MANAGE))]
Sender = Annotated[Principal, Depends(require(Perm.COMMANDS_SEND))]
Reader = Annotated[Principal, Depends(require(Perm.DATA_READ))]
Store = Annotated[MeasurementStore, Depends(store_of)]


@router.get("/targets")
def list_targets(db: Db, principal: Admin) -> list[TargetStatusRead]:
    """Forwarding targets with their status: queue depth, last acknowledgement, lag."""
    return [TargetStatusRead.model_validate(s) for s in forward.status(db)]


@router.post("/targets", status_code=201)
def add_target(body: TargetIn, request: Request, db: Db, principal: Admin) -> TargetStatusRead:
    target = forward.add_target(db, principal, **body.model_dump(), ip=client_ip(request))
    db.commit()
    return next(TargetStatusRead.model_validate(s) for s in forward.status(db) if s.id == target.id)


@router.patch("/targets/{target_id}")
def update_target(
    target_id: int, body: TargetUpdate, request: Request, db: Db, principal: Admin
) -> TargetStatusRead:
    forward.update_target(
        db, principal, target_id, body.model_dump(exclude_unset=True), ip=client_ip(request)
    )
    db.commit()
    return next(TargetStatusRead.model_validate(s) for s in forward.status(db) if s.id == target_id)


@router.delete("/targets/{target_id}", status_code=204)
def remove_target(target_id: int, request: Request, db: Db, principal: Admin) -> Response:
    forward.remove_target(db, principal, target_id, ip=client_ip(request))
    return Response(status_code=204)


@router.get("/targets/{target_id}/mappings")
def list_mappings(target_id: int, db: Db, principal: Admin) -> list[MappingRead]:
    """The per-point MN mapping of a target (passwords are never returned)."""
    forward.get_target(db, target_id)
    return [MappingRead.model_validate(m) for m in forward.mappings(db, target_id)]


@router.put("/targets/{target_id}/mappings", status_code=200)
def set_mapping(target_id: int, body: MappingIn, request: Request, db: Db, principal: Admin) -> MappingRead:
    mapping = forward.set_mapping(db, principal, target_id, **body.model_dump(), ip=client_ip(request))
    return MappingRead.model_validate(mapping)


@router.delete("/targets/{target_id}/mappings/{mn}", status_code=204)
def remove_mapping(target_id: int, mn: str, request: Request, db: Db, principal: Admin) -> Response:
    forward.remove_mapping(db, principal, target_id, mn, ip=client_ip(request))
    return Response(status_code=204)


@router.post("/points/{mn}/commands", status_code=201)
def issue_command(mn: str, body: CommandIn, request: Request, db: Db, principal: Sender) -> CommandRead:
    """Queue a remote command (反控); the running platform sends it while the logger is connected and
    tracks its 9011 / 9012 answers."""
    check_mn(db, principal, mn)
    row = commands.issue_command(
        db, principal, mn=mn, key=body.command, params=body.params, ip=client_ip(request)
    )
    return commands.view(row)


@router.get("/points/{mn}/commands")
def list_commands(
    mn: str, db: Db, principal: Reader, limit: int = Query(100, ge=1, le=1000)
) -> list[CommandRead]:
    check_mn(db, principal, mn)
    return [commands.view(r) for r in commands.list_commands(db, mn=mn, limit=limit)]


@router.get("/commands/{command_id}")
def get_command(command_id: int, db: Db, principal: Reader) -> CommandRead:
    row = commands.get_command(db, command_id)
    check_mn(db, principal, row.mn)
    return commands.view(row)


@router.get("/points/{mn}/backfill")
def list_backfill(
    mn: str, db: Db, principal: Reader, limit: int = Query(100, ge=1, le=1000)
) -> list[BackfillRead]:
    """Back-fill requests of a point, newest first, with how many packets each brought."""
    check_mn(db, principal, mn)
    return [BackfillRead.model_validate(v) for v in backfill.list_requests(db, mn=mn, limit=limit)]


def _scoped_mns(db: Session, principal: Principal, mn: str | None) -> list[str] | None:
    if mn is not None:
        check_mn(db, principal, mn)
        return [mn]
    visible = visible_mns(db, principal)
    return None if visible is None else sorted(visible)


def _rows(
    db: Session,
    store: MeasurementStore,
    principal: Principal,
    start: dt.date | None,
    end: dt.date | None,
    period: str,
    mn: str | None,
) -> list[validity.ValidityRow]:
    today = dt.datetime.now(CST).date()
    end = end or today
    start = start or end - dt.timedelta(days=6)
    return validity.statistics(
        db, store, start=start, end=end, mns=_scoped_mns(db, principal, mn), period=period
    )


@router.get("/validity")
def validity_statistics(
    db: Db,
    principal: Reader,
    store: Store,
    start: Annotated[dt.date | None, Query(description="First day (CST), default a week before end")] = None,
    end: Annotated[dt.date | None, Query(description="Last day (CST), default today")] = None,
    period: Annotated[str, Query(pattern="^(day|month)$")] = "day",
    mn: str | None = None,
) -> list[ValidityRead]:
    """Transmission rate (传输率), valid-data rate (有效率), capture rate per point, factor, day or month."""
    return [ValidityRead.of(r) for r in _rows(db, store, principal, start, end, period, mn)]


@router.get("/validity.xlsx")
def validity_export(
    db: Db,
    principal: Reader,
    store: Store,
    start: dt.date | None = None,
    end: dt.date | None = None,
    period: Annotated[str, Query(pattern="^(day|month)$")] = "day",
    mn: str | None = None,
) -> Response:
    """The same statistics as an Excel workbook."""
    data = validity.workbook(_rows(db, store, principal, start, end, period, mn))
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="validity.xlsx"'},
    )


@router.get("/alarms")
def data_alarms(db: Db, principal: Reader, store: Store) -> list[AlarmRead]:
    """Offline points and point-factor-days with missing data (transmission rate below 90 %)."""
    visible = visible_mns(db, principal)
    return [
        AlarmRead.model_validate(a) for a in validity.alarms(db, store) if visible is None or a.mn in visible
    ]


def data_dir(request: Request) -> Path:
    """The installation's data directory (``app.state.settings`` when the app carries one)."""
    settings = getattr(request.app.state, "settings", None) or get_settings()
    return Path(settings.data_dir)


@router.post("/marks", status_code=201)
async def create_mark(
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.MARKS_WRITE))],
    folder: Annotated[Path, Depends(data_dir)],
    mn: Annotated[str, Form()],
    kind: Annotated[str, Form(description="stop, startup, shutdown, banked, fault, maintenance, …")],
    start: Annotated[dt.datetime, Form()],
    end: Annotated[dt.datetime, Form()],
    reason: Annotated[str, Form()],
    factor_code: Annotated[str | None, Form()] = None,
    file: Annotated[UploadFile | None, File()] = None,
) -> MarkRead:
    """Mark a period of a point (数据标记) with its reason and an optional attachment (≤ 20 MB, SHA-256)."""
    attachment = None
    if file is not None and file.filename:
        attachment = (file.filename, await file.read(marks.MAX_ATTACHMENT_BYTES + 1))
    mark = marks.create_mark(
        db,
        principal,
        mn=mn,
        kind=kind,
        start=start,
        end=end,
        reason=reason,
        factor_code=factor_code or None,
        attachment=attachment,
        data_dir=folder,
        ip=client_ip(request),
    )
    return MarkRead.model_validate(mark)


@router.get("/marks")
def list_marks(
    db: Db,
    principal: Reader,
    mn: str | None = None,
    status: Annotated[str | None, Query(pattern="^(submitted|approved|rejected)$")] = None,
    limit: int = Query(200, ge=1, le=2000),
) -> list[MarkRead]:
    """Marks the caller may see, newest first."""
    return [
        MarkRead.model_validate(m) for m in marks.list_marks(db, principal, mn=mn, status=status, limit=limit)
    ]


@router.post("/marks/{mark_id}/review")
def review_mark(
    mark_id: int,
    body: ReviewIn,
    request: Request,
    db: Db,
    principal: Annotated[Principal, Depends(require(Perm.MARKS_REVIEW))],
) -> MarkRead:
    """Approve or reject a submitted mark (rejecting needs a reason)."""
    mark = marks.review_mark(
        db, principal, mark_id, approve=body.approve, note=body.note, ip=client_ip(request)
    )
    return MarkRead.model_validate(mark)
