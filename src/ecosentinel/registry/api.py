"""JSON API of the registry (prefix /api/registry): registry files, devices, permits and networking,
comparison tests, dynamic-control uploads, standard checks, door/camera events and meter series.

Every route requires a permission; enterprises and O&M agencies see and post only for their own points.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm, Role
from ecosentinel.auth.service import Principal
from ecosentinel.errors import NotFoundError, PermissionDeniedError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry import messages
from ecosentinel.registry.dynamic import import_3020_file, list_uploads, record_standard_check
from ecosentinel.registry.events import (
    EventIn,
    import_meter_csv,
    list_events,
    parse_events_csv,
    record_events,
)
from ecosentinel.registry.excel import counts_text, export_registry_file, import_registry_file
from ecosentinel.registry.models import (
    ComparisonTest,
    Device,
    Enterprise,
    MaintenanceWindow,
    Meter,
    Permit,
    Point,
)
from ecosentinel.registry.permits import check_permits, pre_issuance_check, record_comparison_test
from ecosentinel.registry.scope import check_mn, visible_enterprise_ids, visible_mns, visible_point_ids
from ecosentinel.registry.service import list_points
from ecosentinel.web.deps import client_ip, get_db, require, store_of

router = APIRouter(prefix="/api/registry", tags=["registry 登记信息"])

Db = Annotated[Session, Depends(get_db, scope="function")]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 20_000_000
MAX_WINDOW = dt.timedelta(hours=72)
"""Longest maintenance window one declaration may cover (a longer job is declared in parts, each reviewed)."""
"""Largest request body an import route reads (a province's registry is a few MB)."""


async def _bounded_body(request: Request, limit: int | None = None) -> bytes:
    """The request body, refused with a clear message once it exceeds ``limit`` (default
    ``MAX_UPLOAD_BYTES``; checked while reading)."""
    limit = limit if limit is not None else MAX_UPLOAD_BYTES
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ValidationError(messages.UPLOAD_TOO_LARGE.format(limit=limit // 1_000_000), location="body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ValidationError(messages.UPLOAD_TOO_LARGE.format(limit=limit // 1_000_000), location="body")
        chunks.append(chunk)
    return b"".join(chunks)


def _cst(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(CST).isoformat()


# ----------------------------------------------------------------------------------- registry


@router.get("/enterprises")
def enterprises(
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_READ))], db: Db
) -> dict[str, Any]:
    """Enterprises the caller may see."""
    ids = visible_enterprise_ids(db, principal)
    query = sa.select(Enterprise).order_by(Enterprise.name)
    if ids is not None:
        query = query.where(Enterprise.id.in_(ids))
    results = [
        {
            "id": e.id,
            "name": e.name,
            "credit_code": e.credit_code,
            "industry": e.industry,
            "address": e.address,
            "key_category": e.key_category,
        }
        for e in db.scalars(query)
    ]
    return {"meta": {"count": len(results)}, "results": results}


@router.get("/points")
def points(principal: Annotated[Principal, Depends(require(Perm.REGISTRY_READ))], db: Db) -> dict[str, Any]:
    """Monitoring points the caller may see (no passwords)."""
    ids = visible_point_ids(db, principal)
    results = [p.model_dump(mode="json") for p in list_points(db) if ids is None or p.id in ids]
    return {"meta": {"count": len(results)}, "results": results}


@router.get("/devices")
def devices(principal: Annotated[Principal, Depends(require(Perm.REGISTRY_READ))], db: Db) -> dict[str, Any]:
    """Analysers with their filed parameters (备案参数), for the points the caller may see."""
    ids = visible_point_ids(db, principal)
    query = sa.select(Device).options(selectinload(Device.parameters), selectinload(Device.point))
    if ids is not None:
        query = query.where(Device.point_id.in_(ids))
    results = [
        {
            "serial_no": d.serial_no,
            "mn": d.point.mn,
            "model": d.model,
            "manufacturer": d.manufacturer,
            "certification_no": d.certification_no,
            "install_date": d.install_date.isoformat() if d.install_date else None,
            "factor_codes": list(d.factor_codes),
            "filed_parameters": [
                {
                    "pol_id": p.pol_id or None,
                    "info_id": p.info_id,
                    "name": p.name,
                    "value": p.value,
                    "unit": p.unit,
                    "effective_from": _cst(p.effective_from),
                }
                for p in d.parameters
            ],
        }
        for d in db.scalars(query.order_by(Device.serial_no))
    ]
    return {"meta": {"count": len(results)}, "results": results}


@router.get("/export")
def export_registry(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_WRITE))],
    db: Db,
    format: Annotated[str, Query(pattern="^(xlsx|yaml)$")] = "xlsx",
    with_passwords: bool = False,
) -> Response:
    """The whole registry as an Excel workbook or YAML (registry writers only). Logger passwords are left
    out unless ``with_passwords=true``, which the audit trail records."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"registry.{format}"
        counts = export_registry_file(db, path, include_passwords=with_passwords)
        content = path.read_bytes()
    note = messages.PASSWORDS_EXPORTED if with_passwords else ""
    record(
        db,
        principal,
        "export",
        "registry",
        None,
        f"导出登记信息（{format}）{note}：{counts_text(counts)}",
        {**counts, "with_passwords": with_passwords},
        ip=client_ip(request),
    )
    media = XLSX if format == "xlsx" else "application/yaml"
    headers = {"Content-Disposition": f'attachment; filename="registry.{format}"'}
    return Response(content, media_type=media, headers=headers)


@router.post("/import")
async def import_registry(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_WRITE))],
    db: Db,
    format: Annotated[str, Query(pattern="^(xlsx|yaml)$", description="format of the request body")] = "xlsx",
) -> dict[str, Any]:
    """Import a registry file sent as the request body (all or nothing; errors name sheet, row, column).

    Parsing runs in a worker thread, never on the event loop the HJ 212 receiver may share."""
    body = await _bounded_body(request)

    def work() -> dict[str, int]:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"registry.{format}"
            path.write_bytes(body)
            try:
                return import_registry_file(db, path)
            except ValidationError as exc:
                errors = getattr(exc, "errors", [exc])
                text = "\n".join(str(e).replace(str(path), "上传文件") for e in errors)
                raise ValidationError(text, location="上传文件") from exc

    counts = await run_in_threadpool(work)
    record(
        db,
        principal,
        "import",
        "registry",
        None,
        f"导入登记信息：{counts_text(counts)}",
        counts,
        ip=client_ip(request),
    )
    return {"counts": counts, "message": counts_text(counts)}


# ------------------------------------------------------------------------------------- permits


@router.get("/permits")
def permits(principal: Annotated[Principal, Depends(require(Perm.PERMITS_READ))], db: Db) -> dict[str, Any]:
    """Permits (and applications) of the enterprises the caller may see, with their requirements."""
    ids = visible_enterprise_ids(db, principal)
    query = sa.select(Permit).options(selectinload(Permit.requirements), selectinload(Permit.enterprise))
    if ids is not None:
        query = query.where(Permit.enterprise_id.in_(ids))
    results = [
        {
            "number": p.number,
            "enterprise": p.enterprise.name,
            "credit_code": p.enterprise.credit_code,
            "status": p.status,
            "valid_from": p.valid_from.isoformat() if p.valid_from else None,
            "valid_to": p.valid_to.isoformat() if p.valid_to else None,
            "requirements": [{"outlet": r.outlet_code, "factor": r.factor_code} for r in p.requirements],
        }
        for p in db.scalars(query.order_by(Permit.number))
    ]
    return {"meta": {"count": len(results)}, "results": results}


def _gap(g: Any) -> dict[str, Any]:
    return {"outlet": g.outlet, "factor": g.factor, "mn": g.mn, "reason": g.reason, "reason_zh": g.reason_zh}


@router.get("/permits/check")
def permits_check(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.PERMITS_READ))],
    db: Db,
    hours: Annotated[float, Query(gt=0, le=24 * 31, description="'recently' = within these hours")] = 24,
) -> dict[str, Any]:
    """应装尽装、联网: every permit's unmet requirements and quality-control gaps."""
    ids = visible_enterprise_ids(db, principal)
    checks = check_permits(db, store_of(request), enterprise_ids=ids, recent=dt.timedelta(hours=hours))
    results = [
        {
            "permit": c.permit,
            "enterprise": c.enterprise,
            "status": c.status,
            "requirements": c.requirements,
            "ok": c.ok,
            "gaps": [_gap(g) for g in c.gaps],
            "qc_gaps": [_gap(g) for g in c.qc_gaps],
        }
        for c in checks
    ]
    return {"meta": {"count": len(results), "with_gaps": sum(not c.ok for c in checks)}, "results": results}


