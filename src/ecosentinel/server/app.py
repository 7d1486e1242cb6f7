"""The FastAPI application served by ``ecosentinel serve`` beside the HJ 212 receiver.

Every route declares who may call it: ``Depends(public)`` or ``Depends(require(Perm.X))`` (see
``ecosentinel.web.deps``). Each area contributes one ``router`` in its ``api`` module (listed in
``ROUTERS``); domain errors map to HTTP statuses with the Chinese message (and where, for bad input).
"""

from __future__ import annotations

import datetime as dt
import html
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from ecosentinel.audit import api as audit_api
from ecosentinel.auth.service import LoginLockedError
from ecosentinel.config import Settings, get_settings
from ecosentinel.enforcement import api as enforcement_api
from ecosentinel.enforcement import outcomes_api as enforcement_outcomes_api
from ecosentinel.enforcement import outcomes_pages as enforcement_outcomes_pages
from ecosentinel.enforcement import pages as enforcement_pages
from ecosentinel.enforcement import response_pages as enforcement_response_pages
from ecosentinel.enforcement.credit import api as enforcement_credit_api
from ecosentinel.enforcement.credit import pages as enforcement_credit_pages
from ecosentinel.enforcement.ledger import pages as enforcement_ledger_pages
from ecosentinel.errors import AuthError, NotFoundError, PermissionDeniedError, ValidationError
from ecosentinel.evaluation import api as evaluation_api
from ecosentinel.evaluation import om_api as evaluation_om_api
from ecosentinel.evaluation import pages as evaluation_pages
from ecosentinel.ingest.server import IngestStats
from ecosentinel.interop import api as interop_api
from ecosentinel.interop import pages as interop_pages
from ecosentinel.jobs import JobRunner
from ecosentinel.om import api as om_api
from ecosentinel.om import pages as om_pages
from ecosentinel.readings import CST
from ecosentinel.registry import api as registry_api
from ecosentinel.registry import pages as registry_pages
from ecosentinel.reporting import api as reporting_api
from ecosentinel.reporting import monthly as reporting_monthly
from ecosentinel.reporting import pages as reporting_pages
from ecosentinel.reporting.service import TooManyRequestsError
from ecosentinel.screening import api as screening_api
from ecosentinel.screening import pages as screening_pages
from ecosentinel.server import auth_api, data_api, pages
from ecosentinel.web import jobs, messages, security, ui
from ecosentinel.web.deps import public

ONLINE_WINDOW_S = 600.0

ROUTERS = (
    auth_api.router,  # login, logout, me, users
    jobs.router,  # background-job progress
    data_api.router,  # station series for the curves
    audit_api.router,  # audit trail search, interference register
    screening_api.router,  # findings, screening runs, point-day scores
    registry_api.router,  # enterprises, points, devices, permits, meters, doors, cameras, events
    om_api.router,  # O&M records, faults, spare parts, violations
    evaluation_om_api.router,  # O&M quarterly assessments and the ranking
    evaluation_api.router,  # enterprise evaluation
    enforcement_api.router,  # warnings, tasks, inspections, ledger, cases, plans, reports, disclosure
    enforcement_outcomes_api.router,  # warning outcomes, rule reliability, reviewed rule adjustments
    interop_api.router,  # forwarding targets, remote commands, back-fill, validity statistics
    enforcement_credit_api.router,  # joint-punishment credit records, their export and public list
    reporting_api.router,  # public reports (举报): public form and tracking, staff triage
    pages.router,  # the Chinese web UI: layout, login, dashboard, station, audit, public pages
    screening_pages.router,  # UI pages of each area (on the layout of ecosentinel.web.ui)
    registry_pages.router,
    om_pages.router,
    interop_pages.router,
    evaluation_pages.router,
    enforcement_pages.router,
    enforcement_ledger_pages.router,
    enforcement_outcomes_pages.router,
    enforcement_credit_pages.router,
    reporting_pages.router,
    enforcement_response_pages.router,  # enterprises answer their warnings
)
"""Every area's router, included in this order."""


class IngestView(Protocol):
    """What the web app shows of the receiver: an ``IngestServer`` in this process, or the
    ``ReceiverPool`` of receiver processes (their counters summed)."""

    @property
    def stats(self) -> IngestStats: ...


class IngestStatus(BaseModel):
    points_configured: int
    points_online: int
    connections: int
    packets_stored: int
    packets_rejected: int
    frames_bad: int
    last_packet_at: dt.datetime | None


def _error(status: int, exc: Exception, location: str | None = None) -> JSONResponse:
    body: dict[str, str] = {"detail": str(exc)}
    if location:
        body["location"] = location
    return JSONResponse(status_code=status, content=body)


