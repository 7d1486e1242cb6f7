"""``ecosentinel bench detect-import``: detection accuracy through the product's own path, as a user runs it.

``bench detect`` screens each injected segment in memory, calibrated on clean history. A bureau's
analyst does something else: imports months of a point's history (registry YAML and readings CSV in the
documented formats), then runs ``ecosentinel screen`` over all of it and reads the day colours. This
benchmark does exactly that, end to end, in a fresh data directory:

1. per background, up to ``points`` of its points, ``days`` CST days each (six months of the hourly
   backgrounds, where a series has them; the minute backgrounds' 42 and 49 days), taken where the
   point's main channel has the most data;
2. one scenario at default severity every ``spacing`` days from the 8th day on, round robin over the
   scenario types the point can carry (``detect_inject``; placed as ``bench detect`` places them, a week
   of history before each). Falsified days therefore also lie in the history that calibrates the months
   after them, as in a real point's history;
3. ``registry.yaml`` (enterprises, points with type, reference O2, factor limits and ranges) and
   ``readings.csv`` (``mn,time,kind,code,value,flag``; the O2-converted value only with ``--with-zs``,
   as an export from another platform often lacks it; working-condition meters as their readings);
4. ``ecosentinel import registry``, ``ecosentinel import readings``, then per background
   ``ecosentinel screen --from --to --points`` over its months, as subprocesses with
   ``ECOSENTINEL_DATA_DIR`` set to the new directory;
5. the colours the platform stored (``point_day_score``, what the UI and the warning list show) scored
   at point-day level as in ``bench detect`` (``detect_metrics.label_days``); ``labels.csv`` in the
   working directory (``--work``) lists every label, found or not, with its days' colours and rules.

A point-day is positive when a label covers at least an hour of it, clean when no label touches it.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa
import typer
import yaml

from ecosentinel.bench.detect import DEFAULT_DATA, parse_backgrounds
from ecosentinel.bench.detect_backgrounds import Background, Track, load_background
from ecosentinel.bench.detect_inject import INJECTORS, place, why_not
from ecosentinel.bench.detect_metrics import label_days
from ecosentinel.bench.detect_real import frame_of
from ecosentinel.bench.report import write_section
from ecosentinel.detection.context import PointType
from ecosentinel.readings import CST
from ecosentinel.simulator.models import Label
from ecosentinel.simulator.profiles import credit_code

HOURLY = ("epa-cems", "cn-effluent", "tilburg-wwtp", "dk-wwtp-inflow", "beijing-aq")
MINUTE = ("epa-cems-minute", "tilburg-wwtp-minute")
DEFAULT_BACKGROUNDS = ",".join(HOURLY + MINUTE)
HISTORY_DAYS = 7
"""Days of the point's own data before the first injection (``place`` needs a week)."""


@dataclass
class Case:
    """One monitoring point of the corpus: its (injected) track, MN and labels."""

    background: str
    mn: str
    track: Track
    labels: list[Label]
    days: list[dt.date]
    series: str = ""
    """The background's own name of the series (e.g. the EPA unit)."""


@dataclass
class BackgroundScore:
    """Point-day results of one background through the product path."""

    name: str
    points: int = 0
    point_days: int = 0
    clean_days: int = 0
    clean_flagged: int = 0
    clean_red: int = 0
    clean_spill: int = 0
    """Clean days coloured only by findings that also overlap a label (its evidence reaching over)."""
    red_true: int = 0
    red_all: int = 0
    labels: Counter[str] = field(default_factory=Counter)
    detected: Counter[str] = field(default_factory=Counter)
    clean_rules: Counter[str] = field(default_factory=Counter)

    @property
    def clean_rate(self) -> float:
        return self.clean_flagged / self.clean_days if self.clean_days else 0.0


def _densest(tr: Track, first: int, n_days: int) -> int:
    """Start (a CST midnight, in weeks from ``first``) of the ``n_days`` with the most values of the
    point's main channel: a series with long outages (cn-effluent) is taken where it has data."""
    per_day = 24 * tr.per_hour
    present = np.isfinite(tr.values[tr.target or next(iter(tr.values))]).astype(np.int64)
    csum = np.concatenate(([0], np.cumsum(present)))
    span = n_days * per_day
    starts = range(first, tr.n - span + 1, 7 * per_day)
    return max(starts, key=lambda i: int(csum[i + span] - csum[i]), default=first)


