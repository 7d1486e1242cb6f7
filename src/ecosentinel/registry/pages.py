"""Web UI pages of the registry: enterprises, points, devices and permits, and the permit networking check."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.errors import ValidationError
from ecosentinel.registry import messages
from ecosentinel.registry.excel import counts_text, import_registry_file
from ecosentinel.registry.models import Device, Enterprise, Permit
from ecosentinel.registry.permits import check_permits
from ecosentinel.registry.scope import visible_enterprise_ids, visible_point_ids
from ecosentinel.registry.service import list_points
from ecosentinel.web.deps import client_ip, get_db, require, store_of
from ecosentinel.web.ui import error_redirect, page, redirect, register_nav

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
        can_write=principal.can(Perm.REGISTRY_WRITE),
    )


IMPORT_SUFFIXES = {".xlsx": "xlsx", ".yaml": "yaml", ".yml": "yaml"}
MAX_IMPORT_BYTES = 20_000_000
FLASH_LIMIT = 1500  # characters of a long error list that fit in the one-time message


@router.post("/registry/import")
async def registry_import_form(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_WRITE))],
    db: Annotated[Session, Depends(get_db, scope="function")],
) -> Response:
    """Import the whole registry from an uploaded Excel workbook or YAML file (all or nothing); errors name
    the sheet, row and column and come back beside the file field."""
    form = await request.form()
    upload = form.get("file")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationError(messages.IMPORT_FILE_MISSING, location="file")
        kind = IMPORT_SUFFIXES.get(PurePath(upload.filename).suffix.lower())
        if kind is None:
            raise ValidationError(messages.IMPORT_FILE_KIND, location="file")
        data = await upload.read(MAX_IMPORT_BYTES + 1)
        if len(data) > MAX_IMPORT_BYTES:
            raise ValidationError(
                messages.UPLOAD_TOO_LARGE.format(limit=MAX_IMPORT_BYTES // 1_000_000), location="file"
            )

        def work() -> dict[str, int]:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"registry.{kind}"
                path.write_bytes(data)
                try:
                    return import_registry_file(db, path)
                except ValidationError as exc:
                    errors = getattr(exc, "errors", [exc])
                    text = "\n".join(str(e).replace(str(path), "上传文件") for e in errors)
                    raise ValidationError(text[:FLASH_LIMIT], location="file") from exc

        counts = await run_in_threadpool(work)
    except ValidationError as exc:
        db.rollback()
        return error_redirect("/registry", exc, request)
    record(
        db,
        principal,
        "import",
        "registry",
        None,
        f"导入登记信息（网页，{upload.filename}）：{counts_text(counts)}",
        counts,
        ip=client_ip(request),
    )
    db.commit()
    return redirect("/registry", flash=messages.IMPORT_DONE.format(counts=counts_text(counts)))


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
