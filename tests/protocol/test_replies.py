from __future__ import annotations

from ecosentinel.protocol.hj212 import QnRtn, build_reply, decode
from tests.protocol import samples


def test_data_answer_2017() -> None:
    reply = build_reply(decode(samples.WATER_MINUTE), "9014")
    assert reply == samples.reframe(
        b"QN=20260105083000000;ST=91;CN=9014;PW=123456;MN=33040000000000000000WS01;Flag=4;CP=&&&&"
    )


def test_request_answer_2017_with_code() -> None:
    reply = decode(build_reply(decode(samples.STANDARD_EXAMPLE), "9011", QnRtn=QnRtn.PW_WRONG))
    assert (reply.qn, reply.st, reply.cn, reply.flag) == ("20160801085857223", "91", "9011", 4)
    assert reply.params == (("QnRtn", "3"),)
    assert not reply.reply_required


def test_execution_result() -> None:
    reply = decode(build_reply(decode(samples.STANDARD_EXAMPLE), "9012", ExeRtn=1))
    assert reply.param("ExeRtn") == "1"


def test_answer_keeps_version_bits_and_clears_a_and_d() -> None:
    request = decode(samples.reframe(b"QN=20260101000000000;ST=32;CN=2051;PW=1;MN=M;Flag=11;CP=&&&&"))
    assert decode(build_reply(request, "9014")).flag == 8


def test_2005_answer_carries_qn_in_cp() -> None:
    request = decode(
        samples.reframe(b"QN=20040516010101001;ST=32;CN=1011;PW=123456;MN=88888880000001;Flag=1;CP=&&&&")
    )
    reply = build_reply(request, "9011", QnRtn=1)
    assert reply == samples.reframe(
        b"ST=91;CN=9011;PW=123456;MN=88888880000001;Flag=0;CP=&&QN=20040516010101001;QnRtn=1&&"
    )
    assert build_reply(request, "9013") == samples.reframe(
        b"ST=91;CN=9013;PW=123456;MN=88888880000001;Flag=0;CP=&&QN=20040516010101001&&"
    )


def test_qn_rtn_codes() -> None:
    assert [int(c) for c in QnRtn] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 100]
