"""Every role follows every same-origin link and GET form it is shown: no 404, no 500, no refusal."""

from __future__ import annotations

import pytest

from ecosentinel.auth.roles import Role
from tests.web.crawling import Site, crawl, site

__all__ = ["site"]


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_every_link_a_role_is_shown_works(site: Site, role: Role) -> None:
    result = crawl(site, role)
    assert not result.failures, "\n".join(result.failures)
    assert len(result.pages) >= 2


def test_the_crawl_reaches_the_seeded_records(site: Site) -> None:
    pages = crawl(site, Role.OFFICER).pages
    world = site.world
    for path in (
        f"/enforcement/warnings/{world.warning_id}",
        f"/enforcement/tasks/{world.task_id}",
        f"/enforcement/inspections/{world.inspection_id}",
        f"/enforcement/cases/{world.case_id}",
        f"/enforcement/cases/{world.transferred_case_id}",
        f"/enforcement/ledger/{world.problem_id}",
        f"/enforcement/inspections/{world.open_inspection_id}",
    ):
        assert path in pages, path
