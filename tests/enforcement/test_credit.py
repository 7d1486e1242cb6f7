"""Joint punishment (联合惩戒): the credit export of a fixture case matches hand-written files, publicity and
withdrawal follow the recorded rules, a withdrawn record leaves the public pages, and the evaluations count
the records."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement.cases import add_penalty, create_case
from ecosentinel.enforcement.credit import service as credit
from ecosentinel.enforcement.credit.models import CreditRecord
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.evaluation import inputs
from ecosentinel.evaluation.om_assessment import agency_inputs
from ecosentinel.om.periods import parse_period, parse_quarter
from ecosentinel.registry.models import OMAgency
from ecosentinel.store.base import MeasurementStore
from tests.conftest import login_as
from tests.enforcement.test_warnings import seed_point

EXPECTED = Path(__file__).parent / "expected"
DECISION_NO = "嘉环罚〔2025〕12号"
DECIDED = dt.date(2025, 3, 28)
FACTS = "2025年3月该企业在化学需氧量超标后向自动监测设备采样杯注入自来水，篡改自动监测数据"
BASIS = "《中华人民共和国水污染防治法》第三十九条、第八十三条第（三）项"
AUTHORITY = "嘉兴市生态环境局"
AUTHORITY_CODE = "11330400002595042X"
PERSON_ID = "330402198506120032"


def _fixture_case(session: Session) -> tuple[int, int, int, int]:
    """(enterprise id, agency id, penalty id, ledger problem id) of a decided falsification penalty."""
    point = seed_point(session)
    agency = OMAgency(name="嘉兴某环保运维有限公司", credit_code="91330400MA2BYW0001")
    session.add(agency)
    session.flush()
    problem = ledger.create_problem(
        session,
        SYSTEM,
        found_on=dt.date(2025, 3, 10),
        category="monitoring",
        description="采样杯注水",
        source="big_data",
        enterprise_id=point.enterprise_id,
        enterprise_name="嘉兴某印染有限公司01",
        deadline=dt.date(2025, 6, 30),
        today=dt.date(2025, 3, 31),
    )
    case = create_case(
        session, SYSTEM, title="采样杯注水案", facts_zh=FACTS, enterprise_id=point.enterprise_id
    )
    penalty = add_penalty(
        session,
        SYSTEM,
        case.id,
        amount_wan="20",
        legal_basis=BASIS,
        decision_no=DECISION_NO,
        decided_at=DECIDED,
        ledger_entry_id=problem.id,
    )
    session.commit()
    return point.enterprise_id, agency.id, penalty.id, problem.id


def _create_all(client: TestClient, headers: dict[str, str], penalty_id: int, agency_id: int) -> None:
    first = client.post(
        "/api/credit/records",
        json={
            "penalty_id": penalty_id,
            "facts": FACTS,
            "authority": AUTHORITY,
            "authority_code": AUTHORITY_CODE,
            "agency_ids": [agency_id],
        },
        headers=headers,
    )
    assert first.status_code == 201, first.text
    person = client.post(
        "/api/credit/records",
        json={
            "penalty_id": penalty_id,
            "facts": FACTS,
            "authority": AUTHORITY,
            "authority_code": AUTHORITY_CODE,
            "include_enterprise": False,
            "persons": [
                {
                    "name": "张某某",
                    "id_number": PERSON_ID,
                    "employer_name": "嘉兴某环保运维有限公司",
                    "agency_id": agency_id,
                }
            ],
            "content": "对直接负责的主管人员处以罚款人民币5万元",
        },
        headers=headers,
    )
    assert person.status_code == 201, person.text


def test_the_credit_export_of_a_fixture_case_matches_the_hand_written_files(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    _, agency_id, penalty_id, _ = _fixture_case(db_session)
    officer = login_as(engine, Role.OFFICER)
    _create_all(client, officer, penalty_id, agency_id)
    today = dt.date(2025, 4, 1)
    csv_text = credit.export(db_session, SYSTEM, fmt="csv", today=today).decode()
    assert csv_text == (EXPECTED / "credit_export.csv").read_text(encoding="utf-8")
    json_text = credit.export(db_session, SYSTEM, fmt="json", today=today).decode()
    assert json.loads(json_text) == json.loads((EXPECTED / "credit_export.json").read_text(encoding="utf-8"))
    sheet = load_workbook(io.BytesIO(credit.export(db_session, SYSTEM, fmt="xlsx", today=today))).active
    assert sheet is not None
    rows = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    expected = [line.split(",") for line in csv_text.strip().split("\n")]
    assert rows == expected
    assert (
        credit.export(db_session, SYSTEM, fmt="csv", period="2025Q2", today=today).decode().count("\n") == 1
    )
    db_session.commit()  # the service exports above are audited in this session
    exported = client.get("/api/credit/export?format=csv&period=2025-03", headers=officer)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.text.count("XY2025") == 3
    actions = [
        a.action
        for a in db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "credit_record"))
    ]
    assert actions.count("create") == 3
    assert "export" in actions


def test_publicity_and_withdrawal_follow_the_recorded_rules_and_the_public_pages_follow_them(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    _, agency_id, penalty_id, problem_id = _fixture_case(db_session)
    officer = login_as(engine, Role.OFFICER)
    _create_all(client, officer, penalty_id, agency_id)
    records = {r.subject_kind: r for r in credit.list_records(db_session)}
    enterprise_record = records["enterprise"]
    assert enterprise_record.earliest_withdrawal == dt.date(2025, 6, 28)
    assert "最短公示期3个月" in enterprise_record.rule

    public = client.get("/api/public/credit-records").json()["results"]
    assert {r["number"] for r in public} == {"XY2025000001", "XY2025000002", "XY2025000003"}
    person = next(r for r in public if r["subject_role"] == "责任人员")
    assert person["id_number_masked"] == "330402********0032"
    page = client.get("/public/credit", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "嘉兴某印染有限公司01" in page.text
    assert PERSON_ID not in page.text
    assert PERSON_ID not in client.get("/api/public/credit-records").text
    assert "联合惩戒失信信息公示" in client.get("/public", headers={"Accept": "text/html"}).text

    with pytest.raises(ValidationError, match="2025-06-28"):
        credit.withdraw_record(
            db_session, SYSTEM, enterprise_record.id, reason="已整改", today=dt.date(2025, 5, 1)
        )
    with pytest.raises(ValidationError, match="完成整改"):
        credit.withdraw_record(
            db_session, SYSTEM, enterprise_record.id, reason="已整改", today=dt.date(2025, 7, 1)
        )
    ledger.mark_rectified(
        db_session, SYSTEM, problem_id, rectified_on=dt.date(2025, 6, 20), today=dt.date(2025, 7, 1)
    )
    credit.withdraw_record(
        db_session, SYSTEM, enterprise_record.id, reason="已完成整改并通过现场核查", today=dt.date(2025, 7, 1)
    )
    db_session.commit()
    with pytest.raises(ValidationError, match="已于 2025-07-01 撤下"):
        credit.withdraw_record(
            db_session, SYSTEM, enterprise_record.id, reason="x", today=dt.date(2025, 7, 2)
        )

    public = client.get("/api/public/credit-records").json()["results"]
    assert {r["number"] for r in public} == {"XY2025000002", "XY2025000003"}
    page = client.get("/public/credit", headers={"Accept": "text/html"})
    assert 'data-number="XY2025000001"' not in page.text
    assert "嘉兴某印染有限公司01" not in page.text
    assert 'data-number="XY2025000002"' in page.text
    row = credit.export_row(db_session.get(CreditRecord, enterprise_record.id), dt.date(2025, 7, 2))  # type: ignore[arg-type]
    assert (row["status"], row["withdrawn_on"]) == ("已撤下（信用修复）", "2025-07-01")

    # The end of the publicity period takes the others off the public pages by itself.
    assert len(credit.public_records(db_session, today=dt.date(2028, 3, 27))) == 2
    assert credit.public_records(db_session, today=dt.date(2028, 3, 28)) == []
    assert credit.status_of(records["person"], dt.date(2028, 3, 28)) is credit.RecordStatus.EXPIRED


def test_the_evaluations_take_the_records_into_account(
    client: TestClient, engine: sa.Engine, db_session: Session, store: MeasurementStore
) -> None:
    enterprise_id, agency_id, penalty_id, problem_id = _fixture_case(db_session)
    quarter = parse_quarter("2025Q1")
    before = agency_inputs(db_session, store, agency_id, [], quarter, now=quarter.end)
    assert before.falsifications == []
    _create_all(client, login_as(engine, Role.OFFICER), penalty_id, agency_id)
    db_session.expire_all()
    after = agency_inputs(db_session, store, agency_id, [], quarter, now=quarter.end)
    assert after.falsifications == [
        "联合惩戒失信记录 XY2025000002（嘉环罚〔2025〕12号，嘉兴某环保运维有限公司）",
        "联合惩戒失信记录 XY2025000003（嘉环罚〔2025〕12号，张某某）",
    ]
    later = parse_quarter("2025Q3")
    assert agency_inputs(db_session, store, agency_id, [], later, now=later.end).falsifications == []

    month = parse_period("2025-09")
    assert inputs.enforcement_penalties(db_session, [enterprise_id], month.start, month.end)[
        enterprise_id
    ].falsification
    ledger.mark_rectified(
        db_session, SYSTEM, problem_id, rectified_on=dt.date(2025, 6, 20), today=dt.date(2025, 7, 1)
    )
    record_id = next(r.id for r in credit.list_records(db_session) if r.subject_kind == "enterprise")
    credit.withdraw_record(db_session, SYSTEM, record_id, reason="已整改", today=dt.date(2025, 7, 1))
    assert enterprise_id not in inputs.enforcement_penalties(
        db_session, [enterprise_id], month.start, month.end
    )


def test_records_are_checked_and_only_credit_managers_reach_them(
    client: TestClient, engine: sa.Engine, db_session: Session
) -> None:
    enterprise_id, agency_id, penalty_id, _ = _fixture_case(db_session)
    assert credit.valid_id_number("11010519491231002X")
    assert not credit.valid_id_number("110105194912310021")
    officer = login_as(engine, Role.OFFICER)
    body = {
        "penalty_id": penalty_id,
        "facts": FACTS,
        "authority": AUTHORITY,
        "authority_code": AUTHORITY_CODE,
    }
    bad_person = {
        **body,
        "include_enterprise": False,
        "persons": [{"name": "李某", "id_number": "330402198506120031"}],
    }
    refused = client.post("/api/credit/records", json=bad_person, headers=officer)
    assert refused.status_code == 422
    assert "身份证号码" in refused.json()["detail"]
    assert (
        client.post(
            "/api/credit/records", json={**body, "authority_code": "123"}, headers=officer
        ).status_code
        == 422
    )
    assert client.post("/api/credit/records", json=body, headers=officer).status_code == 201
    duplicate = client.post("/api/credit/records", json=body, headers=officer)
    assert duplicate.status_code == 422
    assert "已有" in duplicate.json()["detail"]
    with pytest.raises(NotFoundError):
        credit.create_records(
            db_session, SYSTEM, 999, facts=FACTS, authority=AUTHORITY, authority_code=AUTHORITY_CODE
        )
    for role, kwargs in (
        (Role.ENTERPRISE, {"enterprise_id": enterprise_id}),
        (Role.OM_AGENCY, {"agency_id": agency_id}),
        (Role.ANALYST, {}),
        (Role.LEADER, {}),
    ):
        headers = login_as(engine, role, **kwargs)
        for path in ("/api/credit/records", "/api/credit/export?format=csv", "/credit"):
            assert client.get(path, headers=headers).status_code == 403, (role, path)
        assert client.post("/api/credit/records", json=body, headers=headers).status_code == 403


def test_credit_export_from_the_command_line(migrated_url: str, db_session: Session, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from ecosentinel.cli import app as cli_app

    _, agency_id, penalty_id, _ = _fixture_case(db_session)
    credit.create_records(
        db_session,
        SYSTEM,
        penalty_id,
        facts=FACTS,
        authority=AUTHORITY,
        authority_code=AUTHORITY_CODE,
        agency_ids=[agency_id],
    )
    db_session.commit()
    out = tmp_path / "credit.json"
    result = CliRunner().invoke(
        cli_app, ["credit", "export", "--out", str(out), "--period", "2025", "--database-url", migrated_url]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert [r["number"] for r in document["records"]] == ["XY2025000001", "XY2025000002"]
    listed = CliRunner().invoke(cli_app, ["credit", "list", "--database-url", migrated_url])
    assert "XY2025000002  运维单位  嘉兴某环保运维有限公司" in listed.output
    bad = CliRunner().invoke(
        cli_app, ["credit", "export", "--out", str(tmp_path / "x.pdf"), "--database-url", migrated_url]
    )
    assert bad.exit_code == 1
    assert "未知的导出格式" in bad.output
