"""Validity statistics against a hand-computed fixture; alarms; Excel export; API and page."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.interop import validity
from ecosentinel.interop.marks import create_mark, review_mark
from ecosentinel.readings import CST, READING_SCHEMA
from ecosentinel.registry.models import Point
from ecosentinel.registry.service import import_registry
from ecosentinel.store.base import MeasurementStore
from tests.conftest import login_as
from tests.ingest.conftest import MN
from tests.interop.conftest import registry

D1 = dt.date(2026, 11, 10)
D2 = dt.date(2026, 11, 11)
NOW = dt.datetime(2026, 11, 12, 10, 0, tzinfo=CST)


def _hours(day: dt.date, code: str, flags: list[str]) -> list[dict[str, object]]:
    start = dt.datetime.combine(day, dt.time(), CST)
    return [
        {
            "mn": MN,
            "code": code,
            "kind": "hour",
            "time": (start + dt.timedelta(hours=h)).astimezone(dt.UTC),
            "source": "platform",
            "value": 10.0 + h,
            "vmin": None,
            "vmax": None,
            "cou": None,
            "zs": None,
            "flag": flag,
        }
        for h, flag in enumerate(flags)
    ]


@pytest.fixture
def fixture_data(db_session: Session, store: MeasurementStore) -> Session:
    """COD (w01018): D1 20 hours sent (15 N, 3 M, 2 D), D2 nothing.
    NH3-N (w21003): D1 all 24 N; D2 12 N + 6 C."""
    import_registry(db_session, registry(), source_name="test")
    point = db_session.scalar(sa.select(Point).where(Point.mn == MN))
    assert point is not None
    point.created_at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    db_session.commit()
    rows = (
        _hours(D1, "w01018", ["N"] * 15 + ["M"] * 3 + ["D"] * 2)
        + _hours(D1, "w21003", ["N"] * 24)
        + _hours(D2, "w21003", ["N"] * 12 + ["C"] * 6)
    )
    store.append(pl.DataFrame(rows, schema=READING_SCHEMA))
    return db_session


def _by(rows: list[validity.ValidityRow]) -> dict[tuple[str, str], validity.ValidityRow]:
    return {(r.code, r.period): r for r in rows}


def test_daily_and_monthly_rates_match_the_hand_computation(
    fixture_data: Session, store: MeasurementStore
) -> None:
    daily = _by(validity.statistics(fixture_data, store, start=D1, end=D2, now=NOW))
    cod1 = daily[("w01018", "2026-11-10")]
    assert (cod1.expected, cod1.received, cod1.valid) == (24, 20, 15)
    assert cod1.transmission_rate == pytest.approx(20 / 24)
    assert cod1.valid_rate == pytest.approx(15 / 20)
    assert cod1.capture_rate == pytest.approx(15 / 24)
    cod2 = daily[("w01018", "2026-11-11")]
    assert (cod2.expected, cod2.received, cod2.valid, cod2.valid_rate) == (24, 0, 0, None)
    nh2 = daily[("w21003", "2026-11-11")]
    assert (nh2.received, nh2.valid) == (18, 12)
    assert nh2.transmission_rate == pytest.approx(18 / 24)
    monthly = _by(validity.statistics(fixture_data, store, start=D1, end=D2, period="month", now=NOW))
    nh = monthly[("w21003", "2026-11")]
    assert (nh.expected, nh.received, nh.valid) == (48, 42, 36)
    assert nh.capture_rate == pytest.approx(36 / 48)
    # today counts only the hours already ended (10:00 CST: 10 hours)
    today = _by(validity.statistics(fixture_data, store, start=NOW.date(), end=NOW.date(), now=NOW))
    assert today[("w01018", "2026-11-12")].expected == 10


def test_offline_and_missing_data_alarms(fixture_data: Session, store: MeasurementStore) -> None:
    found = validity.alarms(fixture_data, store, now=NOW.astimezone(dt.UTC))
    assert [a.mn for a in found if a.kind == "offline"] == [MN]  # last data 2026-11-11 17:00, now 11-12 10:00
    missing = {(a.code, a.period) for a in found if a.kind == "missing"}
    assert ("w01018", "2026-11-10") in missing  # 83 %
    assert ("w01018", "2026-11-11") in missing  # 0 %
    assert ("w21003", "2026-11-10") not in missing  # 100 %


def test_excel_export_and_api(
    fixture_data: Session, store: MeasurementStore, engine: sa.Engine, client: TestClient
) -> None:
    book = load_workbook(
        io.BytesIO(validity.workbook(validity.statistics(fixture_data, store, start=D1, end=D1, now=NOW)))
    )
    sheet = book.active
    assert sheet is not None
    values = list(sheet.values)
    assert values[0][:4] == ("点位MN", "点位名称", "因子", "统计期")
    cod = next(v for v in values[1:] if v[2] == "w01018")
    assert cod[4:7] == (24, 20, 15)
    assert cod[7] == pytest.approx(20 / 24)
    headers = login_as(engine, Role.ANALYST)
    response = client.get(f"/api/interop/validity?start={D1}&end={D2}&mn={MN}", headers=headers)
    assert response.status_code == 200, response.text
    row = next(r for r in response.json() if r["code"] == "w01018" and r["period"] == "2026-11-10")
    assert (row["received"], row["valid"]) == (20, 15)
    export = client.get(f"/api/interop/validity.xlsx?start={D1}&end={D2}", headers=headers)
    assert export.status_code == 200
    assert export.content[:2] == b"PK"
    assert client.get("/api/interop/alarms", headers=headers).status_code == 200
    page = client.get(f"/interop/validity?start={D1}&end={D2}", headers=headers)
    assert page.status_code == 200
    assert "83.3%" in page.text
    assert client.get("/api/interop/validity", headers=login_as(engine, Role.POLICE)).status_code == 403


def test_operating_rate_matches_the_hand_computation(
    fixture_data: Session, store: MeasurementStore, engine: sa.Engine, client: TestClient
) -> None:
    """运转率 = (expected - down) / expected; down = hours flagged F/D/P or under an approved fault, stop or
    shutdown mark. COD D1 hours 18-19 are flagged D (2 down hours)."""
    admin = Principal(user_id=None, username="admin-test", display_name="管理员", role=Role.ADMIN)
    analyst = Principal(user_id=None, username="analyst-test", display_name="分析员", role=Role.ANALYST)

    def mark(kind: str, start: dt.datetime, end: dt.datetime, *, approve: bool = True) -> None:
        created = create_mark(fixture_data, admin, mn=MN, kind=kind, start=start, end=end, reason="测试")
        if approve:
            review_mark(fixture_data, analyst, created.id, approve=True)
        fixture_data.commit()

    d2 = dt.datetime.combine(D2, dt.time(), CST)
    # whole-point fault from D2 20:30 to midnight: hours 20-23 of both factors are down (hour 20 in part)
    mark("fault", d2 + dt.timedelta(hours=20, minutes=30), d2 + dt.timedelta(days=1))
    # maintenance is not down time, and a submitted fault mark counts for nothing
    mark("maintenance", d2 - dt.timedelta(days=1), d2 - dt.timedelta(hours=18))
    mark("fault", d2 + dt.timedelta(hours=1), d2 + dt.timedelta(hours=5), approve=False)
    # today (10 hours expected) a stop from 08:00 to 14:00: only hours 8 and 9 are expected ones
    today = dt.datetime.combine(NOW.date(), dt.time(), CST)
    mark("stop", today + dt.timedelta(hours=8), today + dt.timedelta(hours=14))

    daily = _by(validity.statistics(fixture_data, store, start=D1, end=NOW.date(), now=NOW))
    expected = {
        ("w01018", "2026-11-10"): (24, 2, 22 / 24),
        ("w01018", "2026-11-11"): (24, 4, 20 / 24),
        ("w21003", "2026-11-10"): (24, 0, 1.0),
        ("w21003", "2026-11-11"): (24, 4, 20 / 24),
        ("w01018", "2026-11-12"): (10, 2, 8 / 10),
    }
    for key, (hours, down, rate) in expected.items():
        row = daily[key]
        assert (row.expected, row.down, row.operating) == (hours, down, hours - down), key
        assert row.operating_rate == pytest.approx(rate), key
    monthly = _by(validity.statistics(fixture_data, store, start=D1, end=D2, period="month", now=NOW))
    assert monthly[("w21003", "2026-11")].operating_rate == pytest.approx(44 / 48)

    sheet = load_workbook(
        io.BytesIO(validity.workbook(validity.statistics(fixture_data, store, start=D1, end=D1, now=NOW)))
    ).active
    assert sheet is not None
    values = list(sheet.values)
    assert values[0][-3:] == ("停运故障小时", "运转小时", "运转率")
    cod = next(v for v in values[1:] if v[2] == "w01018")
    assert cod[-3:-1] == (2, 22)
    assert cod[-1] == pytest.approx(22 / 24)
    headers = login_as(engine, Role.ANALYST)
    api = client.get(f"/api/interop/validity?start={D2}&end={D2}&mn={MN}", headers=headers).json()
    row = next(r for r in api if r["code"] == "w01018")
    assert (row["down"], row["operating"]) == (4, 20)
    assert row["operating_rate"] == pytest.approx(20 / 24)
    page = client.get(f"/interop/validity?start={D2}&end={D2}", headers=headers)
    assert "运转率" in page.text
    assert "83.3%" in page.text
