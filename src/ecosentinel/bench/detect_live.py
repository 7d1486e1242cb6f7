"""``ecosentinel bench detect-live``: what the live server reports, pass by pass, against one retrospective
screen of the same data.

``bench detect-import`` screens months at once, as an analyst re-screening a period does. The server does
something else: every few minutes an incremental pass screens each point's new data with a day before it
(and ``context_hours`` of context), and every two hours a full pass screens every point's last day
(``screening.schedule.ScheduledPasses``). Findings are never withdrawn, so what an analyst sees in the
warning list is the union of every pass. This benchmark measures that list:

1. the corpus of ``bench detect-import`` (same backgrounds, placements, injections and seed);
2. per background, its registry and readings imported into a fresh data directory (one installation
   per background: the series lie years apart, and one clock must move through one installation's time);
3. a copy of it screened once over its months with ``ecosentinel screen`` (the retrospective reference);
4. the other replayed on a simulated clock: the data are all stored, but a pass at clock time ``t`` sees
   only readings up to ``t`` (``latest_allowed``, as the server ignores future-dated readings), starting
   ``--warm-up-days`` after the first reading; every ``--step-hours`` the scheduler's step, a full pass
   when ``--full-hours`` have passed since the last one, else an incremental pass, exactly as
   ``ScreeningScheduler.tick``;
5. both data directories' stored day colours scored as ``bench detect-import`` scores them; for the live
   replay also the clock time at which a label's day first turned yellow or red (time to detect as an
   analyst would have seen it, to the step's resolution).

What the replay cannot reproduce: data arriving late or out of order (every reading is on time here), and
the minute backgrounds' passes every five minutes (one pass per step). The calibration of a point's first
two weeks may read the weeks after them, as a retrospective screening would (``attach_profiles`` with
``after``); the live server has no such weeks, so its first two weeks run on the rules' constants.
"""

from __future__ import annotations

import datetime as dt
import functools
import multiprocessing as mp
import os
import platform
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import typer
import yaml

from ecosentinel.bench.detect import DEFAULT_DATA, parse_backgrounds
from ecosentinel.bench.detect_backgrounds import load_background
from ecosentinel.bench.detect_import import (
    DEFAULT_BACKGROUNDS,
    BackgroundScore,
    Case,
    _cli,
    build_cases,
    colours,
    data_folder,
    finding_spans,
    readings_of,
    registry_of,
    score_cases,
    screen_months,
)
from ecosentinel.bench.detect_metrics import label_days
from ecosentinel.bench.report import write_section
from ecosentinel.config import ScreeningSettings
from ecosentinel.database import create_engine, session_factory
from ecosentinel.screening.schedule import ScheduledPasses
from ecosentinel.simulator.models import Label

Alerts = dict[int, dt.datetime]
"""Label index (in the background's labels, in case order) -> clock time of its first yellow/red day."""


@dataclass
class LiveScore:
    """One background's results: the retrospective screen, the live replay and the replay's alert times."""

    name: str
    batch: BackgroundScore
    live: BackgroundScore
    ttd: dict[str, list[float]] = field(default_factory=dict)
    """Scenario -> hours from each found label's start to the clock time its day first turned yellow/red."""
    passes: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _labels(cases: list[Case]) -> list[tuple[str, int, Label]]:
    return [(c.mn, k, lab) for c in cases for k, lab in enumerate(c.labels)]


def _flagged_days(data_dir: Path) -> set[tuple[str, dt.date]]:
    return {key for key, (colour, _) in colours(data_dir).items() if colour != "green"}


def replay(
    data_dir: Path,
    cases: list[Case],
    *,
    step: dt.timedelta,
    full_every: dt.timedelta,
    warm_up: dt.timedelta,
    settings: ScreeningSettings,
) -> tuple[int, Alerts]:
    """Drive the scheduler's passes through the cases' time on a simulated clock; returns the number of
    passes and, per label (index over the cases' labels), the clock time its day first turned yellow/red."""
    url = f"sqlite:///{data_dir / 'ecosentinel.db'}"
    engine = create_engine(url)
    first = min(c.track.start for c in cases)
    last = max(c.track.time_at(c.track.n) for c in cases)
    clock = [first + warm_up]
    passes = ScheduledPasses(session_factory(engine), url, settings, clock=lambda: clock[0])
    positive = [(i, mn, label_days(lab)[0]) for i, (mn, _, lab) in enumerate(_labels(cases))]
    spans = sorted((c.track.start, c.track.time_at(c.track.n)) for c in cases)
    alerts: Alerts = {}
    n = 0
    last_full: dt.datetime | None = None
    try:
        while True:
            now = clock[0]
            if last_full is None or now - last_full >= full_every:
                passes.full_pass()
                last_full = now
            else:
                passes.incremental_pass()
            n += 1
            flagged = _flagged_days(data_dir)
            for i, mn, days in positive:
                if i not in alerts and any((mn, d) in flagged for d in days):
                    alerts[i] = now
            if now >= last:
                break
            clock[0] = _next_time(now + step, spans, last)
    finally:
        passes.close()
        engine.dispose()
    return n, alerts


