"""Public disclosure: reachable without login, and carrying only the published fields."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from ecosentinel.auth.models import User
from ecosentinel.auth.service import SYSTEM
from ecosentinel.enforcement import draws
from ecosentinel.enforcement.ledger import service as ledger
from ecosentinel.enforcement.ledger.service import ActionInput
from ecosentinel.registry.models import Enterprise

D = dt.date
PRIVATE_WORDS = (
    "password",
    "created_by",
    "drawn_by",
    "pool_snapshot",
    "inspectors",
    "risk",
    "weight",
    "note",
)


def _walk_keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _walk_keys(v)}
    return set()


def test_public_routes_without_login_show_only_published_data(client: TestClient, engine: sa.Engine) -> None:
    with Session(engine) as session:
        a = Enterprise(name="甲化工有限公司", credit_code="91500102MA5U000021")
        b = Enterprise(name="乙电镀厂", credit_code="91500102MA5U000022")
        session.add_all([a, b])
        session.add_all(
            [
                User(username=f"o{i}", display_name=f"执法{i}", password_hash="-", role="officer")
                for i in range(4)
            ]
        )
        session.flush()
        secret = "内部线索：举报人电话 13800000000"
        decided = ledger.create_problem(
            session,
            SYSTEM,
            found_on=D(2026, 11, 2),
            category="自动监控",
            description=secret,
            source="投诉举报",
            enterprise_id=a.id,
            actions=[
                ActionInput(
                    "行政处罚",
                    fine_wan=15.0,
                    decision_no="涪环罚〔2026〕40号",
                    decided_on=D(2026, 11, 20),
                    public_summary="篡改自动监测数据",
                    note="内部备注",
                )
            ],
            today=D(2026, 11, 30),
        )
        ledger.create_problem(  # a penalty not yet decided: not public
            session,
            SYSTEM,
            found_on=D(2026, 11, 3),
            category="水",
            description="超标排放",
            source="日常排查",
            enterprise_id=b.id,
            actions=[ActionInput("penalty", fine_wan=8.0)],
            today=D(2026, 11, 30),
        )
        published = draws.run_draw(
            session, SYSTEM, title="十一月抽查", drawn_on=D(2026, 11, 5), enterprise_count=1
        )
        draws.record_selection_result(
            session, SYSTEM, published.selections[0].id, inspected_on=D(2026, 11, 9), outcome="未发现问题"
        )
        draws.publish_draw(session, SYSTEM, published.id)
        draws.run_draw(session, SYSTEM, title="未公开", drawn_on=D(2026, 11, 6), enterprise_count=1)
        session.commit()
        decided_id = decided.id

    client.cookies.clear()
    penalties = client.get("/api/public/penalties")
    assert penalties.status_code == 200
    body = penalties.json()
    assert body["meta"]["count"] == 1
    assert body["results"][0] == {
        "decision_no": "涪环罚〔2026〕40号",
        "decided_on": "2026-11-20",
        "enterprise_name": "甲化工有限公司",
        "credit_code": "91500102MA5U000021",
        "category": "自动监控",
        "fine_wan": 15.0,
        "summary": "篡改自动监测数据",
    }
    assert secret not in penalties.text
    assert "内部备注" not in penalties.text

    inspections = client.get("/api/public/random-inspections")
    assert inspections.status_code == 200
    results = inspections.json()["results"]
    assert [d["title"] for d in results] == ["十一月抽查"]
    assert results[0]["inspections"][0]["outcome"] == "未发现问题"
    assert results[0]["pool_size"] == 2
    for word in PRIVATE_WORDS:
        assert not any(word in key for key in _walk_keys(results)), word
    assert not any(f"执法{i}" in inspections.text for i in range(4))

    evaluations = client.get("/api/public/evaluations")
    assert evaluations.status_code == 200
    assert evaluations.json()["results"] == []

    # The staff routes stay closed to anonymous callers.
    assert client.get(f"/api/enforcement/ledger/{decided_id}").status_code == 401
    assert client.get("/api/enforcement/draws").status_code == 401
    assert all(w not in json.dumps(body) for w in ("created_by", "description"))
