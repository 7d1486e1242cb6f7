"""Enforcement and disclosure data for the browser tests, made through the services (as the areas' own tests
do): the red warning of the seeded finding, an O&M agency's published quarter, published enterprise
evaluations, a decided penalty and a published random draw with its result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement import draws
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.enforcement.ledger.service import ActionInput
from ecosentinel.enforcement.models import EnforcementWarning
from ecosentinel.enforcement.warnings import sync_warnings
from ecosentinel.evaluation import om_assessment
from ecosentinel.evaluation.service import evaluate_period, publish_period
from ecosentinel.readings import CST
from ecosentinel.registry.models import OMAgency, OMAssignment, OMStaff
from ecosentinel.store.base import MeasurementStore
from tests.web.seeding import MN_A, World

PERIOD = "2025-03"
QUARTER = "2025Q1"
EVALUATED_AT = dt.datetime(2025, 4, 1, 9, 0, tzinfo=CST)
AGENCY_NAME = "嘉兴绿源运维有限公司"
PENALTY_NO = "嘉环罚〔2025〕12号"
PENALTY_SUMMARY = "通过稀释采样篡改自动监测数据"
DRAW_TITLE = "2025年3月“双随机”抽查"
DRAW_OUTCOME = "未发现问题"


@dataclass(frozen=True)
class Enforcement:
    warning_id: int
    draw_id: int
    problem_id: int


def seed_enforcement(session: Session, store: MeasurementStore, world: World) -> Enforcement:
    """Needs the world of ``tests.web.seeding.seed`` and at least two officer accounts; commits."""
    sync_warnings(session, days=None)
    warning_id = session.scalar(sa.select(EnforcementWarning.id).where(EnforcementWarning.mn == MN_A))
    assert warning_id is not None, "the seeded red point-day made no warning"

    agency = OMAgency(name=AGENCY_NAME, credit_code="91330400MA2BOM0009")
    session.add_all([agency, OMStaff(agency=agency, name="张运维", id_no="A-001")])
    session.flush()
    session.add_all(
        OMAssignment(agency_id=agency.id, point_id=p, valid_from=dt.date(2025, 1, 1))
        for p in (world.point_a, world.point_b)
    )
    session.flush()
    om_assessment.rate_quarter(session, store, QUARTER, principal=SYSTEM, now=EVALUATED_AT)
    om_assessment.publish_quarter(session, QUARTER, principal=SYSTEM)
    evaluate_period(session, store, PERIOD, principal=SYSTEM, now=EVALUATED_AT)
    publish_period(session, PERIOD, principal=SYSTEM)

    problem = ledger.create_problem(
        session,
        SYSTEM,
        found_on=dt.date(2025, 3, 10),
        category="自动监控",
        description="采样杯被加水稀释（内部线索）",
        source="大数据平台推动",
        enterprise_id=world.enterprise_a,
        actions=[
            ActionInput(
                "行政处罚",
                fine_wan=20.0,
                decision_no=PENALTY_NO,
                decided_on=dt.date(2025, 3, 28),
                public_summary=PENALTY_SUMMARY,
            )
        ],
        today=dt.date(2025, 3, 31),
    )
    draw = draws.run_draw(
        session,
        SYSTEM,
        title=DRAW_TITLE,
        drawn_on=dt.date(2025, 3, 3),
        enterprise_count=1,
        seed="20250303",
    )
    draws.record_selection_result(
        session, SYSTEM, draw.selections[0].id, inspected_on=dt.date(2025, 3, 12), outcome=DRAW_OUTCOME
    )
    draws.publish_draw(session, SYSTEM, draw.id)
    session.commit()
    return Enforcement(warning_id=warning_id, draw_id=draw.id, problem_id=problem.id)
