"""On-site inspections: the 10-point checklist of seed 000, pre-filled evidence, submission rules, hashed
attachments stored under the data directory with their content type checked."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement import messages
from ecosentinel.enforcement.inspections import (
    ItemInput,
    add_attachment,
    checklist_view,
    create_inspection,
    submit_inspection,
    update_inspection,
)
from ecosentinel.enforcement.models import TaskStatus
from ecosentinel.enforcement.tasks import create_task
from ecosentinel.errors import ValidationError
from tests.conftest import login_as, use_data_dir
from tests.enforcement.test_warnings import red_warning

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_checklist_keeps_the_seed_wording() -> None:
    seed = next(Path("/work/shared/seeds").glob("000_*.txt"), None)
    assert len(messages.CHECKLIST) == 10
    assert [c.no for c in messages.CHECKLIST] == list(range(1, 11))
    if seed is not None:  # the seed is outside the repository; when present, every item is quoted from it
        text = seed.read_text(encoding="utf-8")
        for item in messages.CHECKLIST:
            assert item.text in text, item.no


def test_inspection_from_task_prefilled_and_submitted(db_session: Session, tmp_path: Path) -> None:
    warning = red_warning(db_session)
    task = create_task(db_session, SYSTEM, source="warning", warning_id=warning.id)
    inspection = create_inspection(db_session, SYSTEM, task_id=task.id)
    assert inspection.point_id == warning.point_id
    assert len(inspection.items) == 10
    view = checklist_view(inspection)
    assert view[0]["evidence"][0]["explanation_zh"] == warning.findings[0].explanation_zh
    assert view[2]["evidence"]
    assert view[7]["evidence"]
    assert not view[5]["evidence"]
    with pytest.raises(ValidationError, match="检查结果必须为") as err:
        update_inspection(db_session, SYSTEM, inspection.id, items=[ItemInput(3, "bad")])
    assert err.value.location == "items[0].result"
    with pytest.raises(ValidationError, match="检查项编号必须为 1–10"):
        update_inspection(db_session, SYSTEM, inspection.id, items=[ItemInput(11, "conform")])
    update_inspection(db_session, SYSTEM, inspection.id, items=[ItemInput(n, "conform") for n in range(1, 9)])
    with pytest.raises(ValidationError, match="尚未填写结果：9、10"):
        submit_inspection(db_session, SYSTEM, inspection.id)
    update_inspection(
        db_session, SYSTEM, inspection.id, items=[ItemInput(9, "na"), ItemInput(3, "nonconform")]
    )
    update_inspection(db_session, SYSTEM, inspection.id, items=[ItemInput(10, "conform")])
    with pytest.raises(ValidationError, match="第 3 项判定为不符合，必须填写情况说明"):
        submit_inspection(db_session, SYSTEM, inspection.id)
    update_inspection(
        db_session,
        SYSTEM,
        inspection.id,
        items=[ItemInput(3, "nonconform", "取样杯内有注水痕迹")],
        conclusion="涉嫌干扰自动监测设施",
    )
    submit_inspection(db_session, SYSTEM, inspection.id)
    assert inspection.status == "submitted"
    assert inspection.submitted_at is not None
    with pytest.raises(ValidationError, match="已提交签字"):
        update_inspection(db_session, SYSTEM, inspection.id, items=[ItemInput(3, "conform")])
    with pytest.raises(ValidationError, match="已提交签字"):
        add_attachment(
            db_session,
            SYSTEM,
            inspection.id,
            data_dir=tmp_path,
            filename="a.png",
            content_type="image/png",
            data=PNG,
        )
    assert task.status == TaskStatus.PENDING  # nobody of a team started it: the task stays as it was


def test_attachments_hashed_stored_and_checked(db_session: Session, tmp_path: Path) -> None:
    warning = red_warning(db_session)
    inspection = create_inspection(db_session, SYSTEM, point_id=warning.point_id)
    att = add_attachment(
        db_session,
        SYSTEM,
        inspection.id,
        data_dir=tmp_path,
        filename="C:\\photos\\取样杯.png",
        content_type="image/png",
        data=PNG,
        item_no=3,
    )
    assert att.sha256 == hashlib.sha256(PNG).hexdigest()
    assert att.filename == "取样杯.png"
    stored = tmp_path / att.stored_path
    assert stored.read_bytes() == PNG
    assert att.stored_path.startswith("attachments/")
    with pytest.raises(ValidationError, match="内容与声明的类型 image/jpeg 不符"):
        add_attachment(
            db_session,
            SYSTEM,
            inspection.id,
            data_dir=tmp_path,
            filename="x.jpg",
            content_type="image/jpeg",
            data=PNG,
        )
    with pytest.raises(ValidationError, match="不支持的附件类型 application/x-msdownload"):
        add_attachment(
            db_session,
            SYSTEM,
            inspection.id,
            data_dir=tmp_path,
            filename="x.exe",
            content_type="application/x-msdownload",
            data=b"MZ",
        )
    with pytest.raises(ValidationError, match="超过上限 10 字节"):
        add_attachment(
            db_session,
            SYSTEM,
            inspection.id,
            data_dir=tmp_path,
            filename="n.txt",
            content_type="text/plain; charset=utf-8",
            data="运维记录缺失".encode(),
            max_bytes=10,
        )
    db_session.commit()
    entry = db_session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "attachment")).one()
    assert att.sha256 in entry.summary


def test_inspection_api_with_upload(
    client: TestClient,
    engine: sa.Engine,
    db_session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_data_dir(client, tmp_path)
    warning = red_warning(db_session)
    officer = login_as(engine, Role.OFFICER)
    made = client.post("/api/enforcement/inspections", json={"point_id": warning.point_id}, headers=officer)
    assert made.status_code == 201, made.text
    ins = made.json()
    assert ins["items"][4]["text"] == messages.CHECKLIST[4].text
    assert ins["evidence"]
    up = client.post(
        f"/api/enforcement/inspections/{ins['id']}/attachments",
        files={"file": ("现场.png", PNG, "image/png")},
        data={"item_no": "3"},
        headers=officer,
    )
    assert up.status_code == 201, up.text
    assert up.json()["sha256"] == hashlib.sha256(PNG).hexdigest()
    bad = client.post(
        f"/api/enforcement/inspections/{ins['id']}/attachments",
        files={"file": ("x.pdf", b"not a pdf", "application/pdf")},
        headers=officer,
    )
    assert bad.status_code == 422
    assert bad.json()["location"] == "file"
    got = client.get(f"/api/enforcement/attachments/{up.json()['id']}", headers=officer)
    assert got.content == PNG
    assert got.headers["x-content-sha256"] == up.json()["sha256"]
    items = [{"item_no": n, "result": "conform"} for n in range(1, 11)]
    put = client.put(
        f"/api/enforcement/inspections/{ins['id']}",
        json={"items": items, "inspected_at": dt.datetime.now(dt.UTC).isoformat()},
        headers=officer,
    )
    assert put.status_code == 200
    sub = client.post(f"/api/enforcement/inspections/{ins['id']}/submit", headers=officer)
    assert sub.status_code == 200
    assert sub.json()["status_zh"] == "已提交"
    patrol = login_as(engine, Role.PATROL)
    assert (
        client.post("/api/enforcement/inspections", json={"point_id": 1}, headers=patrol).status_code == 403
    )
