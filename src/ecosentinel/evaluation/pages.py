"""Web UI pages of the O&M quarterly assessment and the enterprise evaluation, on the layout of ``web.ui``.

Staff pages: quarterly assessments, enterprise evaluations.
Public pages (no login): the published O&M ranking and the published enterprise evaluations (环保脸谱).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from ecosentinel.auth.roles import Perm
from ecosentinel.auth.service import Principal
from ecosentinel.errors import EcoSentinelError
from ecosentinel.evaluation import messages as evaluation_messages
from ecosentinel.evaluation import om_assessment as service
from ecosentinel.evaluation import service as evaluation_service
from ecosentinel.evaluation.inputs import enforcement_open_cases
from ecosentinel.om import messages
from ecosentinel.web.deps import get_db, optional_principal, public, require
from ecosentinel.web.ui import error_flash, page, register_nav, register_public_link

router = APIRouter(include_in_schema=False)

register_nav("运维考核", "/om/assessments", Perm.OM_READ, order=71)
register_nav("环保脸谱", "/evaluation", Perm.EVALUATION_READ, order=72)
register_public_link("运维单位考核排名", "/public/om-ranking", "自动监控运维单位季度考核与信用等级", order=30)
register_public_link(
    "企业环保脸谱", "/public/evaluation", "排污单位自动监控安装、联网、运行与数据质量评价", order=31
)

Db = Annotated[Session, Depends(get_db, scope="function")]


@router.get("/om/assessments", response_class=HTMLResponse)
def assessments_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.OM_READ))],
    db: Db,
    quarter: str | None = None,
) -> HTMLResponse:
    """Quarterly assessments with every input (an agency sees only its own)."""
    try:
        rows = service.list_assessments(db, principal, quarter=quarter or None)
    except EcoSentinelError as exc:
        return page(
            request,
            "om/assessments.html",
            principal,
            title="运维考核",
            rows=[],
            quarter=quarter,
            grades=messages.GRADE_ZH,
            flash=[error_flash(exc, request)],
        )
    return page(
        request,
        "om/assessments.html",
        principal,
        title="运维考核",
        rows=[service.assessment_read(r) for r in rows],
        quarter=quarter or "",
        grades=messages.GRADE_ZH,
    )


@router.get("/evaluation", response_class=HTMLResponse)
def evaluations_page(
    request: Request,
    principal: Annotated[Principal, Depends(require(Perm.EVALUATION_READ))],
    db: Db,
    period: str | None = None,
) -> HTMLResponse:
    """Enterprise evaluations with their inputs (an enterprise sees only its own history)."""
    try:
        rows = evaluation_service.list_evaluations(db, principal, period_name=period or None)
    except EcoSentinelError as exc:
        rows = []
        flash = [error_flash(exc, request)]
    else:
        flash = []
    return page(
        request,
        "evaluation/staff.html",
        principal,
        title="环保脸谱（企业评价）",
        rows=[evaluation_service.evaluation_read(r) for r in rows],
        period=period or "",
        grades=evaluation_messages.GRADE_ZH,
        colours=evaluation_messages.COLOUR_ZH,
        flash=flash,
    )


@router.get("/public/om-ranking", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_ranking_page(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)], db: Db
) -> HTMLResponse:
    """The published ranking of O&M agencies (no login)."""
    return page(
        request,
        "om/public_ranking.html",
        principal,
        title="运维单位考核排名",
        ranking=service.published_ranking(db),
        grades=messages.GRADE_ZH,
    )


@router.get("/public/evaluation", response_class=HTMLResponse, dependencies=[Depends(public)])
def public_evaluation_page(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)], db: Db
) -> HTMLResponse:
    """The published enterprise evaluations (环保脸谱, no login). An enterprise with a case open now is listed
    last, its published score withheld while the case runs (评价复核中), never ranked as 优/绿脸."""
    rows = [evaluation_service.public_read(r) for r in evaluation_service.published(db)]
    held = enforcement_open_cases(db, [r.enterprise_id for r in rows], dt.datetime.now(dt.UTC))
    rows = [r for r in rows if r.enterprise_id not in held] + [r for r in rows if r.enterprise_id in held]
    return page(
        request,
        "evaluation/public.html",
        principal,
        title="企业环保脸谱",
        rows=rows,
        held=held,
        grades=evaluation_messages.GRADE_ZH,
        colours=evaluation_messages.COLOUR_ZH,
    )
