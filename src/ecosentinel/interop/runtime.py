"""Interoperation inside a running receiver: forwarders, the command dispatcher, the back-fill planner.

Started by ``server.runtime`` next to the HJ 212 receiver (same event loop). Database work runs in threads.
The receiver calls :meth:`InteropRuntime.observe` (on the loop) with every authenticated answer and stored
packet; only packets naming an open command's QN are kept for the dispatcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from ecosentinel.config import InteropSettings
from ecosentinel.database import session_scope
from ecosentinel.ingest.server import IngestServer
from ecosentinel.interop import backfill, commands, forward
from ecosentinel.interop.forwarder import ForwardManager
from ecosentinel.protocol.hj212 import Packet
from ecosentinel.store.base import MeasurementStore

log = logging.getLogger(__name__)
T = TypeVar("T")


class InteropRuntime:
    def __init__(
        self,
        server: IngestServer,
        factory: sessionmaker[Session],
        store: MeasurementStore,
        settings: InteropSettings,
        *,
        dispatch_interval_s: float = 0.5,
        forwarding: bool = True,
    ) -> None:
        """``forwarding=False``: this process neither forwards nor syncs the configured targets (with
        several receiver processes on one database only the first forwards: the cursor allows one reader)."""
        self.server = server
        self.factory = factory
        self.store = store
        self.settings = settings
        self.dispatch_interval_s = dispatch_interval_s
        self.forwarding_here = forwarding
        self.open_qns: set[str] = set()
        self.inbox: deque[Packet] = deque()
        self.forwarding = ForwardManager(factory, settings)
        self._tasks: list[asyncio.Task[None]] = []
        self._backfill_after = ""  # the back-fill planner's round-robin position (last MN looked at)

    def observe(self, packet: Packet) -> None:
        qn = commands.packet_qn(packet)
        if qn is not None and qn in self.open_qns:
            self.inbox.append(packet)

    async def _db(self, fn: Callable[[Session], T]) -> T:
        def work() -> T:
            with session_scope(self.factory) as session:
                return fn(session)

        return await asyncio.to_thread(work)

    async def start(self) -> None:
        if self.forwarding_here:
            await self._db(lambda s: forward.sync_settings_targets(s, self.settings.forward_targets))
        self.server.observers.append(self.observe)
        if self.settings.forward_enabled and self.forwarding_here:
            self._tasks.append(asyncio.create_task(self.forwarding.run(), name="interop-forwarding"))
        self._tasks.append(asyncio.create_task(self._dispatch_forever(), name="interop-commands"))
        if self.settings.backfill_enabled:
            self._tasks.append(asyncio.create_task(self._backfill_forever(), name="interop-backfill"))

    async def stop(self) -> None:
        with contextlib.suppress(ValueError):
            self.server.observers.remove(self.observe)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    # commands ---------------------------------------------------------------------------------------------
    async def _dispatch_forever(self) -> None:
        while True:
            try:
                await self.dispatch_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("remote-command dispatcher failed; retrying")
            await asyncio.sleep(self.dispatch_interval_s)

    async def dispatch_once(self) -> None:
        answers: list[Packet] = []
        while self.inbox:
            answers.append(self.inbox.popleft())
        connected = set(self.server.links)
        settings = self.settings

        def work(session: Session) -> tuple[list[commands.Sendable], dict[str, int]]:
            if answers:
                commands.apply_answers(session, answers)
            commands.expire_overdue(session, settings)
            sendable = commands.pending_to_send(session, connected, settings)
            commands.mark_sent(session, [c.id for c in sendable])
            return sendable, commands.open_qns(session)

        sendable, open_qns = await self._db(work)
        self.open_qns = set(open_qns) | {c.qn for c in sendable}
        unsent: list[int] = []
        for command in sendable:
            if not self.server.send_to(command.mn, command.frame):
                unsent.append(command.id)
        if unsent:  # the logger went away between the check and the write: send when it is back
            await self._db(lambda session: commands.unsend(session, unsent))

    # back-fill --------------------------------------------------------------------------------------------
    async def _backfill_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.backfill_interval_s)
            try:
                await self.backfill_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("back-fill planner failed; retrying")

    async def backfill_once(self) -> int:
        connected = set(self.server.links)
        after = self._backfill_after
        created, self._backfill_after = await self._db(
            lambda session: backfill.plan(session, connected, self.settings, start_after=after)
        )
        return len(created)
