"""Golden corpus: the rules' findings on a fixed corpus must not change by accident.

The corpus and the record format are in ``ecosentinel.bench.golden``; the frozen findings are in
``tests/detection/golden/findings.jsonl`` (simulated, rebuilt from seeds in the repository: the
primary set) and ``findings_real.jsonl`` (the real public backgrounds of /work/shared/data, evidence
kept as a digest; skipped when that folder is absent). When a rule changes on purpose, regenerate
both in the same commit and say why in the commit message:

    ECOSENTINEL_UPDATE_GOLDEN=1 pytest tests/detection/test_golden.py
    # or: python -m ecosentinel.bench.golden tests/detection/golden

then read ``git diff tests/detection/golden/`` before committing: every changed line is a finding
that changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ecosentinel.bench.golden import REAL_DATA, corpus_records, dumps, real_corpus_records

GOLDEN = Path(__file__).parent / "golden" / "findings.jsonl"
GOLDEN_REAL = Path(__file__).parent / "golden" / "findings_real.jsonl"
SHOWN = 15


def _key(r: dict[str, Any]) -> tuple[str, ...]:
    return (
        r["batch"],
        r["mn"],
        r["rule"],
        ",".join(r["factors"]),
        r["start"],
        r["end"],
        str(r["evidence"].get("kind")),
    )


def _changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    out = []
    for field in sorted(set(old) | set(new)):
        if field == "evidence":
            ev_old, ev_new = old.get(field, {}), new.get(field, {})
            for name in sorted(set(ev_old) | set(ev_new)):
                if ev_old.get(name) != ev_new.get(name):
                    out.append(f"    evidence.{name}: {ev_old.get(name)!r} -> {ev_new.get(name)!r}")
        elif old.get(field) != new.get(field):
            out.append(f"    {field}: {old.get(field)!r} -> {new.get(field)!r}")
    return out


def golden_diff(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> list[str]:
    """Readable differences: findings gone, new findings, and field by field what changed."""
    old = {_key(r): r for r in expected}
    new = {_key(r): r for r in actual}
    lines: list[str] = []
    gone = [k for k in old if k not in new]
    added = [k for k in new if k not in old]
    changed = [k for k in old if k in new and old[k] != new[k]]
    for title, keys in (("gone", gone), ("new", added), ("changed", changed)):
        if not keys:
            continue
        lines.append(f"{len(keys)} finding(s) {title}:")
        for k in keys[:SHOWN]:
            lines.append("  " + " | ".join(k))
            if title == "changed":
                lines.extend(_changes(old[k], new[k]))
        if len(keys) > SHOWN:
            lines.append(f"  ... and {len(keys) - SHOWN} more")
    if not lines and [_key(r) for r in expected] != [_key(r) for r in actual]:
        lines.append("same findings in a different order")
    return lines


def test_golden_diff_names_what_changed() -> None:
    a = {
        "batch": "b",
        "mn": "M",
        "rule": "R17",
        "factors": ["w01018"],
        "start": "s",
        "end": "e",
        "severity": "high",
        "score": 0.9,
        "evidence": {"kind": "identical", "corr": 1.0},
        "explanation_zh": "x",
    }
    b = {**a, "score": 0.6, "evidence": {"kind": "identical", "corr": 0.99}}
    c = {**a, "rule": "R16"}
    lines = golden_diff([a, c], [b])
    assert "1 finding(s) gone:" in lines
    assert "    score: 0.9 -> 0.6" in lines
    assert "    evidence.corr: 1.0 -> 0.99" in lines
    assert golden_diff([a], [a]) == []


def _check(path: Path, records: list[dict[str, Any]]) -> None:
    text = dumps(records)
    actual = [json.loads(line) for line in text.splitlines()]
    if os.environ.get("ECOSENTINEL_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        pytest.skip(f"golden file rewritten: {len(actual)} findings -> {path.name}")
    expected = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    diff = golden_diff(expected, actual)
    assert not diff, f"findings differ from the golden corpus ({path.name}):\n" + "\n".join(diff)


@pytest.mark.timeout(240)
def test_findings_match_the_golden_corpus() -> None:
    _check(GOLDEN, corpus_records())


@pytest.mark.timeout(240)
@pytest.mark.skipif(not REAL_DATA.is_dir(), reason=f"real public series absent: {REAL_DATA} not found")
def test_findings_match_the_golden_corpus_on_real_backgrounds() -> None:
    _check(GOLDEN_REAL, real_corpus_records())
