"""The receiver's bookkeeping of budgets, on a fake clock."""

from __future__ import annotations

from ecosentinel.config import IngestSettings
from ecosentinel.ingest.limits import AddressBook, RejectSampler, fd_connection_cap


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_address_book_limits_bans_and_forgets() -> None:
    clock = Clock()
    settings = IngestSettings(max_connections_per_address=2, max_bad_frames_per_address=3, address_ban_s=10.0)
    book = AddressBook(settings, max_connections=3, clock=clock)
    assert [book.admit("a"), book.admit("a"), book.admit("a")] == [None, None, "address"]
    assert [book.admit("b"), book.admit("c")] == [None, "total"]
    book.release("a")
    assert book.admit("c") is None
    assert [book.bad_frame("c") for _ in range(4)] == [False, False, False, True]
    book.release("c")
    assert book.admit("c") == "banned"
    clock.t += 10.0
    assert not book.banned("c")
    book.prune()
    assert len(book) == 2  # a and b still have connections; c is forgotten
    assert book.admit("c") is None


def test_sampler_passes_one_per_key_and_interval_and_reports_the_rest() -> None:
    clock = Clock()
    sampler = RejectSampler(60.0, max_keys=2, clock=clock)
    assert [sampler.offer(("a", "crc")) for _ in range(5)] == [True, False, False, False, False]
    assert sampler.offer(("a", "auth")) is True
    assert sampler.offer(("b", "auth")) is True  # beyond max_keys: shares ("*", "auth")
    assert sampler.offer(("c", "auth")) is False
    assert len(sampler) == 3
    assert sampler.drain() == []
    clock.t += 60.0
    assert sorted(sampler.drain()) == [(("*", "auth"), 1), (("a", "crc"), 4)]
    assert len(sampler) == 0
    assert sampler.offer(("a", "crc")) is True


def test_connection_cap_stays_below_the_descriptor_limit() -> None:
    assert fd_connection_cap(10) == 10
    assert fd_connection_cap(10**9) < 10**9