@router.get("/permits/{number}/pre-issuance")
def permit_pre_issuance(
    number: str,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.PERMITS_READ))],
    db: Db,
) -> dict[str, Any]:
    """Yes/no with reasons: may this permit be issued (networked monitoring in place)?"""
    permit = db.scalars(sa.select(Permit).where(Permit.number == number)).one_or_none()
    if permit is None:
        raise NotFoundError(messages.PERMIT_NOT_FOUND.format(number=number))
    ids = visible_enterprise_ids(db, principal)
    if ids is not None and permit.enterprise_id not in ids:
        raise NotFoundError(messages.PERMIT_NOT_FOUND.format(number=number))
    decision = pre_issuance_check(db, store_of(request), number)
    return {
        "permit": decision.permit,
        "enterprise": decision.enterprise,
        "issuable": decision.issuable,
        "summary_zh": decision.summary_zh,
        "reasons": decision.reasons,
    }


class ComparisonIn(BaseModel):
    """One comparison test (比对监测): the manual reference value and the online value."""

    mn: str
    factor_code: str
    tested_on: dt.date
    manual_value: float
    online_value: float
    unit: str | None = None
    tester: str | None = Field(default=None, max_length=200)


@router.post("/comparison-tests", status_code=201)
def add_comparison_test(
    item: ComparisonIn,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.PERMITS_WRITE))],
    db: Db,
) -> dict[str, Any]:
    """Record a comparison test; it is judged against the HJ 355 / HJ 75 tolerance of the factor."""
    check_mn(db, principal, item.mn)
    point = db.scalars(sa.select(Point).where(Point.mn == item.mn)).one_or_none()
    if point is None:
        raise NotFoundError(messages.UNKNOWN_MN.format(mn=item.mn))
    test = record_comparison_test(
        db,
        point=point,
        factor_code=item.factor_code,
        tested_on=item.tested_on,
        manual_value=item.manual_value,
        online_value=item.online_value,
        unit=item.unit,
        tester=item.tester,
        created_by=principal.username,
    )
    verdict = "合格" if test.passed else "不合格"
    summary = f"登记比对监测：{item.mn} {item.factor_code} {verdict}"
    detail = item.model_dump(mode="json")
    record(db, principal, "create", "comparison_test", test.id, summary, detail, ip=client_ip(request))
    return _comparison(test, item.mn)


