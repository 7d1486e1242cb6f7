"""Finding packets in a byte stream (:class:`Framer`) and joining sub-packets (:class:`Reassembler`).

Pure bytes in, messages out, no I/O (as pymodbus's framers): the connection handler feeds whatever the
socket gave and gets back decoded packets and frame errors; garbage is skipped to the next ``##`` and
nothing is ever raised into the connection loop.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass

from ecosentinel.protocol.hj212 import messages as msg
from ecosentinel.protocol.hj212.errors import Hj212Error
from ecosentinel.protocol.hj212.packet import Packet, decode, parse_body

__all__ = ["Frame", "FrameError", "Framer", "Reassembler"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FrameError:
    """Bytes that looked like a frame but could not be decoded, and why."""

    raw: bytes
    error: Hj212Error


Frame = Packet | FrameError


class Framer:
    """Split a byte stream into frames: ``Framer(max_packet_bytes=4096).feed(data) -> list[Frame]``.

    A frame is taken when its declared length, CRC and CRLF have arrived (a frame followed directly by
    something other than CRLF is taken without it). A frame whose data segment would contain CR or LF
    was cut short (the data segment is text without line breaks): it is reported at once. After any bad
    frame, scanning resumes just after its first ``#``, so a good frame hidden in a damaged one is found.
    Bytes before a ``##`` are garbage: skipped, counted in ``garbage_bytes``, not reported.
    """

    def __init__(self, max_packet_bytes: int = 4096, *, lazy_items: bool = False) -> None:
        self.max_packet_bytes = max_packet_bytes
        self.lazy_items = lazy_items  # decode(..., lazy_items=True): items parsed on first use
        self.garbage_bytes = 0
        self._buf = b""

    @property
    def pending(self) -> int:
        """Bytes held waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes, *, max_errors: int | None = None) -> list[Frame]:
        """Add received bytes; return every frame completed by them, in order. Never raises.

        With ``max_errors``, scanning stops after that many bad frames (the rest stays buffered for the
        next call, so ``pending`` may then exceed one frame): a caller that closes a connection over its
        budget does no work on the rest."""
        out: list[Frame] = []
        buf = self._buf + data if self._buf else data
        try:
            buf = self._scan(buf, out, max_errors)
        except Exception as exc:  # the contract is "never raises": report, drop the buffer, go on
            logger.exception("HJ 212 framer failed")
            out.append(FrameError(buf, Hj212Error(msg.INTERNAL.format(error=exc), reason="internal")))
            buf = b""
        self._buf = buf
        return out

    def _skip(self, n: int) -> None:
        if n:
            self.garbage_bytes += n
            logger.debug("skipped %d bytes of garbage", n)

    def _scan(self, buf: bytes, out: list[Frame], max_errors: int | None = None) -> bytes:
        limit = self.max_packet_bytes
        errors = 0
        stop = -1 if max_errors is None else max_errors
        while buf:
            if errors == stop:
                return buf
            start = buf.find(b"##")
            if start < 0:
                keep = 1 if buf[-1:] == b"#" else 0  # maybe the first half of the next marker
                self._skip(len(buf) - keep)
                return buf[len(buf) - keep :]
            if start:
                self._skip(start)
                buf = buf[start:]
            if len(buf) < 6:
                return buf
            if buf[2:3] == b"#":  # "###": the marker starts one byte later
                self._skip(1)
                buf = buf[1:]
                continue
            length_text = buf[2:6]
            if not length_text.isdigit():
                out.append(
                    FrameError(
                        buf[:6],
                        Hj212Error(
                            msg.BAD_LENGTH_FIELD.format(text=length_text.decode("latin-1")), reason="length"
                        ),
                    )
                )
                errors += 1
                buf = buf[1:]
                continue
            end = 6 + int(length_text) + 4
            if end + 2 > limit:
                out.append(
                    FrameError(
                        buf[:6], Hj212Error(msg.OVERSIZE.format(size=end + 2, limit=limit), reason="oversize")
                    )
                )
                errors += 1
                buf = buf[1:]
                continue
            # a line break before the frame's end means this frame was cut short
            cut = _line_break(buf, 6, end)
            if cut >= 0:
                raw = buf[:cut]
                out.append(FrameError(raw, _truncated(raw)))
                errors += 1
                buf = buf[1:]
                continue
            if len(buf) < end or (len(buf) < end + 2 and b"\r\n".startswith(buf[end:])):
                return buf  # wait for the rest, and for the CRLF so that raw is the frame as sent
            frame = buf[: end + 2] if buf[end : end + 2] == b"\r\n" else buf[:end]
            try:
                out.append(decode(frame, lazy_items=self.lazy_items))
            except Hj212Error as err:
                out.append(FrameError(frame, err))
                errors += 1
                buf = buf[1:]
                continue
            buf = buf[len(frame) :]
        return buf


