"""Shared by the crawler and wording tests: one seeded SQLite app per module, sessions per role, and a
same-origin crawl of what a role is shown (links, GET forms, stylesheets, scripts, images)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.auth.service import open_session
from ecosentinel.database import create_engine, session_factory, upgrade
from ecosentinel.store.base import open_store
from tests.web.crawl_world import CrawlWorld, seed_crawl_world

HTML = {"accept": "text/html,application/xhtml+xml"}
MAX_URLS = 700


@dataclass
class Site:
    client: TestClient
    engine: sa.Engine
    world: CrawlWorld

    def headers(self, role: Role) -> dict[str, str]:
        """HTML Accept and a fresh session of the role's account (none for the public)."""
        if role is Role.PUBLIC:
            return dict(HTML)
        with session_factory(self.engine)() as session:
            user = session.scalar(sa.select(User).where(User.username == self.world.users[role]))
            assert user is not None
            token = open_session(session, user)
            session.commit()
        return {**HTML, "Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    from ecosentinel.config import Settings
    from ecosentinel.server.app import create_app

    tmp: Path = tmp_path_factory.mktemp("crawl")
    url = f"sqlite:///{tmp / 'crawl.db'}"
    upgrade(url)
    engine = create_engine(url)
    store = open_store(url)
    with session_factory(engine)() as session:
        world = seed_crawl_world(session, store)
    store.close()
    app = create_app(session_factory=session_factory(engine), settings=Settings(data_dir=tmp / "data"))
    with TestClient(app) as client:
        yield Site(client=client, engine=engine, world=world)
    engine.dispose()


class _Links(HTMLParser):
    """hrefs of a/link, src of script/img, and GET form targets with their default field values."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []
        self._form: tuple[str, dict[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("a", "link") and "href" in a:
            self.targets.append(a["href"])
        elif tag in ("script", "img") and a.get("src"):
            self.targets.append(a["src"])
        elif tag == "form" and a.get("method", "get").lower() == "get":
            self._form = (a.get("action", ""), {})
        elif self._form is not None and tag == "input" and a.get("name") and a.get("type") != "submit":
            checkable = a.get("type") in ("checkbox", "radio")
            if not checkable or "checked" in a:
                self._form[1][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._form is not None:
            action, values = self._form
            self.targets.append(action + ("?" + urlencode(values) if values else ""))
            self._form = None


def targets(base: str, html: str) -> list[str]:
    """Same-origin paths (with query, without fragment) linked from a page at ``base``."""
    parser = _Links()
    parser.feed(html)
    out = []
    for raw in parser.targets:
        if raw.startswith(("mailto:", "tel:", "javascript:", "data:", "#")):
            continue
        parts = urlsplit(urljoin("http://testserver" + base, raw))
        if parts.netloc != "testserver":
            continue
        out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


@dataclass
class Crawl:
    pages: dict[str, str] = field(default_factory=dict)  # url -> HTML of every page seen (status 200)
    failures: list[str] = field(default_factory=list)  # "status url (from referrer)"


def crawl(site: Site, role: Role) -> Crawl:
    """Visit, breadth first from the home page, every same-origin URL the role is shown."""
    headers = site.headers(role)
    start = "/public" if role is Role.PUBLIC else "/"
    queue: list[tuple[str, str]] = [(start, "-"), ("/favicon.ico", "-")]
    seen = {start, "/favicon.ico"}
    result = Crawl()
    while queue:
        url, referrer = queue.pop(0)
        response = site.client.get(url, headers=headers)
        if response.status_code >= 400:
            result.failures.append(f"{response.status_code} {url} (from {referrer})")
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        result.pages[url] = response.text
        for target in targets(str(response.url.path), response.text):
            if target in seen or target.startswith("/logout"):
                continue
            seen.add(target)
            assert len(seen) < MAX_URLS, f"{role}: more than {MAX_URLS} distinct URLs"
            queue.append((target, url))
    return result
