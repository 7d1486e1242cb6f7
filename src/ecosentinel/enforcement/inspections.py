"""On-site inspections (现场检查) with the 10-point checklist of seed 000 and hashed attachments.

An inspection is pre-filled with the screening evidence for its point (the findings' Chinese explanations and
values), each checklist item shows the findings that bear on it, and once submitted (signed, 谁签字谁负责)
it can no longer change. Attachments are stored under the data directory with their SHA-256; their declared
content type must match what the bytes are.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm, Role
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import messages
from ecosentinel.enforcement.models import (
    Attachment,
    Case,
    CaseStatus,
    CheckResult,
    EnforcementWarning,
    Inspection,
    InspectionItem,
    InspectionStatus,
    TaskStatus,
    as_utc,
    case_inspection,
)
from ecosentinel.enforcement.tasks import change_task, get_task, team_names
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Point
from ecosentinel.screening.models import ScreeningFinding

logger = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
PREFILL_DAYS = 30
PREFILL_MAX = 20

RULE_ITEMS: dict[str, tuple[int, ...]] = {
    "R01": (8,),
    "R02": (8,),
    "R03": (2, 8),
    "R04": (3, 8),
    "R05": (3, 10),
    "R06": (6,),
    "R08": (3,),
    "R09": (7,),
    "R10": (9,),
    "R11": (10,),
    "R12": (4,),
    "R13": (4,),
    "R15": (3,),
    "R16": (7,),
    "R17": (5,),
    "R18": (5,),
    "R19": (5,),
}
"""Screening rule → checklist items it calls to check on site (item 1 covers every finding)."""


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in data


_ZIP = b"PK\x03\x04"
CONTENT_TYPES: dict[str, tuple[str, Any]] = {
    "image/jpeg": (".jpg", lambda b: b.startswith(b"\xff\xd8\xff")),
    "image/png": (".png", lambda b: b.startswith(b"\x89PNG\r\n\x1a\n")),
    "application/pdf": (".pdf", lambda b: b.startswith(b"%PDF-")),
    "video/mp4": (".mp4", lambda b: b[4:8] == b"ftyp"),
    "text/plain": (".txt", _is_text),
    "text/csv": (".csv", _is_text),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        ".xlsx",
        lambda b: b.startswith(_ZIP),
    ),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        ".docx",
        lambda b: b.startswith(_ZIP),
    ),
}
"""Accepted attachment types: extension and a check of the bytes (photos, video, records, documents)."""


@dataclass(frozen=True)
class ItemInput:
    """What an inspector enters for one checklist item."""

    item_no: int
    result: str | None = None
    notes: str | None = None


def _items_for(rule: str) -> tuple[int, ...]:
    return (1, *RULE_ITEMS.get(rule.split("_", 1)[0], ()))


def _cst(value: dt.datetime) -> str:
    return as_utc(value).astimezone(CST).strftime("%Y-%m-%d %H:%M")


def _evidence_rows(session: Session, warning_id: int | None, point_id: int | None) -> list[dict[str, Any]]:
    """The screening evidence snapshot stored with a new inspection (``Inspection.prefill``).

    Its rows keep ``factors`` as ``"a,b"`` text, as snapshots stored before the columns became lists do: the
    inspection page and the API's ``evidence`` read both alike.
    """
    rows: list[dict[str, Any]] = []
    warnings: list[EnforcementWarning] = []
    if warning_id is not None:
        warnings = [w for w in [session.get(EnforcementWarning, warning_id)] if w is not None]
    elif point_id is not None:  # the point's latest warnings that were not dismissed
        warnings = list(
            session.scalars(
                sa.select(EnforcementWarning)
                .where(EnforcementWarning.point_id == point_id, EnforcementWarning.status != "dismissed")
                .order_by(EnforcementWarning.period_end.desc())
                .limit(3)
            )
        )
    for warning in warnings:
        for f in warning.findings[:PREFILL_MAX]:
            rows.append(
                {
                    "finding_id": f.finding_id,
                    "rule": f.rule,
                    "factors": ",".join(f.factors),
                    "start": _cst(f.start),
                    "end": _cst(f.end),
                    "severity": f.severity,
                    "explanation_zh": f.explanation_zh,
                    "evidence": json.loads(f.evidence or "{}"),
                }
            )
    if not rows and point_id is not None:
        mn = session.scalar(sa.select(Point.mn).where(Point.id == point_id))
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=PREFILL_DAYS)
        for sf in session.scalars(
            sa.select(ScreeningFinding)
            .where(ScreeningFinding.mn == mn, ScreeningFinding.end >= since)
            .order_by(ScreeningFinding.score.desc(), ScreeningFinding.id)
            .limit(PREFILL_MAX)
        ):
            rows.append(
                {
                    "finding_id": sf.fingerprint,
                    "rule": sf.rule,
                    "factors": ",".join(sf.factors),
                    "start": _cst(sf.start),
                    "end": _cst(sf.end),
                    "severity": sf.severity,
                    "explanation_zh": sf.explanation_zh,
                    "evidence": json.loads(sf.evidence or "{}"),
                }
            )
    for row in rows:
        row["items"] = list(_items_for(row["rule"]))
    return rows


def create_inspection(
    session: Session,
    actor: Principal,
    *,
    task_id: int | None = None,
    enterprise_id: int | None = None,
    point_id: int | None = None,
    inspectors: str | None = None,
    ip: str | None = None,
) -> Inspection:
    """Open an inspection record (for a task, or an enterprise/point directly), pre-filled with evidence.

    A dispatched task whose team includes the caller moves to in progress.
    """
    actor.require(Perm.INSPECTIONS_WRITE)
    task = get_task(session, task_id) if task_id is not None else None
    if task is not None:
        enterprise_id = enterprise_id or task.enterprise_id
        point_id = point_id or task.point_id
    if point_id is not None:
        point = session.get(Point, point_id)
        if point is None:
            raise ValidationError(f"点位 {point_id} 不存在", location="point_id")
        enterprise_id = enterprise_id or point.enterprise_id
    if task is None and enterprise_id is None:
        raise ValidationError(messages.INSPECTION_TARGET_REQUIRED, location="task_id")
    if not inspectors:
        names = team_names(session, task) if task else []
        inspectors = "、".join(names) or actor.display_name
    inspection = Inspection(
        task_id=task.id if task else None,
        enterprise_id=enterprise_id,
        point_id=point_id,
        status=InspectionStatus.DRAFT.value,
        inspectors=inspectors[:300],
        prefill=json.dumps(
            _evidence_rows(session, task.warning_id if task else None, point_id), ensure_ascii=False
        ),
        created_by=actor.username,
        created_at=dt.datetime.now(dt.UTC),
    )
    inspection.items = [InspectionItem(item_no=item.no) for item in messages.CHECKLIST]
    session.add(inspection)
    session.flush()
    record(
        session,
        actor,
        "create",
        "inspection",
        inspection.id,
        messages.INSPECTION_CREATED_SUMMARY.format(id=inspection.id),
        {"task_id": inspection.task_id, "enterprise_id": enterprise_id, "point_id": point_id},
        ip=ip,
    )
    if (
        task is not None
        and task.status == TaskStatus.DISPATCHED.value
        and (actor.role is Role.ADMIN or actor.user_id in {m.user_id for m in task.members})
    ):
        change_task(
            session,
            actor,
            task.id,
            "start",
            note=messages.INSPECTION_STARTED_NOTE.format(id=inspection.id),
            ip=ip,
        )
    return inspection


def get_inspection(session: Session, inspection_id: int) -> Inspection:
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise NotFoundError(messages.INSPECTION_NOT_FOUND.format(id=inspection_id))
    return inspection


def list_inspections(session: Session, *, task_id: int | None = None, limit: int = 100) -> list[Inspection]:
    query = sa.select(Inspection)
    if task_id is not None:
        query = query.where(Inspection.task_id == task_id)
    return list(session.scalars(query.order_by(Inspection.id.desc()).limit(limit)))


def _editable(session: Session, inspection_id: int) -> Inspection:
    inspection = get_inspection(session, inspection_id)
    if inspection.status != InspectionStatus.DRAFT.value:
        raise ValidationError(messages.INSPECTION_SUBMITTED, location="status")
    return inspection


def update_inspection(
    session: Session,
    actor: Principal,
    inspection_id: int,
    *,
    items: Sequence[ItemInput] = (),
    inspected_at: dt.datetime | None = None,
    inspectors: str | None = None,
    conclusion: str | None = None,
    ip: str | None = None,
) -> Inspection:
    """Fill in checklist items (result 符合/不符合/不适用 and notes) and the header of a draft inspection."""
    actor.require(Perm.INSPECTIONS_WRITE)
    inspection = _editable(session, inspection_id)
    by_no = {item.item_no: item for item in inspection.items}
    changed: list[int] = []
    for i, entry in enumerate(items):
        if entry.item_no not in by_no:
            raise ValidationError(
                messages.INSPECTION_ITEM_NO.format(no=entry.item_no), location=f"items[{i}].item_no"
            )
        if entry.result is not None and entry.result not in {r.value for r in CheckResult}:
            raise ValidationError(
                messages.INSPECTION_RESULT.format(value=entry.result), location=f"items[{i}].result"
            )
        item = by_no[entry.item_no]
        item.result = entry.result
        item.notes = (entry.notes or "").strip() or None
        changed.append(entry.item_no)
    if inspected_at is not None:
        if inspected_at.tzinfo is None:
            raise ValidationError("检查时间必须带时区", location="inspected_at")
        inspection.inspected_at = inspected_at.astimezone(dt.UTC)
    if inspectors:
        inspection.inspectors = inspectors[:300]
    if conclusion is not None:
        inspection.conclusion = conclusion.strip() or None
    session.flush()
    record(
        session,
        actor,
        "update",
        "inspection",
        inspection.id,
        messages.INSPECTION_UPDATED_SUMMARY.format(id=inspection.id, items=changed),
        {
            "items": [{"no": e.item_no, "result": e.result, "notes": e.notes} for e in items],
            "conclusion": inspection.conclusion,
        },
        ip=ip,
    )
    return inspection


def submit_inspection(
    session: Session, actor: Principal, inspection_id: int, *, ip: str | None = None
) -> Inspection:
    """Sign and submit: every item needs a result, every 不符合 a note; afterwards the record is frozen."""
    actor.require(Perm.INSPECTIONS_WRITE)
    inspection = _editable(session, inspection_id)
    missing = [item.item_no for item in inspection.items if item.result is None]
    if missing:
        raise ValidationError(
            messages.INSPECTION_INCOMPLETE.format(items="、".join(str(n) for n in missing)),
            location=f"items[{missing[0]}].result",
        )
    for item in inspection.items:
        if item.result == CheckResult.NONCONFORM.value and not item.notes:
            raise ValidationError(
                messages.INSPECTION_NONCONFORM_NOTES.format(no=item.item_no),
                location=f"items[{item.item_no}].notes",
            )
    now = dt.datetime.now(dt.UTC)
    inspection.status = InspectionStatus.SUBMITTED.value
    inspection.submitted_by = actor.username
    inspection.submitted_at = now
    inspection.inspected_at = inspection.inspected_at or now
    session.flush()
    n_bad = sum(1 for item in inspection.items if item.result == CheckResult.NONCONFORM.value)
    record(
        session,
        actor,
        "submit",
        "inspection",
        inspection.id,
        messages.INSPECTION_SUBMITTED_SUMMARY.format(id=inspection.id, n_bad=n_bad),
        {
            "items": {item.item_no: item.result for item in inspection.items},
            "conclusion": inspection.conclusion,
        },
        ip=ip,
    )
    return inspection


def _content_type(declared: str) -> str:
    return declared.split(";", 1)[0].strip().lower()


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """An uploaded file checked and stored under the data directory, content-addressed."""

    content_type: str
    sha256: str
    relative: PurePath
    """Path under ``data_dir``."""
    filename: str
    """The uploader's file name without any directory, or the digest when it had none."""


