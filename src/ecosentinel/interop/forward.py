"""Upstream forwarding, the database half: targets and their MN/PW mapping (audited), the durable queue.

Durability: the receiver commits every packet into ``ms_raw_packet`` before it acknowledges it. Each target
keeps a cursor (the highest raw-packet id already queued); :func:`enqueue_new` copies the newer raw packets'
ids into ``fwd_queue`` and advances the cursor in one transaction. A row leaves the "unacknowledged" state
only when the target answers it (9014, or 9011 with QnRtn=1), so a packet acknowledged downstream is
delivered upstream at least once, whatever process is killed when. The store de-duplicates re-sends.

The cursor relies on raw-packet ids being committed in increasing order, which holds because the receiver
has one writer (group commit in one thread); a second process writing raw packets into the same database
at the same time could commit a lower id after a higher one (docs/interop.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import time
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.service import SYSTEM, Principal
from ecosentinel.config import ForwardTargetSettings
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.interop import messages
from ecosentinel.interop.models import ForwardMapping, ForwardQueueItem, ForwardTarget, utc
from ecosentinel.protocol.hj212 import FrameError, Framer, Hj212Error, encode
from ecosentinel.store.tables import ms_raw_packet, ms_station

_CNS = re.compile(r"^\d{4}(,\d{4})*$")
_RESERVED = re.compile(r"[;,=&\s]")


def now_us() -> int:
    return time.time_ns() // 1000


def _clean_cns(value: str) -> str:
    cns = ",".join(c.strip() for c in value.split(",") if c.strip())
    if not _CNS.match(cns):
        raise ValidationError(messages.BAD_CNS.format(value=value), location="cns")
    return cns


def _check(host: str, port: int) -> None:
    if not host.strip():
        raise ValidationError(messages.BAD_HOST, location="host")
    if not 1 <= port <= 65535:
        raise ValidationError(messages.BAD_PORT.format(port=port), location="port")


def get_target(session: Session, ref: int | str) -> ForwardTarget:
    """A target by id or name."""
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        target = session.get(ForwardTarget, int(ref))
    else:
        target = session.scalar(sa.select(ForwardTarget).where(ForwardTarget.name == ref))
    if target is None:
        raise NotFoundError(messages.TARGET_NOT_FOUND.format(ref=ref))
    return target


def list_targets(session: Session) -> list[ForwardTarget]:
    return list(session.scalars(sa.select(ForwardTarget).order_by(ForwardTarget.id)))


def _max_raw_id(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.max(ms_raw_packet.c.id))) or 0)


def add_target(
    session: Session,
    actor: Principal,
    *,
    name: str,
    host: str,
    port: int,
    cns: str = "2011,2051,2061,2031",
    enabled: bool = True,
    only_mapped: bool = False,
    backlog: bool = False,
    ip: str | None = None,
) -> ForwardTarget:
    """A new target. It forwards packets received from now on (``backlog``: everything already stored)."""
    _check(host, port)
    if session.scalar(sa.select(ForwardTarget.id).where(ForwardTarget.name == name)) is not None:
        raise ValidationError(messages.TARGET_EXISTS.format(name=name), location="name")
    target = ForwardTarget(
        name=name,
        host=host.strip(),
        port=port,
        cns=_clean_cns(cns),
        enabled=enabled,
        only_mapped=only_mapped,
        cursor_raw_id=0 if backlog else _max_raw_id(session),
    )
    session.add(target)
    session.flush()
    record(
        session,
        actor,
        "interop.target.add",
        "fwd_target",
        target.id,
        messages.AUDIT_TARGET_ADDED.format(name=name, host=host, port=port),
        {"host": host, "port": port, "cns": target.cns, "enabled": enabled, "only_mapped": only_mapped},
        ip=ip,
    )
    return target


def update_target(
    session: Session, actor: Principal, ref: int | str, changes: dict[str, Any], *, ip: str | None = None
) -> ForwardTarget:
    """Change host, port, cns, enabled or only_mapped; old and new values go to the audit trail."""
    target = get_target(session, ref)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in ("host", "port", "cns", "enabled", "only_mapped"):
        if key not in changes or changes[key] is None:
            continue
        value = _clean_cns(changes[key]) if key == "cns" else changes[key]
        if getattr(target, key) != value:
            before[key], after[key] = getattr(target, key), value
            setattr(target, key, value)
    _check(target.host, target.port)
    if after:
        record(
            session,
            actor,
            "interop.target.change",
            "fwd_target",
            target.id,
            messages.AUDIT_TARGET_CHANGED.format(name=target.name),
            {"before": before, "after": after},
            ip=ip,
        )
    return target


def remove_target(session: Session, actor: Principal, ref: int | str, *, ip: str | None = None) -> None:
    target = get_target(session, ref)
    session.execute(sa.delete(ForwardQueueItem).where(ForwardQueueItem.target_id == target.id))
    session.execute(sa.delete(ForwardMapping).where(ForwardMapping.target_id == target.id))
    record(
        session,
        actor,
        "interop.target.remove",
        "fwd_target",
        target.id,
        messages.AUDIT_TARGET_REMOVED.format(name=target.name),
        {"host": target.host, "port": target.port},
        ip=ip,
    )
    session.delete(target)
    session.flush()


def set_mapping(
    session: Session,
    actor: Principal,
    ref: int | str,
    *,
    mn: str,
    upstream_mn: str,
    upstream_pw: str,
    ip: str | None = None,
) -> ForwardMapping:
    """The MN and PW point ``mn`` has on the target (the PW is not written to the audit trail)."""
    target = get_target(session, ref)
    if not upstream_mn or not upstream_pw or _RESERVED.search(upstream_mn + upstream_pw):
        raise ValidationError(messages.BAD_UPSTREAM, location="upstream_mn")
    mapping = session.scalar(
        sa.select(ForwardMapping).where(ForwardMapping.target_id == target.id, ForwardMapping.mn == mn)
    )
    if mapping is None:
        mapping = ForwardMapping(target_id=target.id, mn=mn, upstream_mn=upstream_mn, upstream_pw=upstream_pw)
        session.add(mapping)
    else:
        mapping.upstream_mn, mapping.upstream_pw = upstream_mn, upstream_pw
    session.flush()
    record(
        session,
        actor,
        "interop.mapping.set",
        "fwd_mapping",
        mapping.id,
        messages.AUDIT_MAPPING_SET.format(target=target.name, mn=mn, upstream_mn=upstream_mn),
        {"target": target.name, "mn": mn, "upstream_mn": upstream_mn},
        ip=ip,
    )
    return mapping


def remove_mapping(
    session: Session, actor: Principal, ref: int | str, mn: str, *, ip: str | None = None
) -> None:
    target = get_target(session, ref)
    mapping = session.scalar(
        sa.select(ForwardMapping).where(ForwardMapping.target_id == target.id, ForwardMapping.mn == mn)
    )
    if mapping is None:
        raise NotFoundError(messages.MAPPING_NOT_FOUND.format(target=target.name, mn=mn))
    record(
        session,
        actor,
        "interop.mapping.remove",
        "fwd_mapping",
        mapping.id,
        messages.AUDIT_MAPPING_REMOVED.format(target=target.name, mn=mn),
        {"target": target.name, "mn": mn},
        ip=ip,
    )
    session.delete(mapping)
    session.flush()


def mappings(session: Session, target_id: int) -> list[ForwardMapping]:
    return list(
        session.scalars(
            sa.select(ForwardMapping).where(ForwardMapping.target_id == target_id).order_by(ForwardMapping.mn)
        )
    )


def sync_settings_targets(session: Session, configured: list[ForwardTargetSettings]) -> None:
    """Targets named in the settings (``ECOSENTINEL_INTEROP__FORWARD_TARGETS``) are created or updated."""
    for item in configured:
        existing = session.scalar(sa.select(ForwardTarget).where(ForwardTarget.name == item.name))
        if existing is None:
            add_target(
                session,
                SYSTEM,
                name=item.name,
                host=item.host,
                port=item.port,
                cns=item.cns,
                enabled=item.enabled,
            )
        else:
            update_target(
                session,
                SYSTEM,
                existing.id,
                {"host": item.host, "port": item.port, "cns": item.cns, "enabled": item.enabled},
            )


# --------------------------------------------------------------------------------------------- the queue


def enqueue_new(session: Session, target: ForwardTarget) -> int:
    """Queue the raw packets stored since the target's cursor (its CNs; only mapped MNs if so configured)."""
    top = _max_raw_id(session)
    if top <= target.cursor_raw_id:
        return 0
    cns = [c for c in target.cns.split(",") if c]
    raw, station = ms_raw_packet.c, ms_station.c
    source = (
        sa.select(
            sa.literal(target.id),
            raw.id,
            station.mn,
            raw.cn,
            raw.qn,
            sa.literal(now_us(), sa.BigInteger),
            sa.literal(0),
            sa.literal(0, sa.BigInteger),
        )
        .select_from(ms_raw_packet.join(ms_station, raw.station_id == station.id))
        .where(raw.id > target.cursor_raw_id, raw.id <= top, raw.cn.in_(cns))
    )
    if target.only_mapped:
        source = source.where(
            station.mn.in_(sa.select(ForwardMapping.mn).where(ForwardMapping.target_id == target.id))
        )
    result = session.execute(
        sa.insert(ForwardQueueItem).from_select(
            ["target_id", "raw_packet_id", "mn", "cn", "qn", "enqueued_at_us", "attempts", "next_attempt_us"],
            source,
        )
    )
    target.cursor_raw_id = top
    session.flush()
    return int(cast("sa.CursorResult[Any]", result).rowcount or 0)


