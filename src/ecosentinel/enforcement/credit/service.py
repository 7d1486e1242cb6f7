"""Joint punishment (联合惩戒): credit records of falsification penalties, their publicity and their export.

For a penalty decision (``enforcement.models.Penalty`` with decision number and date) on falsification, staff
with ``credit.manage`` create one record per penalised subject: the case's enterprise (its unified social
credit code from the registry), O&M agencies involved, and responsible persons (name and ID number, checked).
The publicity rule is chosen by severity and recorded with the record:

- publicity starts on the decision date and ends 3 years later (the last day shown is the day before the
  third anniversary); after that the record is ``expired`` and leaves the public pages by itself;
- a record may be withdrawn early (信用修复) only after its minimum publicity period (3 months for general,
  1 year for serious: a case transferred to police or prosecutors) and only when the case's rectification is
  entered in the problem ledger (a ledger problem of the case, or the penalty's ledger row, with
  ``rectified_on``); a withdrawn record leaves the public pages at once.

Public pages show records in publicity with the person's ID number masked; the exports for the national
credit information sharing platform and the enterprise credit publicity system (Excel, CSV, JSON) carry every
field. Every create, withdrawal and export is in the audit trail.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.credit import messages as msg
from ecosentinel.enforcement.credit.models import CreditRecord
from ecosentinel.enforcement.ledger.models import LedgerProblem
from ecosentinel.enforcement.models import Case, Penalty, Transfer
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, OMAgency


class SubjectKind(StrEnum):
    ENTERPRISE = "enterprise"
    OM_AGENCY = "om_agency"
    PERSON = "person"


class IdentifierType(StrEnum):
    CREDIT_CODE = "credit_code"
    ID_CARD = "id_card"


class Severity(StrEnum):
    GENERAL = "general"
    SERIOUS = "serious"


class RecordStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


@dataclass(frozen=True)
class PublicityRule:
    """How long a record is public, and how soon it may be withdrawn after rectification."""

    years: int
    minimum_months: int
    text: str


RULES: dict[Severity, PublicityRule] = {
    Severity.GENERAL: PublicityRule(years=3, minimum_months=3, text=msg.RULE_GENERAL),
    Severity.SERIOUS: PublicityRule(years=3, minimum_months=12, text=msg.RULE_SERIOUS),
}
"""The recorded publicity rules (the text is copied into each record)."""


@dataclass(frozen=True)
class PersonInput:
    """A responsible person (责任人员): name, ID number, and the unit they work for."""

    name: str
    id_number: str
    employer_name: str | None = None
    agency_id: int | None = None


def today_cst() -> dt.date:
    return dt.datetime.now(CST).date()


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (clipped to the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_id_number(value: str) -> bool:
    """An 18-digit resident ID number with a correct check character (GB 11643)."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    total = sum(int(c) * w for c, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


def mask_id(value: str) -> str:
    """A person's ID number as the public pages show it: first 6 and last 4 characters."""
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) > 10 else "*" * len(value)


def _check_code(value: str, message: str, location: str) -> str:
    code = (value or "").strip().upper()
    if not _CODE.match(code):
        raise ValidationError(message.format(value=value), location=location)
    return code


def status_of(rec: CreditRecord, today: dt.date) -> RecordStatus:
    if rec.withdrawn_on is not None and rec.withdrawn_on <= today:
        return RecordStatus.WITHDRAWN
    if today < rec.publicity_start:
        return RecordStatus.PENDING
    if today > rec.publicity_end:
        return RecordStatus.EXPIRED
    return RecordStatus.PUBLISHED


def _penalty(session: Session, penalty_id: int) -> tuple[Penalty, Case]:
    penalty = session.get(Penalty, penalty_id)
    if penalty is None:
        raise NotFoundError(msg.PENALTY_NOT_FOUND.format(id=penalty_id))
    if not penalty.decision_no or penalty.decided_at is None:
        raise ValidationError(msg.PENALTY_UNDECIDED.format(id=penalty_id), location="penalty_id")
    return penalty, penalty.case


def default_severity(session: Session, case_id: int) -> Severity:
    """Serious when the case was transferred to police or prosecutors, general otherwise."""
    transferred = session.scalar(sa.select(sa.func.count()).where(Transfer.case_id == case_id)) or 0
    return Severity.SERIOUS if transferred else Severity.GENERAL


