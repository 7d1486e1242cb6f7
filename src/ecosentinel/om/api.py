"""JSON API of O&M supervision (/api/om): records, faults, spare parts, violations, assessments, ranking.

Every route depends on ``public`` or ``require(...)``; scoping (an agency only its points, an enterprise only
its own) is applied by the services.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.om import service
from ecosentinel.om.enums import FaultStatus
from ecosentinel.om.schemas import (
    FaultIn,
    FaultRead,
    FaultRepairIn,
    RecordIn,
    RecordRead,
    RecordUpdate,
    SparePartIn,
    SparePartRead,
    ViolationIn,
    ViolationRead,
)
from ecosentinel.store.base import MeasurementStore
from ecosentinel.web.deps import client_ip, get_db, require, store_of

router = APIRouter(prefix="/api/om", tags=["om 运维监管"])

Db = Annotated[Session, Depends(get_db, scope="function")]
Reader = Annotated[Principal, Depends(require(Perm.OM_READ))]
Writer = Annotated[Principal, Depends(require(Perm.OM_WRITE))]
Rater = Annotated[Principal, Depends(require(Perm.OM_RATE))]


Store = Annotated[MeasurementStore, Depends(store_of)]  # the app's store, opened once


@router.post("/records", status_code=201)
def create_record(body: RecordIn, request: Request, db: Db, principal: Writer) -> RecordRead:
    """File an electronic maintenance record (电子运维记录) with the caller's identity."""
    record = service.create_record(db, principal, body, ip=client_ip(request))
    return service.record_read(record)


@router.get("/records")
def list_records(
    db: Db,
    principal: Reader,
    mn: str | None = None,
    agency_id: int | None = None,
    limit: int = Query(500, le=5000),
) -> list[RecordRead]:
    """Maintenance records the caller may see, newest first."""
    return [
        service.record_read(r)
        for r in service.list_records(db, principal, mn=mn, agency_id=agency_id, limit=limit)
    ]


@router.get("/records/{record_id}")
def get_record(record_id: int, db: Db, principal: Reader) -> RecordRead:
    return service.record_read(service.get_record(db, principal, record_id))


@router.patch("/records/{record_id}")
def update_record(
    record_id: int, body: RecordUpdate, request: Request, db: Db, principal: Writer
) -> RecordRead:
    """Correct a record (old and new values are kept in the audit trail)."""
    return service.record_read(service.update_record(db, principal, record_id, body, ip=client_ip(request)))


@router.post("/faults", status_code=201)
def create_fault(body: FaultIn, request: Request, db: Db, principal: Writer) -> FaultRead:
    """Register a device fault (故障记录)."""
    return service.fault_read(service.create_fault(db, principal, body, ip=client_ip(request)))


@router.post("/faults/{fault_id}/repair")
def repair_fault(
    fault_id: int, body: FaultRepairIn, request: Request, db: Db, principal: Writer
) -> FaultRead:
    """Record the repair of a fault."""
    return service.fault_read(service.repair_fault(db, principal, fault_id, body, ip=client_ip(request)))


@router.get("/faults")
def list_faults(db: Db, principal: Reader, status: FaultStatus | None = None) -> list[FaultRead]:
    return [service.fault_read(f) for f in service.list_faults(db, principal, status=status)]


@router.post("/spare-parts", status_code=201)
def create_spare_part(body: SparePartIn, request: Request, db: Db, principal: Writer) -> SparePartRead:
    """Register a spare-part movement (备品备件记录)."""
    return service.spare_part_read(service.create_spare_part(db, principal, body, ip=client_ip(request)))


@router.get("/spare-parts")
def list_spare_parts(db: Db, principal: Reader) -> list[SparePartRead]:
    return [service.spare_part_read(p) for p in service.list_spare_parts(db, principal)]


@router.post("/violations", status_code=201)
def create_violation(body: ViolationIn, request: Request, db: Db, principal: Rater) -> ViolationRead:
    """Record a confirmed violation of an agency; a falsification vetoes its quarter (一票否决)."""
    return ViolationRead.model_validate(service.create_violation(db, principal, body, ip=client_ip(request)))


@router.get("/violations")
def list_violations(db: Db, principal: Reader) -> list[ViolationRead]:
    return [ViolationRead.model_validate(v) for v in service.list_violations(db, principal)]
