"""Point-day metrics of the accuracy benchmark: precision, recall, F1, time to detection, clean FP rate.

Ground truth per point-day (CST days):

* **positive** for scenario S when a label of S overlaps the day by at least ``MIN_OVERLAP`` (1 h);
* **ambiguous** (left out of every count) when a label touches the day by less than that;
* **clean** when no label touches it.

A detector flags point-days (the rules: a yellow or red warning from ``screening.scoring``). For one
scenario type and severity the universe is every non-ambiguous point-day of the points that carry
those injections, so a detector that flags every day has precision equal to the prevalence. The clean
false-positive rate is over every clean point-day of the corpus (clean stations included).

Time to detection of a label: for the rules, where the detector replayed the screening as it runs in
operation (``Detection.alerts``: a screening pass at label start + k hours sees only the data received
by then, k on the ``ALERT_LADDER``), the first k at which a label day turns yellow or red with a finding
overlapping the label; otherwise (baselines, or a label the ladder did not reach) from the label's start
to the end of the first detector hit (a finding's window, or the baseline's anomalous hour) that overlaps
the label window and lies on a flagged day, a hit's end being when its evidence is complete. The second
definition overstates the delay of a finding that covers a whole episode: its end is the episode's end,
not the hour its evidence was first enough (measured: a 72 h O2 dilution flagged after 6 h reported 72 h).
Labels with no such hit are undetected.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ecosentinel.readings import CST
from ecosentinel.simulator.models import Label

MIN_OVERLAP = dt.timedelta(hours=1)
ALERT_LADDER = (1, 2, 3, 4, 6, 8, 12, 16, 20, 24, 30, 36, 48, 60, 72, 96)
"""Hours after a label's start at which the online replay screens the data received so far."""


@dataclass(frozen=True, slots=True)
class Detection:
    """What a detector said about one point: flagged CST days and its hit windows (for timing)."""

    flagged: frozenset[dt.date]
    hits: tuple[tuple[dt.datetime, dt.datetime], ...] = ()
    by_rule: dict[str, frozenset[dt.date]] = field(default_factory=dict)
    """Rules only: the days each rule has a finding on (for per-rule false-positive rates)."""
    red: frozenset[dt.date] = frozenset()
    """Rules only: the red point-days (a subset of ``flagged``)."""
    alerts: dict[tuple[str, dt.datetime], float] = field(default_factory=dict)
    """Rules only, labels replayed online: (scenario, label start) -> hours from the label's start to the
    first screening pass (on the data received by then) that flagged a label day (``ALERT_LADDER``)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One point's ground truth and each detector's detection (frames dropped to save memory)."""

    source: str
    batch: str
    mn: str
    severity_name: str
    labels: tuple[Label, ...]
    days: tuple[dt.date, ...]
    detections: dict[str, Detection]


@dataclass(slots=True)
class Scores:
    """Counts and metrics of one detector on one scenario type and severity."""

    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    labels: int = 0
    detected: int = 0
    ttd_hours: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def prevalence(self) -> float:
        n = self.tp + self.fn + self.fp + self.tn
        return (self.tp + self.fn) / n if n else 0.0

    @property
    def ttd_median(self) -> float | None:
        return statistics.median(self.ttd_hours) if self.ttd_hours else None


def _day_span(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=CST)
    return start, start + dt.timedelta(days=1)


def label_days(label: Label) -> tuple[set[dt.date], set[dt.date]]:
    """(positive days, ambiguous days) of one label."""
    positive: set[dt.date] = set()
    ambiguous: set[dt.date] = set()
    day = label.start.astimezone(CST).date()
    last = (label.end - dt.timedelta(microseconds=1)).astimezone(CST).date()
    while day <= last:
        a, b = _day_span(day)
        overlap = min(b, label.end) - max(a, label.start)
        (positive if overlap >= MIN_OVERLAP else ambiguous).add(day)
        day += dt.timedelta(days=1)
    return positive, ambiguous


def time_to_detection(label: Label, det: Detection) -> float | None:
    """Hours from the label's start to its online alert (``Detection.alerts``), else to the end of the
    first qualifying hit; None when undetected."""
    alert = det.alerts.get((label.scenario, label.start))
    if alert is not None and label_days(label)[0] & det.flagged:
        return alert
    best: dt.datetime | None = None
    for start, end in det.hits:
        if end < label.start or start > label.end:
            continue
        days = {start.astimezone(CST).date(), end.astimezone(CST).date()}
        if not days & det.flagged:
            continue
        if best is None or end < best:
            best = end
    if best is None:
        return None
    return max(0.0, (best - label.start).total_seconds() / 3600)


