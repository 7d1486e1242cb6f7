"""What a point's own clean history says about it: a ``PointProfile`` (per-point calibration).

Built by ``calibration.build_profile`` from a history frame (READING_SCHEMA) and carried on
``PointContext.profile``; rules read it and fall back to their constants when it is absent.

* per factor (``FactorProfile``): the data kind and time step profiled, the value quantum (smallest
  value step the analyser reports), the share of steps that repeat the previous value and the
  analyser's measuring cycle (median length of held runs when the analyser holds its value);
* the operating model (``OperatingModel``): which signal tells running from stopped (a
  working-condition power meter where there is one, else flow, flue-gas temperature or O2) and the
  levels learnt from the history; ``operating_states`` classifies every hour as running, stopped or
  start-up;
* calibrated trigger levels (``CalibratedLevel``): for each calibrated rule statistic, the level in
  force, the history quantile at the false-alarm budget it came from, the physical floor it may not
  cross, the rule's default constant and the history span, so that evidence can say what a value was
  compared against and why.

Pure: polars only, no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import polars as pl


class State(StrEnum):
    """Operating state of the source in one hour."""

    RUNNING = "running"
    STOPPED = "stopped"
    STARTUP = "startup"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FactorProfile:
    """One factor's data as the history shows it."""

    code: str
    kind: str
    """Data kind profiled (minute or hour)."""
    step_seconds: float | None
    """Time resolution: the grid step of the profiled series."""
    quantum: float
    """Value resolution: the largest power of ten of which >= 95 % of values are whole multiples
    (0 when the values are not quantised)."""
    held_share: float
    """Share of valid steps whose value equals the previous valid step's."""
    cycle_hours: float | None
    """The analyser's measuring cycle: median length (h) of runs of held values when the analyser
    holds its result (held_share >= 0.3); None for a continuous analyser (one value per step)."""
    n_valid: int
    median: float | None
    maximum: float | None = None
    """The highest valid value of the history (R01: a value stuck above it serves no falsifier)."""
    minimum: float | None = None
    """The lowest valid value of the history (R02: negative values from an instrument that never
    reported one are new behaviour, whatever its zero runs)."""
    run_values: tuple[tuple[float, int], ...] = ()
    """For an analyser that holds its result (``held_share`` >= 0.3) with at most ``MAX_RUN_VALUES``
    distinct held values: (value, number of the history's runs holding it), so that R17 weighs how
    improbable a copied sequence of held values is against the point's own weeks of history, not against
    whatever few days a screening pass reads (the server's incremental pass reads 9 days: each value then
    seemed common and a copied day of held values too probable to be a copy). Empty otherwise."""


@dataclass(frozen=True, slots=True)
class OperatingModel:
    """How to tell running from stopped at this point, learnt from its history."""

    basis: str
    """``power`` (wc_prod_kw), ``flow``, ``temperature`` (flue gas), ``o2`` or ``none``."""
    signal: str | None
    """The reading code used."""
    on_level: float
    """Running at or above this level (for O2: at or below)."""
    startup_hours: float
    """Hours after a stop counted as start-up."""
    running_share: float
    """Share of history hours the source ran."""


