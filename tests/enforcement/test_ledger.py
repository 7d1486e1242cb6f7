"""Problem ledger (台账): validation with Chinese errors, measures, rectification, overdue reminders."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.cli import app as cli_app
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.enforcement.ledger.models import LedgerProblem
from ecosentinel.enforcement.ledger.service import ActionInput
from ecosentinel.errors import ValidationError
from ecosentinel.registry.models import Enterprise
from tests.conftest import login_as

D = dt.date


def _enterprise(session: Session, name: str = "涪陵某化工有限公司", code: str = "91500102MA5U000001") -> int:
    enterprise = Enterprise(name=name, credit_code=code)
    session.add(enterprise)
    session.flush()
    return enterprise.id


def _problem(session: Session, enterprise_id: int, **overrides: object) -> LedgerProblem:
    fields: dict[str, object] = {
        "found_on": D(2026, 11, 3),
        "category": "monitoring",
        "description": "COD 分析仪采样管接自来水，稀释水样",
        "source": "big_data",
        "enterprise_id": enterprise_id,
        "deadline": D(2026, 11, 20),
        "today": D(2026, 11, 30),
    }
    fields.update(overrides)
    return ledger.create_problem(session, SYSTEM, **fields)  # type: ignore[arg-type]


# Each case: overrides of a valid problem → (location, words the Chinese message must contain).
INVALID = [
    ({"category": "soil"}, "category", "问题类别“soil”无效"),
    ({"source": "热线"}, "source", "投诉举报"),
    ({"category": "其他"}, "category_note", "请说明具体情况"),
    ({"source": "other"}, "source_note", "请说明具体情况"),
    ({"description": "  "}, "description", "问题描述"),
    ({"deadline": D(2026, 11, 1)}, "deadline", "早于发现日期"),
    ({"rectified_on": D(2026, 12, 5)}, "rectified_on", "晚于今天"),
    ({"actions": [ActionInput("penalty")]}, "actions[0].fine_wan", "行政处罚须填写罚款金额（万元）"),
    ({"actions": [ActionInput("行政处罚", fine_wan=0)]}, "actions[0].fine_wan", "大于 0"),
    ({"actions": [ActionInput("批评教育", fine_wan=1.0)]}, "actions[0].fine_wan", "只有行政处罚"),
    (
        {"actions": [ActionInput("penalty", fine_wan=5, decided_on=D(2026, 11, 9))]},
        "actions[0].decision_no",
        "文号",
    ),
    ({"actions": [ActionInput("order"), ActionInput("书面责令改正")]}, "actions[1]", "不能重复"),
    ({"actions": [ActionInput("warning")]}, "actions[0].kind", "处理措施“warning”无效"),
]


@pytest.mark.parametrize(("overrides", "location", "words"), INVALID)
def test_invalid_problems_are_refused_with_a_clear_chinese_error(
    overrides: dict[str, object], location: str, words: str
) -> None:
    # Validation fails before anything is written: an in-memory SQLite database is enough.
    from ecosentinel.database import Base, create_engine, session_factory
    from ecosentinel.schema import metadata

    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    assert Base.metadata is metadata
    with session_factory(engine)() as session:
        enterprise_id = _enterprise(session)
        with pytest.raises(ValidationError) as info:
            _problem(session, enterprise_id, **overrides)
    assert info.value.location == location
    assert words in str(info.value)


def test_problem_with_measures_is_stored_and_audited(db_session: Session) -> None:
    enterprise_id = _enterprise(db_session)
    problem = _problem(
        db_session,
        enterprise_id,
        category="自动监控",
        source="大数据平台推动",
        actions=[
            ActionInput("书面责令改正"),
            ActionInput(
                "penalty", fine_wan=12.5, decision_no="涪环罚〔2026〕18号", decided_on=D(2026, 11, 9)
            ),
            ActionInput("criminal"),
        ],
    )
    db_session.commit()
    stored = ledger.get_problem(db_session, problem.id)
    assert (stored.category, stored.source, stored.enterprise_name) == (
        "monitoring",
        "big_data",
        "涪陵某化工有限公司",
    )
    assert [a.kind for a in stored.actions] == ["order", "penalty", "criminal"]
    penalty = ledger.action_of(stored, ledger.ActionKind.PENALTY)
    assert penalty is not None
    assert penalty.fine_wan == 12.5
    entry = db_session.scalar(sa.select(AuditEntry).where(AuditEntry.entity == "ledger_problem"))
    assert entry is not None
    assert entry.entity_id == str(problem.id)
    assert "penalty" in entry.detail

    # Adding the same measure twice is refused; another one is accepted.
    with pytest.raises(ValidationError, match="不能重复"):
        ledger.add_action(db_session, SYSTEM, problem.id, ActionInput("order"))
    ledger.add_action(db_session, SYSTEM, problem.id, ActionInput("interview"))
    assert {a.kind for a in ledger.get_problem(db_session, problem.id).actions} == {
        "order",
        "penalty",
        "criminal",
        "interview",
    }


def test_overdue_reminders(db_session: Session) -> None:
    enterprise_id = _enterprise(db_session)
    late = _problem(db_session, enterprise_id, deadline=D(2026, 11, 10))
    due_today = _problem(db_session, enterprise_id, deadline=D(2026, 11, 30))
    rectified = _problem(db_session, enterprise_id, deadline=D(2026, 11, 5), rectified_on=D(2026, 11, 28))
    no_deadline = _problem(db_session, enterprise_id, deadline=None)
    db_session.commit()

    overdue = ledger.overdue_problems(db_session, today=D(2026, 11, 30))
    assert [(o.problem.id, o.days_overdue) for o in overdue] == [(late.id, 20)]
    assert "已逾期 20 天" in overdue[0].reminder_zh
    # The next day the one due today is overdue too; rectifying the late one removes it.
    ledger.mark_rectified(db_session, SYSTEM, late.id, rectified_on=D(2026, 11, 30), today=D(2026, 12, 1))
    db_session.commit()
    overdue = ledger.overdue_problems(db_session, today=D(2026, 12, 1))
    assert [o.problem.id for o in overdue] == [due_today.id]
    assert rectified.id not in [o.problem.id for o in overdue]
    assert no_deadline.id not in [o.problem.id for o in overdue]


def test_overdue_cli(migrated_url: str, db_session: Session) -> None:
    enterprise_id = _enterprise(db_session, name="某污水处理厂", code="91500102MA5U000002")
    _problem(db_session, enterprise_id, deadline=D(2026, 11, 10), description="出水 COD 超标未整改")
    db_session.commit()
    runner = CliRunner()
    result = runner.invoke(
        cli_app, ["ledger", "overdue", "--today", "2026-11-15", "--database-url", migrated_url]
    )
    assert result.exit_code == 0, result.output
    assert "逾期未整改的问题共 1 个" in result.output
    assert "某污水处理厂" in result.output
    assert "已逾期 5 天" in result.output
    result = runner.invoke(
        cli_app, ["ledger", "overdue", "--today", "2026-11-09", "--database-url", migrated_url]
    )
    assert result.exit_code == 0
    assert "没有逾期未整改的问题" in result.output


def test_ledger_api(client: TestClient, engine: sa.Engine) -> None:
    with Session(engine) as session:
        enterprise_id = _enterprise(session)
        session.commit()
    officer = login_as(engine, Role.OFFICER)
    body = {
        "found_on": "2026-11-03",
        "category": "自动监控",
        "description": "数采仪参数与备案不一致",
        "source": "日常排查",
        "enterprise_id": enterprise_id,
        "deadline": "2026-11-10",
        "actions": [{"kind": "行政处罚"}],
    }
    refused = client.post("/api/enforcement/ledger", json=body, headers=officer)
    assert refused.status_code == 422
    assert refused.json()["location"] == "actions[0].fine_wan"
    assert "行政处罚须填写罚款金额（万元）" in refused.json()["detail"]

    body["actions"] = [{"kind": "行政处罚", "fine_wan": 3.0}]
    created = client.post("/api/enforcement/ledger", json=body, headers=officer)
    assert created.status_code == 201, created.text
    problem = created.json()
    assert problem["category_zh"] == "自动监控"
    assert problem["actions"][0]["kind_zh"] == "行政处罚"

    # A leader reads the ledger but may not write to it; an enterprise may not read it.
    leader = login_as(engine, Role.LEADER)
    listed = client.get("/api/enforcement/ledger", headers=leader).json()
    assert listed["meta"]["count"] == 1
    assert listed["results"][0]["id"] == problem["id"]
    assert client.post("/api/enforcement/ledger", json=body, headers=leader).status_code == 403
    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=enterprise_id)
    assert client.get("/api/enforcement/ledger", headers=enterprise).status_code == 403

    overdue = client.get("/api/enforcement/ledger/overdue?today=2026-11-12", headers=leader).json()
    assert [o["problem"]["id"] for o in overdue] == [problem["id"]]
    assert overdue[0]["days_overdue"] == 2

    patched = client.patch(
        f"/api/enforcement/ledger/{problem['id']}", json={"deadline": "2026-11-01"}, headers=officer
    )
    assert patched.status_code == 422
    assert patched.json()["location"] == "deadline"
    rectified = client.post(
        f"/api/enforcement/ledger/{problem['id']}/rectify",
        json={"rectified_on": "2026-11-08"},
        headers=officer,
    )
    assert rectified.status_code == 200
    assert rectified.json()["rectified_on"] == "2026-11-08"
    assert client.get("/api/enforcement/ledger/overdue?today=2026-11-12", headers=leader).json() == []
