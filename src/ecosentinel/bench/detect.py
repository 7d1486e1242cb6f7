"""``ecosentinel bench detect``: screening accuracy on labelled data, side by side with generic baselines.

Two corpora. *Simulated*: stations with one injected scenario each (every scenario × severities) and
clean stations (``detect_corpus``). *Real backgrounds* (issue 17): every public series in the shared
data folder as monitoring points (``detect_backgrounds``), cut into segments, one injected scenario per
segment (``detect_inject``, ``detect_real``) plus every segment untouched. Real backgrounds are run
leave-one-background-out: ``calibrate(other backgrounds) -> ScreeningConfig`` is called before each
background is screened, so whatever the engine learns never sees the background it is scored on.
Metrics at point-day level (``detect_metrics``); detectors: the screening rules (yellow/red point-days),
a rolling robust z-score (``detect_baseline``), and PyOD ECOD / ADTK where installed
(``detect_generic``; ``pip install -e '.[bench]'``). Prints the tables and writes the "Detection
accuracy" section of docs/benchmarks.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import platform
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import typer

from ecosentinel.bench.detect_backgrounds import (
    BACKGROUNDS,
    Background,
    UnknownBackgroundError,
    load_background,
    with_limits_scaled,
    with_output_step,
)
from ecosentinel.bench.detect_baseline import robust_z_detection, rules_detection
from ecosentinel.bench.detect_corpus import SEVERITIES, PointRun, plan, point_runs, run_batch
from ecosentinel.bench.detect_generic import adtk_detection, availability, ecod_detection
from ecosentinel.bench.detect_metrics import (
    CleanRate,
    Detection,
    Outcome,
    RedPrecision,
    Scores,
    clean_rates,
    red_precision,
    rule_reliability,
    score,
)
from ecosentinel.bench.detect_real import Profiles, applicable, clean_runs, injected_runs, segments
from ecosentinel.bench.report import write_section
from ecosentinel.detection import ScreeningConfig
from ecosentinel.simulator import SCENARIO_IDS

logger = logging.getLogger(__name__)

Detector = Callable[[PointRun], Detection]
Calibrator = Callable[[Sequence[Background]], ScreeningConfig]
DEFAULT_DATA = Path("/work/shared/data")
DETECTORS: dict[str, Detector] = {"rules": rules_detection, "robust_z": robust_z_detection}
GENERIC: dict[str, Detector] = {"ecod": ecod_detection, "adtk": adtk_detection}
BASELINE_NAMES = {"robust_z": "robust z", "ecod": "PyOD ECOD", "adtk": "ADTK"}
STEP_LIKE = frozenset(
    {
        "constant_value",
        "zero_negative",
        "o2_dilution",
        "zs_mismatch",
        "flow_manipulation",
        "hourly_mismatch",
        "dilution",
    }
)
"""Scenarios that are a sustained step (the 24 h time-to-detect goal applies to them)."""


def calibrate(train: Sequence[Background]) -> ScreeningConfig:
    """Leave-one-background-out calibration hook: derive a configuration from the training backgrounds.

    Today the rule engine takes no learned parameters, so this returns the default configuration; the
    benchmark already calls it with every background but the one it then scores (``run_detect``).
    """
    del train
    return ScreeningConfig()


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
    backgrounds: tuple[str, ...] = BACKGROUNDS
    per_combo: int = 6
    """Real backgrounds: injected segments per (scenario, severity)."""
    max_segments: int | None = None
    """Real backgrounds: at most this many segments per track (None: all)."""
    sim: bool = True
    profiles: bool = True
    """Real backgrounds: calibrate each segment's point on the 30 days of its track before it."""
    limit_scales: tuple[float, ...] = (0.6, 1.5)
    """Real backgrounds: the untouched segments are screened again with every limit times each of these
    (the rules only): how much the clean-day rate depends on the limit mapping chosen."""
    output_steps: tuple[float, ...] = (0.1,)
    """Real backgrounds: the untouched segments are screened again (the rules only) as a low-resolution
    analyser would report them: every pollutant rounded to the power of ten at or below each of these
    shares of its limit (``with_output_step``)."""
    gap_episodes: int = 1
    """Real backgrounds: silenced exceedances per ``gap_during_exceedance`` segment (each its own label,
    two days apart at least): R09 judges gaps by their association with the level over the month."""

    @classmethod
    def quick(cls, data: Path | None) -> DetectOptions:
        return cls(
            days=4.0,
            per_type=1,
            clean_water=1,
            clean_gas=1,
            severities=("default",),
            scenarios=("constant_value", "zero_negative", "replay"),
            data=data,
            per_combo=1,
            max_segments=1,
            limit_scales=(0.6,),
            output_steps=(0.1,),
        )


