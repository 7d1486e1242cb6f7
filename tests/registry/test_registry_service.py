"""Registry import (YAML and data), auth lookups and point context, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.registry.enums import PointType
from ecosentinel.registry.service import (
    get_point_auth,
    import_registry,
    list_points,
    load_point_auth,
    point_context,
)
from ecosentinel.registry.yaml_file import RegistryFileError, load_registry_file

SAMPLE = """\
enterprises:
  - name: 嘉兴示例印染有限公司
    credit_code: 91330400MA2B000001   # 统一社会信用代码 (18 chars)
    industry: 印染
    address: 浙江省嘉兴市示例路1号
    points:
      - mn: "33040000000001"
        pw: "123456"
        name: 废水总排口
        type: water
        factors:
          - {code: w01018, limit: 100, unit: mg/L, range: 500}
          - {code: w01001, limit_low: 6, limit: 9}
  - name: 嘉兴示例热电有限公司
    credit_code: 91330400MA2B000002
    industry: 热电
    lon: 120.75
    lat: 30.75
    points:
      - mn: "330400000000000000000002"
        pw: "654321"
        name: 1号锅炉排口
        type: gas
        ref_o2: 6
        factors:
          - {code: a21026, limit: 35, detection_limit: 3}
      - mn: "33040000000003"
        pw: "000000"
        name: 停用排口
        type: gas
        active: false
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_import_and_lookups(tmp_path: Path, db_session: Session, engine: sa.Engine) -> None:
    registry = load_registry_file(write(tmp_path, SAMPLE))
    summary = import_registry(db_session, registry, source_name="registry.yaml")
    db_session.commit()
    assert (summary.enterprises, summary.points, summary.factors) == (2, 3, 3)

    auth = get_point_auth(db_session, "33040000000001")
    assert auth is not None
    assert (auth.pw, auth.active) == ("123456", True)
    assert get_point_auth(db_session, "nope") is None
    assert load_point_auth(engine) == {"33040000000001": "123456", "330400000000000000000002": "654321"}

    points = list_points(db_session)
    assert [p.mn for p in points] == ["330400000000000000000002", "33040000000001", "33040000000003"]
    assert [p.mn for p in list_points(db_session, point_type=PointType.GAS, active=True)] == [
        "330400000000000000000002"
    ]

    water = point_context(db_session, "33040000000001")
    assert water.type is PointType.WATER
    cod = water.factors["w01018"]
    assert (cod.limit, cod.range_max, cod.unit, cod.name) == (100.0, 500.0, "mg/L", "化学需氧量")
    ph = water.factors["w01001"]
    assert (ph.limit_low, ph.limit, ph.unit) == (6.0, 9.0, None)
    gas = point_context(db_session, "330400000000000000000002")
    assert gas.ref_o2 == 6.0
    assert gas.factors["a21026"].detection_limit == 3.0
    assert gas.industry == "热电"
    with pytest.raises(NotFoundError):
        point_context(db_session, "nope")


def test_reimport_updates_and_never_duplicates(tmp_path: Path, db_session: Session) -> None:
    import_registry(db_session, load_registry_file(write(tmp_path, SAMPLE)), source_name="a")
    db_session.commit()
    changed = SAMPLE.replace('pw: "123456"', 'pw: "999999"').replace("limit: 100,", "limit: 80,")
    import_registry(db_session, load_registry_file(write(tmp_path, changed)), source_name="b")
    db_session.commit()
    auth = get_point_auth(db_session, "33040000000001")
    assert auth is not None
    assert auth.pw == "999999"
    assert point_context(db_session, "33040000000001").factors["w01018"].limit == 80.0
    assert len(list_points(db_session)) == 3


def test_import_accepts_plain_data(db_session: Session) -> None:
    data: dict[str, Any] = {
        "enterprises": [
            {
                "name": "测试",
                "credit_code": "91330400MA2B000009",
                "points": [{"mn": "33040000000009", "pw": "1", "name": "排口", "type": "water"}],
            }
        ]
    }
    import_registry(db_session, data, source_name="dict")
    assert get_point_auth(db_session, "33040000000009") is not None


def test_point_cannot_move_to_another_enterprise(db_session: Session) -> None:
    def registry(code: str) -> dict[str, Any]:
        point = {"mn": "33040000000009", "pw": "1", "name": "排口", "type": "water"}
        return {"enterprises": [{"name": "甲", "credit_code": code, "points": [point]}]}

    import_registry(db_session, registry("91330400MA2B000009"), source_name="one")
    db_session.commit()
    with pytest.raises(ValidationError, match="已属于另一家企业"):
        import_registry(db_session, registry("91330400MA2B000008"), source_name="two")


@pytest.mark.parametrize(
    ("old", "new", "line", "column", "text"),
    [
        ("type: water", "type: air", 10, 15, "type"),
        ('mn: "33040000000001"', "mn: 33040000000001", 7, 13, "mn"),
        ("credit_code: 91330400MA2B000001", "credit_code: 9133", 3, 18, "credit_code"),
        (
            "{code: w01001, limit_low: 6, limit: 9}",
            "{code: w01001, limit_low: 10, limit: 9}",
            13,
            13,
            "factors[1]",
        ),
        ("        ref_o2: 6\n", "        ref_o2: 6\n        colour: red\n", 25, 17, "colour"),
        ('mn: "330400000000000000000002"', 'mn: "33040000000001"', 20, 13, "重复"),
        ("type: water", "type: water\n        ref_o2: 6", 7, 9, "ref_o2"),  # the point that has it
    ],
)
def test_yaml_errors_name_file_line_and_column(
    tmp_path: Path, old: str, new: str, line: int, column: int, text: str
) -> None:
    assert old in SAMPLE
    path = write(tmp_path, SAMPLE.replace(old, new))
    with pytest.raises(RegistryFileError) as info:
        load_registry_file(path)
    first = info.value.errors[0]
    assert first.location == f"{path}:{line}:{column}"
    assert text in str(first)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "enterprises:\n  - name: [unclosed\n")
    with pytest.raises(RegistryFileError) as info:
        load_registry_file(path)
    assert str(info.value.errors[0].location).startswith(f"{path}:")
    assert str(info.value.errors[0].location) != str(path)


def test_yaml_reports_every_error(tmp_path: Path) -> None:
    broken = SAMPLE.replace("type: water", "type: air").replace('pw: "654321"', "pw: 654321")
    with pytest.raises(RegistryFileError) as info:
        load_registry_file(write(tmp_path, broken))
    lines = sorted(int(str(e.location).split(":")[-2]) for e in info.value.errors)
    assert lines == [10, 21]
