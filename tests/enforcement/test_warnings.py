"""Warnings: built from stored point-day scores, merged per point and period, idempotent; triage state
machine; patrol reports with their own cut-offs. Helpers here are shared by the other enforcement tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.audit.service import verify
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement.models import EnforcementWarning, WarningFinding, WarningStatus
from ecosentinel.enforcement.warnings import (
    create_patrol_report,
    dismiss_warning,
    review_warning,
    sync_warnings,
)
from ecosentinel.errors import ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, Point
from ecosentinel.screening.models import PointDayScore, ScreeningFinding
from tests.conftest import login_as

DAY = dt.date(2024, 3, 1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A China-Standard-Time moment as aware UTC."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CST).astimezone(dt.UTC)


def seed_point(session: Session, mn: str = "33040200000001", credit: str = "91330400MA2B00001X") -> Point:
    enterprise = Enterprise(name=f"嘉兴某印染有限公司{mn[-2:]}", credit_code=credit)
    session.add(enterprise)
    session.flush()
    point = Point(mn=mn, pw="123456", name="废水总排口", type="water", enterprise_id=enterprise.id)
    session.add(point)
    session.flush()
    return point


def add_finding(
    session: Session,
    mn: str,
    start: dt.datetime,
    end: dt.datetime,
    *,
    rule: str = "R04_post_exceedance_drop",
    factors: tuple[str, ...] = ("w01018",),
    score: float = 0.9,
) -> ScreeningFinding:
    key = hashlib.sha1(f"{mn}|{rule}|{start.isoformat()}|{','.join(factors)}".encode()).hexdigest()
    row = ScreeningFinding(
        fingerprint=key,
        mn=mn,
        rule=rule,
        factors=list(factors),
        start=start,
        end=end,
        severity="high",
        severity_rank=3,
        score=score,
        title_zh="超标后骤降",
        explanation_zh=f"{mn} 化学需氧量超标后 10 分钟内骤降至 12.0 mg/L（{rule}）",
        evidence=json.dumps({"window": [start.isoformat(), end.isoformat()], "peak": 180.0, "after": 12.0}),
    )
    session.add(row)
    session.flush()
    return row


def add_day(
    session: Session,
    mn: str,
    day: dt.date,
    colour: str = "red",
    score: float = 0.9,
    rules: tuple[str, ...] = ("R04_post_exceedance_drop",),
) -> None:
    session.add(
        PointDayScore(
            mn=mn,
            day=day,
            score=score,
            colour=colour,
            n_findings=1,
            rules=list(rules),
            updated_at=dt.datetime.now(dt.UTC),
        )
    )
    session.flush()


def red_warning(session: Session, mn: str = "33040200000001") -> EnforcementWarning:
    """A point with one red finding on DAY, synced into a warning (committed)."""
    if session.scalar(sa.select(Point).where(Point.mn == mn)) is None:
        seed_point(session, mn)
    add_finding(session, mn, at(DAY, 2), at(DAY, 3))
    add_day(session, mn, DAY)
    sync_warnings(session, days=None)
    session.commit()
    warning = session.scalar(sa.select(EnforcementWarning).where(EnforcementWarning.mn == mn))
    assert warning is not None
    return warning


def test_sync_creates_then_is_idempotent(db_session: Session) -> None:
    point = seed_point(db_session)
    add_finding(db_session, point.mn, at(DAY, 2), at(DAY, 3))
    add_day(db_session, point.mn, DAY)
    first = sync_warnings(db_session, days=None)
    assert (first.created, first.merged) == (1, 0)
    second = sync_warnings(db_session, days=None)
    assert (second.created, second.merged, second.unchanged) == (0, 0, 1)
    warning = db_session.get(EnforcementWarning, first.warning_ids[0])
    assert warning is not None
    assert warning.status == WarningStatus.NEW
    assert warning.colour == "red"
    assert warning.point_id == point.id
    assert warning.enterprise_id == point.enterprise_id
    assert next(f.explanation_zh for f in warning.findings).startswith(point.mn)
    assert "红色预警" in warning.summary_zh
    assert "2024-03-01" in warning.summary_zh


def test_a_warning_states_the_evidence_that_set_its_colour(db_session: Session) -> None:
    point = seed_point(db_session)
    add_finding(db_session, point.mn, at(DAY, 2), at(DAY, 3))
    basis = "红色依据：两类相互独立的证据同时指向造假（浓度特征、工况）。"
    db_session.add(
        PointDayScore(
            mn=point.mn,
            day=DAY,
            score=0.9,
            colour="red",
            n_findings=2,
            rules=["R04_post_exceedance_drop"],
            basis="corroborated",
            basis_zh=basis,
            updated_at=dt.datetime.now(dt.UTC),
        )
    )
    db_session.flush()
    result = sync_warnings(db_session, days=None)
    warning = db_session.get(EnforcementWarning, result.warning_ids[0])
    assert warning is not None
    assert warning.basis_zh == basis
    assert warning.summary_zh.endswith(basis)


def test_overlapping_and_next_day_findings_merge_into_the_open_warning(db_session: Session) -> None:
    point = seed_point(db_session)
    add_finding(db_session, point.mn, at(DAY, 2), at(DAY, 3))
    add_day(db_session, point.mn, DAY, colour="yellow", score=0.4)
    sync_warnings(db_session, days=None)
    nxt = DAY + dt.timedelta(days=1)
    add_finding(db_session, point.mn, at(nxt, 1), at(nxt, 2), rule="R19_three_way_mismatch")
    add_day(db_session, point.mn, nxt, colour="red", score=0.8)
    result = sync_warnings(db_session, days=None)
    assert (result.created, result.merged) == (0, 1)
    warnings = db_session.scalars(sa.select(EnforcementWarning)).all()
    assert len(warnings) == 1
    w = warnings[0]
    assert w.colour == "red"
    assert w.score == pytest.approx(0.8)
    assert len(w.findings) == 2
    assert w.rules == ["R04_post_exceedance_drop", "R19_three_way_mismatch"]
    assert "2024-03-01 至 2024-03-02" in w.summary_zh


def test_a_later_separate_period_or_a_dismissed_warning_gives_a_new_warning(db_session: Session) -> None:
    point = seed_point(db_session)
    add_finding(db_session, point.mn, at(DAY, 2), at(DAY, 3))
    add_day(db_session, point.mn, DAY)
    sync_warnings(db_session, days=None)
    later = DAY + dt.timedelta(days=5)
    add_finding(db_session, point.mn, at(later, 2), at(later, 3))
    add_day(db_session, point.mn, later)
    assert sync_warnings(db_session, days=None).created == 1
    first = db_session.scalars(sa.select(EnforcementWarning).order_by(EnforcementWarning.id)).first()
    assert first is not None
    dismiss_warning(db_session, SYSTEM, first.id, reason="运维人员校准，已有运维记录", category="maintenance")
    # new findings on the dismissed warning's day open a new warning rather than reviving the dismissed one
    add_finding(db_session, point.mn, at(DAY, 20), at(DAY, 21), rule="R01_constant_value")
    assert sync_warnings(db_session, days=None).created == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(EnforcementWarning)) == 3


def test_min_colour_filters_green_days(db_session: Session) -> None:
    point = seed_point(db_session)
    add_finding(db_session, point.mn, at(DAY, 2), at(DAY, 3), score=0.1)
    add_day(db_session, point.mn, DAY, colour="green", score=0.1)
    assert sync_warnings(db_session, days=None, min_colour="yellow").created == 0
    assert sync_warnings(db_session, days=None).created == 1
    with pytest.raises(ValidationError, match="未知的预警颜色"):
        sync_warnings(db_session, min_colour="purple")


def test_state_machine_and_dismissal_reason(db_session: Session) -> None:
    warning = red_warning(db_session)
    with pytest.raises(ValidationError, match="必须填写理由") as err:
        dismiss_warning(db_session, SYSTEM, warning.id, reason="   ")
    assert err.value.location == "reason"
    with pytest.raises(ValidationError, match="必须选择排除原因类别") as err:
        dismiss_warning(db_session, SYSTEM, warning.id, reason="停产检修，流量为零属实")
    assert err.value.location == "category"
    assert "production_change（生产工况变化）" in str(err.value)  # the choices are listed
    review_warning(db_session, SYSTEM, warning.id)
    assert warning.status == WarningStatus.UNDER_REVIEW
    with pytest.raises(ValidationError, match="不能变更为“研判中”"):
        review_warning(db_session, SYSTEM, warning.id)
    dismiss_warning(
        db_session, SYSTEM, warning.id, reason="停产检修，流量为零属实", category="production_change"
    )
    assert warning.dismiss_reason == "停产检修，流量为零属实"
    with pytest.raises(ValidationError, match="当前状态为“已排除”"):
        review_warning(db_session, SYSTEM, warning.id)
    db_session.commit()
    actions = db_session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity == "warning").order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "under_review", "dismissed"]
    assert verify(db_session).ok


def test_patrol_reports_list_what_is_new_since_the_previous_cutoff(db_session: Session) -> None:
    point = seed_point(db_session)
    add_finding(db_session, point.mn, at(DAY, 2), at(DAY, 3))
    add_day(db_session, point.mn, DAY)
    sync_warnings(db_session, days=None)
    t1 = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    first = create_patrol_report(db_session, SYSTEM, now=t1)
    assert first.since is None
    assert first.n_new == 1
    assert first.n_red == 1
    assert "新增预警 1 条" in first.text_zh
    other = seed_point(db_session, "33040200000002", "91330400MA2B00002X")
    add_finding(db_session, other.mn, at(DAY, 5), at(DAY, 6))
    add_day(db_session, other.mn, DAY, colour="yellow", score=0.5)
    add_finding(
        db_session, point.mn, at(DAY, 9), at(DAY, 10), rule="R17_replay"
    )  # more evidence, same warning
    created_at = t1 + dt.timedelta(seconds=1)
    sync_warnings(db_session, days=None)
    db_session.execute(
        sa.update(EnforcementWarning).where(EnforcementWarning.mn == other.mn).values(created_at=created_at)
    )
    r17 = db_session.scalars(sa.select(WarningFinding).where(WarningFinding.rule == "R17_replay")).one()
    r17.added_at = created_at  # the patrol clock of this test runs ahead of the wall clock
    second = create_patrol_report(db_session, SYSTEM, now=created_at + dt.timedelta(hours=2))
    assert second.since is not None
    ids = json.loads(second.warning_ids)
    assert len(ids["new"]) == 1
    assert second.n_yellow == 1
    assert second.n_red == 0
    assert len(ids["updated"]) == 1
    assert "【更新】" in second.text_zh
    third = create_patrol_report(db_session, SYSTEM, now=created_at + dt.timedelta(hours=4))
    assert third.n_new == 0
    assert "无新增可疑数据" in third.text_zh


def test_warning_api_triage_and_permissions(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    warning = red_warning(db_session)
    analyst = login_as(engine, Role.ANALYST)
    listed = client.get("/api/enforcement/warnings?colour=red", headers=analyst).json()
    assert listed["total"] == 1
    assert listed["results"][0]["colour_zh"] == "红色"
    detail = client.get(f"/api/enforcement/warnings/{warning.id}", headers=analyst).json()
    assert detail["findings"][0]["evidence"]["peak"] == 180.0
    bad = client.post(f"/api/enforcement/warnings/{warning.id}/dismiss", json={"reason": ""}, headers=analyst)
    assert bad.status_code == 422
    assert bad.json()["location"] == "reason"
    old_caller = client.post(  # a caller from before reason categories: a clear 422, nothing changed
        f"/api/enforcement/warnings/{warning.id}/dismiss", json={"reason": "数据经核实正常"}, headers=analyst
    )
    assert old_caller.status_code == 422
    assert old_caller.json()["location"] == "category"
    assert "false_alarm（误报/数据正常）" in old_caller.json()["detail"]
    ok = client.post(
        f"/api/enforcement/warnings/{warning.id}/dismiss",
        json={"reason": "数据经核实正常", "category": "false_alarm"},
        headers=analyst,
    )
    assert ok.status_code == 200
    assert ok.json()["status_zh"] == "已排除"
    assert ok.json()["outcome"]["result"] == "dismissed"
    assert ok.json()["outcome"]["category_zh"] == "误报/数据正常"
    again = client.post(f"/api/enforcement/warnings/{warning.id}/review", headers=analyst)
    assert again.status_code == 422
    assert "已排除" in again.json()["detail"]
    police = login_as(engine, Role.POLICE)
    assert client.get("/api/enforcement/warnings", headers=police).status_code == 403
    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=warning.enterprise_id)
    assert client.get(f"/api/enforcement/warnings/{warning.id}", headers=enterprise).status_code == 403
    sync = client.post("/api/enforcement/warnings/sync", json={"days": None}, headers=analyst).json()
    assert sync["created"] == 0
    assert sync["unchanged"] == 1
    report = client.post("/api/enforcement/patrol-reports", headers=login_as(engine, Role.PATROL))
    assert report.status_code == 201
    assert report.json()["n_new"] == 1
    with Session(engine) as s:
        views = s.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "view", AuditEntry.entity == "warning")
        )
    assert views == 1
