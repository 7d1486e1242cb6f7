"""Public reports (举报): filing from the public pages or a hotline ticket, tracking, abuse limits, triage.

Filing: anyone may file a report without an account (what, where, when, photos or video, optionally a name and
phone). The report gets a tracking code (查询码, 60 random bits) with which the reporter later sees the public
history and the bureau's reply, never anything internal. Staff with ``complaints.triage`` enter reports from
the 12369/12345 hotlines with the ticket number.

Abuse limits (no third-party captcha: the platform must work offline), counted in ``public_rate_event`` by a
keyed hash of the client address (the address itself is stored nowhere, not even in the audit trail):
a few reports per address per 10 minutes and per day; lookups per address, failed lookups per address (code
guessing) and lookups per code per hour. Files: at most 5, each ≤ 10 MB, ≤ 30 MB together, JPEG/PNG/WebP
photos and MP4/MOV videos recognised by their bytes (magic numbers), with an extension that agrees.

Triage (``complaints.triage``): merge a duplicate into the report it repeats; link a warning of the reported
enterprise whose findings fall in the report's window (± 3 days around the time seen), which raises an open
warning one colour (``enforcement.warnings.corroborate_warning``) — only staff can do this, so a flood of
public reports cannot raise warnings by itself; turn the report into a task (source 投诉举报) in one action;
publish a reply; close with an outcome and a published reply. A substantiated report enters the problem
ledger with source 投诉举报 (or links the ledger row already made for its task).

The reporter's name and phone are returned only by ``contact_of`` (``complaints.identity``, audited); they
never go into tasks, ledger rows, history notes or audit details.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import PUBLIC, Principal
from ecosentinel.config import get_settings
from ecosentinel.enforcement import tasks as task_service
from ecosentinel.enforcement import warnings as warning_service
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.enforcement.ledger.models import LedgerProblem
from ecosentinel.enforcement.models import EnforcementWarning, TaskSource, WarningFinding, as_utc
from ecosentinel.errors import EcoSentinelError, NotFoundError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry.models import Enterprise, Point
from ecosentinel.reporting import messages as msg
from ecosentinel.reporting.models import PublicReport, RateEvent, ReportEvent, ReportFile, ReportWarningLink
from ecosentinel.screening.models import ScreeningFinding

logger = logging.getLogger(__name__)


class TooManyRequestsError(EcoSentinelError):
    """A public limit was reached (HTTP 429); the message says what and for how long."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(message)


@dataclass(frozen=True)
class Limits:
    """Abuse limits of the public form and the tracking page (see the module docstring)."""

    reports_per_window: int = 3
    report_window: dt.timedelta = dt.timedelta(minutes=10)
    reports_per_day: int = 10
    lookups_per_address: int = 60
    failed_lookups_per_address: int = 10
    lookups_per_code: int = 30
    lookup_window: dt.timedelta = dt.timedelta(hours=1)
    max_files: int = 5
    max_file_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 30 * 1024 * 1024
    max_description: int = 2000


DEFAULT_LIMITS = Limits()
MATCH_WINDOW = dt.timedelta(days=3)
"""Warnings and findings within this time of the moment seen are candidates for the report."""
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I
CODE_LENGTH = 12


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- abuse limits -------------------------------------------------------------------------------------------


