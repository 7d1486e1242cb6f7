"""The dashboard agrees with itself: today's new warnings are counted from the list it shows (undecided ones
only), the leader sees the open workload, an officer sees the tasks assigned to him."""

from __future__ import annotations

import re

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement.models import EnforcementWarning
from ecosentinel.enforcement.warnings import dismiss_warning, sync_warnings
from ecosentinel.registry.models import Point
from ecosentinel.screening.models import PointDayScore, ScreeningFinding
from ecosentinel.store.base import MeasurementStore
from tests.conftest import login_as
from tests.web.crawling import HTML, Site, site
from tests.web.seeding import DAY, FINDING_END, FINDING_START, MN_B, seed

__all__ = ["site"]


def _value(html: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}">(\d+)<', html)
    assert match, testid
    return int(match.group(1))


def test_new_warning_cards_count_the_list_and_leave_out_decided_warnings(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    world = seed(db_session, store)
    db_session.add(
        ScreeningFinding(
            fingerprint="b" * 40,
            mn=MN_B,
            enterprise_id=world.enterprise_b,
            rule="R04_post_exceedance_drop",
            factors="w01018",
            start=FINDING_START,
            end=FINDING_END,
            severity="medium",
            severity_rank=2,
            score=0.5,
            title_zh="超标后浓度骤降",
            explanation_zh="化学需氧量超标后骤降",
            evidence="{}",
        )
    )
    db_session.execute(
        sa.update(PointDayScore)
        .where(PointDayScore.mn == MN_B, PointDayScore.day == DAY)
        .values(colour="yellow", score=0.5, n_findings=1, rules="R04")
    )
    db_session.commit()
    sync_warnings(db_session, days=None)
    db_session.commit()
    headers = {**HTML, **login_as(engine, Role.ANALYST)}
    text = client.get("/", headers=headers).text
    section = text.split("今日新增预警</h2>")[1].split("</section>")[0]
    listed = re.findall(r'<span class="badge (red|yellow|green)">', section)
    assert sorted(listed) == ["red", "yellow"]
    assert _value(text, "new-warnings") == 2
    assert (_value(text, "new-red"), _value(text, "new-yellow"), _value(text, "new-green")) == (1, 1, 0)
    assert section.index("badge red") < section.index("badge yellow")  # red first

    # the warning list: by colour, then score
    listed = client.get("/enforcement/warnings", headers=headers).text
    assert re.findall(r'data-colour="(red|yellow|green)"', listed) == ["red", "yellow"]
    yellow = db_session.scalar(sa.select(EnforcementWarning).where(EnforcementWarning.mn == MN_B))
    assert yellow is not None
    dismiss_warning(db_session, SYSTEM, yellow.id, reason="经核实为仪器校准", category="maintenance")
    db_session.commit()
    text = client.get("/", headers=headers).text
    assert _value(text, "new-warnings") == 1
    assert (_value(text, "new-red"), _value(text, "new-yellow")) == (1, 0)
    assert (
        db_session.scalar(sa.select(Point.name).where(Point.mn == MN_B))
        not in text.split("今日新增预警</h2>")[1].split("</section>")[0]
    )


def test_leader_sees_open_cases_tasks_and_overdue_rectifications(site: Site) -> None:
    text = site.client.get("/", headers=site.headers(Role.LEADER)).text
    assert _value(text, "open-cases") == 1  # the other case was transferred
    assert _value(text, "open-tasks") == 1
    assert _value(text, "overdue") == 1
    assert 'data-testid="my-tasks"' not in text
    assert _value(text, "new-warnings") == 0  # the crawl world's only warning was escalated to a task


def test_officer_sees_my_tasks_and_others_do_not(site: Site) -> None:
    text = site.client.get("/", headers=site.headers(Role.OFFICER)).text
    mine = text.split('data-testid="my-tasks"')[1].split("</section>")[0]
    assert f'href="/enforcement/tasks/{site.world.task_id}"' in mine
    assert "我的任务（1）" in mine
    patrol = site.client.get("/", headers=site.headers(Role.PATROL)).text
    assert 'data-testid="my-tasks"' not in patrol
    enterprise = site.client.get("/", headers=site.headers(Role.ENTERPRISE)).text
    assert 'data-testid="workload"' not in enterprise
    assert "/enforcement/warnings" not in enterprise
