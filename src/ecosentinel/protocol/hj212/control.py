"""Platform → field commands (反控) of HJ 212-2017: the command table and the request frames.

The CN codes: 1011/1012, 3020/3021 and 2051/2061/2031 are in the shared notes (../shared/domain/hj212.md).
1061-1064 and 3011/3012/3014/3015 are not; we checked them, as the notes ask for [verify] items, against
several independent public implementations of HJ 212-2017 (Go, Erlang, Java, C#, C++/Qt code tables agree:
1061/1062 real-time interval, 1063/1064 minute interval, 3011 zero/span calibration, 3012 instant sampling,
3014 comparison sampling, 3015 exceedance sample retention), not against the standard's text itself.
Still unverified: the parameter layout of 3021 (we send ``PolId`` and ``<InfoId>-Info=<value>``) and of the
3015 upload (``DataTime``, ``VaseNo``), which public implementations write differently. docs/interop.md.

A request goes out with Flag=5 (2017, answer required). The logger answers 9011 (QnRtn, "ready" or a
refusal), then, for queries, uploads the answer with the request's CN and QN (e.g. ``CN=1011;…;
CP=&&SystemTime=…&&``), then 9012 (ExeRtn) when it has finished.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ecosentinel.protocol.hj212.packet import FieldValue, encode, format_datatime, make_packet

__all__ = ["CONTROL_COMMANDS", "HISTORY_CNS", "ControlCommand", "build_request", "history_request"]


@dataclass(frozen=True, slots=True)
class ControlCommand:
    """One command a platform may send to a logger."""

    cn: str
    key: str  # English identifier used by the API and CLI
    name_zh: str
    params: tuple[str, ...] = ()  # CP parameters the request carries (PolId, SystemTime …)
    required: tuple[str, ...] = ()  # parameters that must be given
    query: bool = False  # the logger uploads an answer (with this CN and the request's QN) before 9012
    verified: bool = False  # the CN is in the shared notes; else checked against public implementations only


_COMMANDS: Final = (
    ControlCommand("1011", "time_query", "提取现场机时间", ("PolId",), query=True, verified=True),
    ControlCommand(
        "1012", "time_set", "设置现场机时间", ("PolId", "SystemTime"), ("SystemTime",), verified=True
    ),
    # below: not in the notes; cross-checked with public implementations (module docstring)
    ControlCommand("1061", "rtd_interval_query", "提取实时数据间隔", (), query=True),
    ControlCommand("1062", "rtd_interval_set", "设置实时数据间隔", ("RtdInterval",), ("RtdInterval",)),
    ControlCommand("1063", "min_interval_query", "提取分钟数据间隔", (), query=True),
    ControlCommand("1064", "min_interval_set", "设置分钟数据间隔", ("MinInterval",), ("MinInterval",)),
    ControlCommand("3011", "calibrate", "零点校准量程校准", ("PolId",), ("PolId",)),
    ControlCommand("3012", "sample_now", "即时采样", ("PolId",), ("PolId",)),
    ControlCommand("3014", "comparison_sample", "比对采样", ("PolId",), ("PolId",)),
    ControlCommand("3015", "retain_sample", "超标留样", ("PolId",), ("PolId",)),
    ControlCommand(
        "3020", "info_query", "提取现场机信息", ("PolId", "InfoId"), ("PolId",), query=True, verified=True
    ),
    ControlCommand(
        "3021",
        "info_set",
        "设置现场机参数",
        ("PolId", "InfoId", "Value"),
        ("PolId", "InfoId", "Value"),
        verified=True,
    ),
)

CONTROL_COMMANDS: Final = MappingProxyType({c.key: c for c in _COMMANDS})
"""Command key (``time_query`` …) -> ControlCommand."""

HISTORY_CNS: Final = frozenset({"2051", "2061", "2031"})
"""Data requests with BeginTime/EndTime (minute, hour, day history) used for back-fill."""


def build_request(
    *, cn: str, mn: str, pw: str, qn: str, st: str = "32", params: Iterable[tuple[str, str | int]] = ()
) -> bytes:
    """The request frame (2017, Flag=5). 3021 carries ``<InfoId>-Info=<Value>`` as the parameter item
    [unverified layout]; everything else goes as plain ``key=value`` CP items."""
    items = list(params)
    values: tuple[FieldValue, ...] = ()
    if cn == "3021":
        given = dict(items)
        info = str(given.get("InfoId", ""))
        items = [("PolId", given.get("PolId", ""))]
        values = (FieldValue(info, "Info", str(given.get("Value", ""))),)
    packet = make_packet(st=st, cn=cn, pw=pw, mn=mn, qn=qn, flag=5, params=items, values=values)
    return encode(packet)


def history_request(
    *, cn: str, mn: str, pw: str, qn: str, begin: dt.datetime, end: dt.datetime, st: str = "32"
) -> bytes:
    """A history data request (2051 / 2061 / 2031) for ``[begin, end]`` (China Standard Time on the wire)."""
    return build_request(
        cn=cn,
        mn=mn,
        pw=pw,
        qn=qn,
        st=st,
        params=[("BeginTime", format_datatime(begin)), ("EndTime", format_datatime(end))],
    )
