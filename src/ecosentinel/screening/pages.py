"""Web UI pages of screening: findings list (scoped), finding detail with evidence (audited), runs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.detection import messages
from ecosentinel.errors import ValidationError
from ecosentinel.readings import CST
from ecosentinel.screening import service
from ecosentinel.web.deps import client_ip, get_db, require
from ecosentinel.web.jobs import runner_of
from ecosentinel.web.ui import page, redirect, register_nav

router = APIRouter(include_in_schema=False)

register_nav(messages.NAV_FINDINGS, "/screening", Perm.FINDINGS_READ, order=200)

Db = Annotated[Session, Depends(get_db, scope="function")]
PAGE_SIZE = 100


def _day(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError(messages.BAD_TIME.format(value=value), location=name) from None
    return dt.datetime.combine(day, dt.time(), tzinfo=CST)


@router.get("/screening", response_class=HTMLResponse)
def findings_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.FINDINGS_READ))],
    db: Db,
    mn: str | None = None,
    min_severity: str | None = None,
    since: str | None = None,
    until: str | None = None,
    offset: int = 0,
) -> HTMLResponse:
    """Findings the caller may see, newest first, with filters; the latest runs for screening staff."""
    start = _day(since, "since")
    until_day = _day(until, "until")
    end = until_day + dt.timedelta(days=1) if until_day else None
    offset = max(0, offset)
    rows = service.list_findings(
        db,
        principal,
        mn=mn or None,
        min_severity=min_severity or None,
        since=start,
        until=end,
        limit=PAGE_SIZE,
        offset=offset,
    )
    count = service.count_findings(
        db, principal, mn=mn or None, min_severity=min_severity or None, since=start, until=end
    )
    can_run = principal.can(Perm.SCREENING_RUN)
    return page(
        request,
        "screening/findings.html",
        principal,
        title=messages.PAGE_FINDINGS,
        findings=rows,
        count=count,
        offset=offset,
        page_size=PAGE_SIZE,
        query={
            "mn": mn or "",
            "min_severity": min_severity or "",
            "since": since or "",
            "until": until or "",
        },
        severity_names=messages.SEVERITY_NAMES,
        mode_names=messages.MODE_NAMES,
        runs=service.list_runs(db, limit=10) if can_run else [],
        can_run=can_run,
    )


@router.get("/screening/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    finding_id: int,
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.FINDINGS_READ))],
    db: Db,
) -> HTMLResponse:
    """One finding: explanation, window, evidence (the view is recorded in the audit trail)."""
    row = service.get_finding(db, principal, finding_id, ip=client_ip(request))
    evidence = json.loads(row.evidence)
    return page(
        request,
        "screening/finding.html",
        principal,
        title=messages.PAGE_FINDING.format(id=row.id),
        finding=row,
        evidence=evidence,
        severity_names=messages.SEVERITY_NAMES,
    )


@router.post("/screening/runs")
def start_run_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.SCREENING_RUN))],
    db: Db,
    since: Annotated[str, Form(max_length=10)] = "",
    until: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse:
    """Start a screening pass from the findings page (window in whole CST days; empty = last 24 h)."""
    start = _day(since, "since")
    end_day = _day(until, "until")
    end = end_day + dt.timedelta(days=1) if end_day else None
    if (start is None) != (end is None):
        return redirect("/screening", flash=messages.RUN_NEEDS_BOTH, level="error")
    bind = db.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    run_id = service.start_background_run(
        runner_of(request),
        request.app.state.session_factory,
        engine.url.render_as_string(hide_password=False),
        principal=principal,
        start=start,
        end=end,
        ip=client_ip(request),
    )
    return redirect("/screening", flash=messages.RUN_STARTED.format(id=run_id))