NO_OPERATING_MODEL = OperatingModel("none", None, 0.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class CalibratedLevel:
    """A rule's trigger level for one point (and factor), from a false-alarm budget on its history."""

    rule: str
    """Short rule code (R01)."""
    statistic: str
    """What is compared (``identical_run_hours``, ``common_drop_ratio``, ``night_day_ratio``,
    ``gap_rate``)."""
    factor: str | None
    level: float
    """The level in force (already bounded by ``floor`` and the rule's default as documented)."""
    quantile: float | None
    """The history statistic's quantile at the budget (None when the history was too short)."""
    floor: float
    """The documented physical floor the level may not cross."""
    default: float
    """The rule's constant (used when there is no profile)."""
    budget: float
    """False-alarm budget: the share of clean history units allowed over the level."""
    n: int
    """History units (days, nights, values) behind the quantile."""
    history: tuple[str, str]
    """History span (CST ISO times)."""
    ceiling: float | None = None
    """The upper bound the level may not exceed (None: none)."""

    def evidence(self) -> dict[str, object]:
        """The JSON form that findings put under ``calibration``."""
        return {
            "statistic": self.statistic,
            "level": round(self.level, 6),
            "history_quantile": None if self.quantile is None else round(self.quantile, 6),
            "budget": self.budget,
            "floor": self.floor,
            "ceiling": self.ceiling,
            "default": self.default,
            "history_units": self.n,
            "history": list(self.history),
        }


@dataclass(frozen=True, slots=True)
class PointProfile:
    """A point's calibration: factor profiles, operating model and calibrated levels."""

    mn: str
    start: dt.datetime
    end: dt.datetime
    factors: Mapping[str, FactorProfile] = field(default_factory=dict)
    operating: OperatingModel = NO_OPERATING_MODEL
    levels: Mapping[str, CalibratedLevel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "factors", dict(self.factors))
        object.__setattr__(self, "levels", dict(self.levels))

    @staticmethod
    def key(rule: str, statistic: str, factor: str | None) -> str:
        return f"{rule.split('_', 1)[0]}:{statistic}:{factor or '*'}"

    def level(self, rule: str, statistic: str, factor: str | None = None) -> CalibratedLevel | None:
        """The calibrated level of a rule statistic (factor-specific first, then point-wide)."""
        found = self.levels.get(self.key(rule, statistic, factor))
        if found is None and factor is not None:
            found = self.levels.get(self.key(rule, statistic, None))
        return found

    def factor(self, code: str) -> FactorProfile | None:
        return self.factors.get(code)


MAX_RUN_VALUES = 2000
"""The most distinct held values a profile keeps (``FactorProfile.run_values``): a held analyser reports a
few hundred results a month; a continuous one has as many values as steps and needs no run statistics."""


def run_heads(values: np.ndarray) -> np.ndarray:
    """The value of each run (consecutive equal values: one held result) of the finite values."""
    v: np.ndarray = values[np.isfinite(values)]
    if v.size == 0:
        return v
    heads: np.ndarray = v[np.concatenate(([True], v[1:] != v[:-1]))]
    return heads


def run_counts(values: np.ndarray) -> dict[float, int]:
    """Per value, the number of runs holding it."""
    uniq, counts = np.unique(run_heads(values), return_counts=True)
    return {float(u): int(c) for u, c in zip(uniq, counts, strict=True)}


def share_true(mask: pl.Series) -> float:
    """Share of True values in a boolean series (0 when empty)."""
    m = mask.drop_nulls().cast(pl.Float64).mean()
    return float(m) if isinstance(m, int | float) else 0.0


_QUANTA = (1000.0, 100.0, 10.0, 1.0, 0.1, 0.01, 0.001, 0.0001)


def us_view(times: pl.Series) -> np.ndarray | None:
    """The microseconds since the epoch of a null-free microsecond time column, as a zero-copy int64
    view (None for any other column: the caller takes its polars path). Every ``Series`` time column is
    one; the rules' numpy shortcuts start from it."""
    dtype = times.dtype
    if isinstance(dtype, pl.Datetime) and dtype.time_unit == "us" and not times.null_count():
        return times.to_numpy().view(np.int64)
    return None


def float_view(values: pl.Series) -> np.ndarray | None:
    """A null-free Float64 column as a zero-copy numpy array (None for any other column: nulls or
    another dtype need polars' own semantics)."""
    if values.dtype == pl.Float64 and not values.null_count():
        return values.to_numpy()
    return None


def quantum_of(values: pl.Series, share: float = 0.95, finest: float = 0.001) -> float:
    """The reporting quantum (see ``FactorProfile.quantum``): the coarsest power of ten, down to
    ``finest``, of which at least ``share`` of the values are whole multiples; 0 when the values are not
    quantised that finely (unrounded averages: then no resolution guard applies). The one implementation
    every rule uses (R01's runs, R13's digits, R17-R19's rounding tolerances)."""
    v = float_view(values)  # zero-copy: the usual valid values need neither drop_nulls nor cast
    if v is None:
        v = values.drop_nulls().cast(pl.Float64).to_numpy()
    if v.size == 0:
        return 0.0
    # numpy, not polars: called per series by several rules, where a polars call's fixed cost dominated
    # (ties at .5 are never within 1e-6 of an integer, so numpy's half-to-even rounding changes nothing)
    for q in _QUANTA:
        if q < finest:
            break
        scaled = v / q
        ok = float(np.count_nonzero(np.abs(scaled - np.round(scaled)) < 1e-6)) / v.size
        if ok >= share:
            return q
    return 0.0


def operating_states(
    signal: pl.DataFrame, model: OperatingModel, times: pl.Series | None = None
) -> pl.DataFrame:
    """Hourly states from a signal frame (time, value): columns ``hour`` (UTC, floored) and ``state``.

    An hour is running when the hourly mean of the signal is at or above the model's level (O2: at or
    below), stopped when below, start-up for ``startup_hours`` after a stopped hour, unknown when the
    signal is missing. ``times`` (optional) restricts the output to the hours of those times.
    """
    schema = {"hour": pl.Datetime("us", "UTC"), "state": pl.Utf8()}
    if model.signal is None or signal.height == 0:
        return pl.DataFrame(schema=schema)
    hourly = (
        signal.select(pl.col("time").dt.truncate("1h").alias("hour"), "value")
        .group_by("hour")
        .agg(pl.col("value").mean())
        .sort("hour")
    )
    if hourly.height == 0:
        return pl.DataFrame(schema=schema)
    first, last = hourly["hour"][0], hourly["hour"][-1]
    grid = pl.DataFrame(
        {"hour": pl.datetime_range(first, last, "1h", time_unit="us", time_zone="UTC", eager=True)}
    )
    hourly = grid.join(hourly, on="hour", how="left")
    on = pl.col("value") <= model.on_level if model.basis == "o2" else pl.col("value") >= model.on_level
    hourly = hourly.with_columns(
        pl.when(pl.col("value").is_null()).then(None).otherwise(on).alias("on")
    ).with_columns(
        # hours since the last stopped hour (start-up window)
        pl.when(pl.col("on") == False)  # noqa: E712  (polars expression, not a Python comparison)
        .then(pl.col("hour"))
        .otherwise(None)
        .forward_fill()
        .alias("last_off")
    )
    startup = dt.timedelta(hours=model.startup_hours)
    out = hourly.select(
        "hour",
        pl.when(pl.col("on").is_null())
        .then(pl.lit(State.UNKNOWN.value))
        .when(~pl.col("on"))
        .then(pl.lit(State.STOPPED.value))
        .when(pl.col("last_off").is_not_null() & (pl.col("hour") - pl.col("last_off") <= startup))
        .then(pl.lit(State.STARTUP.value))
        .otherwise(pl.lit(State.RUNNING.value))
        .alias("state"),
    )
    if times is not None:
        wanted = pl.DataFrame({"hour": times.dt.truncate("1h")}).unique()
        out = wanted.join(out, on="hour", how="left").with_columns(
            pl.col("state").fill_null(State.UNKNOWN.value)
        )
    return out.sort("hour")
