"""Every route of the app declares who may call it, and the check is enforced."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from ecosentinel.auth.roles import Role
from ecosentinel.web.deps import current_principal, public
from tests.conftest import login_as


def _dependency_calls(route: APIRoute) -> list[Callable[..., Any]]:
    calls: list[Callable[..., Any]] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            calls.append(dep.call)
        stack.extend(dep.dependencies)
    return calls


def _declared(route: APIRoute) -> bool:
    for call in _dependency_calls(route):
        if call is public or call is current_principal or hasattr(call, "required_permission"):
            return True
    return False


def test_every_route_declares_its_permission(client: TestClient) -> None:
    routes = [r for r in client.app.routes if isinstance(r, APIRoute)]  # type: ignore[attr-defined]
    assert routes
    missing = [f"{sorted(r.methods or ())} {r.path}" for r in routes if not _declared(r)]
    assert missing == []


def test_protected_routes_refuse_anonymous_callers(client: TestClient) -> None:
    """Every route guarded by a permission answers 401 without a session (path parameters filled with 1)."""
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, APIRoute):
            continue
        if any(c is public for c in _dependency_calls(route)):
            continue
        path = route.path
        for param in route.param_convertors:
            path = path.replace("{" + param + "}", "1").replace("{" + param + ":path}", "1")
        for method in route.methods or ():
            response = client.request(method, path)
            assert response.status_code == 401, f"{method} {route.path} -> {response.status_code}"


def test_public_role_holds_no_permission(client: TestClient, engine: sa.Engine) -> None:
    headers = login_as(engine, Role.POLICE)
    assert client.get("/api/auth/me", headers=headers).json()["permissions"] == ["cases.read"]
