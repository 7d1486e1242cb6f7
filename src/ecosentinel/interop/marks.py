"""Data marking (数据标记) under 《污染物排放自动监测设备标记规则》 (in force since 2023-01-01): an enterprise
or its O&M agency marks a period of a point (or one factor) as fault, maintenance, calibration, stop,
start-up … with a reason and an optional attachment; the bureau approves or rejects it. Approved marks take
the period out of exceedance counts (:mod:`interop.validity`); heavy use of marks is itself reported (alarms).

The kinds below follow the rule's main categories as we understand them; the rule's exact list and codes were
not available to check [unverified] (docs/interop.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.service import Principal
from ecosentinel.detection.context import MARK_SCHEMA
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.interop import messages
from ecosentinel.interop.models import DataMark, utc
from ecosentinel.registry.models import MaintenanceWindow, Point
from ecosentinel.registry.scope import check_point, visible_mns

MARK_KINDS = {
    "stop": "停运（停产）",
    "startup": "启动（开车、启炉）",
    "shutdown": "停机（停车、停炉）",
    "banked": "闷炉",
    "fault": "故障",
    "maintenance": "维护检修",
    "calibration": "校准、校验",
    "comparison": "比对监测",
    "comm_fault": "通讯异常",
    "other": "其他",
}
MARK_STATUS_ZH = {"submitted": "待审核", "approved": "已通过", "rejected": "已驳回"}
MAX_SPAN = dt.timedelta(days=92)
MAX_AHEAD = dt.timedelta(days=30)  # planned stops may be marked in advance
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValidationError("时间必须带时区（例如 2026-09-01T08:00:00+08:00）", location=field)
    return value.astimezone(dt.UTC)


def create_mark(
    session: Session,
    actor: Principal,
    *,
    mn: str,
    kind: str,
    start: dt.datetime,
    end: dt.datetime,
    reason: str,
    factor_code: str | None = None,
    attachment: tuple[str, bytes] | None = None,
    data_dir: Path | None = None,
    ip: str | None = None,
) -> DataMark:
    """File a mark for a point in the caller's scope (route: ``marks.write``); audited."""
    point = session.scalar(sa.select(Point).where(Point.mn == mn))
    if point is None:
        raise NotFoundError(f"监测点位不存在：{mn}")
    check_point(session, actor, point.id)
    if kind not in MARK_KINDS:
        raise ValidationError(f"标记类型应为：{'、'.join(MARK_KINDS)}", location="kind")
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        raise ValidationError("结束时间须晚于开始时间", location="end")
    if end - start > MAX_SPAN:
        raise ValidationError(f"一次标记不能超过 {MAX_SPAN.days} 天", location="end")
    if end > dt.datetime.now(dt.UTC) + MAX_AHEAD:
        raise ValidationError(f"最多提前 {MAX_AHEAD.days} 天标记", location="end")
    reason = reason.strip()
    if not reason:
        raise ValidationError("须填写标记原因", location="reason")
    if factor_code and factor_code not in {f.code for f in point.factors}:
        raise ValidationError(f"该点位没有因子 {factor_code}", location="factor_code")
    name = digest = None
    if attachment is not None and attachment[1]:
        name, data = attachment
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise ValidationError("附件不能超过 20 MB", location="attachment")
        digest = hashlib.sha256(data).hexdigest()
        if data_dir is not None:
            folder = Path(data_dir) / "marks"
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / digest
            if not target.exists():
                tmp = target.with_suffix(".part")
                tmp.write_bytes(data)
                tmp.replace(target)
        name = Path(name).name[:255] or "attachment"
    mark = DataMark(
        mn=mn,
        factor_code=factor_code or None,
        kind=kind,
        start=start,
        end=end,
        reason=reason[:4000],
        attachment_name=name,
        attachment_sha256=digest,
        status="submitted",
        created_by=actor.username,
        created_role=actor.role.value,
    )
    session.add(mark)
    session.flush()
    record(
        session,
        actor,
        "interop.mark.create",
        "dm_mark",
        mark.id,
        f"数据标记：{mn} {MARK_KINDS[kind]} {start:%Y-%m-%d %H:%M}–{end:%Y-%m-%d %H:%M}（UTC）",
        {"mn": mn, "kind": kind, "factor": factor_code, "reason": reason, "attachment_sha256": digest},
        ip=ip,
    )
    return mark


def review_mark(
    session: Session, actor: Principal, mark_id: int, *, approve: bool, note: str = "", ip: str | None = None
) -> DataMark:
    """Approve or reject a submitted mark (route: ``marks.review``); audited."""
    mark = session.get(DataMark, mark_id)
    if mark is None:
        raise NotFoundError(f"数据标记不存在：{mark_id}")
    if mark.status != "submitted":
        raise ValidationError(
            f"该标记已审核（{MARK_STATUS_ZH.get(mark.status, mark.status)}）", location="id"
        )
    if not approve and not note.strip():
        raise ValidationError("驳回须填写理由", location="note")
    mark.status = "approved" if approve else "rejected"
    mark.reviewed_by = actor.username
    mark.reviewed_at = dt.datetime.now(dt.UTC)
    mark.review_note = note.strip() or None
    record(
        session,
        actor,
        "interop.mark.review",
        "dm_mark",
        mark.id,
        f"审核数据标记 {mark.id}（{mark.mn} {MARK_KINDS.get(mark.kind, mark.kind)}）："
        f"{MARK_STATUS_ZH[mark.status]}",
        {"status": mark.status, "note": mark.review_note},
        ip=ip,
    )
    return mark


