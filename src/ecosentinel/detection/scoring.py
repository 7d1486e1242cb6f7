"""Findings → scores per point-day and enterprise-day → green / yellow / red warnings (seed 004).

Weight of one finding: ``rule weight × severity weight × finding score × maintenance multiplier``,
capped at 1. The maintenance multiplier is 1 outside declared maintenance windows; inside one it is
``maintenance_with_record`` (0.5) when an O&M record overlaps the finding and
``maintenance_without_record`` (1.5) when none does (a declared window with no work done is a cover).
A finding counts on every China-Standard-Time day its window touches.

Point-day score: ``1 − Π(1 − wᵢ)`` over the day's findings (independent evidence accumulates, one
strong finding is enough). Enterprise-day score: the same combination over its point-day scores.
Colours: red at ``red_at`` (0.7) or above, yellow at ``yellow_at`` (0.3) or above, else green.
Only point-days with findings are returned; every other point-day is green.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.config import ScoringConfig, ScreeningConfig
from ecosentinel.detection.context import PointContext
from ecosentinel.detection.findings import Finding
from ecosentinel.readings import CST

MAX_DAYS_PER_FINDING = 31
"""A finding spanning longer (a month-long pattern) counts on its last 31 days only."""


class Colour(StrEnum):
    """Warning colour (预警等级, seed 004: 绿、黄、红)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True, slots=True)
class PointDayWarning:
    """The warning of one point on one day, with the findings behind it and their weights."""

    mn: str
    enterprise_id: str | None
    day: dt.date
    colour: Colour
    score: float
    findings: tuple[Finding, ...]
    weights: tuple[float, ...]

    @property
    def summary_zh(self) -> str:
        rules = "、".join(sorted({f.rule for f in self.findings}))
        return messages.POINT_DAY_SUMMARY.format(
            day=self.day.isoformat(),
            mn=self.mn,
            colour=messages.colour_name(self.colour.value),
            score=f"{self.score:.2f}",
            rules=rules,
        )


def colour_of(score: float, scoring: ScoringConfig) -> Colour:
    if score >= scoring.red_at:
        return Colour.RED
    if score >= scoring.yellow_at:
        return Colour.YELLOW
    return Colour.GREEN


def finding_weight(finding: Finding, context: PointContext | None, scoring: ScoringConfig) -> float:
    """The finding's contribution (0-1) to its point-day score."""
    rule_w = scoring.rule_weights.get(
        finding.rule, scoring.rule_weights.get(finding.rule.split("_", 1)[0], scoring.default_rule_weight)
    )
    w = rule_w * scoring.severity_weights.get(finding.severity, 1.0) * finding.score
    if context is not None and context.in_maintenance_window(finding.start, finding.end):
        has_record = context.om_overlapping(finding.start, finding.end, dt.timedelta(0)).height > 0
        w *= scoring.maintenance_with_record if has_record else scoring.maintenance_without_record
    return max(0.0, min(1.0, w))


def _days(f: Finding) -> list[dt.date]:
    first = f.start.astimezone(CST).date()
    end = f.end - dt.timedelta(microseconds=1) if f.end > f.start else f.end
    last = end.astimezone(CST).date()
    n = (last - first).days + 1
    return [last - dt.timedelta(days=i) for i in range(min(n, MAX_DAYS_PER_FINDING))][::-1]


def _combine(weights: Iterable[float]) -> float:
    keep = 1.0
    for w in weights:
        keep *= 1.0 - w
    return 1.0 - keep


def _by_mn(contexts: Iterable[PointContext] | Mapping[str, PointContext]) -> dict[str, PointContext]:
    if isinstance(contexts, Mapping):
        return dict(contexts)
    return {c.mn: c for c in contexts}


def point_day_warnings(
    findings: Iterable[Finding],
    contexts: Iterable[PointContext] | Mapping[str, PointContext],
    config: ScreeningConfig | None = None,
) -> list[PointDayWarning]:
    """One warning per point-day that has findings, sorted by day then point."""
    scoring = (config or ScreeningConfig()).scoring
    ctx = _by_mn(contexts)
    groups: dict[tuple[str, dt.date], list[tuple[Finding, float]]] = defaultdict(list)
    for f in findings:
        w = finding_weight(f, ctx.get(f.mn), scoring)
        for day in _days(f):
            groups[(f.mn, day)].append((f, w))
    out = []
    for (mn, day), items in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        items.sort(key=lambda fw: -fw[1])
        score = _combine(w for _, w in items)
        context = ctx.get(mn)
        out.append(
            PointDayWarning(
                mn=mn,
                enterprise_id=context.enterprise_id if context else None,
                day=day,
                colour=colour_of(score, scoring),
                score=round(score, 4),
                findings=tuple(f for f, _ in items),
                weights=tuple(round(w, 4) for _, w in items),
            )
        )
    return out


SCORE_SCHEMA: dict[str, pl.DataType] = {
    "level": pl.Utf8(),
    "day": pl.Date(),
    "enterprise_id": pl.Utf8(),
    "mn": pl.Utf8(),
    "score": pl.Float64(),
    "colour": pl.Utf8(),
    "n_findings": pl.Int64(),
    "rules": pl.List(pl.Utf8()),
    "finding_ids": pl.List(pl.Utf8()),
}
"""Columns of ``score_days``: level is ``point`` or ``enterprise`` (then ``mn`` is null)."""


def score_days(
    findings: Iterable[Finding],
    contexts: Iterable[PointContext] | Mapping[str, PointContext],
    config: ScreeningConfig | None = None,
) -> pl.DataFrame:
    """Scores and colours per point-day and per enterprise-day (SCORE_SCHEMA)."""
    scoring = (config or ScreeningConfig()).scoring
    warnings = point_day_warnings(findings, contexts, config)
    rows: list[dict[str, object]] = []
    by_enterprise: dict[tuple[str, dt.date], list[PointDayWarning]] = defaultdict(list)
    for w in warnings:
        rows.append(
            {
                "level": "point",
                "day": w.day,
                "enterprise_id": w.enterprise_id,
                "mn": w.mn,
                "score": w.score,
                "colour": w.colour.value,
                "n_findings": len(w.findings),
                "rules": sorted({f.rule for f in w.findings}),
                "finding_ids": [f.id for f in w.findings],
            }
        )
        if w.enterprise_id is not None:
            by_enterprise[(w.enterprise_id, w.day)].append(w)
    for (enterprise, day), ws in sorted(by_enterprise.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        score = _combine(w.score for w in ws)
        rows.append(
            {
                "level": "enterprise",
                "day": day,
                "enterprise_id": enterprise,
                "mn": None,
                "score": round(score, 4),
                "colour": colour_of(score, scoring).value,
                "n_findings": sum(len(w.findings) for w in ws),
                "rules": sorted({f.rule for w in ws for f in w.findings}),
                "finding_ids": [f.id for w in ws for f in w.findings],
            }
        )
    return pl.DataFrame(rows, schema=SCORE_SCHEMA)
