"""Per-point calibration: build a ``PointProfile`` from the point's own clean history.

``build_profile(history, context)`` reads a history frame (READING_SCHEMA, e.g. the 90 days before
the screening window) and returns the profile that ``PointContext.profile`` carries:

1. factor profiles: time step, value quantum, held-value share and measuring cycle;
2. the operating model: production power (``wc_prod_kw``) where metered, else flow, flue-gas
   temperature or O2 (research notes R2, R8, R10: the working condition decides whether a value is
   suspicious);
3. calibrated trigger levels: every rule may implement ``Rule.calibrate``; it computes its statistic
   per history unit (day, night, value) and turns it into a level with ``budget_level`` /
   ``budget_level_low`` (the statistic's quantile at the false-alarm budget, bounded by the rule's
   physical floor). Rules without ``calibrate`` keep their constants.

Only flag-N values are evidence: rows with any other flag (C/M/D/F/P/B, and also S and T, e.g.
substitute data) never enter a statistic as evidence (PointData segregates C/M/D/F/P/B; rules that
calibrate drop S/T runs themselves).

Pure: no I/O. The same budget is used for every calibrated rule unless the caller passes another.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, Rule, Series
from ecosentinel.detection.config import ScreeningConfig
from ecosentinel.detection.context import (
    FLOW_CODES,
    O2_CODE,
    WC_PRODUCTION,
    PointContext,
)
from ecosentinel.detection.findings import iso
from ecosentinel.detection.profile import (
    MAX_RUN_VALUES,
    NO_OPERATING_MODEL,
    CalibratedLevel,
    FactorProfile,
    OperatingModel,
    PointProfile,
    quantum_of,
    run_counts,
    share_true,
)
from ecosentinel.readings import READING_SCHEMA, DataKind

DEFAULT_BUDGET = 0.002
"""[P] false-alarm budget per calibrated statistic: the share of clean history units (days, nights)
allowed above the level. With ~17 calibrated statistics per point this keeps the whole point under
the issue-17 goal of 0.5 % clean point-days flagged (most units never reach the level at all)."""
MIN_HISTORY_UNITS = 14
"""[P] fewer history units than this: no calibrated level (the rule keeps its constant)."""
MIN_HISTORY_DAYS = 14.0
"""[P] a period of a point's readings spanning fewer days than this is too short to calibrate on (its
levels would rest on fewer than MIN_HISTORY_UNITS days): where the days before a window are that short,
the days after it are used when they are long enough (``history_days``)."""
HELD_SHARE_FOR_CYCLE = 0.3
"""[P] an analyser 'holds' its value when at least this share of steps repeat the previous value."""
STARTUP_HOURS = 2.0
"""[P] hours after a stop counted as start-up (HJ 75 / research notes R8 trap: start-up and low load)."""
FLUE_TEMPERATURE = "a01012"


def build_profile(
    history: pl.DataFrame,
    context: PointContext,
    config: ScreeningConfig | None = None,
    *,
    budget: float = DEFAULT_BUDGET,
    rules: Sequence[type[Rule[Any]]] | None = None,
) -> PointProfile:
    """The profile of one point from its clean history (READING_SCHEMA rows of that point)."""
    config = config or ScreeningConfig()
    frame = history.select([pl.col(c).cast(t) for c, t in READING_SCHEMA.items()]).filter(
        pl.col("mn") == context.mn
    )
    base = replace(context, profile=None)
    data = PointData(frame, base)
    if frame.height:
        t0, t1 = frame["time"].min(), frame["time"].max()
    else:
        t0 = t1 = None
    start = t0 if isinstance(t0, dt.datetime) else dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    end = t1 if isinstance(t1, dt.datetime) else start
    factors = {}
    for code in data.factor_codes(("pollutant", "flow")):
        s = data.series(code, (DataKind.MINUTE, DataKind.HOUR))
        if s is not None and s.n_valid:
            factors[code] = factor_profile(s)
    profile = PointProfile(
        mn=context.mn, start=start, end=end, factors=factors, operating=operating_model(data)
    )
    if rules is None:
        from ecosentinel.detection.catalogue import RULES

        rules = RULES
    levels: dict[str, CalibratedLevel] = {}
    calibrating = PointData(frame, replace(context, profile=profile))
    for cls in rules or ():
        rule = cls()
        if context.point_type not in rule.point_types:
            continue
        for level in rule.calibrate(calibrating, config, profile, budget):
            levels[PointProfile.key(level.rule, level.statistic, level.factor)] = level
    return replace(profile, levels=levels)


def history_days(frame: pl.DataFrame) -> float:
    """Days spanned by a history frame's readings (first to last; 0 when empty)."""
    if not frame.height:
        return 0.0
    t0, t1 = frame["time"].min(), frame["time"].max()
    if not isinstance(t0, dt.datetime) or not isinstance(t1, dt.datetime):
        return 0.0
    return (t1 - t0).total_seconds() / 86400


