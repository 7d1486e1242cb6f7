"""Findings → scores per point-day and enterprise-day → green / yellow / red warnings (seed 004).

Weight of one finding: ``rule weight × severity weight × finding score × maintenance multiplier``,
capped at 1. The maintenance multiplier is 1 outside declared maintenance windows; inside one it is
``maintenance_with_record`` (0.5) when an O&M record overlaps the finding and
``maintenance_without_record`` (1.5) when none does (a declared window with no work done is a cover).
A finding overlapping an approved data mark (数据标记) of its point or one of its factors takes
``marked_period`` (0.5) instead: the bureau reviewed the mark's reason and attachment.
A finding counts on every China-Standard-Time day its window touches.

Point-day score: ``1 − Π(1 − wᵢ)`` over the day's independent findings (independent evidence
accumulates, one strong finding is enough); overlapping findings of one rule on the same factors count
once, with the heaviest weight, and so do all its low-only episodes of the day (a clue repeated is one
clue); the statistical family's low clues pool across its rules (``_independent``). Enterprise-day
score: the same combination over its point-day scores.
Colours: red at ``red_at`` (0.7) or above, yellow at ``yellow_at`` (0.3) or above, else green.
Only point-days with findings are returned; every other point-day is green.

Evidence fusion (``evidence.py``): a point-day is red only when the score reaches ``red_at`` AND
either one finding is standalone (physically grounded, e.g. zero while the production meter runs, a
parameter changed from its filed value, a whole day replayed) or at least two independent evidence
families each weigh ``corroboration_min_weight`` or more. Statistical families (R12, R13) never count
as a corroborating family. Otherwise the point-day is capped at yellow. Every ``PointDayWarning``
names the evidence that set its colour: ``basis`` (machine), ``deciding`` (finding ids),
``families`` and ``basis_zh`` (Chinese, also appended to ``summary_zh``).
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
from ecosentinel.detection.evidence import Family, family_of, is_standalone, short_code, symptom_of
from ecosentinel.detection.findings import Finding, Severity
from ecosentinel.readings import CST

MAX_DAYS_PER_FINDING = 31
"""A finding spanning longer (a month-long pattern) counts on its last 31 days only."""


class Colour(StrEnum):
    """Warning colour (预警等级, seed 004: 绿、黄、红)."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Basis(StrEnum):
    """Which evidence set a point-day's colour (machine field of ``PointDayWarning``)."""

    STANDALONE = "standalone"
    """Red: one physically grounded finding (evidence.STANDALONE)."""
    CORROBORATED = "corroborated"
    """Red: at least two independent, non-statistical evidence families."""
    SINGLE_FAMILY = "single_family"
    """Yellow although the score reached red: the evidence is one family only (capped)."""
    ADJUSTED_CAP = "adjusted_cap"
    """Yellow although the evidence reached red: an approved adjustment caps the deciding rules here."""
    STATISTICAL_ONLY = "statistical_only"
    """Yellow at most: only statistical tests (R12, R13) contributed."""
    ATTENTION = "attention"
    """Yellow: the score reached yellow."""
    BELOW_THRESHOLD = "below_threshold"
    """Green: findings too weak for yellow."""


