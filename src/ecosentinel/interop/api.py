"""JSON API of interoperation (/api/interop): forwarding targets (admin), remote commands, back-fill.

Every route depends on ``require(...)``: forwarding needs ``forward.manage`` (admin only); sending a command
``commands.send``; reading commands and back-fill requests ``data.read`` within the caller's scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.interop import backfill, commands, forward
from ecosentinel.interop.schemas import (
    BackfillRead,
    CommandIn,
    CommandRead,
    MappingIn,
    MappingRead,
    TargetIn,
    TargetStatusRead,
    TargetUpdate,
)
from ecosentinel.registry.scope import check_mn
from ecosentinel.web.deps import client_ip, get_db, require

router = APIRouter(prefix="/api/interop", tags=["interop 级联转发与反控"])

Db = Annotated[Session, Depends(get_db, scope="function")]
Admin = Annotated[Principal, Depends(require(Perm.FORWARD_MANAGE))]
Sender = Annotated[Principal, Depends(require(Perm.COMMANDS_SEND))]
Reader = Annotated[Principal, Depends(require(Perm.DATA_READ))]


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
    return CommandRead.model_validate(commands.view(row))


@router.get("/points/{mn}/commands")
def list_commands(
    mn: str, db: Db, principal: Reader, limit: int = Query(100, ge=1, le=1000)
) -> list[CommandRead]:
    check_mn(db, principal, mn)
    return [
        CommandRead.model_validate(commands.view(r)) for r in commands.list_commands(db, mn=mn, limit=limit)
    ]


@router.get("/commands/{command_id}")
def get_command(command_id: int, db: Db, principal: Reader) -> CommandRead:
    row = commands.get_command(db, command_id)
    check_mn(db, principal, row.mn)
    return CommandRead.model_validate(commands.view(row))


@router.get("/points/{mn}/backfill")
def list_backfill(
    mn: str, db: Db, principal: Reader, limit: int = Query(100, ge=1, le=1000)
) -> list[BackfillRead]:
    """Back-fill requests of a point, newest first, with how many packets each brought."""
    check_mn(db, principal, mn)
    return [BackfillRead.model_validate(v) for v in backfill.list_requests(db, mn=mn, limit=limit)]
