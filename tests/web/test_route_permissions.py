"""Every route of the app declares who may call it, and the check is enforced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ecosentinel.auth.roles import Role
from ecosentinel.web.deps import current_principal, public
from tests.conftest import login_as


@dataclass(frozen=True)
class _Route:
    path: str
    methods: tuple[str, ...]
    calls: tuple[Callable[..., Any], ...]
    params: tuple[str, ...]


def _calls_of(dependant: Any) -> list[Callable[..., Any]]:
    calls: list[Callable[..., Any]] = []
    stack = list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            calls.append(dep.call)
        stack.extend(dep.dependencies)
    return calls


def _walk(
    routes: list[Any], prefix: str = "", inherited: tuple[Callable[..., Any], ...] = ()
) -> list[_Route]:
    """Every APIRoute with its full path, also inside included routers (FastAPI includes them lazily)."""
    out: list[_Route] = []
    for route in routes:
        if isinstance(route, APIRoute):
            out.append(
                _Route(
                    path=prefix + route.path,
                    methods=tuple(sorted(route.methods or ())),
                    calls=inherited + tuple(_calls_of(route.dependant)),
                    params=tuple(route.param_convertors),
                )
            )
        elif hasattr(route, "original_router"):  # an included router
            context = route.include_context
            extra = tuple(d.dependency for d in context.dependencies if d.dependency is not None)
            out.extend(_walk(route.original_router.routes, prefix + context.prefix, inherited + extra))
    return out


def _all_routes(client: TestClient) -> list[_Route]:
    return _walk(list(client.app.routes))  # type: ignore[attr-defined]


def _declared(route: _Route) -> bool:
    return any(
        call is public or call is current_principal or hasattr(call, "required_permission")
        for call in route.calls
    )


def test_the_walk_sees_every_area(client: TestClient) -> None:
    paths = {r.path for r in _all_routes(client)}
    for prefix in ("/api/screening/", "/api/registry/", "/api/om/", "/api/enforcement/", "/api/public/"):
        assert any(p.startswith(prefix) for p in paths), prefix


def test_every_route_declares_its_permission(client: TestClient) -> None:
    routes = _all_routes(client)
    assert len(routes) > 50
    missing = [f"{list(r.methods)} {r.path}" for r in routes if not _declared(r)]
    assert missing == []


def test_protected_routes_refuse_anonymous_callers(client: TestClient) -> None:
    """Every route guarded by a permission answers 401 without a session (path parameters filled with 1).

    HTML pages redirect a browser to the login page instead; an API client (no text/html) gets 401.
    """
    for route in _all_routes(client):
        if any(c is public for c in route.calls):
            continue
        path = route.path
        for param in route.params:
            path = path.replace("{" + param + "}", "1").replace("{" + param + ":path}", "1")
        for method in route.methods:
            response = client.request(
                method, path, headers={"Accept": "application/json"}, follow_redirects=False
            )
            assert response.status_code == 401, f"{method} {route.path} -> {response.status_code}"


def test_public_role_holds_no_permission(client: TestClient, engine: sa.Engine) -> None:
    headers = login_as(engine, Role.POLICE)
    assert client.get("/api/auth/me", headers=headers).json()["permissions"] == ["cases.read"]