@dataclass(frozen=True, slots=True)
class PointDayWarning:
    """The warning of one point on one day, with the findings behind it and their weights.

    ``basis`` says which evidence set the colour, ``deciding`` the ids of the findings that did,
    ``families`` each evidence family's combined weight on that day (heaviest first) and
    ``uncapped`` the colour the score alone would give (red when fusion capped it to yellow).
    """

    mn: str
    enterprise_id: str | None
    day: dt.date
    colour: Colour
    score: float
    findings: tuple[Finding, ...]
    weights: tuple[float, ...]
    basis: Basis = Basis.ATTENTION
    deciding: tuple[str, ...] = ()
    families: tuple[tuple[str, float], ...] = ()
    uncapped: Colour | None = None

    @property
    def basis_zh(self) -> str:
        """One Chinese sentence: the evidence that set the colour."""
        ids = set(self.deciding)
        deciding = [f for f in self.findings if f.id in ids] or list(self.findings)
        rules = "、".join(sorted({short_code(f.rule) for f in deciding}))
        fams = [name for name, _ in self.families]
        if self.basis is Basis.CORROBORATED:
            fams = sorted({family_of(f.rule).value for f in deciding}, key=fams.index)
        why = "；".join(sorted({messages.STANDALONE_WHY.get(short_code(f.rule), f.rule) for f in deciding}))
        return messages.basis_text(
            self.basis.value,
            rules=rules,
            why=why,
            n=len(fams),
            families="、".join(messages.family_name(x) for x in fams),
        )

    @property
    def summary_zh(self) -> str:
        rules = "、".join(sorted({f.rule for f in self.findings}))
        head = messages.POINT_DAY_SUMMARY.format(
            day=self.day.isoformat(),
            mn=self.mn,
            colour=messages.colour_name(self.colour.value),
            score=f"{self.score:.2f}",
            rules=rules,
        )
        return head + self.basis_zh


def colour_of(score: float, scoring: ScoringConfig) -> Colour:
    if score >= scoring.red_at:
        return Colour.RED
    if score >= scoring.yellow_at:
        return Colour.YELLOW
    return Colour.GREEN


def enterprise_colour(score: float, point_colours: Iterable[str], scoring: ScoringConfig) -> Colour:
    """An enterprise-day's colour: ``colour_of`` its combined score, but red only when one of its points
    is red or at least two of its points are yellow or red (separate points are independent evidence;
    one point capped at yellow by fusion must not come back as a red enterprise)."""
    colour = colour_of(score, scoring)
    if colour is not Colour.RED or not scoring.fusion:
        return colour
    colours = list(point_colours)
    if Colour.RED.value in colours or sum(c != Colour.GREEN.value for c in colours) >= 2:
        return Colour.RED
    return Colour.YELLOW


def finding_weight(finding: Finding, context: PointContext | None, scoring: ScoringConfig) -> float:
    """The finding's contribution (0-1) to its point-day score."""
    rule_w = scoring.rule_weights.get(
        finding.rule, scoring.rule_weights.get(finding.rule.split("_", 1)[0], scoring.default_rule_weight)
    )
    w = rule_w * scoring.severity_weights.get(finding.severity, 1.0) * finding.score
    if context is not None and context.in_data_mark(finding.start, finding.end, finding.factors):
        # an approved data mark was reviewed by the bureau (reason, attachment): weighed like a window with
        # an O&M record, never up
        w *= scoring.marked_period
    elif context is not None and context.in_maintenance_window(finding.start, finding.end):
        has_record = context.om_overlapping(finding.start, finding.end, dt.timedelta(0)).height > 0
        w *= scoring.maintenance_with_record if has_record else scoring.maintenance_without_record
    return max(0.0, min(1.0, w))


