"""Data marks supersede declared maintenance windows: the declaration route says it is deprecated, pending
declarations move into the marks workflow (audited, once), approved windows keep their effect."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM, Principal
from ecosentinel.interop.marks import import_pending_windows, review_mark
from ecosentinel.interop.models import DataMark, utc
from ecosentinel.registry import context
from ecosentinel.registry.models import MaintenanceWindow
from ecosentinel.screening.contextload import load_contexts
from tests.conftest import login_as
from tests.registry.sample import DYEING, WATER_MN
from tests.registry.test_registry_api import _load

START = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
END = dt.datetime(2025, 6, 3, tzinfo=dt.UTC)
ANALYST = Principal(user_id=None, username="analyst-test", display_name="分析员", role=Role.ANALYST)


def test_pending_windows_become_marks(client: TestClient, engine: sa.Engine) -> None:
    ids = _load(client, engine)
    dyeing = login_as(engine, Role.ENTERPRISE, enterprise_id=ids[DYEING])
    analyst = login_as(engine, Role.ANALYST)

    def declare(start: str, end: str, reason: str | None) -> int:
        response = client.post(
            "/api/registry/maintenance-windows",
            json={"mn": WATER_MN, "start": start, "end": end, "reason": reason},
            headers=dyeing,
        )
        assert response.status_code == 201, response.text
        assert response.headers["Deprecation"] == "true"
        assert "/api/interop/marks" in response.headers["Link"]
        return int(response.json()["id"])

    kept = declare("2025-06-01T09:00:00", "2025-06-01T12:00:00", "换泵")
    assert client.post(
        f"/api/registry/maintenance-windows/{kept}/approve", json={}, headers=analyst
    ).is_success
    moved = declare("2025-06-02T09:00:00", "2025-06-02T11:00:00", "更换试剂")
    unnamed = declare("2025-06-02T14:00:00", "2025-06-02T15:00:00", None)

    with Session(engine) as session:
        marks = import_pending_windows(session, SYSTEM)
        session.commit()
        assert [(m.mn, m.kind, m.status, m.reason) for m in marks] == [
            (WATER_MN, "maintenance", "submitted", "更换试剂"),
            (WATER_MN, "maintenance", "submitted", f"报备维护时段 {unnamed}（未填写原因）"),
        ]
        first = marks[0]
        assert utc(first.start) == dt.datetime(2025, 6, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 CST in UTC
        assert first.created_by == session.get(MaintenanceWindow, moved).created_by  # type: ignore[union-attr]
        statuses = dict(session.execute(sa.select(MaintenanceWindow.id, MaintenanceWindow.status)).all())
        assert statuses == {kept: "approved", moved: "superseded", unnamed: "superseded"}
        audited = session.scalars(
            sa.select(AuditEntry.entity).where(AuditEntry.action == "interop.mark.import")
        ).all()
        assert sorted(audited) == ["dm_mark", "dm_mark", "maintenance_window", "maintenance_window"]
        assert import_pending_windows(session, SYSTEM) == []  # nothing left to move
        mark_id = first.id

    # the approved window still excuses its hours; the superseded ones excuse nothing
    with Session(engine) as session:
        frame = context.maintenance_windows(session, [WATER_MN], START, END)
        assert frame.height == 1
    # listed with its new status (no error on an unknown status)
    listed = client.get("/api/registry/maintenance-windows", headers=analyst).json()["results"]
    assert {w["status_zh"] for w in listed} == {"已通过", "已转为数据标记"}
    refused = client.post(f"/api/registry/maintenance-windows/{moved}/approve", json={}, headers=analyst)
    assert refused.status_code == 422

    # once the bureau approves the mark, screening sees it
    with Session(engine) as session:
        review_mark(session, ANALYST, mark_id, approve=True)
        session.commit()
        ctx = load_contexts(session, [WATER_MN], START, END)[WATER_MN]
        assert ctx.data_marks.height == 1
        assert ctx.maintenance_windows.height == 1
        assert session.scalar(sa.select(sa.func.count()).select_from(DataMark)) == 2
