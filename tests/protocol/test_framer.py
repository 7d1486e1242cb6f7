from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosentinel.protocol.hj212 import FrameError, Framer, Hj212Error, Packet, Reassembler, decode
from tests.protocol import samples

GOOD = [
    samples.WATER_MINUTE,
    samples.GAS_HOUR,
    samples.RTD_2005,
    samples.DEVICE_INFO_3020,
    samples.STANDARD_EXAMPLE,
]


class Wire:
    """In-memory transport: delivers a byte stream to a Framer in arbitrary chunks."""

    def __init__(self, framer: Framer) -> None:
        self.framer = framer
        self.frames: list[Packet | FrameError] = []

    def send(self, stream: bytes, cuts: list[int]) -> None:
        last = 0
        for cut in sorted(set(cuts)):
            self.frames += self.framer.feed(stream[last:cut])
            last = cut
        self.frames += self.framer.feed(stream[last:])

    @property
    def packets(self) -> list[Packet]:
        return [f for f in self.frames if isinstance(f, Packet)]

    @property
    def errors(self) -> list[FrameError]:
        return [f for f in self.frames if isinstance(f, FrameError)]


def test_merged_frames_in_one_chunk() -> None:
    frames = Framer().feed(b"".join(GOOD))
    assert [f.raw for f in frames] == GOOD
    assert all(isinstance(f, Packet) for f in frames)


def test_byte_by_byte() -> None:
    wire = Wire(Framer())
    stream = b"".join(GOOD)
    wire.send(stream, list(range(1, len(stream))))
    assert [p.raw for p in wire.packets] == GOOD
    assert wire.errors == []


@settings(max_examples=150)
@given(st.lists(st.integers(0, sum(map(len, GOOD))), max_size=30))
def test_any_split_gives_the_same_packets(cuts: list[int]) -> None:
    wire = Wire(Framer())
    wire.send(b"".join(GOOD), cuts)
    assert [p.raw for p in wire.packets] == GOOD
    assert wire.errors == []
    assert wire.framer.pending == 0


def test_garbage_between_frames_is_skipped() -> None:
    stream = b"\x00\xffhello" + GOOD[0] + b"AT+CSQ\r\nOK\r\n#" + GOOD[1] + b"#x#" + GOOD[2]
    wire = Wire(Framer())
    wire.send(stream, [3, 50, 400])
    assert [p.raw for p in wire.packets] == GOOD[:3]
    assert wire.errors == []
    assert wire.framer.garbage_bytes == len(b"\x00\xffhello") + len(b"AT+CSQ\r\nOK\r\n#") + len(b"#x#")


def test_truncated_frame_is_reported_and_next_frame_recovered() -> None:
    cut = GOOD[0][:120]  # the sender died mid-frame, reconnected and sent again
    stream = cut + b"\r\n" + GOOD[1]
    wire = Wire(Framer())
    wire.send(stream, [60])
    assert [p.raw for p in wire.packets] == [GOOD[1]]
    assert len(wire.errors) == 1
    assert wire.errors[0].raw == cut
    assert wire.errors[0].error.reason == "length"


def test_truncated_frame_without_line_break_still_recovers_next() -> None:
    stream = GOOD[0][:200] + GOOD[1] + GOOD[2]
    wire = Wire(Framer())
    wire.send(stream, [])
    assert GOOD[1] in [p.raw for p in wire.packets] or GOOD[2] in [p.raw for p in wire.packets]
    assert [p.raw for p in wire.packets][-1] == GOOD[2]
    assert len(wire.errors) >= 1


def test_bad_crc_reported_with_qn_rtn_9_and_stream_continues() -> None:
    bad = samples.WATER_MINUTE.replace(b"w01018-Avg=35.2", b"w01018-Avg=95.2")
    wire = Wire(Framer())
    wire.send(bad + GOOD[1], [])
    assert [p.raw for p in wire.packets] == [GOOD[1]]
    assert [e.error.qn_rtn for e in wire.errors] == [9]
    assert wire.errors[0].raw == bad


