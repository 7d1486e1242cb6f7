"""The golden corpus: today's findings on a fixed simulated corpus, frozen so a rewrite can prove it
changes nothing (issue 10: vectorised rules must reproduce them).

The corpus is rebuilt from seeds inside the repository, nothing is read from outside it:

* every scenario of the simulator's catalogue at the default and the low severity, one station of
  each fitting type per scenario (``detect_corpus.plan``, the accuracy benchmark's own corpus at a
  small size), plus one clean wastewater and one clean flue-gas station;
* one calibrated batch: a clean wastewater and flue-gas station simulated for 20 days, profiled on
  their first 14 days (``calibration.build_profile``, as the screening service does) and screened on
  the last 6 with a replayed day and flag abuse injected there, so the calibrated paths of the rules
  run too.

A second, smaller set screens the real public backgrounds (read from ``/work/shared/data`` at run time,
never copied): the first two segments of every track of every background untouched, and one injection
of every applicable scenario at the default severity (``detect_real``). Its records keep no data
values: the evidence and the explanation are kept as a SHA-256 digest (``real_record``), so the
repository holds no excerpt of those series.

Each finding becomes one JSON record (``record``): point, rule, factors, window, severity, score,
the evidence (floats to ``SIGNIFICANT`` significant digits, so last-bit float noise between machines
does not count) and the Chinese explanation. The test ``tests/detection/test_golden.py`` screens the
corpus again and compares; ``python -m ecosentinel.bench.golden tests/detection/golden`` (or the test with
``ECOSENTINEL_UPDATE_GOLDEN=1``) rewrites the files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import polars as pl

from ecosentinel.bench.detect_backgrounds import LOADERS, load_background
from ecosentinel.bench.detect_corpus import Batch, contexts, plan, point_runs, run_batch
from ecosentinel.bench.detect_inject import INJECTORS
from ecosentinel.bench.detect_real import clean_runs, injected_runs
from ecosentinel.detection.calibration import build_profile, with_profile
from ecosentinel.detection.engine import screen_point
from ecosentinel.detection.findings import Finding
from ecosentinel.simulator import SimulationConfig, simulate
from ecosentinel.simulator.models import ScenarioSpec
from ecosentinel.simulator.scenarios import CATALOGUE

SEED = 500
DAYS = 6.0
SEVERITIES = ("default", "low")
SIGNIFICANT = 6
CALIBRATED_DAYS = 20.0
REAL_DATA = Path("/work/shared/data")
REAL_SEGMENTS = 2
HISTORY_DAYS = 14


def _rounded(x: Any) -> Any:
    """Floats to ``SIGNIFICANT`` significant digits, recursively (ints, strings, None unchanged)."""
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)  # NaN never equals itself: compare its text
        if x == 0.0:
            return 0.0
        return float(f"{x:.{SIGNIFICANT}g}")
    if isinstance(x, dict):
        return {str(k): _rounded(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_rounded(v) for v in x]
    return x


def record(batch: str, finding: Finding) -> dict[str, Any]:
    """The frozen form of one finding."""
    return {
        "batch": batch,
        "mn": finding.mn,
        "rule": finding.rule,
        "factors": list(finding.factors),
        "start": finding.start.isoformat(),
        "end": finding.end.isoformat(),
        "severity": finding.severity.value,
        "score": round(finding.score, 4),
        "evidence": _rounded(finding.evidence),
        "explanation_zh": finding.explanation_zh,
    }


def real_record(batch: str, finding: Finding) -> dict[str, Any]:
    """The frozen form of a finding on real data: evidence and explanation only as a digest."""
    full = record(batch, finding)
    digest = hashlib.sha256(
        json.dumps([full["evidence"], full["explanation_zh"]], ensure_ascii=False, sort_keys=True).encode()
    ).hexdigest()
    kept = {k: v for k, v in full.items() if k not in ("evidence", "explanation_zh")}
    return {**kept, "evidence": {"kind": full["evidence"].get("kind"), "sha256": digest}}


def _batches() -> list[Batch]:
    return plan(
        scenarios=list(CATALOGUE),
        severities=list(SEVERITIES),
        days=DAYS,
        per_type=1,
        clean_water=1,
        clean_gas=1,
        seed=SEED,
    )


def _plain() -> Iterator[tuple[str, list[Finding]]]:
    for batch in _batches():
        result = run_batch(batch)
        for run in sorted(point_runs(batch, result), key=lambda r: r.context.mn):
            yield batch.name, screen_point(run.frame, run.context)


def _calibrated() -> Iterator[tuple[str, list[Finding]]]:
    offset = dt.timedelta(days=HISTORY_DAYS)
    specs = [
        ScenarioSpec("replay", station=0, start_offset=offset + dt.timedelta(days=3)),
        ScenarioSpec("flag_abuse", station=1, start_offset=offset + dt.timedelta(days=2, hours=2)),
    ]
    config = SimulationConfig(seed=SEED + 99, days=CALIBRATED_DAYS, water=1, gas=1, scenarios=specs)
    result = simulate(config)
    cut = (config.start + offset).astimezone(dt.UTC)
    history = result.readings.filter(pl.col("time") < cut)
    window = result.readings.filter(pl.col("time") >= cut)
    for mn, context in sorted(contexts(result).items()):
        profile = build_profile(history.filter(pl.col("mn") == mn), context)
        calibrated = with_profile(context, replace(profile, mn=mn))
        yield "calibrated", screen_point(window.filter(pl.col("mn") == mn), calibrated)


def corpus_records() -> list[dict[str, Any]]:
    """Screen the golden corpus: one record per finding, in a stable order."""
    out: list[dict[str, Any]] = []
    for name, findings in (*_plain(), *_calibrated()):
        out.extend(record(name, f) for f in findings)
    return out


def real_corpus_records(data: Path = REAL_DATA) -> list[dict[str, Any]]:
    """Screen the real-background golden set (``data`` must hold the public series)."""
    out: list[dict[str, Any]] = []
    for name in LOADERS:
        bg = load_background(name, data, seed=0)
        runs = [
            *clean_runs(bg, REAL_SEGMENTS),
            *injected_runs(
                bg,
                seed=SEED,
                severities=["default"],
                scenarios=list(INJECTORS),
                per_combo=1,
                max_segments=REAL_SEGMENTS,
            ),
        ]
        for run in runs:
            out.extend(real_record(run.batch, f) for f in screen_point(run.frame, run.context))
    return out


def dumps(records: list[dict[str, Any]]) -> str:
    """One JSON object per line, keys sorted, Chinese kept readable."""
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)


def write(folder: Path) -> list[str]:
    """Regenerate the golden files in ``folder`` (the real set only when the public series are there)."""
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    records = corpus_records()
    (folder / "findings.jsonl").write_text(dumps(records), encoding="utf-8")
    done.append(f"{len(records)} findings -> {folder / 'findings.jsonl'}")
    if REAL_DATA.is_dir():
        real = real_corpus_records()
        (folder / "findings_real.jsonl").write_text(dumps(real), encoding="utf-8")
        done.append(f"{len(real)} findings -> {folder / 'findings_real.jsonl'}")
    return done


if __name__ == "__main__":  # python -m ecosentinel.bench.golden tests/detection/golden
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/detection/golden")
    sys.stdout.write("\n".join(write(target)) + "\n")
