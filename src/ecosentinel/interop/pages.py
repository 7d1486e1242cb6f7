"""Web UI pages of interoperation: forwarding targets and their status (admin), the command form posted from
the station page, and the validity statistics page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.errors import EcoSentinelError
from ecosentinel.interop import commands, forward, marks, validity
from ecosentinel.interop.api import data_dir
from ecosentinel.protocol.hj212.control import CONTROL_COMMANDS
from ecosentinel.readings import CST
from ecosentinel.registry.scope import check_mn, visible_mns
from ecosentinel.store.base import MeasurementStore
from ecosentinel.web.deps import client_ip, get_db, require, store_of
from ecosentinel.web.ui import page, redirect, register_nav

router = APIRouter(include_in_schema=False)

register_nav("级联转发", "/interop/forwarding", Perm.FORWARD_MANAGE, order=95)
register_nav("数据有效性", "/interop/validity", Perm.DATA_READ, order=25)
register_nav("数据标记", "/interop/marks", Perm.DATA_READ, order=26)

Db = Annotated[Session, Depends(get_db, scope="function")]
Admin = Annotated[Principal, Depends(require(Perm.FORWARD_MANAGE))]


@router.get("/interop/forwarding", response_class=HTMLResponse)
def forwarding_page(request: Request, principal: Admin, db: Db) -> HTMLResponse:
    """Every upstream target with queue depth, last acknowledgement and lag; forms to add and map."""
    targets = forward.status(db)
    return page(
        request,
        "interop/forwarding.html",
        principal,
        title="级联转发（上级平台）",
        targets=targets,
        mappings={t.id: forward.mappings(db, t.id) for t in targets},
    )


@router.post("/interop/forwarding/targets")
def add_target_form(
    request: Request,
    principal: Admin,
    db: Db,
    name: Annotated[str, Form()],
    host: Annotated[str, Form()],
    port: Annotated[int, Form()],
    cns: Annotated[str, Form()] = "2011,2051,2061,2031",
) -> Response:
    try:
        forward.add_target(db, principal, name=name, host=host, port=port, cns=cns, ip=client_ip(request))
    except EcoSentinelError as exc:
        db.rollback()
        return redirect("/interop/forwarding", flash=str(exc), level="error")
    return redirect("/interop/forwarding", flash=f"已新增转发目标 {name}")


@router.post("/interop/forwarding/targets/{target_id}/mappings")
def set_mapping_form(
    target_id: int,
    request: Request,
    principal: Admin,
    db: Db,
    mn: Annotated[str, Form()],
    upstream_mn: Annotated[str, Form()],
    upstream_pw: Annotated[str, Form()],
) -> Response:
    try:
        forward.set_mapping(
            db,
            principal,
            target_id,
            mn=mn,
            upstream_mn=upstream_mn,
            upstream_pw=upstream_pw,
            ip=client_ip(request),
        )
    except EcoSentinelError as exc:
        db.rollback()
        return redirect("/interop/forwarding", flash=str(exc), level="error")
    return redirect("/interop/forwarding", flash=f"已设置 {mn} 的编码对照")


@router.post("/stations/{mn}/commands")
def command_form(
    mn: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.COMMANDS_SEND))],
    db: Db,
    command: Annotated[str, Form()],
    pol_id: Annotated[str, Form()] = "",
    value: Annotated[str, Form()] = "",
    info_id: Annotated[str, Form()] = "",
) -> Response:
    """The station page's command form: one command with its few parameters."""
    back = f"/stations/{mn}"
    spec = CONTROL_COMMANDS.get(command)
    params: dict[str, str | int] = {}
    if spec is not None:
        if pol_id and "PolId" in spec.params:
            params["PolId"] = pol_id
        if info_id and "InfoId" in spec.params:
            params["InfoId"] = info_id
        for name in ("SystemTime", "RtdInterval", "MinInterval", "Value"):
            if value and name in spec.params:
                params[name] = value
    try:
        check_mn(db, principal, mn)
        row = commands.issue_command(db, principal, mn=mn, key=command, params=params, ip=client_ip(request))
    except EcoSentinelError as exc:
        db.rollback()
        return redirect(back, flash=str(exc), level="error")
    return redirect(back, flash=f"已排队反控命令（请求编号 {row.qn}），现场机在线时发送")