def _comparison(t: ComparisonTest, mn: str) -> dict[str, Any]:
    return {
        "id": t.id,
        "mn": mn,
        "factor_code": t.factor_code,
        "tested_on": t.tested_on.isoformat(),
        "manual_value": t.manual_value,
        "online_value": t.online_value,
        "passed": t.passed,
        "error": t.error,
        "error_kind": t.error_kind,
        "allowed": t.allowed,
        "basis": t.basis,
    }


@router.get("/comparison-tests")
def comparison_tests(
    principal: Annotated[Principal, Depends(require(Perm.PERMITS_READ))], db: Db
) -> dict[str, Any]:
    """Comparison tests of the points the caller may see, newest first."""
    ids = visible_point_ids(db, principal)
    query = sa.select(ComparisonTest, Point.mn).join(Point, ComparisonTest.point_id == Point.id)
    if ids is not None:
        query = query.where(ComparisonTest.point_id.in_(ids))
    rows = db.execute(query.order_by(ComparisonTest.tested_on.desc(), ComparisonTest.id.desc()).limit(5000))
    results = [_comparison(t, mn) for t, mn in rows]
    return {"meta": {"count": len(results)}, "results": results}


# ------------------------------------------------------------------------------ dynamic control


@router.post("/parameter-uploads")
async def post_parameter_uploads(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_WRITE))],
    db: Db,
) -> dict[str, Any]:
    """Import CN 3020 frames (request body: text, one frame per line); all or nothing."""

    body = await _bounded_body(request)

    def work() -> Any:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "uploads.txt"
            path.write_bytes(body)
            try:
                return import_3020_file(db, path)
            except ValidationError as exc:
                raise ValidationError(str(exc).replace(str(path), "请求内容")) from exc

    result = await run_in_threadpool(work)
    summary = f"导入动态管控参数：报文 {result.packets} 条，新增 {result.parameters} 条"
    record(
        db,
        principal,
        "import",
        "parameter_upload",
        None,
        summary,
        {"packets": result.packets},
        ip=client_ip(request),
    )
    return {"packets": result.packets, "parameters": result.parameters, "skipped_other": result.skipped_other}


