"""Double-random selection (双随机、一公开, seed 001): enterprises and inspectors drawn reproducibly.

The draw is a pure function of three recorded things: the seed, the pool snapshot (enterprises with their
risk weight and positive-list exemption, officers, conflicts) and the parameters. Anyone holding them can
re-run it:

* algorithm ``es-draw-v1``. For each candidate enterprise ``e`` with integer weight ``w`` (差异化监管:
  high-risk and recently flagged enterprises weigh more), its key is
  ``min_k H("es-draw-v1|<seed>|e|<id>|<k>")`` over ``k = 0..w-1``, where ``H`` is SHA-256 read as a
  big-endian integer. The ``n`` smallest keys are drawn (ties by id). Taking the minimum of ``w`` uniform
  tickets is weighted sampling without replacement (an enterprise of weight 3 holds three lottery tickets),
  and it needs only integer arithmetic, so every platform agrees.
* For each drawn enterprise in rank order, officers without a conflict for it (e.g. those who inspected it
  the last time) are ordered by (assignments so far in this draw,
  ``H("es-draw-v1|<seed>|i|<enterprise>|<user>")``) and the first ``k`` are taken, spreading the work evenly.

Positive-list enterprises (正面清单) are in the snapshot, marked exempt, and never drawn.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.audit.service import record
from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import Principal
from ecosentinel.enforcement import tasks
from ecosentinel.enforcement.ledger import messages as msg
from ecosentinel.enforcement.ledger.models import (
    DrawInspector,
    DrawSelection,
    InspectionPlan,
    LedgerProblem,
    RandomDraw,
)
from ecosentinel.enforcement.models import EnforcementWarning, Task, TaskMember
from ecosentinel.enforcement.plans import positive_list
from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.registry.models import Enterprise
from ecosentinel.screening.models import EnterpriseDayScore

logger = logging.getLogger(__name__)

ALGORITHM = "es-draw-v1"
DEFAULT_WEIGHTS = {"high": 3, "flagged": 2, "normal": 1}
DEFAULT_RISK_WINDOW_DAYS = 90
MAX_WEIGHT = 20
_SEED_RE = re.compile(r"^[0-9a-f]{1,64}$")


class Risk(StrEnum):
    """Differentiated-supervision class of an enterprise at draw time (差异化监管)."""

    HIGH = "high"  # a red warning / red day score in the window
    FLAGGED = "flagged"  # a yellow one, or an open ledger problem
    NORMAL = "normal"


RISK_ZH: dict[Risk, str] = {
    Risk.HIGH: msg.RISK_HIGH,
    Risk.FLAGGED: msg.RISK_FLAGGED,
    Risk.NORMAL: msg.RISK_NORMAL,
}


def canonical_json(value: Any) -> str:
    """The one JSON form that is hashed and stored (sorted keys, no spaces, UTF-8 text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _ticket(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(str(p) for p in parts).encode()).digest(), "big")


def new_seed() -> str:
    """A fresh 128-bit seed as 32 hex characters."""
    return secrets.token_hex(16)


def normalise_seed(seed: str) -> str:
    value = seed.strip().lower()
    if not _SEED_RE.match(value):
        raise ValidationError(msg.DRAW_SEED_INVALID.format(value=seed), location="seed")
    return value


