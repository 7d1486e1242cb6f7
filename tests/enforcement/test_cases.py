"""Cases: the demo path (red warning → task → inspection → case with extracts and penalty → transfer →
PDF evidence pack), police scoping, PDF contents and hashes, and every enforcement route's permission."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfReader
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Rect
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.audit.service import verify
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement import evidence
from ecosentinel.enforcement.api import api as enforcement_api
from ecosentinel.enforcement.cases import add_finding_extracts, add_penalty, create_case, transfer_case
from ecosentinel.enforcement.models import Attachment, EnforcementWarning, EvidencePack
from ecosentinel.enforcement.warnings import sync_warnings
from ecosentinel.errors import ValidationError
from ecosentinel.store.base import MeasurementStore
from tests.conftest import login_as, use_data_dir
from tests.enforcement.test_warnings import DAY, add_day, add_finding, at, red_warning, seed_point

MN = "33040200000001"


def _photo() -> bytes:
    """A real (decodable) PNG photo, as a phone would send."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


PNG = _photo()


def _readings(store: MeasurementStore) -> None:
    start = at(DAY, 0)
    times = [start + dt.timedelta(minutes=i) for i in range(6 * 60)]
    values = [180.0 if at(DAY, 2) <= t < at(DAY, 2, 10) else 40.0 + (i % 7) for i, t in enumerate(times)]
    store.append(
        pl.DataFrame(
            {
                "mn": [MN] * len(times),
                "code": ["w01018"] * len(times),
                "kind": ["minute"] * len(times),
                "time": times,
                "value": values,
            }
        ).with_columns(pl.col("time").dt.replace_time_zone("UTC"))
    )


def _transfer_body() -> dict[str, object]:
    return {
        "recipient": "police",
        "recipient_org": "嘉兴市公安局南湖区分局",
        "kind": "criminal",
        "letter_no": "嘉环移〔2024〕5号",
        "letter_text": "涉嫌污染环境罪，依法移送。",
        "investigation_report": "经调查，该企业在超标后向取样杯注水……",
        "site_record": "2024年3月2日23时现场勘查，取样杯内有自来水……",
        "items": ["TOC 分析仪取样杯 1 个", "自来水软管 1 根"],
    }


