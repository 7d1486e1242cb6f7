"""``ecosentinel bench detect``: screening accuracy on a labelled corpus, side by side with a baseline.

Corpus: simulated stations with one injected scenario each (every scenario × severities), clean
simulated stations, scenarios injected into the real Beijing series, and the untouched real series.
Metrics at point-day level (``detect_metrics``); detectors: the screening rules (yellow/red point-days)
and a rolling robust z-score (``detect_baseline``). Prints the table and writes the "Detection accuracy"
section of docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import typer

from ecosentinel.bench.detect_baseline import robust_z_detection, rules_detection
from ecosentinel.bench.detect_corpus import SEVERITIES, PointRun, plan, point_runs, run_batch
from ecosentinel.bench.detect_metrics import CleanRate, Detection, Outcome, Scores, clean_rates, score
from ecosentinel.bench.detect_real import REAL_SCENARIOS, clean_station_runs, real_runs
from ecosentinel.bench.report import write_section
from ecosentinel.simulator import SCENARIO_IDS

logger = logging.getLogger(__name__)

Detector = Callable[[PointRun], Detection]
DEFAULT_DATA = Path("/work/shared/data")
DETECTORS: dict[str, Detector] = {"rules": rules_detection, "robust_z": robust_z_detection}


@dataclass(frozen=True, slots=True)
class DetectOptions:
    """What the benchmark runs (``--quick`` shrinks everything)."""

    seed: int = 100
    days: float = 14.0
    per_type: int = 2
    clean_water: int = 5
    clean_gas: int = 5
    severities: tuple[str, ...] = ("low", "default", "high")
    scenarios: tuple[str, ...] = SCENARIO_IDS
    data: Path | None = DEFAULT_DATA
    real_stations: int | None = None
    real_segments: int | None = None
    segment_days: int = 60

    @classmethod
    def quick(cls, data: Path | None) -> DetectOptions:
        return cls(
            days=4.0,
            per_type=1,
            clean_water=1,
            clean_gas=1,
            severities=("default",),
            scenarios=("constant_value", "zero_negative"),
            data=data,
            real_stations=1,
            real_segments=2,
            segment_days=30,
        )


@dataclass(slots=True)
class DetectResult:
    """Everything the report needs."""

    options: DetectOptions
    outcomes: list[Outcome] = field(default_factory=list)
    seeds: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def scores(self, detector: str) -> dict[tuple[str, str, str], Scores]:
        return score(self.outcomes, detector)

    def clean(self, detector: str) -> dict[str, CleanRate]:
        return clean_rates(self.outcomes, detector)


def _outcome(run: PointRun, detectors: dict[str, Detector]) -> Outcome:
    return Outcome(
        source=run.source,
        batch=run.batch,
        mn=run.context.mn,
        severity_name=run.severity_name,
        labels=tuple(run.labels),
        days=tuple(run.days),
        detections={name: fn(run) for name, fn in detectors.items()},
    )


def run_detect(options: DetectOptions, detectors: dict[str, Detector] | None = None) -> DetectResult:
    """Build the corpus batch by batch (frames are dropped after detection) and run every detector."""
    detectors = detectors or DETECTORS
    result = DetectResult(options)
    t0 = time.perf_counter()
    batches = plan(
        scenarios=list(options.scenarios),
        severities=list(options.severities),
        days=options.days,
        per_type=options.per_type,
        clean_water=options.clean_water,
        clean_gas=options.clean_gas,
        seed=options.seed,
    )
    for batch in batches:
        sim = run_batch(batch)
        result.seeds.append(f"{batch.name}={batch.seed}")
        for run in point_runs(batch, sim):
            result.outcomes.append(_outcome(run, detectors))
        logger.info("batch %s done (%.0f s)", batch.name, time.perf_counter() - t0)
    if options.data is not None:
        real = real_runs(
            options.data,
            seed=options.seed,
            severities=list(options.severities),
            segment_days=options.segment_days,
            stations=options.real_stations,
            max_segments=options.real_segments,
        )
        result.seeds.append(f"real-injection={options.seed}")
        for run in real:
            result.outcomes.append(_outcome(run, detectors))
        for run in clean_station_runs(options.data, options.real_stations):
            result.outcomes.append(_outcome(run, detectors))
        logger.info("real series done (%.0f s)", time.perf_counter() - t0)
    result.seconds = time.perf_counter() - t0
    return result


def _f(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def accuracy_table(result: DetectResult) -> list[str]:
    """Markdown rows: per source, scenario and severity, the rules next to the baseline."""
    rules, base = result.scores("rules"), result.scores("robust_z")
    lines = [
        "| source | scenario | severity | labels | positive days | prevalence | rules P | rules R | rules F1 "
        "| rules TTD h (median) | z P | z R | z F1 | z TTD h | F1 better |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    for key in sorted(rules, key=lambda k: (k[0], k[1], order.get(k[2], 9))):
        r, b = rules[key], base.get(key, Scores())
        better = "yes" if r.f1 > b.f1 else ("tie" if r.f1 == b.f1 else "**no**")
        lines.append(
            f"| {key[0]} | {key[1]} | {key[2]} | {r.labels} | {r.tp + r.fn} | {r.prevalence:.3f} "
            f"| {r.precision:.2f} | {r.recall:.2f} | {r.f1:.2f} | {_f(r.ttd_median, 1)} "
            f"| {b.precision:.2f} | {b.recall:.2f} | {b.f1:.2f} | {_f(b.ttd_median, 1)} | {better} |"
        )
    return lines


def clean_table(result: DetectResult) -> list[str]:
    """Markdown rows: yellow/red share of clean point-days per source and detector, and per rule."""
    rules, base = result.clean("rules"), result.clean("robust_z")
    lines = [
        "| source | clean point-days | rules: yellow or red | robust z: flagged |",
        "|---|---:|---:|---:|",
    ]
    for src in sorted(rules):
        r, b = rules[src], base.get(src, CleanRate())
        lines.append(
            f"| {src} | {r.clean_days} | {r.flagged} ({100 * r.rate:.2f} %) "
            f"| {b.flagged} ({100 * b.rate:.2f} %) |"
        )
    lines += [
        "",
        "Clean point-days on which a rule has any finding (any severity; most stay green):",
        "",
        "| source | " + " | ".join(_rule_codes(rules.values())) + " |",
        "|---|" + "---:|" * len(_rule_codes(rules.values())),
    ]
    for src in sorted(rules):
        r = rules[src]
        cells = [
            f"{r.per_rule.get(code, 0)} ({100 * r.per_rule.get(code, 0) / max(1, r.clean_days):.2f} %)"
            for code in _rule_codes(rules.values())
        ]
        lines.append(f"| {src} | " + " | ".join(cells) + " |")
    return lines


def _rule_codes(rates: Iterable[CleanRate]) -> list[str]:
    return sorted({code for r in rates for code in r.per_rule})


def goals(result: DetectResult) -> list[str]:
    """The issue's accuracy goals, checked on the simulated corpus at default severity."""
    rules, base = result.scores("rules"), result.scores("robust_z")
    defaults = {k: v for k, v in rules.items() if k[0] == "sim" and k[2] == "default"}
    low_recall = sorted(k[1] for k, v in defaults.items() if v.recall < 0.95)
    not_better = sorted(k[1] for k, v in defaults.items() if v.f1 <= base.get(k, Scores()).f1)
    clean = result.clean("rules")
    fp = {src: c.rate for src, c in clean.items()}
    return [
        "- Recall ≥ 0.95 at default severity (simulated): "
        + ("met on every type." if not low_recall else f"missed on {', '.join(low_recall)}."),
        "- Clean point-days yellow or red ≤ 0.5 %: "
        + "; ".join(f"{src} {100 * rate:.2f} %" for src, rate in sorted(fp.items()))
        + ".",
        "- F1 better than the robust z-score at default severity (simulated): "
        + ("on every type." if not not_better else f"not on {', '.join(not_better)}."),
    ]


