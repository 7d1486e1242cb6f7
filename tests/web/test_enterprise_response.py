"""An enterprise answers its own warning (explanation with a document) and submits rectification evidence;
the analyst sees both on the warning page; other enterprises see nothing of it; every answer is audited."""

from __future__ import annotations

import sqlalchemy as sa

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import create_user, open_session
from ecosentinel.database import session_factory
from ecosentinel.registry.models import Enterprise
from tests.web.crawling import HTML, Site, site

__all__ = ["site"]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _other_enterprise(site: Site) -> dict[str, str]:
    with session_factory(site.engine)() as session:
        other = session.scalar(sa.select(Enterprise.id).where(Enterprise.id != site.world.enterprise_id))
        user = session.scalar(sa.select(User).where(User.username == "qiye-b"))
        if user is None:
            user = create_user(
                session, username="qiye-b", password="crawl-pass-1", role=Role.ENTERPRISE, enterprise_id=other
            )
        token = open_session(session, user)
        session.commit()
    return {**HTML, "Authorization": f"Bearer {token}"}


def test_enterprise_answers_and_analyst_sees_it(site: Site) -> None:
    enterprise = site.headers(Role.ENTERPRISE)
    warning = site.world.warning_id
    listing = site.client.get("/enterprise/warnings", headers=enterprise)
    assert listing.status_code == 200
    assert f'href="/enterprise/warnings/{warning}"' in listing.text
    assert 'href="/enterprise/warnings"' in listing.text  # in the navigation

    sent = site.client.post(
        f"/enterprise/warnings/{warning}/responses",
        data={"kind": "explanation", "text": "3月10日为设备检修，已报备运维单位。"},
        files={"file": ("检修记录.png", PNG, "image/png")},
        headers=enterprise,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:300]
    fixed = site.client.post(
        f"/enterprise/warnings/{warning}/responses",
        data={"kind": "rectification", "text": "已更换采样管路并加装铅封。"},
        headers=enterprise,
        follow_redirects=False,
    )
    assert fixed.status_code == 303
    own = site.client.get(f"/enterprise/warnings/{warning}", headers=enterprise).text
    assert "已更换采样管路并加装铅封。" in own

    analyst = site.headers(Role.ANALYST)
    page = site.client.get(f"/enforcement/warnings/{warning}", headers=analyst).text
    section = page.split('data-testid="enterprise-responses"')[1].split("</section>")[0]
    assert "企业答复（2）" in section
    assert "3月10日为设备检修" in section
    assert "情况说明" in section
    assert "已更换采样管路并加装铅封。" in section
    assert "整改材料" in section
    link = section.split('href="')[1].split('"')[0]
    document = site.client.get(link, headers=analyst)
    assert document.status_code == 200
    assert document.content == PNG

    other = _other_enterprise(site)
    assert site.client.get(f"/enterprise/warnings/{warning}", headers=other).status_code == 404
    assert site.client.get(link, headers=other).status_code == 404
    assert (
        f"/enterprise/warnings/{warning}" not in site.client.get("/enterprise/warnings", headers=other).text
    )
    refused = site.client.post(
        f"/enterprise/warnings/{warning}/responses",
        data={"kind": "explanation", "text": "冒充"},
        headers=other,
        follow_redirects=False,
    )
    assert refused.status_code == 404
    assert site.client.get("/enterprise/warnings", headers=site.headers(Role.ANALYST)).status_code == 403

    with session_factory(site.engine)() as session:
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "respond")).all()
        assert len(entries) == 2
        assert {e.entity for e in entries} == {"warning_response"}


def test_empty_answer_is_refused_beside_the_field(site: Site) -> None:
    response = site.client.post(
        f"/enterprise/warnings/{site.world.warning_id}/responses",
        data={"kind": "explanation", "text": "  "},
        headers=site.headers(Role.ENTERPRISE),
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "field%22%3A%20%22text" in response.headers["set-cookie"]
