"""A small registry for O&M and evaluation tests: two enterprises, a point each, two agencies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, Factor, OMAgency, OMAssignment, OMStaff, Point

MN_A = "33040000000000000000T001"
MN_B = "33040000000000000000T002"


@dataclass(frozen=True)
class Ids:
    enterprise_1: int
    enterprise_2: int
    point_1: int
    point_2: int
    agency_a: int
    agency_b: int
    staff_a: int
    staff_b: int


def cst(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=CST)


def make_registry(session: Session, *, assigned_from: dt.date = dt.date(2026, 9, 30)) -> Ids:
    """Enterprise 1 has point 1 (MN_A) maintained by agency A; enterprise 2 has point 2 (MN_B), agency B."""
    e1 = Enterprise(name="嘉兴甲造纸有限公司", credit_code="91330400MA2B000011", industry="造纸")
    e2 = Enterprise(name="嘉兴乙化工有限公司", credit_code="91330400MA2B000022", industry="化工")
    p1 = Point(mn=MN_A, pw="123456", name="废水总排口", type="water", enterprise=e1, active=True)
    p2 = Point(mn=MN_B, pw="654321", name="废水总排口", type="water", enterprise=e2, active=True)
    p1.factors.append(Factor(code="w01018", name="化学需氧量", unit="mg/L", limit_high=100.0))
    p2.factors.append(Factor(code="w01018", name="化学需氧量", unit="mg/L", limit_high=100.0))
    a = OMAgency(name="嘉兴运维甲公司", credit_code="91330400MA2BOM0001")
    b = OMAgency(name="嘉兴运维乙公司", credit_code="91330400MA2BOM0002")
    sa_ = OMStaff(agency=a, name="张运维", id_no="A-001")
    sb = OMStaff(agency=b, name="李运维", id_no="B-001")
    session.add_all([e1, e2, p1, p2, a, b, sa_, sb])
    session.flush()
    session.add_all(
        [
            OMAssignment(agency_id=a.id, point_id=p1.id, valid_from=assigned_from),
            OMAssignment(agency_id=b.id, point_id=p2.id, valid_from=assigned_from),
        ]
    )
    session.commit()
    return Ids(e1.id, e2.id, p1.id, p2.id, a.id, b.id, sa_.id, sb.id)