def _next_time(
    t: dt.datetime, spans: list[tuple[dt.datetime, dt.datetime]], last: dt.datetime
) -> dt.datetime:
    """The clock's next time: ``t``, or, when no point sends data then (a background's tracks months
    apart: Tilburg 2021 and 2022), the next track's start. Idle time would only repeat full passes over
    the last day of points that fell silent, which changes nothing."""
    if t >= last or any(a <= t <= b for a, b in spans):
        return min(t, last)
    later = [a for a, _ in spans if a > t]
    return min(later[0], last) if later else last


def run_background(
    work: Path,
    name: str,
    cases: list[Case],
    *,
    step: dt.timedelta,
    full_every: dt.timedelta,
    warm_up: dt.timedelta,
    settings: ScreeningSettings,
) -> LiveScore:
    """Import one background's cases, screen a copy once, replay the other live; score both."""
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "registry.yaml").open("w", encoding="utf-8") as fh:
        yaml.safe_dump(registry_of(cases), fh, allow_unicode=True, sort_keys=False)
    readings_of(cases, with_zs=False).write_csv(
        folder / "readings.csv", datetime_format="%Y-%m-%dT%H:%M:%S%:z"
    )
    live_dir, batch_dir = folder / "live", folder / "batch"
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    _cli(live_dir, "import", "registry", str(folder / "registry.yaml"))
    _cli(live_dir, "import", "readings", str(folder / "readings.csv"))
    seconds["import"] = time.perf_counter() - t0
    shutil.copytree(live_dir, batch_dir)
    t0 = time.perf_counter()
    screen_months(batch_dir, cases)
    seconds["screen"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    n, alerts = replay(live_dir, cases, step=step, full_every=full_every, warm_up=warm_up, settings=settings)
    seconds["live"] = time.perf_counter() - t0
    batch = score_cases(cases, colours(batch_dir), finding_spans(batch_dir))
    live = score_cases(cases, colours(live_dir), finding_spans(live_dir))
    ttd: dict[str, list[float]] = defaultdict(list)
    for i, (_, _, lab) in enumerate(_labels(cases)):
        if i in alerts:
            ttd[lab.scenario].append((alerts[i] - lab.start).total_seconds() / 3600)
    return LiveScore(name, batch, live, dict(ttd), n, seconds)


@dataclass
class LiveRun:
    scores: list[LiveScore]
    command: str
    start: dt.datetime
    step: dt.timedelta
    full_every: dt.timedelta


def run(
    data: Path,
    backgrounds: list[str],
    *,
    points: int,
    days: int,
    spacing: int,
    seed: int,
    work: Path,
    step_hours: float,
    full_hours: float,
    warm_up_days: float,
    workers: int = 1,
) -> LiveRun:
    """Build the detect-import corpus (same seed, same placements) and run every background."""
    t_start = dt.datetime.now(dt.UTC)
    rng = np.random.default_rng(seed)
    by_bg: dict[str, list[Case]] = {}
    for k, name in enumerate(backgrounds):
        bg = load_background(name, data, seed)
        by_bg[name] = build_cases(bg, points=points, days=days, spacing=spacing, rng=rng, prefix=f"B{k % 10}")
    step, full_every = dt.timedelta(hours=step_hours), dt.timedelta(hours=full_hours)
    warm_up = dt.timedelta(days=warm_up_days)
    settings = ScreeningSettings()
    jobs = {name: cases for name, cases in by_bg.items() if cases}
    one = functools.partial(
        run_background, work, step=step, full_every=full_every, warm_up=warm_up, settings=settings
    )
    if workers <= 1:
        scores = [one(name, cases) for name, cases in jobs.items()]
    else:  # one background per process (the cases are built above, so placements do not depend on it)
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
            futures = [pool.submit(one, name, cases) for name, cases in jobs.items()]
            scores = [f.result() for f in futures]
    command = (
        f"ecosentinel bench detect-live --backgrounds {','.join(backgrounds)} --points {points} "
        f"--days {days} --spacing {spacing} --seed {seed} --step-hours {step_hours:g} "
        f"--full-hours {full_hours:g} --warm-up-days {warm_up_days:g}"
    )
    return LiveRun(scores, command, t_start, step, full_every)


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.2f} %)" if b else "—"


def _prec(s: BackgroundScore) -> str:
    return f"{s.red_true / s.red_all:.2f} ({s.red_true}/{s.red_all})" if s.red_all else "—"


