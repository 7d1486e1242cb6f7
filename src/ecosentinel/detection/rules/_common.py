"""Helpers shared by several rules (formatting, working-condition state, alignment)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import PointData, Series, true_runs
from ecosentinel.detection.context import FLOW_CODES, WC_PRODUCTION, FactorSpec
from ecosentinel.detection.profile import float_view, quantum_of, us_view
from ecosentinel.readings import CST, DataKind

WC_KINDS = (DataKind.MINUTE, DataKind.HOUR, DataKind.RTD)

CST_FIXED_FROM = dt.datetime(1991, 9, 14, 17, tzinfo=dt.UTC)
"""Asia/Shanghai has kept UTC+8 without summer time since its last one ended, 1991-09-15 02:00 local
(17:00 UTC the day before)."""
CST_OFFSET = dt.timedelta(hours=8)


def cst_wall(times: pl.Series) -> pl.Series:
    """The China Standard Time wall clock of aware UTC times, without a zone: the dates, years and months
    of ``times.dt.convert_time_zone(CST.key)``.

    Times from ``CST_FIXED_FROM`` on are UTC + 8 hours, computed as such: the time-zone conversion looks
    every value up in the zone's table (1.7 ms per month of minute values, the addition 0.15 ms; R03
    and R13 ask for it per series). Earlier times, or times not in UTC, take the conversion."""
    dtype = times.dtype
    earliest = times.min()
    if (
        isinstance(dtype, pl.Datetime)
        and dtype.time_zone == "UTC"
        and (earliest is None or (isinstance(earliest, dt.datetime) and earliest >= CST_FIXED_FROM))
    ):
        return times.dt.replace_time_zone(None) + CST_OFFSET
    return times.dt.convert_time_zone(CST.key).dt.replace_time_zone(None)


def fmt(x: float | None) -> str:
    """Numbers in explanations: at most 4 decimals, no trailing zeros."""
    if x is None:
        return "无"
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def pct(x: float) -> str:
    return fmt(round(100 * x, 1))


def power_on_threshold(s: Series, fraction: float, floor: float) -> float:
    """'On' threshold of a power series: ``fraction`` of its 95th percentile, at least ``floor`` kW."""
    q = s.valid["value"].quantile(0.95)
    return max(floor, fraction * float(q)) if q is not None else floor


def align(left: pl.DataFrame, right: Series, name: str, tolerance: dt.timedelta) -> pl.DataFrame:
    """Attach the latest ``right`` value at or before each ``left.time`` (within ``tolerance``)."""
    r = right.valid.select("time", pl.col("value").alias(name)).sort("time")
    return left.sort("time").join_asof(r, on="time", strategy="backward", tolerance=tolerance)


def may_align_at_least(times: pl.Series, rows: np.ndarray, right: Series, level: float) -> bool:
    """False only when provably none of ``times[rows]`` gets, from ``align(..., right, ...)``, a value at
    or above ``level``; True when one may (or when it cannot tell).

    ``align`` attaches the last valid ``right`` value at or before each time, within a tolerance; the
    tolerance only removes values, so the last valid value at or before each time (numpy searchsorted on
    the sorted microseconds) bounds what it can attach. Why: rules that look for rows where a flag or a
    low value coincides with a high production power aligned every factor's whole series (a sort, an
    as-of join and a column: four polars calls) to find, nearly always, nothing."""
    if not rows.any():
        return False
    r = right.valid
    rt = r["time"]
    left_us, right_us, values = us_view(times), us_view(rt), float_view(r["value"])
    if left_us is None or right_us is None or values is None or times.dtype != rt.dtype or r.height == 0:
        return True
    if np.isnan(values).any():
        return True  # polars orders NaN above every value: let it compare
    if not bool(np.all(right_us[1:] >= right_us[:-1])):
        return True
    at = np.searchsorted(right_us, left_us[rows], side="right") - 1
    return bool(np.any(values[at[at >= 0]] >= level))


def operating_state(
    data: PointData,
    times: pl.DataFrame,
    on_fraction: float,
    floor_kw: float,
    tolerance: dt.timedelta,
    use_flow: bool = True,
) -> tuple[pl.DataFrame, str]:
    """Add a boolean ``operating`` column (null when unknown) to ``times`` and say what it is based on.

    Production power when metered (``wc_prod_kw``), else discharge flow > 0 (unless ``use_flow`` is
    False: the flow itself is being judged), else unknown.
    """
    prod = data.series(WC_PRODUCTION, WC_KINDS)
    if prod is not None and prod.n_valid:
        on = power_on_threshold(prod, on_fraction, floor_kw)
        out = align(times, prod, "_power", tolerance)
        return out.with_columns((pl.col("_power") >= on).alias("operating")).drop("_power"), "power"
    for code in FLOW_CODES if use_flow else ():
        flow = data.series(code, (DataKind.HOUR, DataKind.MINUTE, DataKind.RTD))
        if flow is not None and flow.n_valid:
            out = align(times, flow, "_flow", tolerance)
            return out.with_columns((pl.col("_flow") > 0).alias("operating")).drop("_flow"), "flow"
    return times.with_columns(pl.lit(None, dtype=pl.Boolean).alias("operating")), "unknown"


@dataclass(frozen=True, slots=True)
class Run:
    """A run of rows in a series frame, with the valid values around it."""

    a: int
    b: int
    start: dt.datetime
    end: dt.datetime
    """Start of the last row plus the grid step."""
    before: float | None
    """Last valid value within the lookback before the run."""
    before_time: dt.datetime | None
    after: float | None
    """First valid value after the run."""
    after_time: dt.datetime | None = None
    """Its time."""

    @property
    def rows(self) -> int:
        return self.b - self.a + 1


def runs_with_levels(
    frame: pl.DataFrame, mask: pl.Series, step: dt.timedelta | None, lookback: dt.timedelta
) -> list[Run]:
    """Runs of ``mask`` rows in a time-sorted series frame, each with the valid values around it: the
    last valid value within ``lookback`` before the run's start, the first valid value after it.

    The same runs and levels as walking Python lists of the whole frame from each run outwards (what
    this did before; the whole-column ``to_list()`` cost about 0.2 s per 16-point week): in a time-sorted
    frame the last valid row before the run is the one that walk stops at, and it is within the lookback
    exactly when the walk reached it. Computed by ``runs_around``."""
    return runs_around(frame, mask, step, lookback)


def runs_around(
    frame: pl.DataFrame, mask: pl.Series, step: dt.timedelta | None, lookback: dt.timedelta
) -> list[Run]:
    """``runs_with_levels`` without converting the whole frame to Python lists: the last valid row
    before and the first valid row after every row come from two cumulative passes, and only the rows
    around each run are read (the whole-column ``to_list()`` dominated R16 on minute data)."""
    runs = true_runs(mask)
    if not runs:
        return []
    n = frame.height
    valid = frame["value"].is_not_null().to_numpy()
    index = np.arange(n)
    last_valid = np.maximum.accumulate(np.where(valid, index, -1))
    next_valid = np.minimum.accumulate(np.where(valid, index, n)[::-1])[::-1]
    times, values = frame["time"], frame["value"]
    out: list[Run] = []
    for a, b in runs:
        start = times[a]
        before, before_time = None, None
        i = int(last_valid[a - 1]) if a > 0 else -1
        if i >= 0 and start - times[i] <= lookback:  # sorted times: nothing nearer was valid
            before, before_time = float(values[i]), times[i]
        j = int(next_valid[b + 1]) if b + 1 < n else n
        after, after_time = (float(values[j]), times[j]) if j < n else (None, None)
        end = times[b] + (step or dt.timedelta(0))
        out.append(Run(a, b, start, end, before, before_time, after, after_time))
    return out


def hazard(frame: pl.DataFrame, runs: list[Run], high: float) -> tuple[int, int, int, int]:
    """(runs after a high value, high valid values, runs after a low value, low valid values).

    The per-value chance that an interruption follows a high value versus a low one (research notes
    R9: regress 'missing' on the expected concentration; this is its simplest two-bin form).
    """
    valid = frame["value"].drop_nulls()
    n_high = int((valid >= high).sum())
    n_low = valid.len() - n_high
    r_high = sum(1 for r in runs if r.before is not None and r.before >= high)
    r_low = sum(1 for r in runs if r.before is not None and r.before < high)
    return r_high, n_high, r_low, n_low


def compared_values(frame: pl.DataFrame) -> pl.DataFrame:
    """The series frame with ``value`` replaced by the value compared with the limit.

    For flue gas the limit applies to the O2-converted concentration (折算浓度, ``zs``, HJ 75-2017);
    where a row carries ``zs`` it is used, otherwise the value itself. Missing values stay missing.
    """
    if "zs" not in frame.columns or frame["zs"].null_count() == frame.height:
        return frame
    return frame.with_columns(
        pl.when(pl.col("value").is_not_null())
        .then(pl.coalesce(pl.col("zs"), pl.col("value")))
        .otherwise(None)
        .alias("value")
    )


def mean_of(s: pl.Series) -> float | None:
    """Mean of the non-null values, or None."""
    m = s.drop_nulls().cast(pl.Float64).mean()
    return float(m) if isinstance(m, int | float) else None


def identical_runs(frame: pl.DataFrame, min_n: int) -> pl.DataFrame:
    """Runs of at least ``min_n`` consecutive equal valid values of a series frame (a missing value ends
    a run): start, last (time of the run's last value), n, value; sorted by start."""
    f = frame.select("time", "value").with_columns(pl.col("value").rle_id().alias("run"))
    return (
        f.filter(pl.col("value").is_not_null())
        .group_by("run")
        .agg(
            pl.col("time").min().alias("start"),
            pl.col("time").max().alias("last"),
            pl.len().alias("n"),
            pl.col("value").first().alias("value"),
        )
        .filter(pl.col("n") >= min_n)
        .sort("start")
    )


def measured_only(s: Series) -> Series:
    """The series with only flag-N values kept: substitute (S), over-range (T) and every other flag is
    never evidence by itself (EPA Part 75 substitute data are long flat runs at a fixed value)."""
    f = s.frame.with_columns(
        pl.when(pl.col("flag").is_null() | (pl.col("flag") == "N"))
        .then(pl.col("value"))
        .otherwise(None)
        .alias("value")
    )
    return Series(s.code, s.kind, s.source, f, s.step)


HOLDING_SHARE = 0.3
"""An analyser whose valid readings repeat the previous one at least this often holds each result for
its measuring cycle (the profile's rule for ``FactorProfile.cycle_hours``)."""


def equal_runs(value: pl.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Runs of equal consecutive values of a grid series, a missing (null) row ending a run, found by
    index: (new, heads, tails), ``new[i]`` when row i starts a run (every missing row does), ``heads`` and
    ``tails`` the first and last row of each run of values (a run's valid rows are consecutive). None
    for values that are not floats or hold NaN, whose equality numpy and polars might not share (R20
    then groups by polars' run numbers; ``PointData`` series hold no NaN: it segregates them)."""
    if value.dtype != pl.Float64 or value.is_nan().any():
        return None
    missing = value.is_null().to_numpy()
    values = value.to_numpy()  # NaN where missing: those rows start runs by ``missing`` anyway
    new = np.ones(missing.size, dtype=bool)  # the first row starts a run
    with np.errstate(invalid="ignore"):
        new[1:] = missing[1:] | missing[:-1] | (values[1:] != values[:-1])
    kept = np.flatnonzero(~missing)
    first = np.flatnonzero(new[kept])  # positions in ``kept`` where a run starts
    last = np.append(first[1:], kept.size)[: first.size] - 1  # no run: none
    return new, kept[first], kept[last]


def held_share(values: pl.Series) -> float:
    """Share of consecutive valid values equal to the previous one (0 with fewer than two)."""
    v = values.drop_nulls()
    if v.len() < 2:
        return 0.0
    if v.dtype.is_float() or v.dtype.is_integer():
        # numpy on the values (zero-copy): the same differences and share as polars' diff() == 0, in a
        # fifth of the time (R01 asks for it once per identical run of a minute series: 0.3 CPU-s of
        # R01 on bench city, 32 points x 30 days). The difference, not a == b, so that inf - inf (NaN)
        # is not a hold, as in polars.
        a = v.to_numpy()
        with np.errstate(all="ignore"):  # inf - inf and overflow, silently, as in polars
            held = np.count_nonzero((a[1:] - a[:-1]) == 0)
        return float(held) / (a.size - 1)
    share = (v.diff().drop_nulls() == 0).mean()
    return float(share) if isinstance(share, int | float) else 0.0


def holds_results(s: Series, data: PointData, values: pl.Series | None = None) -> bool:
    """Whether the factor's analyser holds each result for a measuring cycle: its profile says so
    (``cycle_hours``), else the window's own values (``values``, default the series' valid values)
    repeat at least ``HOLDING_SHARE`` of the time. Its distinct values are then its measurements."""
    fp = data.profile.factor(s.code) if data.profile else None
    if fp is not None and fp.cycle_hours is not None:
        return True
    return held_share(s.valid["value"] if values is None else values) >= HOLDING_SHARE


def measurements(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows of a time-sorted ``time``/``value`` frame that start a new value: one row per result of
    an analyser that holds it (a value held for three days is one measurement, not 72)."""
    return frame.filter(pl.col("value").ne_missing(pl.col("value").shift(1)))


def output_step(s: Series, data: PointData) -> float:
    """The factor's output step: the profile's quantum, else the window's (0 for unquantised values)."""
    fp = data.profile.factor(s.code) if data.profile else None
    if fp is not None and fp.quantum:
        return fp.quantum
    return quantum_of(s.valid["value"])


def upper_limit(spec: FactorSpec) -> float | None:
    """The factor's emission limit when it is an upper one (None without a limit or for a band, pH 6-9)."""
    return spec.limit if spec.limit is not None and spec.limit > 0 and spec.limit_low is None else None


def serves_no_falsifier(code: str, value: float, data: PointData, motive_fraction: float) -> str | None:
    """Why a value held by one factor serves no falsifier (a sentence for the finding), or None.

    Falsification holds a value that reports less (below the limit, at a usual level) where the real
    values would come near the limit. A value held at or above the emission limit, or above the highest
    value of the point's clean history, reports more: an analyser or flow meter stuck high or saturated
    (measured in bench detect: a Tilburg inflow meter held 23,703 m3/h, above its history's maximum of
    20,029, for 148 h during a storm period). A factor whose clean history never reached
    ``motive_fraction`` of its limit has nothing near the limit to hide (R01 and R20 alike: a real
    nitrate sensor stuck at 1.2 mg/L for days, limit 15).
    """
    upper = upper_limit(data.context.factor(code))
    if upper is not None and value >= upper:
        return messages.NO_FALSIFIER_ABOVE_LIMIT.format(limit=fmt(upper))
    fp = data.profile.factor(code) if data.profile else None
    if fp is not None and fp.maximum is not None and value > fp.maximum:
        return messages.NO_FALSIFIER_ABOVE_HISTORY.format(maximum=fmt(fp.maximum))
    if (
        upper is not None
        and fp is not None
        and fp.maximum is not None
        and fp.maximum < motive_fraction * upper
    ):
        return messages.NO_FALSIFIER_FAR_BELOW_LIMIT.format(
            maximum=fmt(fp.maximum), limit=fmt(upper), share=pct(fp.maximum / upper)
        )
    return None
