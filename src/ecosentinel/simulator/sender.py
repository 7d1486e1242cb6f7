"""Send simulated stations to an HJ 212 server over real TCP, as data loggers do.

Each station has its own connection (a logger keeps one socket open) and sends its packets in time order,
waiting for the 9014 data answer to each before the next (Flag=5: reply required). A refused packet
(9011 with QnRtn ≠ 1, e.g. wrong PW) is counted and skipped. On a broken connection or a missing answer
the station reconnects with back-off and re-sends the same bytes (the server must be idempotent).

``send_to_server`` pushes a whole run as fast as the server answers; ``send_live`` paces the packets on the
wall clock (minute data every minute, divided by ``speed``), starting now.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

import polars as pl

from ecosentinel.protocol.hj212 import (
    FieldValue,
    FrameError,
    Framer,
    Packet,
    build_data_packet,
    encode,
    format_datatime,
    make_packet,
)
from ecosentinel.readings import CN_BY_KIND, DataKind, Source
from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.models import SimulationConfig, SimulationResult
from ecosentinel.simulator.responder import StationResponder

logger = logging.getLogger(__name__)

ST_BY_TYPE = {"water": "32", "gas": "31"}
_QN_SUFFIX = {DataKind.MINUTE: "000", DataKind.HOUR: "001", DataKind.DAY: "002", DataKind.RTD: "003"}
"""QN is the send time; the suffix keeps packets sent at the same second apart (and re-sends identical)."""
_DUE = {
    DataKind.RTD: dt.timedelta(0),
    DataKind.MINUTE: dt.timedelta(minutes=1),
    DataKind.HOUR: dt.timedelta(hours=1),
    DataKind.DAY: dt.timedelta(days=1),
}


@dataclass(frozen=True, slots=True)
class OutgoingPacket:
    """One frame and when a logger would send it (the end of its interval)."""

    due: dt.datetime
    frame: bytes


@dataclass(slots=True)
class SendStats:
    """What a send achieved."""

    packets: int = 0  # frames written (first attempts)
    acked: int = 0  # answered with 9014
    refused: int = 0  # answered with 9011 QnRtn ≠ 1
    reconnects: int = 0
    failed: int = 0  # given up after the retries
    per_station: dict[str, int] = field(default_factory=dict)


def station_packets(
    result: SimulationResult, mn: str, *, include_uploads: bool = True, include_wc: bool = True
) -> list[OutgoingPacket]:
    """All HJ 212 frames of one station, in the order a logger sends them.

    Data packets come from the platform-source readings (minute 2051, hour 2061, day 2031, real-time 2011):
    ``-Avg/-Min/-Max/-Cou/-ZsAvg/-Flag`` per factor (``-Rtd/-ZsRtd`` for real-time); 3020 parameter uploads
    carry ``PolId`` and ``<InfoId>-Info``.
    """
    point = result.point(mn)
    st, pw = ST_BY_TYPE[point["type"]], point["pw"]
    frame = result.readings.filter((pl.col("mn") == mn) & (pl.col("source") == Source.PLATFORM.value))
    if not include_wc:
        frame = frame.filter(~pl.col("code").str.starts_with("wc_"))
    out: list[OutgoingPacket] = []
    for (kind_name,), part in frame.group_by(["kind"], maintain_order=True):
        kind = DataKind(str(kind_name))
        cn = CN_BY_KIND[kind]
        part = part.sort(["time", "code"], maintain_order=True)
        for t, factors in _group_by_time(part, kind):
            qn = format_datatime(t + _DUE[kind]) + _QN_SUFFIX[kind]
            data = build_data_packet(mn=mn, pw=pw, cn=cn, data_time=t, factors=factors, st=st, flag=5, qn=qn)
            out.append(OutgoingPacket(t + _DUE[kind], data))
    if include_uploads:
        uploads = result.parameter_uploads.filter(pl.col("mn") == mn).sort(["time", "pol_id"])
        for (t, pol), group in uploads.group_by(["time", "pol_id"], maintain_order=True):
            assert isinstance(t, dt.datetime)
            values = [
                FieldValue(i, "Info", _num(v)) for i, v in zip(group["info_id"], group["value"], strict=True)
            ]
            packet = make_packet(
                st=st,
                cn="3020",
                pw=pw,
                mn=mn,
                qn=format_datatime(t) + "004",
                flag=5,
                data_time=t,
                params=[("PolId", str(pol))],
                values=values,
            )
            out.append(OutgoingPacket(t, encode(packet)))
    out.sort(key=lambda p: p.due)
    return out


def _num(v: float) -> str:
    return f"{v:.6f}".rstrip("0").rstrip(".") if v != int(v) else str(int(v))


def _group_by_time(
    part: pl.DataFrame, kind: DataKind
) -> Iterable[tuple[dt.datetime, dict[str, dict[str, float | str | None]]]]:
    cols = {c: part[c].to_list() for c in ("time", "code", "value", "vmin", "vmax", "cou", "zs", "flag")}
    current: dt.datetime | None = None
    factors: dict[str, dict[str, float | str | None]] = {}
    for i, t in enumerate(cols["time"]):
        if t != current:
            if current is not None and factors:
                yield current, factors
            current, factors = t, {}
        value = cols["value"][i]
        if value is None:
            continue
        fields: dict[str, float | str | None] = {}
        if kind is DataKind.RTD:
            fields["Rtd"] = value
            if cols["zs"][i] is not None:
                fields["ZsRtd"] = cols["zs"][i]
        else:
            fields["Avg"] = value
            if cols["vmin"][i] is not None:
                fields["Min"] = cols["vmin"][i]
                fields["Max"] = cols["vmax"][i]
            if cols["cou"][i] is not None:
                fields["Cou"] = cols["cou"][i]
            if cols["zs"][i] is not None:
                fields["ZsAvg"] = cols["zs"][i]
        fields["Flag"] = cols["flag"][i]
        factors[cols["code"][i]] = fields
    if current is not None and factors:
        yield current, factors


def station_responder(
    result: SimulationResult,
    mn: str,
    packets: list[OutgoingPacket],
    *,
    clock: Callable[[], dt.datetime] | None = None,
) -> StationResponder:
    """The responder of one station, holding all its data packets as history."""
    point = result.point(mn)
    kwargs = {} if clock is None else {"clock": clock}
    return StationResponder.for_frames(
        mn, point["pw"], ST_BY_TYPE[point["type"]], [p.frame for p in packets], **kwargs
    )


class _Link:
    """One logger's TCP connection: write a frame and wait for the answer naming its QN; a reader task also
    answers the platform's requests (反控, history requests) through the station's responder."""

    def __init__(
        self, host: str, port: int, timeout: float, responder: StationResponder | None = None
    ) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.framer = Framer()
        self.responder = responder
        self._task: asyncio.Task[None] | None = None
        self._waiting: tuple[str | None, asyncio.Future[Packet]] | None = None

    async def open(self) -> None:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), self.timeout)
        self.reader, self.writer = reader, writer
        self.framer = Framer()
        self._task = asyncio.create_task(self._read(reader, writer))

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        error: Exception = ConnectionError("server closed the connection")
        try:
            while True:
                data = await reader.read(4096)
                if not data:
                    break
                for item in self.framer.feed(data):
                    if isinstance(item, FrameError):
                        logger.warning("bad frame from server: %s", item.error)
                    elif item.cn in ("9014", "9011"):
                        waiting = self._waiting
                        if waiting is not None and waiting[0] == item.qn and not waiting[1].done():
                            waiting[1].set_result(item)
                    elif not item.cn.startswith("90") and self.responder is not None:
                        for frame in self.responder.handle(item):
                            writer.write(frame)
        except (OSError, ConnectionError) as exc:
            error = exc
        waiting = self._waiting
        if waiting is not None and not waiting[1].done():
            waiting[1].set_exception(error)

    async def exchange(self, frame: bytes) -> Packet:
        """Send one frame and return the server's answer to it (9014 or 9011)."""
        if self.writer is None or self._task is None or self._task.done():
            await self.close()
            await self.open()
        assert self.writer is not None
        future: asyncio.Future[Packet] = asyncio.get_running_loop().create_future()
        self._waiting = (_qn_of(frame), future)
        self.writer.write(frame)
        await self.writer.drain()
        return await asyncio.wait_for(future, self.timeout)


