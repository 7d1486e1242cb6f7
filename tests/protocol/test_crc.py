from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosentinel.protocol.hj212 import crc16, crc16_modbus
from ecosentinel.protocol.hj212.crc import crc16_reference
from tests.protocol import samples


def _body_and_crc(frame: bytes) -> tuple[bytes, int]:
    frame = frame.rstrip(b"\r\n")
    return frame[6:-4], int(frame[-4:], 16)


@pytest.mark.parametrize(
    "frame",
    [
        samples.STANDARD_EXAMPLE,
        samples.FIELD_2017_AIR,
        samples.FIELD_NO_FLAG,
        samples.FIELD_DATA_ACK_LOWER_HEX,
        samples.WATER_MINUTE,
        samples.RTD_2005,
    ],
)
def test_crc16_matches_crc_printed_in_frame(frame: bytes) -> None:
    body, printed = _body_and_crc(frame)
    assert crc16(body) == printed


@pytest.mark.parametrize("frame", [samples.FIELD_MODBUS_2005_NOTIFY, samples.FIELD_MODBUS_LIMITS])
def test_modbus_devices_frames_match_modbus_not_standard(frame: bytes) -> None:
    body, printed = _body_and_crc(frame)
    assert crc16_modbus(body) == printed
    assert crc16(body) != printed


def test_modbus_check_value() -> None:
    assert crc16_modbus(b"123456789") == 0x4B37  # the catalogued check value of CRC-16/MODBUS


def test_standard_crc_differs_from_modbus_on_check_string() -> None:
    assert crc16(b"123456789") == samples.crc_bitwise(b"123456789") != 0x4B37


def test_empty_input() -> None:
    assert crc16(b"") == crc16_reference(b"") == 0xFFFF


@given(st.binary(max_size=2100))
def test_folded_crc_equals_bitwise_definition(data: bytes) -> None:
    assert crc16(data) == samples.crc_bitwise(data) == crc16_reference(data)


@given(st.binary(max_size=600))
def test_modbus_equals_bitwise_definition(data: bytes) -> None:
    assert crc16_modbus(data) == samples.crc_modbus_bitwise(data)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1023, 1024, 1025, 9999])
def test_lengths_around_fold_boundaries(n: int) -> None:
    data = bytes((i * 37 + 11) & 0xFF for i in range(n))
    assert crc16(data) == samples.crc_bitwise(data)
