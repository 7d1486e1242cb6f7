"""A simulated logger's answers to platform requests (反控 and history requests), as HJ 212-2017 describes.

For every request the logger answers 9011 (QnRtn=1 ready, 8 for a CN it does not know), then, for queries,
an upload with the request's CN and QN (the clock, an interval, device information, or the requested history
data packets), then 9012 (ExeRtn=1 done, 100 no data). Settings (clock offset, intervals, device parameters)
are kept per station, so a set followed by a query reads back what was set.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from ecosentinel.protocol.hj212 import (
    FieldValue,
    Packet,
    decode,
    encode,
    format_datatime,
    make_packet,
    parse_datatime,
)
from ecosentinel.readings import CST

REPLY_ST = "91"
HISTORY_CNS = frozenset({"2051", "2061", "2031"})
DEFAULT_INFO = {"i13001": "500", "i13004": "165", "i13005": "30", "i13007": "0.02", "i13008": "1.01"}


@dataclass
class StationResponder:
    """Answers the requests addressed to one station (MN)."""

    mn: str
    pw: str
    st: str
    history: dict[str, list[tuple[dt.datetime, bytes]]] = field(default_factory=dict)  # CN -> (time, frame)
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    clock_offset: dt.timedelta = dt.timedelta(0)
    rtd_interval: int = 30
    min_interval: int = 10
    info: dict[tuple[str, str], str] = field(default_factory=dict)
    handled: list[str] = field(default_factory=list)  # CNs answered, in order (tests)

    @classmethod
    def for_frames(cls, mn: str, pw: str, st: str, frames: list[bytes], **kwargs: object) -> StationResponder:
        """A responder whose history is ``frames`` (the station's data packets, whether sent or not)."""
        history: dict[str, list[tuple[dt.datetime, bytes]]] = {}
        for frame in frames:
            packet = decode(frame)
            if packet.cn in HISTORY_CNS and packet.data_time is not None:
                history.setdefault(packet.cn, []).append((packet.data_time, frame))
        for items in history.values():
            items.sort(key=lambda x: x[0])
        return cls(mn=mn, pw=pw, st=st, history=history, **kwargs)  # type: ignore[arg-type]

    def _answer(self, request: Packet, cn: str, **params: str | int) -> bytes:
        return encode(
            make_packet(
                st=REPLY_ST, cn=cn, pw=self.pw, mn=self.mn, qn=request.qn, flag=4, params=params.items()
            )
        )

    def _upload(
        self, request: Packet, *, params: list[tuple[str, str | int]], values: tuple[FieldValue, ...] = ()
    ) -> bytes:
        return encode(
            make_packet(
                st=self.st,
                cn=request.cn,
                pw=self.pw,
                mn=self.mn,
                qn=request.qn,
                flag=4,
                params=params,
                values=values,
            )
        )

    def handle(self, request: Packet) -> list[bytes]:
        """The frames to write in answer to ``request`` (nothing when it is not addressed to this station)."""
        if request.mn != self.mn:
            return []
        self.handled.append(request.cn)
        cn = request.cn
        pol = request.param("PolId") or ""
        out = [self._answer(request, "9011", QnRtn=1)]
        exe = 1
        if cn == "1011":
            now = (self.clock() + self.clock_offset).astimezone(CST)
            params: list[tuple[str, str | int]] = [("PolId", pol)] if pol else []
            out.append(self._upload(request, params=[*params, ("SystemTime", format_datatime(now))]))
        elif cn == "1012":
            wanted = parse_datatime(request.param("SystemTime") or "", "SystemTime")
            self.clock_offset = wanted - self.clock()
        elif cn == "1061":
            out.append(self._upload(request, params=[("RtdInterval", self.rtd_interval)]))
        elif cn == "1062":
            self.rtd_interval = int(request.param("RtdInterval") or self.rtd_interval)
        elif cn == "1063":
            out.append(self._upload(request, params=[("MinInterval", self.min_interval)]))
        elif cn == "1064":
            self.min_interval = int(request.param("MinInterval") or self.min_interval)
        elif cn in ("3011", "3012", "3014", "3015"):
            pass  # calibration / sampling started and finished at once in the simulation
        elif cn == "3020":
            wanted_info = request.param("InfoId")
            ids = [wanted_info] if wanted_info else sorted(DEFAULT_INFO)
            values = tuple(
                FieldValue(i, "Info", self.info.get((pol, i), DEFAULT_INFO.get(i, "0"))) for i in ids
            )
            now = self.clock().astimezone(CST).replace(microsecond=0)
            upload = make_packet(
                st=self.st,
                cn="3020",
                pw=self.pw,
                mn=self.mn,
                qn=request.qn,
                flag=4,
                data_time=now,
                params=[("PolId", pol)],
                values=values,
            )
            out.append(encode(upload))
        elif cn == "3021":
            for value in request.values:
                if value.field == "Info":
                    self.info[(pol, value.code)] = "" if value.value is None else str(value.value)
        elif cn in HISTORY_CNS:
            begin = parse_datatime(request.param("BeginTime") or "", "BeginTime")
            end = parse_datatime(request.param("EndTime") or "", "EndTime")
            now = self.clock()
            found = [frame for t, frame in self.history.get(cn, []) if begin <= t <= end and t <= now]
            for frame in found:
                packet = dataclasses.replace(decode(frame), qn=request.qn, flag=5)
                out.append(encode(packet))
            exe = 1 if found else 100
        else:
            return [self._answer(request, "9011", QnRtn=8)]  # CN not known to this logger
        out.append(self._answer(request, "9012", ExeRtn=exe))
        return out
