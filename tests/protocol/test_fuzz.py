"""Fuzzing the framer, decoder and error answers: random, truncated and mutated real frames never raise
anything but Hj212Error from ``decode`` (never anything from ``Framer.feed``), and memory stays bounded."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecosentinel.protocol.hj212 import (
    FrameError,
    Framer,
    Hj212Error,
    Packet,
    Reassembler,
    decode,
    error_reply,
    salvage_header,
)
from tests.protocol import samples

REAL = [
    samples.WATER_MINUTE,
    samples.GAS_HOUR,
    samples.RTD_2005,
    samples.DEVICE_INFO_3020,
    samples.STANDARD_EXAMPLE,
    samples.FIELD_2017_AIR,
    samples.FIELD_NO_FLAG,
    samples.FIELD_DATA_ACK_LOWER_HEX,
    samples.FIELD_MODBUS_2005_NOTIFY,
]
LIMIT = 1024
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

real_frames = st.sampled_from(REAL)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real frame with bytes flipped, inserted, deleted, or cut short."""
    frame = bytearray(draw(real_frames))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "cut", "dup"]))
        i = draw(st.integers(0, max(0, len(frame) - 1)))
        if op == "flip" and frame:
            frame[i] = draw(st.integers(0, 255))
        elif op == "insert":
            frame[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and frame:
            del frame[i : i + draw(st.integers(1, 8))]
        elif op == "cut":
            del frame[i:]
        elif op == "dup":
            frame[i:i] = frame[: draw(st.integers(0, len(frame)))]
    return bytes(frame)


streams = st.lists(st.one_of(real_frames, mutated(), st.binary(max_size=200)), max_size=12).map(b"".join)


def _check_decode(data: bytes) -> None:
    try:
        decode(data)
    except Hj212Error as err:
        error_reply(data, err)  # answering a bad frame never raises either
    salvage_header(data)


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutated()))
def test_decode_raises_only_hj212_error(data: bytes) -> None:
    _check_decode(data)
    _check_decode(b"##" + data)


@FUZZ
@given(streams, st.lists(st.integers(0, 4000), max_size=10))
def test_framer_never_raises_and_holds_at_most_one_frame(stream: bytes, cuts: list[int]) -> None:
    framer = Framer(max_packet_bytes=LIMIT)
    reassembler = Reassembler(max_pending=8)
    last = 0
    for cut in [*sorted(set(cuts)), len(stream)]:
        for frame in framer.feed(stream[last:cut]):
            if isinstance(frame, FrameError):
                assert frame.error.reason != "internal", frame.error
                assert len(frame.raw) <= LIMIT
                error_reply(frame.raw, frame.error)
            else:
                assert isinstance(frame, Packet)
                with contextlib.suppress(Hj212Error):
                    reassembler.add(frame)
        last = max(last, cut)
        assert framer.pending <= LIMIT  # memory per connection is bounded by one frame
        assert reassembler.pending <= 8


@FUZZ
@given(mutated())
def test_a_mutated_frame_never_hides_the_good_frame_after_it(bad: bytes) -> None:
    good = samples.WATER_MINUTE
    frames = Framer(max_packet_bytes=4096).feed(bad + b"\r\n" + good)
    assert any(isinstance(f, Packet) and f.raw == good for f in frames)


def test_a_long_stream_of_empty_frames_keeps_memory_flat() -> None:
    framer = Framer(max_packet_bytes=LIMIT)
    errors = 0
    for _ in range(200):
        frames = framer.feed(b"##0000" * 700)
        errors += sum(isinstance(f, FrameError) for f in frames)
        assert framer.pending <= LIMIT
    assert errors > 0


def test_scanning_stops_after_max_errors_and_resumes_on_the_next_call() -> None:
    framer = Framer(max_packet_bytes=LIMIT)
    frames = framer.feed(b"##0000" * 100 + samples.WATER_MINUTE, max_errors=3)
    assert len(frames) == 3
    assert all(isinstance(f, FrameError) for f in frames)
    assert framer.pending > 0  # the rest is kept, not scanned
    rest = framer.feed(b"")
    assert any(isinstance(f, Packet) for f in rest)
