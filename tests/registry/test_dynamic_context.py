"""CN 3020 uploads -> history -> context frames -> a real R06 finding; standard checks; events and
windows through context.py; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.detection.context import PointContext, PointType
from ecosentinel.detection.engine import screen_point
from ecosentinel.errors import ValidationError
from ecosentinel.protocol.hj212.packet import decode, frame_body
from ecosentinel.readings import CST, READING_SCHEMA
from ecosentinel.registry import context
from ecosentinel.registry.dynamic import import_3020_file, record_3020, record_standard_check
from ecosentinel.registry.models import MaintenanceWindow, ParameterUpload, StationEvent
from tests.registry.sample import GAS_MN, WATER_MN, load_sample


def frame_3020(mn: str, when: str, items: str, pw: str = "123456") -> bytes:
    body = f"QN={when}000;ST=32;CN=3020;PW={pw};MN={mn};Flag=5;CP=&&DataTime={when};{items}&&"
    return frame_body(body.encode())


DAY = dt.datetime(2025, 6, 1, tzinfo=CST)


def test_3020_upload_differing_from_filing_reaches_r06(db_session: Session, tmp_path: Path) -> None:
    load_sample(db_session, tmp_path)  # filed slope 1.02 for w01018 at WATER_MN
    same = decode(frame_3020(WATER_MN, "20250601100000", "PolId=w01018,i13008-Info=1.02,i13007-Info=0.5"))
    changed = decode(frame_3020(WATER_MN, "20250601230000", "PolId=w01018,i13008-Info=0.6,i13007-Info=0.5"))
    assert record_3020(db_session, same) == 2
    assert record_3020(db_session, changed) == 2
    assert record_3020(db_session, changed) == 0  # re-sent: nothing new
    db_session.commit()
    stored = db_session.scalars(
        sa.select(ParameterUpload).order_by(ParameterUpload.time, ParameterUpload.info_id)
    ).all()
    assert [(u.info_id, u.value, u.name) for u in stored][:2] == [
        ("i13007", "0.5", "截距"),
        ("i13008", "1.02", "斜率"),
    ]
    assert stored[-1].source_packet is not None
    assert "CN=3020" in stored[-1].source_packet

    start, end = DAY, DAY + dt.timedelta(days=1)
    filed = context.filed_parameters(db_session, [WATER_MN], start, end)
    uploads = context.parameter_uploads(db_session, [WATER_MN], start, end)
    assert filed.height == 3
    assert uploads.height == 4
    ctx = PointContext(
        mn=WATER_MN, point_type=PointType.WATER, filed_parameters=filed, parameter_uploads=uploads
    )
    empty = pl.DataFrame(schema=READING_SCHEMA)
    findings = screen_point(empty, ctx, rules=["R06"])
    assert len(findings) == 1
    finding = findings[0]
    assert finding.evidence["info_id"] == "i13008"
    assert finding.evidence["filed"] == "1.02"
    assert finding.evidence["uploaded"] == "0.6"
    assert finding.evidence["slope_outside_band"] is True
    assert finding.severity.value == "high"


def test_3020_file_import_is_all_or_nothing(db_session: Session, tmp_path: Path) -> None:
    load_sample(db_session, tmp_path)
    good = frame_3020(WATER_MN, "20250601100000", "PolId=w01018,i13004-Info=165").decode()
    other = frame_3020(GAS_MN, "20250601100000", "PolId=a21026,i13001-Info=500").decode()
    path = tmp_path / "uploads.txt"
    path.write_text(good + other + "##0010garbage\r\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        import_3020_file(db_session, path)
    assert "uploads.txt:3" in str(info.value)
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ParameterUpload)) == 0
    path.write_text(good + other, encoding="utf-8")
    result = import_3020_file(db_session, path)
    assert (result.packets, result.parameters, result.skipped_other) == (2, 2, 0)


def test_standard_check_outside_tolerance_is_a_finding(db_session: Session, tmp_path: Path) -> None:
    load_sample(db_session, tmp_path)
    t0 = DAY + dt.timedelta(hours=9)
    for hours, measured in [(0, 104.0), (1, 110.0), (2, 89.0), (3, 125.0)]:
        record_standard_check(
            db_session,
            mn=WATER_MN,
            factor_code="w01018",
            time=t0 + dt.timedelta(hours=hours),
            standard_value=100.0,
            measured_value=measured,
        )
    db_session.commit()
    checks = context.standard_checks(db_session, [WATER_MN], DAY, DAY + dt.timedelta(days=1))
    assert checks.height == 4
    point = PointContext(mn=WATER_MN, point_type=PointType.WATER, standard_checks=checks)
    findings = screen_point(pl.DataFrame(schema=READING_SCHEMA), point, rules=["Q01"])
    assert [(f.evidence["measured_value"], f.severity.value) for f in findings] == [
        (89.0, "medium"),
        (125.0, "high"),
    ]
    assert "HJ 355" in findings[0].explanation_zh
    assert "-11" in findings[0].explanation_zh


def test_events_and_windows_frames(db_session: Session, tmp_path: Path) -> None:
    load_sample(db_session, tmp_path)
    t = dt.datetime(2025, 6, 1, 2, tzinfo=dt.UTC)
    db_session.add_all(
        [
            StationEvent(mn=WATER_MN, time=t, type="door_open", device_code="DOOR-001"),
            StationEvent(mn=WATER_MN, time=t - dt.timedelta(days=2), type="camera_moved", device_code=""),
            StationEvent(mn=GAS_MN, time=t, type="video_lost", device_code=""),
            MaintenanceWindow(mn=WATER_MN, start=t, end=t + dt.timedelta(hours=2)),
        ]
    )
    db_session.commit()
    start, end = t - dt.timedelta(hours=1), t + dt.timedelta(hours=1)
    events = context.events(db_session, [WATER_MN], start, end)
    assert events.to_dicts() == [{"mn": WATER_MN, "time": t, "type": "door_open"}]
    windows = context.maintenance_windows(db_session, [WATER_MN, GAS_MN], start, end)
    assert windows.height == 1
    ctx = PointContext(mn=WATER_MN, point_type=PointType.WATER, events=events, maintenance_windows=windows)
    assert ctx.in_maintenance_window(t, t)