@router.get("/parameter-uploads")
def get_parameter_uploads(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_READ))],
    db: Db,
    mn: str | None = None,
) -> dict[str, Any]:
    """Dynamic-control parameter history (newest first) of the points the caller may see."""
    mns = visible_mns(db, principal)
    if mn is not None:
        check_mn(db, principal, mn)
        mns = {mn}
    uploads = list_uploads(db, mns=mns)
    record(
        db,
        principal,
        "view",
        "parameter_upload",
        mn,
        f"查看动态管控参数记录 {len(uploads)} 条",
        {"mn": mn},
        ip=client_ip(request),
    )
    results = [
        {
            "mn": u.mn,
            "time": _cst(u.time),
            "pol_id": u.pol_id or None,
            "info_id": u.info_id,
            "name": u.name,
            "value": u.value,
        }
        for u in uploads
    ]
    return {"meta": {"count": len(results)}, "results": results}


class StandardCheckIn(BaseModel):
    """A standard-sample check (标样核查). Times without an offset are China Standard Time."""

    mn: str
    factor_code: str
    time: dt.datetime
    standard_value: float
    measured_value: float


@router.post("/standard-checks", status_code=201)
def post_standard_check(
    item: StandardCheckIn,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.EVENTS_WRITE))],
    db: Db,
) -> dict[str, Any]:
    """Record a standard-sample check; outside ±10 % (HJ 355) it becomes a screening finding."""
    check_mn(db, principal, item.mn)
    if db.scalar(sa.select(Point.id).where(Point.mn == item.mn)) is None:
        raise NotFoundError(messages.UNKNOWN_MN.format(mn=item.mn))
    check = record_standard_check(db, source="manual", **item.model_dump())
    record(
        db,
        principal,
        "create",
        "standard_check",
        check.id,
        f"登记标样核查：{item.mn} {item.factor_code}",
        item.model_dump(mode="json"),
        ip=client_ip(request),
    )
    return {"id": check.id}


# ------------------------------------------------------------------------------------- events


@router.post("/events")
async def post_events(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.EVENTS_WRITE))],
    db: Db,
) -> dict[str, Any]:
    """Door and camera events as JSON (a list of {mn, time, type, device_code, detail}) or CSV
    (Content-Type text/csv, header mn,time,type[,device_code,detail]). Enterprises and O&M agencies
    may post only for their own points."""
    body = await _bounded_body(request)
    if "csv" in request.headers.get("content-type", ""):
        events = parse_events_csv(body.decode("utf-8-sig"), source="请求内容")
    else:
        try:
            data = json.loads(body or b"null")
            items = data.get("events") if isinstance(data, dict) else data
            if not isinstance(items, list):
                raise ValidationError(messages.EVENTS_EMPTY, location="body")
            events = [EventIn.model_validate(i) for i in items]
        except json.JSONDecodeError as exc:
            raise ValidationError(str(exc), location="body") from exc
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            raise ValidationError(
                str(first["msg"]), location="body." + ".".join(map(str, first["loc"]))
            ) from exc
    added, duplicates = await run_in_threadpool(record_events, db, principal, events)
    summary = messages.IMPORTED_EVENTS.format(added=added, duplicates=duplicates)
    record(
        db,
        principal,
        "create",
        "station_event",
        None,
        summary,
        {"added": added, "duplicates": duplicates},
        ip=client_ip(request),
    )
    return {"added": added, "duplicates": duplicates}