def _line_break(buf: bytes, start: int, end: int) -> int:
    cr = buf.find(b"\r", start, end)
    lf = buf.find(b"\n", start, end)
    if cr < 0:
        return lf
    if lf < 0:
        return cr
    return min(cr, lf)


def _truncated(raw: bytes) -> Hj212Error:
    try:
        decode(raw)
    except Hj212Error as err:
        return err
    # cannot happen: a frame cut before its declared length fails the length check
    return Hj212Error(msg.TOO_SHORT.format(actual=len(raw)), reason="length")  # pragma: no cover


class Reassembler:
    """Join sub-packets (Flag bit D, PNUM/PNO) of one message into one Packet.

    ``feed(packet)`` returns the packet itself when it is not split, ``None`` while parts are missing, and
    the joined packet (CP groups in PNO order, PNUM/PNO cleared, bit D cleared, ``raw`` = the parts' raw
    bytes concatenated) when the last part arrives. Parts are keyed by (MN, CN, QN); at most
    ``max_pending`` incomplete messages are held, the oldest is dropped (and logged) beyond that.
    """

    def __init__(self, max_pending: int = 1024) -> None:
        self.max_pending = max_pending
        self._pending: OrderedDict[tuple[str, str, str | None], dict[int, Packet]] = OrderedDict()

    @property
    def pending(self) -> int:
        """Number of incomplete messages held."""
        return len(self._pending)

    def add(self, packet: Packet) -> Packet | None:
        """Same as :meth:`feed`."""
        return self.feed(packet)

    def feed(self, packet: Packet) -> Packet | None:
        """Add one packet; see the class docstring. Raises Hj212Error if PNO is out of range."""
        pnum, pno = packet.pnum, packet.pno
        if pnum is None or pno is None or pnum <= 1:
            return packet
        if not 1 <= pno <= pnum:
            raise Hj212Error(msg.BAD_PNO.format(pno=pno, pnum=pnum), reason="header", location="PNO")
        key = (packet.mn, packet.cn, packet.qn)
        parts = self._pending.get(key)
        if parts is None:
            parts = self._pending[key] = {}
            while len(self._pending) > self.max_pending:
                dropped, old = self._pending.popitem(last=False)
                logger.warning("dropping incomplete split message %s (%d parts held)", dropped, len(old))
        parts[pno] = packet
        if len(parts) < pnum:
            return None
        del self._pending[key]
        return _join([parts[i] for i in range(1, pnum + 1)])


def _join(parts: list[Packet]) -> Packet:
    first = parts[0]
    cp = ";".join(p.cp for p in parts if p.cp)
    flag = None if first.flag is None else first.flag & ~2
    head = [] if first.qn is None else [f"QN={first.qn}"]
    head += [f"ST={first.st}", f"CN={first.cn}", f"PW={first.pw}", f"MN={first.mn}"]
    if flag is not None:
        head.append(f"Flag={flag}")
    text = ";".join(head) + f";CP=&&{cp}&&"
    return parse_body(text, raw=b"".join(p.raw for p in parts), crc_variant=first.crc_variant)
