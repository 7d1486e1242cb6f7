"""Answers a receiving platform sends back: 9011 (QnRtn), 9012 (ExeRtn), 9013 (notification), 9014 (data).

HJ 212-2017 puts the request's QN in the header (``QN=…;ST=91;CN=9014;PW=…;MN=…;Flag=4;CP=&&&&``);
HJ/T 212-2005 has no QN in the answer header and carries it in CP
(``ST=91;CN=9011;PW=…;MN=…;Flag=0;CP=&&QN=…;QnRtn=1&&``). The answer's Flag keeps the request's version
bits with A (reply required) and D (split) cleared.
"""

from __future__ import annotations

from ecosentinel.protocol.hj212.packet import Packet, compose_cp, frame_body
from ecosentinel.protocol.hj212.packet import _header as header_text

__all__ = ["REPLY_ST", "build_reply"]

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
