from __future__ import annotations

import datetime as dt

import polars as pl

from ecosentinel.protocol.hj212 import decode, device_parameters, packet_readings, packet_readings_frame
from ecosentinel.readings import CST, READING_SCHEMA, DataKind, Reading, Source, readings_frame
from tests.protocol import samples


def test_minute_readings() -> None:
    readings = packet_readings(decode(samples.WATER_MINUTE))
    t = dt.datetime(2026, 1, 5, 8, 20, tzinfo=CST)
    assert readings[0] == Reading(
        mn="33040000000000000000WS01",
        code="w01018",
        kind=DataKind.MINUTE,
        time=t,
        value=35.2,
        flag="N",
        vmin=30.1,
        vmax=41.7,
    )
    assert [r.code for r in readings] == ["w01018", "w21003", "w00000"]
    assert readings[2].cou == 7.5


def test_hour_gas_zs_and_missing_value() -> None:
    readings = {r.code: r for r in packet_readings(decode(samples.GAS_HOUR), source=Source.LOGGER)}
    assert readings["a21026"].zs == 25.3
    assert readings["a21026"].kind is DataKind.HOUR
    assert readings["a34013"].value is None
    assert readings["a34013"].flag == "D"
    assert readings["a19001"].source is Source.LOGGER


def test_2005_codes_normalised_and_flag_defaults_to_n() -> None:
    readings = packet_readings(decode(samples.RTD_2005))
    assert [(r.code, r.value, r.flag) for r in readings] == [
        ("w01018", 231.0, "N"),
        ("w21003", 1.803, "C"),
        ("w00000", 36.91, "N"),
    ]
    assert all(r.kind is DataKind.RTD for r in readings)


def test_other_commands_give_no_readings() -> None:
    assert packet_readings(decode(samples.STANDARD_EXAMPLE)) == []
    assert packet_readings(decode(samples.DEVICE_INFO_3020)) == []


def test_frame_equals_readings_frame() -> None:
    packets = [
        decode(f)
        for f in (samples.WATER_MINUTE, samples.GAS_HOUR, samples.RTD_2005, samples.STANDARD_EXAMPLE)
    ]
    fast = packet_readings_frame(packets)
    slow = readings_frame([r for p in packets for r in packet_readings(p)])
    assert fast.schema == pl.Schema(READING_SCHEMA)
    assert fast.equals(slow)
    assert fast.height == 9


def test_empty_frame_has_schema() -> None:
    assert packet_readings_frame([]).schema == pl.Schema(READING_SCHEMA)


def test_device_parameters() -> None:
    params = device_parameters(decode(samples.DEVICE_INFO_3020))
    t = dt.datetime(2026, 1, 5, 9, 55, tzinfo=CST)
    assert [(p.data_time, p.pol_id, p.info_id, p.value) for p in params] == [
        (t, "w01018", "i13004", "165.0"),
        (t, "w01018", "i13005", "30"),
        (t, "w21003", "i13007", "0.012"),
        (t, "w21003", "i13008", "1.03"),
    ]
    assert device_parameters(decode(samples.WATER_MINUTE)) == []


def test_quoted_log_text_may_contain_separators() -> None:
    body = (
        "QN=20260105100000000;ST=32;CN=3020;PW=1;MN=33040000000000000000WS01;Flag=5;"
        "CP=&&DataTime=20260105095500;PolId=w01018,i11001-Info=//门开; 校准,完成//;i12001-Info=1&&"
    ).encode()
    p = decode(samples.reframe(body))
    assert [(d.info_id, d.value) for d in device_parameters(p)] == [
        ("i11001", "//门开; 校准,完成//"),
        ("i12001", "1"),
    ]