@dataclass(frozen=True)
class Outgoing:
    """One queued packet ready to send: its frames (a split message has several) and its answer key."""

    item_id: int
    key: tuple[str, str | None]  # (upstream MN, QN): what the target's 9014 names
    frames: tuple[bytes, ...]


def _rewrite(raw: bytes, mapping: ForwardMapping | None) -> tuple[tuple[bytes, ...], tuple[str, str | None]]:
    """The raw frames with the upstream MN/PW and the reply bit set (re-encoded with the standard CRC)."""
    frames: list[bytes] = []
    key: tuple[str, str | None] | None = None
    for frame in Framer(max_packet_bytes=max(4096, len(raw))).feed(raw):
        if isinstance(frame, FrameError):
            raise frame.error
        packet = frame
        changes: dict[str, Any] = {"flag": (packet.flag or 0) | 1, "crc_variant": "hj212"}
        if mapping is not None:
            changes.update(mn=mapping.upstream_mn, pw=mapping.upstream_pw)
        out = dataclasses.replace(packet, **changes)
        frames.append(encode(out))
        if key is None:
            key = (out.mn, out.qn or packet.param("QN"))
    if key is None:
        raise Hj212Error("empty raw packet", reason="format")
    return tuple(frames), key


def due_items(session: Session, target: ForwardTarget, limit: int) -> tuple[list[Outgoing], list[int]]:
    """Up to ``limit`` unacknowledged, due rows in queue order, built for sending; plus the ids of rows whose
    stored bytes could not be re-encoded (they are put back with an error)."""
    now = now_us()
    rows = session.execute(
        sa.select(ForwardQueueItem.id, ForwardQueueItem.raw_packet_id, ForwardQueueItem.mn)
        .where(
            ForwardQueueItem.target_id == target.id,
            ForwardQueueItem.acked_at_us.is_(None),
            ForwardQueueItem.next_attempt_us <= now,
        )
        .order_by(ForwardQueueItem.id)
        .limit(limit)
    ).all()
    if not rows:
        return [], []
    raws = dict(
        session.execute(
            sa.select(ms_raw_packet.c.id, ms_raw_packet.c.raw).where(
                ms_raw_packet.c.id.in_([r.raw_packet_id for r in rows])
            )
        ).all()
    )
    by_mn = {m.mn: m for m in mappings(session, target.id)}
    out: list[Outgoing] = []
    bad: list[int] = []
    for item_id, raw_id, mn in rows:
        try:
            frames, key = _rewrite(bytes(raws[raw_id]), by_mn.get(mn))
        except (Hj212Error, KeyError):
            bad.append(item_id)
            continue
        out.append(Outgoing(item_id, key, frames))
    return out, bad