@router.get("/events")
def get_events(
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_READ))],
    db: Db,
    start: dt.datetime,
    end: dt.datetime,
    mn: str | None = None,
) -> dict[str, Any]:
    """Door and camera events of the points the caller may see in [start, end) (naive = CST)."""
    mns = visible_mns(db, principal)
    if mn is not None:
        check_mn(db, principal, mn)
        mns = {mn}
    s, e = (t if t.tzinfo else t.replace(tzinfo=CST) for t in (start, end))
    rows = list_events(db, mns=mns, start=s, end=e)
    results = [
        {
            "mn": r.mn,
            "time": _cst(r.time),
            "type": r.type,
            "device_code": r.device_code or None,
            "detail": r.detail,
        }
        for r in rows
    ]
    return {"meta": {"count": len(results)}, "results": results}


@router.post("/meter-readings")
async def post_meter_readings(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.EVENTS_WRITE))],
    db: Db,
) -> dict[str, Any]:
    """Working-condition / electricity series as CSV (meter,time,value); scoped to the caller's points."""

    text = (await _bounded_body(request)).decode("utf-8-sig")
    allowed = visible_point_ids(db, principal)
    if allowed is not None:
        codes = {line.split(",", 1)[0].strip() for line in text.splitlines()[1:] if line.strip()}
        owners = dict(db.execute(sa.select(Meter.code, Meter.point_id).where(Meter.code.in_(codes))).tuples())
        outside = sorted(c for c, pid in owners.items() if pid not in allowed)
        if outside:
            raise PermissionDeniedError(messages.EVENT_OUT_OF_SCOPE.format(mns="、".join(outside)))
    rows, inserted = await run_in_threadpool(import_meter_csv, db, store_of(request), text, source="请求内容")
    summary = messages.IMPORTED_METER_READINGS.format(rows=rows, inserted=inserted)
    record(db, principal, "import", "meter_reading", None, summary, {"rows": rows}, ip=client_ip(request))
    return {"rows": rows, "inserted": inserted}


class WindowIn(BaseModel):
    """A maintenance period declared in advance (报备). Times without an offset are China Standard Time."""

    mn: str
    start: dt.datetime
    end: dt.datetime
    reason: str | None = Field(default=None, max_length=500)