def factor_profile(s: Series) -> FactorProfile:
    """Time step, value quantum, held share and measuring cycle of one series."""
    v = s.valid
    values = v["value"]
    same = (values == values.shift(1)).drop_nulls()
    held = share_true(same)
    step_h = s.step.total_seconds() / 3600 if s.step else None
    cycle: float | None = None
    if held >= HELD_SHARE_FOR_CYCLE and step_h:
        # runs of equal values in consecutive grid rows (a missing row ends a run)
        runs = (
            s.frame.select(pl.col("value").rle_id().alias("run"), "value")
            .filter(pl.col("value").is_not_null())
            .group_by("run")
            .agg(pl.len().alias("n"))
        )
        med = runs["n"].median()
        if isinstance(med, int | float):
            cycle = float(med) * step_h
    median = values.median()
    top = values.max()
    bottom = values.min()
    run_values: tuple[tuple[float, int], ...] = ()
    if held >= HELD_SHARE_FOR_CYCLE:
        counts = run_counts(values.cast(pl.Float64).to_numpy())
        if len(counts) <= MAX_RUN_VALUES:
            run_values = tuple(sorted(counts.items()))
    return FactorProfile(
        code=s.code,
        kind=s.kind.value,
        step_seconds=s.step.total_seconds() if s.step else None,
        quantum=quantum_of(values),
        held_share=round(held, 4),
        cycle_hours=cycle,
        n_valid=s.n_valid,
        median=float(median) if isinstance(median, int | float) else None,
        maximum=float(top) if isinstance(top, int | float) else None,
        minimum=float(bottom) if isinstance(bottom, int | float) else None,
        run_values=run_values,
    )


_KINDS = (DataKind.MINUTE, DataKind.HOUR, DataKind.RTD)


def operating_model(data: PointData) -> OperatingModel:
    """Which signal says running vs stopped, with its level: power, else flow, temperature, O2."""
    prod = data.series(WC_PRODUCTION, _KINDS)
    if prod is not None and prod.n_valid:
        return _model("power", prod, 0.2, 1.0)
    for code in sorted(FLOW_CODES):
        flow = data.series(code, _KINDS)
        if flow is not None and flow.n_valid:
            return _model("flow", flow, 0.1, 0.0)
    temp = data.series(FLUE_TEMPERATURE, _KINDS)
    if temp is not None and temp.n_valid:
        return _model("temperature", temp, 0.5, 0.0)
    o2 = data.series(O2_CODE, _KINDS)
    if o2 is not None and o2.n_valid:
        share = share_true(o2.valid["value"] <= 19.0)
        return OperatingModel("o2", O2_CODE, 19.0, STARTUP_HOURS, round(share, 4))
    return NO_OPERATING_MODEL


def _model(basis: str, s: Series, fraction: float, floor: float) -> OperatingModel:
    """Running at or above ``fraction`` x the 95th percentile (and above ``floor``), as R02/R10 do."""
    values = s.valid["value"]
    q = values.quantile(0.95)
    level = max(floor, fraction * float(q)) if q is not None else floor
    level = max(level, 1e-9)
    share = share_true(values >= level)
    return OperatingModel(basis, s.code, level, STARTUP_HOURS, round(share, 4))


def _quantile(values: Sequence[float], q: float) -> float:
    """The order statistic at ``q`` (rounded up: never below the q share of values)."""
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return float(ordered[k])


TAIL_SHARE = 0.2
"""[P] the exponential tail is fitted to the top 20 % of the history units."""
MIN_TAIL_UNITS = 5


OUTLIER_SHARE = 0.1
"""[P] at most this share of the history units is left out of a level for standing alone above the others
(a month with a falsification every ten days holds three)."""
OUTLIER_P = 0.01
"""[P] a unit stands alone when the others' exponential tail above their median expects fewer than this
many units as large among them."""


