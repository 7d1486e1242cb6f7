"""Reviewed rule adjustments: proposed with the outcome counts as basis, approved or rejected only by someone
else holding adjustments.approve, every step audited, and only approved ones loaded as screening context."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.audit.service import verify
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement.outcomes import propose_adjustment, suggest_adjustments
from ecosentinel.enforcement.warnings import dismiss_warning
from ecosentinel.errors import PermissionDeniedError, ValidationError
from ecosentinel.screening.adjustments import (
    Adjustment,
    approve,
    approved_adjustments,
    list_adjustments,
    reject,
    revoke,
)
from tests.enforcement.test_outcomes import ANALYST, MN_A, MN_B, OFFICER, R05, inspected, warning_on
from tests.enforcement.test_warnings import DAY, seed_point

LEADER = Principal(user_id=None, username="leader-zhao", display_name="赵局", role=Role.LEADER)
ADMIN = Principal(user_id=None, username="admin", display_name="管理员", role=Role.ADMIN)


def five_false_alarms(session: Session, mn: str = MN_A) -> None:
    """Five R05 warnings at ``mn`` dismissed as false alarms."""
    for k in range(5):
        w = warning_on(session, mn, DAY + dt.timedelta(days=3 * k), [R05])
        dismiss_warning(session, ANALYST, w.id, reason="数据正常", category="false_alarm")
    session.commit()


def _actions(session: Session) -> list[tuple[str, str | None]]:
    rows = session.execute(
        sa.select(AuditEntry.action, AuditEntry.entity_id)
        .where(AuditEntry.entity == "rule_adjustment")
        .order_by(AuditEntry.id)
    )
    return [(a, e) for a, e in rows]


def test_suggestions_list_unreliable_pairs_and_are_never_applied(db_session: Session) -> None:
    seed_point(db_session, MN_A)
    seed_point(db_session, MN_B, "91330400MA2B00002X")
    five_false_alarms(db_session)
    w = warning_on(db_session, MN_B, DAY, [R05])
    inspected(db_session, w, "confirmed")
    db_session.commit()
    suggestions = suggest_adjustments(db_session, ANALYST)
    assert [(s.mn, s.rule, s.kind) for s in suggestions] == [(MN_A, R05, "cap_yellow")]
    assert suggestions[0].basis.reliability == pytest.approx(1 / 7)
    assert suggestions[0].title_zh == "样品稀释"
    assert approved_adjustments(db_session) == {}  # a suggestion changes nothing
    assert suggest_adjustments(db_session, ANALYST, min_n=6) == []
    propose_adjustment(db_session, ANALYST, mn=MN_A, rule="R05", kind="cap_yellow", reason="5 次均为误报")
    assert suggest_adjustments(db_session, ANALYST) == []  # proposed already


def test_proposal_review_and_what_screening_loads(db_session: Session) -> None:
    seed_point(db_session, MN_A)
    five_false_alarms(db_session)
    with pytest.raises(PermissionDeniedError):  # leaders approve, they do not propose
        propose_adjustment(db_session, LEADER, mn=MN_A, rule="R05", kind="cap_yellow", reason="x")
    with pytest.raises(ValidationError, match="未知的筛查规则") as err:
        propose_adjustment(db_session, ANALYST, mn=MN_A, rule="R99", kind="cap_yellow", reason="x")
    assert err.value.location == "rule"
    with pytest.raises(ValidationError, match="点位 0000 不存在"):
        propose_adjustment(db_session, ANALYST, mn="0000", rule="R05", kind="cap_yellow", reason="x")
    with pytest.raises(ValidationError, match="必须说明理由"):
        propose_adjustment(db_session, ANALYST, mn=MN_A, rule="R05", kind="cap_yellow", reason=" ")
    with pytest.raises(ValidationError, match="不带参数"):
        propose_adjustment(
            db_session,
            ANALYST,
            mn=MN_A,
            rule="R05",
            kind="cap_yellow",
            params={"drop_ratio": 0.3},
            reason="x",
        )
    with pytest.raises(ValidationError, match="参数无效") as err:
        propose_adjustment(
            db_session,
            ANALYST,
            mn=MN_A,
            rule="R05",
            kind="raise_threshold",
            params={"no_such": 1},
            reason="x",
        )
    assert err.value.location == "params"
    with pytest.raises(ValidationError, match="不能停用规则"):
        propose_adjustment(
            db_session,
            ANALYST,
            mn=MN_A,
            rule="R05",
            kind="raise_threshold",
            params={"enabled": False},
            reason="x",
        )

    cap = propose_adjustment(
        db_session, ANALYST, mn=MN_A, rule="R05", kind="cap_yellow", reason="5 次均为误报"
    )
    assert (cap.rule, cap.status, cap.proposed_by) == (R05, "proposed", "analyst-wang")
    assert (cap.basis_confirmed, cap.basis_not_confirmed, cap.basis_excluded) == (0, 5, 0)
    assert cap.basis_reliability == pytest.approx(1 / 7)
    with pytest.raises(ValidationError, match="已有一项同类调整待审核"):
        propose_adjustment(db_session, OFFICER, mn=MN_A, rule=R05, kind="cap_yellow", reason="再提一次")
    assert approved_adjustments(db_session) == {}  # proposed is not applied

    for not_approver in (ANALYST, OFFICER):
        with pytest.raises(PermissionDeniedError):
            approve(db_session, not_approver, cap.id, note="同意")
        with pytest.raises(PermissionDeniedError):
            reject(db_session, not_approver, cap.id, note="不同意")
    with pytest.raises(ValidationError, match="必须填写审核意见") as err:
        approve(db_session, LEADER, cap.id, note="")
    assert err.value.location == "note"
    approve(db_session, LEADER, cap.id, note="同意，半年后复核")
    assert (cap.status, cap.reviewed_by, cap.review_note) == ("approved", "leader-zhao", "同意，半年后复核")
    with pytest.raises(ValidationError, match="不能再审核"):
        reject(db_session, LEADER, cap.id, note="改主意")

    raise_ = propose_adjustment(
        db_session,
        OFFICER,
        mn=MN_A,
        rule="R05_dilution",
        kind="raise_threshold",
        params={"drop_ratio": 0.3},
        reason="雨季进水稀释明显",
    )
    approve(db_session, LEADER, raise_.id, note="同意")
    assert approved_adjustments(db_session, [MN_A]) == {
        MN_A: {
            R05: Adjustment(
                mn=MN_A,
                rule=R05,
                cap_yellow=True,
                params={"drop_ratio": 0.3},
                adjustment_ids=(cap.id, raise_.id),
            )
        }
    }
    assert approved_adjustments(db_session, [MN_B]) == {}
    assert approved_adjustments(db_session, []) == {}

    # a newer approved adjustment of the same kind supersedes the older one
    lower = propose_adjustment(
        db_session,
        ANALYST,
        mn=MN_A,
        rule="R05",
        kind="raise_threshold",
        params={"drop_ratio": 0.25},
        reason="仍有误报",
    )
    approve(db_session, LEADER, lower.id, note="同意")
    assert raise_.status == "superseded"
    assert raise_.ended_by == "leader-zhao"
    loaded = approved_adjustments(db_session)[MN_A][R05]
    assert (loaded.cap_yellow, dict(loaded.params), loaded.adjustment_ids) == (
        True,
        {"drop_ratio": 0.25},
        (cap.id, lower.id),
    )

    with pytest.raises(ValidationError, match="必须填写审核意见"):
        revoke(db_session, LEADER, cap.id, note=None)
    revoke(db_session, LEADER, cap.id, note="设备已更换，恢复原规则")
    assert approved_adjustments(db_session)[MN_A][R05].cap_yellow is False

    rejected = propose_adjustment(db_session, ANALYST, mn=MN_A, rule="R05", kind="cap_yellow", reason="再试")
    reject(db_session, LEADER, rejected.id, note="证据不足")
    assert rejected.status == "rejected"
    assert approved_adjustments(db_session)[MN_A][R05].cap_yellow is False
    db_session.commit()

    assert _actions(db_session) == [
        ("propose", str(cap.id)),
        ("approved", str(cap.id)),
        ("propose", str(raise_.id)),
        ("approved", str(raise_.id)),
        ("propose", str(lower.id)),
        ("approved", str(lower.id)),
        ("superseded", str(raise_.id)),
        ("revoked", str(cap.id)),
        ("propose", str(rejected.id)),
        ("rejected", str(rejected.id)),
    ]
    approved_entry = db_session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity == "rule_adjustment", AuditEntry.action == "approved")
    ).first()
    assert approved_entry is not None
    detail = json.loads(approved_entry.detail)
    assert detail["basis"]["not_confirmed"] == 5
    assert detail["note"] == "同意，半年后复核"
    assert approved_entry.username == "leader-zhao"
    assert verify(db_session).ok


def test_nobody_reviews_their_own_proposal(db_session: Session) -> None:
    seed_point(db_session, MN_A)
    own = propose_adjustment(db_session, ADMIN, mn=MN_A, rule="R09", kind="cap_yellow", reason="缺数多为停产")
    with pytest.raises(ValidationError, match="不能审核自己提出的规则调整"):
        approve(db_session, ADMIN, own.id, note="同意")
    assert own.status == "proposed"
    approve(db_session, LEADER, own.id, note="同意")
    assert own.status == "approved"


def test_an_enterprise_never_sees_another_enterprises_adjustments(db_session: Session) -> None:
    point_a = seed_point(db_session, MN_A)
    seed_point(db_session, MN_B, "91330400MA2B00002X")
    propose_adjustment(db_session, ANALYST, mn=MN_A, rule="R05", kind="cap_yellow", reason="a")
    propose_adjustment(db_session, ANALYST, mn=MN_B, rule="R05", kind="cap_yellow", reason="b")
    enterprise_a = Principal(
        user_id=None,
        username="ent-a",
        display_name="",
        role=Role.ENTERPRISE,
        enterprise_id=point_a.enterprise_id,
    )
    assert [a.mn for a in list_adjustments(db_session, enterprise_a)] == [MN_A]
    assert sorted(a.mn for a in list_adjustments(db_session, ANALYST)) == [MN_A, MN_B]
