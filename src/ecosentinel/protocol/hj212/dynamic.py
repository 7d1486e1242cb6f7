"""Dynamic-control uploads (动态管控, CN 3020): on-site device logs, states and parameters.

A 3020 packet carries ``DataTime=…``, ``PolId=<factor>`` and ``<InfoId>-Info=<value>`` items
(InfoId ``i11xxx`` logs, ``i12xxx`` states, ``i13xxx`` parameters such as range, slope, intercept,
digestion temperature and time). Each Info item belongs to the nearest PolId and DataTime before it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ecosentinel.protocol.hj212.packet import Packet, _tokens_quoted, parse_datatime

__all__ = ["DeviceParameter", "device_parameters"]


@dataclass(frozen=True, slots=True)
class DeviceParameter:
    """One Info item of a CN 3020 upload."""

    data_time: dt.datetime | None
    pol_id: str | None  # the factor the device measures (PolId), None for station-level info
    info_id: str  # e.g. "i13004" digestion temperature
    value: str | None  # as sent (numbers stay text: the InfoId decides the type)


def device_parameters(packet: Packet) -> list[DeviceParameter]:
    """The Info items of a CN 3020 packet with their PolId and DataTime; [] for other commands."""
    if packet.cn != "3020" or not packet.cp:
        return []
    cp = packet.cp
    tokens = _tokens_quoted(cp) if "//" in cp else cp.replace(";", ",").split(",")
    out: list[DeviceParameter] = []
    data_time = packet.data_time
    pol_id: str | None = None
    for item in tokens:
        key, _, val = item.partition("=")
        if key == "DataTime":
            data_time = parse_datatime(val)
        elif key == "PolId":
            pol_id = val or None
        elif key.endswith("-Info"):
            out.append(DeviceParameter(data_time, pol_id, key[:-5], val or None))
    return out
