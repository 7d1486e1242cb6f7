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

import numpy as np
import numpy.typing as npt
import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.config import Settings
from ecosentinel.database import create_engine, session_factory, upgrade
from ecosentinel.demo_registry import seed_demo_assessments, seed_demo_registry
from ecosentinel.detection.context import FLOW_CODES, PointType
from ecosentinel.enforcement.warnings import sync_warnings
from ecosentinel.ingest.server import IngestServer
from ecosentinel.readings import DataKind, Source
from ecosentinel.registry.service import import_registry, registered_mns
from ecosentinel.screening.service import run_screening
from ecosentinel.server import demo_accounts
from ecosentinel.server.runtime import run_platform
from ecosentinel.simulator.build import simulate
from ecosentinel.simulator.models import ScenarioSpec, SimulationConfig, SimulationResult
from ecosentinel.simulator.outputs import write_outputs
from ecosentinel.simulator.scenarios import CATALOGUE
from ecosentinel.simulator.sender import send_live
from ecosentinel.store.base import open_store

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


PLACED_SCENARIOS = frozenset({"dilution", "flag_abuse", "post_exceedance_drop"})
"""Injections whose window is checked after the first simulation and moved if the simulator put them where
no screening could tell them from a legitimate look-alike: a dilution in an idle night or weekend (less
water, not diluted water: R05's night-shutdown trap; R05 also needs operating hours in the 24 h before),
a flag abuse on top of a real O&M visit (the record covers the flags: R16 rightly stays quiet), a drop
after an exceedance within an hour of the daily calibration (R04's calibration trap: a low result right
after a check is expected)."""
PREFERRED_TYPE = {
    "gap_during_exceedance": PointType.GAS.value,
    "treatment_off": PointType.GAS.value,
    "constant_value": PointType.WATER.value,
}
"""Station type a scenario takes when free, from screening the demo at 8 start hours. A strategic gap shows
on a flue-gas CEMS, whose minute values climb to the limit right before the gap; a water analyser cycling
every 1-2 hours may have measured last while the concentration was still low, and R09 (which infers the
missing values from the ones around the gap) cannot see it (found at 5 of 8 start hours on water, 8 of 8
on gas). Treatment off: 5 of 8 on a water station, 8 of 8 on gas; constant value: 8 of 8 on either."""
OPERATING_FLOW = 0.5
"""A minute is operating when the outlet flow is at least this share of its 95th percentile."""
MIN_OPERATING = 0.9
"""Share of operating minutes a dilution window needs (a shift change may dip the flow)."""
BASELINE_MINUTES = 360
"""Operating minutes the 24 h before a dilution window need (R05's baseline median)."""
OM_SLACK_MINUTES = 60
"""Flag-abuse and drop windows stay this far from O&M records (R16 ``om_slack_minutes``, R04
``calibration_guard_hours``)."""
PLACEMENT_STEP = 15
"""Candidate windows start on quarter hours."""


def demo_stations(scenarios: Iterable[str], *, water: int, gas: int) -> dict[str, int | None]:
    """A station (index: water stations first, then gas) for each scenario, one scenario per station.

    Scenarios stacked on one station hide each other (a dilution inside the baseline of a night-time
    tap-water injection, a drop inside a dilution). Single-type scenarios choose first; the others take a
    station of their PREFERRED_TYPE if one is free, else of the type with more free stations left (gas on a
    tie), which keeps water stations free for moving a PLACED_SCENARIOS injection. With more scenarios than
    stations the rest share (None: the seed chooses).
    """
    free: dict[str, list[int]] = {
        PointType.WATER.value: list(range(water)),
        PointType.GAS.value: list(range(water, water + gas)),
    }
    out: dict[str, int | None] = {}
    for sid in sorted(scenarios, key=lambda s: len(CATALOGUE[s].types)):
        kinds = [t.value for t in CATALOGUE[sid].types if free.get(t.value)]
        if not kinds:
            out[sid] = None
            continue
        preferred = PREFERRED_TYPE.get(sid)
        kind = preferred if preferred in kinds else max(sorted(kinds), key=lambda k: len(free[k]))
        out[sid] = free[kind].pop(0)
    return out


def demo_config(*, water: int, gas: int, days: float, start: dt.datetime | None) -> SimulationConfig:
    names = [s for s in DEMO_SCENARIOS if s != "o2_dilution" or gas > 0]
    stations = demo_stations(names, water=water, gas=gas)
    scenarios = [ScenarioSpec(id=s, station=stations[s], duration=DEMO_DURATIONS.get(s)) for s in names]
    config = SimulationConfig(seed=DEMO_SEED, days=days, water=water, gas=gas, scenarios=scenarios)
    return config if start is None else replace(config, start=start)


