"""``ecosentinel bench hostile``: a good data logger keeps sending while the receiver is attacked.

The receiver runs as its own process (``ecosentinel ingest``, default settings) on a fresh SQLite database.
This process plays the good logger and the attackers, on loopback only, in phases:

- ``baseline``: the good logger alone;
- ``flood``: connections from a few addresses send bad frames as fast as they can (``##0000`` runs, frames
  with a bad CRC asking for an answer, random bytes) and reconnect whenever they are closed;
- ``swarm``: ``--swarm`` connections (bounded, below the file-descriptor limit) from many addresses: a third
  stay silent, a third trickle one byte a second inside a frame, a third trickle garbage; each reconnects
  when closed;
- ``all``: flood and swarm together.

The good logger sends minute packets one at a time (the next after the answer, paced), from its own
address, on a persistent connection that it re-opens every ``--reconnect-every`` packets (so new
connections are also accepted under load). Reported per phase: packets, answered, p50/p99/max
acknowledgement latency; then whether every acknowledged packet is in the store, the attackers' counts and
the receiver's peak memory and descriptors.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import typer

from ecosentinel.bench.ingest import FACTORS_8, _start_receiver, machine_line, registry_for, run_queue_wait
from ecosentinel.bench.report import write_section
from ecosentinel.database import create_engine, upgrade
from ecosentinel.protocol.hj212 import build_data_packet, decode
from ecosentinel.readings import CST
from ecosentinel.registry.service import import_registry
from ecosentinel.store.base import open_store

GOAL_P99_S = 1.0
NOTE = (
    "The attackers run at nice 19: on a network an attack burns the attacker's CPU, here it would take "
    "one of the receiver's two cores (in a run at normal priority on this shared machine the flood "
    "phase's p99 rose to about 1 s while the receiver used 10 % of a core: it was waiting for a CPU, not "
    'working). "Receiver waiting for a CPU" is the run-queue time of its threads (Linux schedstat) per '
    "second: the machine was shared with other work throughout. The swarm's in-frame tricklers are "
    "closed by the 30 s frame deadline (then reconnect); the silent and garbage ones by the 300 s idle "
    "timeout, after the phase."
)
ACK_TIMEOUT_S = 10.0
PHASES = ("baseline", "flood", "swarm", "all")


@dataclass
class PhaseResult:
    name: str
    sent: int = 0
    acked: int = 0
    latencies: list[float] = field(default_factory=list)
    receiver_cpu: float = 0.0  # receiver CPU seconds per second during the phase
    receiver_wait: float = 0.0  # receiver seconds per second runnable but waiting for a CPU (schedstat)

    def quantile_ms(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000 if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1] * 1000

    def row(self) -> str:
        worst = max(self.latencies, default=float("nan")) * 1000
        return (
            f"| {self.name} | {self.sent:,} | {self.acked:,} | {self.quantile_ms(50):.1f} | "
            f"{self.quantile_ms(99):.1f} | {worst:.1f} | {self.receiver_cpu:.0%} | {self.receiver_wait:.0%} |"
        )


@dataclass
class AttackStats:
    flood_connections: int = 0
    flood_bytes: int = 0
    flood_refused: int = 0  # closed before a single byte could be written, or reset at once
    swarm_connections: int = 0
    swarm_peak_open: int = 0
    swarm_open: int = 0
    swarm_closed_by_receiver: int = 0
    connect_errors: int = 0


@dataclass
class HostileResult:
    phases: list[PhaseResult]
    attack: AttackStats
    acked_total: int
    stored_acked: int
    unanswered: int
    peak_rss_mb: float
    peak_fds: int
    seconds_per_phase: float
    swarm: int

    @property
    def lost(self) -> int:
        return self.acked_total - self.stored_acked

    @property
    def worst_p99_ms(self) -> float:
        return max(p.quantile_ms(99) for p in self.phases)


# -- the good logger --------------------------------------------------------------------------------------

GOOD_MN_INDEX = 0


def _good_packets(count: int) -> list[bytes]:
    """Minute packets of the good logger, dated within the last days (accepted by the time checks)."""
    now = dt.datetime.now(CST).replace(second=0, microsecond=0)
    start = now - dt.timedelta(minutes=count + 60)
    mn = registry_mn(GOOD_MN_INDEX)
    packets = []
    for k in range(count):
        factors: dict[str, dict[str, float | str | None]] = {
            code: {"Avg": 10.0 + (k % 50) * 0.37 + j, "Min": 9.0 + j, "Max": 30.0 + j, "Flag": "N"}
            for j, code in enumerate(FACTORS_8)
        }
        packets.append(
            build_data_packet(
                mn=mn, pw="123456", cn="2051", data_time=start + dt.timedelta(minutes=k), factors=factors
            )
        )
    return packets


def registry_mn(i: int) -> str:
    from ecosentinel.bench.ingest import mn_for

    return mn_for(i)


class GoodLogger:
    """Sends one packet at a time and waits for its answer; re-sends on a new connection when none comes."""

    def __init__(self, port: int, packets: list[bytes], pace_s: float, reconnect_every: int) -> None:
        self.port = port
        self.packets = packets
        self.pace_s = pace_s
        self.reconnect_every = reconnect_every
        self.next = 0
        self.acked: set[int] = set()
        self.unanswered = 0
        self._conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._sent_on_conn = 0

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._conn is not None and self._sent_on_conn >= self.reconnect_every:
            await self._drop()
        while self._conn is None:
            try:
                self._conn = await asyncio.open_connection(
                    "127.0.0.1", self.port, local_addr=("127.0.0.1", 0)
                )
                self._sent_on_conn = 0
            except OSError:
                await asyncio.sleep(0.05)
        return self._conn

    async def _drop(self) -> None:
        if self._conn is not None:
            writer = self._conn[1]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._conn = None

    async def run_phase(self, result: PhaseResult, seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline and self.next < len(self.packets):
            i = self.next
            packet = self.packets[i]
            qn = decode(packet).qn
            reader, writer = await self._connection()
            t0 = time.perf_counter()
            result.sent += 1
            try:
                writer.write(packet)
                self._sent_on_conn += 1
                async with asyncio.timeout(ACK_TIMEOUT_S):
                    while True:
                        line = await reader.readuntil(b"\r\n")
                        if b"CN=9014" in line and qn is not None and qn.encode() in line:
                            break
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                self.unanswered += 1  # a logger re-sends it (on a new connection)
                await self._drop()
                continue
            result.latencies.append(time.perf_counter() - t0)
            result.acked += 1
            self.acked.add(i)
            self.next += 1
            await asyncio.sleep(self.pace_s)

    async def close(self) -> None:
        await self._drop()


# -- the attackers ----------------------------------------------------------------------------------------


def _bad_frames(rng: random.Random) -> bytes:
    """One burst of bad frames: empty frames, bad-CRC frames asking for an answer, random bytes."""
    good = build_data_packet(
        mn=registry_mn(1),
        pw="123456",
        cn="2051",
        data_time=dt.datetime.now(CST),
        factors={"w01018": {"Avg": 1.0, "Flag": "N"}},
    )
    bad_crc = good[:-6] + b"0000\r\n"
    return b"".join([b"##0000" * 2000, bad_crc * 20, rng.randbytes(8192)])


async def _flooder(port: int, source: str, stop: asyncio.Event, stats: AttackStats, seed: int) -> None:
    rng = random.Random(seed)
    burst = _bad_frames(rng)
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        except OSError:
            stats.connect_errors += 1
            await asyncio.sleep(0.01)
            continue
        stats.flood_connections += 1
        try:
            for _ in range(64):  # until the receiver closes it
                writer.write(burst)
                await writer.drain()
                stats.flood_bytes += len(burst)
                if stop.is_set():
                    break
        except OSError:
            if stats.flood_bytes == 0:
                stats.flood_refused += 1
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        del reader
        await asyncio.sleep(0)


async def _swarm_member(port: int, source: str, kind: int, stop: asyncio.Event, stats: AttackStats) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
        except OSError:
            stats.connect_errors += 1
            await asyncio.sleep(1.0)
            continue
        stats.swarm_connections += 1
        stats.swarm_open += 1
        stats.swarm_peak_open = max(stats.swarm_peak_open, stats.swarm_open)
        try:
            if kind == 1:
                writer.write(b"##0500QN=2026")  # a frame started, then a byte a second
            eof = asyncio.ensure_future(reader.read(1 << 16))
            while not stop.is_set():
                done, _ = await asyncio.wait({eof}, timeout=1.0)
                if done:
                    if not eof.result():
                        stats.swarm_closed_by_receiver += 1
                        break
                    eof = asyncio.ensure_future(reader.read(1 << 16))
                    continue
                if kind == 1:
                    writer.write(b"1")
                elif kind == 2:
                    writer.write(b"x")
                await writer.drain()
            eof.cancel()
        except OSError:
            stats.swarm_closed_by_receiver += 1
        finally:
            stats.swarm_open -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        await asyncio.sleep(0.5)


# -- the run ----------------------------------------------------------------------------------------------


def _sample_receiver(pid: int, stop: asyncio.Event, peak: list[float]) -> None:
    proc = psutil.Process(pid)
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], proc.memory_info().rss / 1e6)
            peak[1] = max(peak[1], proc.num_fds())
        except psutil.Error:
            return
        time.sleep(0.2)


async def _attack(
    port: int,
    phase: str,
    swarm: int,
    flooders: int,
    stop: threading.Event,
    stats: AttackStats,
    ready: Callable[[], None],
) -> None:
    done = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    if phase in ("flood", "all"):
        tasks += [
            asyncio.create_task(_flooder(port, f"127.0.2.{i + 1}", done, stats, seed=i))
            for i in range(flooders)
        ]
    if phase in ("swarm", "all"):
        addresses = _swarm_addresses(swarm)
        tasks += [
            asyncio.create_task(_swarm_member(port, f"127.0.1.{i % addresses + 1}", i % 3, done, stats))
            for i in range(swarm)
        ]
    for _ in range(100):  # until the swarm is connected (at most 10 s)
        if phase == "flood" or stats.swarm_open >= swarm:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)
    ready()
    await asyncio.to_thread(stop.wait)
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def _attack_process(
    port: int, phase: str, swarm: int, flooders: int, stop: Any, out: Any
) -> None:  # pragma: no cover - runs in a child process
    """The attackers of one phase, in their own process (so they never delay the good logger's loop), at the
    lowest CPU priority: on a network the attack burns the attacker's CPU, here it would share the
    receiver's two cores."""
    os.nice(19)
    stats = AttackStats()
    bridge = threading.Event()

    def relay() -> None:
        stop.wait()
        bridge.set()

    threading.Thread(target=relay, daemon=True).start()
    asyncio.run(_attack(port, phase, swarm, flooders, bridge, stats, lambda: out.put("ready")))
    out.put(dataclasses.asdict(stats))


def _swarm_addresses(swarm: int) -> int:
    return max(1, -(-swarm // 200))  # 200 per address: under the per-address limit


async def _drive(
    port: int,
    pid: int,
    *,
    seconds: float,
    swarm: int,
    flooders: int,
    pace_s: float,
    reconnect_every: int,
    packets: list[bytes],
    echo: Callable[[str], Any],
) -> tuple[list[PhaseResult], AttackStats, GoodLogger, list[float]]:
    good = GoodLogger(port, packets, pace_s, reconnect_every)
    stats = AttackStats()
    peak = [0.0, 0.0]
    sampler_stop = asyncio.Event()
    sampler = asyncio.get_running_loop().run_in_executor(None, _sample_receiver, pid, sampler_stop, peak)
    receiver = psutil.Process(pid)
    context = multiprocessing.get_context("spawn")
    results: list[PhaseResult] = []
    for name in PHASES:
        stop, out = context.Event(), context.Queue()
        attacker = None
        if name != "baseline":
            attacker = context.Process(target=_attack_process, args=(port, name, swarm, flooders, stop, out))
            attacker.start()
            assert await asyncio.to_thread(out.get, True, 120) == "ready"  # the attack is on
        result = PhaseResult(name)
        cpu0, wait0, t0 = sum(receiver.cpu_times()[:2]), run_queue_wait(pid), time.perf_counter()
        await good.run_phase(result, seconds)
        elapsed = time.perf_counter() - t0
        result.receiver_cpu = (sum(receiver.cpu_times()[:2]) - cpu0) / elapsed
        result.receiver_wait = (run_queue_wait(pid) - wait0) / elapsed
        stop.set()
        if attacker is not None:
            got = await asyncio.to_thread(out.get, True, 120)
            await asyncio.to_thread(attacker.join, 60)
            for key, value in got.items():
                if key == "swarm_peak_open":
                    stats.swarm_peak_open = max(stats.swarm_peak_open, value)
                elif key != "swarm_open":
                    setattr(stats, key, getattr(stats, key) + value)
        results.append(result)
        echo(f"{name}: {result.row()}")
    await good.close()
    sampler_stop.set()
    await sampler
    return results, stats, good, peak


def run_hostile_bench(
    *,
    seconds: float,
    swarm: int,
    flooders: int,
    pace_s: float,
    reconnect_every: int,
    echo: Callable[[str], Any] = print,
) -> HostileResult:
    """Run the phases against a receiver on a fresh SQLite database in a temporary directory."""
    from sqlalchemy.orm import Session

    soft = psutil.Process().rlimit(psutil.RLIMIT_NOFILE)[0]
    if swarm + flooders + 64 > soft:
        raise typer.BadParameter(
            f"--swarm {swarm} needs more descriptors than this process may open ({soft})"
        )
    with tempfile.TemporaryDirectory(prefix="ecosentinel-hostile-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'hostile.db'}"
        upgrade(url)
        engine = create_engine(url)
        with Session(engine) as session:
            import_registry(session, registry_for(2), source_name="bench")
            session.commit()
        engine.dispose()
        packets = _good_packets(int(len(PHASES) * seconds / max(pace_s, 0.001)) + 100)
        proc, port = _start_receiver(url, Path(tmp))
        try:
            phases, attack, good, peak = asyncio.run(
                _drive(
                    port,
                    proc.pid,
                    seconds=seconds,
                    swarm=swarm,
                    flooders=flooders,
                    pace_s=pace_s,
                    reconnect_every=reconnect_every,
                    packets=packets,
                    echo=echo,
                )
            )
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        store = open_store(url)
        try:
            times = store.read_window(
                start=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
                end=dt.datetime.now(dt.UTC) + dt.timedelta(days=1),
                mns=[registry_mn(GOOD_MN_INDEX)],
            )["time"]
            stored = {t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t for t in times.unique().to_list()}
        finally:
            store.close()
    acked_times = {decode(packets[i]).data_time for i in good.acked}
    stored_acked = sum(1 for t in acked_times if t is not None and t.astimezone(dt.UTC) in stored)
    return HostileResult(
        phases=phases,
        attack=attack,
        acked_total=len(good.acked),
        stored_acked=stored_acked,
        unanswered=good.unanswered,
        peak_rss_mb=peak[0],
        peak_fds=int(peak[1]),
        seconds_per_phase=seconds,
        swarm=swarm,
    )


def hostile_command(
    seconds: float = typer.Option(
        40.0, help="Seconds per phase (baseline, flood, swarm, all); beyond the 30 s frame deadline."
    ),
    swarm: int = typer.Option(2000, help="Slow connections in the swarm (bounded by the descriptor limit)."),
    flooders: int = typer.Option(
        4, help="Concurrent bad-frame flood connections (each from its own address)."
    ),
    pace_ms: float = typer.Option(
        20.0, help="Pause of the good logger between an answer and its next packet."
    ),
    reconnect_every: int = typer.Option(100, help="The good logger re-opens its connection every N packets."),
    write_docs: bool = typer.Option(True, help="Record the results in docs/benchmarks.md."),
) -> None:
    """A good logger's acknowledgements under a bad-frame flood, a slow-connection swarm and trickles
    (恶意负载基准)."""
    load_before = os.getloadavg()[0]
    result = run_hostile_bench(
        seconds=seconds,
        swarm=swarm,
        flooders=flooders,
        pace_s=pace_ms / 1000,
        reconnect_every=reconnect_every,
        echo=typer.echo,
    )
    body = report(result, load_before, seconds, swarm, flooders, pace_ms, reconnect_every)
    typer.echo(body)
    if write_docs:
        write_section("hostile", body)
    if result.lost:
        raise typer.Exit(1)


def report(
    result: HostileResult,
    load_before: float,
    seconds: float,
    swarm: int,
    flooders: int,
    pace_ms: float,
    reconnect_every: int,
) -> str:
    a = result.attack
    goal_met = result.worst_p99_ms < GOAL_P99_S * 1000 and result.lost == 0
    return "\n".join(
        [
            "## Hostile load (HJ 212 receiver under attack, loopback)",
            "",
            f"Command: `ecosentinel bench hostile --seconds {seconds:g} --swarm {swarm} "
            f"--flooders {flooders} "
            f"--pace-ms {pace_ms:g} --reconnect-every {reconnect_every}`  ",
            f"Machine: {machine_line()}; load average before the run {load_before:.1f} (shared machine).  ",
            f"Run: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}. The receiver (`ecosentinel "
            "ingest`, default settings, SQLite) is its own process, the attackers of each phase another "
            "(started and connected before the phase is measured), the good logger a third. "
            "Phases of "
            f"{seconds:g} s: baseline (good logger alone), flood ({flooders} connections from their own "
            f"addresses sending `##0000` runs, bad-CRC frames that ask for an answer and random bytes, "
            f"reconnecting when closed), swarm ({swarm} connections from {_swarm_addresses(swarm)} "
            "addresses: "
            "silent, trickling a byte a second inside a frame, trickling garbage; reconnecting when closed), "
            "all (both).",
            "",
            "| phase | good packets sent | acknowledged | p50 ack ms | p99 ack ms | max ack ms "
            "| receiver CPU | receiver waiting for a CPU |",
            "|---|---|---|---|---|---|---|---|",
            *(p.row() for p in result.phases),
            "",
            f"- Acknowledged and found in the store: {result.stored_acked:,} of {result.acked_total:,} "
            f"(lost: {result.lost}); packets re-sent after no answer within {ACK_TIMEOUT_S:g} s: "
            f"{result.unanswered}.",
            f"- Flood: {a.flood_connections:,} connections opened (most refused at once once their "
            f"address was over its budget), {a.flood_bytes / 1e6:,.1f} MB handed to the sockets; swarm: "
            f"{a.swarm_connections:,} connections opened, at most {a.swarm_peak_open:,} open at once, "
            f"{a.swarm_closed_by_receiver:,} closed by the receiver; connect errors: {a.connect_errors:,}.",
            f"- Receiver peak RSS {result.peak_rss_mb:.0f} MB, peak descriptors {result.peak_fds:,}.",
            "",
            NOTE,
            "",
            f"Goal: the good logger's p99 acknowledgement < {GOAL_P99_S * 1000:.0f} ms in every phase and "
            f"nothing it sent lost — {'met' if goal_met else 'not met'} (worst p99 "
            f"{result.worst_p99_ms:.1f} ms).",
        ]
    )


def register(app: typer.Typer) -> None:
    """Add ``bench hostile`` to the bench app."""
    app.command("hostile")(hostile_command)