def mark_sent(session: Session, ids: list[int]) -> None:
    if ids:
        session.execute(
            sa.update(ForwardQueueItem)
            .where(ForwardQueueItem.id.in_(ids))
            .values(sent_at_us=now_us(), attempts=ForwardQueueItem.attempts + 1)
        )


def mark_acked(session: Session, target_id: int, ids: list[int]) -> None:
    if not ids:
        return
    now = now_us()
    session.execute(
        sa.update(ForwardQueueItem)
        .where(ForwardQueueItem.id.in_(ids), ForwardQueueItem.acked_at_us.is_(None))
        .values(acked_at_us=now, last_error=None)
    )
    target = session.get(ForwardTarget, target_id)
    if target is not None:
        target.last_ack_at = dt.datetime.now(dt.UTC)
        target.last_error = None


def mark_retry(session: Session, ids: list[int], error: str, delay_s: float) -> None:
    if ids:
        session.execute(
            sa.update(ForwardQueueItem)
            .where(ForwardQueueItem.id.in_(ids), ForwardQueueItem.acked_at_us.is_(None))
            .values(last_error=error[:300], next_attempt_us=now_us() + int(delay_s * 1e6))
        )


def note_link(session: Session, target_id: int, *, connected: bool, error: str | None = None) -> None:
    target = session.get(ForwardTarget, target_id)
    if target is None:
        return
    if connected:
        target.last_connected_at = dt.datetime.now(dt.UTC)
    target.last_error = None if error is None else error[:500]