def test_oversize_is_refused_without_waiting() -> None:
    framer = Framer(max_packet_bytes=200)
    frames = framer.feed(b"##9999QN=1;" + b"A" * 50)
    assert len(frames) == 1
    assert isinstance(frames[0], FrameError)
    assert frames[0].error.reason == "oversize"
    assert "4096" not in str(frames[0].error)
    assert "200" in str(frames[0].error)
    # the framer does not wait for 9999 bytes: a following good frame is delivered
    assert [f.raw for f in framer.feed(samples.STANDARD_EXAMPLE)] == [samples.STANDARD_EXAMPLE]


def test_bad_length_field() -> None:
    frames = Framer().feed(b"##00x1abc" + samples.STANDARD_EXAMPLE)
    assert isinstance(frames[0], FrameError)
    assert frames[0].error.reason == "length"
    assert isinstance(frames[1], Packet)


def test_hidden_frame_inside_damaged_one_is_found() -> None:
    # a frame whose declared length swallows the next frame: the next one is still found
    bogus = b"##0300QN=1;ST=32;"
    wire = Wire(Framer())
    wire.send(bogus + samples.STANDARD_EXAMPLE + samples.GAS_HOUR, [])
    assert samples.STANDARD_EXAMPLE in [p.raw for p in wire.packets]
    assert samples.GAS_HOUR in [p.raw for p in wire.packets]


@settings(max_examples=150)
@given(st.binary(max_size=300), st.lists(st.integers(0, 2000), max_size=10))
def test_never_raises_on_noise(noise: bytes, cuts: list[int]) -> None:
    wire = Wire(Framer(max_packet_bytes=1024))
    wire.send(noise + b"##" + noise + samples.STANDARD_EXAMPLE, cuts)
    assert wire.framer.pending < 1024
    assert all(isinstance(f, Packet | FrameError) for f in wire.frames)


def test_partial_marker_kept() -> None:
    framer = Framer()
    assert framer.feed(b"noise#") == []
    frames = framer.feed(samples.STANDARD_EXAMPLE[1:])
    assert [f.raw for f in frames] == [samples.STANDARD_EXAMPLE]


# ------------------------------------------------------------------------------------------ reassembly


def test_reassembly_joins_parts_in_pno_order() -> None:
    r = Reassembler()
    second = decode(samples.SPLIT_2_OF_2)
    first = decode(samples.SPLIT_1_OF_2)
    assert first.split
    assert first.pnum == 2
    assert r.feed(second) is None
    assert r.pending == 1
    whole = r.feed(first)
    assert whole is not None
    assert r.pending == 0
    assert whole.pnum is None
    assert whole.pno is None
    assert not whole.split
    assert whole.reply_required
    assert [(v.code, v.field, v.value) for v in whole.values] == [
        ("w01018", "Avg", 20.0),
        ("w01018", "Flag", "N"),
        ("w21003", "Avg", 0.5),
        ("w21003", "Flag", "N"),
    ]
    assert whole.data_time == first.data_time
    assert whole.raw == samples.SPLIT_1_OF_2 + samples.SPLIT_2_OF_2


def test_unsplit_packet_passes_through() -> None:
    p = decode(samples.WATER_MINUTE)
    assert Reassembler().feed(p) is p
    assert Reassembler().add(p) is p


def test_duplicate_part_does_not_complete() -> None:
    r = Reassembler()
    first = decode(samples.SPLIT_1_OF_2)
    assert r.feed(first) is None
    assert r.feed(first) is None
    assert r.feed(decode(samples.SPLIT_2_OF_2)) is not None


def test_oldest_incomplete_message_is_dropped() -> None:
    r = Reassembler(max_pending=2)
    for i in range(3):
        body = (
            f"QN=2026010500000000{i};ST=32;CN=2051;PW=1;MN=M;Flag=7;PNUM=2;PNO=1;"
            "CP=&&DataTime=20260105000000;w01018-Avg=1&&"
        ).encode()
        assert r.feed(decode(samples.reframe(body))) is None
    assert r.pending == 2


def test_pno_out_of_range_raises() -> None:
    p = decode(samples.SPLIT_1_OF_2)
    object.__setattr__(p, "pno", 5)
    with pytest.raises(Hj212Error):
        Reassembler().feed(p)
