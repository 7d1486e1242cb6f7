"""Upstream forwarding, the network half: one TCP client per enabled target (asyncio).

Each :class:`Forwarder` connects to its target, then repeatedly queues what was stored since its cursor,
sends a window of due rows (at most one in flight per (upstream MN, QN), the key the target's 9014 names),
and waits for their answers. Answered rows are marked acknowledged in the database; a row the target refuses
(9011 with QnRtn ≠ 1) waits ``backoff_max`` before it is tried again; rows without an answer within the
time-out, a refused connection or a broken one make the forwarder reconnect after a back-off that doubles
up to ``forward_backoff_max_s``. Nothing is removed from the queue before the target answered it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from ecosentinel.config import InteropSettings
from ecosentinel.database import session_scope
from ecosentinel.interop import forward
from ecosentinel.interop.models import ForwardTarget
from ecosentinel.protocol.hj212 import FrameError, Framer

log = logging.getLogger(__name__)
T = TypeVar("T")

ANSWER_CNS = frozenset({"9014", "9011"})


class Forwarder:
    """Delivers one target's queue; ``await run()`` until cancelled (or the target is removed/disabled)."""

    def __init__(self, factory: sessionmaker[Session], settings: InteropSettings, target_id: int) -> None:
        self.factory = factory
        self.settings = settings
        self.target_id = target_id
        self.connected = False
        self.sent = 0
        self.acked = 0

    async def _db(self, fn: Callable[[Session], T]) -> T:
        def work() -> T:
            with session_scope(self.factory) as session:
                return fn(session)

        return await asyncio.to_thread(work)

    async def run(self) -> None:
        s = self.settings
        backoff = s.forward_backoff_initial_s
        while True:
            target = await self._db(lambda session: session.get(ForwardTarget, self.target_id))
            if target is None or not target.enabled:
                return
            writer: asyncio.StreamWriter | None = None
            try:
                reader, opened = await asyncio.wait_for(
                    asyncio.open_connection(target.host, target.port), s.forward_connect_timeout_s
                )
                writer = opened
                self.connected = True
                await self._db(lambda session: forward.note_link(session, self.target_id, connected=True))
                await self._pump(reader, opened)
            except (OSError, TimeoutError, ConnectionError, asyncio.IncompleteReadError) as exc:
                text = f"{type(exc).__name__}: {exc}"
                log.info(
                    "forwarding to %s:%s: %s; retrying in %.1f s", target.host, target.port, text, backoff
                )
                with contextlib.suppress(Exception):
                    await self._db(
                        functools.partial(
                            forward.note_link, target_id=self.target_id, connected=False, error=text
                        )
                    )
            finally:
                self.connected = False
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(Exception):
                        await writer.wait_closed()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, s.forward_backoff_max_s)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        s = self.settings
        answers: dict[tuple[str, str | None], asyncio.Future[int]] = {}
        closed = asyncio.Event()

        async def read() -> None:
            framer = Framer()
            try:
                while True:
                    data = await reader.read(65536)
                    if not data:
                        return
                    for frame in framer.feed(data):
                        if isinstance(frame, FrameError) or frame.cn not in ANSWER_CNS:
                            continue
                        key = (frame.mn, frame.qn or frame.param("QN"))
                        future = answers.get(key)
                        if future is None and key[1] is None:  # a 2005 answer without QN: the oldest
                            future = next((f for k, f in answers.items() if k[0] == frame.mn), None)
                        if future is not None and not future.done():
                            rtn = 1 if frame.cn == "9014" else int(frame.param("QnRtn", "100") or 100)
                            future.set_result(rtn)
            except (OSError, ConnectionError):
                return
            finally:
                closed.set()

        reader_task = asyncio.create_task(read())
        last_prune = 0.0
        loop = asyncio.get_running_loop()
        try:
            while True:
                if closed.is_set():
                    raise ConnectionError("upstream closed the connection")

                def fetch(session: Session) -> tuple[list[forward.Outgoing], list[int]] | None:
                    target = session.get(ForwardTarget, self.target_id)
                    if target is None or not target.enabled:
                        return None
                    forward.enqueue_new(session, target)
                    return forward.due_items(session, target, s.forward_window)

                fetched = await self._db(fetch)
                if fetched is None:
                    return  # removed or disabled: run() notices and ends
                items, bad = fetched
                if bad:
                    await self._db(
                        functools.partial(
                            forward.mark_retry, ids=bad, error="无法重新编码", delay_s=s.forward_backoff_max_s
                        )
                    )
                batch: list[forward.Outgoing] = []
                keys: set[tuple[str, str | None]] = set()
                for item in items:
                    if item.key in keys:
                        continue  # the same (MN, QN) twice: its answer would be ambiguous; next round
                    keys.add(item.key)
                    batch.append(item)
                if not batch:
                    if loop.time() - last_prune > 3600:
                        last_prune = loop.time()
                        await self._db(
                            lambda session: forward.prune_acked(
                                session, self.target_id, s.forward_keep_acked_days
                            )
                        )
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(closed.wait(), s.forward_poll_s)
                    continue
                answers.clear()
                for item in batch:
                    answers[item.key] = loop.create_future()
                await self._db(functools.partial(forward.mark_sent, ids=[i.item_id for i in batch]))
                for item in batch:
                    for frame in item.frames:
                        writer.write(frame)
                await writer.drain()
                self.sent += len(batch)
                waiter: asyncio.Future[Any] = asyncio.gather(*answers.values())
                gone: asyncio.Future[Any] = asyncio.ensure_future(closed.wait())
                # every answer, or the connection lost (no point waiting out the time-out), or the time-out
                await asyncio.wait(
                    {waiter, gone}, timeout=s.forward_ack_timeout_s, return_when=asyncio.FIRST_COMPLETED
                )
                gone.cancel()
                acked = [i.item_id for i in batch if answers[i.key].done() and answers[i.key].result() == 1]
                refused = [i.item_id for i in batch if answers[i.key].done() and answers[i.key].result() != 1]
                missing = [i.item_id for i in batch if not answers[i.key].done()]
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await waiter

                def settle(session: Session, acked: list[int] = acked, refused: list[int] = refused) -> None:
                    forward.mark_acked(session, self.target_id, acked)
                    forward.mark_retry(
                        session, refused, "上级平台拒收（9011 QnRtn≠1）", s.forward_backoff_max_s
                    )

                await self._db(settle)
                self.acked += len(acked)
                if missing:
                    raise TimeoutError(
                        f"{len(missing)} packets not answered within {s.forward_ack_timeout_s} s"
                    )
        finally:
            reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader_task


