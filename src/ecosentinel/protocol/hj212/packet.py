"""HJ 212 packets: the data model, :func:`decode` and :func:`encode`.

A frame is ``##`` + 4 decimal digits (length of the data segment in bytes) + the data segment + 4 hex
digits of CRC over the data segment + CRLF. The data segment is ``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;
[PNUM=…;PNO=…;]CP=&&…&&``; inside CP, groups are separated by ``;`` and items inside a group by ``,``.

Decoding is the hot path of the ingest server, so it is written for CPython speed: C-level ``str``
methods instead of regular expressions, plain tuples for the CP items, and :class:`FieldValue` objects
built only when someone reads :attr:`Packet.values` (the ingest path reads the tuples directly).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from ecosentinel.protocol.hj212 import messages as msg
from ecosentinel.protocol.hj212.codes import NUMERIC_FIELDS, QnRtn
from ecosentinel.protocol.hj212.crc import crc16, crc16_modbus
from ecosentinel.protocol.hj212.errors import Hj212Error
from ecosentinel.readings import CST, KIND_BY_CN, DataFlag

__all__ = [
    "FieldValue",
    "Packet",
    "build_data_packet",
    "compose_cp",
    "decode",
    "encode",
    "format_datatime",
    "frame_body",
    "make_packet",
    "packet_items",
    "parse_datatime",
]

logger = logging.getLogger(__name__)

Value = float | str | None
Item = tuple[str, str, Value]

_HEX: Final = b"0123456789abcdefABCDEF"
_DATA_CNS: Final = frozenset(KIND_BY_CN)  # uploads whose values need a DataTime
_DATA_FLAGS: Final = frozenset(f.value for f in DataFlag)
"""The data flags (数据标记) a ``<code>-Flag`` may hold: HJ 212-2017 N F M S D C T B, and P (2005)."""


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One ``<code>-<Field>=<value>`` item of CP, e.g. ``w01018-Avg=12.3``."""

    code: str  # factor code as sent
    field: str  # suffix without the dash: "Rtd", "Avg", "Flag", "ZsAvg", "Info" …
    value: Value  # numbers (Rtd, Avg, Min, Max, Cou, Zs*) as float, other fields as str, empty -> None


class _LazyValues:
    """Data descriptor behind :attr:`Packet.values`.

    :func:`decode` stores the items as plain ``(code, field, value)`` tuples under ``_items``; the
    FieldValue objects are built (once) on first access. Constructing a Packet with ``values=…`` stores both.
    """

    def __get__(self, obj: object | None, objtype: type | None = None) -> tuple[FieldValue, ...]:
        if obj is None:
            return ()  # the dataclass default
        d = obj.__dict__
        values: tuple[FieldValue, ...] | None = d.get("_values")
        if values is None:
            values = tuple([FieldValue(c, f, v) for c, f, v in packet_items(obj)])  # type: ignore[arg-type]
            d["_values"] = values
        return values

    def __set__(self, obj: object, value: Iterable[FieldValue]) -> None:
        values = tuple(value)
        obj.__dict__["_values"] = values
        obj.__dict__["_items"] = tuple([(f.code, f.field, f.value) for f in values])


@dataclass(frozen=True)
class Packet:
    """One decoded (or to-be-encoded) HJ 212 packet. ``cp`` is authoritative for :func:`encode`."""

    version: str  # "2017" or "2005"
    qn: str | None
    st: str
    cn: str
    pw: str
    mn: str
    flag: int | None
    pnum: int | None
    pno: int | None
    cp: str  # the raw text between CP=&& and &&
    data_time: dt.datetime | None  # tz-aware (CST) DataTime if present
    values: _LazyValues = _LazyValues()  # tuple[FieldValue, ...]: every "<code>-<Field>=<value>" in order
    params: tuple[tuple[str, str], ...] = ()  # other CP key=value items (QnRtn, ExeRtn, PolId, SystemTime …)
    raw: bytes = b""  # the frame exactly as received
    crc_variant: str = "none"  # "hj212" | "modbus" | "none" (built here, not received)

    @property
    def reply_required(self) -> bool:
        """Flag bit A: the sender expects an answer."""
        return self.flag is not None and bool(self.flag & 1)

    @property
    def split(self) -> bool:
        """Flag bit D: the message is one sub-packet of several (PNUM/PNO)."""
        return self.flag is not None and bool(self.flag & 2)

    def param(self, key: str, default: str | None = None) -> str | None:
        """The first CP parameter named ``key`` (e.g. ``QnRtn``), or ``default``."""
        for k, v in self.params:
            if k == key:
                return v
        return default