def create_records(
    session: Session,
    actor: Principal,
    penalty_id: int,
    *,
    facts: str,
    authority: str,
    authority_code: str,
    include_enterprise: bool = True,
    agency_ids: Sequence[int] = (),
    persons: Sequence[PersonInput] = (),
    offence: str = msg.OFFENCE_DEFAULT,
    penalty_kind: str = "罚款",
    content: str | None = None,
    severity: str | None = None,
    ip: str | None = None,
) -> list[CreditRecord]:
    """One credit record per subject of a decided penalty, with the recorded publicity rule."""
    actor.require(Perm.CREDIT_MANAGE)
    penalty, case = _penalty(session, penalty_id)
    assert penalty.decision_no is not None
    assert penalty.decided_at is not None
    facts = (facts or "").strip() or (case.facts_zh or "").strip()
    if not facts:
        raise ValidationError(msg.FACTS_REQUIRED, location="facts")
    authority = (authority or "").strip()
    if not authority:
        raise ValidationError(msg.AUTHORITY_REQUIRED, location="authority")
    authority_code = _check_code(authority_code, msg.AUTHORITY_CODE_INVALID, "authority_code")
    if severity:
        try:
            level = Severity(severity)
        except ValueError as exc:
            raise ValidationError(msg.SEVERITY_UNKNOWN.format(value=severity), location="severity") from exc
    else:
        level = default_severity(session, case.id)
    rule = RULES[level]
    fine = Decimal(penalty.amount_wan)
    content = (content or "").strip() or f"罚款人民币{fine.normalize():f}万元"
    subjects: list[tuple[SubjectKind, str, IdentifierType, str, int | None, int | None, str | None]] = []
    if include_enterprise:
        if case.enterprise_id is None:
            raise ValidationError(msg.PENALTY_NO_ENTERPRISE, location="include_enterprise")
        enterprise = session.get(Enterprise, case.enterprise_id)
        assert enterprise is not None
        code = _check_code(enterprise.credit_code, msg.CREDIT_CODE_INVALID, "enterprise.credit_code")
        subjects.append(
            (
                SubjectKind.ENTERPRISE,
                enterprise.name,
                IdentifierType.CREDIT_CODE,
                code,
                enterprise.id,
                None,
                None,
            )
        )
    for i, wanted in enumerate(dict.fromkeys(agency_ids)):
        agency = session.get(OMAgency, wanted)
        if agency is None:
            raise ValidationError(msg.AGENCY_NOT_FOUND.format(id=wanted), location=f"agency_ids[{i}]")
        code = _check_code(agency.credit_code, msg.CREDIT_CODE_INVALID, f"agency_ids[{i}]")
        subjects.append(
            (SubjectKind.OM_AGENCY, agency.name, IdentifierType.CREDIT_CODE, code, None, agency.id, None)
        )
    for i, person in enumerate(persons):
        name = person.name.strip()
        if not name:
            raise ValidationError(msg.PERSON_NAME_REQUIRED, location=f"persons[{i}].name")
        number = person.id_number.strip().upper()
        if not valid_id_number(number):
            raise ValidationError(
                msg.ID_NUMBER_INVALID.format(value=number), location=f"persons[{i}].id_number"
            )
        employer = (person.employer_name or "").strip() or None
        subjects.append(
            (SubjectKind.PERSON, name, IdentifierType.ID_CARD, number, None, person.agency_id, employer)
        )
    if not subjects:
        raise ValidationError(msg.NO_SUBJECTS, location="subjects")
    decided = penalty.decided_at
    created: list[CreditRecord] = []
    for kind, name, id_type, identifier, subject_enterprise, subject_agency, employer in subjects:
        existing = session.scalar(
            sa.select(CreditRecord).where(
                CreditRecord.penalty_id == penalty.id,
                CreditRecord.subject_kind == kind.value,
                CreditRecord.identifier == identifier,
            )
        )
        if existing is not None:
            raise ValidationError(
                msg.DUPLICATE_RECORD.format(
                    penalty=penalty.decision_no,
                    kind=msg.SUBJECT_KIND_ZH[kind.value],
                    name=name,
                    number=existing.number,
                ),
                location="subjects",
            )
        rec = CreditRecord(
            number=f"tmp-{secrets.token_hex(8)}",  # the real number needs the row id
            penalty_id=penalty.id,
            case_id=case.id,
            subject_kind=kind.value,
            subject_name=name,
            identifier_type=id_type.value,
            identifier=identifier,
            enterprise_id=subject_enterprise,
            agency_id=subject_agency,
            employer_name=employer,
            decision_no=penalty.decision_no,
            decided_on=decided,
            offence=offence.strip() or msg.OFFENCE_DEFAULT,
            facts=facts,
            legal_basis=penalty.legal_basis,
            penalty_kind=penalty_kind.strip() or "罚款",
            content=content,
            fine_wan=fine if kind is not SubjectKind.PERSON else None,
            authority=authority,
            authority_code=authority_code,
            severity=level.value,
            rule=rule.text,
            publicity_start=decided,
            publicity_end=add_months(decided, 12 * rule.years) - dt.timedelta(days=1),
            earliest_withdrawal=add_months(decided, rule.minimum_months),
            created_by=actor.username,
        )
        session.add(rec)
        session.flush()
        rec.number = f"XY{decided.year}{rec.id:06d}"
        session.flush()
        record(
            session,
            actor,
            "create",
            "credit_record",
            rec.id,
            msg.CREATED_SUMMARY.format(
                number=rec.number,
                kind=msg.SUBJECT_KIND_ZH[kind.value],
                name=name,
                decision_no=rec.decision_no,
            ),
            {"penalty_id": penalty.id, "case_id": case.id, "severity": level.value},
            ip=ip,
        )
        created.append(rec)
    return created