def _qn_of(frame: bytes) -> str | None:
    start = frame.find(b"QN=", 6)
    if start < 0 or (start > 6 and frame[start - 1 : start] != b";"):
        return None
    end = frame.find(b";", start)
    return frame[start + 3 : end].decode("ascii", "replace")


async def _run_station(
    mn: str,
    packets: list[OutgoingPacket],
    host: str,
    port: int,
    stats: SendStats,
    *,
    reply_timeout: float,
    retries: int,
    pace: _Pace | None,
    responder: StationResponder | None = None,
    outage: tuple[dt.datetime, dt.datetime] | None = None,
    linger_s: float = 0.0,
) -> None:
    link = _Link(host, port, reply_timeout, responder)
    sent = 0
    try:
        for p in packets:
            if outage is not None and outage[0] <= p.due < outage[1]:
                continue  # not sent live: the logger keeps it in its history (back-fill can fetch it)
            if pace is not None:
                await pace.wait_until(p.due)
            stats.packets += 1
            for attempt in range(retries + 1):
                try:
                    answer = await link.exchange(p.frame)
                except (OSError, ConnectionError, TimeoutError, asyncio.IncompleteReadError) as exc:
                    await link.close()
                    if attempt == retries:
                        stats.failed += 1
                        logger.warning("%s: giving up on a packet after %d retries: %s", mn, retries, exc)
                        break
                    stats.reconnects += 1
                    await asyncio.sleep(min(5.0, 0.05 * 2**attempt))
                    continue
                if answer.cn == "9014":
                    stats.acked += 1
                    sent += 1
                else:
                    stats.refused += 1
                    logger.warning("%s: packet refused (QnRtn=%s)", mn, answer.param("QnRtn"))
                break
        if linger_s > 0:  # stay connected, answering the platform's requests
            if link.writer is None:
                await link.open()
            await asyncio.sleep(linger_s)
    finally:
        await link.close()
        stats.per_station[mn] = sent


