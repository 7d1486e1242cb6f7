"""Web UI pages of the registry: enterprises, points, devices and permits, and the permit networking check."""

from __future__ import annotations

from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session, selectinload

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.registry.models import Device, Enterprise, Permit
from ecosentinel.registry.permits import check_permits
from ecosentinel.registry.scope import visible_enterprise_ids, visible_point_ids
from ecosentinel.registry.service import list_points
from ecosentinel.web.deps import get_db, require, store_of
from ecosentinel.web.ui import page, register_nav

router = APIRouter(include_in_schema=False)

register_nav("登记信息", "/registry", Perm.REGISTRY_READ, order=60)
register_nav("许可联网核查", "/registry/permits", Perm.PERMITS_READ, order=61)


@router.get("/registry", response_class=HTMLResponse)
def registry_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> HTMLResponse:
    """Enterprises, monitoring points and devices the caller may see."""
    ents = visible_enterprise_ids(db, principal)
    pts = visible_point_ids(db, principal)
    query = sa.select(Enterprise).order_by(Enterprise.name)
    if ents is not None:
        query = query.where(Enterprise.id.in_(ents))
    devices = sa.select(Device).options(selectinload(Device.point), selectinload(Device.parameters))
    if pts is not None:
        devices = devices.where(Device.point_id.in_(pts))
    return page(
        request,
        "registry/index.html",
        principal,
        title="登记信息",
        enterprises=list(db.scalars(query)),
        points=[p for p in list_points(db) if pts is None or p.id in pts],
        devices=list(db.scalars(devices.order_by(Device.serial_no))),
    )


@router.get("/registry/permits", response_class=HTMLResponse)
def permits_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.PERMITS_READ))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> HTMLResponse:
    """Permits with their 应装尽装、联网 gaps and quality-control gaps."""
    ids = visible_enterprise_ids(db, principal)
    query = sa.select(Permit).options(selectinload(Permit.enterprise)).order_by(Permit.number)
    if ids is not None:
        query = query.where(Permit.enterprise_id.in_(ids))
    return page(
        request,
        "registry/permits.html",
        principal,
        title="排污许可与联网核查",
        permits=list(db.scalars(query)),
        checks=check_permits(db, store_of(request), enterprise_ids=ids),
    )
