"""Errors a browser user meets are Chinese pages (JSON clients keep JSON); refused forms go back to the form
with the message beside the field."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from urllib.parse import unquote

import sqlalchemy as sa
from fastapi import Depends
from fastapi.testclient import TestClient

from ecosentinel.auth.models import User
from ecosentinel.auth.roles import Role
from ecosentinel.database import session_factory
from ecosentinel.web.deps import public
from ecosentinel.web.messages import FLASH_TRUNCATED
from ecosentinel.web.ui import redirect
from tests.web.crawling import HTML, Site, site

__all__ = ["site"]


def _flash(response: object) -> dict[str, str]:
    header = response.headers.get("set-cookie", "")  # type: ignore[attr-defined]
    assert header.startswith("es_flash="), "no message for the next page"
    cookie = header.split(";")[0].removeprefix("es_flash=").strip('"')
    items = json.loads(unquote(cookie))
    assert len(items) == 1
    item: dict[str, str] = items[0]
    return item


def test_unknown_page_is_a_chinese_404_and_api_keeps_json(site: Site) -> None:
    page = site.client.get("/no/such/page", headers=site.headers(Role.ANALYST))
    assert page.status_code == 404
    assert "页面不存在" in page.text
    assert 'data-testid="user-name"' in page.text  # on the layout, with the user's navigation
    record = site.client.get("/enforcement/warnings/99999", headers=site.headers(Role.ANALYST))
    assert record.status_code == 404
    assert "<h1>页面不存在</h1>" in record.text
    api = site.client.get(
        "/api/enforcement/warnings/99999", headers=site.headers(Role.ANALYST) | {"accept": "application/json"}
    )
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/json")


def test_refusal_is_a_chinese_403_page(site: Site) -> None:
    page = site.client.get("/admin/users", headers=site.headers(Role.PATROL))
    assert page.status_code == 403
    assert "无权访问" in page.text


def test_a_crash_is_a_chinese_500_page_for_browsers_and_json_for_api(site: Site) -> None:
    app = site.client.app

    def boom() -> None:
        raise RuntimeError("internal detail that must not reach users")

    app.add_api_route("/__boom", boom, dependencies=[Depends(public)])  # type: ignore[attr-defined]
    app.add_api_route("/api/__boom", boom, dependencies=[Depends(public)])  # type: ignore[attr-defined]
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/__boom", headers=HTML)
        assert page.status_code == 500
        assert "系统出错" in page.text
        assert "internal detail" not in page.text
        api = client.get("/api/__boom", headers=HTML)
        assert api.status_code == 500
        assert api.json() == {"detail": "服务器内部错误"}


def test_bad_query_parameter_is_a_chinese_400_page(site: Site) -> None:
    page = site.client.get(f"/enforcement/tasks/{site.world.task_id}x", headers=site.headers(Role.OFFICER))
    assert page.status_code in (400, 404)
    assert "<h1>" in page.text
    assert "int_parsing" not in page.text


def test_account_bound_to_a_missing_enterprise_is_refused_in_chinese(site: Site) -> None:
    headers = site.headers(Role.ADMIN)
    form = {"username": "ghost", "password": "long-enough-1", "role": "enterprise", "enterprise_id": "999"}
    response = site.client.post("/admin/users", data=form, headers=headers, follow_redirects=False)
    assert response.status_code == 303
    flash = _flash(response)
    assert flash["text"] == "编号为 999 的企业不存在，请先在登记信息中录入企业，或核对企业编号"
    assert flash["field"] == "enterprise_id"
    assert flash["form"] == "/admin/users"
    api = site.client.post(
        "/api/auth/users",
        json={"username": "ghost", "password": "long-enough-1", "role": "enterprise", "enterprise_id": 999},
        headers={"Authorization": headers["Authorization"]},
    )
    assert api.status_code == 422, api.text
    assert "999" in api.json()["detail"]
    with session_factory(site.engine)() as session:
        assert session.scalar(sa.select(User.id).where(User.username == "ghost")) is None


def test_bad_fine_goes_back_to_the_form_with_the_message_beside_the_field(site: Site) -> None:
    headers = site.headers(Role.OFFICER)
    case = f"/enforcement/cases/{site.world.case_id}"
    response = site.client.post(
        f"{case}/penalties",
        data={"amount_wan": "abc", "legal_basis": "大气污染防治法第九十九条"},
        headers=headers | {"referer": f"http://testserver{case}"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == case
    flash = _flash(response)
    assert flash == {
        "level": "error",
        "text": "罚款金额（万元）必须大于 0",
        "field": "amount_wan",
        "form": f"{case}/penalties",
    }
    page = site.client.get(case, headers=headers)
    assert f'data-field="amount_wan" data-form="{case}/penalties">罚款金额（万元）必须大于 0<' in page.text


def test_bad_number_raised_before_the_service_still_goes_back_to_the_form(site: Site) -> None:
    """A parse error outside the page's own try (the ledger's fine) is caught by the app for browsers."""
    headers = site.headers(Role.OFFICER)
    problem = f"/enforcement/ledger/{site.world.problem_id}"
    response = site.client.post(
        f"{problem}/actions",
        data={"kind": "penalty", "fine_wan": "abc"},
        headers=headers | {"referer": f"http://testserver{problem}"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"] == problem
    flash = _flash(response)
    assert flash["field"] == "fine_wan"
    assert "abc" in flash["text"]
    api = site.client.post(
        f"{problem}/actions",
        data={"kind": "penalty", "fine_wan": "abc"},
        headers={"Authorization": headers["Authorization"]},
    )
    assert api.status_code == 422
    assert api.json()["location"] == "fine_wan"


def test_refused_dismissal_names_no_field_code(site: Site) -> None:
    headers = site.headers(Role.ANALYST)
    url = f"/enforcement/warnings/{site.world.warning_id}"
    response = site.client.post(
        f"{url}/dismiss", data={"reason": ""}, headers=headers, follow_redirects=False
    )
    assert response.status_code == 303
    flash = _flash(response)
    assert flash["level"] == "error"
    assert not flash["text"].startswith("reason")
    assert ":" not in flash["text"]
    assert flash["field"] == "reason"


def test_enterprise_account_whose_enterprise_is_gone_gets_pages_not_errors(site: Site) -> None:
    """An enterprise deleted after its account was made leaves the account unbound (SET NULL): every page the
    account is shown still answers (empty lists), none crashes."""
    from ecosentinel.auth.service import hash_password, open_session
    from tests.web.crawling import targets

    with session_factory(site.engine)() as session:
        user = User(
            username="orphan",
            display_name="已注销企业",
            password_hash=hash_password("crawl-pass-1"),
            role="enterprise",
            enterprise_id=None,
            active=True,
        )
        session.add(user)
        session.flush()
        token = open_session(session, user)
        session.commit()
    headers = {**HTML, "Authorization": f"Bearer {token}"}
    home = site.client.get("/", headers=headers)
    assert home.status_code == 200
    assert "甲化工" not in home.text
    for url in {t for t in targets("/", home.text) if not t.startswith(("/logout", "/static"))}:
        response = site.client.get(url, headers=headers)
        assert response.status_code < 500, url
        assert "甲化工" not in response.text, url


def test_a_long_error_list_is_cut_to_fit_the_flash_cookie() -> None:
    """Browsers drop a cookie over 4 KB silently: a registry import with many bad rows must still say so."""
    errors = "\n".join(
        f"工作表「监测点位」第 {n} 行，列「MN」：监测点位编码（MN）必须是 14 位数字" for n in range(2, 80)
    )
    response = redirect("/registry", flash=errors, level="error", field="file", form="/registry/import")
    cookie = response.headers["set-cookie"]
    assert len(cookie.encode()) < 4096
    item = _flash_of(cookie)
    assert item["text"].startswith("工作表「监测点位」第 2 行")
    assert item["text"].endswith(FLASH_TRUNCATED)
    assert (item["field"], item["form"]) == ("file", "/registry/import")
    short = redirect("/registry", flash="登记信息已导入", level="ok")
    assert _flash_of(short.headers["set-cookie"])["text"] == "登记信息已导入"


def _flash_of(header: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    item: dict[str, str] = json.loads(unquote(jar["es_flash"].value))[0]
    return item