def upper_quantile(values: Sequence[float], budget: float) -> float:
    """The statistic's quantile at 1 - budget: the larger of the empirical order statistic and a
    peaks-over-threshold extrapolation with an exponential tail (threshold u = the 80th percentile,
    mean excess e over it: u + e x ln(share over u / budget)).

    A history of 60 days cannot show its 0.998 quantile: its maximum is exceeded in the next 30 days
    about one time in three. The exponential tail (run lengths are geometric; GPD with shape 0) gives a
    level for the budget that the sample maximum does not.

    One unit alone never sets the level: the largest units are left out when they stand alone above the
    others (``_alone``: the largest group of at most ``OUTLIER_SHARE`` of the units whose smallest does,
    so that a second falsification does not make the first look plausible). A falsification in the
    history is such a unit (a 24-hour freeze among runs of a few hours); learnt as the point's normal,
    it would hide the next one of its kind, and falsifiers repeat (measured through import and screen
    of six months with a falsification every ten days: every 24-hour freeze on the Danish inflow
    missed, the level set at 25 h by a freeze or a flat flow in the month before)."""
    ordered = sorted(values)
    # the largest group first (a second falsification must not make the first look plausible)
    for m in range(min(math.ceil(OUTLIER_SHARE * len(ordered)), len(ordered) - MIN_HISTORY_UNITS), 0, -1):
        if _alone(ordered[:-m], ordered[-m]):
            return _upper_quantile(ordered[:-m], budget)
    return _upper_quantile(ordered, budget)


def _alone(rest: Sequence[float], x: float) -> bool:
    """Is ``x`` beyond what the units ``rest`` make plausible: their exponential tail above their median
    (share over the median x exp(-(x - median) / mean excess)) expects fewer than ``OUTLIER_P`` units
    as large among as many units; a unit above a history of equal units always is."""
    median = _quantile(rest, 0.5)
    if x <= median:
        return False
    excess = [v - median for v in rest if v > median]
    if not excess:
        return True
    scale = sum(excess) / len(excess)
    return len(excess) * math.exp(-(x - median) / scale) < OUTLIER_P


def _upper_quantile(ordered: Sequence[float], budget: float) -> float:
    """``upper_quantile`` of sorted values, every unit counted."""
    empirical = _quantile(ordered, 1.0 - budget)
    u = _quantile(ordered, 1.0 - TAIL_SHARE)
    excess = [x - u for x in ordered if x > u]
    if len(excess) < MIN_TAIL_UNITS:
        return empirical
    share = len(excess) / len(ordered)
    if budget >= share:
        return empirical
    tail = u + (sum(excess) / len(excess)) * math.log(share / budget)
    return max(empirical, tail)


def budget_level(
    rule: str,
    statistic: str,
    factor: str | None,
    units: Sequence[float],
    *,
    budget: float,
    floor: float,
    default: float,
    margin: float,
    ceiling: float | None,
    profile: PointProfile,
) -> CalibratedLevel | None:
    """Upper-tail level: the statistic fires ABOVE it. ``max(floor, upper_quantile + margin)``, at most
    ``ceiling``. None with fewer than MIN_HISTORY_UNITS units."""
    if len(units) < MIN_HISTORY_UNITS:
        return None
    q = upper_quantile(units, budget)
    level = max(floor, q + margin)
    if ceiling is not None:
        level = min(level, max(ceiling, floor))
    return CalibratedLevel(
        rule, statistic, factor, level, q, floor, default, budget, len(units), _span(profile), ceiling
    )


def budget_level_low(
    rule: str,
    statistic: str,
    factor: str | None,
    units: Sequence[float],
    *,
    budget: float,
    floor: float,
    default: float,
    factor_margin: float,
    profile: PointProfile,
) -> CalibratedLevel | None:
    """Lower-tail level: the statistic fires BELOW it (dilution ratios). ``min(default, quantile_budget
    x factor_margin)`` (the quantile from the upper tail of -ln(ratio), see ``upper_quantile``), never
    below ``floor`` (then the level is ``floor``: the rule still fires on deeper drops, which the
    history never showed). None with fewer than MIN_HISTORY_UNITS units."""
    if len(units) < MIN_HISTORY_UNITS:
        return None
    # lower tail of a ratio in (0, 1]: the upper tail of -ln(ratio)
    tiny = 1e-6
    q = math.exp(-upper_quantile([-math.log(max(tiny, x)) for x in units], budget))
    level = max(floor, min(default, q * factor_margin))
    return CalibratedLevel(
        rule, statistic, factor, level, q, floor, default, budget, len(units), _span(profile)
    )


def _span(profile: PointProfile) -> tuple[str, str]:
    return (iso(profile.start), iso(profile.end))


def with_profile(context: PointContext, profile: PointProfile | None) -> PointContext:
    """The context carrying ``profile`` (contexts are frozen)."""
    return replace(context, profile=profile)
