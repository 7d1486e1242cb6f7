"""The shared layout of the Chinese web UI: templates, navigation, flash messages, HTML-aware errors.

Area pages render with ``page(request, "<area>/x.html", principal, title="…", **ctx)``; their templates
live in ``web/templates/<area>/`` and start with ``{% extends "base.html" %}`` (blocks ``content``, ``head``,
``scripts``); ``redirect(url, flash="…")`` answers a form POST.
Navigation shows only what the caller's role may open; an area adds its entries with ``register_nav`` when
its pages module is imported. Static files (no CDN: users are often offline) are served from ``web/static`` at
``/static``. A browser request without a session is redirected to ``/login?next=…``; a refused one gets a
Chinese 403 page; JSON clients keep their 401/403 JSON bodies.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecosentinel.auth.roles import ROLE_NAMES_ZH, Perm
from ecosentinel.auth.service import Principal, principal_for_token
from ecosentinel.detection.catalogue import rule_title, rule_titles
from ecosentinel.detection.messages import evidence_lines, factor_name, kind_name, rule_param_name
from ecosentinel.errors import AuthError, NotFoundError, PermissionDeniedError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.web import messages
from ecosentinel.web.deps import request_token

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
FLASH_COOKIE = "es_flash"
FLASH_COOKIE_BYTES = 3800
"""Longest flash cookie value: browsers silently drop a cookie over 4096 bytes (name and attributes
included), and a Chinese character takes 9 bytes once percent-encoded."""


def _cst(value: dt.datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Format a timestamp in China Standard Time (naive values are UTC, as SQLite returns them)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CST).strftime(fmt)


def _factor_names(codes: str | Sequence[str] | None) -> str:
    """Factor codes (a stored JSON list, or comma-separated text) as their Chinese names, each with its
    code in brackets."""
    items = (codes or "").split(",") if isinstance(codes, str) or codes is None else list(codes)
    return "、".join(factor_name(c.strip()) for c in items if c.strip())


def _who(username: str | None) -> str:
    """Who did something: a login name, or the platform's own scheduled work in Chinese."""
    if not username:
        return ""
    return messages.SYSTEM_ACTOR if username == "system" else username


def file_kind(content_type: str | None) -> str:
    """An upload's type as users name it (照片、PDF、Word …), not its MIME type."""
    value = (content_type or "").split(";")[0].strip().lower()
    return messages.FILE_KINDS.get(value) or messages.FILE_KINDS.get(
        value.split("/")[0] + "/*", messages.FILE_OTHER
    )


def _params_text(params: dict[str, Any] | None) -> str:
    """Rule parameters as ``名称＝值`` pairs, each parameter by its Chinese name."""
    return "，".join(f"{rule_param_name(k)}＝{_param_value(v)}" for k, v in (params or {}).items())


def _param_value(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value)
    return str(value)


env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["cst"] = _cst
env.globals["ROLE_NAMES_ZH"] = ROLE_NAMES_ZH
env.globals["msg"] = messages
env.globals["perm"] = Perm
env.filters["rule_name"] = rule_title
env.filters["rule_names"] = rule_titles
env.filters["evidence_lines"] = evidence_lines
env.filters["factor_name"] = factor_name
env.filters["factor_names"] = _factor_names
env.filters["kind_name"] = kind_name
env.filters["who"] = _who
env.filters["file_kind"] = file_kind
env.filters["params_text"] = _params_text


@dataclass(frozen=True)
class NavEntry:
    """One navigation link: shown when ``perm`` is None (any logged-in user) or the caller holds it."""

    label: str
    href: str
    perm: Perm | None
    order: int = 100


_NAV: dict[str, NavEntry] = {}


def register_nav(label: str, href: str, perm: Perm | None, *, order: int = 100) -> None:
    """Add (or replace, by ``href``) a navigation entry; called by each area's pages module at import."""
    _NAV[href] = NavEntry(label=label, href=href, perm=perm, order=order)


def nav_for(principal: Principal | None) -> list[NavEntry]:
    """The entries the caller may use, in order (public visitors see none: they get the public links)."""
    if principal is None:
        return []
    entries = [e for e in _NAV.values() if e.perm is None or principal.can(e.perm)]
    return sorted(entries, key=lambda e: (e.order, e.href))


