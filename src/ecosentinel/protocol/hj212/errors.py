"""The codec's error type."""

from __future__ import annotations

from ecosentinel.errors import ValidationError
from ecosentinel.protocol.hj212.codes import QnRtn

__all__ = ["Hj212Error"]


class Hj212Error(ValidationError):
    """A packet is malformed. ``qn_rtn`` is the QnRtn code to answer with (9 bad CRC, 4 bad MN …);
    ``reason`` is a stable machine-readable kind (``length``, ``crc``, ``missing_field``, ``number`` …);
    ``location`` names the field when there is one."""

    def __init__(
        self,
        message: str,
        *,
        reason: str = "format",
        qn_rtn: int = QnRtn.UNKNOWN,
        location: str | None = None,
    ) -> None:
        self.reason = reason
        self.qn_rtn = int(qn_rtn)
        super().__init__(message, location=location)
