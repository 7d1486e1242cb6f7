"""The OpenAPI document of the whole app (every area's routes) builds and names the main areas."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_openapi_document_builds(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200, response.text
    paths = response.json()["paths"]
    for prefix in ("/api/auth/", "/api/screening/", "/api/registry/", "/api/om/", "/api/enforcement/"):
        assert any(p.startswith(prefix) for p in paths), prefix


def test_api_docs_page_loads_nothing_from_another_site(client: TestClient) -> None:
    import re

    page = client.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)\s*=\s*["\']([^"\']+)["\']', page.text)
    assert sources
    assert all(s.startswith("/") and not s.startswith("//") for s in sources), sources
    assert "cdn" not in page.text.lower()
    script = client.get("/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert len(script.content) > 100_000
    assert client.get("/swagger-ui/swagger-ui.css").status_code == 200
    assert client.get("/redoc").status_code == 404
