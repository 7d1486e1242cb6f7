"""Double-random draws: reproducible from the seed, exemptions, conflicts, weights, verification."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import SYSTEM
from ecosentinel.cli import app as cli_app
from ecosentinel.enforcement import draws, plans
from ecosentinel.enforcement.ledger.models import RandomDraw
from ecosentinel.errors import ValidationError
from ecosentinel.registry.models import Enterprise

D = dt.date


def _pool(session: Session, enterprises: int = 10, officers: int = 6) -> tuple[list[int], list[int]]:
    ids = []
    for i in range(enterprises):
        enterprise = Enterprise(name=f"企业{i:02d}", credit_code=f"91500102MA5U{i:06d}")
        session.add(enterprise)
        session.flush()
        ids.append(enterprise.id)
    # Accounts are inserted directly (no password hashing: nobody logs in here).
    accounts = [
        User(username=f"officer{i}", display_name=f"执法人员{i}", password_hash="-", role=Role.OFFICER.value)
        for i in range(officers)
    ]
    session.add_all(
        [*accounts, User(username="analyst", display_name="分析员", password_hash="-", role="analyst")]
    )
    session.flush()
    return ids, [a.id for a in accounts]


def _picked(draw: RandomDraw) -> list[tuple[int, list[int]]]:
    return [(s.enterprise_id, [i.user_id for i in s.inspectors]) for s in draw.selections]


def test_same_seed_same_result_and_other_seed_differs(db_session: Session) -> None:
    enterprise_ids, officers = _pool(db_session)
    kwargs = {"title": "2026年11月双随机", "drawn_on": D(2026, 11, 2), "enterprise_count": 4}
    first = draws.run_draw(db_session, SYSTEM, seed="00c0ffee", **kwargs)  # type: ignore[arg-type]
    db_session.flush()
    # A second draw the same day with the same seed: same enterprises, same inspectors, same hashes.
    # (The first draw's inspectors now conflict for the second draw, so compare the pure function too.)
    again = draws.compute_draw("00c0ffee", json.loads(first.pool_snapshot), json.loads(first.params))
    assert json.loads(first.result) == again
    other = draws.compute_draw("00c0ffef", json.loads(first.pool_snapshot), json.loads(first.params))
    assert [e["id"] for e in other["enterprises"]] != [e["id"] for e in again["enterprises"]]

    assert len(first.selections) == 4
    assert {s.enterprise_id for s in first.selections} <= set(enterprise_ids)
    for selection in first.selections:
        assert len(selection.inspectors) == 2
        assert {i.user_id for i in selection.inspectors} <= set(officers)  # only officers, never the analyst
    # Work is spread: 8 assignments over 6 officers, nobody gets more than 2.
    load = Counter(i.user_id for s in first.selections for i in s.inspectors)
    assert max(load.values()) <= 2

    db_session.commit()
    verification = draws.verify_draw(db_session, first.id, actor=SYSTEM)
    assert verification.ok
    assert "复核通过" in verification.message_zh


def test_run_draw_twice_with_the_same_seed_on_the_same_pool(db_session: Session) -> None:
    _pool(db_session, enterprises=8, officers=8)
    db_session.commit()
    snapshot_before = draws.build_pool(
        db_session, drawn_on=D(2026, 11, 2), weights=draws.DEFAULT_WEIGHTS, risk_window_days=90
    )
    one = draws.run_draw(
        db_session, SYSTEM, title="甲", drawn_on=D(2026, 11, 2), enterprise_count=3, seed="abc123"
    )
    db_session.rollback()  # undo: the pool is as before, so the same seed must give the same draw
    assert (
        draws.build_pool(
            db_session, drawn_on=D(2026, 11, 2), weights=draws.DEFAULT_WEIGHTS, risk_window_days=90
        )
        == snapshot_before
    )
    two = draws.run_draw(
        db_session, SYSTEM, title="甲", drawn_on=D(2026, 11, 2), enterprise_count=3, seed="ABC123"
    )
    assert _picked(one) == _picked(two)
    assert one.result_hash == two.result_hash


def test_positive_list_exempts_and_last_inspectors_are_excluded(db_session: Session) -> None:
    enterprise_ids, officers = _pool(db_session, enterprises=5, officers=4)
    exempt = enterprise_ids[0]
    plans.add_to_positive_list(
        db_session, SYSTEM, enterprise_id=exempt, reason="守法信用良好", valid_from=D(2026, 1, 1)
    )
    # Every non-exempt enterprise is drawn; the exempt one never, whatever the seed.
    for seed in ("1", "2", "3", "4"):
        snapshot = draws.build_pool(
            db_session, drawn_on=D(2026, 11, 2), weights=draws.DEFAULT_WEIGHTS, risk_window_days=90
        )
        result = draws.compute_draw(seed, snapshot, {"enterprise_count": 4, "inspectors_per_enterprise": 2})
        assert exempt not in [e["id"] for e in result["enterprises"]]
    with pytest.raises(ValidationError, match="只有 4 家企业") as info:
        draws.run_draw(db_session, SYSTEM, title="全部", drawn_on=D(2026, 11, 2), enterprise_count=5)
    assert info.value.location == "enterprise_count"
    # An entry that has expired no longer exempts.
    entry = plans.positive_list(db_session)[0]
    plans.end_positive_list_entry(db_session, SYSTEM, entry.id, until=D(2026, 6, 30))
    whole = draws.run_draw(db_session, SYSTEM, title="全部", drawn_on=D(2026, 11, 2), enterprise_count=5)
    assert exempt in [s.enterprise_id for s in whole.selections]
    db_session.commit()

    # Conflict (回避): who inspected an enterprise last time is not drawn for it next time.
    target = enterprise_ids[1]
    last = next(s for s in whole.selections if s.enterprise_id == target)
    last_inspectors = {i.user_id for i in last.inspectors}
    for seed in ("a", "b", "c", "d", "e"):
        nxt = draws.run_draw(
            db_session,
            SYSTEM,
            title="复查",
            drawn_on=D(2026, 12, 1),
            enterprise_count=1,
            enterprise_ids=[target],
            seed=seed,
        )
        assert {i.user_id for i in nxt.selections[0].inspectors} == set(officers) - last_inspectors
        snapshot = json.loads(nxt.pool_snapshot)
        assert sorted(snapshot["conflicts"][str(target)]) == sorted(last_inspectors)
        db_session.rollback()  # keep "last time" = the whole draw
    # With only 4 officers and 2 in conflict, asking for 3 inspectors cannot be satisfied.
    with pytest.raises(ValidationError, match="可用的执法人员只有 2 名"):
        draws.run_draw(
            db_session,
            SYSTEM,
            title="复查",
            drawn_on=D(2026, 12, 1),
            enterprise_count=1,
            enterprise_ids=[target],
            inspectors_per_enterprise=3,
        )


def test_high_risk_enterprises_are_drawn_more_often() -> None:
    """Differentiated supervision: weight 3 (red) vs 1 (normal), over 400 seeds of the pure algorithm."""
    snapshot = {
        "enterprises": [
            {
                "id": i,
                "name": f"E{i}",
                "risk": "high" if i < 5 else "normal",
                "weight": 3 if i < 5 else 1,
                "exempt": False,
            }
            for i in range(20)
        ],
        "inspectors": [{"id": 100 + k, "name": f"O{k}"} for k in range(10)],
        "conflicts": {},
    }
    params = {"enterprise_count": 4, "inspectors_per_enterprise": 2}
    counts: Counter[int] = Counter()
    for n in range(400):
        counts.update(e["id"] for e in draws.compute_draw(f"{n:x}", snapshot, params)["enterprises"])
    high = sum(counts[i] for i in range(5)) / 5
    normal = sum(counts[i] for i in range(5, 20)) / 15
    assert high > 2 * normal  # in expectation about 2.4x for 4 of 20 with 5 x weight 3


def test_risk_comes_from_open_ledger_problems(db_session: Session) -> None:
    from ecosentinel.enforcement.ledger.service import create_problem

    enterprise_ids, _ = _pool(db_session, enterprises=3, officers=2)
    create_problem(
        db_session,
        SYSTEM,
        found_on=D(2026, 10, 20),
        category="water",
        description="出水超标",
        source="routine",
        enterprise_id=enterprise_ids[2],
        today=D(2026, 11, 1),
    )
    snapshot = draws.build_pool(
        db_session,
        drawn_on=D(2026, 11, 2),
        weights={"high": 3, "flagged": 2, "normal": 1},
        risk_window_days=90,
    )
    by_id = {e["id"]: e for e in snapshot["enterprises"]}
    assert (by_id[enterprise_ids[2]]["risk"], by_id[enterprise_ids[2]]["weight"]) == ("flagged", 2)
    assert (by_id[enterprise_ids[0]]["risk"], by_id[enterprise_ids[0]]["weight"]) == ("normal", 1)


def test_tampering_is_detected_and_cli_verify(migrated_url: str, db_session: Session) -> None:
    _pool(db_session, enterprises=6, officers=4)
    draw = draws.run_draw(db_session, SYSTEM, title="篡改测试", drawn_on=D(2026, 11, 2), enterprise_count=2)
    db_session.commit()
    runner = CliRunner()
    ok = runner.invoke(cli_app, ["draw", "verify", str(draw.id), "--database-url", migrated_url])
    assert ok.exit_code == 0, ok.output
    assert "复核通过" in ok.output

    # Swap the stored selection for a non-drawn enterprise: the re-run no longer matches the records.
    drawn = {s.enterprise_id for s in draw.selections}
    other = db_session.scalar(sa.select(Enterprise.id).where(Enterprise.id.not_in(drawn)).limit(1))
    draw.selections[0].enterprise_id = other  # type: ignore[assignment]
    db_session.commit()
    bad = runner.invoke(cli_app, ["draw", "verify", str(draw.id), "--database-url", migrated_url])
    assert bad.exit_code == 1
    assert "抽查结果明细与记录的结果不一致" in bad.output

    # Editing the snapshot (e.g. removing an enterprise from the pool) breaks its hash.
    snapshot = json.loads(draw.pool_snapshot)
    snapshot["enterprises"].pop()
    draw.pool_snapshot = draws.canonical_json(snapshot)
    db_session.commit()
    result = draws.verify_draw(db_session, draw.id)
    assert not result.ok
    assert result.reason_zh == "对象库快照的哈希与抽取时记录的不一致"


@pytest.mark.parametrize(
    ("kwargs", "location"),
    [
        ({"enterprise_count": 0}, "enterprise_count"),
        ({"inspectors_per_enterprise": 1}, "inspectors_per_enterprise"),
        ({"seed": "not-hex"}, "seed"),
        ({"weights": {"high": 0}}, "weights.high"),
        ({"weights": {"vip": 2}}, "weights.vip"),
    ],
)
def test_bad_draw_parameters(kwargs: dict[str, object], location: str) -> None:
    from ecosentinel.database import create_engine, session_factory
    from ecosentinel.schema import metadata

    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with session_factory(engine)() as session:
        _pool(session, enterprises=3, officers=3)
        base: dict[str, object] = {"title": "t", "drawn_on": D(2026, 11, 2), "enterprise_count": 1}
        with pytest.raises(ValidationError) as info:
            draws.run_draw(session, SYSTEM, **{**base, **kwargs})  # type: ignore[arg-type]
    assert info.value.location == location


def test_draw_creates_tasks_for_its_inspectors(db_session: Session) -> None:
    from ecosentinel.enforcement.models import Task

    _pool(db_session, enterprises=4, officers=4)
    draw = draws.run_draw(db_session, SYSTEM, title="十一月抽查", drawn_on=D(2026, 11, 2), enterprise_count=2)
    created = draws.create_tasks_for_draw(db_session, SYSTEM, draw.id)
    assert len(created) == 2
    for selection in draw.selections:
        task = db_session.get(Task, selection.task_id)
        assert task is not None
        assert task.source == "random"
        assert task.enterprise_id == selection.enterprise_id
        assert [m.user_id for m in task.members] == [i.user_id for i in selection.inspectors]
    assert draws.create_tasks_for_draw(db_session, SYSTEM, draw.id) == []  # already linked
