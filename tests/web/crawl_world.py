"""A world with something on every page, for the crawler and the wording tests.

The web seed (two enterprises, readings, a finding, day scores) and the browser tests' enforcement data (a red
warning, an O&M agency's published quarter, published evaluations, a penalty, a published draw), plus a task
from the warning assigned to an officer, a submitted and a draft on-site inspection, two cases (one
transferred to the police) and an overdue ledger problem of this year. One account per role;
the enterprise and O&M accounts are bound to the enterprise and agency that have data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import ROLE_NAMES_ZH, Role
from ecosentinel.auth.service import create_user, principal_of
from ecosentinel.enforcement import cases, inspections, tasks
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.registry.models import OMAgency
from ecosentinel.store.base import MeasurementStore
from tests.browser.enforcement_seed import seed_enforcement
from tests.web.seeding import seed

PASSWORD = "crawl-pass-1"


@dataclass(frozen=True)
class CrawlWorld:
    users: dict[Role, str]
    warning_id: int
    task_id: int
    inspection_id: int
    open_inspection_id: int
    case_id: int
    transferred_case_id: int
    enterprise_id: int
    problem_id: int


def seed_crawl_world(session: Session, store: MeasurementStore) -> CrawlWorld:
    world = seed(session, store)
    officers = [
        create_user(
            session, username=f"officer{i}", password=PASSWORD, role=Role.OFFICER, display_name=f"执法{i}"
        )
        for i in (1, 2)
    ]
    session.commit()
    enforcement = seed_enforcement(session, store, world)
    agency_id = session.scalar(sa.select(OMAgency.id).order_by(OMAgency.id).limit(1))
    users: dict[Role, str] = {Role.OFFICER: "officer1"}
    for role in Role:
        if role in (Role.OFFICER, Role.PUBLIC):
            continue
        name = f"crawl-{role.value}"
        create_user(
            session,
            username=name,
            password=PASSWORD,
            role=role,
            display_name=f"{ROLE_NAMES_ZH[role]}账号",
            enterprise_id=world.enterprise_a if role is Role.ENTERPRISE else None,
            agency_id=agency_id if role is Role.OM_AGENCY else None,
        )
        users[role] = name
    session.flush()
    officer = principal_of(officers[0])
    task = tasks.create_task(
        session,
        officer,
        source="warning",
        warning_id=enforcement.warning_id,
        assignees=[officers[0].id, officers[1].id],
        deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=7),
    )
    inspection = inspections.create_inspection(session, officer, task_id=task.id, inspectors="执法1、执法2")
    inspections.update_inspection(
        session,
        officer,
        inspection.id,
        items=[
            inspections.ItemInput(
                item.item_no, "nonconform" if i == 0 else "conform", "采样杯内有清水" if i == 0 else None
            )
            for i, item in enumerate(inspection.items)
        ],
        conclusion="发现采样杯被加水稀释",
    )
    inspections.submit_inspection(session, officer, inspection.id)
    open_inspection = inspections.create_inspection(session, officer, task_id=task.id, inspectors="执法1")
    case = cases.create_case(session, officer, title="甲化工涉嫌篡改监测数据", task_id=task.id)
    other = cases.create_case(
        session,
        officer,
        title="甲化工涉嫌干扰采样",
        enterprise_id=world.enterprise_a,
        warning_ids=[enforcement.warning_id],
    )
    cases.transfer_case(
        session,
        officer,
        other.id,
        recipient="police",
        recipient_org="嘉兴市公安局",
        kind="detention",
        letter_no="嘉环移〔2025〕3号",
        letter_text="移送函正文",
        investigation_report="调查报告",
        site_record="现场检查笔录",
    )
    today = ledger.today_cst()
    problem = ledger.create_problem(
        session,
        officer,
        found_on=today - dt.timedelta(days=10),
        category="自动监控",
        description="自动监控设施运行不正常",
        source="大数据平台推动",
        enterprise_id=world.enterprise_a,
        task_id=task.id,
        deadline=today - dt.timedelta(days=1),
        actions=[ledger.ActionInput("书面责令改正")],
        today=today,
    )
    session.commit()
    return CrawlWorld(
        users=users,
        warning_id=enforcement.warning_id,
        task_id=task.id,
        inspection_id=inspection.id,
        open_inspection_id=open_inspection.id,
        case_id=case.id,
        transferred_case_id=other.id,
        enterprise_id=world.enterprise_a,
        problem_id=problem.id,
    )