def machine_line() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def command_line(options: DetectOptions, quick: bool) -> str:
    if quick:
        return "ecosentinel bench detect --quick"
    return (
        f"ecosentinel bench detect --seed {options.seed} --days {options.days:g} "
        f"--per-type {options.per_type} "
        f"--clean-water {options.clean_water} --clean-gas {options.clean_gas} "
        f"--severities {','.join(options.severities)}"
    )


def report_body(result: DetectResult, quick: bool) -> str:
    o = result.options
    real_types = ", ".join(REAL_SCENARIOS)
    sev_text = ", ".join(f"{k} {SEVERITIES[k]}" for k in o.severities)
    lines = [
        "## Detection accuracy (`bench detect`)",
        "",
        f"Command: `{command_line(o, quick)}`  ",
        f"Machine: {machine_line()}  ",
        f"Run: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {result.seconds:.0f} s  ",
        f"Seeds (simulation per scenario@severity): {', '.join(result.seeds)}",
        "",
        f"Corpus: simulated stations, {o.days:g} days each, {o.per_type} station(s) per fitting type "
        f"with one injection each per scenario and severity ({sev_text}), plus {o.clean_water} water and "
        f"{o.clean_gas} gas stations with no injection; every station has daily calibrations, maintenance "
        "visits, shutdowns/start-ups, storms and transmission gaps. Real: the Beijing series (12 stations, "
        f"hourly, 2013-03..2017-02) cut into {o.segment_days}-day segments with one injection each "
        f"({real_types}, round robin), and the untouched series (`real-clean`). Read from `{o.data}` at "
        "run time.",
        "",
        "Point-day level: a day is positive for a scenario when its label covers ≥1 h of the CST day, "
        "clean when no label touches it (days touched < 1 h are left out). Rules flag a point-day when "
        "its warning (screening.scoring) is yellow or red. Universe of a row: every point-day of the "
        "points carrying that injection (so flagging everything gives precision = prevalence). TTD: hours "
        "from the label's start to the end of the first finding overlapping it on a flagged day. Baseline "
        "`z`: per factor, hourly, trailing 7-day median/MAD modified z-score > 3.5 on ≥2 hours of the day.",
        "",
        *accuracy_table(result),
        "",
        "### False positives on clean point-days",
        "",
        *clean_table(result),
        "",
        "### Goals (issue 3)",
        "",
        *goals(result),
    ]
    return "\n".join(lines)