def store_upload(
    data_dir: str | Path,
    folder: PurePath,
    filename: str | None,
    content_type: str | None,
    data: bytes,
    *,
    type_location: str = "file",
) -> StoredUpload:
    """Check an upload's declared type against its magic bytes and write it durably (fsync, then an atomic
    rename) as ``folder/<sha256><ext>`` under ``data_dir``; an identical file is stored once."""
    kind = _content_type(content_type or "")
    if kind not in CONTENT_TYPES:
        raise ValidationError(
            messages.ATTACHMENT_TYPE.format(
                content_type=kind or "（未声明）", allowed="、".join(CONTENT_TYPES)
            ),
            location=type_location,
        )
    ext, check = CONTENT_TYPES[kind]
    if not check(data):
        raise ValidationError(messages.ATTACHMENT_MISMATCH.format(content_type=kind), location="file")
    digest = hashlib.sha256(data).hexdigest()
    relative = folder / f"{digest}{ext}"
    target = Path(data_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    name = PurePath((filename or "").replace("\\", "/")).name[:255] or f"{digest}{ext}"
    return StoredUpload(kind, digest, relative, name)


def add_attachment(
    session: Session,
    actor: Principal,
    inspection_id: int,
    *,
    data_dir: Path,
    filename: str,
    content_type: str,
    data: bytes,
    item_no: int | None = None,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
    ip: str | None = None,
) -> Attachment:
    """Store an uploaded file under ``data_dir/attachments`` and record it with its SHA-256."""
    actor.require(Perm.INSPECTIONS_WRITE)
    inspection = _editable(session, inspection_id)
    if item_no is not None and not 1 <= item_no <= len(messages.CHECKLIST):
        raise ValidationError(messages.INSPECTION_ITEM_NO.format(no=item_no), location="item_no")
    if not data:
        raise ValidationError(messages.ATTACHMENT_EMPTY, location="file")
    if len(data) > max_bytes:
        raise ValidationError(
            messages.ATTACHMENT_TOO_LARGE.format(size=len(data), limit=max_bytes), location="file"
        )
    stored = store_upload(
        data_dir,
        PurePath("attachments", f"inspection-{inspection.id}"),
        filename,
        content_type,
        data,
        type_location="file.content_type",
    )
    kind, digest, relative, name = stored.content_type, stored.sha256, stored.relative, stored.filename
    attachment = Attachment(
        inspection_id=inspection.id,
        item_no=item_no,
        filename=name,
        content_type=kind,
        size=len(data),
        sha256=digest,
        stored_path=relative.as_posix(),
        uploaded_by=actor.username,
        uploaded_at=dt.datetime.now(dt.UTC),
    )
    session.add(attachment)
    session.flush()
    record(
        session,
        actor,
        "upload",
        "attachment",
        attachment.id,
        messages.ATTACHMENT_SUMMARY.format(filename=name, sha256=digest, id=inspection.id),
        {"inspection_id": inspection.id, "item_no": item_no, "size": len(data), "sha256": digest},
        ip=ip,
    )
    return attachment


def police_may_see_inspection(session: Session, inspection_id: int) -> bool:
    """Police see an inspection only through a transferred case it belongs to."""
    found = session.scalar(
        sa.select(sa.func.count())
        .select_from(case_inspection)
        .join(Case, Case.id == case_inspection.c.case_id)
        .where(case_inspection.c.inspection_id == inspection_id, Case.status == CaseStatus.TRANSFERRED.value)
    )
    return bool(found)


def read_attachment(
    session: Session, principal: Principal, attachment_id: int, *, data_dir: Path
) -> tuple[Attachment, bytes]:
    """The attachment and its bytes, checked against the recorded SHA-256 (police: transferred cases only)."""
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or (
        principal.role is Role.POLICE
        and (
            attachment.inspection_id is None
            or not police_may_see_inspection(session, attachment.inspection_id)
        )
    ):
        raise NotFoundError(messages.ATTACHMENT_NOT_FOUND.format(id=attachment_id))
    data = (Path(data_dir) / attachment.stored_path).read_bytes()
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        logger.error("attachment %d does not match its recorded SHA-256", attachment.id)
        raise ValidationError(f"附件 {attachment.id} 的文件内容与登记的 SHA-256 不符", location="attachment")
    return attachment, data


def checklist_view(inspection: Inspection) -> list[dict[str, Any]]:
    """The 10 items with their result, notes, attachments and the screening evidence that bears on each."""
    prefill = json.loads(inspection.prefill or "[]")
    by_no = {item.item_no: item for item in inspection.items}
    out = []
    for spec in messages.CHECKLIST:
        item = by_no.get(spec.no)
        result = item.result if item else None
        out.append(
            {
                "item_no": spec.no,
                "title": spec.title,
                "text": spec.text,
                "result": result,
                "result_zh": messages.CHECK_RESULT_NAMES.get(result or "", ""),
                "notes": item.notes if item else None,
                "evidence": [row for row in prefill if spec.no in row.get("items", [])],
                "attachments": [a.id for a in inspection.attachments if a.item_no == spec.no],
            }
        )
    return out
