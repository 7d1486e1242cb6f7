"""Cases (案件) and their transfer to police or prosecutors (行刑衔接, seeds 000 and 002).

A case gathers warnings and their findings, data extracts frozen from the measurement store with their
SHA-256, inspection records with attachments, penalties (万元, legal basis), and transfers with the documents
seed 002 names (移送书, 调查报告, 现场勘查笔录, 涉案物品清单). Police see only cases that were transferred;
any other case answers "not found" to them, so its existence does not leak.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import logging
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm, Role
from ecosentinel.auth.service import Principal
from ecosentinel.detection.catalogue import finding_series
from ecosentinel.enforcement import messages
from ecosentinel.enforcement.ledger.service import ActionInput, add_action
from ecosentinel.enforcement.models import (
    Case,
    CaseStatus,
    DataExtract,
    EnforcementWarning,
    Inspection,
    Penalty,
    Transfer,
    TransferKind,
    TransferRecipient,
    as_utc,
)
from ecosentinel.enforcement.tasks import get_task
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST, DataKind
from ecosentinel.registry.models import Enterprise
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)

MAX_EXTRACT_ROWS = 20_000
EXTRACT_MARGIN = dt.timedelta(hours=1)
EXTRACT_COLUMNS = ("time_cst", "code", "kind", "source", "value", "flag")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _visible(principal: Principal) -> sa.ColumnElement[bool] | None:
    if principal.role is Role.POLICE:
        return Case.id.in_(sa.select(Transfer.case_id))
    return None


def list_cases(
    session: Session, principal: Principal, *, status: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Case], int]:
    """Cases the caller may see (police: transferred ones only), newest first, with the total."""
    query = sa.select(Case)
    condition = _visible(principal)
    if condition is not None:
        query = query.where(condition)
    if status:
        query = query.where(Case.status == status)
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Case.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def get_case(
    session: Session, principal: Principal, case_id: int, *, ip: str | None = None, record_view: bool = False
) -> Case:
    """One case; police get NotFoundError for a case not transferred. Views are audited on request."""
    case = session.get(Case, case_id)
    if case is None or (principal.role is Role.POLICE and not case.transfers):
        raise NotFoundError(messages.CASE_NOT_FOUND.format(id=case_id))
    if record_view:
        record(
            session,
            principal,
            "view",
            "case",
            case.id,
            messages.CASE_VIEWED_SUMMARY.format(number=case.number),
            ip=ip,
        )
    return case


def _open(session: Session, actor: Principal, case_id: int) -> Case:
    actor.require(Perm.CASES_WRITE)
    case = get_case(session, actor, case_id)
    if case.status != CaseStatus.OPEN.value:
        raise ValidationError(
            messages.CASE_NOT_OPEN.format(status=messages.CASE_STATUS_NAMES[case.status]), location="status"
        )
    return case


def create_case(
    session: Session,
    actor: Principal,
    *,
    title: str,
    facts_zh: str = "",
    enterprise_id: int | None = None,
    task_id: int | None = None,
    warning_ids: Sequence[int] = (),
    inspection_ids: Sequence[int] = (),
    ip: str | None = None,
) -> Case:
    """Open a case file; from a task it takes the task's enterprise, warning and inspections."""
    actor.require(Perm.CASES_WRITE)
    title = (title or "").strip()
    if not title:
        raise ValidationError(messages.CASE_TITLE_REQUIRED, location="title")
    task = get_task(session, task_id) if task_id is not None else None
    warning_ids = list(warning_ids)
    inspection_ids = list(inspection_ids)
    if task is not None:
        enterprise_id = enterprise_id or task.enterprise_id
        if task.warning_id is not None:
            warning_ids.append(task.warning_id)
        inspection_ids += list(session.scalars(sa.select(Inspection.id).where(Inspection.task_id == task.id)))
    if enterprise_id is not None and session.get(Enterprise, enterprise_id) is None:
        raise ValidationError(f"企业 {enterprise_id} 不存在", location="enterprise_id")
    now = _now()
    case = Case(
        number=f"tmp-{now.timestamp()}-{id(now)}",
        title=title,
        enterprise_id=enterprise_id,
        task_id=task.id if task else None,
        status=CaseStatus.OPEN.value,
        facts_zh=facts_zh.strip(),
        created_by=actor.username,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    case.number = f"AJ{now.astimezone(CST).year}{case.id:05d}"
    _link(session, case, warning_ids, inspection_ids)
    session.flush()
    record(
        session,
        actor,
        "create",
        "case",
        case.id,
        messages.CASE_CREATED_SUMMARY.format(number=case.number, title=title),
        {
            "task_id": case.task_id,
            "enterprise_id": enterprise_id,
            "warnings": [w.id for w in case.warnings],
            "inspections": [i.id for i in case.inspections],
        },
        ip=ip,
    )
    return case


def _link(session: Session, case: Case, warning_ids: Sequence[int], inspection_ids: Sequence[int]) -> None:
    have_w = {w.id for w in case.warnings}
    for i, wid in enumerate(dict.fromkeys(warning_ids)):
        warning = session.get(EnforcementWarning, wid)
        if warning is None:
            raise ValidationError(messages.WARNING_NOT_FOUND.format(id=wid), location=f"warning_ids[{i}]")
        if wid not in have_w:
            case.warnings.append(warning)
    have_i = {x.id for x in case.inspections}
    for i, iid in enumerate(dict.fromkeys(inspection_ids)):
        inspection = session.get(Inspection, iid)
        if inspection is None:
            raise ValidationError(
                messages.INSPECTION_NOT_FOUND.format(id=iid), location=f"inspection_ids[{i}]"
            )
        if iid not in have_i:
            case.inspections.append(inspection)


def link_evidence(
    session: Session,
    actor: Principal,
    case_id: int,
    *,
    warning_ids: Sequence[int] = (),
    inspection_ids: Sequence[int] = (),
    ip: str | None = None,
) -> Case:
    """Attach more warnings (with their findings) and inspection records to an open case."""
    case = _open(session, actor, case_id)
    _link(session, case, warning_ids, inspection_ids)
    case.updated_at = _now()
    session.flush()
    record(
        session,
        actor,
        "link",
        "case",
        case.id,
        messages.CASE_LINKED_SUMMARY.format(
            number=case.number, what="预警/检查记录", ids=[*warning_ids, *inspection_ids]
        ),
        {"warnings": list(warning_ids), "inspections": list(inspection_ids)},
        ip=ip,
    )
    return case


def extract_csv(frame: pl.DataFrame) -> str:
    """Readings as the evidence CSV (China Standard Time, values as stored); its bytes are what is hashed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXTRACT_COLUMNS)
    for row in frame.sort(["time", "code", "kind", "source"]).iter_rows(named=True):
        value = row["value"]
        writer.writerow(
            [
                row["time"].astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
                row["code"],
                row["kind"],
                row["source"],
                "" if value is None else repr(float(value)),
                row["flag"],
            ]
        )
    return out.getvalue()


def _read(
    store: MeasurementStore,
    mn: str,
    start: dt.datetime,
    end: dt.datetime,
    codes: Sequence[str],
    kind: str | None,
) -> tuple[str, pl.DataFrame]:
    if kind is not None:
        try:
            kinds = [DataKind(kind)]
        except ValueError as exc:
            raise ValidationError(f"未知的数据类型 {kind}", location="kind") from exc
    else:
        first = DataKind.MINUTE if end - start <= dt.timedelta(days=2) else DataKind.HOUR
        kinds = [first, *[k for k in (DataKind.MINUTE, DataKind.HOUR, DataKind.RTD) if k is not first]]
    frame = pl.DataFrame()
    for k in kinds:
        frame = store.read_window(start=start, end=end, mns=[mn], codes=list(codes) or None, kinds=[k])
        if frame.height:
            return k.value, frame
    return kinds[0].value, frame


def add_extract(
    session: Session,
    actor: Principal,
    store: MeasurementStore,
    case_id: int,
    *,
    mn: str,
    start: dt.datetime,
    end: dt.datetime,
    codes: Sequence[str] = (),
    kind: str | None = None,
    finding_id: str | None = None,
    before_write: Callable[[], None] | None = None,
    ip: str | None = None,
) -> DataExtract:
    """Freeze the readings of one point over a window into the case, as CSV with its SHA-256.

    ``before_write`` runs between reading the store and writing the extract (the web route ends its read
    snapshot there: on SQLite the store's reads may commit, and a stale snapshot cannot become a writer).
    """
    _open(session, actor, case_id)
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValidationError(f"{name} 必须带时区", location=name)
    if end <= start:
        raise ValidationError(messages.EXTRACT_WINDOW, location="end")
    used_kind, frame = _read(store, mn, start, end, codes, kind)
    if before_write is not None:
        before_write()
    return _save_extract(session, actor, case_id, mn, start, end, codes, used_kind, frame, finding_id, ip)


def _save_extract(
    session: Session,
    actor: Principal,
    case_id: int,
    mn: str,
    start: dt.datetime,
    end: dt.datetime,
    codes: Sequence[str],
    used_kind: str,
    frame: pl.DataFrame,
    finding_id: str | None,
    ip: str | None,
) -> DataExtract:
    case = _open(session, actor, case_id)
    if frame.height > MAX_EXTRACT_ROWS:
        raise ValidationError(
            messages.EXTRACT_TOO_MANY.format(rows=frame.height, limit=MAX_EXTRACT_ROWS), location="end"
        )
    text = extract_csv(frame)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    extract = DataExtract(
        mn=mn,
        codes=list(codes),
        kind=used_kind,
        start=start.astimezone(dt.UTC),
        end=end.astimezone(dt.UTC),
        finding_id=finding_id,
        rows=frame.height,
        csv_text=text,
        sha256=digest,
        created_by=actor.username,
        created_at=_now(),
    )
    case.extracts.append(extract)
    session.flush()
    record(
        session,
        actor,
        "extract",
        "case",
        case.id,
        messages.EXTRACT_SUMMARY.format(
            number=case.number,
            mn=mn,
            start=start.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
            end=end.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
            kind=used_kind,
            rows=frame.height,
            sha256=digest,
        ),
        {"extract_id": extract.id, "sha256": digest, "finding_id": finding_id},
        ip=ip,
    )
    return extract


def add_finding_extracts(
    session: Session,
    actor: Principal,
    store: MeasurementStore,
    case_id: int,
    *,
    before_write: Callable[[], None] | None = None,
    ip: str | None = None,
) -> list[DataExtract]:
    """One extract per finding of the case's warnings (its window ± 1 hour; its factors and the context
    series its rule rests on, e.g. the treatment power of R10), once each.

    All windows are read from the store first, then ``before_write`` runs, then the extracts are written.
    """
    case = _open(session, actor, case_id)
    done = {e.finding_id for e in case.extracts if e.finding_id}
    planned = []
    for warning in case.warnings:
        for f in warning.findings:
            if f.finding_id in done:
                continue
            done.add(f.finding_id)
            start = as_utc(f.start) - EXTRACT_MARGIN
            end = max(as_utc(f.end), as_utc(f.start) + dt.timedelta(minutes=1)) + EXTRACT_MARGIN
            used_kind, frame = _read(store, warning.mn, start, end, list(f.factors), None)
            codes = finding_series(f.rule, f.factors)
            for code in codes[len(f.factors) :]:  # context series, each at the resolution it was sent in
                _, extra = _read(store, warning.mn, start, end, [code], None)
                if extra.height:
                    frame = pl.concat([frame, extra], how="vertical_relaxed") if frame.height else extra
            planned.append((warning.mn, start, end, codes, used_kind, frame, f.finding_id))
    if before_write is not None:
        before_write()
    return [
        _save_extract(session, actor, case_id, mn, start, end, codes, kind, frame, fid, ip)
        for mn, start, end, codes, kind, frame, fid in planned
    ]


def get_extract(session: Session, principal: Principal, case_id: int, extract_id: int) -> DataExtract:
    case = get_case(session, principal, case_id)
    for extract in case.extracts:
        if extract.id == extract_id:
            return extract
    raise NotFoundError(messages.EXTRACT_NOT_FOUND.format(id=extract_id))


def add_penalty(
    session: Session,
    actor: Principal,
    case_id: int,
    *,
    amount_wan: Decimal | float | str,
    legal_basis: str,
    decision_no: str | None = None,
    decided_at: dt.date | None = None,
    ledger_entry_id: int | None = None,
    ip: str | None = None,
) -> Penalty:
    """Record an administrative penalty (行政处罚): the fine in 万元 and its legal basis."""
    case = _open(session, actor, case_id)
    try:
        amount = Decimal(str(amount_wan))
    except InvalidOperation as exc:
        raise ValidationError(messages.PENALTY_AMOUNT, location="amount_wan") from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationError(messages.PENALTY_AMOUNT, location="amount_wan")
    legal_basis = (legal_basis or "").strip()
    if not legal_basis:
        raise ValidationError(messages.PENALTY_BASIS_REQUIRED, location="legal_basis")
    penalty = Penalty(
        amount_wan=amount,
        legal_basis=legal_basis,
        decision_no=(decision_no or "").strip() or None,
        decided_at=decided_at,
        ledger_entry_id=ledger_entry_id,
        created_by=actor.username,
        created_at=_now(),
    )
    case.penalties.append(penalty)
    case.updated_at = _now()
    session.flush()
    if ledger_entry_id is not None:
        # The problem ledger (seed 001 附表2) is the official record of measures and what public disclosure
        # reads: the case's penalty is entered there too, once.

        add_action(
            session,
            actor,
            ledger_entry_id,
            ActionInput(
                kind="penalty",
                fine_wan=float(amount),
                decision_no=penalty.decision_no,
                decided_on=decided_at,
                note=messages.PENALTY_LEDGER_NOTE.format(number=case.number),
            ),
            ip=ip,
        )
    record(
        session,
        actor,
        "penalty",
        "case",
        case.id,
        messages.PENALTY_SUMMARY.format(number=case.number, amount=amount, basis=legal_basis),
        {"penalty_id": penalty.id, "amount_wan": str(amount), "decision_no": penalty.decision_no},
        ip=ip,
    )
    return penalty


def transfer_case(
    session: Session,
    actor: Principal,
    case_id: int,
    *,
    recipient: str,
    recipient_org: str,
    kind: str,
    letter_no: str,
    letter_text: str,
    investigation_report: str,
    site_record: str,
    items: Sequence[str] = (),
    cc_procuratorate: bool = True,
    ip: str | None = None,
) -> Transfer:
    """Transfer a case (移送) with its documents; afterwards police can read it. The case is then frozen."""
    actor.require(Perm.CASES_TRANSFER)
    case = _open(session, actor, case_id)
    try:
        recipient_v = TransferRecipient(recipient)
        kind_v = TransferKind(kind)
    except ValueError as exc:
        raise ValidationError(
            f"移送对象须为 police/procuratorate，移送类型须为 detention/criminal：{exc}", location="recipient"
        ) from exc
    fields = {
        "recipient_org": recipient_org,
        "letter_no": letter_no,
        "letter_text": letter_text,
        "investigation_report": investigation_report,
        "site_record": site_record,
    }
    for name, value in fields.items():
        if not (value or "").strip():
            raise ValidationError(
                messages.TRANSFER_FIELD_REQUIRED.format(field=messages.TRANSFER_FIELD_NAMES[name]),
                location=name,
            )
    items_clean = [s.strip() for s in items if s and s.strip()]
    if kind_v is TransferKind.CRIMINAL and not items_clean:
        raise ValidationError(messages.TRANSFER_ITEMS_REQUIRED, location="items")
    transfer = Transfer(
        recipient=recipient_v.value,
        recipient_org=recipient_org.strip(),
        kind=kind_v.value,
        letter_no=letter_no.strip(),
        letter_text=letter_text.strip(),
        investigation_report=investigation_report.strip(),
        site_record=site_record.strip(),
        items_list=json.dumps(items_clean, ensure_ascii=False),
        cc_procuratorate=cc_procuratorate,
        transferred_by=actor.username,
        transferred_at=_now(),
    )
    case.transfers.append(transfer)
    case.status = CaseStatus.TRANSFERRED.value
    case.updated_at = _now()
    session.flush()
    record(
        session,
        actor,
        "transfer",
        "case",
        case.id,
        messages.TRANSFER_SUMMARY.format(
            number=case.number,
            kind=messages.TRANSFER_KIND_NAMES[kind_v.value],
            org=transfer.recipient_org,
            letter_no=transfer.letter_no,
        ),
        {"transfer_id": transfer.id, "recipient": recipient_v.value, "items": items_clean},
        ip=ip,
    )
    return transfer


def record_reply(
    session: Session, actor: Principal, transfer_id: int, *, reply: str, ip: str | None = None
) -> Transfer:
    """Record the receiving authority's written answer (是否立案)."""
    actor.require(Perm.CASES_TRANSFER)
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        raise NotFoundError(messages.TRANSFER_NOT_FOUND.format(id=transfer_id))
    reply = (reply or "").strip()
    if not reply:
        raise ValidationError("回复内容不能为空", location="reply")
    transfer.reply = reply
    transfer.reply_at = _now()
    session.flush()
    record(
        session,
        actor,
        "reply",
        "case",
        transfer.case_id,
        messages.TRANSFER_REPLY_SUMMARY.format(
            number=transfer.case.number, org=transfer.recipient_org, reply=reply
        ),
        {"transfer_id": transfer.id},
        ip=ip,
    )
    return transfer
