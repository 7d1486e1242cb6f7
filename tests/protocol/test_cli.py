from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ecosentinel.cli import app
from tests.protocol import samples

runner = CliRunner()


def test_decode_from_stdin() -> None:
    result = runner.invoke(app, ["hj212", "decode"], input=samples.WATER_MINUTE + samples.RTD_2005)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert len(lines) == 2
    first = lines[0]
    assert first["ok"] is True
    assert first["cn"] == "2051"
    assert first["version"] == "2017"
    assert first["flag"] == 5
    assert first["data_time"] == "2026-01-05T08:20:00+08:00"
    assert first["values"][0] == {"code": "w01018", "field": "Avg", "value": 35.2, "flag": "N"}
    assert first["raw"] == samples.WATER_MINUTE.decode().rstrip("\r\n")


def test_decode_failure_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(samples.WATER_MINUTE + samples.WATER_MINUTE.replace(b"5280", b"5281") + b"\n")
    result = runner.invoke(app, ["hj212", "decode", str(path)])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines[0]["ok"] is True
    assert lines[1]["ok"] is False
    assert "CRC" in lines[1]["error"]
    assert lines[1]["qn_rtn"] == 9


def test_encode_is_the_inverse_of_decode() -> None:
    decoded = runner.invoke(app, ["hj212", "decode"], input=b"".join(samples.ALL_GOOD[6:9]))
    assert decoded.exit_code == 0
    encoded = runner.invoke(app, ["hj212", "encode"], input=decoded.output)
    assert encoded.exit_code == 0, encoded.output
    again = runner.invoke(app, ["hj212", "decode"], input=encoded.output)
    assert again.exit_code == 0
    strip = [{k: v for k, v in json.loads(line).items() if k != "raw"} for line in again.output.splitlines()]
    orig = [{k: v for k, v in json.loads(line).items() if k != "raw"} for line in decoded.output.splitlines()]
    assert strip == orig


def test_encode_factors_form_and_bad_json() -> None:
    line = json.dumps(
        {
            "st": "32",
            "cn": "2051",
            "pw": "123456",
            "mn": "33040000000000000000WS01",
            "qn": "20260105083000000",
            "flag": 5,
            "data_time": "20260105082000",
            "factors": {"w01018": {"Avg": 35.2, "Flag": "N"}},
        }
    )
    result = runner.invoke(app, ["hj212", "encode"], input=line + "\n{not json\n")
    assert result.exit_code == 1
    assert result.stdout_bytes == samples.reframe(
        b"QN=20260105083000000;ST=32;CN=2051;PW=123456;MN=33040000000000000000WS01;Flag=5;"
        b"CP=&&DataTime=20260105082000;w01018-Avg=35.2,w01018-Flag=N&&"
    )