def prune_acked(session: Session, target_id: int, keep_days: float) -> int:
    cutoff = now_us() - int(keep_days * 86400e6)
    result = session.execute(
        sa.delete(ForwardQueueItem).where(
            ForwardQueueItem.target_id == target_id, ForwardQueueItem.acked_at_us < cutoff
        )
    )
    return int(cast("sa.CursorResult[Any]", result).rowcount or 0)


@dataclass(frozen=True)
class TargetStatus:
    id: int
    name: str
    host: str
    port: int
    enabled: bool
    cns: str
    queue_depth: int  # queued, not yet acknowledged by the target
    acked: int  # acknowledged rows still kept
    last_ack_at: dt.datetime | None
    lag_s: float  # age of the oldest unacknowledged packet (0 when the queue is empty)
    last_connected_at: dt.datetime | None
    last_error: str | None
    mappings: int


def status(session: Session) -> list[TargetStatus]:
    """Per target: queue depth, last acknowledgement, lag (for the API, the page and the CLI)."""
    now = now_us()
    q = ForwardQueueItem
    pending = dict(
        session.execute(
            sa.select(q.target_id, sa.func.count()).where(q.acked_at_us.is_(None)).group_by(q.target_id)
        ).all()
    )
    acked = dict(
        session.execute(
            sa.select(q.target_id, sa.func.count()).where(q.acked_at_us.is_not(None)).group_by(q.target_id)
        ).all()
    )
    oldest = dict(
        session.execute(
            sa.select(q.target_id, sa.func.min(q.enqueued_at_us))
            .where(q.acked_at_us.is_(None))
            .group_by(q.target_id)
        ).all()
    )
    counts = dict(
        session.execute(
            sa.select(ForwardMapping.target_id, sa.func.count()).group_by(ForwardMapping.target_id)
        ).all()
    )
    out: list[TargetStatus] = []
    for t in list_targets(session):
        first = oldest.get(t.id)
        out.append(
            TargetStatus(
                id=t.id,
                name=t.name,
                host=t.host,
                port=t.port,
                enabled=t.enabled,
                cns=t.cns,
                queue_depth=int(pending.get(t.id, 0)),
                acked=int(acked.get(t.id, 0)),
                last_ack_at=utc(t.last_ack_at),
                lag_s=0.0 if first is None else max(0.0, (now - int(first)) / 1e6),
                last_connected_at=utc(t.last_connected_at),
                last_error=t.last_error,
                mappings=int(counts.get(t.id, 0)),
            )
        )
    return out
