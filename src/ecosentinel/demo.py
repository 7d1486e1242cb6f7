"""``ecosentinel demo`` (``make run``): the platform on its embedded default with live demo stations.

On first start it fills the registry with simulated enterprises and a few days of history (with some
injected falsification scenarios, whose ground truth goes to ``<data_dir>/demo/labels.jsonl``); then it runs
the HJ 212 receiver and the web app, while simulated data loggers connect over real TCP and keep sending.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.config import Settings
from ecosentinel.database import create_engine, session_factory, upgrade
from ecosentinel.demo_registry import seed_demo_assessments, seed_demo_registry
from ecosentinel.ingest.runtime import run_platform
from ecosentinel.ingest.server import IngestServer
from ecosentinel.registry.service import import_registry, registered_mns
from ecosentinel.screening.context import PointType
from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.models import ScenarioSpec, SimulationConfig
from ecosentinel.simulator.outputs import write_outputs
from ecosentinel.simulator.scenarios import CATALOGUE
from ecosentinel.simulator.sender import send_live
from ecosentinel.store.base import open_store
from ecosentinel.web import demo_accounts

log = logging.getLogger(__name__)

DEMO_SEED = 2026
DEMO_SCENARIOS = (
    "post_exceedance_drop",
    "dilution",
    "tap_water_night",
    "constant_value",
    "gap_during_exceedance",
    "treatment_off",
    "o2_dilution",
    "flag_abuse",
)
DEMO_DURATIONS: dict[str, dt.timedelta] = {"o2_dilution": dt.timedelta(hours=6)}
"""Shorter injections than the simulator's default where a rule's baseline is the screened window itself:
R08 compares O2 with its own 90 % quantile, so a 24 h O2 dilution in 3 days of history (a third of the data)
would be the baseline, not an outlier."""
BANNER = """
==================== 自动监控哨兵 EcoSentinel 演示 ====================
 Web 平台：        http://{web_host}:{web_port}/      （接口文档：/docs）
 HJ 212 接收端口： {hj_host}:{hj_port}
 数据目录：        {data_dir}
 模拟站点：        废水 {water} 个，废气 {gas} 个，实时发送中（{speed:g} 倍速）
 历史数据：        {days:g} 天，含注入的造假场景（真值见 {data_dir}/demo/labels.jsonl）
 按 Ctrl+C 停止。
=======================================================================
"""


def demo_stations(scenarios: Iterable[str], *, water: int, gas: int) -> dict[str, int | None]:
    """A station (index: water stations first, then gas) for each scenario, one scenario per station.

    Scenarios stacked on one station hide each other (a dilution inside the baseline of a night-time
    tap-water injection, a drop inside a dilution). The most constrained scenarios choose first; with more
    scenarios than fitting stations the rest share (None: the seed chooses).
    """
    kinds: dict[str, list[int]] = {
        PointType.WATER.value: list(range(water)),
        PointType.GAS.value: list(range(water, water + gas)),
    }
    free = {i for indexes in kinds.values() for i in indexes}
    out: dict[str, int | None] = {}
    for sid in sorted(scenarios, key=lambda s: len(CATALOGUE[s].types)):
        fits = sorted(i for t in CATALOGUE[sid].types for i in kinds.get(t.value, []) if i in free)
        out[sid] = fits[0] if fits else None
        if fits:
            free.discard(fits[0])
    return out


def demo_config(*, water: int, gas: int, days: float, start: dt.datetime | None) -> SimulationConfig:
    names = [s for s in DEMO_SCENARIOS if s != "o2_dilution" or gas > 0]
    stations = demo_stations(names, water=water, gas=gas)
    scenarios = [ScenarioSpec(id=s, station=stations[s], duration=DEMO_DURATIONS.get(s)) for s in names]
    config = SimulationConfig(seed=DEMO_SEED, days=days, water=water, gas=gas, scenarios=scenarios)
    return config if start is None else replace(config, start=start)


def seed_demo_data(settings: Settings, *, water: int, gas: int, days: float) -> bool:
    """Import the demo registry and history unless the registry already has points. True if it seeded."""
    url = settings.effective_database_url
    upgrade(url)
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            if registered_mns(session):
                return False
        # history ends on a full hour: the live stations then start a new hour, never re-send a stored one
        start = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
        log.info("generating %g days of demo history for %d stations", days, water + gas)
        result = simulate(demo_config(water=water, gas=gas, days=days, start=start))
        with Session(engine) as session:
            import_registry(session, result.registry, source_name="demo")
            seed_demo_registry(session, result, start=start)
            session.commit()
        store = open_store(url)
        try:
            chunk = 200_000
            for offset in range(0, result.readings.height, chunk):
                store.append(result.readings.slice(offset, chunk))
            with Session(engine) as session:
                seed_demo_assessments(session, store)
                session.commit()
        finally:
            store.close()
        _screen_history(url, engine, start, start + dt.timedelta(days=days))
        write_outputs(result, settings.data_dir / "demo")
        log.info("demo history stored: %d readings", result.readings.height)
        return True
    finally:
        engine.dispose()


def _screen_history(url: str, engine: sa.Engine, start: dt.datetime, end: dt.datetime) -> None:
    """Screen the demo history once and turn its day scores into warnings: the platform opens with cases."""
    from ecosentinel.enforcement.warnings import sync_warnings
    from ecosentinel.screening.service import run_screening

    factory = session_factory(engine)
    outcome = run_screening(factory, url, start=start, end=end, mode="full")
    with factory() as session:
        synced = sync_warnings(session, days=None)
        session.commit()
    log.info("demo history screened: %d findings; warnings: %s", outcome.new_findings, synced)


async def _report(server: IngestServer, every_s: float = 30.0) -> None:
    while True:
        await asyncio.sleep(every_s)
        now = time.monotonic()
        online = sum(1 for t in server.stats.online_mns.values() if now - t <= 600)
        log.info(
            "在线点位 %d / %d，连接 %d，已入库数据包 %d，拒收 %d",
            online,
            server.auth.points,
            server.stats.connections,
            server.stats.packets_stored,
            server.stats.packets_rejected,
        )


async def _live(port: int, *, water: int, gas: int, speed: float) -> None:
    """Live stations, one simulated day at a time (live data is clean; the history holds the cases)."""
    live = demo_config(water=water, gas=gas, days=1.0, start=None)
    live.scenarios.clear()
    while True:
        await send_live(live, "127.0.0.1", port, speed=speed)


async def run_demo(settings: Settings, *, water: int, gas: int, days: float, speed: float) -> None:
    await asyncio.to_thread(seed_demo_data, settings, water=water, gas=gas, days=days)
    accounts = await asyncio.to_thread(demo_accounts.ensure_demo_accounts, settings)  # one per role
    tasks: list[asyncio.Task[object]] = []

    def ready(server: IngestServer) -> None:
        print(
            BANNER.format(
                web_host=settings.web.host,
                web_port=settings.web.port,
                hj_host=settings.ingest.host,
                hj_port=server.port,
                data_dir=settings.data_dir.resolve(),
                water=water,
                gas=gas,
                speed=speed,
                days=days,
            ),
            flush=True,
        )
        print(demo_accounts.banner(accounts), flush=True)
        tasks.append(asyncio.create_task(_live(server.port, water=water, gas=gas, speed=speed)))
        tasks.append(asyncio.create_task(_report(server)))

    try:
        await run_platform(settings, ready=ready)
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
