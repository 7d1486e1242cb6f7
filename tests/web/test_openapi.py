"""The OpenAPI document of the whole app (every area's routes) builds and names the main areas."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_openapi_document_builds(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    for prefix in ("/api/auth/", "/api/screening/", "/api/registry/", "/api/om/", "/api/enforcement/"):
        assert any(p.startswith(prefix) for p in paths), prefix