def keyed(kind: str, value: str) -> str:
    """A keyed hash (HMAC under the installation secret) of an address or code: countable, not reversible."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _count(session: Session, kind: str, key: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
    n, first = session.execute(
        sa.select(sa.func.count(), sa.func.min(RateEvent.at)).where(
            RateEvent.kind == kind, RateEvent.key == key, RateEvent.at > since
        )
    ).one()
    return int(n), (as_utc(first) if first is not None else None)


def _hit(session: Session, kind: str, key: str, now: dt.datetime) -> None:
    session.add(RateEvent(kind=kind, key=key, at=now))
    session.execute(sa.delete(RateEvent).where(RateEvent.at < now - dt.timedelta(days=1)))
    session.flush()


def _wait_minutes(first: dt.datetime | None, window: dt.timedelta, now: dt.datetime) -> int:
    if first is None:
        return max(1, int(window.total_seconds() // 60))
    return max(1, -(-int((first + window - now).total_seconds()) // 60))


def check_report_limit(
    session: Session, client_ip: str | None, limits: Limits, now: dt.datetime
) -> str | None:
    """Count this report against its address and check the limits (TooManyRequestsError when reached).

    The event is written first, then counted with the others: on SQLite that write takes the database's write
    lock, on PostgreSQL an advisory lock on the address is taken, so parallel reports from one address are
    counted one after the other. A refused or invalid report is rolled back with its event (the caller's
    transaction), so only accepted reports count.
    """
    if not client_ip:
        return None
    key = keyed("report", client_ip)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": int(key[:15], 16)})
    _hit(session, "report", key, now)
    n, first = _count(session, "report", key, now - limits.report_window)
    if n > limits.reports_per_window:
        wait = _wait_minutes(first, limits.report_window, now)
        raise TooManyRequestsError(
            msg.TOO_MANY_REPORTS.format(
                minutes=int(limits.report_window.total_seconds() // 60),
                limit=limits.reports_per_window,
                wait=wait,
            ),
            retry_after=wait * 60,
        )
    n_day, first_day = _count(session, "report", key, now - dt.timedelta(days=1))
    if n_day > limits.reports_per_day:
        raise TooManyRequestsError(
            msg.TOO_MANY_REPORTS_DAY.format(limit=limits.reports_per_day),
            retry_after=_wait_minutes(first_day, dt.timedelta(days=1), now) * 60,
        )
    return key


# --- files --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def sniff(data: bytes) -> tuple[str, tuple[str, ...]] | None:
    """The media type recognised from the first bytes, with the extensions it may carry; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", (".jpg", ".jpeg")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", (".png",)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", (".webp",)
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand == b"qt  ":
            return "video/quicktime", (".mov",)
        if brand in (b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"3gp4", b"3gp5"):
            return "video/mp4", (".mp4", ".m4v")
    return None


def check_files(files: Sequence[Upload], limits: Limits) -> list[tuple[Upload, str, str]]:
    """Each file with its recognised media type and extension; ValidationError for the first bad one."""
    if len(files) > limits.max_files:
        raise ValidationError(msg.TOO_MANY_FILES.format(limit=limits.max_files), location="files")
    total = 0
    checked = []
    for i, upload in enumerate(files):
        name = PurePath(upload.filename.replace("\\", "/")).name[:200] or f"file{i + 1}"
        where = f"files[{i}]"
        if not upload.data:
            raise ValidationError(msg.FILE_EMPTY.format(name=name), location=where)
        if len(upload.data) > limits.max_file_bytes:
            raise ValidationError(
                msg.FILE_TOO_LARGE.format(
                    name=name, size=len(upload.data), limit_mb=round(limits.max_file_bytes / 1048576, 1)
                ),
                location=where,
            )
        total += len(upload.data)
        if total > limits.max_total_bytes:
            raise ValidationError(
                msg.FILES_TOO_LARGE.format(limit_mb=round(limits.max_total_bytes / 1048576, 1)),
                location="files",
            )
        kind = sniff(upload.data)
        if kind is None:
            raise ValidationError(msg.FILE_TYPE.format(name=name), location=where)
        media, extensions = kind
        ext = PurePath(name).suffix.lower()
        if ext not in extensions:
            raise ValidationError(msg.FILE_EXTENSION.format(name=name, kind=media), location=where)
        checked.append((Upload(name, upload.data), media, ext))
    return checked