def list_marks(
    session: Session, actor: Principal, *, mn: str | None = None, status: str | None = None, limit: int = 200
) -> list[DataMark]:
    q = sa.select(DataMark).order_by(DataMark.id.desc()).limit(limit)
    visible = visible_mns(session, actor)
    if visible is not None:
        q = q.where(DataMark.mn.in_(visible or {""}))
    if mn is not None:
        q = q.where(DataMark.mn == mn)
    if status is not None:
        q = q.where(DataMark.status == status)
    return list(session.scalars(q))


@dataclass(frozen=True)
class MarkedPeriod:
    factor_code: str | None
    start: dt.datetime
    end: dt.datetime
    kind: str = ""


def approved_periods(
    session: Session, mns: list[str], start: dt.datetime, end: dt.datetime
) -> dict[str, list[MarkedPeriod]]:
    """Approved marks overlapping ``[start, end)`` per MN."""
    out: dict[str, list[MarkedPeriod]] = {}
    rows = session.scalars(
        sa.select(DataMark).where(
            DataMark.mn.in_(mns), DataMark.status == "approved", DataMark.start < end, DataMark.end > start
        )
    )
    for m in rows:
        s, e = utc(m.start), utc(m.end)
        assert s is not None
        assert e is not None
        out.setdefault(m.mn, []).append(MarkedPeriod(m.factor_code, s, e, m.kind))
    return out


def approved_marks_frame(
    session: Session, mns: list[str], start: dt.datetime, end: dt.datetime
) -> pl.DataFrame:
    """Approved marks of the points overlapping ``[start, end)`` in MARK_SCHEMA (screening context)."""
    rows = session.scalars(
        sa.select(DataMark)
        .where(
            DataMark.mn.in_(mns), DataMark.status == "approved", DataMark.start < end, DataMark.end > start
        )
        .order_by(DataMark.mn, DataMark.start)
    )
    data = [
        {"mn": m.mn, "start": utc(m.start), "end": utc(m.end), "kind": m.kind, "factor": m.factor_code}
        for m in rows
    ]
    return pl.DataFrame(data, schema=MARK_SCHEMA) if data else pl.DataFrame(schema=MARK_SCHEMA)


def covers(periods: list[MarkedPeriod], code: str, t: dt.datetime, length: dt.timedelta) -> bool:
    """Whether an approved mark of the factor (or of the whole point) overlaps the interval [t, t+length)."""
    return any(
        (p.factor_code is None or p.factor_code == code) and p.start < t + length and p.end > t
        for p in periods
    )


def marked_share(session: Session, mn: str, *, since: dt.datetime, until: dt.datetime) -> float:
    """Share of ``[since, until)`` covered by the point's submitted or approved marks (abuse signal)."""
    rows = session.scalars(
        sa.select(DataMark).where(
            DataMark.mn == mn,
            DataMark.status.in_(("submitted", "approved")),
            DataMark.start < until,
            DataMark.end > since,
        )
    )
    spans = sorted((max(utc(m.start) or since, since), min(utc(m.end) or until, until)) for m in rows)
    covered = dt.timedelta(0)
    current_start: dt.datetime | None = None
    current_end: dt.datetime | None = None
    for s, e in spans:
        if current_end is None or s > current_end:
            if current_start is not None and current_end is not None:
                covered += current_end - current_start
            current_start, current_end = s, e
        else:
            current_end = max(current_end, e)
    if current_start is not None and current_end is not None:
        covered += current_end - current_start
    total = (until - since).total_seconds()
    return 0.0 if total <= 0 else covered.total_seconds() / total


def import_pending_windows(session: Session, actor: Principal) -> list[DataMark]:
    """Move every declared maintenance window still waiting for review (报备维护时段, ``pending``) into the
    marks workflow: a submitted mark of kind ``maintenance`` with the window's point, times, reason and
    declarer; the window becomes ``superseded`` (screening reads only approved windows, so it excuses
    nothing more; the mark will once approved). Approved and rejected windows stay as they are. Each move is
    audited on both records (``interop.mark.import``). Running it again finds nothing to move.
    """
    moved: list[DataMark] = []
    windows = session.scalars(
        sa.select(MaintenanceWindow)
        .where(MaintenanceWindow.status == "pending")
        .order_by(MaintenanceWindow.id)
    )
    for window in windows:
        start, end = utc(window.start), utc(window.end)
        assert start is not None
        assert end is not None
        declarer = window.created_by or actor.username
        mark = DataMark(
            mn=window.mn,
            factor_code=None,
            kind="maintenance",
            start=start,
            end=end,
            reason=(window.reason or "").strip() or messages.WINDOW_IMPORTED_REASON.format(id=window.id),
            status="submitted",
            created_by=declarer,
            created_role="maintenance_window",  # filed as a window declaration
        )
        session.add(mark)
        window.status = "superseded"
        window.review_note = messages.WINDOW_SUPERSEDED_NOTE
        session.flush()
        details = {"window_id": window.id, "mark_id": mark.id, "mn": window.mn, "declared_by": declarer}
        summary = messages.AUDIT_WINDOW_IMPORTED.format(window=window.id, mark=mark.id, mn=window.mn)
        record(session, actor, "interop.mark.import", "dm_mark", mark.id, summary, details)
        record(session, actor, "interop.mark.import", "maintenance_window", window.id, summary, details)
        moved.append(mark)
    return moved