def report(result: LiveRun) -> str:
    """The markdown section for docs/benchmarks.md."""
    lines = [
        "## Detection as the live server reports it (`bench detect-live`)",
        "",
        f"Command: `{result.command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}  ",
        f"Run: {result.start:%Y-%m-%d %H:%M} UTC; "
        + "; ".join(
            f"{s.name}: {s.passes} passes, " + ", ".join(f"{k} {v:.0f} s" for k, v in s.seconds.items())
            for s in result.scores
        ),
        "",
        "The corpus of `bench detect-import` (same seed and placements), one fresh data directory per "
        "background. Retrospective: `ecosentinel screen` once over the months. Live: the scheduler's own "
        "passes (`screening.schedule.ScheduledPasses`) on a simulated clock, one step every "
        f"{result.step.total_seconds() / 3600:g} h (a full pass when "
        f"{result.full_every.total_seconds() / 3600:g} h have passed since the last, else an incremental "
        "pass), each seeing only the readings up to the clock; findings accumulate as on the server "
        "(module docstring of `ecosentinel.bench.detect_live`). Scored as `bench detect-import`.",
        "",
        "| background | clean yellow/red: retrospective | live | clean red: retrospective | live "
        "| red precision: retrospective | live | rules on live clean yellow/red days |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in result.scores:
        b, v = s.batch, s.live
        rules = ", ".join(f"{r} {n}" for r, n in v.clean_rules.most_common(5)) or "—"
        lines.append(
            f"| {s.name} | {_pct(b.clean_flagged, b.clean_days)} | {_pct(v.clean_flagged, v.clean_days)} "
            f"| {b.clean_red} | {v.clean_red} | {_prec(b)} | {_prec(v)} | {rules} |"
        )
    scenarios = sorted({x for s in result.scores for x in s.live.labels})
    lines += [
        "",
        "Labels found (retrospective / live) and, live, the median hours from the label's start to the "
        "pass that first made one of its days yellow or red:",
        "",
        "| background | " + " | ".join(scenarios) + " |",
        "|---|" + "---|" * len(scenarios),
    ]
    for s in result.scores:
        cells = []
        for x in scenarios:
            if not s.live.labels[x]:
                cells.append("—")
                continue
            t = s.ttd.get(x, [])
            med = f", {statistics.median(t):.0f} h" if t else ""
            cells.append(f"{s.batch.detected[x]} / {s.live.detected[x]} of {s.live.labels[x]}{med}")
        lines.append(f"| {s.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def register(bench_app: typer.Typer) -> None:
    """Add ``bench detect-live`` to ``ecosentinel bench``."""

    @bench_app.command("detect-live")
    def detect_live_command(
        data: str = typer.Option(str(DEFAULT_DATA), help="The shared data folder (read only)."),
        backgrounds: str = typer.Option(DEFAULT_BACKGROUNDS, help="Comma-separated backgrounds."),
        points: int = typer.Option(8, help="At most this many points per background."),
        days: int = typer.Option(182, help="CST days per point (six months; shorter series keep theirs)."),
        spacing: int = typer.Option(10, help="Days between two injections on a point."),
        seed: int = typer.Option(300, help="Placement and injection seed (as bench detect-import)."),
        step_hours: float = typer.Option(1.0, help="Simulated hours between two scheduler steps."),
        full_hours: float = typer.Option(2.0, help="Simulated hours between two full passes (the patrol)."),
        warm_up_days: float = typer.Option(1.0, help="Days of data before the first pass."),
        workers: int = typer.Option(1, help="Backgrounds replayed at once (one process each)."),
        work: Path | None = typer.Option(None, help="Working directory (default: a new temporary one)."),  # noqa: B008
        write_docs: bool = typer.Option(True, help="Write the section of docs/benchmarks.md."),
    ) -> None:
        """What the live server's passes report, against one retrospective screen (实时筛查的准确率)."""
        names = list(parse_backgrounds(backgrounds))
        folder = data_folder(data)
        if step_hours <= 0 or full_hours <= 0 or warm_up_days < 0 or workers < 1:
            typer.echo(
                "错误：--step-hours、--full-hours 与 --workers 须为正数，--warm-up-days 不能为负", err=True
            )
            raise typer.Exit(2)
        with tempfile.TemporaryDirectory(prefix="detect-live-") as tmp:
            result = run(
                folder,
                names,
                points=points,
                days=days,
                spacing=spacing,
                seed=seed,
                work=work or Path(tmp),
                step_hours=step_hours,
                full_hours=full_hours,
                warm_up_days=warm_up_days,
                workers=workers,
            )
        text = report(result)
        typer.echo(text)
        if write_docs:
            write_section("detect-live", text)


__all__ = ["LiveRun", "LiveScore", "register", "replay", "report", "run", "run_background"]
