"""A penalty recorded on a case is entered once in the problem ledger, which public disclosure reads."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement.cases import add_penalty, create_case
from ecosentinel.enforcement.ledger.service import create_problem, get_problem
from ecosentinel.errors import ValidationError
from tests.enforcement.test_warnings import red_warning


def test_case_penalty_becomes_a_ledger_action_once(db_session: Session) -> None:
    warning = red_warning(db_session)
    case = create_case(db_session, SYSTEM, title="稀释排放造假案", warning_ids=[warning.id])
    problem = create_problem(
        db_session,
        SYSTEM,
        found_on=dt.date(2026, 11, 20),
        category="自动监控",
        description="在线监测数据造假",
        source="大数据平台推动",
        enterprise_id=warning.enterprise_id,
        case_id=case.id,
        today=dt.date(2026, 11, 20),
    )
    add_penalty(
        db_session,
        SYSTEM,
        case.id,
        amount_wan="12.5",
        legal_basis="《中华人民共和国水污染防治法》第八十二条",
        decision_no="环罚〔2026〕18号",
        decided_at=dt.date(2026, 11, 22),
        ledger_entry_id=problem.id,
    )
    db_session.commit()
    actions = get_problem(db_session, problem.id).actions
    assert [(a.kind, a.fine_wan, a.decision_no) for a in actions] == [("penalty", 12.5, "环罚〔2026〕18号")]
    with pytest.raises(
        ValidationError
    ):  # a second penalty action on the same problem is refused by the ledger
        add_penalty(
            db_session, SYSTEM, case.id, amount_wan="1", legal_basis="第八十二条", ledger_entry_id=problem.id
        )