@dataclass(frozen=True)
class PublicLink:
    """A public disclosure page (no login) listed on the public home."""

    label: str
    href: str
    description: str = ""
    order: int = 100


_PUBLIC_LINKS: dict[str, PublicLink] = {}


def register_public_link(label: str, href: str, description: str = "", *, order: int = 100) -> None:
    """List a public page (enterprise evaluation, penalties, random-inspection results…) on /public."""
    _PUBLIC_LINKS[href] = PublicLink(label=label, href=href, description=description, order=order)


def public_links() -> list[PublicLink]:
    return sorted(_PUBLIC_LINKS.values(), key=lambda link: (link.order, link.href))


register_nav(messages.NAV_DASHBOARD, "/", Perm.DATA_READ, order=10)
register_nav(messages.NAV_AUDIT, "/audit", Perm.AUDIT_READ, order=900)
register_nav(messages.NAV_INTERFERENCE, "/audit/interference", Perm.INTERFERENCE_WRITE, order=910)
register_nav(messages.NAV_USERS, "/admin/users", Perm.USERS_MANAGE, order=950)


def _pop_flash(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        items = json.loads(unquote(raw))
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    return [
        {
            "level": str(i.get("level", "info")),
            "text": str(i.get("text", "")),
            "field": str(i.get("field") or ""),
            "form": str(i.get("form") or ""),
        }
        for i in items
        if isinstance(i, dict)
    ]


def page(
    request: Request,
    template: str,
    principal: Principal | None,
    *,
    title: str,
    status_code: int = 200,
    **ctx: Any,
) -> HTMLResponse:
    """Render ``template`` (extending base.html) for ``principal``; pending flash messages are shown once.

    Extra context: ``flash=[{"level": "error"|"ok"|"info", "text": "…"}]`` adds messages to this page.
    """
    flashes = _pop_flash(request) + list(ctx.pop("flash", []))
    html = env.get_template(template).render(
        request=request,
        principal=principal,
        role_zh=ROLE_NAMES_ZH[principal.role] if principal else None,
        nav=nav_for(principal),
        current_path=request.url.path,
        title=title,
        flashes=flashes,
        **ctx,
    )
    response = HTMLResponse(html, status_code=status_code)
    if request.cookies.get(FLASH_COOKIE):
        response.delete_cookie(FLASH_COOKIE)
    return response


def redirect(
    url: str,
    *,
    flash: str | None = None,
    level: str = "ok",
    field: str | None = None,
    form: str | None = None,
) -> RedirectResponse:
    """A 303 redirect (after a form POST) carrying a one-time message for the next page.

    ``field`` (the bad input's name) and ``form`` (the action of the form it came from) let the page put the
    message beside that field and restore what the user typed (``app.js`` keeps a form's values while it is
    sent).
    """
    response = RedirectResponse(url, status_code=303)
    if flash:
        item = {"level": level, "text": flash, "field": field or "", "form": form or ""}
        response.set_cookie(FLASH_COOKIE, _flash_payload(item), httponly=True, samesite="strict", max_age=60)
    return response


def _flash_payload(item: dict[str, str]) -> str:
    """The cookie value of one message, its text cut (and marked as cut) to fit ``FLASH_COOKIE_BYTES``: a
    long list of import errors must still reach the page rather than vanish with a dropped cookie."""

    def encoded(text: str) -> str:
        return quote(json.dumps([{**item, "text": text}], ensure_ascii=False))

    text = item["text"]
    if len(encoded(text)) <= FLASH_COOKIE_BYTES:
        return encoded(text)
    low, high = 0, len(text)  # the longest prefix that fits with the mark
    while low < high:
        middle = (low + high + 1) // 2
        if len(encoded(text[:middle] + messages.FLASH_TRUNCATED)) <= FLASH_COOKIE_BYTES:
            low = middle
        else:
            high = middle - 1
    return encoded(text[:low] + messages.FLASH_TRUNCATED)


def error_flash(exc: Exception, request: Request | None = None) -> dict[str, str]:
    """A page message for a refused form: the Chinese text alone, the field it is about, the form's action."""
    return {
        "level": "error",
        "text": str(getattr(exc, "message", None) or exc),
        "field": str(getattr(exc, "location", None) or ""),
        "form": request.url.path if request is not None else "",
    }


def error_redirect(url: str, exc: Exception, request: Request | None = None) -> RedirectResponse:
    """Back to ``url`` after a refused form POST: the message beside the bad field, the typed values kept."""
    item = error_flash(exc, request)
    return redirect(url, flash=item["text"], level="error", field=item["field"], form=item["form"])


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to after login (never another site: no scheme, no ``//host``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def wants_html(request: Request) -> bool:
    """A browser navigating to a page (not an API client): HTML accepted and not under /api/."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _principal_of_request(request: Request) -> Principal | None:
    token = request_token(request)
    if not token:
        return None
    factory = request.app.state.session_factory
    with factory() as session:
        return principal_for_token(session, token)


def error_page(request: Request, status_code: int, heading: str, text: str) -> HTMLResponse:
    """A Chinese error page on the layout, with the caller's header and navigation when logged in."""
    return page(
        request,
        "error.html",
        _principal_of_request(request),
        title=heading,
        status_code=status_code,
        heading=heading,
        text=text,
    )


def _same_origin_referer(request: Request) -> str | None:
    """The path (and query) of the page a form was sent from, when that page is on this site."""
    referer = request.headers.get("referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.url.netloc:
        return None
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), default="") or None


def install(app: FastAPI) -> None:
    """Mount /static and make 401/403/404 answer browsers with a redirect or a Chinese page."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    async def _http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if wants_html(request):
            if exc.status_code == 401:
                return _login_redirect(request)
            if exc.status_code == 403:
                return error_page(request, 403, messages.FORBIDDEN_HEADING, str(exc.detail))
            if exc.status_code == 404:
                return error_page(request, 404, messages.NOT_FOUND_HEADING, messages.NOT_FOUND_TEXT)
        return await http_exception_handler(request, exc)

    def _denied(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            return error_page(request, 403, messages.FORBIDDEN_HEADING, str(exc))
        return JSONResponse(status_code=403, content={"detail": str(exc)})

    def _not_found(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            return error_page(request, 404, messages.NOT_FOUND_HEADING, str(exc))
        return JSONResponse(status_code=404, content={"detail": str(exc)})

    def _server_error(request: Request, exc: Exception) -> Response:
        logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        if wants_html(request):
            try:
                return error_page(request, 500, messages.SERVER_ERROR_HEADING, messages.SERVER_ERROR_TEXT)
            except Exception:  # the layout itself failed (e.g. the database is gone): a bare page
                logger.exception("error page failed")
                return HTMLResponse(
                    f"<!doctype html><meta charset=utf-8><h1>{messages.SERVER_ERROR_HEADING}</h1>"
                    f"<p>{messages.SERVER_ERROR_TEXT}</p>",
                    status_code=500,
                )
        return JSONResponse(status_code=500, content={"detail": messages.SERVER_ERROR_JSON})

    async def _bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if wants_html(request):
            return error_page(request, 400, messages.BAD_REQUEST_HEADING, messages.BAD_REQUEST_TEXT)
        return await request_validation_exception_handler(request, exc)

    def _invalid(request: Request, exc: Exception) -> Response:
        """Bad input: a browser's form goes back to the page it came from, the message beside the field;
        API clients get 422 with the message and where."""
        assert isinstance(exc, ValidationError)
        if wants_html(request):
            back = _same_origin_referer(request)
            if request.method != "GET" and back is not None:
                return error_redirect(back, exc, request)
            return error_page(request, 400, messages.BAD_REQUEST_HEADING, exc.message)
        body = {"detail": str(exc)}
        if exc.location:
            body["location"] = exc.location
        return JSONResponse(status_code=422, content=body)

    def _auth(request: Request, exc: Exception) -> Response:
        if wants_html(request):
            return _login_redirect(request)
        return JSONResponse(status_code=401, content={"detail": str(exc)})

    def _close_store() -> None:
        store = getattr(app.state, "store", None)
        if store is not None:
            store.close()
            app.state.store = None

    app.router.on_shutdown.append(_close_store)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(PermissionDeniedError, _denied)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(AuthError, _auth)
    app.add_exception_handler(ValidationError, _invalid)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(Exception, _server_error)
