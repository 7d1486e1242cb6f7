"""``decode(..., lazy_items=True)`` (the journal-mode receiver): a plain data CP is checked whole by
one regular expression and its items parsed on first use. It must refuse exactly the packets the
item-by-item parse refuses, with the same error, and give the same packet."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosentinel.protocol.hj212 import Hj212Error, decode, packet_items
from ecosentinel.protocol.hj212.packet import _plain_cp, frame_body, parse_cp
from tests.protocol import samples

PROPERTY = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# CP text: mostly plain upload items (the fast path), each with a near miss now and then that a regular
# expression could get wrong (a bad flag, a number float() refuses or overflows, a missing value, a code with
# a dash, a parameter, an impossible DataTime)
GOOD_CODES = st.sampled_from(["w01018", "a21026", "w00000", "B01", "a34013"])
BAD_CODES = st.sampled_from(["w-1", "", "a 1"])
GOOD_FIELDS = st.sampled_from(["Avg", "Min", "Max", "Cou", "Rtd", "ZsAvg", "ZsMax"])
BAD_FIELDS = st.sampled_from(["EFlag", "SampleTime", "avg", "Info"])
NUMBERS = st.from_regex(r"-?\d{1,16}(\.\d{1,16})?", fullmatch=True)
BAD_NUMBERS = st.sampled_from(["", "1e5", "inf", "nan", ".5", "1.", "1_0", "9" * 400, "+1", " 1"])
FLAGS = st.sampled_from(["N", "F", "M", "S", "D", "C", "T", "B", "P"])
BAD_FLAGS = st.sampled_from(["X", "", "n", "NN"])
GOOD_TIMES = st.sampled_from(["20260105110000", "20251231235900"])
BAD_TIMES = st.sampled_from(["20261305110000", "2026010511000", "20260230120000", "x"])


def _either(draw: st.DrawFn, good: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> str:
    return draw(bad) if draw(st.integers(min_value=0, max_value=19)) == 0 else draw(good)


@st.composite
def cps(draw: st.DrawFn) -> str:
    items = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        code = _either(draw, GOOD_CODES, BAD_CODES)
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            items.append(f"{code}-Flag={_either(draw, FLAGS, BAD_FLAGS)}")
        else:
            items.append(
                f"{code}-{_either(draw, GOOD_FIELDS, BAD_FIELDS)}={_either(draw, NUMBERS, BAD_NUMBERS)}"
            )
    if draw(st.integers(min_value=0, max_value=4)):
        at = 0 if draw(st.integers(min_value=0, max_value=5)) else draw(st.integers(0, len(items)))
        items.insert(at, f"DataTime={_either(draw, GOOD_TIMES, BAD_TIMES)}")
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        items.append(draw(st.sampled_from(["QnRtn=1", "PolId=w01018", "SampleTime=//a;b//", "junk"])))
    seps = [draw(st.sampled_from([";", ";", ",", ";;"])) for _ in items]
    return "".join(s + i for s, i in zip(seps, items, strict=True))[1:]


def _outcome(frame: bytes, *, lazy: bool) -> tuple[str, object]:
    try:
        packet = decode(frame, lazy_items=lazy)
    except Hj212Error as exc:
        return "refused", (str(exc), exc.reason, exc.qn_rtn, exc.location)
    return "packet", (
        packet.data_time,
        packet.params,
        packet_items(packet),
        packet.values,
        packet.mn,
        packet.qn,
    )


@PROPERTY
@given(cps())
def test_a_plain_cp_is_one_parse_cp_accepts_with_the_same_meaning(cp: str) -> None:
    data_time = _plain_cp(cp)
    if data_time is not None:
        parsed_time, _items, params = parse_cp(cp)
        assert (parsed_time, params) == (data_time, ())


@PROPERTY
@given(cps(), st.sampled_from(["2051", "2061", "3020", "9014"]))
def test_lazy_decoding_refuses_and_answers_exactly_as_eager_decoding(cp: str, cn: str) -> None:
    body = f"QN=20260105110000000;ST=32;CN={cn};PW=123456;MN=33040000000000000000WS01;Flag=5;CP=&&{cp}&&"
    frame = frame_body(body.encode())
    assert _outcome(frame, lazy=True) == _outcome(frame, lazy=False)


def test_a_real_upload_decodes_lazily_to_the_same_items() -> None:
    lazy, eager = decode(samples.WATER_MINUTE, lazy_items=True), decode(samples.WATER_MINUTE)
    assert lazy.__dict__["_items"] is None  # not parsed yet: the receiver answers without them
    assert packet_items(lazy) == packet_items(eager)
    assert lazy.values == eager.values


@pytest.mark.parametrize(
    "cp",
    [
        "DataTime=20260105110000;w01018-Avg=" + "9" * 400,  # float() overflows to inf: refused
        "DataTime=20260105110000;w01018-Avg=nan",
        "DataTime=20260105110000;w01018-Avg=1e5",  # accepted by float(): the item-by-item path
        "DataTime=20260105110000;w01018-Flag=X",
        "DataTime=20260230110000;w01018-Avg=1",  # 30 February
        "DataTime=20260105110000;w01018-Avg=1;DataTime=20260105120000",  # the second is a parameter
        "DataTime=20260105110000;w01018-Avg=",  # an empty value: a missing one
        "w01018-Avg=1;DataTime=20260105110000",
        "DataTime=20260105110000;;w01018-Avg=1,w01018-Flag=N;",
    ],
)
def test_edge_cases_decode_alike(cp: str) -> None:
    body = f"QN=20260105110000000;ST=32;CN=2051;PW=123456;MN=33040000000000000000WS01;Flag=5;CP=&&{cp}&&"
    frame = frame_body(body.encode())
    assert _outcome(frame, lazy=True) == _outcome(frame, lazy=False)
