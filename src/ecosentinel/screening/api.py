"""Screening API (prefix /api/screening): findings, point/enterprise-day scores, runs. Routes stay thin.

Findings and scores are scoped (an enterprise sees only its own points, an O&M agency the points it
maintains); viewing one finding's evidence is recorded in the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.readings import CST
from ecosentinel.registry.scope import check_mn
from ecosentinel.screening import service
from ecosentinel.screening.schemas import (
    EnterpriseDayScoreOut,
    FindingDetail,
    FindingOut,
    Meta,
    Page,
    PointDayScoreOut,
    RunOut,
    RunRequest,
    RunStarted,
    enterprise_score_page,
    score_page,
)
from ecosentinel.web.deps import client_ip, get_db, require
from ecosentinel.web.jobs import runner_of

router = APIRouter(prefix="/api/screening", tags=["screening"])

Db = Annotated[Session, Depends(get_db, scope="function")]
Reader = Annotated[Principal, Depends(require(Perm.FINDINGS_READ))]
Runner = Annotated[Principal, Depends(require(Perm.SCREENING_RUN))]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Query times without an offset are China Standard Time."""
    if value is None:
        return None
    return value.replace(tzinfo=CST) if value.tzinfo is None else value


@router.get("/findings")
def list_findings(
    db: Db,
    principal: Reader,
    mn: str | None = None,
    enterprise_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    min_severity: str | None = Query(None, description="low | medium | high"),
    rule: str | None = Query(None, description="R04 or R04_post_exceedance_drop"),
    run_id: int | None = Query(None, description="findings first found by this run"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> Page[FindingOut]:
    """Findings overlapping [since, until), newest first (scoped to what the caller may see)."""
    filters = {
        "mn": mn,
        "enterprise_id": enterprise_id,
        "since": _aware(since),
        "until": _aware(until),
        "min_severity": min_severity,
        "rule": rule,
        "run_id": run_id,
    }
    rows = service.list_findings(db, principal, limit=limit, offset=offset, **filters)  # type: ignore[arg-type]
    count = service.count_findings(db, principal, **filters)  # type: ignore[arg-type]
    return Page[FindingOut](
        meta=Meta(count=count, limit=limit, offset=offset), results=[FindingOut.of(r) for r in rows]
    )


@router.get("/findings/{finding_id}")
def get_finding(finding_id: int, request: Request, db: Db, principal: Reader) -> FindingDetail:
    """One finding with evidence and explanation (the view is audit-recorded)."""
    return FindingDetail.detail(service.get_finding(db, principal, finding_id, ip=client_ip(request)))


@router.get("/scores/points")
def point_day_scores(
    db: Db,
    principal: Reader,
    day: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    mn: str | None = None,
    enterprise_id: int | None = None,
    colour: Annotated[list[str] | None, Query(description="green | yellow | red, repeatable")] = None,
) -> Page[PointDayScoreOut]:
    """Point-day warning scores and colours (days are China Standard Time; absent point-days are green)."""
    rows = service.day_scores(
        db, principal, day=day, since=since, until=until, mn=mn, enterprise_id=enterprise_id, colours=colour
    )
    return score_page(rows)


@router.get("/scores/enterprises")
def enterprise_day_scores(
    db: Db,
    principal: Reader,
    day: dt.date | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    enterprise_id: int | None = None,
) -> Page[EnterpriseDayScoreOut]:
    """Enterprise-day warning scores and colours."""
    rows = service.enterprise_day_scores(
        db, principal, day=day, since=since, until=until, enterprise_id=enterprise_id
    )
    return enterprise_score_page(rows)


@router.get("/runs")
def list_runs(
    db: Db,
    principal: Runner,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[RunOut]:
    """Screening runs, newest first."""
    rows = service.list_runs(db, limit=limit, offset=offset)
    return Page[RunOut](
        meta=Meta(count=len(rows), limit=limit, offset=offset), results=[RunOut.of(r) for r in rows]
    )


@router.get("/runs/{run_id}")
def get_run(run_id: int, db: Db, principal: Runner) -> RunOut:
    """One run: status (running / succeeded / failed) and progress (points_done of points)."""
    return RunOut.of(service.get_run(db, run_id))


@router.post("/runs", status_code=202)
def start_run(body: RunRequest, request: Request, db: Db, principal: Runner) -> RunStarted:
    """Start a screening pass in the background; poll ``status_url`` for its progress."""
    for mn in body.points or ():
        check_mn(db, principal, mn)
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    url = engine.url.render_as_string(hide_password=False)
    run_id = service.start_background_run(
        runner_of(request),
        request.app.state.session_factory,
        url,
        principal=principal,
        start=_aware(body.start),
        end=_aware(body.end),
        mns=body.points,
        workers=body.workers,
        ip=client_ip(request),
    )
    return RunStarted(run_id=run_id, status_url=f"/api/screening/runs/{run_id}")