def packet_items(packet: Packet) -> tuple[Item, ...]:
    """The CP field items as plain ``(code, field, value)`` tuples (no FieldValue objects are built)."""
    d = packet.__dict__
    items: tuple[Item, ...] | None = d["_items"]
    if items is None:  # decoded with lazy_items: the CP was checked whole, its items are parsed now
        items = d["_items"] = parse_cp(packet.cp)[1]
    return items


# ---------------------------------------------------------------------------------------------- decoding


def decode(frame: bytes, *, lazy_items: bool = False) -> Packet:
    """Decode a whole frame (``##`` … CRC, CRLF optional); raise :class:`Hj212Error` saying what is wrong.

    ``lazy_items``: a CP of the plain data-upload form (:func:`_plain_cp`) is checked whole by one regular
    expression and its items are parsed on first use (the journal-mode receiver answers without them; the
    loader that stores the packet decodes it again). The packet is refused exactly when it would be without.
    """
    raw = frame
    if frame[-2:] == b"\r\n":
        frame = frame[:-2]
    if frame[:2] != b"##":
        raise Hj212Error(msg.NOT_A_FRAME, reason="framing")
    if len(frame) < 10:
        raise Hj212Error(msg.TOO_SHORT.format(actual=len(frame)), reason="length")
    length_text = frame[2:6]
    if not length_text.isdigit():
        raise Hj212Error(msg.BAD_LENGTH_FIELD.format(text=length_text.decode("latin-1")), reason="length")
    declared = int(length_text)
    body = frame[6:-4]
    if len(body) != declared:
        raise Hj212Error(msg.LENGTH_MISMATCH.format(declared=declared, actual=len(body)), reason="length")
    crc_text = frame[-4:]
    if crc_text.strip(_HEX):
        raise Hj212Error(
            msg.BAD_CRC_FIELD.format(text=crc_text.decode("latin-1")), reason="crc", qn_rtn=QnRtn.CRC_WRONG
        )
    got = int(crc_text, 16)
    expected = crc16(body)
    if got == expected:
        variant = "hj212"
    elif got == crc16_modbus(body):
        variant = "modbus"
    else:
        raise Hj212Error(
            msg.CRC_MISMATCH.format(expected=expected, got=crc_text.decode("latin-1")),
            reason="crc",
            qn_rtn=QnRtn.CRC_WRONG,
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError:
            raise Hj212Error(msg.BAD_ENCODING, reason="encoding") from None
    return parse_body(text, raw=raw, crc_variant=variant, lazy_items=lazy_items)


def parse_body(text: str, *, raw: bytes = b"", crc_variant: str = "none", lazy_items: bool = False) -> Packet:
    """Parse a data segment (without framing, length or CRC) into a Packet (``lazy_items``: see decode)."""
    i = text.find("CP=&&")
    if i < 0:
        raise Hj212Error(msg.NO_CP, reason="missing_field", location="CP")
    cp_end = len(text) - 2
    if cp_end < i + 5 or text[cp_end:] != "&&":
        raise Hj212Error(msg.CP_NOT_CLOSED, reason="format", location="CP")
    header = _parse_header(text[:i])
    get = header.get
    st = get("ST")
    cn = get("CN")
    pw = get("PW")
    mn = get("MN")
    if not st:
        raise _missing("ST", QnRtn.ST_WRONG)
    if not cn:
        raise _missing("CN", QnRtn.CN_WRONG)
    if pw is None:
        raise _missing("PW", QnRtn.PW_WRONG)
    if not mn:
        raise _missing("MN", QnRtn.MN_WRONG)
    for name, value, rtn in (
        ("ST", st, QnRtn.ST_WRONG),
        ("CN", cn, QnRtn.CN_WRONG),
        ("PW", pw, QnRtn.PW_WRONG),
        ("MN", mn, QnRtn.MN_WRONG),
    ):
        if "=" in value or "&" in value:
            # a header value holding a reserved character cannot be echoed in the answer (build_reply
            # refuses it): answered here as a malformed header instead of failing on the ack path
            raise Hj212Error(
                msg.BAD_TEXT.format(field=name, value=value), reason="header", qn_rtn=rtn, location=name
            )
    qn = get("QN")
    if qn is not None and not (qn.isascii() and qn.isdigit()):
        raise Hj212Error(msg.BAD_QN.format(value=qn), reason="header", qn_rtn=QnRtn.QN_WRONG, location="QN")
    flag_text = get("Flag")
    flag = None if flag_text is None else _int_field("Flag", flag_text, QnRtn.FLAG_WRONG)
    pnum_text = get("PNUM")
    pno_text = get("PNO")
    pnum = None if pnum_text is None else _int_field("PNUM", pnum_text, QnRtn.UNKNOWN)
    pno = None if pno_text is None else _int_field("PNO", pno_text, QnRtn.UNKNOWN)
    if pnum is not None and pno is not None and not 1 <= pno <= pnum:
        raise Hj212Error(msg.BAD_PNO.format(pno=pno, pnum=pnum), reason="header", location="PNO")
    version = _version(flag, mn)
    cp = text[i + 5 : cp_end]
    plain = _plain_cp(cp) if lazy_items else None
    items: tuple[Item, ...] | None
    params: tuple[tuple[str, str], ...]
    data_time: dt.datetime | None
    if plain is not None:
        data_time, items, params = plain, None, ()
    else:
        data_time, items, params = parse_cp(cp)
    if data_time is None and items and cn in _DATA_CNS and pnum is None:  # later sub-packets may omit it
        raise _missing("DataTime", QnRtn.UNKNOWN)
    packet: Packet = object.__new__(Packet)
    object.__setattr__(
        packet,
        "__dict__",
        {
            "version": version,
            "qn": qn,
            "st": st,
            "cn": cn,
            "pw": pw,
            "mn": mn,
            "flag": flag,
            "pnum": pnum,
            "pno": pno,
            "cp": cp,
            "data_time": data_time,
            "_items": items,
            "params": params,
            "raw": raw,
            "crc_variant": crc_variant,
        },
    )
    return packet


def _version(flag: int | None, mn: str) -> str:
    # Flag's version bits V5..V0 are 000001 in 2017 (2005 used only bits A and D); without Flag, guess by
    # the MN length (24 characters in 2017, 14 in 2005)
    if flag is not None:
        return "2017" if flag >> 2 else "2005"
    return "2017" if len(mn) == 24 else "2005"


def _missing(field: str, qn_rtn: int) -> Hj212Error:
    return Hj212Error(
        msg.MISSING_FIELD.format(field=field), reason="missing_field", qn_rtn=qn_rtn, location=field
    )


def _int_field(field: str, text: str, qn_rtn: int) -> int:
    if text.isascii() and text.isdigit():
        return int(text)
    raise Hj212Error(
        msg.BAD_INTEGER.format(field=field, value=text), reason="header", qn_rtn=qn_rtn, location=field
    )


def _parse_header(header: str) -> dict[str, str]:
    try:
        return dict([item.split("=", 1) for item in header.split(";") if item])
    except ValueError:
        for item in header.split(";"):
            if item and "=" not in item:
                raise Hj212Error(msg.BAD_HEADER_ITEM.format(item=item), reason="header") from None
        raise  # pragma: no cover - split("=", 1) fails only without "="


def parse_cp(cp: str) -> tuple[dt.datetime | None, tuple[Item, ...], tuple[tuple[str, str], ...]]:
    """Split CP text into (first DataTime, field items, other parameters), checking numbers and times."""
    items: list[Item] = []
    params: list[tuple[str, str]] = []
    data_time: dt.datetime | None = None
    if not cp:
        return None, (), ()
    add = items.append
    numeric = NUMERIC_FIELDS
    tokens = _tokens_quoted(cp) if "//" in cp else cp.replace(";", ",").split(",")
    for item in tokens:
        key, eq, val = item.partition("=")
        if not eq:
            if not item:
                continue
            raise Hj212Error(msg.BAD_CP_ITEM.format(item=item), reason="format", location="CP")
        code, dash, field = key.partition("-")
        if dash:
            if field in numeric:
                if val:
                    try:
                        num = float(val)
                    except ValueError:
                        raise _bad_number(key, val) from None
                    if num - num != 0.0:  # nan or inf
                        raise _bad_number(key, val)
                    add((code, field, num))
                else:
                    add((code, field, None))
            else:
                if field == "Flag" and val and val not in _DATA_FLAGS:
                    # refused here, with the packet: a flag the store cannot hold would otherwise fail the
                    # whole group commit it lands in, other loggers' packets with it
                    raise Hj212Error(
                        msg.BAD_FLAG.format(field=key, value=val, allowed=" ".join(sorted(_DATA_FLAGS))),
                        reason="flag",
                        location=key,
                    )
                add((code, field, val or None))
        elif key == "DataTime" and data_time is None:
            data_time = parse_datatime(val, "DataTime")
        else:
            params.append((key, val))
    return data_time, tuple(items), tuple(params)


_NUMBER = r"-?\d{1,15}(?:\.\d{1,15})?"  # 15 digits at most: always a finite float
_PLAIN_ITEM = (
    r"[A-Za-z0-9]+-(?:(?:"
    + "|".join(sorted(NUMERIC_FIELDS, key=len, reverse=True))
    + rf")={_NUMBER}|Flag=(?:"
    + "|".join(sorted(_DATA_FLAGS, key=len, reverse=True))
    + "))"
)
_PLAIN_CP = re.compile(rf"(?:DataTime=(\d{{14}})|{_PLAIN_ITEM})(?:[;,]+{_PLAIN_ITEM})*[;,]*")


def _plain_cp(cp: str) -> dt.datetime | None:
    """The DataTime of a CP in the plain data-upload form, checked whole in one regular expression, or
    None when the CP is not in that form (or has no DataTime): then :func:`parse_cp` reads it item by item.

    The form is a strict subset of what parse_cp accepts, with the same meaning: an optional first
    ``DataTime`` of 14 digits, then ``<code>-<numeric field>=<decimal of at most 15+15 digits>`` and
    ``<code>-Flag=<data flag>`` items separated by ``;`` or ``,`` (no other parameters, no quoted text, no
    empty values). So a CP accepted here would be accepted by parse_cp with this DataTime and no
    parameters, and its items can wait (tests/protocol: property test against parse_cp)."""
    match = _PLAIN_CP.fullmatch(cp)
    if match is None or match[1] is None:
        return None
    try:
        return parse_datatime(match[1], "DataTime")
    except Hj212Error:
        return None  # an impossible date: parse_cp says so, with its message


def _bad_number(key: str, val: str) -> Hj212Error:
    return Hj212Error(msg.BAD_NUMBER.format(field=key, value=val), reason="number", location=key)


def _tokens_quoted(cp: str) -> list[str]:
    """Split CP items where values may be quoted as ``//text//`` (logs may contain ``;`` and ``,``)."""
    tokens: list[str] = []
    start = 0
    i = 0
    n = len(cp)
    while i < n:
        c = cp[i]
        if c == "=" and cp.startswith("//", i + 1):
            close = cp.find("//", i + 3)
            i = n if close < 0 else close + 2
            continue
        if c in ";,":
            tokens.append(cp[start:i])
            start = i + 1
        i += 1
    tokens.append(cp[start:])
    return tokens


@lru_cache(maxsize=4096)
def _datatime(text: str) -> dt.datetime:
    # HJ 212-2017 6.3.2: DataTime is YYYYMMDDhhmmss; only QN carries milliseconds. A 17-digit DataTime
    # decoded before and then failed the store's whole-second check inside a group commit, so nothing of
    # that batch was acknowledged: it is a malformed packet, answered as such.
    if len(text) != 14 or not (text.isascii() and text.isdigit()):
        raise ValueError(text)
    return dt.datetime(
        int(text[0:4]),
        int(text[4:6]),
        int(text[6:8]),
        int(text[8:10]),
        int(text[10:12]),
        int(text[12:14]),
        tzinfo=CST,
    )


def parse_datatime(text: str, field: str = "DataTime") -> dt.datetime:
    """Parse ``YYYYMMDDhhmmss`` as China Standard Time (whole seconds: milliseconds are QN's only)."""
    try:
        return _datatime(text)
    except ValueError:
        raise Hj212Error(
            msg.BAD_DATATIME.format(field=field, value=text), reason="datatime", location=field
        ) from None


def format_datatime(t: dt.datetime) -> str:
    """``YYYYMMDDhhmmss`` in China Standard Time (a naive datetime is taken as CST already)."""
    if t.tzinfo is not None:
        t = t.astimezone(CST)
    return f"{t.year:04d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}"


# ---------------------------------------------------------------------------------------------- encoding


def frame_body(body: bytes, *, crc_variant: str = "hj212") -> bytes:
    """Wrap a data segment: ``##`` + length + body + CRC + CRLF."""
    if len(body) > 9999:
        raise Hj212Error(msg.TOO_LONG.format(size=len(body)), reason="length")
    crc = crc16_modbus(body) if crc_variant == "modbus" else crc16(body)
    return b"##%04d%s%04X\r\n" % (len(body), body, crc)


def _format_number(v: float | int) -> str:
    if isinstance(v, bool):
        raise Hj212Error(msg.BAD_NUMBER.format(field="value", value=v), reason="number")
    if isinstance(v, int):
        return str(v)
    s = repr(float(v))
    if "e" in s or "n" in s:  # exponent, nan, inf
        if v - v != 0.0:
            raise Hj212Error(msg.BAD_NUMBER.format(field="value", value=v), reason="number")
        s = format(Decimal(s), "f")
    return s


def _reserved(v: str) -> bool:
    return ";" in v or "," in v or "=" in v or "&" in v


def _format_value(field: str, v: object) -> str:
    if type(v) is float:  # the common case first
        s = repr(v)
        if "e" not in s and "n" not in s:
            return s
        return _format_number(v)
    if v is None:
        return ""
    if isinstance(v, str):
        if _reserved(v) and not (v.startswith("//") and v.endswith("//")):
            raise Hj212Error(msg.BAD_TEXT.format(field=field, value=v), reason="format", location=field)
        return v
    if isinstance(v, float | int):
        return _format_number(v)
    raise Hj212Error(msg.BAD_NUMBER.format(field=field, value=v), reason="number", location=field)


def _check_text(field: str, v: str) -> str:
    if _reserved(v):
        raise Hj212Error(msg.BAD_TEXT.format(field=field, value=v), reason="format", location=field)
    return v


def compose_cp(
    *,
    data_time: dt.datetime | None = None,
    values: Iterable[FieldValue] = (),
    params: Iterable[tuple[str, str | int]] = (),
) -> str:
    """CP text: ``DataTime`` first, then each parameter as its own group, then the values grouped by code."""
    groups: list[str] = []
    if data_time is not None:
        groups.append("DataTime=" + format_datatime(data_time))
    for key, val in params:
        groups.append(f"{_check_text('CP', key)}={_format_value(key, val)}")
    current: str | None = None
    group: list[str] = []
    for fv in values:
        if fv.code != current and group:
            groups.append(",".join(group))
            group = []
        current = fv.code
        key = f"{fv.code}-{fv.field}"
        group.append(f"{_check_text('CP', key)}={_format_value(key, fv.value)}")
    if group:
        groups.append(",".join(group))
    return ";".join(groups)


def _header(
    qn: str | None, st: str, cn: str, pw: str, mn: str, flag: int | None, pnum: int | None, pno: int | None
) -> str:
    parts = [] if qn is None else ["QN=" + _check_text("QN", qn)]
    parts += [
        "ST=" + _check_text("ST", st),
        "CN=" + _check_text("CN", cn),
        "PW=" + _check_text("PW", pw),
        "MN=" + _check_text("MN", mn),
    ]
    if flag is not None:
        parts.append(f"Flag={int(flag)}")
    if pnum is not None:
        parts.append(f"PNUM={int(pnum)}")
    if pno is not None:
        parts.append(f"PNO={int(pno)}")
    return ";".join(parts)


def encode(packet: Packet) -> bytes:
    """The full frame (with CRLF) for ``packet``. ``cp`` is used as is; when it is empty but DataTime,
    values or params are set, CP is composed from them. The CRC is CRC-16/MODBUS only when the packet's
    ``crc_variant`` says so (to imitate such devices), otherwise the standard's."""
    cp = packet.cp
    if not cp and (packet.data_time is not None or packet.values or packet.params):
        cp = compose_cp(data_time=packet.data_time, values=packet.values, params=packet.params)
    head = _header(
        packet.qn, packet.st, packet.cn, packet.pw, packet.mn, packet.flag, packet.pnum, packet.pno
    )
    body = f"{head};CP=&&{cp}&&".encode()
    return frame_body(body, crc_variant=packet.crc_variant)


def make_packet(
    *,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    qn: str | None = None,
    flag: int | None = None,
    pnum: int | None = None,
    pno: int | None = None,
    data_time: dt.datetime | None = None,
    values: Iterable[FieldValue] = (),
    params: Iterable[tuple[str, str | int]] = (),
    version: str | None = None,
) -> Packet:
    """A Packet built field by field, with ``cp`` composed (``encode`` it to get bytes).

    ``version`` defaults to what :func:`decode` would infer (from Flag's version bits, else MN length)."""
    values = tuple(values)
    str_params = tuple((k, _format_value(k, v)) for k, v in params)
    cp = compose_cp(data_time=data_time, values=values, params=str_params)
    if version is None:
        version = _version(flag, mn)
    if data_time is not None:
        data_time = parse_datatime(format_datatime(data_time))  # whole seconds, CST, as decode gives
    # normalise values the way decode would see them (numbers as float, "" as None)
    _, items, _ = parse_cp(compose_cp(values=values))
    return Packet(
        version=version,
        qn=qn,
        st=st,
        cn=cn,
        pw=pw,
        mn=mn,
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=cp,
        data_time=data_time,
        values=tuple(FieldValue(c, f, v) for c, f, v in items),
        params=str_params,
    )


def build_data_packet(
    *,
    mn: str,
    pw: str,
    cn: str,
    data_time: dt.datetime,
    factors: Mapping[str, Mapping[str, float | str | None]],
    st: str = "32",
    qn: str | None = None,
    flag: int = 5,
    version: str = "2017",
) -> bytes:
    """A data-upload frame (CN 2011/2051/2061/2031), e.g. ``factors={"w01018": {"Avg": 12.3, "Flag": "N"}}``.

    Numbers are written in their shortest exact decimal form (never rounded, never in exponent notation).
    For 2017 the Flag gets the version bits (``000001``) and QN defaults to DataTime + ``000``, so a re-sent
    packet is byte-identical; for 2005 Flag keeps only bits A and D and QN is omitted unless given.
    """
    if version == "2017":
        if not flag >> 2:
            flag |= 4
        if qn is None:
            qn = format_datatime(data_time) + "000"
    elif version == "2005":
        flag &= 3
    else:
        raise Hj212Error(msg.BAD_VERSION.format(value=version), reason="format")
    groups = ["DataTime=" + format_datatime(data_time)]
    for code, fields in factors.items():
        _check_text("CP", code)
        groups.append(
            ",".join([f"{code}-{_check_text('CP', f)}={_format_value(f, v)}" for f, v in fields.items()])
        )
    head = _header(qn, st, cn, pw, mn, flag, None, None)
    body = f"{head};CP=&&{';'.join(groups)}&&".encode()
    return frame_body(body)


def packet_to_json(packet: Packet) -> dict[str, Any]:
    """A JSON-ready dict of a packet (the CLI's output)."""
    flags: dict[str, str | None] = {}
    for code, field, value in packet_items(packet):
        if field == "Flag" and code not in flags:
            flags[code] = value if isinstance(value, str) else None
    return {
        "ok": True,
        "version": packet.version,
        "qn": packet.qn,
        "st": packet.st,
        "cn": packet.cn,
        "mn": packet.mn,
        "flag": packet.flag,
        "pnum": packet.pnum,
        "pno": packet.pno,
        "data_time": packet.data_time.isoformat() if packet.data_time else None,
        "values": [
            {"code": code, "field": field, "value": value, "flag": flags.get(code)}
            for code, field, value in packet_items(packet)
            if field != "Flag"
        ],
        "params": dict(packet.params),
        "crc_variant": packet.crc_variant,
        "raw": packet.raw.decode("utf-8", "replace").rstrip("\r\n"),
    }
