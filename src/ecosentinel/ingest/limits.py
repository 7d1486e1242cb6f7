"""Budgets of the HJ 212 receiver: connection admission per address, bad-frame budgets, sampled rejections.

Pure bookkeeping (no sockets, no asyncio), driven by the receiver with a monotonic clock, so each rule is
testable on its own. Memory is bounded: per-address state exists only while the address has connections,
a bad-frame window or a ban running, and the sampler holds at most ``max_keys`` keys.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

from ecosentinel.config import IngestSettings

__all__ = ["AddressBook", "RejectSampler", "fd_connection_cap"]

FD_RESERVE = 256  # descriptors kept for the database, the web app, logs and the listening sockets


def fd_connection_cap(requested: int, reserve: int = FD_RESERVE) -> int:
    """``requested`` connections, at most the process's soft file-descriptor limit minus ``reserve``."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return requested
    return max(1, min(requested, soft - reserve))


@dataclass(slots=True)
class _Address:
    connections: int = 0
    bad: int = 0  # bad frames in the current window
    window_start: float = 0.0
    banned_until: float = 0.0


class AddressBook:
    """Who may connect: at most ``max_connections`` in total and ``max_connections_per_address`` per
    address; an address that sent more than ``max_bad_frames_per_address`` bad frames within
    ``address_ban_s`` has new connections refused for ``address_ban_s``."""

    def __init__(
        self,
        settings: IngestSettings,
        *,
        max_connections: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_connections = (
            fd_connection_cap(settings.max_connections) if max_connections is None else max_connections
        )
        self.per_address = settings.max_connections_per_address
        self.bad_budget = settings.max_bad_frames_per_address
        self.ban_s = settings.address_ban_s
        self.clock = clock
        self.total = 0
        self._addresses: dict[str, _Address] = {}

    def admit(self, address: str) -> str | None:
        """Count a new connection from ``address``, or say why it is refused: total, address, banned."""
        state = self._addresses.get(address)
        if state is not None and state.banned_until > self.clock():
            return "banned"
        if self.total >= self.max_connections:
            return "total"
        if state is None:
            state = self._addresses[address] = _Address()
        elif state.connections >= self.per_address:
            return "address"
        state.connections += 1
        self.total += 1
        return None

    def release(self, address: str) -> None:
        """An admitted connection from ``address`` closed."""
        self.total -= 1
        state = self._addresses.get(address)
        if state is not None:
            state.connections -= 1

    def bad_frame(self, address: str) -> bool:
        """Count a bad frame from ``address``; True when this one put the address over its budget (banned)."""
        now = self.clock()
        state = self._addresses.setdefault(address, _Address())
        if now - state.window_start >= self.ban_s:
            state.window_start, state.bad = now, 0
        state.bad += 1
        if state.bad > self.bad_budget and state.banned_until <= now:
            state.banned_until = now + self.ban_s
            return True
        return False

    def banned(self, address: str) -> bool:
        state = self._addresses.get(address)
        return state is not None and state.banned_until > self.clock()

    def prune(self) -> None:
        """Forget addresses without connections whose window and ban are over."""
        now = self.clock()
        for address in [
            a
            for a, s in self._addresses.items()
            if s.connections <= 0 and s.banned_until <= now and now - s.window_start >= self.ban_s
        ]:
            del self._addresses[address]

    def __len__(self) -> int:
        return len(self._addresses)


@dataclass(slots=True)
class _Sample:
    since: float
    suppressed: int = 0


class RejectSampler:
    """One stored row and one log line per key (address, reason kind) and ``interval_s``; the rest counted.

    ``offer(key)`` is True for the first rejection of a key in its interval (store and log it) and False for
    the others (count only). ``drain()`` returns the keys whose interval is over with how many were
    suppressed, for one summary log line each. At most ``max_keys`` keys are held; beyond that a new key
    shares the overflow key ``("*", reason)`` (so at most ``max_keys`` + one per reason kind).
    """

    def __init__(
        self, interval_s: float, *, max_keys: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval_s = interval_s
        self.max_keys = max_keys
        self.clock = clock
        self._samples: dict[tuple[str, str], _Sample] = {}

    def offer(self, key: tuple[str, str]) -> bool:
        now = self.clock()
        sample = self._samples.get(key)
        if sample is None and len(self._samples) >= self.max_keys:
            key = ("*", key[1])
            sample = self._samples.get(key)
        if sample is None:
            self._samples[key] = _Sample(now)
            return True
        if now - sample.since >= self.interval_s and sample.suppressed == 0:
            sample.since = now
            return True
        sample.suppressed += 1
        return False

    def drain(self) -> list[tuple[tuple[str, str], int]]:
        """Keys whose interval is over: (key, suppressed count) for those with suppressed rejections."""
        now = self.clock()
        done = [k for k, s in self._samples.items() if now - s.since >= self.interval_s]
        out = [(k, self._samples[k].suppressed) for k in done if self._samples[k].suppressed]
        for k in done:
            del self._samples[k]
        return out

    def __len__(self) -> int:
        return len(self._samples)