def fuse(
    items: list[tuple[Finding, float]],
    score: float,
    scoring: ScoringConfig,
    capped: frozenset[str] = frozenset(),
) -> tuple[Colour, Basis, tuple[str, ...], tuple[tuple[str, float], ...]]:
    """Colour of one point-day from its weighted findings: (colour, basis, deciding ids, families).

    ``items`` sorted by weight, heaviest first; ``score`` their combination. Findings of ``capped`` rules
    (approved adjustments at this point) still count towards yellow but never make red: they are neither
    standalone nor a corroborating family.
    """
    if capped and colour_of(score, scoring) is Colour.RED:
        free = [(f, w) for f, w in items if f.rule not in capped]
        colour, basis, deciding, families = (
            fuse(free, _combine(w for _, w in free), scoring)
            if free
            else (
                Colour.GREEN,
                Basis.BELOW_THRESHOLD,
                (),
                (),
            )
        )
        if colour is Colour.RED:
            return colour, basis, deciding, families
        _, _, _, all_families = fuse(items, score, scoring)
        return (
            Colour.YELLOW,
            Basis.ADJUSTED_CAP,
            tuple(f.id for f, _ in items if f.rule in capped),
            all_families,
        )
    uncapped = colour_of(score, scoring)
    by_family: dict[str, list[tuple[Finding, float]]] = defaultdict(list)
    for f, w in items:
        by_family[family_of(f.rule, scoring.rule_families).value].append((f, w))
    fam_weight = {name: _combine(w for _, w in fw) for name, fw in by_family.items()}
    families = tuple(sorted(((k, round(v, 4)) for k, v in fam_weight.items()), key=lambda kv: -kv[1]))
    statistical = Family.STATISTICAL.value
    if not scoring.fusion:
        return uncapped, _plain_basis(uncapped, by_family), tuple(f.id for f, _ in items), families
    if set(by_family) == {statistical}:
        colour = min(uncapped, Colour.YELLOW, key=_RANK.__getitem__)
        basis = Basis.STATISTICAL_ONLY if colour is not Colour.GREEN else Basis.BELOW_THRESHOLD
        return colour, basis, tuple(f.id for f, _ in items), families
    if uncapped is Colour.RED:
        grounded = [f for f, w in items if w >= scoring.standalone_min_weight and is_standalone(f)]
        if grounded:
            return Colour.RED, Basis.STANDALONE, tuple(f.id for f in grounded), families
        strong = [
            name
            for name, w in fam_weight.items()
            if name != statistical and w >= scoring.corroboration_min_weight
        ]
        if len(strong) >= 2:
            deciding = tuple(f.id for name in strong for f, _ in by_family[name])
            return Colour.RED, Basis.CORROBORATED, deciding, families
        return Colour.YELLOW, Basis.SINGLE_FAMILY, tuple(f.id for f, _ in items), families
    return uncapped, _plain_basis(uncapped, by_family), tuple(f.id for f, _ in items), families


_RANK = {Colour.GREEN: 0, Colour.YELLOW: 1, Colour.RED: 2}


def _plain_basis(colour: Colour, by_family: Mapping[str, list[tuple[Finding, float]]]) -> Basis:
    if colour is Colour.GREEN:
        return Basis.BELOW_THRESHOLD
    if colour is Colour.RED:
        return Basis.CORROBORATED if len(by_family) >= 2 else Basis.SINGLE_FAMILY
    return Basis.ATTENTION


def cst_days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """The China-Standard-Time days that [start, end) touches (the start's day when end <= start)."""
    first = start.astimezone(CST).date()
    last = (end - dt.timedelta(microseconds=1) if end > start else end).astimezone(CST).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _days(f: Finding) -> list[dt.date]:
    """The days a finding is scored on: the last MAX_DAYS_PER_FINDING of those it touches."""
    return cst_days(f.start, f.end)[-MAX_DAYS_PER_FINDING:]


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
        score = _combine(_independent(items, scoring.rule_families))
        context = ctx.get(mn)
        colour, basis, deciding, families = fuse(
            items, score, scoring, context.yellow_capped_rules if context else frozenset()
        )
        out.append(
            PointDayWarning(
                mn=mn,
                enterprise_id=context.enterprise_id if context else None,
                day=day,
                colour=colour,
                score=round(score, 4),
                findings=tuple(f for f, _ in items),
                weights=tuple(round(w, 4) for _, w in items),
                basis=basis,
                deciding=deciding,
                families=families,
                uncapped=colour_of(score, scoring),
            )
        )
    return out


EPISODE_GAP = dt.timedelta(hours=3)
"""Findings of one rule on the same factors whose windows lie within this of each other are one episode
(R09's outage cluster: gaps within 3 h of each other are one outage)."""


