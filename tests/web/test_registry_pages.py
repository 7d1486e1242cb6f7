"""Registry import and export from the registry page (not only the API): export, edit, import back (all or
nothing, errors beside the file field), audited, for registry writers only."""

from __future__ import annotations

import sqlalchemy as sa

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.roles import Role
from ecosentinel.database import session_factory
from ecosentinel.registry.models import Enterprise
from ecosentinel.simulator.profiles import credit_code
from tests.web.crawling import Site, site

__all__ = ["site"]


def test_export_edit_and_import_back_from_the_page(site: Site) -> None:
    headers = site.headers(Role.ANALYST)
    page = site.client.get("/registry", headers=headers).text
    assert 'action="/registry/import"' in page
    assert 'href="/api/registry/export?format=xlsx"' in page
    assert site.client.get("/api/registry/export?format=xlsx", headers=headers).status_code == 200
    exported = site.client.get("/api/registry/export?format=yaml", headers=headers)
    assert exported.status_code == 200
    assert "乙热电有限公司" in exported.content.decode()
    # a new enterprise, added to an exported-style file by hand
    code = credit_code("91330400MA2BCD001")
    edited = (
        f"enterprises:\n- credit_code: {code}\n  name: 丙制药有限公司\n  lon: 120.7\n  lat: 30.8\n".encode()
    )

    done = site.client.post(
        "/registry/import",
        files={"file": ("登记信息.yaml", edited, "application/yaml")},
        headers=headers,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:300]
    assert "%E5%B7%B2%E5%AF%BC%E5%85%A5" in done.headers["set-cookie"]  # 已导入
    assert "丙制药有限公司" in site.client.get("/registry", headers=headers).text
    with session_factory(site.engine)() as session:
        assert session.scalar(sa.select(Enterprise.id).where(Enterprise.credit_code == code))
        assert session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "import", AuditEntry.entity == "registry")
        )

    broken = edited.replace(code.encode(), b"91330400AAAAAAAA01")  # a check character that is wrong
    refused = site.client.post(
        "/registry/import",
        files={"file": ("登记信息.yaml", broken, "application/yaml")},
        headers=headers,
        follow_redirects=False,
    )
    assert refused.status_code == 303
    assert "field%22%3A%20%22file" in refused.headers["set-cookie"]
    assert "%E6%A0%A1%E9%AA%8C%E4%BD%8D" in refused.headers["set-cookie"]  # 校验位: names what is wrong
    wrong = site.client.post(
        "/registry/import",
        files={"file": ("x.txt", b"abc", "text/plain")},
        headers=headers,
        follow_redirects=False,
    )
    assert "field%22%3A%20%22file" in wrong.headers["set-cookie"]


def test_only_registry_writers_see_and_use_the_import(site: Site) -> None:
    enterprise = site.headers(Role.ENTERPRISE)
    assert 'action="/registry/import"' not in site.client.get("/registry", headers=enterprise).text
    response = site.client.post(
        "/registry/import",
        files={"file": ("a.yaml", b"enterprises: []", "application/yaml")},
        headers=enterprise,
    )
    assert response.status_code == 403