def build_cases(
    bg: Background,
    *,
    points: int,
    days: int,
    spacing: int,
    rng: np.random.Generator,
    prefix: str,
    with_zs: bool = False,
) -> list[Case]:
    """The background's first ``points`` tracks, cut to ``days`` CST days, with injections every ``spacing``
    days (default severity). Without ``with_zs`` the files carry no converted value, so ``zs_mismatch``
    (which alters only that value) is not injected: it would leave the imported data unchanged."""
    cases = []
    for k, full in enumerate(bg.tracks[:points]):
        per_day = 24 * full.per_hour
        a = full.first_midnight
        n_days = min(days, (full.n - a) // per_day)
        a = _densest(full, a, n_days)
        if n_days < HISTORY_DAYS + spacing:
            continue
        mn = f"{prefix}{k + 1:012d}"
        tr = full.slice(a, a + n_days * per_day, mn)
        fitting = [s for s in INJECTORS if why_not(tr, s) is None and (with_zs or s != "zs_mismatch")]
        order = list(rng.permutation(fitting))
        labels: list[Label] = []
        slot = HISTORY_DAYS
        turn = 0
        while slot + spacing <= n_days and order:
            lo, hi = (slot - HISTORY_DAYS) * per_day, (slot + spacing) * per_day
            for attempt in range(len(order)):
                sid = str(order[(turn + attempt) % len(order)])
                window = tr.slice(lo, hi, f"{mn}-slot")
                i_rel = place(window, sid, rng)
                if i_rel is None:
                    continue
                codes, i0, i1 = INJECTORS[sid](tr, lo + i_rel, 1.0, rng)
                labels.append(Label(mn, sid, tr.time_at(i0), tr.time_at(i1), tuple(codes), 1.0))
                turn += attempt + 1
                break
            slot += spacing
        first = tr.start.astimezone(CST).date()
        days_of = [first + dt.timedelta(days=d) for d in range(n_days)]
        cases.append(Case(bg.name, mn, tr, labels, days_of, full.name))
    return cases


_POINT_NAMES = {PointType.WATER: "废水总排口", PointType.GAS: "废气排放口"}


def registry_of(cases: list[Case]) -> dict[str, object]:
    """The registry YAML document (docs/registry-format.md): one enterprise per background."""
    enterprises: list[dict[str, object]] = []
    by_bg: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_bg[c.background].append(c)
    for j, (name, group) in enumerate(sorted(by_bg.items())):
        pts = []
        for c in group:
            tr = c.track
            point: dict[str, object] = {
                "mn": c.mn,
                "pw": "123456",
                "name": f"{_POINT_NAMES[tr.point_type]}（{c.series}）",
                "type": tr.point_type.value,
            }
            if tr.ref_o2 is not None:
                point["ref_o2"] = tr.ref_o2
            factors = []
            for code, spec in tr.factors.items():
                entry: dict[str, object] = {"code": code}
                if spec.limit is not None:
                    entry["limit"] = spec.limit
                if spec.limit_low is not None:
                    entry["limit_low"] = spec.limit_low
                if spec.range_high is not None:
                    entry["range"] = spec.range_high
                factors.append(entry)
            point["factors"] = factors
            pts.append(point)
        enterprises.append(
            {
                "name": f"基准测试企业{j + 1}（{name}）",
                "credit_code": credit_code(f"91330400MA2B{j:05d}"),
                "industry": "基准测试",
                "points": pts,
            }
        )
    return {"enterprises": enterprises}


def readings_of(cases: list[Case], *, with_zs: bool) -> pl.DataFrame:
    """Every case's readings in the import CSV's columns (times in CST, ISO 8601)."""
    parts = []
    for c in cases:
        f = frame_of(c.track, c.mn).filter(pl.col("value").is_not_null() | (pl.col("flag") != "N"))
        cols = [
            "mn",
            pl.col("time").dt.convert_time_zone("Asia/Shanghai").alias("time"),
            "kind",
            "code",
            pl.col("value").fill_nan(None),
            "flag",
        ]
        if with_zs:
            cols.append(pl.col("zs").fill_nan(None))
        parts.append(f.select(cols))
    return pl.concat(parts)


def _cli(data_dir: Path, *args: str) -> str:
    env = {**os.environ, "ECOSENTINEL_DATA_DIR": str(data_dir)}
    env.pop("ECOSENTINEL_DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "ecosentinel", *args], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"ecosentinel {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done.stdout


def screen_months(data_dir: Path, cases: list[Case]) -> None:
    """``ecosentinel screen`` once over the cases' months (first to last reading), their points only."""
    first = min(c.track.start for c in cases)
    last = max(c.track.time_at(c.track.n) for c in cases)
    _cli(
        data_dir,
        "screen",
        "--from",
        first.astimezone(CST).strftime("%Y-%m-%dT%H:%M:%S"),
        "--to",
        last.astimezone(CST).strftime("%Y-%m-%dT%H:%M:%S"),
        "--points",
        ",".join(c.mn for c in cases),
        "--format",
        "jsonl",
    )


Stored = dict[tuple[str, dt.date], tuple[str, list[str]]]
"""(mn, CST day) -> (colour, rules) of the platform's point-day scores."""
Spans = dict[str, list[tuple[dt.datetime, dt.datetime]]]
"""mn -> the windows of its stored findings (UTC)."""


def _rows(data_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    """The rows of one query on the data directory's embedded database."""
    engine = sa.create_engine(f"sqlite:///{data_dir / 'ecosentinel.db'}")
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql)).all()]
    finally:
        engine.dispose()


def colours(data_dir: Path) -> Stored:
    """(mn, CST day) -> (colour, rules) as the platform stored them."""
    out: Stored = {}
    for mn, day, colour, rules in _rows(data_dir, "SELECT mn, day, colour, rules FROM point_day_score"):
        d = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
        out[(str(mn), d)] = (str(colour), list(yaml.safe_load(rules) if isinstance(rules, str) else rules))
    return out


def finding_spans(data_dir: Path) -> Spans:
    """Every stored finding's window, per point."""
    out: Spans = defaultdict(list)
    for mn, start, end in _rows(data_dir, 'SELECT mn, start, "end" FROM screening_finding'):
        out[str(mn)].append((_utc(start), _utc(end)))
    return out


def _utc(value: object) -> dt.datetime:
    t = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


def _day_span(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    a = dt.datetime.combine(day, dt.time(0), tzinfo=CST)
    return a, a + dt.timedelta(days=1)


def score_cases(cases: list[Case], stored: Stored, spans: Spans) -> BackgroundScore:
    """Point-day scores of one background. A clean day made yellow or red only by findings that also
    overlap a label (a run that began an hour before the injected one because the value then happened to
    equal the frozen one) is counted apart (``clean_spill``), not as a false alarm on a clean day."""
    s = BackgroundScore(cases[0].background if cases else "")
    for c in cases:
        s.points += 1
        s.point_days += len(c.days)
        positive: set[dt.date] = set()
        touched: set[dt.date] = set()
        for lab in c.labels:
            pos, amb = label_days(lab)
            positive |= pos
            touched |= pos | amb
            s.labels[lab.scenario] += 1
            if any(stored.get((c.mn, d), ("green", []))[0] != "green" for d in pos):
                s.detected[lab.scenario] += 1
        for d in c.days:
            colour, rules = stored.get((c.mn, d), ("green", []))
            if d in touched:
                s.red_all += colour == "red" and d in positive
                s.red_true += colour == "red" and d in positive
                continue
            s.clean_days += 1
            if colour == "green":
                continue
            a, b = _day_span(d)
            on_day = [(x, y) for x, y in spans.get(c.mn, []) if x < b and y > a]
            if on_day and all(any(x < lab.end and y > lab.start for lab in c.labels) for x, y in on_day):
                s.clean_spill += 1
                continue
            s.clean_flagged += 1
            s.clean_red += colour == "red"
            s.red_all += colour == "red"
            s.clean_rules.update(rules)
    return s


def label_rows(cases: list[Case], stored: Stored) -> pl.DataFrame:
    """One row per label: where it was injected, whether a positive day of it was yellow or red, and the
    colours and rules of those days (``labels.csv`` in the working directory, for reading the misses)."""
    rows: list[dict[str, Any]] = []
    for c in cases:
        for lab in c.labels:
            pos, _ = label_days(lab)
            days = [(d, *stored.get((c.mn, d), ("green", []))) for d in sorted(pos)]
            rows.append(
                {
                    "background": c.background,
                    "mn": c.mn,
                    "series": c.series,
                    "scenario": lab.scenario,
                    "start": lab.start.astimezone(CST).isoformat(),
                    "end": lab.end.astimezone(CST).isoformat(),
                    "codes": ",".join(lab.codes),
                    "found": any(colour != "green" for _, colour, _ in days),
                    "days": "; ".join(f"{d} {colour} {'+'.join(rules) or '-'}" for d, colour, rules in days),
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "background": pl.Utf8,
            "mn": pl.Utf8,
            "series": pl.Utf8,
            "scenario": pl.Utf8,
            "start": pl.Utf8,
            "end": pl.Utf8,
            "codes": pl.Utf8,
            "found": pl.Boolean,
            "days": pl.Utf8,
        },
    )


@dataclass
class ImportRun:
    scores: list[BackgroundScore]
    readings: int
    seconds: dict[str, float]
    command: str
    start: dt.datetime


def run(
    data: Path,
    backgrounds: list[str],
    *,
    points: int,
    days: int,
    spacing: int,
    seed: int,
    with_zs: bool,
    work: Path,
) -> ImportRun:
    """Build the corpus, write the files, run the three commands, score."""
    t_start = dt.datetime.now(dt.UTC)
    rng = np.random.default_rng(seed)
    cases: list[Case] = []
    for k, name in enumerate(backgrounds):
        bg = load_background(name, data, seed)
        cases += build_cases(
            bg, points=points, days=days, spacing=spacing, rng=rng, prefix=f"B{k % 10}", with_zs=with_zs
        )
    work.mkdir(parents=True, exist_ok=True)
    with (work / "registry.yaml").open("w", encoding="utf-8") as fh:
        yaml.safe_dump(registry_of(cases), fh, allow_unicode=True, sort_keys=False)
    readings = readings_of(cases, with_zs=with_zs)
    readings.write_csv(work / "readings.csv", datetime_format="%Y-%m-%dT%H:%M:%S%:z")
    data_dir = work / "data"
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    _cli(data_dir, "import", "registry", str(work / "registry.yaml"))
    seconds["import registry"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    _cli(data_dir, "import", "readings", str(work / "readings.csv"))
    seconds["import readings"] = time.perf_counter() - t0
    by_bg: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_bg[c.background].append(c)
    t0 = time.perf_counter()
    for group in by_bg.values():  # each background over its own months, as a bureau screens its period
        screen_months(data_dir, group)
    seconds["screen"] = time.perf_counter() - t0
    stored, spans = colours(data_dir), finding_spans(data_dir)
    scores = [score_cases(by_bg[name], stored, spans) for name in backgrounds if by_bg.get(name)]
    label_rows(cases, stored).write_csv(work / "labels.csv")
    command = (
        f"ecosentinel bench detect-import --backgrounds {','.join(backgrounds)} --points {points} "
        f"--days {days} --spacing {spacing} --seed {seed}" + (" --with-zs" if with_zs else "")
    )
    return ImportRun(scores, readings.height, seconds, command, t_start)


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.2f} %)" if b else "—"


def report(result: ImportRun) -> str:
    """The markdown section for docs/benchmarks.md."""
    scenarios = sorted({s for sc in result.scores for s in sc.labels})
    lines = [
        "## Detection through the product path (`bench detect-import`)",
        "",
        f"Command: `{result.command}`  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}  ",
        f"Run: {result.start:%Y-%m-%d %H:%M} UTC; {result.readings:,} CSV rows; "
        + ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items()),
        "",
        "What a new user does (module docstring of `ecosentinel.bench.detect_import`): the real series "
        "with one falsification at default severity every few days, written as `registry.yaml` and "
        "`readings.csv` in the documented formats, imported into a fresh data directory with "
        "`ecosentinel import registry` and `ecosentinel import readings`, screened in one run with "
        "`ecosentinel screen --from … --to … --points …` over each background's months (each month "
        "calibrated on the point's own data, falsified days included), and the day colours read back "
        "from the platform's `point_day_score`. Clean = no label touches the day; red precision = red "
        "point-days on falsified days / red point-days on falsified or clean days. A clean day "
        "coloured only by findings that also overlap a label (a frozen run that began an hour before "
        "the injected freeze because the value then happened to equal it) is counted in the last "
        "column, not as a false alarm.",
        "",
        "| background | points | point-days | clean point-days yellow or red | of them red | red precision "
        "| rules on the clean yellow/red days | clean days coloured by a label's own finding |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for s in result.scores:
        prec = f"{s.red_true / s.red_all:.2f} ({s.red_true}/{s.red_all})" if s.red_all else "—"
        rules = ", ".join(f"{r} {n}" for r, n in s.clean_rules.most_common(5)) or "—"
        lines.append(
            f"| {s.name} | {s.points} | {s.point_days} | {_pct(s.clean_flagged, s.clean_days)} | "
            f"{s.clean_red} | {prec} | {rules} | {s.clean_spill} |"
        )
    lines += ["", "Labels found (a positive day yellow or red) / labels:", ""]
    lines.append("| background | " + " | ".join(scenarios) + " |")
    lines.append("|---|" + "---:|" * len(scenarios))
    for s in result.scores:
        cells = [f"{s.detected[x]}/{s.labels[x]}" if s.labels[x] else "—" for x in scenarios]
        lines.append(f"| {s.name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def data_folder(data: str) -> Path:
    """The ``--data`` folder of the real series; a missing one exits 2 in one line."""
    folder = Path(data)
    if not folder.is_dir():
        typer.echo(f"错误：数据目录 {data} 不存在", err=True)
        raise typer.Exit(2)
    return folder


def register(bench_app: typer.Typer) -> None:
    """Add ``bench detect-import`` to ``ecosentinel bench``."""

    @bench_app.command("detect-import")
    def detect_import_command(
        data: str = typer.Option(str(DEFAULT_DATA), help="The shared data folder (read only)."),
        backgrounds: str = typer.Option(DEFAULT_BACKGROUNDS, help="Comma-separated backgrounds."),
        points: int = typer.Option(8, help="At most this many points per background."),
        days: int = typer.Option(182, help="CST days per point (six months; shorter series keep theirs)."),
        spacing: int = typer.Option(10, help="Days between two injections on a point."),
        seed: int = typer.Option(300, help="Placement and injection seed."),
        with_zs: bool = typer.Option(False, "--with-zs", help="Write the O2-converted values into the CSV."),
        work: Path | None = typer.Option(None, help="Working directory (default: a new temporary one)."),  # noqa: B008
        write_docs: bool = typer.Option(True, help="Write the section of docs/benchmarks.md."),
    ) -> None:
        """Accuracy through import and screen, as a user runs them (导入并筛查的准确率)."""
        names = list(parse_backgrounds(backgrounds))
        folder = data_folder(data)
        with tempfile.TemporaryDirectory(prefix="detect-import-") as tmp:
            result = run(
                folder,
                names,
                points=points,
                days=days,
                spacing=spacing,
                seed=seed,
                with_zs=with_zs,
                work=work or Path(tmp),
            )
        text = report(result)
        typer.echo(text)
        if write_docs:
            write_section("detect-import", text)


__all__ = [
    "BackgroundScore",
    "Case",
    "build_cases",
    "data_folder",
    "label_rows",
    "register",
    "report",
    "run",
    "screen_months",
]
