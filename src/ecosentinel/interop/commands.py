"""Remote commands (反控), the database half: issue (validated, audited), track answers, time out.

A command is a row (``rc_command``) with a unique QN. The runtime's dispatcher (:mod:`interop.runtime`)
sends pending rows to loggers that are connected, and applies what the loggers answer: 9011 (QnRtn: 1 =
accepted, otherwise refused), uploads with the command's QN (a time, an interval, device information, or
history data for back-fill), and 9012 (ExeRtn: 1 = done). Rows without an answer in time are timed out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.service import SYSTEM, Principal
from ecosentinel.config import InteropSettings
from ecosentinel.detection.messages import factor_name
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.interop import messages
from ecosentinel.interop.models import RemoteCommand, utc
from ecosentinel.interop.schemas import CommandRead
from ecosentinel.protocol.hj212 import Packet, format_datatime, packet_items
from ecosentinel.protocol.hj212.codes import INFO_IDS
from ecosentinel.protocol.hj212.control import CONTROL_COMMANDS, build_request
from ecosentinel.readings import CST
from ecosentinel.registry.models import Point
from ecosentinel.registry.scope import check_point

OPEN = ("pending", "sent", "accepted")
FINISHED = ("rejected", "succeeded", "failed", "timeout", "expired")
ST_BY_TYPE = {"water": "32", "gas": "31"}
_SAFE = re.compile(r"^[A-Za-z0-9_.:+\-]{1,64}$")

_qn_lock = threading.Lock()
_qn_last = [0]


def new_qn() -> str:
    """A QN (``YYYYMMDDhhmmsszzz``, CST) never issued before by this process: the milliseconds are bumped
    past the last one when two commands are issued in the same millisecond."""
    with _qn_lock:
        now = dt.datetime.now(CST)
        ms = int(now.timestamp() * 1000)
        ms = max(ms, _qn_last[0] + 1)
        _qn_last[0] = ms
    t = dt.datetime.fromtimestamp(ms / 1000, CST)
    return format_datatime(t) + f"{ms % 1000:03d}"


def _validate_params(key: str, params: dict[str, Any]) -> dict[str, str]:
    command = CONTROL_COMMANDS.get(key)
    if command is None:
        raise ValidationError(
            messages.COMMAND_UNKNOWN.format(key=key, keys="、".join(CONTROL_COMMANDS)), location="command"
        )
    clean: dict[str, str] = {}
    for name, value in params.items():
        if value is None or value == "":
            continue
        if name not in command.params:
            raise ValidationError(
                messages.COMMAND_PARAM_UNKNOWN.format(name=command.name_zh, param=name), location=name
            )
        text = str(value)
        if not _SAFE.match(text):
            raise ValidationError(messages.COMMAND_PARAM_BAD.format(param=name, value=text), location=name)
        clean[name] = text
    for name in command.required:
        if name not in clean:
            raise ValidationError(
                messages.COMMAND_PARAM_MISSING.format(name=command.name_zh, param=name), location=name
            )
    if "SystemTime" in clean and not re.fullmatch(r"\d{14}", clean["SystemTime"]):
        raise ValidationError(
            messages.COMMAND_PARAM_BAD.format(param="SystemTime", value=clean["SystemTime"]),
            location="SystemTime",
        )
    for name in ("RtdInterval", "MinInterval"):
        if name in clean and not clean[name].isdigit():
            raise ValidationError(
                messages.COMMAND_PARAM_BAD.format(param=name, value=clean[name]), location=name
            )
    return clean


def issue_command(
    session: Session,
    actor: Principal,
    *,
    mn: str,
    key: str,
    params: dict[str, Any] | None = None,
    ip: str | None = None,
) -> RemoteCommand:
    """Queue a command for ``mn`` (sent by the running platform while the logger is connected); audited.
    The caller's permission (``commands.send``) is checked by the route; the point must be in its scope."""
    point = session.scalar(sa.select(Point).where(Point.mn == mn))
    if point is None:
        raise NotFoundError(messages.POINT_UNKNOWN.format(mn=mn))
    check_point(session, actor, point.id)
    clean = _validate_params(key, params or {})
    command = CONTROL_COMMANDS[key]
    row = RemoteCommand(
        mn=mn,
        cn=command.cn,
        qn=new_qn(),
        purpose="command",
        params=json.dumps(clean, ensure_ascii=False),
        status="pending",
        created_by=actor.username,
        result="{}",
        packets=0,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "interop.command.issue",
        "rc_command",
        row.id,
        messages.AUDIT_COMMAND.format(mn=mn, name=command.name_zh, cn=command.cn, qn=row.qn),
        {
            "mn": mn,
            "command": key,
            "cn": command.cn,
            "qn": row.qn,
            "params": clean,
            "verified": command.verified,
        },
        ip=ip,
    )
    return row


