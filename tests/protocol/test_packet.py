from __future__ import annotations

import datetime as dt
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosentinel.protocol.hj212 import (
    FACTORS,
    FieldValue,
    Hj212Error,
    Packet,
    build_data_packet,
    decode,
    encode,
    make_packet,
    normalise_code,
)
from ecosentinel.readings import CST, DataFlag
from tests.protocol import samples

# ------------------------------------------------------------------------------------------- literals


def test_standard_example() -> None:
    p = decode(samples.STANDARD_EXAMPLE)
    assert (p.version, p.qn, p.st, p.cn, p.pw, p.mn, p.flag) == (
        "2017",
        "20160801085857223",
        "32",
        "1062",
        "100000",
        "010000A8900016F000169DC0",
        5,
    )
    assert p.reply_required
    assert not p.split
    assert p.params == (("RtdInterval", "30"),)
    assert p.values == ()
    assert p.cp == "RtdInterval=30"
    assert p.crc_variant == "hj212"
    assert p.raw == samples.STANDARD_EXAMPLE


def test_water_minute_values_in_order() -> None:
    p = decode(samples.WATER_MINUTE)
    assert p.data_time == dt.datetime(2026, 1, 5, 8, 20, tzinfo=CST)
    assert p.values[:4] == (
        FieldValue("w01018", "Avg", 35.2),
        FieldValue("w01018", "Min", 30.1),
        FieldValue("w01018", "Max", 41.7),
        FieldValue("w01018", "Flag", "N"),
    )
    assert FieldValue("w00000", "Cou", 7.5) in p.values
    assert len(p.values) == 11
    assert p.params == ()


def test_gas_hour_empty_value_is_none_and_zs_kept() -> None:
    p = decode(samples.GAS_HOUR)
    assert FieldValue("a21026", "ZsAvg", 25.3) in p.values
    assert FieldValue("a34013", "Avg", None) in p.values
    assert FieldValue("a34013", "Flag", "D") in p.values


def test_2005_packet() -> None:
    p = decode(samples.RTD_2005)
    assert p.version == "2005"
    assert p.qn is None
    assert p.flag == 1
    assert p.reply_required
    assert [v.code for v in p.values] == ["011", "011", "060", "060", "B01"]


def test_without_flag_version_from_mn_length() -> None:
    assert decode(samples.FIELD_NO_FLAG).version == "2005"  # MN of 8 characters, no Flag
    assert decode(samples.FIELD_NO_FLAG).flag is None
    assert not decode(samples.FIELD_NO_FLAG).reply_required


def test_lowercase_crc_and_other_version_bits() -> None:
    p = decode(samples.FIELD_DATA_ACK_LOWER_HEX)
    assert p.flag == 9
    assert p.version == "2017"
    assert p.reply_required
    assert p.param("QnRtn") == "1"


@pytest.mark.parametrize("frame", [samples.FIELD_MODBUS_2005_NOTIFY, samples.FIELD_MODBUS_LIMITS])
def test_modbus_crc_is_accepted_and_recorded(frame: bytes) -> None:
    assert decode(frame).crc_variant == "modbus"


def test_crlf_is_optional() -> None:
    p = decode(samples.WATER_MINUTE.rstrip(b"\r\n"))
    assert p.values == decode(samples.WATER_MINUTE).values


@pytest.mark.parametrize("frame", samples.ALL_GOOD)
def test_all_literals_decode_and_reencode_to_the_same_bytes(frame: bytes) -> None:
    p = decode(frame)
    again = encode(p)
    assert again.rstrip(b"\r\n").upper() == frame.rstrip(b"\r\n").upper()


# --------------------------------------------------------------------------------------------- errors

