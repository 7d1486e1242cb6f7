"""Outcomes of warnings (dismissed with a category at triage, confirmed / refuted after the inspection), their
audit entries, and each rule's reliability per point computed from stored warnings and outcomes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.audit.models import AuditEntry
from ecosentinel.audit.service import verify
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM, Principal
from ecosentinel.cli import app as cli_app
from ecosentinel.database import create_engine, upgrade
from ecosentinel.enforcement.inspections import (
    ItemInput,
    create_inspection,
    submit_inspection,
    update_inspection,
)
from ecosentinel.enforcement.models import EnforcementWarning, WarningOutcome
from ecosentinel.enforcement.outcomes import classify, record_inspection_outcome, rule_reliability
from ecosentinel.enforcement.tasks import create_task
from ecosentinel.enforcement.warnings import dismiss_warning, sync_warnings
from ecosentinel.errors import PermissionDeniedError, ValidationError
from ecosentinel.screening.adjustments import Basis
from tests.enforcement.test_warnings import DAY, add_day, add_finding, at, red_warning, seed_point

MN_A = "33040200000001"
MN_B = "33040200000002"
R05 = "R05_dilution"
R09 = "R09_strategic_gap"

OFFICER = Principal(user_id=None, username="officer-li", display_name="李执法", role=Role.OFFICER)
ANALYST = Principal(user_id=None, username="analyst-wang", display_name="王分析", role=Role.ANALYST)


def warning_on(session: Session, mn: str, day: dt.date, rules: list[str]) -> EnforcementWarning:
    """A warning of ``mn`` on ``day`` with one finding per rule, built by the real sync."""
    for i, rule in enumerate(rules):
        add_finding(session, mn, at(day, 2 + i), at(day, 3 + i), rule=rule)
    add_day(session, mn, day, rules=tuple(rules))
    sync_warnings(session, days=None)
    warning = session.scalar(
        sa.select(EnforcementWarning).where(
            EnforcementWarning.mn == mn, EnforcementWarning.period_start == at(day, 0)
        )
    )
    assert warning is not None
    return warning


def inspected(session: Session, warning: EnforcementWarning, result: str) -> None:
    create_task(session, SYSTEM, source="warning", warning_id=warning.id)
    record_inspection_outcome(session, OFFICER, warning.id, result=result, reason="现场核查")


def test_dismissal_records_its_category_as_the_outcome(db_session: Session) -> None:
    warning = red_warning(db_session)
    with pytest.raises(ValidationError, match="未知的排除原因类别：下雨") as err:
        dismiss_warning(db_session, ANALYST, warning.id, reason="当天暴雨", category="下雨")
    assert err.value.location == "category"
    assert warning.outcome is None
    dismiss_warning(db_session, ANALYST, warning.id, reason="当天暴雨，进水量陡增", category="降雨/天气")
    db_session.commit()
    outcome = db_session.scalars(sa.select(WarningOutcome)).one()
    assert (outcome.warning_id, outcome.result, outcome.category, outcome.step) == (
        warning.id,
        "dismissed",
        "weather",
        "triage",
    )
    assert (outcome.reason, outcome.recorded_by) == ("当天暴雨，进水量陡增", "analyst-wang")
    entry = db_session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "warning", AuditEntry.action == "dismissed")
    ).one()
    assert json.loads(entry.detail)["category"] == "weather"
    assert json.loads(entry.detail)["reason"] == "当天暴雨，进水量陡增"
    assert entry.username == "analyst-wang"
    assert entry.summary.endswith("新预警 → 已排除（降雨/天气：当天暴雨，进水量陡增）")  # the history line
    assert "涉及规则：超标后突降（R04）" in warning.summary_zh  # rules by their Chinese titles


def test_inspection_outcome_needs_a_task_an_officer_and_a_reason(db_session: Session) -> None:
    warning = red_warning(db_session)
    with pytest.raises(ValidationError, match="只有已转为执法任务的预警") as err:
        record_inspection_outcome(db_session, OFFICER, warning.id, result="confirmed", reason="x")
    assert err.value.location == "status"
    task = create_task(db_session, SYSTEM, source="warning", warning_id=warning.id)
    with pytest.raises(PermissionDeniedError):
        record_inspection_outcome(db_session, ANALYST, warning.id, result="confirmed", reason="x")
    with pytest.raises(ValidationError) as err:
        record_inspection_outcome(db_session, OFFICER, warning.id, result="dismissed", reason="x")
    assert err.value.location == "result"
    with pytest.raises(ValidationError) as err:
        record_inspection_outcome(db_session, OFFICER, warning.id, result="confirmed", reason="  ")
    assert err.value.location == "reason"
    with pytest.raises(ValidationError) as err:
        record_inspection_outcome(
            db_session, OFFICER, warning.id, result="confirmed", reason="x", category="weather"
        )
    assert err.value.location == "category"

    # an inspection of another warning's task is not evidence for this one
    seed_point(db_session, MN_B, "91330400MA2B00002X")
    other = red_warning(db_session, MN_B)
    other_task = create_task(db_session, SYSTEM, source="warning", warning_id=other.id)
    foreign = create_inspection(db_session, SYSTEM, task_id=other_task.id)
    with pytest.raises(ValidationError, match="不属于预警") as err:
        record_inspection_outcome(
            db_session, OFFICER, warning.id, result="refuted", reason="x", inspection_id=foreign.id
        )
    assert err.value.location == "inspection_id"

    # the outcome rests on the latest submitted inspection of the warning's task
    inspection = create_inspection(db_session, SYSTEM, task_id=task.id)
    update_inspection(
        db_session, SYSTEM, inspection.id, items=[ItemInput(n, "conform") for n in range(1, 11)]
    )
    submit_inspection(db_session, SYSTEM, inspection.id)
    outcome = record_inspection_outcome(
        db_session,
        OFFICER,
        warning.id,
        result="refuted",
        reason="现场设备运行正常，当日降雨",
        category="weather",
    )
    assert (outcome.result, outcome.category, outcome.step, outcome.inspection_id) == (
        "refuted",
        "weather",
        "inspection",
        inspection.id,
    )
    # a correction keeps one outcome and audits the value before it
    record_inspection_outcome(db_session, OFFICER, warning.id, result="confirmed", reason="复核发现暗管")
    db_session.commit()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(WarningOutcome)) == 1
    entries = db_session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.entity == "warning",
            AuditEntry.entity_id == str(warning.id),
            AuditEntry.action == "outcome",
        )
        .order_by(AuditEntry.id)
    ).all()
    assert len(entries) == 2
    first, second = (json.loads(e.detail) for e in entries)
    assert first["before"] is None
    assert first["after"]["result"] == "refuted"
    assert first["rules"] == ["R04_post_exceedance_drop"]
    assert second["before"]["result"] == "refuted"
    assert second["after"] == {**second["after"], "result": "confirmed", "category": None}
    assert "未查实（降雨/天气） → 查实" in entries[1].summary
    assert entries[1].username == "officer-li"
    assert verify(db_session).ok


def test_classify_counts_only_outcomes_that_speak_about_the_rule() -> None:
    assert classify("confirmed", None) == "confirmed"
    assert classify("refuted", None) == "not_confirmed"
    assert classify("refuted", "weather") == "not_confirmed"
    for category in ("false_alarm", "maintenance", "equipment_fault", "production_change", "weather"):
        assert classify("dismissed", category) == "not_confirmed"
    assert classify("dismissed", "duplicate") == "excluded"
    assert classify("dismissed", "other") == "excluded"


def test_reliability_per_point_and_rule_from_stored_outcomes(db_session: Session) -> None:
    point_a = seed_point(db_session, MN_A)
    seed_point(db_session, MN_B, "91330400MA2B00002X")
    day = DAY
    w1 = warning_on(db_session, MN_A, day, [R05, R09])  # two rules: credits both
    w2 = warning_on(db_session, MN_A, day + dt.timedelta(days=3), [R05])
    w3 = warning_on(db_session, MN_A, day + dt.timedelta(days=6), [R05])
    w4 = warning_on(db_session, MN_A, day + dt.timedelta(days=9), [R09])
    w5 = warning_on(db_session, MN_A, day + dt.timedelta(days=12), [R05])
    warning_on(db_session, MN_A, day + dt.timedelta(days=15), [R05])  # still open: not counted
    w7 = warning_on(db_session, MN_B, day, [R05])
    w8 = warning_on(db_session, MN_B, day + dt.timedelta(days=3), [R05])
    assert len({w1.id, w2.id, w3.id, w4.id, w5.id}) == 5
    inspected(db_session, w1, "confirmed")
    inspected(db_session, w2, "refuted")
    dismiss_warning(db_session, ANALYST, w3.id, reason="降雨", category="weather")
    dismiss_warning(db_session, ANALYST, w4.id, reason="与 #1 重复", category="duplicate")
    dismiss_warning(db_session, ANALYST, w5.id, reason="数据正常", category="false_alarm")
    inspected(db_session, w7, "confirmed")
    dismiss_warning(db_session, ANALYST, w8.id, reason="说不清", category="other")
    db_session.commit()

    table = rule_reliability(db_session, ANALYST)
    assert table.by_point == {
        (MN_A, R05): Basis(confirmed=1, not_confirmed=3, excluded=0),
        (MN_A, R09): Basis(confirmed=1, not_confirmed=0, excluded=1),
        (MN_B, R05): Basis(confirmed=1, not_confirmed=0, excluded=1),
    }
    assert table.at(MN_A, R05).n == 4
    assert table.at(MN_A, R05).reliability == pytest.approx(2 / 6)
    assert table.at(MN_A, R09).reliability == pytest.approx(2 / 3)
    assert table.by_rule[R05] == Basis(confirmed=2, not_confirmed=3, excluded=1)
    assert table.by_rule[R05].reliability == pytest.approx(3 / 7)
    assert table.at(MN_B, R09) == Basis()  # no outcome: the prior alone
    assert table.at(MN_B, R09).reliability == 0.5
    assert [r.rule for r in table.rows_by_rule()] == [R05, R09]  # least reliable first
    assert table.rows_by_point()[0].text_zh == "查实 1 次 / 排除 3 次，可靠度 0.33"

    only_a = rule_reliability(db_session, ANALYST, mns=[MN_A], rules=[R09])
    assert only_a.by_point == {(MN_A, R09): Basis(confirmed=1, not_confirmed=0, excluded=1)}
    # an enterprise sees the outcomes of its own points only
    enterprise_a = Principal(
        user_id=None,
        username="ent-a",
        display_name="",
        role=Role.ENTERPRISE,
        enterprise_id=point_a.enterprise_id,
    )
    scoped = rule_reliability(db_session, enterprise_a)
    assert set(scoped.by_point) == {(MN_A, R05), (MN_A, R09)}
    assert scoped.by_rule[R05] == Basis(confirmed=1, not_confirmed=3, excluded=0)


def test_migration_backfills_earlier_dismissals(database_url: str) -> None:
    upgrade(database_url, "0009")
    engine = create_engine(database_url)
    now = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    columns = (
        "mn, colour, score, period_start, period_end, rules, summary_zh, status, dismiss_reason, reviewed_by"
    )
    insert = sa.text(
        f"INSERT INTO enf_warning ({columns}, created_at, updated_at) VALUES "
        "(:mn, 'red', 0.9, :t, :t, 'R05_dilution', '', :status, :reason, :by, :t, :t)"
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                insert, {"mn": MN_A, "t": now, "status": "dismissed", "reason": "校准", "by": "patrol"}
            )
            conn.execute(insert, {"mn": MN_B, "t": now, "status": "new", "reason": None, "by": None})
        upgrade(database_url)
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT result, category, reason, step, recorded_by FROM enf_warning_outcome")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("dismissed", "other", "校准", "triage", "patrol")]


def test_reliability_command(db_session: Session, migrated_url: str) -> None:
    seed_point(db_session, MN_A)
    for k in range(2):
        w = warning_on(db_session, MN_A, DAY + dt.timedelta(days=3 * k), [R05])
        dismiss_warning(db_session, ANALYST, w.id, reason="降雨", category="weather")
    db_session.commit()
    runner = CliRunner()
    text = runner.invoke(cli_app, ["warnings", "reliability", "--database-url", migrated_url])
    assert text.exit_code == 0, text.output
    assert "全部点位 样品稀释（R05_dilution）：查实 0 次 / 排除 2 次，可靠度 0.25" in text.output
    assert f"{MN_A} 样品稀释（R05_dilution）：查实 0 次 / 排除 2 次，可靠度 0.25" in text.output
    db = ["--database-url", migrated_url]
    jsonl = runner.invoke(cli_app, ["warnings", "reliability", "--mn", MN_A, "--format", "jsonl", *db])
    lines = [json.loads(line) for line in jsonl.output.splitlines()]
    assert [(x["mn"], x["rule"], x["not_confirmed"], x["reliability"]) for x in lines] == [
        (None, R05, 2, 0.25),
        (MN_A, R05, 2, 0.25),
    ]
    other = runner.invoke(cli_app, ["warnings", "reliability", "--mn", MN_B, *db])
    assert other.output.strip() == "尚无登记处置结果的预警"