def compute_draw(seed: str, snapshot: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Run algorithm ``es-draw-v1`` on a pool snapshot: pure, deterministic, no I/O."""
    count = int(params["enterprise_count"])
    per = int(params["inspectors_per_enterprise"])
    candidates = [e for e in snapshot["enterprises"] if not e["exempt"]]
    if not candidates:
        raise ValidationError(msg.DRAW_POOL_EMPTY, location="enterprise_count")
    if count > len(candidates):
        raise ValidationError(
            msg.DRAW_POOL_TOO_SMALL.format(pool=len(candidates), count=count), location="enterprise_count"
        )
    keyed = sorted(
        (min(_ticket(ALGORITHM, seed, "e", e["id"], k) for k in range(int(e["weight"]))), int(e["id"]), e)
        for e in candidates
    )
    conflicts: Mapping[str, Sequence[int]] = snapshot.get("conflicts", {})
    load: dict[int, int] = defaultdict(int)
    drawn: list[dict[str, Any]] = []
    for rank, (_key, eid, enterprise) in enumerate(keyed[:count], start=1):
        excluded = set(conflicts.get(str(eid), ()))
        available = [i for i in snapshot["inspectors"] if int(i["id"]) not in excluded]
        if len(available) < per:
            raise ValidationError(
                msg.DRAW_NO_INSPECTORS.format(
                    enterprise=enterprise["name"], available=len(available), needed=per
                ),
                location="inspectors_per_enterprise",
            )
        available.sort(key=lambda i: (load[int(i["id"])], _ticket(ALGORITHM, seed, "i", eid, i["id"])))
        chosen = available[:per]
        for inspector in chosen:
            load[int(inspector["id"])] += 1
        drawn.append(
            {
                "rank": rank,
                "id": eid,
                "name": enterprise["name"],
                "risk": enterprise["risk"],
                "inspectors": [{"id": int(i["id"]), "name": i["name"]} for i in chosen],
            }
        )
    return {"algorithm": ALGORITHM, "enterprises": drawn}


# --- building the pool -------------------------------------------------------------------------------------


def _risk_from_screening(session: Session, since: dt.date, until: dt.date) -> dict[int, Risk]:
    """Worst day colour per enterprise in [since, until) from the screening scores."""
    risks: dict[int, Risk] = {}
    rows = session.execute(
        sa.select(EnterpriseDayScore.enterprise_id, EnterpriseDayScore.colour)
        .where(EnterpriseDayScore.day >= since, EnterpriseDayScore.day < until)
        .where(EnterpriseDayScore.colour.in_(("red", "yellow")))
    )
    for enterprise_id, colour in rows:
        _raise_risk(risks, enterprise_id, Risk.HIGH if colour == "red" else Risk.FLAGGED)
    return risks


def _risk_from_warnings(session: Session, since: dt.date, until: dt.date) -> dict[int, Risk]:
    """Worst non-dismissed enforcement warning per enterprise created in the window, if any."""
    risks: dict[int, Risk] = {}
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    end = dt.datetime.combine(until, dt.time(), dt.UTC)
    rows = session.execute(
        sa.select(EnforcementWarning.enterprise_id, EnforcementWarning.colour)
        .where(EnforcementWarning.created_at >= start, EnforcementWarning.created_at < end)
        .where(EnforcementWarning.status != "dismissed", EnforcementWarning.enterprise_id.is_not(None))
    )
    for enterprise_id, colour in rows:
        if enterprise_id is not None and colour in ("red", "yellow"):
            _raise_risk(risks, enterprise_id, Risk.HIGH if colour == "red" else Risk.FLAGGED)
    return risks


def _raise_risk(risks: dict[int, Risk], enterprise_id: int, risk: Risk) -> None:
    order = {Risk.NORMAL: 0, Risk.FLAGGED: 1, Risk.HIGH: 2}
    if order[risk] > order[risks.get(enterprise_id, Risk.NORMAL)]:
        risks[enterprise_id] = risk


def enterprise_risks(session: Session, *, on: dt.date, window_days: int) -> dict[int, Risk]:
    """High / flagged enterprises on ``on``: screening day scores, warnings and open ledger problems."""
    since = on - dt.timedelta(days=window_days)
    risks = _risk_from_screening(session, since, on)
    for enterprise_id, risk in _risk_from_warnings(session, since, on).items():
        _raise_risk(risks, enterprise_id, risk)
    open_problems = session.scalars(
        sa.select(LedgerProblem.enterprise_id)
        .where(LedgerProblem.enterprise_id.is_not(None), LedgerProblem.rectified_on.is_(None))
        .where(LedgerProblem.found_on >= since, LedgerProblem.found_on < on)
    )
    for problem_enterprise in open_problems:
        if problem_enterprise is not None:
            _raise_risk(risks, problem_enterprise, Risk.FLAGGED)
    return risks


def _last_inspectors(session: Session, enterprise_ids: Sequence[int], before: dt.date) -> dict[int, set[int]]:
    """Per enterprise, the officers of its most recent earlier draw and of its most recent task (回避)."""
    conflicts: dict[int, set[int]] = defaultdict(set)
    latest = (
        sa.select(DrawSelection.enterprise_id, sa.func.max(DrawSelection.id).label("sel"))
        .join(RandomDraw, RandomDraw.id == DrawSelection.draw_id)
        .where(DrawSelection.enterprise_id.in_(enterprise_ids), RandomDraw.drawn_on <= before)
        .group_by(DrawSelection.enterprise_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(latest.c.enterprise_id, DrawInspector.user_id).join(
            DrawInspector, DrawInspector.selection_id == latest.c.sel
        )
    )
    for enterprise_id, user_id in rows:
        conflicts[enterprise_id].add(user_id)
    last_task = (
        sa.select(Task.enterprise_id, sa.func.max(Task.id).label("task"))
        .where(Task.enterprise_id.in_(enterprise_ids))
        .group_by(Task.enterprise_id)
        .subquery()
    )
    rows = session.execute(
        sa.select(last_task.c.enterprise_id, TaskMember.user_id).join(
            TaskMember, TaskMember.task_id == last_task.c.task
        )
    )
    for enterprise_id, user_id in rows:
        conflicts[enterprise_id].add(user_id)
    return conflicts


def _check_weights(weights: Mapping[str, int]) -> dict[str, int]:
    merged = {**DEFAULT_WEIGHTS, **weights}
    for name, value in merged.items():
        if name not in DEFAULT_WEIGHTS or not isinstance(value, int) or not 1 <= value <= MAX_WEIGHT:
            raise ValidationError(
                msg.DRAW_WEIGHT_INVALID.format(name=name, value=value), location=f"weights.{name}"
            )
    return merged


def build_pool(
    session: Session,
    *,
    drawn_on: dt.date,
    weights: Mapping[str, int],
    risk_window_days: int,
    enterprise_ids: Sequence[int] | None = None,
    extra_conflicts: Mapping[int, Sequence[int]] | None = None,
) -> dict[str, Any]:
    """Snapshot the pool on ``drawn_on``: enterprises with risk and exemption, officers, conflicts."""
    query = sa.select(Enterprise.id, Enterprise.name).order_by(Enterprise.id)
    if enterprise_ids is not None:
        query = query.where(Enterprise.id.in_(list(enterprise_ids)))
    enterprises = list(session.execute(query))
    exempt = {entry.enterprise_id for entry in positive_list(session, on=drawn_on)}
    risks = enterprise_risks(session, on=drawn_on, window_days=risk_window_days)
    officers = list(
        session.execute(
            sa.select(User.id, User.display_name)
            .where(User.role == Role.OFFICER.value, User.active.is_(True))
            .order_by(User.id)
        )
    )
    conflicts = _last_inspectors(session, [e.id for e in enterprises], drawn_on)
    for enterprise_id, user_ids in (extra_conflicts or {}).items():
        conflicts[enterprise_id].update(user_ids)
    return {
        "date": drawn_on.isoformat(),
        "enterprises": [
            {
                "id": e.id,
                "name": e.name,
                "risk": risks.get(e.id, Risk.NORMAL).value,
                "weight": weights[risks.get(e.id, Risk.NORMAL).value],
                "exempt": e.id in exempt,
            }
            for e in enterprises
        ],
        "inspectors": [{"id": o.id, "name": o.display_name} for o in officers],
        "conflicts": {str(k): sorted(v) for k, v in sorted(conflicts.items()) if v},
    }


# --- the draw record ---------------------------------------------------------------------------------------


def run_draw(
    session: Session,
    actor: Principal,
    *,
    title: str,
    drawn_on: dt.date,
    enterprise_count: int,
    inspectors_per_enterprise: int = 2,
    plan_id: int | None = None,
    seed: str | None = None,
    weights: Mapping[str, int] | None = None,
    risk_window_days: int = DEFAULT_RISK_WINDOW_DAYS,
    enterprise_ids: Sequence[int] | None = None,
    extra_conflicts: Mapping[int, Sequence[int]] | None = None,
    ip: str | None = None,
) -> RandomDraw:
    """Draw enterprises and inspectors, and record seed, snapshot, parameters and result (with hashes)."""
    if enterprise_count < 1:
        raise ValidationError(
            msg.DRAW_COUNT_POSITIVE.format(value=enterprise_count), location="enterprise_count"
        )
    if inspectors_per_enterprise < 2:
        raise ValidationError(
            msg.DRAW_INSPECTORS_MIN.format(value=inspectors_per_enterprise),
            location="inspectors_per_enterprise",
        )
    if plan_id is not None and session.get(InspectionPlan, plan_id) is None:
        raise ValidationError(msg.PLAN_NOT_FOUND.format(id=plan_id), location="plan_id")
    if not title.strip():
        raise ValidationError(msg.PLAN_TITLE_REQUIRED, location="title")
    used_seed = normalise_seed(seed) if seed is not None else new_seed()
    checked = _check_weights(weights or {})
    params = {
        "enterprise_count": enterprise_count,
        "inspectors_per_enterprise": inspectors_per_enterprise,
        "weights": checked,
        "risk_window_days": risk_window_days,
        "enterprise_ids": sorted(enterprise_ids) if enterprise_ids is not None else None,
    }
    snapshot = build_pool(
        session,
        drawn_on=drawn_on,
        weights=checked,
        risk_window_days=risk_window_days,
        enterprise_ids=enterprise_ids,
        extra_conflicts=extra_conflicts,
    )
    result = compute_draw(used_seed, snapshot, params)
    snapshot_text = canonical_json(snapshot)
    result_text = canonical_json(result)
    draw = RandomDraw(
        plan_id=plan_id,
        title=title.strip(),
        drawn_on=drawn_on,
        drawn_by=actor.username,
        algorithm=ALGORITHM,
        seed=used_seed,
        params=canonical_json(params),
        pool_snapshot=snapshot_text,
        snapshot_hash=sha256_hex(snapshot_text),
        result=result_text,
        result_hash=sha256_hex(result_text),
        selections=[
            DrawSelection(
                rank=e["rank"],
                enterprise_id=e["id"],
                enterprise_name=e["name"],
                inspectors=[DrawInspector(user_id=i["id"], display_name=i["name"]) for i in e["inspectors"]],
            )
            for e in result["enterprises"]
        ],
    )
    session.add(draw)
    session.flush()
    record(
        session,
        actor,
        "create",
        "random_draw",
        draw.id,
        msg.AUDIT_DRAW_CREATED.format(id=draw.id, count=len(draw.selections), seed=used_seed),
        {
            "seed": used_seed,
            "algorithm": ALGORITHM,
            "snapshot_hash": draw.snapshot_hash,
            "result_hash": draw.result_hash,
            "enterprises": [e["id"] for e in result["enterprises"]],
        },
        ip=ip,
    )
    logger.info("draw %s: %d enterprises, seed %s", draw.id, len(draw.selections), used_seed)
    return draw


def get_draw(session: Session, draw_id: int) -> RandomDraw:
    draw = session.get(
        RandomDraw,
        draw_id,
        options=[selectinload(RandomDraw.selections).selectinload(DrawSelection.inspectors)],
    )
    if draw is None:
        raise NotFoundError(msg.DRAW_NOT_FOUND.format(id=draw_id))
    return draw


def list_draws(
    session: Session, *, plan_id: int | None = None, published_only: bool = False
) -> list[RandomDraw]:
    query = sa.select(RandomDraw).options(
        selectinload(RandomDraw.selections).selectinload(DrawSelection.inspectors)
    )
    if plan_id is not None:
        query = query.where(RandomDraw.plan_id == plan_id)
    if published_only:
        query = query.where(RandomDraw.published_at.is_not(None))
    return list(session.scalars(query.order_by(RandomDraw.drawn_on.desc(), RandomDraw.id.desc())))


@dataclass(frozen=True)
class DrawVerification:
    """Outcome of re-running a draw from its recorded seed and snapshot."""

    draw_id: int
    ok: bool
    seed: str
    recorded_hash: str
    recomputed_hash: str | None
    reason_zh: str | None

    @property
    def message_zh(self) -> str:
        if self.ok:
            return msg.DRAW_VERIFY_OK.format(seed=self.seed, result_hash=self.recorded_hash)
        return msg.DRAW_VERIFY_FAIL.format(reason=self.reason_zh)


def verify_draw(
    session: Session, draw_id: int, *, actor: Principal | None = None, ip: str | None = None
) -> DrawVerification:
    """Re-run the draw from its seed, snapshot and parameters; compare with what was recorded."""
    draw = get_draw(session, draw_id)
    if draw.algorithm != ALGORITHM:
        raise ValidationError(
            msg.DRAW_ALGORITHM_UNKNOWN.format(algorithm=draw.algorithm), location="algorithm"
        )

    def outcome(ok: bool, recomputed: str | None, reason: str | None) -> DrawVerification:
        result = DrawVerification(draw.id, ok, draw.seed, draw.result_hash, recomputed, reason)
        if actor is not None:
            record(
                session,
                actor,
                "verify",
                "random_draw",
                draw.id,
                msg.AUDIT_DRAW_VERIFIED.format(id=draw.id, outcome="通过" if ok else "不通过"),
                {"ok": ok, "recomputed_hash": recomputed, "reason": reason},
                ip=ip,
            )
        return result

    if sha256_hex(draw.pool_snapshot) != draw.snapshot_hash:
        return outcome(False, None, msg.DRAW_VERIFY_SNAPSHOT)
    recomputed = canonical_json(
        compute_draw(draw.seed, json.loads(draw.pool_snapshot), json.loads(draw.params))
    )
    recomputed_hash = sha256_hex(recomputed)
    if recomputed != draw.result or recomputed_hash != draw.result_hash:
        return outcome(False, recomputed_hash, msg.DRAW_VERIFY_RESULT)
    stored = [
        (s.rank, s.enterprise_id, [i.user_id for i in s.inspectors])
        for s in sorted(draw.selections, key=lambda s: s.rank)
    ]
    expected = [
        (e["rank"], e["id"], [i["id"] for i in e["inspectors"]])
        for e in json.loads(recomputed)["enterprises"]
    ]
    if stored != expected:
        return outcome(False, recomputed_hash, msg.DRAW_VERIFY_SELECTIONS)
    return outcome(True, recomputed_hash, None)


def publish_draw(session: Session, actor: Principal, draw_id: int, *, ip: str | None = None) -> RandomDraw:
    """Publish a draw's result on the public pages (一公开)."""
    draw = get_draw(session, draw_id)
    if draw.published_at is not None:
        raise ValidationError(msg.DRAW_ALREADY_PUBLISHED.format(id=draw_id), location="draw_id")
    draw.published_at = dt.datetime.now(dt.UTC)
    session.flush()
    record(
        session,
        actor,
        "publish",
        "random_draw",
        draw.id,
        msg.AUDIT_DRAW_PUBLISHED.format(id=draw.id),
        {},
        ip=ip,
    )
    return draw


def record_selection_result(
    session: Session,
    actor: Principal,
    selection_id: int,
    *,
    inspected_on: dt.date,
    outcome: str,
    problems_found: int = 0,
    ip: str | None = None,
) -> DrawSelection:
    """Record the inspection outcome of a drawn enterprise (published with the draw)."""
    selection = session.get(DrawSelection, selection_id)
    if selection is None:
        raise NotFoundError(msg.SELECTION_NOT_FOUND.format(id=selection_id))
    if problems_found < 0:
        raise ValidationError(msg.PLANNED_NEGATIVE, location="problems_found")
    selection.inspected_on = inspected_on
    selection.outcome = outcome.strip()
    selection.problems_found = problems_found
    session.flush()
    record(
        session,
        actor,
        "update",
        "draw_selection",
        selection.id,
        msg.AUDIT_SELECTION_RESULT.format(id=selection.id, enterprise=selection.enterprise_name),
        {"inspected_on": inspected_on, "problems_found": problems_found},
        ip=ip,
    )
    return selection


def create_tasks_for_draw(
    session: Session,
    actor: Principal,
    draw_id: int,
    *,
    deadline: dt.datetime | None = None,
    ip: str | None = None,
) -> list[int]:
    """Create one enforcement task per drawn enterprise (source: random).

    Returns the new task ids; selections already linked are skipped.
    """
    draw = get_draw(session, draw_id)
    created: list[int] = []
    for selection in draw.selections:
        if selection.task_id is not None:
            continue
        task = tasks.create_task(
            session,
            actor,
            title=f"{draw.title}：{selection.enterprise_name}",
            source="random",
            source_ref=f"draw:{draw.id}",
            enterprise_id=selection.enterprise_id,
            description=f"双随机抽查（抽查 {draw.id}，种子 {draw.seed}）",
            assignees=[i.user_id for i in selection.inspectors],
            deadline=deadline,
            ip=ip,
        )
        selection.task_id = int(task.id)
        created.append(selection.task_id)
    if created:
        session.flush()
        record(
            session,
            actor,
            "create",
            "random_draw",
            draw.id,
            msg.AUDIT_TASKS_CREATED.format(id=draw.id, count=len(created)),
            {"task_ids": created},
            ip=ip,
        )
    return created