ERROR_CASES = [
    # (name, frame, reason, qn_rtn, words in the message)
    ("no marker", b"#0101QN=1", "framing", 100, ["##"]),
    ("short", b"##01", "length", 100, ["过短"]),
    ("length field", b"##01x1" + b"A" * 20, "length", 100, ["01x1"]),
    (
        "declared vs actual",
        samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;CP=&&&&").replace(b"##0031", b"##0032"),
        "length",
        100,
        ["声明 32", "实际 31"],
    ),
    (
        "bad crc",
        samples.WATER_MINUTE.replace(b"5280\r\n", b"5281\r\n"),
        "crc",
        9,
        ["5280", "5281"],
    ),
    ("crc not hex", samples.WATER_MINUTE.replace(b"5280\r\n", b"52G0\r\n"), "crc", 9, ["52G0"]),
    ("no cp", samples.reframe(b"ST=32;CN=2011;PW=1;MN=M"), "missing_field", 100, ["CP"]),
    ("cp not closed", samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;CP=&&a=1"), "format", 100, ["&&"]),
    ("missing MN", samples.reframe(b"ST=32;CN=2011;PW=1;CP=&&&&"), "missing_field", 4, ["MN"]),
    ("missing PW", samples.reframe(b"ST=32;CN=2011;MN=M;CP=&&&&"), "missing_field", 3, ["PW"]),
    ("missing ST", samples.reframe(b"CN=2011;PW=1;MN=M;CP=&&&&"), "missing_field", 5, ["ST"]),
    ("missing CN", samples.reframe(b"ST=32;PW=1;MN=M;CP=&&&&"), "missing_field", 8, ["CN"]),
    ("bad QN", samples.reframe(b"QN=2016x;ST=32;CN=2011;PW=1;MN=M;CP=&&&&"), "header", 7, ["2016x"]),
    (
        "PW with = and &",
        samples.reframe(b"ST=32;CN=2011;PW=a=b&c;MN=M;CP=&&&&"),
        "header",
        3,
        ["PW", "a=b&c"],
    ),
    ("MN with =", samples.reframe(b"ST=32;CN=2011;PW=1;MN=M=1;CP=&&&&"), "header", 4, ["MN", "M=1"]),
    ("bad Flag", samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;Flag=A;CP=&&&&"), "header", 6, ["Flag"]),
    ("header item", samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;junk;CP=&&&&"), "header", 100, ["junk"]),
    (
        "bad number",
        samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;CP=&&DataTime=20260101000000;w01018-Rtd=12..3&&"),
        "number",
        100,
        ["w01018-Rtd", "12..3"],
    ),
    (
        "nan is not a number",
        samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;CP=&&DataTime=20260101000000;w01018-Rtd=nan&&"),
        "number",
        100,
        ["w01018-Rtd"],
    ),
    (
        "unknown data flag",
        samples.reframe(b"ST=32;CN=2051;PW=1;MN=M;CP=&&DataTime=20260101000000;w01018-Avg=1,w01018-Flag=X&&"),
        "flag",
        100,
        ["w01018-Flag", "'X'", "数据标记无效", "N"],
    ),
    (
        "lower-case data flag",
        samples.reframe(b"ST=32;CN=2051;PW=1;MN=M;CP=&&DataTime=20260101000000;w01018-Avg=1,w01018-Flag=n&&"),
        "flag",
        100,
        ["w01018-Flag", "'n'"],
    ),
    (
        "bad DataTime",
        samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;CP=&&DataTime=20261301000000;w01018-Rtd=1&&"),
        "datatime",
        100,
        ["DataTime", "20261301000000"],
    ),
    (
        "DataTime with milliseconds (QN's format, not DataTime's)",
        samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;CP=&&DataTime=20260101000000123;w01018-Rtd=1&&"),
        "datatime",
        100,
        ["DataTime", "20260101000000123", "YYYYMMDDhhmmss"],
    ),
    (
        "data without DataTime",
        samples.reframe(b"ST=32;CN=2051;PW=1;MN=M;CP=&&w01018-Avg=1&&"),
        "missing_field",
        100,
        ["DataTime"],
    ),
    ("cp item", samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;CP=&&DataTime&&"), "format", 100, ["DataTime"]),
    (
        "pno > pnum",
        samples.reframe(b"ST=32;CN=2051;PW=1;MN=M;PNUM=2;PNO=3;CP=&&&&"),
        "header",
        100,
        ["PNO=3"],
    ),
]


@pytest.mark.parametrize(
    ("frame", "reason", "qn_rtn", "words"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_errors_say_what_is_wrong(frame: bytes, reason: str, qn_rtn: int, words: list[str]) -> None:
    with pytest.raises(Hj212Error) as info:
        decode(frame)
    assert info.value.reason == reason
    assert info.value.qn_rtn == qn_rtn
    for word in words:
        assert word in str(info.value)


def test_error_location_names_the_field() -> None:
    with pytest.raises(Hj212Error) as info:
        decode(samples.reframe(b"ST=32;CN=2011;PW=1;MN=M;CP=&&DataTime=20260101000000;a21026-ZsRtd=x&&"))
    assert info.value.location == "a21026-ZsRtd"


# ------------------------------------------------------------------------------------------- building


def test_build_data_packet_decodes_back() -> None:
    t = dt.datetime(2026, 3, 1, 10, 5, tzinfo=CST)
    frame = build_data_packet(
        mn="33040000000000000000WS01",
        pw="123456",
        cn="2051",
        data_time=t,
        factors={"w01018": {"Avg": 12.3, "Min": 10.1, "Max": 14.0, "Flag": "N"}, "w21003": {"Avg": None}},
    )
    assert frame.endswith(b"\r\n")
    assert frame.startswith(b"##%04d" % (len(frame) - 12))
    body = frame[6:-6]
    assert int(frame[-6:-2], 16) == samples.crc_bitwise(body)
    p = decode(frame)
    assert p.version == "2017"
    assert p.flag == 5
    assert p.qn == "20260301100500000"
    assert p.data_time == t
    assert p.values == (
        FieldValue("w01018", "Avg", 12.3),
        FieldValue("w01018", "Min", 10.1),
        FieldValue("w01018", "Max", 14.0),
        FieldValue("w01018", "Flag", "N"),
        FieldValue("w21003", "Avg", None),
    )


def test_build_data_packet_numbers_never_rounded_nor_exponent() -> None:
    frame = build_data_packet(
        mn="M" * 24,
        pw="1",
        cn="2011",
        data_time=dt.datetime(2026, 1, 1, tzinfo=CST),
        factors={"w01018": {"Rtd": 1e-7, "Max": 1.2345678901234, "Min": 3, "Cou": 1e21}},
    )
    assert b"w01018-Rtd=0.0000001," in frame
    assert b"w01018-Max=1.2345678901234," in frame
    assert b"w01018-Min=3," in frame
    assert b"w01018-Cou=1000000000000000000000&&" in frame
    assert decode(frame).values[3].value == 1e21


def test_build_data_packet_2005() -> None:
    frame = build_data_packet(
        mn="LD130133000015",
        pw="1",
        cn="2011",
        data_time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        factors={"011": {"Rtd": 5.0}},
        version="2005",
    )
    p = decode(frame)
    assert p.version == "2005"
    assert p.flag == 1
    assert p.qn is None
    assert p.data_time == dt.datetime(2026, 1, 1, 8, tzinfo=CST)  # written in CST


@pytest.mark.parametrize("bad", ["a;b", "x=y", "a,b", "&&"])
def test_build_refuses_reserved_characters(bad: str) -> None:
    with pytest.raises(Hj212Error):
        build_data_packet(
            mn="M",
            pw="1",
            cn="2011",
            data_time=dt.datetime(2026, 1, 1, tzinfo=CST),
            factors={"w01018": {"Flag": bad}},
        )


def test_build_refuses_non_finite() -> None:
    with pytest.raises(Hj212Error):
        build_data_packet(
            mn="M",
            pw="1",
            cn="2011",
            data_time=dt.datetime(2026, 1, 1, tzinfo=CST),
            factors={"w01018": {"Rtd": float("inf")}},
        )


def test_packet_constructed_directly_encodes_from_values() -> None:
    p = Packet(
        version="2017",
        qn="20260101000000000",
        st="32",
        cn="2011",
        pw="1",
        mn="M" * 24,
        flag=4,
        pnum=None,
        pno=None,
        cp="",
        data_time=dt.datetime(2026, 1, 1, tzinfo=CST),
        values=(FieldValue("w01018", "Rtd", 1.5),),
    )
    q = decode(encode(p))
    assert q.values == p.values
    assert q.cp == "DataTime=20260101000000;w01018-Rtd=1.5"


def test_packet_is_frozen_and_hashable() -> None:
    p = decode(samples.WATER_MINUTE)
    with pytest.raises(AttributeError):
        p.mn = "x"  # type: ignore[misc]
    assert hash(p) == hash(decode(samples.WATER_MINUTE))
    assert p == decode(samples.WATER_MINUTE)


def test_normalise_code() -> None:
    assert normalise_code("011") == "w01018"
    assert normalise_code("060") == "w21003"
    assert normalise_code("B01") == "w00000"
    assert normalise_code("02") == "a21026"
    assert normalise_code("S01") == "a19001"
    assert normalise_code("w01018") == "w01018"
    assert normalise_code("zz999") == "zz999"


def test_factor_table() -> None:
    cod = FACTORS["w01018"]
    assert (cod.name, cod.unit, cod.medium, cod.code_2005) == ("化学需氧量", "mg/L", "water", "011")
    assert FACTORS["a21026"].medium == "gas"
    for code in ("w01018", "w21003", "w21011", "w21001", "w01001", "w00000", "w01010", "w01014"):
        assert FACTORS[code].medium == "water"
    for code in ("a21026", "a21002", "a21003", "a21004", "a21005", "a34013", "a19001", "a01011"):
        assert FACTORS[code].medium == "gas"
    for code in ("a01012", "a01013", "a01014", "a00000", "a24088"):
        assert code in FACTORS


# ------------------------------------------------------------------------------------ round trip

_TEXT = st.text(alphabet=string.ascii_letters + string.digits + "._-:/ ", min_size=1, max_size=12)
_CODES = st.sampled_from([*sorted(FACTORS), "011", "060", "B01", "S01", "LA"])
_NUMERIC = st.sampled_from(["Rtd", "Avg", "Min", "Max", "Cou", "ZsRtd", "ZsAvg", "ZsMin", "ZsMax"])
_TEXTUAL = st.sampled_from(["Flag", "EFlag", "SampleTime", "Info"])
_NUMBER = st.floats(allow_nan=False, allow_infinity=False, width=64) | st.integers(-(10**9), 10**9).map(float)


@st.composite
def _field_values(draw: st.DrawFn) -> FieldValue:
    code = draw(_CODES)
    if draw(st.booleans()):
        return FieldValue(code, draw(_NUMERIC), draw(st.none() | _NUMBER))
    field = draw(_TEXTUAL)
    if field == "Flag":  # a data flag is one of the HJ 212 letters (anything else is refused)
        return FieldValue(code, field, draw(st.none() | st.sampled_from([f.value for f in DataFlag])))
    return FieldValue(code, field, draw(st.none() | _TEXT))


@st.composite
def packets(draw: st.DrawFn) -> Packet:
    version = draw(st.sampled_from(["2017", "2005"]))
    if version == "2017":
        mn = draw(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=24, max_size=24))
        flag: int | None = 4 | draw(st.integers(0, 3)) | (draw(st.integers(0, 3)) << 3)
        qn: str | None = draw(st.text(alphabet=string.digits, min_size=17, max_size=17))
    else:
        mn = draw(st.text(alphabet=string.ascii_uppercase + string.digits, min_size=14, max_size=14))
        flag = draw(st.none() | st.integers(0, 3))
        qn = draw(st.none() | st.text(alphabet=string.digits, min_size=17, max_size=17))
    split = draw(st.booleans())
    pnum = draw(st.integers(2, 9)) if split else None
    pno = draw(st.integers(1, pnum)) if pnum else None
    when = draw(
        st.none()
        | st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)).map(
            lambda t: t.replace(microsecond=0, tzinfo=CST)
        )
    )
    cn = draw(st.sampled_from(["2011", "2051", "2061", "2031", "3020", "1011", "9014"]))
    values = draw(st.lists(_field_values(), max_size=12))
    if when is None and pnum is None and cn in {"2011", "2051", "2061", "2031"}:
        values = []
    params = draw(
        st.lists(
            st.tuples(st.sampled_from(["QnRtn", "ExeRtn", "PolId", "SystemTime", "RtdInterval"]), _TEXT),
            max_size=3,
        )
    )
    return make_packet(
        st=draw(st.sampled_from(["21", "22", "31", "32", "91"])),
        cn=cn,
        pw=draw(_TEXT.filter(lambda s: s.strip() == s)),
        mn=mn,
        qn=qn,
        flag=flag,
        pnum=pnum,
        pno=pno,
        data_time=when,
        values=values,
        params=params,
        version=version,
    )


@settings(max_examples=300)
@given(packets())
def test_encode_decode_identity(packet: Packet) -> None:
    frame = encode(packet)
    back = decode(frame)
    assert back.raw == frame
    assert back.crc_variant == "hj212"
    for name in ("version", "qn", "st", "cn", "pw", "mn", "flag", "pnum", "pno", "cp", "data_time", "params"):
        assert getattr(back, name) == getattr(packet, name), name
    assert back.values == packet.values
    assert encode(back) == frame
