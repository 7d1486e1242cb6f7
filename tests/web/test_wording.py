"""Every page each role is shown speaks Chinese: no English words or internal codes (rule ids, permission
names, status values, JSON keys) outside the allow-list (MN, factor codes in brackets, units, numbers,
identifiers of records, the accounts' own login names)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from ecosentinel.auth.models import User
from ecosentinel.auth.roles import PERM_NAMES_ZH, Perm, Role
from ecosentinel.database import session_factory
from tests.web.crawling import Site, crawl, site
from tests.web.wording import foreign_words, visible_text

__all__ = ["site"]


def _usernames(site: Site) -> frozenset[str]:
    with session_factory(site.engine)() as session:
        # login names are the accounts' own; the test client's address is the audit trail's IP column
        return frozenset(session.scalars(sa.select(User.username))) | {"testclient"}


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_pages_show_no_english_or_internal_codes(site: Site, role: Role) -> None:
    allowed = _usernames(site)
    found: dict[str, set[str]] = {}
    pages = crawl(site, role).pages
    assert pages
    for url, html in pages.items():
        for word in foreign_words(visible_text(html), allowed):
            found.setdefault(word, set()).add(re.sub(r"\d+", "N", url.split("?")[0]))
    assert not found, "\n".join(f"{w}: {sorted(u)}" for w, u in sorted(found.items()))


def test_the_checker_finds_what_it_must() -> None:
    text = visible_text(
        "<p>规则 R10_treatment_off 命中</p><p title='warnings.read'>无权</p><script>var x = 'ok';</script>"
        "<p>化学需氧量（COD）12 mg/L，点位MN 88888880000001，哈希 a5fc4aad975da4c39e4a8cb4c505dc23</p>"
        '<p>例如 <code class="input-example">{"drop_ratio": 0.3}</code> 或 <code>raw_code</code></p>'
    )
    assert foreign_words(text) == ["R10_treatment_off", "warnings.read", "raw_code"]


@pytest.mark.parametrize(
    "role", [r for r in Role if r not in (Role.ADMIN, Role.PUBLIC)], ids=lambda r: r.value
)
def test_refusal_pages_name_the_permission_in_chinese(site: Site, role: Role) -> None:
    """Every page of the administrator's navigation that ``role`` is refused says why in Chinese."""
    admin_nav = re.findall(
        r'<a href="(/[^"]*)" class="[^"]*">', site.client.get("/", headers=site.headers(Role.ADMIN)).text
    )
    assert len(admin_nav) > 10
    headers = site.headers(role)
    refused = 0
    for href in admin_nav:
        response = site.client.get(href, headers=headers)
        if response.status_code != 403:
            continue
        refused += 1
        text = visible_text(response.text)
        assert "无权执行此操作（需要“" in text, href
        assert foreign_words(text, _usernames(site)) == [], href
    assert refused > 0


def test_every_permission_has_a_chinese_name() -> None:
    """A refusal names the permission it needs: a permission added without a name would be a 500 page."""
    assert set(PERM_NAMES_ZH) == set(Perm)
    assert all(foreign_words(name) == [] for name in PERM_NAMES_ZH.values())