@dataclass(slots=True)
class BackgroundInfo:
    """What the report says about one background besides its scores."""

    summary: str
    folder: str
    points: int
    segments: int
    segment_days: int
    not_injectable: dict[str, str]
    trained_on: tuple[str, ...]
    limits: str = ""
    """The FactorSpec limits the rules see (per point where they differ)."""


@dataclass(slots=True)
class DetectResult:
    """Everything the report needs."""

    options: DetectOptions
    outcomes: list[Outcome] = field(default_factory=list)
    seeds: list[str] = field(default_factory=list)
    seconds: float = 0.0
    baselines: dict[str, str | None] = field(default_factory=dict)
    """Generic baselines: None when it ran, else why not."""
    backgrounds: dict[str, BackgroundInfo] = field(default_factory=dict)
    scaled: list[Outcome] = field(default_factory=list)
    """The untouched segments screened with scaled limits (source ``<background>@limits×<k>``)."""

    def scores(self, detector: str) -> dict[tuple[str, str, str], Scores]:
        return score([o for o in self.outcomes if detector in o.detections], detector)

    def clean(self, detector: str, *, untouched_only: bool = False) -> dict[str, CleanRate]:
        return clean_rates(self.outcomes, detector, untouched_only=untouched_only)

    def red(self) -> dict[str, RedPrecision]:
        return red_precision(self.outcomes, "rules")

    @property
    def ran(self) -> list[str]:
        """Baselines that ran, robust z first."""
        return ["robust_z", *[k for k, v in self.baselines.items() if v is None]]


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


def _detectors(config: ScreeningConfig | None, baselines: dict[str, str | None]) -> dict[str, Detector]:
    rules: Detector = functools.partial(rules_detection, config=config, online=STEP_LIKE)
    out: dict[str, Detector] = {"rules": rules, "robust_z": robust_z_detection}
    out.update({k: fn for k, fn in GENERIC.items() if baselines.get(k, "absent") is None})
    return out


def limits_text(bg: Background) -> str:
    """``code limit unit`` per factor with a limit; per point when the points differ."""
    by_code: dict[str, dict[str, float]] = {}
    units: dict[str, str] = {}
    for tr in bg.tracks:
        for code, spec in tr.factors.items():
            if spec.limit is not None:
                by_code.setdefault(code, {})[tr.name] = spec.limit
                units[code] = spec.unit or ""
    parts = []
    for code, per in by_code.items():
        if len(set(per.values())) == 1:
            parts.append(f"{code} {next(iter(per.values())):g} {units[code]}".strip())
        else:
            each = ", ".join(f"{name} {lim:g}" for name, lim in per.items())
            parts.append(f"{code} {units[code]}: {each}")
    return "; ".join(parts) or "none (flow only)"


