"""Builders for screening test frames: readable series in, READING_SCHEMA frames out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypedDict

import polars as pl

from ecosentinel.detection import PointContext, ScreeningConfig, screen_point
from ecosentinel.detection.findings import Finding
from ecosentinel.readings import READING_SCHEMA

T0 = dt.datetime(2024, 3, 1, 0, tzinfo=dt.UTC)
MN = "MN0001"
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def series(
    code: str,
    values: Sequence[float | None],
    *,
    start: dt.datetime = T0,
    step: dt.timedelta = HOUR,
    kind: str = "hour",
    source: str = "platform",
    flags: dict[int, str] | Sequence[str] | None = None,
    zs: Sequence[float | None] | None = None,
    mn: str = MN,
) -> pl.DataFrame:
    """One factor's readings; ``flags`` maps row index to flag (default N) or lists every flag."""
    n = len(values)
    if flags is None:
        flag_list = ["N"] * n
    elif isinstance(flags, dict):
        flag_list = [flags.get(i, "N") for i in range(n)]
    else:
        flag_list = list(flags)
    return pl.DataFrame(
        {
            "mn": [mn] * n,
            "code": [code] * n,
            "kind": [kind] * n,
            "time": [start + i * step for i in range(n)],
            "source": [source] * n,
            "value": list(values),
            "vmin": [None] * n,
            "vmax": [None] * n,
            "cou": [None] * n,
            "zs": list(zs) if zs is not None else [None] * n,
            "flag": flag_list,
        },
        schema=READING_SCHEMA,
    )


def points(
    code: str,
    rows: Sequence[tuple[float, float | None, str]],
    *,
    start: dt.datetime = T0,
    kind: str = "rtd",
    source: str = "analyser",
    mn: str = MN,
) -> pl.DataFrame:
    """Irregular readings: (minutes after ``start``, value, flag) per row, e.g. analyser cycles."""
    n = len(rows)
    return pl.DataFrame(
        {
            "mn": [mn] * n,
            "code": [code] * n,
            "kind": [kind] * n,
            "time": [start + dt.timedelta(minutes=m) for m, _, _ in rows],
            "source": [source] * n,
            "value": [v for _, v, _ in rows],
            "vmin": [None] * n,
            "vmax": [None] * n,
            "cou": [None] * n,
            "zs": [None] * n,
            "flag": [f for _, _, f in rows],
        },
        schema=READING_SCHEMA,
    )


def scaled(values: Sequence[float | None], rows: range | Sequence[int], factor: float) -> list[float | None]:
    """Multiply the given rows by ``factor``."""
    out = list(values)
    for i in rows:
        v = out[i]
        out[i] = None if v is None else v * factor
    return out


def replaced(
    values: Sequence[float | None], rows: range | Sequence[int], value: float | None
) -> list[float | None]:
    out = list(values)
    for i in rows:
        out[i] = value
    return out


def frame(*parts: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(list(parts)) if parts else pl.DataFrame(schema=READING_SCHEMA)


def wavy(n: int, base: float, amp: float, period: int = 7) -> list[float | None]:
    """A deterministic, never-constant series around ``base``."""
    return [base + amp * ((i * 3) % period - period // 2) / period + 0.01 * (i % 11) for i in range(n)]


def flag_rows(flags: dict[int, str], rows: range, flag: str) -> dict[int, str]:
    out = dict(flags)
    for i in rows:
        out[i] = flag
    return out


class Case(TypedDict, total=False):
    """One row of a table-driven rule test (ADTK style)."""

    id: str
    frame: pl.DataFrame
    context: PointContext
    params: dict[str, Any]
    expect: int
    """Number of findings of the rule under test (exact)."""
    variant: str
    """If set, ``expect`` counts only findings of this evidence kind (others may exist)."""
    severity: str
    """If set, every counted finding has this severity."""
    windows: list[tuple[dt.datetime, dt.datetime]]
    """If set, the counted findings' (start, end) windows, in order of start (exact)."""


def run_case(rule: str, case: Case) -> list[Finding]:
    config = ScreeningConfig(rules={rule: case.get("params", {})})
    return [
        f
        for f in screen_point(case["frame"], case["context"], config, rules=[rule])
        if f.rule.startswith(rule)
    ]


def check_case(rule: str, case: Case) -> list[Finding]:
    """Run one case: the count (and, when given, severity and exact windows) must match."""
    found = run_case(rule, case)
    if "variant" in case:
        found = [f for f in found if f.evidence["kind"] == case["variant"]]
    assert len(found) == case["expect"], [f.to_dict() for f in found]
    if "windows" in case:
        got = sorted((f.start, f.end) for f in found)
        assert got == sorted(case["windows"]), [f.to_dict() for f in found]
    for f in found:
        if "severity" in case:
            assert f.severity.value == case["severity"], f.to_dict()
        assert f.explanation_zh.startswith("规则「")
        assert "北京时间" in f.explanation_zh
        assert 0.0 <= f.score <= 1.0
        assert f.start <= f.end
    return found
