"""``ecosentinel hj212 decode|encode``: packets to JSON lines and back, for scripts, tests and field staff."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer

from ecosentinel.protocol.hj212 import messages as msg
from ecosentinel.protocol.hj212.errors import Hj212Error
from ecosentinel.protocol.hj212.packet import (
    FieldValue,
    decode,
    encode,
    make_packet,
    packet_to_json,
    parse_datatime,
)
from ecosentinel.readings import CST

hj212_app = typer.Typer(no_args_is_help=True)

FileArg = Annotated[
    Path | None,
    typer.Argument(
        help="Input file (default: standard input) / 输入文件（默认标准输入）", show_default=False
    ),
]


def _lines(file: Path | None) -> Iterator[bytes]:
    stream: BinaryIO
    if file is None:
        stream = sys.stdin.buffer
        yield from stream
        return
    with file.open("rb") as stream:
        yield from stream


def _print(obj: dict[str, Any]) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False))


@hj212_app.command("decode")
def decode_command(file: FileArg = None) -> None:
    """Decode HJ 212 packets, one per line, into JSON lines (exit 1 if any fails).
    解码 HJ 212 数据包（每行一个），每包输出一行 JSON；有任何失败时退出码为 1。"""
    failed = False
    try:
        for line in _lines(file):
            frame = line.rstrip(b"\r\n")
            if not frame.strip():
                continue
            try:
                packet = decode(frame)
            except Hj212Error as err:
                failed = True
                _print(
                    {
                        "ok": False,
                        "error": str(err),
                        "reason": err.reason,
                        "qn_rtn": err.qn_rtn,
                        "raw": frame.decode("utf-8", "replace"),
                    }
                )
                continue
            _print(packet_to_json(packet))
    except OSError as err:
        typer.echo(msg.CLI_READ_ERROR.format(error=err), err=True)
        raise typer.Exit(2) from None
    if failed:
        raise typer.Exit(1)


def _time(value: object) -> dt.datetime | None:
    if value is None:
        return None
    text = str(value)
    if text.isdigit():
        return parse_datatime(text)
    t = dt.datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=CST)


def _packet_from_json(obj: dict[str, Any]) -> bytes:
    values: list[FieldValue] = []
    for item in obj.get("values", []):
        values.append(FieldValue(str(item["code"]), str(item["field"]), item.get("value")))
        # decode's output folds each factor's -Flag into "flag"; put it back after the factor's last value
    flags: dict[str, str] = {}
    for item in obj.get("values", []):
        if item.get("flag") is not None:
            flags[str(item["code"])] = str(item["flag"])
    for code, flag in flags.items():
        last = max(i for i, v in enumerate(values) if v.code == code)
        values.insert(last + 1, FieldValue(code, "Flag", flag))
    for code, fields in obj.get("factors", {}).items():
        for field, value in fields.items():
            values.append(FieldValue(str(code), str(field), value))
    params = obj.get("params", {})
    packet = make_packet(
        st=str(obj["st"]),
        cn=str(obj["cn"]),
        pw=str(obj.get("pw", "")),
        mn=str(obj["mn"]),
        qn=None if obj.get("qn") is None else str(obj["qn"]),
        flag=obj.get("flag"),
        pnum=obj.get("pnum"),
        pno=obj.get("pno"),
        data_time=_time(obj.get("data_time")),
        values=values,
        params=[(str(k), v) for k, v in (params.items() if isinstance(params, dict) else params)],
    )
    return encode(packet)


@hj212_app.command("encode")
def encode_command(file: FileArg = None) -> None:
    """Encode JSON lines (decode's output, or {"st","cn","pw","mn","data_time","factors":{…}}) into packets.
    将 JSON 行编码为 HJ 212 数据包（可直接使用 decode 的输出）。"""
    failed = False
    out = sys.stdout.buffer
    try:
        for number, line in enumerate(_lines(file), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                frame = _packet_from_json(obj)
            except (ValueError, KeyError, TypeError) as err:
                failed = True
                typer.echo(msg.CLI_BAD_JSON.format(line=number, error=err), err=True)
                continue
            out.write(frame)
            out.flush()
    except OSError as err:
        typer.echo(msg.CLI_READ_ERROR.format(error=err), err=True)
        raise typer.Exit(2) from None
    if failed:
        raise typer.Exit(1)
