"""Literal HJ 212 frames for the tests. Every CRC here was computed outside the codec (a bit-by-bit
implementation of the standard's algorithm, or by the frame's original sender) — never by crc16()."""

from __future__ import annotations

# HJ 212-2017's own example (length 0101, CRC 1C80 as printed in the standard)
STANDARD_EXAMPLE = (
    b"##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    b"CP=&&RtdInterval=30&&1C80\r\n"
)

# field frames published with public HJ 212 software; their CRCs come from their senders
FIELD_2017_AIR = (
    b"##0285QN=20190925181031464;ST=22;CN=2061;PW=BF470F88957588DE902D1A52;MN=Z13401000010301;Flag=5;"
    b"CP=&&DataTime=20190924220000;a34006-Avg=2.69700,a34006-Flag=N;a34007-Avg=7.96600,a34007-Flag=N;"
    b"a34048-Avg=3.30600,a34048-Flag=N;a34047-Avg=7.35700,a34047-Flag=N;a34049-Avg=10.66300,a34049-Flag=N"
    b"&&C181\r\n"
)
FIELD_NO_FLAG = (
    b"##0321ST=32;CN=2011;PW=123456;MN=DM000001;CP=&&DataTime=20191223165100;w01001-Rtd=15.294,"
    b"w01001-Flag=N;w01006-Rtd=12.122,w01006-Flag=N;w01010-Rtd=21.639,w01010-Flag=N;w01014-Rtd=92.088,"
    b"w01014-Flag=N;w21003-Rtd=78.741,w21003-Flag=N;w21011-Rtd=92.488,w21011-Flag=N;w01019-Rtd=51.248,"
    b"w01019-Flag=N;w01003-Rtd=3.262,w01003-Flag=N&&A141"
)
FIELD_DATA_ACK_LOWER_HEX = (
    b"##0078QN=20201008154743635;ST=91;CN=9014;PW=123456;MN=SD000001;Flag=9;CP=&&QnRtn=1&&71c0\r\n"
)
# these two devices' software uses CRC-16/MODBUS instead of the standard's CRC
FIELD_MODBUS_2005_NOTIFY = (
    b"##0076ST=91;CN=9013;PW=123456;MN=ABCDEFG1234567;Flag=0;CP=&&QN=20170516010101001&&1CBA\r\n"
)
FIELD_MODBUS_LIMITS = (
    b"##0142QN=20170516010101001;ST=22;CN=1022;PW=123456;MN=ABCDEFG1234567;Flag=3;"
    b"CP=&&101-LowValue=1.1,101-UpValue=9.9;102-LowValue=1.1,102-UpValue=9.9&&D413\r\n"
)

# written for these tests; CRC from the bit-by-bit reference
WATER_MINUTE = (
    b"##0278QN=20260105083000000;ST=32;CN=2051;PW=123456;MN=33040000000000000000WS01;Flag=5;"
    b"CP=&&DataTime=20260105082000;w01018-Avg=35.2,w01018-Min=30.1,w01018-Max=41.7,w01018-Flag=N;"
    b"w21003-Avg=1.234,w21003-Min=0.9,w21003-Max=1.5,w21003-Flag=N;w00000-Avg=12.5,w00000-Cou=7.5,"
    b"w00000-Flag=N&&5280\r\n"
)
GAS_HOUR = (
    b"##0246QN=20260105090000123;ST=31;CN=2061;PW=654321;MN=33040000000000000000FQ01;Flag=5;"
    b"CP=&&DataTime=20260105080000;a21026-Avg=18.6,a21026-ZsAvg=25.3,a21026-Min=12.0,a21026-Max=30.4,"
    b"a21026-Flag=N;a19001-Avg=10.2,a19001-Flag=N;a34013-Avg=,a34013-Flag=D&&0140\r\n"
)
RTD_2005 = (
    b"##0143ST=32;CN=2011;PW=123456;MN=LD130133000015;Flag=1;CP=&&DataTime=20160824003817;"
    b"011-Rtd=231.0,011-Flag=N;060-Rtd=1.803,060-Flag=C;B01-Rtd=36.91&&3740\r\n"
)
DEVICE_INFO_3020 = (
    b"##0204QN=20260105100000000;ST=32;CN=3020;PW=123456;MN=33040000000000000000WS01;Flag=5;"
    b"CP=&&DataTime=20260105095500;PolId=w01018,i13004-Info=165.0,i13005-Info=30;"
    b"PolId=w21003,i13007-Info=0.012,i13008-Info=1.03&&C181\r\n"
)
SPLIT_1_OF_2 = (
    b"##0153QN=20260105110000000;ST=32;CN=2051;PW=123456;MN=33040000000000000000WS01;Flag=7;PNUM=2;PNO=1;"
    b"CP=&&DataTime=20260105105000;w01018-Avg=20.0,w01018-Flag=N&&24C0\r\n"
)
SPLIT_2_OF_2 = (
    b"##0128QN=20260105110000000;ST=32;CN=2051;PW=123456;MN=33040000000000000000WS01;Flag=7;PNUM=2;PNO=2;"
    b"CP=&&w21003-Avg=0.5,w21003-Flag=N&&4B00\r\n"
)

ALL_GOOD = (
    STANDARD_EXAMPLE,
    FIELD_2017_AIR,
    FIELD_NO_FLAG,
    FIELD_DATA_ACK_LOWER_HEX,
    FIELD_MODBUS_2005_NOTIFY,
    FIELD_MODBUS_LIMITS,
    WATER_MINUTE,
    GAS_HOUR,
    RTD_2005,
    DEVICE_INFO_3020,
    SPLIT_1_OF_2,
    SPLIT_2_OF_2,
)


def crc_bitwise(data: bytes) -> int:
    """The standard's CRC, transcribed literally (independent of the codec's folded implementation)."""
    reg = 0xFFFF
    for byte in data:
        reg = (reg >> 8) ^ byte
        for _ in range(8):
            out = reg & 1
            reg >>= 1
            if out:
                reg ^= 0xA001
    return reg


def crc_modbus_bitwise(data: bytes) -> int:
    reg = 0xFFFF
    for byte in data:
        reg ^= byte
        for _ in range(8):
            out = reg & 1
            reg >>= 1
            if out:
                reg ^= 0xA001
    return reg


def reframe(body: bytes) -> bytes:
    """A frame around ``body`` with the correct length and (bit-by-bit) CRC."""
    return b"##%04d%s%04X\r\n" % (len(body), body, crc_bitwise(body))