def issue_history_request(
    session: Session, *, mn: str, cn: str, begin: dt.datetime, end: dt.datetime
) -> RemoteCommand:
    """A back-fill history request (2051 / 2061 / 2031), issued by the system."""
    row = RemoteCommand(
        mn=mn,
        cn=cn,
        qn=new_qn(),
        purpose="backfill",
        params=json.dumps({"BeginTime": format_datatime(begin), "EndTime": format_datatime(end)}),
        status="pending",
        created_by=SYSTEM.username,
        result="{}",
        packets=0,
    )
    session.add(row)
    session.flush()
    return row


def get_command(session: Session, command_id: int) -> RemoteCommand:
    row = session.get(RemoteCommand, command_id)
    if row is None:
        raise NotFoundError(messages.COMMAND_NOT_FOUND.format(id=command_id))
    return row


def list_commands(session: Session, *, mn: str | None = None, limit: int = 100) -> list[RemoteCommand]:
    q = sa.select(RemoteCommand).order_by(RemoteCommand.id.desc()).limit(limit)
    if mn is not None:
        q = q.where(RemoteCommand.mn == mn)
    return list(session.scalars(q))


_NAME_BY_CN = {c.cn: c for c in CONTROL_COMMANDS.values()}
_HISTORY_NAMES = {"2051": "补传分钟数据", "2061": "补传小时数据", "2031": "补传日数据"}


def info_name(info_id: str) -> str:
    """A field logger's information code as its Chinese name, with the code in brackets."""
    name = INFO_IDS.get(info_id)
    return f"{name}（{info_id}）" if name else f"信息项（{info_id}）"


def fields_text(fields: dict[str, Any] | None) -> str:
    """A command's parameters or a logger's answer (protocol field -> value) as Chinese ``名称：值`` pairs:
    factor and information codes by name (code in brackets), protocol times as read."""
    out = []
    for key, value in (fields or {}).items():
        text = str(value)
        if key == "PolId":
            out.append(f"因子：{factor_name(text)}")
        elif key == "InfoId":
            out.append(f"信息项：{info_name(text)}")
        elif "-" in key:  # ``<code>-<field>`` items of an upload (w01018-Rtd, i13004-Info …)
            code, field = key.split("-", 1)
            label = info_name(code) if code.startswith("i") else factor_name(code)
            suffix = messages.FIELD_ZH.get(field, f"（{field}）")
            out.append(f"{label}{'' if code.startswith('i') and field == 'Info' else suffix}：{text}")
        else:
            out.append(f"{messages.PARAM_ZH.get(key, f'参数（{key}）')}：{text}")
    return "；".join(out) or "—"


def view(row: RemoteCommand) -> CommandRead:
    """A command as the API, the CLI and the station page show it."""
    command = _NAME_BY_CN.get(row.cn)
    name = _HISTORY_NAMES.get(row.cn) if row.purpose == "backfill" else None
    return CommandRead(
        id=row.id,
        mn=row.mn,
        cn=row.cn,
        qn=row.qn,
        name_zh=name or (command.name_zh if command else row.cn),
        purpose=row.purpose,
        params=json.loads(row.params or "{}"),
        status=row.status,
        status_zh=messages.COMMAND_STATUS_ZH.get(row.status, row.status),
        created_by=row.created_by,
        created_at=utc(row.created_at) or row.created_at,
        sent_at=utc(row.sent_at),
        answered_at=utc(row.answered_at),
        finished_at=utc(row.finished_at),
        qn_rtn=row.qn_rtn,
        qn_rtn_zh=None if row.qn_rtn is None else messages.QN_RTN_ZH.get(row.qn_rtn, str(row.qn_rtn)),
        exe_rtn=row.exe_rtn,
        exe_rtn_zh=None if row.exe_rtn is None else messages.EXE_RTN_ZH.get(row.exe_rtn, str(row.exe_rtn)),
        result=json.loads(row.result or "{}"),
        packets=row.packets,
        verified=True if row.purpose == "backfill" else bool(command and command.verified),
    )


# ----------------------------------------------------------------------------- what the dispatcher calls


@dataclass(frozen=True)
class Sendable:
    id: int
    mn: str
    qn: str
    frame: bytes


def pending_to_send(session: Session, connected: set[str], settings: InteropSettings) -> list[Sendable]:
    """Pending commands of connected loggers, built; pending ones of absent loggers past the queue time-out
    are expired."""
    rows = list(session.scalars(sa.select(RemoteCommand).where(RemoteCommand.status == "pending")))
    now = dt.datetime.now(dt.UTC)
    out: list[Sendable] = []
    points = {p.mn: p for p in session.scalars(sa.select(Point).where(Point.mn.in_({r.mn for r in rows})))}
    for row in rows:
        point = points.get(row.mn)
        created = utc(row.created_at) or now
        if point is None or row.mn not in connected:
            if (now - created).total_seconds() > settings.command_queue_timeout_s or point is None:
                _finish(session, row, "expired")
            continue
        params = json.loads(row.params or "{}")
        frame = build_request(
            cn=row.cn,
            mn=row.mn,
            pw=point.pw,
            qn=row.qn,
            st=ST_BY_TYPE.get(point.type, "32"),
            params=list(params.items()),
        )
        out.append(Sendable(row.id, row.mn, row.qn, frame))
    return out


