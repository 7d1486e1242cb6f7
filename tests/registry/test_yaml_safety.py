"""Registry YAML is parsed with limits: aliases, anchors and non-standard tags refused (the billion-laughs
bomb and ``!!python/object/apply``), nesting and size bounded; errors name the line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from ecosentinel.auth.roles import Role
from ecosentinel.registry import yaml_file
from ecosentinel.registry.yaml_file import RegistryFileError, compose_yaml, load_registry_file
from tests.conftest import login_as

BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]",
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]",
        "enterprises: *i",
    ]
)


def test_the_alias_bomb_is_refused_at_its_first_anchor(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    with pytest.raises(RegistryFileError) as caught:
        load_registry_file(path)
    message = str(caught.value)
    assert f"{path}:1:4" in message
    assert "锚点与别名" in message


def test_python_tags_are_refused_not_stored_as_text() -> None:
    text = 'enterprises:\n  - name: !!python/object/apply:os.system ["echo pwned"]\n'
    with pytest.raises(RegistryFileError) as caught:
        compose_yaml(text, "r.yaml")
    assert "r.yaml:2:11" in str(caught.value)
    assert "python/object/apply" in str(caught.value)


def test_standard_tags_and_plain_documents_pass() -> None:
    node = compose_yaml('enterprises:\n  - name: !!str 嘉兴某厂\n    code: "001"\n', "r.yaml")
    assert node is not None


def test_nesting_is_bounded() -> None:
    deep = "x: " + "[" * 40 + "]" * 40
    with pytest.raises(RegistryFileError) as caught:
        compose_yaml(deep, "deep.yaml")
    assert "嵌套超过" in str(caught.value)


def test_size_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_file, "MAX_YAML_CHARS", 1_000)
    with pytest.raises(RegistryFileError) as caught:
        compose_yaml("enterprises: []\n" + "# padding\n" * 200, "big.yaml")
    assert "超过" in str(caught.value)


def test_the_import_route_refuses_the_bomb_and_oversized_bodies(
    client: TestClient, engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = login_as(engine, Role.ADMIN)
    bomb = client.post("/api/registry/import?format=yaml", content=BOMB.encode(), headers=admin)
    assert bomb.status_code == 422
    assert "锚点与别名" in bomb.json()["detail"]
    from ecosentinel.registry import api

    monkeypatch.setattr(api, "MAX_UPLOAD_BYTES", 100)
    big = client.post("/api/registry/import?format=yaml", content=b"#" * 1_000, headers=admin)
    assert big.status_code == 422
    assert "超过" in big.json()["detail"]