def run_detect(
    options: DetectOptions,
    detectors: dict[str, Detector] | None = None,
    calibrator: Calibrator = calibrate,
) -> DetectResult:
    """Run both corpora (frames are dropped after detection) with every detector.

    ``detectors`` replaces the default set (tests); otherwise the rules use the configuration the
    calibrator derives from the other backgrounds (leave one background out).
    """
    result = DetectResult(options)
    result.baselines = availability() if detectors is None else {}
    t0 = time.perf_counter()
    if options.sim:
        dets = detectors or _detectors(None, result.baselines)
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
                result.outcomes.append(_outcome(run, dets))
            logger.info("batch %s done (%.0f s)", batch.name, time.perf_counter() - t0)
    if options.data is not None and options.backgrounds:
        loaded = {name: load_background(name, options.data, options.seed) for name in options.backgrounds}
        result.seeds.append(f"real-injection={options.seed} (+ background index)")
        for k, (name, bg) in enumerate(loaded.items()):
            train = [b for other, b in loaded.items() if other != name]
            config = calibrator(train)
            dets = detectors or _detectors(config, result.baselines)
            fit = applicable(bg)
            wanted = [s for s in options.scenarios if fit.get(s) is None]
            result.backgrounds[name] = BackgroundInfo(
                summary=bg.summary,
                folder=bg.folder,
                points=len(bg.tracks),
                segments=len(segments(bg, options.max_segments)),
                segment_days=bg.segment_days,
                not_injectable={s: r for s, r in fit.items() if r is not None},
                trained_on=tuple(b.name for b in train),
                limits=limits_text(bg),
            )
            profiles = Profiles(enabled=options.profiles)
            runs = injected_runs(
                bg,
                seed=options.seed + k,
                severities=list(options.severities),
                scenarios=wanted,
                per_combo=options.per_combo,
                max_segments=options.max_segments,
                profiles=profiles,
                gap_episodes=options.gap_episodes,
            )
            for run in runs:
                result.outcomes.append(_outcome(run, dets))
            for run in clean_runs(bg, options.max_segments, profiles):
                result.outcomes.append(_outcome(run, dets))
            rules_only = {k: v for k, v in dets.items() if k == "rules"}
            for scale in options.limit_scales if rules_only else ():
                moved = with_limits_scaled(bg, scale)
                # profiles are rebuilt: calibration reads the limits (exposure, peaks over the limit)
                for run in clean_runs(moved, options.max_segments, Profiles(enabled=options.profiles)):
                    result.scaled.append(_outcome(run, rules_only))
            for share in options.output_steps if rules_only else ():
                coarse = with_output_step(bg, share)
                for run in clean_runs(coarse, options.max_segments, Profiles(enabled=options.profiles)):
                    result.scaled.append(_outcome(run, rules_only))
            logger.info("background %s done (%.0f s)", name, time.perf_counter() - t0)
    result.seconds = time.perf_counter() - t0
    return result


