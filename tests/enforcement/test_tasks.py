"""Tasks: created from warnings, complaints, referrals and draws; team of officers; state machine; history."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM, create_user, principal_of
from ecosentinel.enforcement.models import TaskStatus, WarningStatus
from ecosentinel.enforcement.tasks import change_task, create_task
from ecosentinel.errors import PermissionDeniedError, ValidationError
from tests.conftest import login_as
from tests.enforcement.test_warnings import red_warning


def _officer(session: Session, name: str, role: Role = Role.OFFICER) -> int:
    return create_user(
        session, username=name, password="test-password-1", role=role, display_name=f"执法员{name}"
    ).id


def test_task_from_warning_escalates_it_and_records_history(db_session: Session) -> None:
    warning = red_warning(db_session)
    a, b = _officer(db_session, "zhang"), _officer(db_session, "li")
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    task = create_task(
        db_session, SYSTEM, source="warning", warning_id=warning.id, assignees=[a, b], deadline=deadline
    )
    assert task.status == TaskStatus.DISPATCHED
    assert warning.status == WarningStatus.ESCALATED
    assert task.point_id == warning.point_id
    assert "红色预警" in task.title
    assert [m.user_id for m in task.members] == [a, b]
    assert task.members[0].leader
    zhang = principal_of(_user(db_session, a))
    change_task(db_session, zhang, task.id, "start")
    with pytest.raises(ValidationError, match="必须填写说明"):
        change_task(db_session, zhang, task.id, "complete")
    change_task(db_session, zhang, task.id, "complete", note="现场核实取样杯注水，已立案")
    with pytest.raises(ValidationError, match="当前状态为“已完成”，不能执行“改派”"):
        change_task(db_session, SYSTEM, task.id, "reassign", assignees=[b], note="人员调整")
    history = [(h.action, h.from_status, h.to_status, h.actor) for h in task.history]
    assert history == [
        ("create", None, "pending", "system"),
        ("dispatch", "pending", "dispatched", "system"),
        ("start", "dispatched", "in_progress", "zhang"),
        ("complete", "in_progress", "completed", "zhang"),
    ]
    assert task.result_zh == "现场核实取样杯注水，已立案"
    db_session.commit()
    audited = db_session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.entity == "task", AuditEntry.entity_id == str(task.id))
    ).all()
    assert audited == ["create", "dispatch", "start", "complete"]
    with pytest.raises(ValidationError, match="不能变更为“已转任务”"):
        create_task(db_session, SYSTEM, source="warning", warning_id=warning.id)


def _user(session: Session, user_id: int):  # type: ignore[no-untyped-def]
    from ecosentinel.auth.models import User

    return session.get(User, user_id)


def test_sources_assignees_reassignment_and_membership(db_session: Session) -> None:
    a, b = _officer(db_session, "wang"), _officer(db_session, "zhao")
    analyst = _officer(db_session, "ana", Role.ANALYST)
    with pytest.raises(ValidationError, match="必须填写来源编号") as err:
        create_task(db_session, SYSTEM, source="complaint", title="群众举报夜间偷排")
    assert err.value.location == "source_ref"
    with pytest.raises(ValidationError, match=f"用户 {analyst} 不是在岗执法人员") as err:
        create_task(
            db_session,
            SYSTEM,
            source="complaint",
            title="举报",
            source_ref="12369-2024-0001",
            assignees=[a, analyst],
        )
    assert err.value.location == "assignees[1]"
    with pytest.raises(ValidationError, match="不能早于当前时间"):
        create_task(
            db_session,
            SYSTEM,
            source="referral",
            title="转办",
            source_ref="嘉环执〔2024〕3号",
            deadline=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        )
    task = create_task(db_session, SYSTEM, source="random", title="双随机抽查", source_ref="draw-7")
    assert task.status == TaskStatus.PENDING
    with pytest.raises(ValidationError, match="至少一名执法人员"):
        change_task(db_session, SYSTEM, task.id, "dispatch", assignees=[])
    change_task(db_session, SYSTEM, task.id, "dispatch", assignees=[a])
    outsider = principal_of(_user(db_session, b))
    with pytest.raises(PermissionDeniedError, match="只有任务承办组成员"):
        change_task(db_session, outsider, task.id, "start")
    change_task(db_session, SYSTEM, task.id, "reassign", assignees=[b, a], note="王某回避")
    assert [m.user_id for m in task.members] == [b, a]
    change_task(db_session, outsider, task.id, "return", note="企业已停产注销")
    assert task.status == TaskStatus.RETURNED
    change_task(db_session, SYSTEM, task.id, "cancel", note="企业注销")
    assert [h.action for h in task.history] == ["create", "dispatch", "reassign", "return", "cancel"]
    assert task.history[2].note == "王某回避"


def test_task_api(client: TestClient, engine: sa.Engine, db_session: Session) -> None:
    warning = red_warning(db_session)
    officer_id = _officer(db_session, "chen")
    db_session.commit()
    patrol = login_as(engine, Role.PATROL)
    escalated = client.post(f"/api/enforcement/warnings/{warning.id}/escalate", json={}, headers=patrol)
    assert escalated.status_code == 201, escalated.text
    task = escalated.json()
    assert task["status_zh"] == "待派发"
    assert task["source_zh"] == "预警派发"
    denied = client.post(
        f"/api/enforcement/tasks/{task['id']}/dispatch", json={"assignees": [officer_id]}, headers=patrol
    )
    assert denied.status_code == 403
    leader = login_as(engine, Role.LEADER)
    officers = client.get("/api/enforcement/officers", headers=leader).json()
    assert [o["id"] for o in officers] == [officer_id]
    deadline = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    done = client.post(
        f"/api/enforcement/tasks/{task['id']}/dispatch",
        json={"assignees": [officer_id], "deadline": deadline},
        headers=leader,
    )
    assert done.status_code == 200
    assert done.json()["team"] == ["执法员chen"]
    illegal = client.post(
        f"/api/enforcement/tasks/{task['id']}/complete",
        json={"note": "x"},
        headers=login_as(engine, Role.ADMIN),
    )
    assert illegal.status_code == 422
    assert "不能执行“办结”" in illegal.json()["detail"]
    detail = client.get(f"/api/enforcement/tasks/{task['id']}", headers=patrol).json()
    assert [h["action_zh"] for h in detail["history"]] == ["创建任务", "派发"]
    created = client.post(
        "/api/enforcement/tasks",
        json={
            "source": "complaint",
            "title": "12369 举报异味",
            "source_ref": "12369-88",
            "enterprise_id": warning.enterprise_id,
        },
        headers=leader,
    )
    assert created.status_code == 201
    listing = client.get("/api/enforcement/tasks?source=complaint", headers=patrol).json()
    assert listing["total"] == 1