def test_demo_path_end_to_end(
    client: TestClient,
    engine: sa.Engine,
    db_session: Session,
    store: MeasurementStore,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_data_dir(client, tmp_path)
    _readings(store)
    warning = red_warning(db_session, MN)
    officer = login_as(engine, Role.OFFICER)
    from ecosentinel.auth.models import User

    db_session.commit()  # end the read snapshot so the officer created by login_as is visible
    officer_id = db_session.scalar(sa.select(User.id).where(User.role == "officer"))
    escalated = client.post(
        f"/api/enforcement/warnings/{warning.id}/escalate", json={"assignees": [officer_id]}, headers=officer
    )
    assert escalated.status_code == 201, escalated.text
    task = escalated.json()
    assert task["status"] == "dispatched"
    ins = client.post("/api/enforcement/inspections", json={"task_id": task["id"]}, headers=officer).json()
    assert (
        client.get(f"/api/enforcement/tasks/{task['id']}", headers=officer).json()["status"] == "in_progress"
    )
    att = client.post(
        f"/api/enforcement/inspections/{ins['id']}/attachments",
        files={"file": ("取样杯.png", PNG, "image/png")},
        data={"item_no": "3"},
        headers=officer,
    ).json()
    undecodable = client.post(  # passes the type check (PNG signature) but is no image: listed, not embedded
        f"/api/enforcement/inspections/{ins['id']}/attachments",
        files={"file": ("损坏.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "image/png")},
        headers=officer,
    )
    assert undecodable.status_code == 201, undecodable.text
    items = [{"item_no": n, "result": "conform"} for n in range(1, 11)]
    items[2] = {"item_no": 3, "result": "nonconform", "notes": "取样杯注水"}
    client.put(f"/api/enforcement/inspections/{ins['id']}", json={"items": items}, headers=officer)
    assert client.post(f"/api/enforcement/inspections/{ins['id']}/submit", headers=officer).status_code == 200
    case = client.post(
        "/api/enforcement/cases",
        json={"title": "某印染企业干扰自动监测设施案", "task_id": task["id"], "facts_zh": "超标后注水稀释"},
        headers=officer,
    ).json()
    assert case["warning_ids"] == [warning.id]
    assert case["inspection_ids"] == [ins["id"]]
    extracts = client.post(
        f"/api/enforcement/cases/{case['id']}/extracts/from-findings", headers=officer
    ).json()
    assert len(extracts) == 1
    assert extracts[0]["rows"] == 180
    assert extracts[0]["kind"] == "minute"
    csv_bytes = client.get(
        f"/api/enforcement/cases/{case['id']}/extracts/{extracts[0]['id']}.csv", headers=officer
    ).content
    assert hashlib.sha256(csv_bytes).hexdigest() == extracts[0]["sha256"]
    assert b"2024-03-01 02:05:00,w01018,minute,platform,180.0,N" in csv_bytes
    penalty = client.post(
        f"/api/enforcement/cases/{case['id']}/penalties",
        json={
            "amount_wan": "20.5",
            "legal_basis": "《中华人民共和国水污染防治法》第八十二条",
            "decision_no": "嘉环罚〔2024〕12号",
        },
        headers=officer,
    )
    assert penalty.status_code == 201
    assert float(penalty.json()["amount_wan"]) == 20.5
    police = login_as(engine, Role.POLICE)
    assert client.get(f"/api/enforcement/cases/{case['id']}", headers=police).status_code == 404
    assert client.get("/api/enforcement/cases", headers=police).json()["total"] == 0
    assert client.get(f"/api/enforcement/cases/{case['id']}/evidence.pdf", headers=police).status_code == 404
    assert client.get(f"/api/enforcement/attachments/{att['id']}", headers=police).status_code == 404
    assert (
        client.post(
            f"/api/enforcement/cases/{case['id']}/transfer", json=_transfer_body(), headers=police
        ).status_code
        == 403
    )
    moved = client.post(
        f"/api/enforcement/cases/{case['id']}/transfer", json=_transfer_body(), headers=officer
    )
    assert moved.status_code == 201, moved.text
    seen = client.get(f"/api/enforcement/cases/{case['id']}", headers=police)
    assert seen.status_code == 200
    assert seen.json()["status_zh"] == "已移送"
    assert client.get(f"/api/enforcement/attachments/{att['id']}", headers=police).content == PNG
    pdf = client.get(f"/api/enforcement/cases/{case['id']}/evidence.pdf", headers=police)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    digest = hashlib.sha256(pdf.content).hexdigest()
    assert pdf.headers["x-content-sha256"] == digest
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert extracts[0]["sha256"] in text
    assert att["sha256"] in text
    assert "嘉环移〔2024〕5号" in text
    assert "涉案物品清单" in text
    assert "三方数据是否一致" in text
    for code in ("high", "platform", "minute", "w01018 "):  # words and codes are named in Chinese
        assert code not in text, code
    assert "分钟数据" in text
    assert "现场照片：取样杯.png，检查项 3" in text  # the inspection photo is in the pack itself
    assert "现场照片：损坏.png" not in text
    assert "损坏.png" in text
    assert b"/Subtype /Image" in pdf.content
    assert "照片" in text
    assert "image/png" not in text
    assert "平台" in text
    with Session(engine) as s:
        pack = s.scalars(sa.select(EvidencePack)).one()
        assert pack.sha256 == digest
        assert (tmp_path / str(pack.stored_path)).read_bytes() == pdf.content
        exported = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "export")).one()
        assert digest in exported.summary
        assert exported.username == "police-eNone-aNone"
        actions = set(s.scalars(sa.select(AuditEntry.action).where(AuditEntry.entity == "case")))
        assert {"create", "extract", "penalty", "view", "transfer", "export"} <= actions
        assert verify(s).ok
    frozen = client.post(
        f"/api/enforcement/cases/{case['id']}/penalties",
        json={"amount_wan": 1, "legal_basis": "x"},
        headers=officer,
    )
    assert frozen.status_code == 422
    assert "已移送" in frozen.json()["detail"]


def test_case_service_validation(db_session: Session) -> None:
    warning = red_warning(db_session)
    with pytest.raises(ValidationError, match="案件名称不能为空"):
        create_case(db_session, SYSTEM, title=" ")
    case = create_case(db_session, SYSTEM, title="数据造假案", warning_ids=[warning.id])
    assert case.number.startswith("AJ")
    assert case.number.endswith(f"{case.id:05d}")
    with pytest.raises(ValidationError, match="必须大于 0") as err:
        add_penalty(db_session, SYSTEM, case.id, amount_wan="-1", legal_basis="第八十二条")
    assert err.value.location == "amount_wan"
    with pytest.raises(ValidationError, match="法律依据"):
        add_penalty(db_session, SYSTEM, case.id, amount_wan="3", legal_basis="")
    body = _transfer_body()
    body["site_record"] = ""
    with pytest.raises(ValidationError, match="移送材料缺少：现场勘查笔录"):
        transfer_case(db_session, SYSTEM, case.id, **body)  # type: ignore[arg-type]
    body = _transfer_body()
    body["items"] = []
    with pytest.raises(ValidationError, match="涉案物品清单"):
        transfer_case(db_session, SYSTEM, case.id, **body)  # type: ignore[arg-type]
    body["kind"] = "detention"
    transfer_case(db_session, SYSTEM, case.id, **body)  # type: ignore[arg-type]
    assert case.status == "transferred"


def test_every_enforcement_route_declares_a_permission_and_refuses_anonymous(client: TestClient) -> None:
    """Checked on this area's own router (the app-level test cannot see into lazily included routers)."""
    routes = [r for r in enforcement_api.routes if isinstance(r, APIRoute)]
    assert len(routes) > 30
    for route in routes:
        calls = []
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            calls.append(dep.call)
            stack.extend(dep.dependencies)
        assert any(hasattr(c, "required_permission") for c in calls), route.path
        path = route.path.replace("{task_id}", "1").replace("{case_id}", "1")
        for name in (
            "warning_id",
            "report_id",
            "inspection_id",
            "attachment_id",
            "extract_id",
            "transfer_id",
        ):
            path = path.replace("{" + name + "}", "1")
        for method in route.methods or ():
            assert client.request(method, path).status_code == 401, f"{method} {path}"


def _treatment_off_readings(store: MeasurementStore) -> None:
    """COD normal all morning; production on; treatment power 0 from 02:00 to 03:00 (an R10 finding)."""
    times = [at(DAY, 0) + dt.timedelta(minutes=i) for i in range(6 * 60)]
    off = [at(DAY, 2) <= t < at(DAY, 3) for t in times]
    series = {
        "w01018": [40.0 + (i % 7) for i in range(len(times))],
        "wc_prod_kw": [300.0 + (i % 5) for i in range(len(times))],
        "wc_treat_kw": [0.5 if o else 80.0 + (i % 3) for i, o in enumerate(off)],
    }
    store.append(
        pl.concat(
            pl.DataFrame(
                {
                    "mn": [MN] * len(times),
                    "code": [code] * len(times),
                    "kind": ["minute"] * len(times),
                    "time": times,
                    "value": values,
                }
            )
            for code, values in series.items()
        ).with_columns(pl.col("time").dt.replace_time_zone("UTC"))
    )


def test_evidence_pdf_charts_the_series_behind_the_finding(
    db_session: Session, store: MeasurementStore
) -> None:
    """A treatment-off finding names only COD; its evidence is the treatment power falling while production
    runs. The extract holds all three series and the PDF charts each over the window, the finding shaded."""
    seed_point(db_session, MN)
    add_finding(db_session, MN, at(DAY, 2), at(DAY, 3), rule="R10_treatment_off")
    add_day(db_session, MN, DAY, rules=("R10_treatment_off",))
    sync_warnings(db_session, days=None)
    warning = db_session.scalar(sa.select(EnforcementWarning).where(EnforcementWarning.mn == MN))
    assert warning is not None
    db_session.commit()  # SQLite: the store writes on its own connection
    _treatment_off_readings(store)
    case = create_case(db_session, SYSTEM, title="治理设施停运案", warning_ids=[warning.id])
    (extract,) = add_finding_extracts(db_session, SYSTEM, store, case.id)
    assert extract.codes == ["w01018", "wc_prod_kw", "wc_treat_kw"]
    assert extract.rows == 3 * 180  # 01:00-04:00, the finding's hour and an hour either side, each series
    assert "2024-03-01 02:30:00,wc_treat_kw,minute,platform,0.5,N" in extract.csv_text

    pdf = evidence.build_pdf(db_session, case, generated_by="测试", generated_at=dt.datetime.now(dt.UTC))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for name in ("化学需氧量", "生产设施用电功率", "治理设施用电功率"):
        assert f"摘录 #{extract.id}：{name}" in text, name
    assert "阴影：发现时段 2024-03-01 02:00 至 2024-03-01 03:00" in text

    # Each chart spans 01:00-04:00 with 02:00-03:00 shaded: the middle third of the plot.
    frame = pl.read_csv(io.StringIO(extract.csv_text), schema_overrides={"value": pl.Float64}).with_columns(
        time=pl.col("time_cst").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S")
    )
    charts = evidence._charts(
        frame, extract.codes, "摘录", (extract.start, extract.end), (at(DAY, 2), at(DAY, 3))
    )
    assert len(charts) == 3
    for chart in charts:
        band = next(c for c in chart.contents if isinstance(c, Rect))
        plot = next(c for c in chart.contents if isinstance(c, LinePlot))
        assert band.x == pytest.approx(plot.x + plot.width / 3)
        assert band.width == pytest.approx(plot.width / 3)


def test_a_photo_cut_short_is_listed_not_embedded(tmp_path: Path) -> None:
    """A PNG whose header decodes but whose pixel data is broken (a phone upload cut short) must not break
    the whole evidence pack: it is left out of the PDF like any undecodable file."""
    broken = PNG[:-40] + b"\x00" * 40
    (tmp_path / "p.png").write_bytes(broken)
    attachment = Attachment(
        id=1,
        filename="p.png",
        content_type="image/png",
        stored_path="p.png",
        sha256=hashlib.sha256(broken).hexdigest(),
        size=len(broken),
    )
    assert evidence._photo(tmp_path, attachment) is None
    (tmp_path / "q.png").write_bytes(PNG)
    attachment.stored_path, attachment.sha256 = "q.png", hashlib.sha256(PNG).hexdigest()
    assert evidence._photo(tmp_path, attachment) is not None
