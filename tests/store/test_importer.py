"""Readings CSV import and the import/db commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from ecosentinel.database import current_revision
from ecosentinel.registry.import_cli import import_app
from ecosentinel.registry.service import import_registry, registered_mns
from ecosentinel.store.base import MeasurementStore
from ecosentinel.store.cli import db_app
from ecosentinel.store.importer import ImportFileError, import_readings, read_readings_csv

MN = "33040000000001"
UTC_DAY = (dt.datetime(2025, 12, 31, tzinfo=dt.UTC), dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
HEADER = "mn,time,kind,code,value,flag,source\n"
GOOD = (
    HEADER
    + f"{MN},2026-01-01T08:00:00,hour,w01018,12.5,N,\n"
    + f"{MN},2026-01-01 09:00,hour,w01018,,D,logger\n"
    + f"{MN},2026-01-01T01:00:00Z,minute,w01018,1e3,C,analyser\n"
    + f"{MN},2026-01-01T10:00:00+0800,hour,w21003,3,N,platform\n"
)
REGISTRY = {
    "enterprises": [
        {
            "name": "测试印染有限公司",
            "credit_code": "91330400MA2B000001",
            "points": [{"mn": MN, "pw": "123456", "name": "废水总排口", "type": "water"}],
        }
    ]
}


def write(tmp_path: Path, text: str, name: str = "readings.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def registered(db_session: Session) -> set[str]:
    import_registry(db_session, REGISTRY, source_name="test")
    db_session.commit()
    return registered_mns(db_session)


def test_import_converts_times_and_defaults(
    tmp_path: Path, store: MeasurementStore, registered: set[str]
) -> None:
    rows, inserted = import_readings(write(tmp_path, GOOD), store=store, known_mns=registered)
    assert (rows, inserted) == (4, 4)
    got = store.read_window(start=UTC_DAY[0], end=UTC_DAY[1])
    by_key = {(r["code"], r["kind"], r["source"]): r for r in got.iter_rows(named=True)}
    first = by_key[("w01018", "hour", "platform")]
    assert first["time"] == dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC)  # 08:00 China Standard Time
    assert (first["value"], first["flag"]) == (12.5, "N")
    missing = by_key[("w01018", "hour", "logger")]
    assert missing["value"] is None
    assert missing["time"] == dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC)
    assert by_key[("w01018", "minute", "analyser")]["time"] == dt.datetime(2026, 1, 1, 1, tzinfo=dt.UTC)
    assert by_key[("w21003", "hour", "platform")]["time"] == dt.datetime(2026, 1, 1, 2, tzinfo=dt.UTC)
    # Importing the same file again adds nothing.
    assert import_readings(write(tmp_path, GOOD), store=store, known_mns=registered) == (4, 0)


def test_source_column_is_optional(tmp_path: Path) -> None:
    frame = read_readings_csv(
        write(tmp_path, "mn,time,kind,code,value,flag\nM,2026-01-01T00:00:00,day,w01018,1,N\n"),
        known_mns={"M"},
    )
    assert frame["source"].to_list() == ["platform"]


def test_converted_value_min_max_and_total_columns_are_optional(
    tmp_path: Path, store: MeasurementStore, registered: set[str]
) -> None:
    """zs (the O2-converted value of flue gas), vmin, vmax and cou in any order after the six columns;
    an empty field is a missing value."""
    text = (
        "mn,time,kind,code,value,flag,cou,zs,vmin,vmax\n"
        f"{MN},2026-01-01T08:00:00,hour,a21002,40,N,,52.5,31,48\n"
        f"{MN},2026-01-01T08:00:00,hour,a00000,1200,N,4.3e6,,,\n"
    )
    assert import_readings(write(tmp_path, text), store=store, known_mns=registered) == (2, 2)
    got = store.read_window(start=UTC_DAY[0], end=UTC_DAY[1])
    by_code = {r["code"]: r for r in got.iter_rows(named=True)}
    assert [by_code["a21002"][c] for c in ("value", "zs", "vmin", "vmax", "cou")] == [40, 52.5, 31, 48, None]
    assert [by_code["a00000"][c] for c in ("zs", "vmin", "vmax", "cou")] == [None, None, None, 4.3e6]


@pytest.mark.parametrize(
    ("row", "column", "text"),
    [
        (f"{MN},2026-02-30T10:00:00,hour,w01018,1,N,", 2, "ISO 8601"),
        (f"{MN},yesterday,hour,w01018,1,N,", 2, "ISO 8601"),
        (f"{MN},2026-01-01T10:00:00.5,hour,w01018,1,N,", 2, "不足一秒"),
        (f"{MN},,hour,w01018,1,N,", 2, "不能为空"),
        ("33049999999999,2026-01-01T10:00:00,hour,w01018,1,N,", 1, "未在登记库中"),
        (f"{MN},2026-01-01T10:00:00,week,w01018,1,N,", 3, "rtd"),
        (f"{MN},2026-01-01T10:00:00,hour,w01-018,1,N,", 4, "因子编码"),
        (f"{MN},2026-01-01T10:00:00,hour,w01018,abc,N,", 5, "不是数字"),
        (f"{MN},2026-01-01T10:00:00,hour,w01018,inf,N,", 5, "不是数字"),
        (f"{MN},2026-01-01T10:00:00,hour,w01018,1,X,", 6, "数据标记"),
        (f"{MN},2026-01-01T10:00:00,hour,w01018,1,N,phone", 7, "数据来源"),
    ],
)
def test_errors_name_file_line_and_column_and_nothing_is_stored(
    tmp_path: Path, store: MeasurementStore, registered: set[str], row: str, column: int, text: str
) -> None:
    path = write(tmp_path, GOOD + row + "\n")
    with pytest.raises(ImportFileError) as info:
        import_readings(path, store=store, known_mns=registered)
    assert info.value.errors[0].location == f"{path}:6:{column}"
    assert text in str(info.value.errors[0])
    assert store.read_window(start=UTC_DAY[0], end=UTC_DAY[1]).height == 0


def test_a_bad_converted_value_is_named_at_its_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "mn,time,kind,code,value,flag,zs\n"
        f"{MN},2026-01-01T08:00:00,hour,a21002,40,N,52.5\n"
        f"{MN},2026-01-01T09:00:00,hour,a21002,41,N,五十\n",
    )
    with pytest.raises(ImportFileError) as info:
        read_readings_csv(path, known_mns={MN})
    assert [e.location for e in info.value.errors] == [f"{path}:3:7"]
    assert "五十" in str(info.value.errors[0])
    assert "不是数字" in str(info.value.errors[0])


def test_header_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "mn,time,kind,code,value,colour\n")
    with pytest.raises(ImportFileError) as info:
        read_readings_csv(path, known_mns=set())
    messages = [str(e) for e in info.value.errors]
    assert any("flag" in m and m.startswith(f"{path}:1:") for m in messages)
    assert any(m.startswith(f"{path}:1:6") and "colour" in m for m in messages)


def test_every_bad_row_is_counted(tmp_path: Path) -> None:
    bad = "".join(f"{MN},2026-01-01T10:{i:02d}:00,hour,w01018,x{i},N,\n" for i in range(60))
    with pytest.raises(ImportFileError) as info:
        read_readings_csv(write(tmp_path, HEADER + bad), known_mns={MN})
    assert info.value.count == 60
    assert len(info.value.errors) == 50
    assert "另有 10 处错误" in str(info.value)


def test_large_file(tmp_path: Path, store: MeasurementStore, registered: set[str]) -> None:
    start = dt.datetime(2026, 1, 1)
    lines = [HEADER]
    for i in range(50_000):
        t = (start + dt.timedelta(minutes=i)).isoformat()
        lines.append(f"{MN},{t},minute,w01018,{i % 997 / 7},N,\n")
    rows, inserted = import_readings(write(tmp_path, "".join(lines)), store=store, known_mns=registered)
    assert rows == inserted == 50_000
    got = store.read_window(start=UTC_DAY[0], end=UTC_DAY[0] + dt.timedelta(days=40))
    assert got.height == 50_000
    assert got["value"][9] == 9 / 7


def test_cli_upgrade_import_registry_and_readings(tmp_path: Path, database_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(db_app, ["upgrade", "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert current_revision(database_url) is not None

    registry = write(
        tmp_path,
        "enterprises:\n  - name: 测试\n    credit_code: 91330400MA2B000001\n    points:\n"
        f'      - {{mn: "{MN}", pw: "123456", name: 排口, type: water}}\n',
        "registry.yaml",
    )
    result = runner.invoke(import_app, ["registry", str(registry), "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert "监测点位 1 个" in result.output

    result = runner.invoke(
        import_app, ["readings", str(write(tmp_path, GOOD)), "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    assert "新增 4 条" in result.output

    bad = write(tmp_path, GOOD + f"{MN},2026-01-01T11:00:00,hour,w01018,abc,N,\n", "bad.csv")
    result = runner.invoke(import_app, ["readings", str(bad), "--database-url", database_url])
    assert result.exit_code == 1
    assert f"{bad}:6:5" in result.output

    broken = write(tmp_path, "enterprises:\n  - name: 测试\n    credit_code: 1\n", "broken.yaml")
    result = runner.invoke(import_app, ["registry", str(broken), "--database-url", database_url])
    assert result.exit_code == 1
    assert f"{broken}:3:18" in result.output


def test_registry_import_is_all_or_nothing(tmp_path: Path, database_url: str, engine: sa.Engine) -> None:
    text = (
        "enterprises:\n"
        "  - name: 甲\n    credit_code: 91330400MA2B000001\n    points:\n"
        f'      - {{mn: "{MN}", pw: "1", name: 排口, type: water}}\n'
        "  - name: 乙\n    credit_code: 91330400MA2B000002\n    points:\n"
        f'      - {{mn: "{MN}", pw: "2", name: 排口, type: water}}\n'
    )
    result = CliRunner().invoke(
        import_app, ["registry", str(write(tmp_path, text, "r.yaml")), "--database-url", database_url]
    )
    assert result.exit_code == 1
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM enterprise")).scalar_one() == 0


def test_non_utf8_bytes_are_reported_at_their_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        HEADER.encode() + f"{MN},2026-01-01T10:00:00,hour,w01018,1.0,N,\n".encode() + "x,泥".encode("gbk")
    )
    with pytest.raises(ImportFileError) as info:
        read_readings_csv(path, known_mns={MN})
    [error] = info.value.errors
    assert error.location == f"{path}:3:3"
    assert "UTF-8" in str(error)


def test_a_row_with_an_extra_field_is_named_in_chinese(tmp_path: Path) -> None:
    rows = (
        f"{MN},2026-01-01T10:00:00,hour,w01018,1.0,N,platform\n"
        f"{MN},2026-01-01T11:00:00,hour,w01018,2.0,N,platform,x\n"
    )
    with pytest.raises(ImportFileError) as info:
        read_readings_csv(write(tmp_path, HEADER + rows), known_mns={MN})
    [error] = info.value.errors
    assert error.location is not None
    assert error.location.endswith(":3:8")
    assert "字段" in str(error)


def test_conflicting_duplicate_rows_are_refused_with_both_lines(tmp_path: Path) -> None:
    same = f"{MN},2026-01-01T10:00:00,hour,w01018"
    rows = f"{same},1.0,N,platform\n{same},1.0,N,platform\n{same},9.0,N,platform\n"
    with pytest.raises(ImportFileError) as info:
        read_readings_csv(write(tmp_path, HEADER + rows), known_mns={MN})
    [error] = info.value.errors
    assert error.location is not None
    assert error.location.endswith(":4:5")
    assert "第 2 行" in str(error)
    # an identical repeat alone is harmless and kept once
    frame = read_readings_csv(
        write(tmp_path, HEADER + rows.rsplit("\n", 2)[0] + "\n", "ok.csv"), known_mns={MN}
    )
    assert frame.height == 1