def _independent(items: list[tuple[Finding, float]], families: dict[str, str] | None = None) -> list[float]:
    """The weights that count as independent evidence on one point-day: findings of one rule on the
    same factors whose windows overlap, or lie within ``EPISODE_GAP`` of each other, are one observation
    told twice (two variants about one stuck analyser; one stuck episode cut in two by an hour or two of
    missing data), so such a cluster counts once with its heaviest weight; separate episodes still add
    up. Measured in bench detect: a low R01 identical run and the low narrow band around it made a stuck
    effluent analyser's clean days yellow together; a flow meter stuck for 148 h, 2 h missing, then 44 h
    more made two low findings that added up to yellow.

    Clues do not add up with themselves either: the episodes of one rule on the same factors that hold
    only low findings count once together, with the heaviest weight. A low finding is one the rule
    cannot tell from the point's natural behaviour; the same behaviour seen twice in a day (a diurnal
    ammonium peak that washes out every afternoon) is not a second piece of evidence. Medium and high
    episodes still add up, and a rule that judges repetition itself escalates on its own (R09's and R16's
    month-level association, R04's extra cycles). Measured: with the limits of the real backgrounds at
    0.6 x, two low R04 drops a day made 37 of the 42 clean Tilburg minute point-days yellow.

    The statistical family's clues (R12 bunching, R13 digits) pool across its rules: both test the
    distribution of the same month of values, so one quirk of that distribution (coarse output steps
    near the limit) is one clue however many of its tests notice it (measured with the Beijing limits
    at 0.6 x: a low R12 and a low R13 on CO made 23 clean point-days yellow together). Nor do the clues
    of two rules reporting one symptom (``evidence.SAME_SYMPTOM``: R20's flat run is R01's) on the same
    factors."""
    out: list[float] = []
    statistical_clues: list[float] = []
    symptom_clues: dict[tuple[str, tuple[str, ...]], float] = {}
    groups: dict[tuple[str, tuple[str, ...]], list[tuple[Finding, float]]] = defaultdict(list)
    for f, w in items:
        groups[(f.rule, tuple(sorted(f.factors)))].append((f, w))
    for (rule, factors), group in groups.items():
        group.sort(key=lambda fw: fw[0].start)
        episodes: list[tuple[float, bool]] = []  # (heaviest weight, only low findings)
        end, best, low = None, 0.0, True
        for f, w in group:
            if end is not None and f.start > end + EPISODE_GAP:
                episodes.append((best, low))
                best, low = 0.0, True
            best = max(best, w)
            low = low and f.severity is Severity.LOW
            end = f.end if end is None else max(end, f.end)
        episodes.append((best, low))
        out.extend(w for w, only_low in episodes if not only_low)
        clues = [w for w, only_low in episodes if only_low]
        if clues and family_of(rule, families) is Family.STATISTICAL:
            statistical_clues.append(max(clues))
        elif clues:
            key = (symptom_of(rule), factors)
            symptom_clues[key] = max(symptom_clues.get(key, 0.0), *clues)
    out.extend(symptom_clues.values())
    if statistical_clues:
        out.append(max(statistical_clues))
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
    "basis": pl.Utf8(),
    "basis_zh": pl.Utf8(),
}
"""Columns of ``score_days``: level is ``point`` or ``enterprise`` (then ``mn`` is null). ``basis`` /
``basis_zh``: the evidence that set a point-day's colour (enterprise rows: the colour comes from its
points' scores; basis null)."""


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
                "basis": w.basis.value,
                "basis_zh": w.basis_zh,
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
                "colour": enterprise_colour(score, [w.colour.value for w in ws], scoring).value,
                "n_findings": sum(len(w.findings) for w in ws),
                "rules": sorted({f.rule for w in ws for f in w.findings}),
                "finding_ids": [f.id for w in ws for f in w.findings],
                "basis": None,
                "basis_zh": None,
            }
        )
    return pl.DataFrame(rows, schema=SCORE_SCHEMA)
