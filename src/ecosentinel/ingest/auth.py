"""MN + PW authentication of data loggers against the registry, from an in-memory cache.

The cache is reloaded from the registry in the background (never on the event loop), so a point added to
the registry is accepted within ``max_age_s`` seconds.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

QN_RTN_PW_WRONG = 3
QN_RTN_MN_WRONG = 4


class AuthCache:
    """MN -> PW of active points. ``check`` answers None (accepted) or the HJ 212 QnRtn refusal code."""

    def __init__(self, loader: Callable[[], dict[str, str]], *, max_age_s: float = 30.0) -> None:
        self._loader = loader
        self._max_age_s = max_age_s
        self._lock = threading.Lock()
        self._passwords: dict[str, str] = {}
        self._loaded_at = float("-inf")
        self.refresh()

    def refresh(self) -> None:
        passwords = self._loader()
        with self._lock:
            self._passwords = passwords
            self._loaded_at = time.monotonic()
        log.debug("auth cache loaded: %d active points", len(passwords))

    def refresh_if_stale(self) -> None:
        if time.monotonic() - self._loaded_at >= self._max_age_s:
            try:
                self.refresh()
            except Exception:
                log.exception("could not reload the registry; keeping the previous credentials")

    @property
    def points(self) -> int:
        """Number of active points known to the receiver."""
        return len(self._passwords)

    def check(self, mn: str, pw: str) -> int | None:
        expected = self._passwords.get(mn)
        if expected is None:
            return QN_RTN_MN_WRONG
        if not hmac.compare_digest(expected.encode(), pw.encode()):
            return QN_RTN_PW_WRONG
        return None
