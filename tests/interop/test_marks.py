"""Data marking: filed in scope with an attachment, reviewed, audited; approved marks leave exceedance counts;
heavy marking is an alarm."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.interop import validity
from ecosentinel.interop.marks import create_mark, review_mark
from ecosentinel.readings import CST, READING_SCHEMA
from ecosentinel.registry.models import Enterprise, Point
from ecosentinel.registry.service import import_registry
from ecosentinel.store.base import MeasurementStore
from tests.conftest import login_as, use_data_dir
from tests.ingest.conftest import MN
from tests.interop.conftest import registry

DAY = dt.date(2026, 11, 10)
NOW = dt.datetime(2026, 11, 12, 10, 0, tzinfo=CST)


def _seed(session: Session, store: MeasurementStore) -> int:
    """COD hourly on DAY: hours 0-23 flagged N, 150 mg/L (limit 100) at hours 8-13, 50 otherwise."""
    import_registry(session, registry(), source_name="test")
    point = session.scalar(sa.select(Point).where(Point.mn == MN))
    assert point is not None
    point.created_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    session.commit()
    start = dt.datetime.combine(DAY, dt.time(), CST)
    rows = [
        {
            "mn": MN,
            "code": "w01018",
            "kind": "hour",
            "time": (start + dt.timedelta(hours=h)).astimezone(dt.UTC),
            "source": "platform",
            "value": 150.0 if 8 <= h <= 13 else 50.0,
            "vmin": None,
            "vmax": None,
            "cou": None,
            "zs": None,
            "flag": "N",
        }
        for h in range(24)
    ]
    store.append(pl.DataFrame(rows, schema=READING_SCHEMA))
    return point.enterprise_id


def test_approved_marks_leave_the_exceedance_count(
    db_session: Session, store: MeasurementStore, engine: sa.Engine, client: TestClient, tmp_path: Path
) -> None:
    enterprise_id = _seed(db_session, store)
    use_data_dir(client, tmp_path)
    row = validity.statistics(db_session, store, start=DAY, end=DAY, mns=[MN], now=NOW)
    cod = next(r for r in row if r.code == "w01018")
    assert (cod.exceeded, cod.exceeded_marked) == (6, 0)

    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=enterprise_id)
    form = {
        "mn": MN,
        "kind": "fault",
        "start": "2026-11-10T08:00:00+08:00",
        "end": "2026-11-10T11:00:00+08:00",  # covers hours 8, 9, 10
        "reason": "分析仪泵管破裂，维修中",
        "factor_code": "w01018",
    }
    created = client.post(
        "/api/interop/marks",
        data=form,
        files={"file": ("维修单.pdf", b"%PDF-1.4 repair")},
        headers=enterprise,
    )
    assert created.status_code == 201, created.text
    mark = created.json()
    assert mark["status"] == "submitted"
    assert len(mark["attachment_sha256"]) == 64
    assert (tmp_path / "marks" / mark["attachment_sha256"]).read_bytes() == b"%PDF-1.4 repair"
    # a submitted mark changes nothing yet; the enterprise cannot review its own mark
    assert (
        client.post(
            f"/api/interop/marks/{mark['id']}/review", json={"approve": True}, headers=enterprise
        ).status_code
        == 403
    )
    analyst = login_as(engine, Role.ANALYST)
    reviewed = client.post(f"/api/interop/marks/{mark['id']}/review", json={"approve": True}, headers=analyst)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["status"] == "approved"
    again = client.post(
        f"/api/interop/marks/{mark['id']}/review", json={"approve": False, "note": "x"}, headers=analyst
    )
    assert again.status_code == 422

    db_session.expire_all()
    row = validity.statistics(db_session, store, start=DAY, end=DAY, mns=[MN], now=NOW)
    cod = next(r for r in row if r.code == "w01018")
    assert (cod.exceeded, cod.exceeded_marked) == (3, 3)  # hours 11-13 still count; 8-10 were marked
    actions = list(db_session.scalars(sa.select(AuditEntry.action)))
    assert "interop.mark.create" in actions
    assert "interop.mark.review" in actions

    # out of scope: another enterprise may not mark this point, nor see its marks
    other = Enterprise(name="别的企业", credit_code="91330400MA2B000009", industry="印染")
    db_session.add(other)
    db_session.commit()
    stranger = login_as(engine, Role.ENTERPRISE, enterprise_id=other.id)
    assert client.post("/api/interop/marks", data=form, headers=stranger).status_code == 403
    assert client.get("/api/interop/marks", headers=stranger).json() == []
    assert len(client.get("/api/interop/marks", headers=enterprise).json()) == 1
    page = client.get("/interop/marks", headers=analyst)
    assert page.status_code == 200
    assert "分析仪泵管破裂" in page.text


def test_rejecting_needs_a_reason_and_heavy_marking_is_an_alarm(
    db_session: Session, store: MeasurementStore, engine: sa.Engine, client: TestClient
) -> None:
    enterprise_id = _seed(db_session, store)
    enterprise = login_as(engine, Role.ENTERPRISE, enterprise_id=enterprise_id)
    now = dt.datetime.now(CST).replace(microsecond=0)
    form = {
        "mn": MN,
        "kind": "stop",
        "start": (now - dt.timedelta(days=20)).isoformat(),
        "end": (now - dt.timedelta(days=5)).isoformat(),
        "reason": "停产检修",
    }
    mark = client.post("/api/interop/marks", data=form, headers=enterprise).json()
    analyst = login_as(engine, Role.ANALYST)
    refused = client.post(f"/api/interop/marks/{mark['id']}/review", json={"approve": False}, headers=analyst)
    assert refused.status_code == 422
    assert "理由" in refused.text
    found = validity.alarms(db_session, store)
    assert [a.mn for a in found if a.kind == "marks"] == [MN]  # half of the last 30 days is marked
    station = client.get(f"/stations/{MN}", headers=analyst)  # the alarm and the marks on the station page
    assert station.status_code == 200
    assert "标记异常：近 30 天" in station.text
    assert "停产检修" in station.text
    bad = client.post("/api/interop/marks", data={**form, "kind": "holiday"}, headers=enterprise)
    assert bad.status_code == 422


def test_marks_over_exactly_the_exceedance_hours_are_an_alarm(
    db_session: Session, store: MeasurementStore
) -> None:
    _seed(db_session, store)  # exceedances at hours 8-13 of DAY, flagged N
    admin = Principal(user_id=None, username="admin-test", display_name="管理员", role=Role.ADMIN)
    analyst = Principal(user_id=None, username="analyst-test", display_name="分析员", role=Role.ANALYST)
    day0 = dt.datetime.combine(DAY, dt.time(), CST)

    def mark(first_hour: int, hours: int) -> None:
        created = create_mark(
            db_session,
            admin,
            mn=MN,
            kind="maintenance",
            start=day0 + dt.timedelta(hours=first_hour),
            end=day0 + dt.timedelta(hours=first_hour + hours),
            reason="维护检修",
            factor_code="w01018",
        )
        review_mark(db_session, analyst, created.id, approve=True)
        db_session.commit()

    def marks_alarms() -> list[validity.Alarm]:
        return [a for a in validity.alarms(db_session, store, now=NOW) if a.kind == "marks"]

    assert marks_alarms() == []
    mark(8, 2)  # hours 8, 9: two exceedances hidden, four still counted
    assert marks_alarms() == []
    mark(10, 4)  # hours 10-13: now all six exceedance hours are under marks, none outside
    found = marks_alarms()
    assert [(a.mn, a.code) for a in found] == [(MN, "w01018")]
    assert "6 个超标小时" in found[0].detail
    assert "标记外仅 0 个" in found[0].detail