def demo_simulation(*, water: int, gas: int, days: float, start: dt.datetime) -> SimulationResult:
    """The demo history: the simulation of ``demo_config``, re-run once with the PLACED_SCENARIOS that
    fell in an undetectable spot moved to a fitting window (the stations' own data do not depend on
    where the injections go)."""
    config = demo_config(water=water, gas=gas, days=days, start=start)
    result = simulate(config)
    moves = _placement_moves(result, config, water=water)
    if not moves:
        return result
    log.info("demo: moving %s to a detectable window", ", ".join(sorted(moves)))
    specs = [
        replace(s, station=moves[s.id][0], start_offset=moves[s.id][1]) if s.id in moves else s
        for s in config.scenarios
    ]
    return simulate(replace(config, scenarios=specs))


def _operating(result: SimulationResult, mn: str, start: dt.datetime, n: int) -> npt.NDArray[np.bool_]:
    """Per minute from ``start``: whether the point's outlet flow is at operating level."""
    on = np.zeros(n, dtype=bool)
    flow = result.readings.filter(
        (pl.col("mn") == mn)
        & (pl.col("kind") == DataKind.MINUTE.value)
        & (pl.col("source") == Source.PLATFORM.value)
        & pl.col("code").is_in(list(FLOW_CODES))
        & pl.col("value").is_not_null()
    )
    high = flow["value"].quantile(0.95) if flow.height else None
    if high is None or high <= 0:
        return on
    minutes = ((flow["time"] - start).dt.total_seconds() // 60).cast(pl.Int64).to_numpy()
    keep = (minutes >= 0) & (minutes < n)
    on[minutes[keep]] = flow["value"].to_numpy()[keep] >= OPERATING_FLOW * float(high)
    return on


def _om_busy(result: SimulationResult, mn: str, start: dt.datetime, n: int) -> npt.NDArray[np.bool_]:
    """Per minute from ``start``: whether an O&M record of the point is within OM_SLACK_MINUTES."""
    busy = np.zeros(n, dtype=bool)
    for a, b in result.om_records.filter(pl.col("mn") == mn).select("start", "end").iter_rows():
        i = int((a - start).total_seconds() // 60) - OM_SLACK_MINUTES
        j = int((b - start).total_seconds() // 60) + OM_SLACK_MINUTES + 1
        busy[max(0, i) : max(0, min(n, j))] = True
    return busy


def _fits(scenario: str, on: npt.NDArray[np.bool_], busy: npt.NDArray[np.bool_], i0: int, i1: int) -> bool:
    """Whether [i0, i1) (minutes from the start) is a window where the scenario can be told apart."""
    if i0 < 0 or i1 > on.size or i1 <= i0:
        return False
    if scenario == "dilution":
        baseline = int(on[max(0, i0 - 1440) : i0].sum())
        return bool(on[i0:i1].mean() >= MIN_OPERATING) and baseline >= BASELINE_MINUTES
    if scenario == "flag_abuse":
        return bool(on[i0]) and not bool(busy[i0:i1].any())
    if scenario == "post_exceedance_drop":
        return not bool(busy[i0:i1].any())
    return True


def _placement_moves(
    result: SimulationResult, config: SimulationConfig, *, water: int
) -> dict[str, tuple[int, dt.timedelta]]:
    """Station index and start offset for each PLACED_SCENARIOS label in a spot that does not fit: a fitting
    window on its own station, else on a water station no other scenario uses."""
    n = round(config.days * 1440)
    mns = result.station_mns
    used = {lab.mn for lab in result.labels}
    out: dict[str, tuple[int, dt.timedelta]] = {}
    for label in result.labels:
        if label.scenario not in PLACED_SCENARIOS or label.mn not in mns:
            continue
        i0 = int((label.start - config.start).total_seconds() // 60)
        i1 = int((label.end - config.start).total_seconds() // 60)
        own = mns.index(label.mn)
        if _fits(
            label.scenario,
            _operating(result, label.mn, config.start, n),
            _om_busy(result, label.mn, config.start, n),
            i0,
            i1,
        ):
            continue
        for index in [own, *(i for i in range(min(water, len(mns))) if mns[i] not in used)]:
            on = _operating(result, mns[index], config.start, n)
            busy = _om_busy(result, mns[index], config.start, n)
            found = next(
                (
                    j
                    for j in range(1440, n - (i1 - i0) + 1, PLACEMENT_STEP)
                    if _fits(label.scenario, on, busy, j, j + i1 - i0)
                ),
                None,
            )
            if found is not None:
                out[label.scenario] = (index, dt.timedelta(minutes=found))
                break
    return out


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
        result = demo_simulation(water=water, gas=gas, days=days, start=start)
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
    # live stations run ``speed`` times faster than the clock, one simulated day at a time, so their
    # DataTime runs ahead of now by up to (speed - 1) days: the receiver must accept that much future
    ahead_s = max(0.0, speed - 1.0) * 86400.0
    settings.data_time.future_tolerance_s = max(settings.data_time.future_tolerance_s, ahead_s + 600.0)
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