def _store_files(report: PublicReport, files: list[tuple[Upload, str, str]], data_dir: Path) -> None:
    for upload, media, ext in files:
        digest = hashlib.sha256(upload.data).hexdigest()
        relative = PurePath("reports", f"report-{report.id}", f"{digest}{ext}")
        target = Path(data_dir) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            tmp = target.with_suffix(target.suffix + ".part")
            with open(tmp, "wb") as out:
                out.write(upload.data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        report.files.append(
            ReportFile(
                filename=upload.filename,
                content_type=media,
                size=len(upload.data),
                sha256=digest,
                stored_path=relative.as_posix(),
            )
        )


def read_file(
    session: Session, principal: Principal, report_id: int, file_id: int, *, data_dir: Path
) -> tuple[ReportFile, bytes]:
    """A report's file and its bytes, checked against the recorded SHA-256 (staff with complaints.read)."""
    principal.require(Perm.COMPLAINTS_READ)
    item = session.get(ReportFile, file_id)
    if item is None or item.report_id != report_id:
        raise NotFoundError(msg.REPORT_NOT_FOUND.format(id=report_id))
    data = (Path(data_dir) / item.stored_path).read_bytes()
    if hashlib.sha256(data).hexdigest() != item.sha256:
        raise ValidationError(f"文件 {item.id} 的内容与登记的 SHA-256 不符", location="file")
    return item, data


# --- filing -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """An enterprise or one of its monitoring points, as the public form offers it."""

    label: str
    enterprise_id: int
    point_id: int | None


def subjects(session: Session) -> list[Subject]:
    """Every enterprise and every active point (``企业 / 点位``), for the searchable field of the form."""
    out: list[Subject] = []
    for enterprise in session.scalars(sa.select(Enterprise).order_by(Enterprise.name)):
        out.append(Subject(enterprise.name, enterprise.id, None))
        for point in sorted((p for p in enterprise.points if p.active), key=lambda p: p.name):
            out.append(Subject(f"{enterprise.name} / {point.name}", enterprise.id, point.id))
    return out


def resolve_subject(session: Session, text: str) -> tuple[int | None, int | None]:
    """The enterprise and point a typed or chosen name refers to (None, None when it is not registered)."""
    name = text.strip()
    if " / " in name:
        enterprise_name, point_name = (part.strip() for part in name.split(" / ", 1))
        row = session.execute(
            sa.select(Point.enterprise_id, Point.id)
            .join(Enterprise, Enterprise.id == Point.enterprise_id)
            .where(Enterprise.name == enterprise_name, Point.name == point_name)
        ).first()
        if row is not None:
            return row[0], row[1]
        name = enterprise_name
    enterprise_id = session.scalar(sa.select(Enterprise.id).where(Enterprise.name == name).limit(1))
    return enterprise_id, None


def _category(value: str) -> str:
    text = (value or "").strip()
    for key, label in msg.CATEGORY_ZH.items():
        if text in (key, label):
            return key
    raise ValidationError(
        msg.CATEGORY_UNKNOWN.format(value=value, allowed="、".join(msg.CATEGORY_ZH)), location="category"
    )


_PHONE = re.compile(r"^(\+?86[- ]?)?(1\d{10}|0\d{2,3}-?\d{7,8})$")


@dataclass(frozen=True)
class ReportInput:
    subject: str
    category: str
    description: str
    observed_at: dt.datetime | None
    contact_name: str | None = None
    contact_phone: str | None = None
    files: Sequence[Upload] = field(default_factory=tuple)


def _validated(session: Session, data: ReportInput, limits: Limits, now: dt.datetime) -> dict[str, object]:
    subject = (data.subject or "").strip()
    if not subject:
        raise ValidationError(msg.SUBJECT_REQUIRED, location="subject")
    if len(subject) > 200:
        raise ValidationError(msg.SUBJECT_TOO_LONG, location="subject")
    description = (data.description or "").strip()
    if len(description) < 10:
        raise ValidationError(msg.DESCRIPTION_REQUIRED, location="description")
    if len(description) > limits.max_description:
        raise ValidationError(
            msg.DESCRIPTION_TOO_LONG.format(limit=limits.max_description), location="description"
        )
    if data.observed_at is None:
        raise ValidationError(msg.OBSERVED_REQUIRED, location="observed_at")
    observed = data.observed_at if data.observed_at.tzinfo else data.observed_at.replace(tzinfo=CST)
    if observed > now + dt.timedelta(minutes=5):
        raise ValidationError(msg.OBSERVED_FUTURE, location="observed_at")
    name = (data.contact_name or "").strip() or None
    if name is not None and len(name) > 50:
        raise ValidationError(msg.NAME_TOO_LONG, location="contact_name")
    phone = (data.contact_phone or "").strip() or None
    if phone is not None and not _PHONE.match(phone):
        raise ValidationError(msg.PHONE_BAD.format(value=phone), location="contact_phone")
    enterprise_id, point_id = resolve_subject(session, subject)
    return {
        "subject_text": subject,
        "category": _category(data.category),
        "description": description,
        "observed_at": observed.astimezone(dt.UTC),
        "contact_name": name,
        "contact_phone": phone,
        "enterprise_id": enterprise_id,
        "point_id": point_id,
    }


def _new_code(session: Session) -> str:
    while True:
        code = "JB" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if session.scalar(sa.select(PublicReport.id).where(PublicReport.code == code)) is None:
            return code


def normalise_code(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def format_code(code: str) -> str:
    """``JB7K3M-9QX2-HP4T`` style: easier to read out and copy."""
    body = code[2:]
    return "JB" + "-".join(body[i : i + 4] for i in range(0, len(body), 4))


def _event(
    report: PublicReport,
    actor: Principal,
    action: str,
    *,
    public_text: str | None = None,
    note: str | None = None,
    now: dt.datetime | None = None,
) -> None:
    report.events.append(
        ReportEvent(
            at=now or _now(),
            actor=actor.username,
            action=action,
            public=public_text is not None,
            public_text=public_text,
            note=note,
        )
    )
    report.updated_at = now or _now()


def submit_report(
    session: Session,
    data: ReportInput,
    *,
    client_ip: str | None,
    data_dir: Path,
    limits: Limits = DEFAULT_LIMITS,
    now: dt.datetime | None = None,
) -> PublicReport:
    """File a report from the public form (no account): limits, checks, files, code, audit."""
    at = now or _now()
    key = check_report_limit(session, client_ip, limits, at)
    fields = _validated(session, data, limits, at)
    files = check_files(data.files, limits)
    report = PublicReport(
        code=_new_code(session),
        channel="web",
        status="received",
        client_key=key,
        created_by=PUBLIC.username,
        created_at=at,
        updated_at=at,
        **fields,
    )
    _receive(session, report, files, PUBLIC, data_dir, at)
    record(
        session,
        PUBLIC,
        "create",
        "public_report",
        report.id,
        msg.AUDIT_RECEIVED.format(code=report.code, subject=report.subject_text),
        {
            "channel": "web",
            "category": report.category,
            "enterprise_id": report.enterprise_id,
            "files": [f.sha256 for f in report.files],
            "contact_given": report.contact_phone is not None or report.contact_name is not None,
        },
    )
    logger.info("public report %s received", report.id)
    return report


def _receive(
    session: Session,
    report: PublicReport,
    files: list[tuple[Upload, str, str]],
    actor: Principal,
    data_dir: Path,
    at: dt.datetime,
) -> None:
    """Store a new report (web or hotline) with its files and its public 'received' step."""
    session.add(report)
    session.flush()
    _store_files(report, files, data_dir)
    _event(report, actor, "receive", public_text=msg.PUBLIC_RECEIVED, now=at)
    session.flush()


def create_hotline_report(
    session: Session,
    actor: Principal,
    data: ReportInput,
    *,
    channel: str,
    ticket: str,
    data_dir: Path,
    limits: Limits = DEFAULT_LIMITS,
    ip: str | None = None,
) -> PublicReport:
    """Enter a report taken by the 12369 or 12345 hotline, with its ticket number (no public limits)."""
    actor.require(Perm.COMPLAINTS_TRIAGE)
    if channel not in ("hotline_12369", "hotline_12345"):
        raise ValidationError(msg.CHANNEL_UNKNOWN.format(value=channel), location="channel")
    ticket = (ticket or "").strip()
    if not ticket:
        raise ValidationError(msg.TICKET_REQUIRED, location="ticket")
    at = _now()
    fields = _validated(session, data, limits, at)
    files = check_files(data.files, limits)
    report = PublicReport(
        code=_new_code(session),
        channel=channel,
        hotline_ticket=ticket[:64],
        status="received",
        created_by=actor.username,
        created_at=at,
        updated_at=at,
        **fields,
    )
    _receive(session, report, files, actor, data_dir, at)
    record(
        session,
        actor,
        "create",
        "public_report",
        report.id,
        msg.AUDIT_HOTLINE.format(
            code=report.code, channel=msg.CHANNEL_ZH[channel], ticket=ticket, subject=report.subject_text
        ),
        {
            "channel": channel,
            "ticket": ticket,
            "category": report.category,
            "enterprise_id": report.enterprise_id,
        },
        ip=ip,
    )
    return report


# --- tracking -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicStep:
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class PublicView:
    """What the reporter sees with the tracking code: nothing internal, nothing about other people."""

    code: str
    received_at: dt.datetime
    channel: str
    category: str
    subject: str
    status: str
    reply: str | None
    replied_at: dt.datetime | None
    steps: list[PublicStep]


def public_view(session: Session, report: PublicReport) -> PublicView:
    followed = report
    steps = [PublicStep(as_utc(e.at), e.public_text or "") for e in report.events if e.public]
    seen = {report.id}
    while followed.merged_into_id is not None and followed.merged_into_id not in seen:
        target = session.get(PublicReport, followed.merged_into_id)
        if target is None:
            break
        seen.add(target.id)
        steps += [
            PublicStep(as_utc(e.at), e.public_text or "")
            for e in target.events
            if e.public and e.action not in ("receive",) and as_utc(e.at) >= as_utc(report.created_at)
        ]
        followed = target
    steps.sort(key=lambda s: s.at)
    status = followed.status if report.status == "merged" and followed is not report else report.status
    return PublicView(
        code=format_code(report.code),
        received_at=as_utc(report.created_at),
        channel=msg.CHANNEL_ZH[report.channel],
        category=msg.CATEGORY_ZH[report.category],
        subject=report.subject_text,
        status=msg.STATUS_ZH[status],
        reply=followed.reply,
        replied_at=as_utc(followed.replied_at) if followed.replied_at else None,
        steps=steps,
    )


def lookup(
    session: Session,
    code: str,
    *,
    client_ip: str | None,
    limits: Limits = DEFAULT_LIMITS,
    now: dt.datetime | None = None,
) -> PublicView:
    """The public view of a report by its tracking code, within the lookup limits."""
    at = now or _now()
    wanted = normalise_code(code)
    if not wanted:
        raise ValidationError(msg.CODE_REQUIRED, location="code")
    address = keyed("lookup", client_ip) if client_ip else None
    since = at - limits.lookup_window
    if address is not None:
        n, first = _count(session, "lookup", address, since)
        failed, first_failed = _count(session, "lookup_failed", address, since)
        if n >= limits.lookups_per_address or failed >= limits.failed_lookups_per_address:
            wait = _wait_minutes(
                first if n >= limits.lookups_per_address else first_failed, limits.lookup_window, at
            )
            raise TooManyRequestsError(msg.TOO_MANY_LOOKUPS.format(wait=wait), retry_after=wait * 60)
    code_key = keyed("code", wanted)
    n_code, first_code = _count(session, "lookup_code", code_key, since)
    if n_code >= limits.lookups_per_code:
        wait = _wait_minutes(first_code, limits.lookup_window, at)
        raise TooManyRequestsError(msg.TOO_MANY_LOOKUPS.format(wait=wait), retry_after=wait * 60)
    report = session.scalar(sa.select(PublicReport).where(PublicReport.code == wanted))
    if address is not None:
        _hit(session, "lookup", address, at)
    _hit(session, "lookup_code", code_key, at)
    if report is None:
        if address is not None:
            _hit(session, "lookup_failed", address, at)
        raise NotFoundError(msg.CODE_NOT_FOUND.format(code=code.strip()[:30]))
    return public_view(session, report)


# --- staff --------------------------------------------------------------------------------------------------


def list_reports(
    session: Session, principal: Principal, *, status: str | None = None, limit: int = 200
) -> list[PublicReport]:
    principal.require(Perm.COMPLAINTS_READ)
    query = sa.select(PublicReport)
    if status:
        query = query.where(PublicReport.status == status)
    return list(session.scalars(query.order_by(PublicReport.id.desc()).limit(limit)))


def get_report(
    session: Session,
    principal: Principal,
    report_id: int,
    *,
    record_view: bool = False,
    ip: str | None = None,
) -> PublicReport:
    principal.require(Perm.COMPLAINTS_READ)
    report = session.get(PublicReport, report_id)
    if report is None:
        raise NotFoundError(msg.REPORT_NOT_FOUND.format(id=report_id))
    if record_view:
        record(
            session,
            principal,
            "view",
            "public_report",
            report.id,
            msg.AUDIT_VIEW.format(code=report.code),
            ip=ip,
        )
    return report


@dataclass(frozen=True)
class Contact:
    name: str | None
    phone: str | None


def contact_of(
    session: Session, principal: Principal, report: PublicReport, *, ip: str | None = None
) -> Contact:
    """The reporter's name and phone (``complaints.identity``); every look is in the audit trail."""
    principal.require(Perm.COMPLAINTS_IDENTITY)
    if report.contact_name is not None or report.contact_phone is not None:
        record(
            session,
            principal,
            "view_identity",
            "public_report",
            report.id,
            msg.AUDIT_IDENTITY.format(code=report.code),
            ip=ip,
        )
    return Contact(report.contact_name, report.contact_phone)


def _open(session: Session, actor: Principal, report_id: int) -> PublicReport:
    actor.require(Perm.COMPLAINTS_TRIAGE)
    report = get_report(session, actor, report_id)
    if report.status in ("merged", "closed"):
        raise ValidationError(
            msg.REPORT_FINISHED.format(code=report.code, status=msg.STATUS_ZH[report.status]),
            location="status",
        )
    return report


def set_enterprise(
    session: Session, actor: Principal, report_id: int, *, enterprise_id: int, ip: str | None = None
) -> PublicReport:
    """Confirm which registered enterprise a report is about (when the reporter's words did not match)."""
    report = _open(session, actor, report_id)
    enterprise = session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise ValidationError(f"企业 {enterprise_id} 不存在", location="enterprise_id")
    before = report.enterprise_id
    report.enterprise_id = enterprise.id
    if report.point_id is not None and before != enterprise.id:
        report.point_id = None
    _event(report, actor, "enterprise", note=enterprise.name)
    session.flush()
    record(
        session,
        actor,
        "update",
        "public_report",
        report.id,
        msg.AUDIT_ENTERPRISE.format(code=report.code, name=enterprise.name),
        {"from": before, "to": enterprise.id},
        ip=ip,
    )
    return report


def merge_report(
    session: Session, actor: Principal, report_id: int, *, into: str, ip: str | None = None
) -> PublicReport:
    """Merge a duplicate into the report it repeats (by id or tracking code); its reporter then follows that
    report's progress and reply."""
    report = _open(session, actor, report_id)
    text = (into or "").strip()
    target = (
        session.get(PublicReport, int(text))
        if text.isdigit()
        else session.scalar(sa.select(PublicReport).where(PublicReport.code == normalise_code(text)))
    )
    if target is None:
        raise ValidationError(msg.REPORT_NOT_FOUND.format(id=text), location="into")
    if target.id == report.id:
        raise ValidationError(msg.MERGE_SELF, location="into")
    if target.status in ("merged", "closed"):
        raise ValidationError(
            msg.MERGE_TARGET.format(code=target.code, status=msg.STATUS_ZH[target.status]), location="into"
        )
    report.status = "merged"
    report.merged_into_id = target.id
    report.closed_at = _now()
    _event(report, actor, "merge", public_text=msg.PUBLIC_MERGED.format(code=format_code(target.code)))
    _event(target, actor, "merged_in", note=report.code)
    session.flush()
    record(
        session,
        actor,
        "merge",
        "public_report",
        report.id,
        msg.AUDIT_MERGED.format(code=report.code, target=target.code),
        {"into": target.id},
        ip=ip,
    )
    return report


def _window(report: PublicReport) -> tuple[dt.datetime, dt.datetime]:
    seen = as_utc(report.observed_at)
    return seen - MATCH_WINDOW, seen + MATCH_WINDOW


@dataclass(frozen=True)
class Candidate:
    """A warning of the reported enterprise in the report's window, with its findings inside the window."""

    warning: EnforcementWarning
    matched: list[WarningFinding]
    linked: bool


def candidates(session: Session, principal: Principal, report: PublicReport) -> list[Candidate]:
    """Warnings of the reported enterprise (or point) whose period meets the window around the time seen."""
    principal.require(Perm.COMPLAINTS_READ)
    if report.enterprise_id is None:
        return []
    start, end = _window(report)
    query = sa.select(EnforcementWarning).where(
        EnforcementWarning.enterprise_id == report.enterprise_id,
        EnforcementWarning.period_start < end,
        EnforcementWarning.period_end > start,
    )
    if report.point_id is not None:
        query = query.where(EnforcementWarning.point_id == report.point_id)
    linked = {link.warning_id for link in report.links}
    out = []
    for warning in session.scalars(query.order_by(EnforcementWarning.period_start.desc())):
        matched = [f for f in warning.findings if as_utc(f.start) < end and as_utc(f.end) > start]
        out.append(Candidate(warning, matched, warning.id in linked))
    return out


def findings_in_window(
    session: Session, principal: Principal, report: PublicReport
) -> list[ScreeningFinding]:
    """Screening findings of the reported enterprise (or point) in the report's window."""
    principal.require(Perm.COMPLAINTS_READ)
    if report.enterprise_id is None:
        return []
    start, end = _window(report)
    query = sa.select(ScreeningFinding).where(
        ScreeningFinding.enterprise_id == report.enterprise_id,
        ScreeningFinding.start < end,
        ScreeningFinding.end > start,
    )
    if report.point_id is not None:
        mn = session.scalar(sa.select(Point.mn).where(Point.id == report.point_id))
        query = query.where(ScreeningFinding.mn == mn)
    return list(session.scalars(query.order_by(ScreeningFinding.start).limit(50)))


def link_warning(
    session: Session, actor: Principal, report_id: int, *, warning_id: int, ip: str | None = None
) -> ReportWarningLink:
    """Link a warning of the reported enterprise; when one of its findings falls in the report's window the
    open warning is raised one colour (the report corroborates it)."""
    report = _open(session, actor, report_id)
    if report.enterprise_id is None:
        raise ValidationError(msg.ENTERPRISE_REQUIRED, location="enterprise_id")
    warning = warning_service.get_warning(session, actor, warning_id)
    if warning.enterprise_id != report.enterprise_id:
        raise ValidationError(msg.WARNING_OTHER_ENTERPRISE.format(id=warning_id), location="warning_id")
    if any(link.warning_id == warning.id for link in report.links):
        raise ValidationError(msg.WARNING_ALREADY_LINKED.format(id=warning_id), location="warning_id")
    start, end = _window(report)
    matched = [f for f in warning.findings if as_utc(f.start) < end and as_utc(f.end) > start]
    before = after = warning.colour
    if matched:
        before, after = warning_service.corroborate_warning(
            session,
            actor,
            warning.id,
            source_zh=msg.CORROBORATION_SOURCE.format(code=report.code),
            detail={"report_id": report.id, "findings": [f.finding_id for f in matched]},
            ip=ip,
        )
    link = ReportWarningLink(
        warning_id=warning.id,
        matched_findings=len(matched),
        colour_before=before,
        colour_after=after,
        linked_by=actor.username,
        linked_at=_now(),
    )
    report.links.append(link)
    _event(report, actor, "link", note=f"预警 #{warning.id}（{before}→{after}）")
    session.flush()
    record(
        session,
        actor,
        "link",
        "public_report",
        report.id,
        msg.AUDIT_LINKED.format(code=report.code, warning=warning.id, n=len(matched)),
        {"warning_id": warning.id, "from": before, "to": after},
        ip=ip,
    )
    return link


def _ref(report: PublicReport) -> str:
    if report.hotline_ticket:
        return f"{msg.CHANNEL_ZH[report.channel]}工单 {report.hotline_ticket}"
    return f"举报 {report.code}"


def make_task(
    session: Session,
    actor: Principal,
    report_id: int,
    *,
    assignees: Sequence[int] = (),
    deadline: dt.datetime | None = None,
    ip: str | None = None,
) -> PublicReport:
    """Turn a report into an enforcement task (source 投诉举报) in one action; the reporter is told it is
    being checked on site. The task carries what was seen, never who saw it."""
    report = _open(session, actor, report_id)
    actor.require(Perm.TASKS_DISPATCH)
    if report.status == "tasked" and report.task_id is not None:
        raise ValidationError(
            msg.REPORT_FINISHED.format(code=report.code, status=msg.STATUS_ZH[report.status]),
            location="status",
        )
    observed = as_utc(report.observed_at).astimezone(CST).strftime("%Y-%m-%d %H:%M")
    description = msg.TASK_DESCRIPTION.format(
        channel=msg.CHANNEL_ZH[report.channel],
        ref=report.hotline_ticket or report.code,
        category=msg.CATEGORY_ZH[report.category],
        observed=observed,
        description=report.description,
    )
    if report.links:
        description += "。" + msg.TASK_LINKED.format(ids="、".join(f"#{x.warning_id}" for x in report.links))
    task = task_service.create_task(
        session,
        actor,
        source=TaskSource.COMPLAINT,
        title=msg.TASK_TITLE.format(subject=report.subject_text)[:200],
        description=description,
        source_ref=_ref(report)[:100],
        enterprise_id=report.enterprise_id,
        point_id=report.point_id,
        deadline=deadline,
        assignees=assignees,
        ip=ip,
    )
    report.task_id = task.id
    report.status = "tasked"
    _event(report, actor, "task", public_text=msg.PUBLIC_TASKED, note=f"任务 #{task.id}")
    session.flush()
    record(
        session,
        actor,
        "task",
        "public_report",
        report.id,
        msg.AUDIT_TASKED.format(code=report.code, task=task.id),
        {"task_id": task.id},
        ip=ip,
    )
    return report


def publish_reply(
    session: Session, actor: Principal, report_id: int, *, reply: str, ip: str | None = None
) -> PublicReport:
    """Publish an interim reply to the reporter (shown with the tracking code)."""
    report = _open(session, actor, report_id)
    text = (reply or "").strip()
    if not text:
        raise ValidationError(msg.REPLY_REQUIRED, location="reply")
    report.reply = text
    report.replied_at = _now()
    _event(report, actor, "reply", public_text=msg.PUBLIC_REPLY.format(reply=text))
    session.flush()
    record(
        session,
        actor,
        "reply",
        "public_report",
        report.id,
        msg.AUDIT_REPLIED.format(code=report.code),
        {"reply": text},
        ip=ip,
    )
    return report


LEDGER_CATEGORY = {"falsification": "monitoring", "illegal_discharge": "water", "other": "other"}


def close_report(
    session: Session,
    actor: Principal,
    report_id: int,
    *,
    outcome: str,
    reply: str,
    ledger_category: str | None = None,
    today: dt.date | None = None,
    ip: str | None = None,
) -> PublicReport:
    """Close with an outcome and a reply published to the reporter. A substantiated report enters the problem
    ledger with source 投诉举报 (or is linked to the ledger row its task already has)."""
    report = _open(session, actor, report_id)
    if outcome not in msg.OUTCOME_ZH:
        raise ValidationError(
            msg.OUTCOME_UNKNOWN.format(value=outcome, allowed="、".join(msg.OUTCOME_ZH)), location="outcome"
        )
    text = (reply or "").strip()
    if not text:
        raise ValidationError(msg.REPLY_REQUIRED, location="reply")
    if outcome == "substantiated":
        if report.enterprise_id is None:
            raise ValidationError(msg.ENTERPRISE_REQUIRED, location="enterprise_id")
        problem = None
        if report.task_id is not None:
            problem = session.scalar(
                sa.select(LedgerProblem)
                .where(LedgerProblem.task_id == report.task_id)
                .order_by(LedgerProblem.id)
            )
        if problem is None:
            enterprise = session.get(Enterprise, report.enterprise_id)
            day = today or ledger.today_cst()
            category = ledger_category or LEDGER_CATEGORY[report.category]
            problem = ledger.create_problem(
                session,
                actor,
                found_on=day,
                category=category,
                category_note="投诉举报" if category == "other" else None,
                description=msg.LEDGER_DESCRIPTION.format(ref=_ref(report), description=report.description),
                source=ledger.ProblemSource.COMPLAINT.value,
                enterprise_id=report.enterprise_id,
                enterprise_name=enterprise.name if enterprise else report.subject_text,
                point_id=report.point_id,
                task_id=report.task_id,
                today=day,
                ip=ip,
            )
        report.ledger_problem_id = problem.id
    now = _now()
    report.status = "closed"
    report.outcome = outcome
    report.reply = text
    report.replied_at = now
    report.closed_at = now
    _event(
        report,
        actor,
        "close",
        public_text=msg.PUBLIC_CLOSED.format(outcome=msg.OUTCOME_ZH[outcome], reply=text),
    )
    session.flush()
    record(
        session,
        actor,
        "close",
        "public_report",
        report.id,
        msg.AUDIT_CLOSED.format(code=report.code, outcome=msg.OUTCOME_ZH[outcome]),
        {"outcome": outcome, "reply": text, "ledger_problem_id": report.ledger_problem_id},
        ip=ip,
    )
    return report
