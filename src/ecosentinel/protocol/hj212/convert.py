"""From data-upload packets (CN 2011/2051/2061/2031) to readings: one per factor, 2005 codes normalised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import polars as pl

from ecosentinel.protocol.hj212.codes import normalise_code
from ecosentinel.protocol.hj212.packet import Packet, packet_items
from ecosentinel.readings import KIND_BY_CN, DataKind, Reading, ReadingRow, Source, reading_rows_frame

__all__ = ["packet_reading_rows", "packet_readings", "packet_readings_frame"]

Row = list[float | str | None]

# slot per field: 0 value, 1 min, 2 max, 3 cou, 4 zs, 5 flag, 6 value fallback, 7 zs fallback
_SLOTS_RTD = {"Rtd": 0, "Min": 1, "Max": 2, "Cou": 3, "ZsRtd": 4, "Flag": 5, "Avg": 6, "ZsAvg": 7}
_SLOTS_AVG = {"Avg": 0, "Min": 1, "Max": 2, "Cou": 3, "ZsAvg": 4, "Flag": 5, "Rtd": 6, "ZsRtd": 7}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)


def _rows(packet: Packet, kind: DataKind) -> dict[str, Row]:
    if packet.data_time is None:  # decode refuses data uploads with values but no DataTime
        return {}
    slots = _SLOTS_RTD if kind is DataKind.RTD else _SLOTS_AVG
    rows: dict[str, Row] = {}
    for code, field, value in packet_items(packet):
        slot = slots.get(field)
        if slot is None:
            continue
        row = rows.get(code)
        if row is None:
            row = rows[code] = [None, None, None, None, None, None, None, None]
        row[slot] = value
    return rows


def _num(v: float | str | None) -> float | None:
    return v if isinstance(v, float) else None


def packet_readings(packet: Packet, *, source: Source = Source.PLATFORM) -> list[Reading]:
    """One Reading per factor of a data upload (time = DataTime, value = Rtd or Avg); [] for other CNs."""
    kind = KIND_BY_CN.get(packet.cn)
    if kind is None:
        return []
    rows = _rows(packet, kind)
    time = packet.data_time
    if time is None:
        return []
    out: list[Reading] = []
    for code, row in rows.items():
        value = row[0] if row[0] is not None else row[6]
        zs = row[4] if row[4] is not None else row[7]
        flag = row[5]
        out.append(
            Reading(
                mn=packet.mn,
                code=normalise_code(code),
                kind=kind,
                time=time,
                value=_num(value),
                flag=flag if isinstance(flag, str) else "N",
                source=source,
                vmin=_num(row[1]),
                vmax=_num(row[2]),
                cou=_num(row[3]),
                zs=_num(zs),
            )
        )
    return out


def packet_reading_rows(packets: Sequence[Packet], *, source: Source = Source.PLATFORM) -> list[ReadingRow]:
    """The readings of many packets as plain rows (``ReadingRow``, time in epoch microseconds): what the
    ingest writer hands to the store, without building Reading objects or a frame."""
    out: list[ReadingRow] = []
    add = out.append
    source_value = source.value
    for packet in packets:
        kind = KIND_BY_CN.get(packet.cn)
        if kind is None:
            continue
        rows = _rows(packet, kind)
        if not rows:
            continue
        assert packet.data_time is not None  # _rows gave no rows otherwise
        mn = packet.mn
        kind_value = kind.value
        t = (packet.data_time - _EPOCH) // _US
        for code, row in rows.items():
            v = row[0] if row[0] is not None else row[6]
            zs = row[4] if row[4] is not None else row[7]
            vmin, vmax, cou, flag = row[1], row[2], row[3], row[5]
            add(
                (
                    mn,
                    normalise_code(code),
                    kind_value,
                    t,
                    source_value,
                    v if isinstance(v, float) else None,
                    vmin if isinstance(vmin, float) else None,
                    vmax if isinstance(vmax, float) else None,
                    cou if isinstance(cou, float) else None,
                    zs if isinstance(zs, float) else None,
                    flag if isinstance(flag, str) else "N",
                )
            )
    return out


def packet_readings_frame(packets: Sequence[Packet], *, source: Source = Source.PLATFORM) -> pl.DataFrame:
    """The readings of many packets as one frame in READING_SCHEMA (no Reading objects are built)."""
    return reading_rows_frame(packet_reading_rows(packets, source=source))