class ForwardManager:
    """Runs a :class:`Forwarder` per enabled target and follows targets added, changed or removed."""

    def __init__(self, factory: sessionmaker[Session], settings: InteropSettings) -> None:
        self.factory = factory
        self.settings = settings
        self.forwarders: dict[int, tuple[tuple[str, int, str, bool], Forwarder, asyncio.Task[None]]] = {}

    async def run(self, *, refresh_s: float = 2.0) -> None:
        try:
            while True:
                await self.refresh()
                await asyncio.sleep(refresh_s)
        finally:
            for _, _, task in self.forwarders.values():
                task.cancel()
            for _, _, task in self.forwarders.values():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def refresh(self) -> None:
        def load(session: Session) -> dict[int, tuple[str, int, str, bool]]:
            return {
                t.id: (t.host, t.port, t.cns, t.only_mapped)
                for t in forward.list_targets(session)
                if t.enabled
            }

        def work() -> dict[int, tuple[str, int, str, bool]]:
            with session_scope(self.factory) as session:
                return load(session)

        wanted = await asyncio.to_thread(work)
        for target_id, (config, _, task) in list(self.forwarders.items()):
            if wanted.get(target_id) != config or task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
                del self.forwarders[target_id]
        for target_id, config in wanted.items():
            if target_id not in self.forwarders:
                fwd = Forwarder(self.factory, self.settings, target_id)
                task = asyncio.create_task(fwd.run(), name=f"forward-{target_id}")
                self.forwarders[target_id] = (config, fwd, task)