def _rectified(session: Session, rec: CreditRecord) -> bool:
    conditions = []
    if rec.case_id is not None:
        conditions.append(LedgerProblem.case_id == rec.case_id)
    if rec.penalty_id is not None:
        ledger_id = session.scalar(sa.select(Penalty.ledger_entry_id).where(Penalty.id == rec.penalty_id))
        if ledger_id is not None:
            conditions.append(LedgerProblem.id == ledger_id)
    if not conditions:
        return False
    found = session.scalar(
        sa.select(sa.func.count()).where(sa.or_(*conditions), LedgerProblem.rectified_on.is_not(None))
    )
    return bool(found)


def get_record(session: Session, record_id: int) -> CreditRecord:
    rec = session.get(CreditRecord, record_id)
    if rec is None:
        raise NotFoundError(msg.RECORD_NOT_FOUND.format(id=record_id))
    return rec


def withdraw_record(
    session: Session,
    actor: Principal,
    record_id: int,
    *,
    reason: str,
    today: dt.date | None = None,
    ip: str | None = None,
) -> CreditRecord:
    """Withdraw a record early after rectification (信用修复), following its recorded rule."""
    actor.require(Perm.CREDIT_MANAGE)
    rec = get_record(session, record_id)
    day = today or today_cst()
    if rec.withdrawn_on is not None:
        raise ValidationError(
            msg.ALREADY_WITHDRAWN.format(number=rec.number, date=rec.withdrawn_on), location="status"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(msg.WITHDRAW_REASON_REQUIRED, location="reason")
    if day < rec.earliest_withdrawal:
        raise ValidationError(
            msg.WITHDRAW_TOO_EARLY.format(date=rec.earliest_withdrawal.isoformat(), rule=rec.rule),
            location="today",
        )
    if not _rectified(session, rec):
        raise ValidationError(msg.WITHDRAW_NOT_RECTIFIED, location="reason")
    rec.withdrawn_on = day
    rec.withdrawal_reason = reason
    rec.withdrawn_by = actor.username
    session.flush()
    record(
        session,
        actor,
        "withdraw",
        "credit_record",
        rec.id,
        msg.WITHDRAWN_SUMMARY.format(number=rec.number, reason=reason),
        {"withdrawn_on": day.isoformat()},
        ip=ip,
    )
    return rec


def list_records(session: Session, *, period: tuple[dt.date, dt.date] | None = None) -> list[CreditRecord]:
    """Every record (staff view), by decision date then number; optionally decided within ``period``."""
    query = sa.select(CreditRecord)
    if period is not None:
        query = query.where(CreditRecord.decided_on >= period[0], CreditRecord.decided_on <= period[1])
    return list(session.scalars(query.order_by(CreditRecord.decided_on, CreditRecord.id)))


def public_records(session: Session, *, today: dt.date | None = None) -> list[CreditRecord]:
    """Records in their publicity period and not withdrawn, newest decision first."""
    day = today or today_cst()
    rows = session.scalars(
        sa.select(CreditRecord)
        .where(
            CreditRecord.publicity_start <= day,
            CreditRecord.publicity_end >= day,
            sa.or_(CreditRecord.withdrawn_on.is_(None), CreditRecord.withdrawn_on > day),
        )
        .order_by(CreditRecord.decided_on.desc(), CreditRecord.id.desc())
    )
    return list(rows)


def parse_period(value: str | None) -> tuple[dt.date, dt.date] | None:
    """``2025`` / ``2025-03`` / ``2025Q1`` as (first day, last day); None for all."""
    text = (value or "").strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})|Q([1-4]))?", text)
    if not m:
        raise ValidationError(msg.BAD_PERIOD.format(value=text), location="period")
    year = int(m.group(1))
    if m.group(2):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValidationError(msg.BAD_PERIOD.format(value=text), location="period")
        first = dt.date(year, month, 1)
        return first, add_months(first, 1) - dt.timedelta(days=1)
    if m.group(3):
        first = dt.date(year, 3 * int(m.group(3)) - 2, 1)
        return first, add_months(first, 3) - dt.timedelta(days=1)
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def export_row(rec: CreditRecord, today: dt.date) -> dict[str, str]:
    """One record with every field credit platforms need, as text, keyed by the stable column keys."""
    person = rec.subject_kind == SubjectKind.PERSON.value
    values: dict[str, Any] = {
        "number": rec.number,
        "subject_category": msg.SUBJECT_CATEGORY_ZH[rec.subject_kind],
        "subject_role": msg.SUBJECT_KIND_ZH[rec.subject_kind],
        "subject_name": rec.subject_name,
        "credit_code": "" if person else rec.identifier,
        "id_type": msg.IDENTIFIER_TYPE_ZH[rec.identifier_type] if person else "",
        "id_number": rec.identifier if person else "",
        "employer_name": rec.employer_name,
        "decision_no": rec.decision_no,
        "decided_on": rec.decided_on,
        "offence": rec.offence,
        "facts": rec.facts,
        "legal_basis": rec.legal_basis,
        "penalty_kind": rec.penalty_kind,
        "content": rec.content,
        "fine_wan": rec.fine_wan,
        "authority": rec.authority,
        "authority_code": rec.authority_code,
        "severity": msg.SEVERITY_ZH[rec.severity],
        "publicity_start": rec.publicity_start,
        "publicity_end": rec.publicity_end,
        "status": msg.STATUS_ZH[status_of(rec, today).value],
        "withdrawn_on": rec.withdrawn_on,
        "withdrawal_reason": rec.withdrawal_reason,
    }
    return {key: _text(values[key]) for key, _ in msg.COLUMNS}