@router.post("/maintenance-windows", status_code=201, deprecated=True)
def post_maintenance_window(
    item: WindowIn,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require(Perm.EVENTS_WRITE))],
    db: Db,
) -> dict[str, Any]:
    """Declare a maintenance window for a point (screening weighs findings inside an approved one less).

    Deprecated: data marks (``POST /api/interop/marks``, kind ``maintenance``) supersede declared windows
    (docs/interop.md §5); this route stays for existing clients and says so in its headers.
    At most ``MAX_WINDOW`` long. Declared by an enterprise or an O&M agency it waits for an analyst's
    approval before it excuses anything; declared by the bureau's staff it is approved at once."""
    check_mn(db, principal, item.mn)
    start, end = (
        (t if t.tzinfo else t.replace(tzinfo=CST)).astimezone(dt.UTC) for t in (item.start, item.end)
    )
    if end <= start:
        raise ValidationError(messages.WINDOW_ORDER, location="end")
    if end - start > MAX_WINDOW:
        hours = round((end - start).total_seconds() / 3600, 1)
        raise ValidationError(
            messages.WINDOW_TOO_LONG.format(hours=int(MAX_WINDOW.total_seconds() // 3600), got=hours),
            location="end",
        )
    interested = principal.role in (Role.ENTERPRISE, Role.OM_AGENCY)
    window = MaintenanceWindow(
        mn=item.mn,
        start=start,
        end=end,
        reason=item.reason,
        created_by=principal.username,
        status="pending" if interested else "approved",
    )
    db.add(window)
    db.flush()
    record(
        db,
        principal,
        "create",
        "maintenance_window",
        window.id,
        f"报备维护时段：{item.mn}",
        {**item.model_dump(mode="json"), "status": window.status},
        ip=client_ip(request),
    )
    response.headers["Deprecation"] = "true"
    response.headers["Link"] = '</api/interop/marks>; rel="successor-version"'
    return {"id": window.id, "status": window.status}


class WindowReview(BaseModel):
    note: str | None = Field(default=None, max_length=500)


def _window_out(w: MaintenanceWindow) -> dict[str, Any]:
    return {
        "id": w.id,
        "mn": w.mn,
        "start": _cst(w.start),
        "end": _cst(w.end),
        "reason": w.reason,
        "created_by": w.created_by,
        "status": w.status,
        "status_zh": messages.WINDOW_STATUS_ZH.get(w.status, w.status),
        "reviewed_by": w.reviewed_by,
        "review_note": w.review_note,
    }


@router.get("/maintenance-windows")
def list_maintenance_windows(
    principal: Annotated[Principal, Depends(require(Perm.REGISTRY_READ))],
    db: Db,
    status: Annotated[str | None, Query(pattern="^(pending|approved|rejected)$")] = None,
) -> dict[str, Any]:
    """Declared maintenance windows (an enterprise or agency sees only its own points'), newest first."""
    query = sa.select(MaintenanceWindow).order_by(MaintenanceWindow.start.desc())
    if status is not None:
        query = query.where(MaintenanceWindow.status == status)
    mns = visible_mns(db, principal)
    if mns is not None:
        query = query.where(MaintenanceWindow.mn.in_(mns))
    results = [_window_out(w) for w in db.scalars(query.limit(500))]
    return {"meta": {"count": len(results)}, "results": results}


def _review_window(
    db: Session, principal: Principal, window_id: int, status: str, note: str | None, ip: str | None
) -> dict[str, Any]:
    window = db.get(MaintenanceWindow, window_id)
    if window is None:
        raise NotFoundError(messages.WINDOW_NOT_FOUND.format(id=window_id))
    if window.status != "pending":
        raise ValidationError(
            messages.WINDOW_NOT_PENDING.format(id=window_id, status=messages.WINDOW_STATUS_ZH[window.status]),
            location="status",
        )
    if status == "rejected" and not (note or "").strip():
        raise ValidationError(messages.WINDOW_NOTE_REQUIRED, location="note")
    window.status = status
    window.reviewed_by = principal.username
    window.reviewed_at = dt.datetime.now(dt.UTC)
    window.review_note = (note or "").strip() or None
    db.flush()
    record(
        db,
        principal,
        "approve" if status == "approved" else "reject",
        "maintenance_window",
        window.id,
        f"审核维护时段 {window.id}（{window.mn}）：{messages.WINDOW_STATUS_ZH[status]}",
        {"status": status, "note": window.review_note},
        ip=ip,
    )
    return _window_out(window)


@router.post("/maintenance-windows/{window_id}/approve")
def approve_maintenance_window(
    window_id: int,
    body: WindowReview,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))],
    db: Db,
) -> dict[str, Any]:
    """An analyst approves a declared window: from now on screening weighs findings inside it less."""
    return _review_window(db, principal, window_id, "approved", body.note, client_ip(request))


@router.post("/maintenance-windows/{window_id}/reject")
def reject_maintenance_window(
    window_id: int,
    body: WindowReview,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.WARNINGS_TRIAGE))],
    db: Db,
) -> dict[str, Any]:
    """An analyst rejects a declared window (a reason is required); it never excuses anything."""
    return _review_window(db, principal, window_id, "rejected", body.note, client_ip(request))