def register(bench_app: typer.Typer) -> None:
    """Add this benchmark's command to ``ecosentinel bench``."""

    @bench_app.command("detect")
    def detect_command(
        quick: bool = typer.Option(False, help="Tiny corpus (checks the machinery in seconds)."),
        seed: int = typer.Option(100, help="Base seed; each simulation uses seed + its index."),
        days: float = typer.Option(14.0, help="Days per simulated station."),
        per_type: int = typer.Option(2, help="Stations per fitting point type per scenario and severity."),
        clean_water: int = typer.Option(5, help="Clean water stations."),
        clean_gas: int = typer.Option(5, help="Clean flue-gas stations."),
        severities: str = typer.Option("low,default,high", help="Comma list of low, default, high."),
        scenarios: str = typer.Option("", help="Comma list of scenario ids (default: all)."),
        data: str = typer.Option(str(DEFAULT_DATA), help="Folder of the real public series."),
        no_real: bool = typer.Option(False, "--no-real", help="Skip the real series."),
        write_docs: bool = typer.Option(True, help="Record the results in docs/benchmarks.md."),
    ) -> None:
        """Screening accuracy vs a robust z-score baseline (识别准确率基准)."""
        sevs = tuple(s.strip() for s in severities.split(",") if s.strip())
        bad = [s for s in sevs if s not in SEVERITIES]
        if bad:
            raise typer.BadParameter(f"unknown severity {', '.join(bad)} (use {', '.join(SEVERITIES)})")
        chosen = tuple(s.strip() for s in scenarios.split(",") if s.strip()) or SCENARIO_IDS
        unknown = [s for s in chosen if s not in SCENARIO_IDS]
        if unknown:
            raise typer.BadParameter(f"unknown scenario {', '.join(unknown)}")
        real = None if no_real else Path(data)
        if quick:
            options = DetectOptions.quick(real)
        else:
            options = DetectOptions(
                seed=seed,
                days=days,
                per_type=per_type,
                clean_water=clean_water,
                clean_gas=clean_gas,
                severities=sevs,
                scenarios=chosen,
                data=real,
            )
        typer.echo(f"seeds: {options.seed} (+ batch index); corpus: {options}")
        result = run_detect(options)
        body = report_body(result, quick)
        typer.echo(body)
        if write_docs:
            write_section("detect", body)
