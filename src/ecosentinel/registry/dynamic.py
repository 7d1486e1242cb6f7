"""Dynamic control (动态管控, seed 003): CN 3020 parameter uploads kept as a history per point, and
standard-sample checks (标样核查) judged against the HJ 355 tolerance.

Differences between uploads and the filed parameters (备案参数) are found by screening rule R06 from the
frames that ``ecosentinel.registry.context`` builds from these tables.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.errors import ValidationError
from ecosentinel.protocol.hj212.codes import INFO_IDS
from ecosentinel.protocol.hj212.dynamic import device_parameters
from ecosentinel.protocol.hj212.errors import Hj212Error
from ecosentinel.protocol.hj212.packet import Packet, decode
from ecosentinel.readings import CST
from ecosentinel.registry import messages
from ecosentinel.registry.models import ParameterUpload, Point, StandardCheck

logger = logging.getLogger(__name__)

STANDARD_CHECK_TOLERANCE = 0.10
"""HJ 355-2019: a standard-solution check passes within ±10 % of the standard's value
(/work/shared/domain/detection-research.md, "Standard-solution check ±10%")."""


def record_3020(session: Session, packet: Packet, *, received_at: dt.datetime | None = None) -> int:
    """Store the parameters of one CN 3020 packet (idempotent: a re-sent packet adds nothing).

    Each Info item is kept with its DataTime (or the packet's, or the receive time), its PolId and the
    frame it came in. Returns the number of new rows; a packet of another command stores nothing.
    """
    items = device_parameters(packet)
    if not items:
        return 0
    at = received_at or dt.datetime.now(dt.UTC)
    source = packet.raw.decode("utf-8", "replace").strip() if packet.raw else None
    times = {_utc(item.data_time or packet.data_time or at) for item in items}
    existing = {
        (_utc(t), pol, info)
        for t, pol, info in session.execute(
            sa.select(ParameterUpload.time, ParameterUpload.pol_id, ParameterUpload.info_id).where(
                ParameterUpload.mn == packet.mn, ParameterUpload.time.in_(times)
            )
        )
    }
    added = 0
    for item in items:
        t = _utc(item.data_time or packet.data_time or at)
        key = (t, item.pol_id or "", item.info_id)
        if key in existing:
            continue
        existing.add(key)
        session.add(
            ParameterUpload(
                mn=packet.mn,
                time=t,
                pol_id=item.pol_id or "",
                info_id=item.info_id,
                name=INFO_IDS.get(item.info_id),
                value=item.value,
                source_packet=source,
                received_at=at,
            )
        )
        added += 1
    session.flush()
    return added


def _utc(t: dt.datetime) -> dt.datetime:
    """UTC (stored values come back naive from SQLite: they are UTC)."""
    return (t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t).astimezone(dt.UTC)


@dataclass(frozen=True, slots=True)
class UploadImport:
    """What an import of 3020 packets did."""

    packets: int
    parameters: int
    skipped_other: int  # well-formed packets of other commands


def import_3020_file(session: Session, path: Path, *, known_mns: set[str] | None = None) -> UploadImport:
    """Import CN 3020 frames from a text file, one frame per line; all or nothing.

    A line that is not a valid frame, or a frame from an unregistered MN, fails the whole file with
    the line number. Lines of other commands are counted and skipped.
    """
    name = str(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(messages.UNREADABLE_FILE.format(error=exc), location=name) from exc
    if known_mns is None:
        known_mns = set(session.scalars(sa.select(Point.mn)))
    packets: list[Packet] = []
    skipped = 0
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            packet = decode(text.encode("utf-8"))
        except Hj212Error as exc:
            raise ValidationError(messages.BAD_FRAME.format(error=exc), location=f"{name}:{number}") from exc
        if packet.cn != "3020":
            skipped += 1
            continue
        if packet.mn not in known_mns:
            raise ValidationError(messages.UNKNOWN_MN.format(mn=packet.mn), location=f"{name}:{number}")
        packets.append(packet)
    added = sum(record_3020(session, p) for p in packets)
    logger.info("3020 file %s: %d packets, %d new parameters", name, len(packets), added)
    return UploadImport(len(packets), added, skipped)


def list_uploads(
    session: Session,
    *,
    mns: set[str] | None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> list[ParameterUpload]:
    """Parameter uploads of the given points (None = all), newest first, at most 5000."""
    query = sa.select(ParameterUpload)
    if mns is not None:
        query = query.where(ParameterUpload.mn.in_(mns))
    if start is not None:
        query = query.where(ParameterUpload.time >= start)
    if end is not None:
        query = query.where(ParameterUpload.time < end)
    return list(session.scalars(query.order_by(ParameterUpload.time.desc()).limit(5000)))


# -------------------------------------------------------------------------------- standard checks


def standard_check_error(standard_value: float, measured_value: float) -> float:
    """Relative error of a standard-sample check: (measured - standard) / standard."""
    if standard_value == 0:
        raise ValidationError(messages.STANDARD_ZERO)
    return (measured_value - standard_value) / standard_value


def standard_check_passed(standard_value: float, measured_value: float) -> bool:
    """Whether the check is within the HJ 355 tolerance (±10 %)."""
    return abs(standard_check_error(standard_value, measured_value)) <= STANDARD_CHECK_TOLERANCE + 1e-12


def record_standard_check(
    session: Session,
    *,
    mn: str,
    factor_code: str,
    time: dt.datetime,
    standard_value: float,
    measured_value: float,
    source: str = "manual",
) -> StandardCheck:
    """Store one standard-sample check (idempotent on mn, factor, time: the values are updated)."""
    standard_check_error(standard_value, measured_value)  # refuses a zero standard
    if time.tzinfo is None:
        time = time.replace(tzinfo=CST)  # files and forms are China Standard Time
    time = time.astimezone(dt.UTC)
    check = session.scalars(
        sa.select(StandardCheck).where(
            StandardCheck.mn == mn, StandardCheck.factor_code == factor_code, StandardCheck.time == time
        )
    ).one_or_none()
    if check is None:
        check = StandardCheck(mn=mn, factor_code=factor_code, time=time)
        session.add(check)
    check.standard_value = standard_value
    check.measured_value = measured_value
    check.source = source
    session.flush()
    return check