@router.get("/interop/validity", response_class=HTMLResponse)
def validity_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.DATA_READ))],
    db: Db,
    store: Annotated[MeasurementStore, Depends(store_of)],
    start: str = "",
    end: str = "",
    period: str = "day",
    mn: str = "",
) -> HTMLResponse:
    """Transmission, valid-data and capture rates per point and factor; offline and missing-data alarms."""
    today = dt.datetime.now(CST).date()
    flash: list[dict[str, str]] = []
    try:
        last = dt.date.fromisoformat(end) if end else today
        first = dt.date.fromisoformat(start) if start else last - dt.timedelta(days=6)
        if mn:
            check_mn(db, principal, mn)
        visible = visible_mns(db, principal)
        mns = [mn] if mn else (None if visible is None else sorted(visible))
        rows = validity.statistics(db, store, start=first, end=last, mns=mns, period=period)
    except (ValueError, EcoSentinelError) as exc:
        flash.append({"level": "error", "text": str(exc)})
        rows, first, last = [], today, today
    visible = visible_mns(db, principal)
    found = [a for a in validity.alarms(db, store) if visible is None or a.mn in visible]
    return page(
        request,
        "interop/validity.html",
        principal,
        title="数据有效性与完整性统计",
        rows=rows,
        alarms=found,
        start=first.isoformat(),
        end=last.isoformat(),
        period=period,
        mn=mn,
        flash=flash,
    )


@router.get("/interop/marks", response_class=HTMLResponse)
def marks_page(
    request: Request, principal: Annotated[Principal, Depends(require(Perm.DATA_READ))], db: Db
) -> HTMLResponse:
    """Data marks the caller may see; the filing form (marks.write) and review buttons (marks.review)."""
    visible = visible_mns(db, principal)
    return page(
        request,
        "interop/marks.html",
        principal,
        title="数据标记",
        marks=marks.list_marks(db, principal),
        kinds=marks.MARK_KINDS,
        statuses=marks.MARK_STATUS_ZH,
        mns=sorted(visible) if visible is not None else None,
        can_write=principal.can(Perm.MARKS_WRITE),
        can_review=principal.can(Perm.MARKS_REVIEW),
    )


def _cst_input(value: str, field: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=CST)
    except ValueError as exc:
        raise EcoSentinelError(f"{field}：时间格式不正确") from exc


@router.post("/interop/marks")
async def mark_form(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.MARKS_WRITE))],
    db: Db,
    folder: Annotated[Path, Depends(data_dir)],
    mn: Annotated[str, Form()],
    kind: Annotated[str, Form()],
    start: Annotated[str, Form()],
    end: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    factor_code: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        attachment = None
        if file is not None and file.filename:
            attachment = (file.filename, await file.read(marks.MAX_ATTACHMENT_BYTES + 1))
        marks.create_mark(
            db,
            principal,
            mn=mn,
            kind=kind,
            start=_cst_input(start, "开始时间"),
            end=_cst_input(end, "结束时间"),
            reason=reason,
            factor_code=factor_code or None,
            attachment=attachment,
            data_dir=folder,
            ip=client_ip(request),
        )
    except EcoSentinelError as exc:
        db.rollback()
        return redirect("/interop/marks", flash=str(exc), level="error")
    return redirect("/interop/marks", flash="已提交数据标记，待审核")


@router.post("/interop/marks/{mark_id}/review")
def mark_review_form(
    mark_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.MARKS_REVIEW))],
    db: Db,
    decision: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        marks.review_mark(
            db, principal, mark_id, approve=decision == "approve", note=note, ip=client_ip(request)
        )
    except EcoSentinelError as exc:
        db.rollback()
        return redirect("/interop/marks", flash=str(exc), level="error")
    return redirect("/interop/marks", flash="已审核")
