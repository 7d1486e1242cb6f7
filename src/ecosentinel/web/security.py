"""HTTP hardening of the web app: an Origin check on state-changing requests that ride on the session cookie
(CSRF: a foreign or unreadable Origin/Referer is refused), and security headers on every response (content
type sniffing, framing, referrer, CSP on the platform's own pages, HSTS when cookies are HTTPS-only).

Requests with an ``Authorization`` header are not checked: a browser never adds that header by itself, so a
forged cross-site request cannot carry it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from ecosentinel.web import messages
from ecosentinel.web.deps import SESSION_COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The platform's pages load scripts, styles and fonts only from /static (no inline script, no CDN); the
# API documentation page (/docs: Swagger UI from local files, with its one inline start-up script) keeps
# its own policy.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
_NO_CSP_PREFIXES = ("/docs", "/redoc")


def _origin_of(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def request_origin_allowed(request: Request, trusted: frozenset[str]) -> bool:
    """True when the request's Origin (else its Referer) is the platform itself or a trusted origin.

    A request with neither header comes from a non-browser client (browsers send Origin on every POST, and
    on every cross-site request): it is let through, since nothing forged it in someone's browser. An
    ``Origin: null`` (sandboxed or privacy-redirected pages) counts as foreign."""
    raw_origin = request.headers.get("origin")
    if raw_origin is not None and raw_origin.strip().lower() == "null":
        return False
    claimed = _origin_of(raw_origin) or _origin_of(request.headers.get("referer"))
    if claimed is None:
        return raw_origin is None and request.headers.get("referer") is None
    own = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}".lower()
    return claimed == own or claimed in trusted


def csp_for(image_url: str = "") -> str:
    """The pages' policy; with an operator-configured image source (the map tile template) its origin may
    serve images too."""
    origin = _origin_of(image_url)
    if origin is None:
        return CSP
    return CSP.replace("img-src 'self' data:;", f"img-src 'self' data: {origin};")


def install(app: FastAPI, *, trusted_origins: list[str], hsts: bool, image_url: str = "") -> None:
    """Add the CSRF guard and the security headers to ``app`` (``image_url``: see ``csp_for``)."""
    trusted = frozenset(o.rstrip("/").lower() for o in trusted_origins)
    csp = csp_for(image_url)

    @app.middleware("http")
    async def _guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if (
            request.method not in SAFE_METHODS
            and SESSION_COOKIE in request.cookies
            and "authorization" not in request.headers
            and not request_origin_allowed(request, trusted)
        ):
            response: Response = JSONResponse(
                status_code=403, content={"detail": messages.CROSS_SITE_REFUSED}
            )
        else:
            response = await call_next(request)
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith(_NO_CSP_PREFIXES):
            headers.setdefault("Content-Security-Policy", csp)
        if hsts:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