def export_csv(rows: Sequence[dict[str, str]]) -> str:
    """UTF-8 CSV with the Chinese headers (no BOM; ``\\n`` line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([header for _, header in msg.COLUMNS])
    for row in rows:
        writer.writerow([row[key] for key, _ in msg.COLUMNS])
    return out.getvalue()


def export_json(rows: Sequence[dict[str, str]]) -> str:
    """JSON: the column list (key, Chinese header) and the records keyed by the stable column keys."""
    document = {
        "columns": [{"key": key, "title": header} for key, header in msg.COLUMNS],
        "records": list(rows),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def export_xlsx(rows: Sequence[dict[str, str]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "联合惩戒失信记录"
    sheet.append([header for _, header in msg.COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([row[key] for key, _ in msg.COLUMNS])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


EXPORT_NAMES = {"csv": "CSV", "json": "JSON", "xlsx": "Excel"}
"""Export formats as the audit summary names them."""
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export(
    session: Session,
    actor: Principal,
    *,
    fmt: str,
    period: str | None = None,
    today: dt.date | None = None,
    ip: str | None = None,
) -> bytes:
    """Records decided in ``period`` (all by default) in ``fmt`` (xlsx, csv, json); the export is audited."""
    actor.require(Perm.CREDIT_MANAGE)
    if fmt not in EXPORT_TYPES:
        raise ValidationError(msg.EXPORT_FORMAT.format(value=fmt), location="format")
    day = today or today_cst()
    rows = [export_row(r, day) for r in list_records(session, period=parse_period(period))]
    if fmt == "csv":
        data = export_csv(rows).encode()
    elif fmt == "json":
        data = export_json(rows).encode()
    else:
        data = export_xlsx(rows)
    record(
        session,
        actor,
        "export",
        "credit_record",
        None,
        msg.EXPORTED_SUMMARY.format(period=period or "全部", fmt=EXPORT_NAMES[fmt], n=len(rows)),
        {"period": period, "format": fmt, "numbers": [r["number"] for r in rows]},
        ip=ip,
    )
    return data


# --- what the evaluations read ------------------------------------------------------------------------------


def active_between(session: Session, first: dt.date, last: dt.date) -> list[CreditRecord]:
    """Records public at some day of [first, last] (publicity overlapping, not withdrawn before ``first``)."""
    return list(
        session.scalars(
            sa.select(CreditRecord).where(
                CreditRecord.publicity_start <= last,
                CreditRecord.publicity_end >= first,
                sa.or_(CreditRecord.withdrawn_on.is_(None), CreditRecord.withdrawn_on > first),
            )
        )
    )


def decided_between(session: Session, first: dt.date, last: dt.date) -> list[CreditRecord]:
    """Records whose penalty was decided in [first, last]."""
    return list(
        session.scalars(
            sa.select(CreditRecord).where(CreditRecord.decided_on >= first, CreditRecord.decided_on <= last)
        )
    )