def truth(outcome: Outcome) -> tuple[dict[dt.date, set[tuple[str, float]]], set[dt.date], set[dt.date]]:
    """Per point: positive day -> {(scenario, severity)}, ambiguous days, clean days."""
    positive: dict[dt.date, set[tuple[str, float]]] = defaultdict(set)
    ambiguous: set[dt.date] = set()
    for label in outcome.labels:
        pos, amb = label_days(label)
        for d in pos:
            positive[d].add((label.scenario, label.severity))
        ambiguous |= amb
    ambiguous -= set(positive)
    clean = set(outcome.days) - set(positive) - ambiguous
    return positive, ambiguous, clean


def score(outcomes: Iterable[Outcome], detector: str) -> dict[tuple[str, str, str], Scores]:
    """Scores per (source, scenario, severity name) for one detector."""
    out: dict[tuple[str, str, str], Scores] = defaultdict(Scores)
    for oc in outcomes:
        if not oc.labels:
            continue
        det = oc.detections[detector]
        positive, _, clean = truth(oc)
        scenarios = {lab.scenario for lab in oc.labels}
        for scenario in scenarios:
            s = out[(oc.source, scenario, oc.severity_name)]
            for day, tags in positive.items():
                if any(t[0] == scenario for t in tags):
                    if day in det.flagged:
                        s.tp += 1
                    else:
                        s.fn += 1
            for day in clean:
                if day in det.flagged:
                    s.fp += 1
                else:
                    s.tn += 1
            for label in oc.labels:
                if label.scenario != scenario:
                    continue
                s.labels += 1
                ttd = time_to_detection(label, det)
                if ttd is not None:
                    s.detected += 1
                    s.ttd_hours.append(ttd)
    return dict(out)


@dataclass(slots=True)
class CleanRate:
    """False positives on clean point-days of one source."""

    clean_days: int = 0
    flagged: int = 0
    per_rule: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def rate(self) -> float:
        return self.flagged / self.clean_days if self.clean_days else 0.0


def clean_rates(
    outcomes: Iterable[Outcome], detector: str, *, untouched_only: bool = False
) -> dict[str, CleanRate]:
    """Flagged share of clean point-days per source (``sim``, a background name), with per-rule counts.

    ``untouched_only``: count only points with no injection at all (the clean segments of a background).
    """
    out: dict[str, CleanRate] = defaultdict(CleanRate)
    for oc in outcomes:
        if untouched_only and oc.labels:
            continue
        if detector not in oc.detections:
            continue
        det = oc.detections[detector]
        _, _, clean = truth(oc)
        c = out[oc.source]
        c.clean_days += len(clean)
        c.flagged += len(clean & det.flagged)
        for rule, days in det.by_rule.items():
            c.per_rule[rule] += len(clean & days)
    return dict(out)


@dataclass(slots=True)
class RedPrecision:
    """Red point-days on falsified days over all red point-days (ambiguous days left out)."""

    red: int = 0
    red_on_falsified: int = 0

    @property
    def precision(self) -> float | None:
        return self.red_on_falsified / self.red if self.red else None


def red_precision(outcomes: Iterable[Outcome], detector: str = "rules") -> dict[str, RedPrecision]:
    """Per source: how many red point-days fall on days with an injected falsification."""
    out: dict[str, RedPrecision] = defaultdict(RedPrecision)
    for oc in outcomes:
        det = oc.detections.get(detector)
        if det is None:
            continue
        positive, _, clean = truth(oc)
        r = out[oc.source]
        r.red += len(det.red & (set(positive) | clean))
        r.red_on_falsified += len(det.red & set(positive))
    return dict(out)


@dataclass(slots=True)
class RuleReliability:
    """What the feedback step (enforcement outcomes) would record for one rule if every yellow or red
    point-day it contributed to were inspected: confirmed on falsified days, refuted on clean ones."""

    confirmed: int = 0
    refuted: int = 0

    @property
    def n(self) -> int:
        return self.confirmed + self.refuted

    @property
    def reliability(self) -> float:
        """The estimate the platform shows: Beta(1, 1) posterior mean, (confirmed + 1) / (n + 2)."""
        return (self.confirmed + 1) / (self.n + 2)


def rule_reliability(outcomes: Iterable[Outcome]) -> dict[str, dict[str, RuleReliability]]:
    """Per source and rule short code: the simulated inspection outcomes of its warned point-days."""
    out: dict[str, dict[str, RuleReliability]] = defaultdict(lambda: defaultdict(RuleReliability))
    for oc in outcomes:
        det = oc.detections.get("rules")
        if det is None:
            continue
        positive, _, clean = truth(oc)
        for rule, days in det.by_rule.items():
            warned = days & det.flagged
            r = out[oc.source][rule]
            r.confirmed += len(warned & set(positive))
            r.refuted += len(warned & clean)
    return {src: dict(rules) for src, rules in out.items()}
