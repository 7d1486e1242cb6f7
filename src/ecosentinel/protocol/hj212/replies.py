"""Answers a receiving platform sends back: 9011 (QnRtn), 9012 (ExeRtn), 9013 (notification), 9014 (data).

HJ 212-2017 puts the request's QN in the header (``QN=…;ST=91;CN=9014;PW=…;MN=…;Flag=4;CP=&&&&``);
HJ/T 212-2005 has no QN in the answer header and carries it in CP
(``ST=91;CN=9011;PW=…;MN=…;Flag=0;CP=&&QN=…;QnRtn=1&&``). The answer's Flag keeps the request's version
bits with A (reply required) and D (split) cleared.
"""

from __future__ import annotations

from ecosentinel.protocol.hj212.codes import QnRtn
from ecosentinel.protocol.hj212.errors import Hj212Error
from ecosentinel.protocol.hj212.packet import Packet, compose_cp, frame_body, make_packet
from ecosentinel.protocol.hj212.packet import _header as header_text

__all__ = ["REPLY_ST", "build_reply", "error_reply", "salvage_header"]

_CP_MARK = b"CP=&&"
_SAFE = frozenset(range(0x21, 0x7F)) - frozenset(b";,=&")  # printable ASCII without reserved characters

REPLY_ST = "91"  # system interaction


def build_reply(request: Packet, cn: str, **params: str | int) -> bytes:
    """The answer to ``request``, e.g. ``build_reply(p, "9014")`` or ``build_reply(p, "9011", QnRtn=3)``."""
    if request.version == "2005":
        flag = 0 if request.flag is None else request.flag & ~3
        qn = None
        request_qn = request.qn or request.param("QN")
        items: list[tuple[str, str | int]] = [] if request_qn is None else [("QN", request_qn)]
    else:
        flag = 4 if request.flag is None or not request.flag >> 2 else request.flag & ~3
        qn = request.qn
        items = []
    items.extend(params.items())
    cp = compose_cp(params=items)
    head = header_text(qn, REPLY_ST, cn, request.pw, request.mn, flag, None, None)
    return frame_body(f"{head};CP=&&{cp}&&".encode())


def salvage_header(raw: bytes) -> Packet | None:
    """The header (QN, ST, CN, PW, MN, Flag) of a frame that failed to decode, when it can be read.

    The header is the text between the 4-digit length and ``CP=&&``; it is read only when whole (``CP=&&``
    present), printable ASCII, and names an MN. The CP, the length and the CRC are not trusted or needed.
    Returns a Packet without CP (enough for :func:`build_reply`), or None.
    """
    if raw[:2] != b"##":
        return None
    end = raw.find(_CP_MARK, 6)
    if end < 0:
        return None
    fields: dict[str, str] = {}
    for item in raw[6:end].split(b";"):
        key, eq, value = item.partition(b"=")
        if not eq or not key or any(c not in _SAFE for c in key + value):
            continue
        fields.setdefault(key.decode("ascii"), value.decode("ascii"))
    mn = fields.get("MN")
    if not mn:
        return None
    flag_text = fields.get("Flag")
    flag = int(flag_text) if flag_text is not None and flag_text.isdigit() and len(flag_text) < 6 else None
    qn = fields.get("QN")
    try:
        return make_packet(
            st=fields.get("ST", ""),
            cn=fields.get("CN", ""),
            pw=fields.get("PW", ""),
            mn=mn,
            qn=qn if qn is not None and qn.isdigit() else None,
            flag=flag,
        )
    except Hj212Error:  # pragma: no cover - the fields were checked above
        return None


def error_reply(raw: bytes, error: Hj212Error) -> bytes | None:
    """The 9011 answer (``QnRtn`` = ``error.qn_rtn``) to a frame that failed to decode, or None.

    Answered like a good packet: when the header can be read (:func:`salvage_header`) and its Flag asks
    for an answer (bit A), or when the Flag itself is unreadable (the sender is told its Flag is wrong).
    Frames without a readable header (no ``CP=&&``, no MN, bad length field, oversize) get no answer:
    there is no one to address it to. The caller counts them against the connection's budget.
    """
    header = salvage_header(raw)
    if header is None:
        return None
    if not header.reply_required and error.qn_rtn != QnRtn.FLAG_WRONG:
        return None
    return build_reply(header, "9011", QnRtn=error.qn_rtn)