def _clean_moved(
    result: DetectResult, names: Sequence[str], header: list[str], columns: Sequence[tuple[str, str | None]]
) -> list[str]:
    """A clean-day table of the untouched segments: one row per background, one column per variant
    (heading, source suffix; None = as recorded). Cells: yellow or red / clean point-days (share), red
    point-days in brackets."""
    moved = clean_rates(result.scaled, "rules")
    moved_red = red_precision(result.scaled, "rules")
    base = result.clean("rules", untouched_only=True)
    base_red = red_precision([o for o in result.outcomes if not o.labels], "rules")
    lines = [
        *header,
        "",
        "| background | " + " | ".join(title for title, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for name in names:
        cells = []
        for _, suffix in columns:
            src = name if suffix is None else f"{name}@{suffix}"
            rate = (base if suffix is None else moved).get(src)
            red = (base_red if suffix is None else moved_red).get(src)
            if rate is None or not rate.clean_days:
                cells.append("—")
                continue
            share = _pct(rate.flagged / rate.clean_days)
            cells.append(f"{rate.flagged}/{rate.clean_days} ({share}) ({red.red if red else 0})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def scaled_table(result: DetectResult, names: Sequence[str]) -> list[str]:
    """Clean-day rates of the untouched segments with every limit scaled (limit-mapping robustness)."""
    scales = result.options.limit_scales
    if not result.scaled or not scales:
        return []
    header = [
        "#### Limits moved: the clean-day rate with every limit scaled",
        "",
        "The limits are a mapping chosen here (an EPA unit's permit is 1.1 × its own p99). The untouched "
        "segments are screened again, rules only, with every limit × "
        + ", ".join(f"{k:g}" for k in scales)
        + " (points then sit at or over their limit far more often, or far below it), each point "
        "re-profiled with the moved limits (`bench.detect_backgrounds.with_limits_scaled`). Goal as above: "
        "≤ 0.5 % of clean point-days yellow or red, and no red on a clean day. Cells: yellow or red / "
        "clean point-days (share), red point-days in brackets.",
    ]
    columns = [("limits × 1", None), *((f"limits × {k:g}", f"limits×{k:g}") for k in scales)]
    return _clean_moved(result, names, header, columns)


def _f(x: float | None, digits: int = 2) -> str:
    return "—" if x is None else f"{x:.{digits}f}"


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


SEV_ORDER = {s: i for i, s in enumerate(SEVERITIES)}


def accuracy_table(result: DetectResult, source: str = "sim") -> list[str]:
    """Markdown rows of one source: per scenario and severity, the rules next to every baseline."""
    rules = {k: v for k, v in result.scores("rules").items() if k[0] == source}
    bases = {b: result.scores(b) for b in result.ran}
    head = "| scenario | severity | labels | positive days | prevalence "
    head += "| rules P | rules R | rules F1 | rules TTD h "
    head += "".join(f"| {BASELINE_NAMES[b]} F1 " for b in bases) + "| F1 above every baseline |"
    lines = [head, "|---|---|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(bases) + "---|"]
    for key in sorted(rules, key=lambda k: (k[1], SEV_ORDER.get(k[2], 9))):
        r = rules[key]
        f1s = [bases[b].get(key, Scores()).f1 for b in bases]
        better = "yes" if all(r.f1 > f for f in f1s) else "**no**"
        lines.append(
            f"| {key[1]} | {key[2]} | {r.labels} | {r.tp + r.fn} | {r.prevalence:.3f} "
            f"| {r.precision:.2f} | {r.recall:.2f} | {r.f1:.2f} | {_f(r.ttd_median, 1)} "
            + "".join(f"| {f:.2f} " for f in f1s)
            + f"| {better} |"
        )
    return lines


def clean_table(result: DetectResult, sources: Iterable[str], untouched_only: bool) -> list[str]:
    """Markdown rows: yellow/red share of clean point-days per source, baselines' share, red precision."""
    rules = result.clean("rules", untouched_only=untouched_only)
    bases = {b: result.clean(b, untouched_only=untouched_only) for b in result.ran}
    reds = result.red()
    lines = [
        "| source | clean point-days | rules: yellow or red | red precision (red on falsified / all red) "
        + "".join(f"| {BASELINE_NAMES[b]}: flagged " for b in bases)
        + "|",
        "|---|---:|---:|---:|" + "---:|" * len(bases),
    ]
    for src in sources:
        r = rules.get(src, CleanRate())
        red = reds.get(src, RedPrecision())
        cells = "".join(
            f"| {bases[b].get(src, CleanRate()).flagged} ({_pct(bases[b].get(src, CleanRate()).rate)}) "
            for b in bases
        )
        lines.append(
            f"| {src} | {r.clean_days} | {r.flagged} ({_pct(r.rate)}) "
            f"| {_f(red.precision)} ({red.red_on_falsified}/{red.red}) {cells}|"
        )
    return lines


def reliability_table(result: DetectResult, sources: Iterable[str]) -> list[str]:
    """Per source and rule: confirmed / refuted warned point-days and the reliability the platform would
    show after inspecting them (the feedback step of issue 17, simulated with the benchmark's truth)."""
    table = rule_reliability(result.outcomes)
    names = list(sources)
    codes = sorted({code for src in names for code in table.get(src, {})})
    if not codes:
        return ["No rule contributed to a yellow or red point-day."]
    lines = ["| source | " + " | ".join(codes) + " |", "|---|" + "---:|" * len(codes)]
    for src in names:
        cells = []
        for code in codes:
            r = table.get(src, {}).get(code)
            cells.append("—" if r is None or r.n == 0 else f"{r.confirmed}/{r.n} ({r.reliability:.2f})")
        lines.append(f"| {src} | " + " | ".join(cells) + " |")
    return lines


def rule_table(result: DetectResult, sources: Iterable[str], untouched_only: bool) -> list[str]:
    """Clean point-days on which each rule has any finding (most stay green)."""
    rules = result.clean("rules", untouched_only=untouched_only)
    codes = sorted({code for src in sources for code in rules.get(src, CleanRate()).per_rule})
    if not codes:
        return ["No rule has a finding on a clean point-day."]
    lines = ["| source | " + " | ".join(codes) + " |", "|---|" + "---:|" * len(codes)]
    for src in sources:
        r = rules.get(src, CleanRate())
        cells = [
            f"{r.per_rule.get(c, 0)} ({_pct(r.per_rule.get(c, 0) / max(1, r.clean_days))})" for c in codes
        ]
        lines.append(f"| {src} | " + " | ".join(cells) + " |")
    return lines


@dataclass(frozen=True, slots=True)
class GoalCheck:
    """The issue-17 goals on one source at default severity."""

    low_recall: tuple[str, ...]
    slow: tuple[str, ...]
    clean_rate: float
    red: float | None
    not_better: tuple[str, ...]
    types: int

    @property
    def met(self) -> dict[str, bool]:
        return {
            "recall": self.types > 0 and not self.low_recall,
            "ttd": self.types > 0 and not self.slow,
            "clean": self.clean_rate <= 0.005,
            "red": self.red is not None and self.red >= 0.9,
            "f1": self.types > 0 and not self.not_better,
        }


def goal_check(result: DetectResult, source: str, untouched_only: bool) -> GoalCheck:
    rules = {k: v for k, v in result.scores("rules").items() if k[0] == source and k[2] == "default"}
    bases = {b: result.scores(b) for b in result.ran}
    low = tuple(sorted(k[1] for k, v in rules.items() if v.recall < 0.95))
    slow = tuple(
        sorted(
            k[1]
            for k, v in rules.items()
            if k[1] in STEP_LIKE and (v.ttd_median is None or v.ttd_median > 24.0)
        )
    )
    not_better = tuple(
        sorted(k[1] for k, v in rules.items() if any(v.f1 <= bases[b].get(k, Scores()).f1 for b in bases))
    )
    clean = result.clean("rules", untouched_only=untouched_only).get(source, CleanRate())
    red = result.red().get(source, RedPrecision())
    return GoalCheck(low, slow, clean.rate, red.precision, not_better, len(rules))


def _mark(ok: bool) -> str:
    return "met" if ok else "**not met**"


def goals_table(result: DetectResult, sources: Sequence[str]) -> list[str]:
    lines = [
        "| source | recall ≥ 0.95 on every type | median TTD ≤ 24 h (step-like) | clean yellow/red ≤ 0.5 % "
        "| red precision ≥ 0.9 | F1 above every baseline |",
        "|---|---|---|---|---|---|",
    ]
    for src in sources:
        g = goal_check(result, src, untouched_only=src != "sim")
        m = g.met
        lines.append(
            f"| {src} "
            f"| {_mark(m['recall'])}{' (missed: ' + ', '.join(g.low_recall) + ')' if g.low_recall else ''} "
            f"| {_mark(m['ttd'])}{' (' + ', '.join(g.slow) + ')' if g.slow else ''} "
            f"| {_mark(m['clean'])} ({_pct(g.clean_rate)}) "
            f"| {_mark(m['red'])} ({_f(g.red)}) "
            f"| {_mark(m['f1'])}{' (not on: ' + ', '.join(g.not_better) + ')' if g.not_better else ''} |"
        )
    return lines


def machine_line() -> str:
    import os

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def step_table(result: DetectResult, names: Sequence[str]) -> list[str]:
    """Clean-day rates of the untouched segments reported at a coarse output step (resolution robustness)."""
    shares = result.options.output_steps
    if not result.scaled or not shares:
        return []
    header = [
        "#### Output step moved: the clean-day rate at a low-resolution analyser's step",
        "",
        "The untouched segments are screened again, rules only, with every pollutant that has a limit "
        "rounded to the power of ten at or below "
        + ", ".join(f"{k:g}" for k in shares)
        + " × its limit (NH3-N with a 5 mg/L limit at 0.1 mg/L, nitrate with 15 mg/L at 1 mg/L; the "
        "O2-converted value recomputed from the rounded one, as a data logger would), each point "
        "re-profiled on its rounded history (`bench.detect_backgrounds.with_output_step`). Goal as above. "
        "Cells: yellow or red / clean point-days (share), red point-days in brackets.",
    ]
    columns = [("as recorded", None), *((f"step ≤ {k:g} × limit", f"step{k:g}") for k in shares)]
    return _clean_moved(result, names, header, columns)


def command_line(options: DetectOptions, quick: bool) -> str:
    if quick:
        return "ecosentinel bench detect --quick"
    parts = [
        f"ecosentinel bench detect --seed {options.seed} --days {options.days:g}",
        f"--per-type {options.per_type}",
        f"--clean-water {options.clean_water} --clean-gas {options.clean_gas}",
        f"--severities {','.join(options.severities)} --per-combo {options.per_combo}",
        f"--limit-scales {','.join(f'{k:g}' for k in options.limit_scales) or 'none'}",
        f"--output-steps {','.join(f'{k:g}' for k in options.output_steps) or 'none'}",
    ]
    if options.gap_episodes != 1:
        parts.append(f"--gap-episodes {options.gap_episodes}")
    if options.backgrounds != BACKGROUNDS:
        parts.append(f"--backgrounds {','.join(options.backgrounds)}")
    if not options.sim:
        parts.append("--no-sim")
    return " ".join(parts)


def baseline_lines(result: DetectResult) -> list[str]:
    lines = [
        "Baselines side by side (PyOD and ADTK from the optional extra `pip install -e '.[bench]'`; "
        "the command runs without them and says so): robust z (always)"
    ]
    for name, why in result.baselines.items():
        lines[0] += f"; {BASELINE_NAMES[name]}: " + ("ran" if why is None else f"did not run — {why}")
    lines[0] += "."
    return lines


def real_body(result: DetectResult) -> list[str]:
    o = result.options
    names = list(result.backgrounds)
    if not names:
        return []
    lines = [
        "### Real backgrounds (issue 17), leave one background out",
        "",
        f"Data read from `{o.data}` at run time (never copied). Each background's points are cut into "
        "segments; for every scenario type the data can carry and every severity "
        f"({', '.join(f'{k} {SEVERITIES[k]}' for k in o.severities)}), {o.per_combo} segment(s) get one "
        "injection each (round robin over points and segments)"
        + (
            f", except gap_during_exceedance: up to {o.gap_episodes} silenced exceedances per segment (as "
            "many as its operating days can place), two days apart at least, each its own label"
            if o.gap_episodes != 1
            else ""
        )
        + "; every segment is also screened untouched. "
        "Clean-day rates below are over the untouched segments; red precision is over all red point-days "
        "of the background (injected and untouched segments). Conversions, limits and injections: "
        "module docstrings of `ecosentinel.bench.detect_backgrounds` and `detect_inject`.",
        "",
        "Calibration: leave one background out. Before a background is screened, "
        "`ecosentinel.bench.detect.calibrate(other backgrounds)` derives the screening configuration from "
        "the other backgrounds only; the rule engine takes no parameters learned across backgrounds, so the "
        "hook returns the default configuration and no constant was fitted to the background being scored. "
        + (
            "Per-point calibration (as the screening service does): each segment's point is profiled on the "
            "30 days of its own track before the segment (`detection.calibration.build_profile`; a segment "
            "with less than 14 days before it keeps the rules' constants)."
            if o.profiles
            else "Per-point calibration off (`--no-profiles`): every rule uses its documented constants."
        ),
        "",
        *baseline_lines(result),
        "",
        "| background | data | limits | points | segments × days | not injectable (why) |",
        "|---|---|---|---:|---|---|",
    ]
    for name in names:
        info = result.backgrounds[name]
        why = "; ".join(f"{s}: {r}" for s, r in info.not_injectable.items()) or "—"
        lines.append(
            f"| {name} | {info.summary} (`{info.folder}`) | {info.limits} | {info.points} "
            f"| {info.segments} × {info.segment_days} "
            f"| {why} |"
        )
    lines += ["", "#### Goals per background (default severity)", "", *goals_table(result, names), ""]
    lines += [
        "#### Clean point-days and red precision",
        "",
        *clean_table(result, names, untouched_only=True),
        "",
    ]
    lines += [
        "Clean point-days on which a rule has any finding (any severity; most stay green):",
        "",
        *rule_table(result, names, untouched_only=True),
        "",
        "Rule reliability as the feedback step would learn it: for each rule, the yellow or red point-days "
        "it contributed to, inspected with the benchmark's truth — confirmed / inspected and, in brackets, "
        "the estimate the platform shows, (confirmed + 1) / (n + 2) (`enforcement.outcomes.rule_reliability`"
        "; injected and untouched segments):",
        "",
        *reliability_table(result, names),
        "",
    ]
    lines += [*scaled_table(result, names), ""]
    lines += [*step_table(result, names), ""]
    for name in names:
        lines += [
            f"#### {name} (calibration trained on: "
            f"{', '.join(result.backgrounds[name].trained_on) or 'nothing'})",
            "",
            *accuracy_table(result, name),
            "",
        ]
    return lines


def sim_body(result: DetectResult) -> list[str]:
    o = result.options
    if not o.sim:
        return []
    sev_text = ", ".join(f"{k} {SEVERITIES[k]}" for k in o.severities)
    return [
        "### Simulated corpus",
        "",
        f"Simulated stations, {o.days:g} days each, {o.per_type} station(s) per fitting type "
        "with one injection "
        f"each per scenario and severity ({sev_text}), plus {o.clean_water} water and {o.clean_gas} gas "
        "stations with no injection; every station has daily calibrations, maintenance visits, "
        "shutdowns/start-ups, storms and transmission gaps.",
        "",
        *accuracy_table(result, "sim"),
        "",
        *clean_table(result, ["sim"], untouched_only=False),
        "",
        *rule_table(result, ["sim"], untouched_only=False),
        "",
        *goals_table(result, ["sim"]),
        "",
    ]


def report_body(result: DetectResult, quick: bool) -> str:
    o = result.options
    lines = [
        "## Detection accuracy (`bench detect`)",
        "",
        f"Command: `{command_line(o, quick)}`  ",
        f"Machine: {machine_line()}  ",
        f"Run: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, {result.seconds:.0f} s  ",
        f"Seeds: {', '.join(result.seeds)}",
        "",
        "Point-day level: a day is positive for a scenario when its label covers ≥1 h of the CST day, "
        "clean when no label touches it (days touched < 1 h are left out). Rules flag a point-day when "
        "its warning (detection.scoring) is yellow or red. Universe of a row: every point-day of the "
        "points carrying that injection (so flagging everything gives precision = prevalence). TTD: median "
        "hours from the label's start to the first alert. Step-like types are replayed as in operation: a "
        "screening pass at label start + 1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 30, 36, 48, 60, 72, 96 h sees "
        "only the data received by then, and the first pass that makes a label day yellow or red with a "
        "finding overlapping the label is the alert (`bench.detect_baseline.online_alert`); other types "
        "(and a step-like label no pass reached) count to the end of the first finding overlapping it on a "
        "flagged day. "
        "Baselines flag a point-day when ≥2 of its hours are anomalous: robust z = per factor, hourly, "
        "trailing 7-day median/MAD modified z-score > 3.5; PyOD ECOD (contamination 0.01) on the hourly "
        "factor vectors of the point's segment; ADTK PersistAD(window 24, c 3) or LevelShiftAD(window 5, "
        "c 6) per factor (`ecosentinel.bench.detect_generic`). Goals (issue 17, default severity): recall "
        "≥ 0.95 on every type, median TTD ≤ 24 h on step-like types, ≤ 0.5 % of clean point-days "
        "yellow/red, red precision ≥ 0.9, F1 above every baseline on every type; a goal holds only where "
        "it holds on every background.",
        "",
        *real_body(result),
        *sim_body(result),
    ]
    return "\n".join(lines)


def _positive_list(text: str, option: str, example: str) -> tuple[float, ...]:
    """A comma list of positive numbers (``none``: empty), or a one-line error naming ``option``."""
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip() and x.strip().lower() != "none")
    except ValueError:
        values = (-1.0,)
    if any(k <= 0 for k in values):
        _fail(f"{option} 应为以逗号分隔的正数（如 {example}）或 none：{text}")
    return values


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)


def parse_backgrounds(text: str) -> tuple[str, ...]:
    """A ``--backgrounds`` option: comma-separated names (empty: all); an unknown one exits 2 naming it and
    the names there are."""
    names = tuple(s.strip() for s in text.split(",") if s.strip()) or BACKGROUNDS
    unknown = [b for b in names if b not in BACKGROUNDS]
    if unknown:
        _fail(f"未知的背景数据：{', '.join(unknown)}（可选：{', '.join(BACKGROUNDS)}）")
    return names


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
        backgrounds: str = typer.Option(
            "", help=f"Comma list of real backgrounds (default: all: {', '.join(BACKGROUNDS)})."
        ),
        per_combo: int = typer.Option(
            6, help="Real backgrounds: injected segments per scenario and severity."
        ),
        max_segments: int = typer.Option(
            0, help="Real backgrounds: at most this many segments per point (0: all)."
        ),
        no_real: bool = typer.Option(False, "--no-real", help="Skip the real backgrounds."),
        no_sim: bool = typer.Option(False, "--no-sim", help="Skip the simulated corpus."),
        no_profiles: bool = typer.Option(
            False,
            "--no-profiles",
            help="Real backgrounds: no per-point calibration from each point's history.",
        ),
        limit_scales: str = typer.Option(
            "0.6,1.5",
            help="Real backgrounds: also screen the untouched segments with every limit times each of "
            "these (comma list; none to skip).",
        ),
        output_steps: str = typer.Option(
            "0.1",
            help="Real backgrounds: also screen the untouched segments with every pollutant rounded to the "
            "power of ten at or below each of these shares of its limit (comma list; none to skip).",
        ),
        gap_episodes: int = typer.Option(
            1,
            min=1,
            max=5,
            help="Real backgrounds: silenced exceedances per gap_during_exceedance segment (1-5, each "
            "its own label).",
        ),
        write_docs: bool = typer.Option(True, help="Record the results in docs/benchmarks.md."),
    ) -> None:
        """Screening accuracy vs generic baselines on simulated and real data (识别准确率基准)."""
        sevs = tuple(s.strip() for s in severities.split(",") if s.strip())
        bad = [s for s in sevs if s not in SEVERITIES]
        if bad:
            _fail(f"未知的严重程度：{', '.join(bad)}（可选：{', '.join(SEVERITIES)}）")
        chosen = tuple(s.strip() for s in scenarios.split(",") if s.strip()) or SCENARIO_IDS
        unknown = [s for s in chosen if s not in SCENARIO_IDS]
        if unknown:
            _fail(f"未知的造假场景：{', '.join(unknown)}")
        bgs = parse_backgrounds(backgrounds)
        scales = _positive_list(limit_scales, "--limit-scales", "0.6,1.5")
        steps = _positive_list(output_steps, "--output-steps", "0.1")
        real = None if no_real else Path(data)
        if real is not None and not real.is_dir():
            _fail(f"找不到真实数据目录：{real}（用 --data 指定，或加 --no-real 跳过）")
        if quick:
            options = dataclasses.replace(
                DetectOptions.quick(real), backgrounds=bgs, sim=not no_sim, profiles=not no_profiles
            )
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
                backgrounds=bgs,
                per_combo=per_combo,
                max_segments=max_segments or None,
                sim=not no_sim,
                profiles=not no_profiles,
                limit_scales=scales,
                output_steps=steps,
                gap_episodes=gap_episodes,
            )
        typer.echo(f"seeds: {options.seed} (+ batch index); corpus: {options}")
        try:
            result = run_detect(options)
        except (UnknownBackgroundError, FileNotFoundError) as exc:
            _fail(f"无法读取背景数据：{exc}")
            return
        body = report_body(result, quick)
        typer.echo(body)
        if write_docs:
            write_section("detect", body)