def create_app(
    *,
    session_factory: sessionmaker[Session],
    ingest: IngestView | None = None,
    points_configured: Callable[[], int] = lambda: 0,
    jobs: JobRunner | None = None,
    settings: Settings | None = None,
) -> FastAPI:
    """Build the web application on a database; ``ingest`` is the running receiver whose status it shows.

    ``jobs`` is the process's job runner (background screening runs, imports, reports); without one the app
    makes its own and shuts it down with itself.
    """
    # /docs is served below from local Swagger UI files (users are often on isolated networks: no CDN);
    # ReDoc would load its script from a CDN, so it is off.
    app = FastAPI(title="EcoSentinel 自动监控哨兵", version="0.1.0", docs_url=None, redoc_url=None)
    settings = settings or get_settings()
    app.state.settings = settings
    app.state.session_factory = session_factory
    app.state.ingest = ingest
    if jobs is None:
        jobs = JobRunner()
        app.router.on_shutdown.append(jobs.shutdown)
    app.state.jobs = jobs

    @app.exception_handler(ValidationError)
    def _validation(_: Request, exc: ValidationError) -> JSONResponse:
        return _error(422, exc, exc.location)

    @app.exception_handler(NotFoundError)
    def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return _error(404, exc)

    @app.exception_handler(PermissionDeniedError)
    def _denied(_: Request, exc: PermissionDeniedError) -> JSONResponse:
        return _error(403, exc)

    @app.exception_handler(AuthError)
    def _auth(_: Request, exc: AuthError) -> JSONResponse:
        return _error(401, exc)

    @app.exception_handler(LoginLockedError)
    def _locked(_: Request, exc: LoginLockedError) -> JSONResponse:
        return _error(429, exc)

    @app.exception_handler(TooManyRequestsError)
    def _too_many(_: Request, exc: TooManyRequestsError) -> JSONResponse:
        response = _error(429, exc)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    reporting_monthly.install()  # the 投诉举报 sheet of the monthly report workbook

    security.install(
        app,
        trusted_origins=settings.web.trusted_origins,
        hsts=settings.secure_cookies,
        image_url=settings.map_tile_url,
    )
    ui.install(app)  # /static, and 401/403/404 as a login redirect or a Chinese page for browsers

    def status() -> IngestStatus:
        if ingest is None:
            return IngestStatus(
                points_configured=points_configured(),
                points_online=0,
                connections=0,
                packets_stored=0,
                packets_rejected=0,
                frames_bad=0,
                last_packet_at=None,
            )
        now = time.monotonic()
        stats = ingest.stats
        return IngestStatus(
            points_configured=points_configured(),
            points_online=sum(1 for t in stats.online_mns.values() if now - t <= ONLINE_WINDOW_S),
            connections=stats.connections,
            packets_stored=stats.packets_stored,
            packets_rejected=stats.packets_rejected,
            frames_bad=stats.frames_bad,
            last_packet_at=stats.last_packet_at,
        )

    app.mount("/swagger-ui", StaticFiles(directory=Path(swagger_ui_path)), name="swagger-ui")

    @app.get("/docs", include_in_schema=False, dependencies=[Depends(public)])
    def api_docs() -> HTMLResponse:
        """The API documentation (Swagger UI from the installed swagger-ui-bundle, no CDN)."""
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} · {messages.API_DOCS_TITLE}",
            swagger_js_url="/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
        )

    @app.get("/healthz", dependencies=[Depends(public)])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/api/ingest/status", dependencies=[Depends(public)])
    def ingest_status() -> IngestStatus:
        """Aggregate receiver counters (no enterprise data)."""
        return status()

    @app.get("/status", response_class=HTMLResponse, dependencies=[Depends(public)])
    def status_page() -> str:
        """The receiver's counters as a plain page (aggregate only)."""
        s = status()
        last = s.last_packet_at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S") if s.last_packet_at else None
        rows = [
            (messages.POINTS_CONFIGURED, s.points_configured),
            (messages.POINTS_ONLINE, s.points_online),
            (messages.CONNECTIONS, s.connections),
            (messages.PACKETS_STORED, s.packets_stored),
            (messages.PACKETS_REJECTED, s.packets_rejected),
            (messages.FRAMES_BAD, s.frames_bad),
            (messages.LAST_PACKET, last or messages.NONE_YET),
        ]
        cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta http-equiv="refresh" content="5">'
            f"<title>{messages.TITLE}</title></head><body>"
            f"<h1>{messages.TITLE}</h1><h2>{messages.STATUS_HEADING}</h2>"
            f"<table>{cells}</table></body></html>"
        )

    for router in ROUTERS:
        app.include_router(router)
    return app
