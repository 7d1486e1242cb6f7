"""Wiring of one running platform: settings -> database -> store -> auth cache -> receiver (+ web app).

The receiver runs in the web app's process (the default, and the demo) or as N processes of its own on one
port (``serve --receivers N``, ``ingest --processes N``; ``server.receivers``), so that neither the web app
nor screening can take the receiver's CPU, or the other way round (docs/ingest.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import AsyncIterator, Callable

from ecosentinel.archive.archiver import Archiver
from ecosentinel.config import Settings
from ecosentinel.database import create_engine, session_factory, upgrade
from ecosentinel.ingest import messages
from ecosentinel.ingest.auth import AuthCache
from ecosentinel.ingest.journal import JournalAppender
from ecosentinel.ingest.server import IngestServer
from ecosentinel.interop.runtime import InteropRuntime
from ecosentinel.jobs import JobRunner
from ecosentinel.registry.service import load_point_auth
from ecosentinel.server.app import IngestView, create_app
from ecosentinel.server.journal_loader import LoaderProcess
from ecosentinel.server.receivers import ReceiverPool
from ecosentinel.server.scheduler import start_scheduler
from ecosentinel.store.base import open_store

log = logging.getLogger(__name__)


def freeze_startup_heap() -> None:
    """Move every object alive after start-up (modules, settings, caches: several 100,000 in a receiver)
    out of the cyclic garbage collector's reach (``gc.freeze``).

    The packets in flight survive the young collections and keep triggering full ones; each full
    collection walked all of the start-up objects too, and that took about a third of a receiver's CPU
    under load (perf, bench ingest). Frozen objects are still freed by reference counting; only cycles
    among them would stay, and start-up objects live as long as the process anyway.
    """
    gc.collect()
    gc.freeze()


def install_event_loop_policy() -> None:
    """Use uvloop where available (much faster socket handling); plain asyncio otherwise."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - platforms without uvloop
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


@contextlib.asynccontextmanager
async def running_ingest(
    settings: Settings, *, migrate: bool = True, primary: bool = True, index: int = 0, pooled: bool = False
) -> AsyncIterator[IngestServer]:
    """Migrate, open the store, start the HJ 212 receiver; stop it (flushing queued writes) on exit.

    ``primary=False`` is a second (third …) receiver process on the same database (docs/ingest.md): it
    receives, stores and answers remote commands like the first, but leaves forwarding and the archiver to
    the first process (each needs one reader of the store per database). In journal mode (``ingest.journal``)
    the receiver journals into ``<journal dir>/r<index>``; the loader process, which stores the packets and
    runs the archiver, is started here unless the receiver is one of a pool (``pooled``: the pool runs it),
    and stopped after the receiver, draining the journal first.
    """
    settings.ensure_dirs()
    url = settings.effective_database_url
    if migrate:
        await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    store = open_store(url)
    auth = AuthCache(lambda: load_point_auth(engine))
    journal = None
    loader = None
    if settings.ingest.journal:
        journal = await asyncio.to_thread(JournalAppender, settings.effective_journal_dir / f"r{index}")
        if not pooled:
            loader = LoaderProcess(settings)
            loader.start()
    archiver = None
    if primary and journal is None and settings.archive_interval_s > 0:  # seals closed days (docs/archive.md)
        archiver = Archiver(url, settings.effective_archive_dir, interval_s=settings.archive_interval_s)
    server = IngestServer(
        settings=settings.ingest,
        store=store,
        auth=auth,
        data_time=settings.data_time,
        after_commit=None if archiver is None else archiver.note_rows,
        journal=journal,
    )
    await server.start()
    interop = InteropRuntime(server, session_factory(engine), store, settings.interop, forwarding=primary)
    await interop.start()
    if archiver is not None:
        archiver.start()
    try:
        yield server
    finally:
        await interop.stop()
        await server.stop()
        if archiver is not None:
            await asyncio.to_thread(archiver.stop)
        if loader is not None:
            await asyncio.to_thread(loader.stop)
        store.close()
        engine.dispose()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def shutdown_signal() -> asyncio.Event:
    """An event set on SIGINT or SIGTERM (handled from now on)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def wait_for_shutdown_signal() -> None:
    """Return on SIGINT or SIGTERM."""
    await shutdown_signal().wait()


async def run_platform(
    settings: Settings, *, ready: Callable[[IngestServer], None] | None = None, receivers: int = 0
) -> None:
    """The platform until SIGINT/SIGTERM: web app (API + UI), scheduled screening and the HJ 212 receiver,
    in this process (``receivers=0``) or as that many receiver processes of its own (``ready`` is then not
    called: there is no receiver in this process)."""
    import uvicorn

    async with contextlib.AsyncExitStack() as stack:
        view: IngestView
        if receivers > 0:
            pool = ReceiverPool(settings, receivers)
            port = await asyncio.to_thread(pool.start)
            stack.push_async_callback(asyncio.to_thread, pool.stop)
            server, view, points = None, pool, lambda: pool.points
        else:
            server = await stack.enter_async_context(running_ingest(settings))
            port, view, points = server.port, server, lambda: server.auth.points
        engine = create_engine(settings.effective_database_url)
        jobs = JobRunner()  # the process's one job runner: web requests and scheduled screening share it
        app = create_app(
            session_factory=session_factory(engine),
            ingest=view,
            points_configured=points,
            jobs=jobs,
        )
        config = uvicorn.Config(
            app, host=settings.web.host, port=settings.web.port, log_level="warning", access_log=False
        )
        web = uvicorn.Server(config)
        log.info(messages.LISTENING.format(host=settings.ingest.host, port=port))
        log.info(messages.WEB_LISTENING.format(host=settings.web.host, port=settings.web.port))
        freeze_startup_heap()
        if ready is not None and server is not None:
            ready(server)

        scheduler = start_scheduler(settings, session_factory(engine), jobs=jobs)  # off the event loop
        # uvicorn handles SIGINT / SIGTERM, then re-raises the signal once the web app is down; SIGTERM's
        # default action would end the process on the spot, before the receivers flush and the scheduler
        # stops. As an exception it unwinds through the clean-up below instead (exit code 0).
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            await web.serve()
        finally:
            if scheduler is not None:
                await asyncio.to_thread(scheduler.stop)
            await asyncio.to_thread(jobs.shutdown)
            engine.dispose()


async def run_ingest_forever(settings: Settings, *, ready_message: bool = True, processes: int = 1) -> None:
    """The receiver alone until SIGINT/SIGTERM: in this process, or as ``processes`` (> 1) of its own."""
    if processes > 1:
        pool = ReceiverPool(settings, processes)
        port = await asyncio.to_thread(pool.start)
        try:
            stopping = shutdown_signal()
            if ready_message:
                print(f"ecosentinel-ingest ready port={port}", flush=True)
            await stopping.wait()
        finally:
            await asyncio.to_thread(pool.stop)
        return
    async with running_ingest(settings) as server:
        freeze_startup_heap()
        stopping = shutdown_signal()  # before the ready line: a SIGTERM right after it must stop in order
        if ready_message:
            # A line scripts (and the kill -9 test) wait for; keep its shape stable.
            print(f"ecosentinel-ingest ready port={server.port}", flush=True)
        await stopping.wait()
