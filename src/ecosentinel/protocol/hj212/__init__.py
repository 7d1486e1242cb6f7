"""HJ 212-2017 / HJ/T 212-2005 codec: pure (no I/O), fast on the data-upload path.

Public API: :func:`decode`, :func:`encode`, :func:`crc16`, :class:`Packet`, :class:`FieldValue`,
:func:`build_data_packet`, :func:`build_reply`, :func:`packet_readings`, :func:`packet_readings_frame`,
:func:`device_parameters`, :class:`Framer`, :class:`Reassembler`, :class:`Hj212Error`, :data:`FACTORS`,
:func:`normalise_code`. See docs/hj212.md.
"""

from ecosentinel.protocol.hj212.codes import (
    CODE_2005_TO_2017,
    COMMANDS,
    FACTORS,
    INFO_IDS,
    NUMERIC_FIELDS,
    SYSTEMS,
    ExeRtn,
    FactorInfo,
    QnRtn,
    normalise_code,
)
from ecosentinel.protocol.hj212.convert import packet_reading_rows, packet_readings, packet_readings_frame
from ecosentinel.protocol.hj212.crc import crc16, crc16_modbus
from ecosentinel.protocol.hj212.dynamic import DeviceParameter, device_parameters
from ecosentinel.protocol.hj212.errors import Hj212Error
from ecosentinel.protocol.hj212.framer import Frame, FrameError, Framer, Reassembler
from ecosentinel.protocol.hj212.packet import (
    FieldValue,
    Packet,
    build_data_packet,
    compose_cp,
    decode,
    encode,
    format_datatime,
    make_packet,
    packet_items,
    packet_to_json,
    parse_datatime,
)
from ecosentinel.protocol.hj212.replies import build_reply, error_reply, salvage_header

__all__ = [
    "CODE_2005_TO_2017",
    "COMMANDS",
    "FACTORS",
    "INFO_IDS",
    "NUMERIC_FIELDS",
    "SYSTEMS",
    "DeviceParameter",
    "ExeRtn",
    "FactorInfo",
    "FieldValue",
    "Frame",
    "FrameError",
    "Framer",
    "Hj212Error",
    "Packet",
    "QnRtn",
    "Reassembler",
    "build_data_packet",
    "build_reply",
    "compose_cp",
    "crc16",
    "crc16_modbus",
    "decode",
    "device_parameters",
    "encode",
    "error_reply",
    "format_datatime",
    "make_packet",
    "normalise_code",
    "packet_items",
    "packet_reading_rows",
    "packet_readings",
    "packet_readings_frame",
    "packet_to_json",
    "parse_datatime",
    "salvage_header",
]
