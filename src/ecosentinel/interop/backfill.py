"""Back-fill (补传): find missing minutes and hours per point, request them from the connected logger.

Gaps are looked for in each connected point's own minute (2051) and hour (2061) data over the last
``backfill_lookback_hours``: the point's reporting step is the most common spacing of its times; a spacing
longer than that between two stored times is a gap. The newest ``backfill_settle_minutes`` are never a gap
(packets arrive late), nor is the time after a point's last packet (the logger is still sending it).

The rate is bounded three ways: at most ``backfill_max_per_minute`` requests leave the platform per minute;
a point has at most one back-fill request open at a time; a range requested once is not requested again for
``backfill_retry_hours`` (whatever the logger answered). One request covers at most
``backfill_max_span_hours``. What the logger sends back carries the request's QN: it is stored like any
packet (its receipt time kept in the raw-packet log), and :func:`backfilled_packets` finds it by that QN.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.service import record
from ecosentinel.auth.service import SYSTEM
from ecosentinel.config import InteropSettings
from ecosentinel.interop import messages
from ecosentinel.interop.commands import OPEN, issue_history_request
from ecosentinel.interop.models import BackfillRequest, RemoteCommand, utc
from ecosentinel.readings import CN_BY_KIND, CST, DataKind
from ecosentinel.store.base import from_epoch_us
from ecosentinel.store.tables import ms_raw_packet, ms_station

KINDS = (DataKind.MINUTE, DataKind.HOUR)


@dataclass(frozen=True)
class Gap:
    mn: str
    kind: DataKind
    begin: dt.datetime  # first missing time
    end: dt.datetime  # last missing time (inclusive)
    missing: int


def find_gaps(
    times: list[dt.datetime], *, not_after: dt.datetime, step: dt.timedelta | None = None
) -> list[tuple[dt.datetime, dt.datetime, int]]:
    """Interior gaps of a sorted list of times: ``(first missing, last missing, count)``; the step is the
    most common spacing unless given."""
    times = sorted(set(times))
    if len(times) < 2:
        return []
    if step is None:
        spacing = Counter(b - a for a, b in itertools.pairwise(times))
        step = spacing.most_common(1)[0][0]
    if step <= dt.timedelta(0):
        return []
    out: list[tuple[dt.datetime, dt.datetime, int]] = []
    for a, b in itertools.pairwise(times):
        if b - a > step and a + step <= not_after:
            last = min(b - step, not_after)
            count = int((last - a) / step)
            if count > 0:
                out.append((a + step, last, count))
    return out


def point_gaps(session: Session, mn: str, *, now: dt.datetime, settings: InteropSettings) -> list[Gap]:
    """The interior gaps of the point's minute and hour packets in the look-back window, read from the
    raw-packet log (one row per packet, indexed by station and data time), not from the readings."""
    start = now - dt.timedelta(hours=settings.backfill_lookback_hours)
    not_after = now - dt.timedelta(minutes=settings.backfill_settle_minutes)
    raw, station = ms_raw_packet.c, ms_station.c
    out: list[Gap] = []
    for kind in KINDS:
        seconds = session.scalars(
            sa.select(raw.t)
            .distinct()
            .select_from(ms_raw_packet.join(ms_station, raw.station_id == station.id))
            .where(
                station.mn == mn,
                raw.cn == CN_BY_KIND[kind],
                raw.t >= int(start.timestamp()),
                raw.t < int(now.timestamp()),
            )
        ).all()
        times = [dt.datetime.fromtimestamp(int(t), dt.UTC) for t in seconds]
        step = dt.timedelta(hours=1) if kind is DataKind.HOUR else None
        for begin, end, count in find_gaps(times, not_after=not_after, step=step):
            out.append(Gap(mn, kind, begin, end, count))
    return out


def _split(gap: Gap, max_span: dt.timedelta) -> list[Gap]:
    if gap.end - gap.begin <= max_span:
        return [gap]
    parts: list[Gap] = []
    begin = gap.begin
    per = gap.missing / max(1.0, (gap.end - gap.begin).total_seconds())
    while begin <= gap.end:
        end = min(gap.end, begin + max_span)
        parts.append(Gap(gap.mn, gap.kind, begin, end, max(1, round((end - begin).total_seconds() * per))))
        begin = end + dt.timedelta(seconds=1)
    return parts


def plan(
    session: Session,
    connected: set[str],
    settings: InteropSettings,
    *,
    now: dt.datetime | None = None,
    start_after: str = "",
) -> tuple[list[BackfillRequest], str]:
    """Create back-fill requests (and their commands) for connected points' gaps, within the rate bounds.

    At most ``backfill_points_per_pass`` points are looked at, in MN order from just after ``start_after``
    (round robin over passes); returns the requests and the last MN looked at."""
    now = now or dt.datetime.now(dt.UTC)
    sent_last_minute = int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(RemoteCommand)
            .where(
                RemoteCommand.purpose == "backfill", RemoteCommand.created_at >= now - dt.timedelta(minutes=1)
            )
        )
        or 0
    )
    budget = settings.backfill_max_per_minute - sent_last_minute
    if budget <= 0 or not connected:
        return [], start_after
    busy = set(
        session.scalars(
            sa.select(RemoteCommand.mn).where(
                RemoteCommand.purpose == "backfill", RemoteCommand.status.in_(OPEN)
            )
        )
    )
    recent_cutoff = now - dt.timedelta(hours=settings.backfill_retry_hours)
    created: list[BackfillRequest] = []
    max_span = dt.timedelta(hours=settings.backfill_max_span_hours)
    ordered = sorted(connected - busy)
    ordered = [m for m in ordered if m > start_after] + [m for m in ordered if m <= start_after]
    last = start_after
    for mn in ordered[: settings.backfill_points_per_pass]:
        if budget <= 0:
            break
        last = mn
        recent = [
            (utc(r.begin), utc(r.end), r.kind)
            for r in session.scalars(
                sa.select(BackfillRequest).where(
                    BackfillRequest.mn == mn, BackfillRequest.created_at >= recent_cutoff
                )
            )
        ]
        for gap in point_gaps(session, mn, now=now, settings=settings):
            done = False
            for part in _split(gap, max_span):
                if any(
                    k == part.kind.value
                    and b is not None
                    and e is not None
                    and b <= part.end
                    and part.begin <= e
                    for b, e, k in recent
                ):
                    continue
                command = issue_history_request(
                    session, mn=mn, cn=CN_BY_KIND[part.kind], begin=part.begin, end=part.end
                )
                request = BackfillRequest(
                    mn=mn,
                    kind=part.kind.value,
                    begin=part.begin,
                    end=part.end,
                    missing=part.missing,
                    command_id=command.id,
                )
                session.add(request)
                session.flush()
                record(
                    session,
                    SYSTEM,
                    "interop.backfill.request",
                    "bf_request",
                    request.id,
                    messages.AUDIT_BACKFILL.format(
                        mn=mn,
                        kind=messages.KIND_ZH.get(part.kind.value, part.kind.value),
                        begin=part.begin.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
                        end=part.end.astimezone(CST).strftime("%Y-%m-%d %H:%M"),
                        missing=part.missing,
                    ),
                    {"mn": mn, "kind": part.kind.value, "qn": command.qn, "missing": part.missing},
                )
                created.append(request)
                budget -= 1
                done = True  # one open request per point
                break
            if done or budget <= 0:
                break
    return created, last


@dataclass(frozen=True)
class BackfillView:
    id: int
    mn: str
    kind: str
    begin: dt.datetime
    end: dt.datetime
    missing: int
    created_at: dt.datetime
    status: str
    packets: int
    qn: str | None


def list_requests(session: Session, *, mn: str | None = None, limit: int = 100) -> list[BackfillView]:
    q = (
        sa.select(BackfillRequest, RemoteCommand)
        .join(RemoteCommand, RemoteCommand.id == BackfillRequest.command_id, isouter=True)
        .order_by(BackfillRequest.id.desc())
        .limit(limit)
    )
    if mn is not None:
        q = q.where(BackfillRequest.mn == mn)
    out: list[BackfillView] = []
    for req, cmd in session.execute(q).all():
        out.append(
            BackfillView(
                id=req.id,
                mn=req.mn,
                kind=req.kind,
                begin=utc(req.begin) or req.begin,
                end=utc(req.end) or req.end,
                missing=req.missing,
                created_at=utc(req.created_at) or req.created_at,
                status="expired" if cmd is None else cmd.status,
                packets=0 if cmd is None else cmd.packets,
                qn=None if cmd is None else cmd.qn,
            )
        )
    return out


@dataclass(frozen=True)
class BackfilledPacket:
    mn: str
    cn: str
    qn: str | None
    data_time: dt.datetime | None
    received_at: dt.datetime


def backfilled_packets(session: Session, mn: str, *, limit: int = 1000) -> list[BackfilledPacket]:
    """Stored packets that answered a back-fill request (same MN and the request's QN), with receipt time."""
    qns = sa.select(RemoteCommand.qn).where(RemoteCommand.mn == mn, RemoteCommand.purpose == "backfill")
    raw, station = ms_raw_packet.c, ms_station.c
    rows = session.execute(
        sa.select(station.mn, raw.cn, raw.qn, raw.data_time_us, raw.received_at_us)
        .select_from(ms_raw_packet.join(ms_station, raw.station_id == station.id))
        .where(station.mn == mn, raw.qn.in_(qns))
        .order_by(raw.data_time_us)
        .limit(limit)
    ).all()
    return [
        BackfilledPacket(
            mn=r[0],
            cn=r[1],
            qn=r[2],
            data_time=None if r[3] is None else from_epoch_us(int(r[3])),
            received_at=from_epoch_us(int(r[4])),
        )
        for r in rows
    ]