@dataclass(slots=True)
class _Pace:
    """Maps simulated time to the wall clock: ``sim_start`` happens at ``wall_start``; ``speed`` × faster."""

    sim_start: dt.datetime
    wall_start: float
    speed: float

    def now(self) -> dt.datetime:
        """The simulated time now."""
        elapsed = asyncio.get_running_loop().time() - self.wall_start
        return self.sim_start + dt.timedelta(seconds=elapsed * self.speed)

    async def wait_until(self, due: dt.datetime) -> None:
        loop = asyncio.get_running_loop()
        target = self.wall_start + (due - self.sim_start).total_seconds() / self.speed
        delay = target - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)


async def send_to_server(
    result: SimulationResult,
    host: str,
    port: int,
    *,
    concurrency: int = 16,
    reply_timeout: float = 10.0,
    retries: int = 5,
    include_uploads: bool = True,
    include_wc: bool = True,
    outage: tuple[dt.datetime, dt.datetime] | None = None,
    linger_s: float = 0.0,
    responders: dict[str, StationResponder] | None = None,
) -> SendStats:
    """Send every station of ``result`` (one connection each, at most ``concurrency`` at once).

    Every station answers the platform's requests (反控, history) while connected; ``outage`` leaves the
    packets due in ``[start, end)`` unsent (they stay in the station's history); ``linger_s`` keeps each
    connection open that long after the last packet. ``responders`` (MN -> responder) is filled in.
    """
    stats = SendStats()
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(mn: str) -> None:
        async with gate:
            packets = station_packets(result, mn, include_uploads=include_uploads, include_wc=include_wc)
            responder = station_responder(result, mn, packets)
            if responders is not None:
                responders[mn] = responder
            await _run_station(
                mn,
                packets,
                host,
                port,
                stats,
                reply_timeout=reply_timeout,
                retries=retries,
                pace=None,
                responder=responder,
                outage=outage,
                linger_s=linger_s,
            )

    await asyncio.gather(*(one(p["mn"]) for p in result.points()))
    return stats


async def send_live(
    config: SimulationConfig,
    host: str,
    port: int,
    *,
    speed: float = 1.0,
    reply_timeout: float = 10.0,
    retries: int = 5,
    now: dt.datetime | None = None,
) -> SendStats:
    """Keep sending current data: the run starts at this minute and each packet goes out when it is due.

    With ``speed`` 60 a simulated hour passes in a wall-clock minute. Runs until ``config.days`` are sent
    or the task is cancelled. Every station gets its own connection (no concurrency cap: they are paced).
    """
    start = (now or dt.datetime.now(dt.UTC)).replace(second=0, microsecond=0)
    result = simulate(replace(config, start=start))
    stats = SendStats()
    pace = _Pace(start, asyncio.get_running_loop().time(), max(speed, 1e-6))
    packets = {p["mn"]: station_packets(result, p["mn"]) for p in result.points()}
    tasks = [
        _run_station(
            mn,
            frames,
            host,
            port,
            stats,
            reply_timeout=reply_timeout,
            retries=retries,
            pace=pace,
            responder=station_responder(result, mn, frames, clock=pace.now),
        )
        for mn, frames in packets.items()
    ]
    await asyncio.gather(*tasks)
    return stats


LoggerLink = _Link
"""A simulated logger's connection (public name): ``exchange(frame)`` sends a packet and returns its answer;
with a :class:`StationResponder` it answers the platform's requests while open."""