def mark_sent(session: Session, ids: list[int]) -> None:
    if ids:
        session.execute(
            sa.update(RemoteCommand)
            .where(RemoteCommand.id.in_(ids), RemoteCommand.status == "pending")
            .values(status="sent", sent_at=dt.datetime.now(dt.UTC))
        )


def open_qns(session: Session, *, grace_s: float = 300.0) -> dict[str, int]:
    """QN -> id of every command still waiting for something (sent or accepted), and of those finished in
    the last ``grace_s`` (history data stored after the logger's 9012 is still counted)."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=grace_s)
    return dict(
        session.execute(
            sa.select(RemoteCommand.qn, RemoteCommand.id).where(
                RemoteCommand.status.in_(OPEN) | (RemoteCommand.finished_at >= since)
            )
        ).all()
    )


def _finish(session: Session, row: RemoteCommand, status: str) -> None:
    row.status = status
    row.finished_at = dt.datetime.now(dt.UTC)
    if row.purpose == "command":
        name = view(row).name_zh
        record(
            session,
            SYSTEM,
            "interop.command.result",
            "rc_command",
            row.id,
            f"反控命令结果：{row.mn} {name}（QN={row.qn}）{messages.COMMAND_STATUS_ZH.get(status, status)}",
            {
                "status": status,
                "qn_rtn": row.qn_rtn,
                "exe_rtn": row.exe_rtn,
                "result": json.loads(row.result),
            },
        )


def packet_qn(packet: Packet) -> str | None:
    """The request QN an answer names (2017: the header; 2005: ``QN=`` in CP)."""
    return packet.qn if packet.qn is not None else packet.param("QN")


def apply_answers(session: Session, packets: list[Packet]) -> None:
    """Apply what loggers sent with an open command's QN: 9011, 9012, uploads (results, history data)."""
    for packet in packets:
        qn = packet_qn(packet)
        if qn is None:
            continue
        row = session.scalar(
            sa.select(RemoteCommand).where(RemoteCommand.qn == qn, RemoteCommand.mn == packet.mn)
        )
        if row is None:
            continue
        now = dt.datetime.now(dt.UTC)
        if row.status in FINISHED and packet.cn.startswith("90"):
            continue  # a late or repeated answer changes nothing
        if packet.cn == "9011":
            rtn = _int(packet.param("QnRtn"))
            row.qn_rtn, row.answered_at = rtn, now
            if rtn == 1:
                row.status = "accepted"
            else:
                _finish(session, row, "rejected")
        elif packet.cn == "9012":
            rtn = _int(packet.param("ExeRtn"))
            row.exe_rtn = rtn
            row.answered_at = row.answered_at or now
            _finish(session, row, "succeeded" if rtn == 1 else "failed")
        elif packet.cn.startswith("90"):
            continue
        else:
            result: dict[str, Any] = json.loads(row.result or "{}")
            if row.purpose == "command":
                for key, value in packet.params:
                    if key != "QN":
                        result[key] = value
                for code, field, item in packet_items(packet):
                    result[f"{code}-{field}"] = item
                if packet.data_time is not None:
                    result["DataTime"] = format_datatime(packet.data_time)
                row.result = json.dumps(result, ensure_ascii=False, default=str)
            row.packets += 1
            if row.status == "sent":
                row.status = "accepted"


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def expire_overdue(session: Session, settings: InteropSettings) -> None:
    """Sent without 9011, or accepted without 9012, for too long: timed out."""
    now = dt.datetime.now(dt.UTC)
    for row in session.scalars(
        sa.select(RemoteCommand).where(RemoteCommand.status.in_(("sent", "accepted")))
    ):
        sent = utc(row.sent_at) or now
        waited = (now - sent).total_seconds()
        if (row.status == "sent" and waited > settings.command_answer_timeout_s) or (
            row.status == "accepted" and waited > settings.command_result_timeout_s
        ):
            _finish(session, row, "timeout")


def unsend(session: Session, ids: list[int]) -> None:
    """Put commands back to pending (their logger disconnected before the write)."""
    if ids:
        session.execute(
            sa.update(RemoteCommand)
            .where(RemoteCommand.id.in_(ids), RemoteCommand.status == "sent")
            .values(status="pending", sent_at=None)
        )
