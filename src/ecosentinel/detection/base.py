"""The rule framework: data preparation (the plumbing) and the rule base classes (template method).

The base classes do what every rule needs, so a rule writes only its core:

* pick the factors a rule applies to and, per factor, the preferred data kind and source
  (platform > data logger > analyser: the platform's copy is what enforcement relies on);
* sort by time, drop exact duplicates, and put hour/minute/day series on a regular grid so that an
  absent interval is an explicit missing row;
* segregate rows flagged C/M/D/F/P/B (calibration, maintenance, fault, stopped, power failure,
  communication fault; HJ 212 flags, HJ 75 / HJ 356 validity rules): their ``value`` becomes null and
  the original stays in ``raw`` and ``flag``, so rules treat them as missing and the flag-abuse rule
  (R16) still sees them;
* resolve the rule's parameters for the point and factor from the layered configuration.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.config import P, RuleParams, ScreeningConfig
from ecosentinel.detection.context import (
    AUXILIARY_CODES,
    FLOW_CODES,
    KNOWN_POLLUTANTS,
    O2_CODE,
    WC_PRODUCTION,
    WC_TREATMENT,
    PointContext,
    PointType,
)
from ecosentinel.detection.findings import Finding, Severity, cst_text
from ecosentinel.detection.profile import CalibratedLevel, PointProfile, State, operating_states, us_view
from ecosentinel.readings import DataKind, Source

logger = logging.getLogger(__name__)

SEGREGATED_FLAGS = frozenset({"C", "M", "D", "F", "P", "B"})
"""Flags whose rows are not valid measurements; rules see their value as missing."""
SOURCE_PREFERENCE = (Source.PLATFORM.value, Source.LOGGER.value, Source.ANALYSER.value)
KIND_STEP: dict[str, dt.timedelta] = {
    DataKind.HOUR.value: dt.timedelta(hours=1),
    DataKind.DAY.value: dt.timedelta(days=1),
}
_SERIES_COLUMNS = ["time", "value", "raw", "flag", "vmin", "vmax", "zs", "cou"]
O2_CONVERTIBLE_BELOW = 20.5
"""O2 (%) at or above which the reference-O2 conversion is undefined (the duct holds air)."""


@dataclass(frozen=True, slots=True)
class Series:
    """One factor, one data kind, one source, sorted by time.

    ``frame`` columns: time, value (null when missing or segregated), raw (value as received),
    flag (null for a grid row that was never received), vmin, vmax, zs, cou.
    ``step`` is the grid step for hour/minute/day data, None for irregular data (real-time, cycles).
    """

    code: str
    kind: DataKind
    source: str
    frame: pl.DataFrame
    step: dt.timedelta | None
    _valid: list[pl.DataFrame] = field(default_factory=list, init=False, repr=False, compare=False)
    """``valid``, once computed (rules ask for it about 60 times per point; frames are immutable)."""

    @property
    def valid(self) -> pl.DataFrame:
        """Rows with a usable value."""
        if not self._valid:
            # no missing value (a gap-free series without flags): the frame itself, no filter to run
            f = self.frame
            self._valid.append(f if not f["value"].null_count() else f.filter(pl.col("value").is_not_null()))
        return self._valid[0]

    @property
    def n_valid(self) -> int:
        return self.frame.height - self.frame["value"].null_count()


def _regular(frame: pl.DataFrame, step: dt.timedelta) -> pl.DataFrame:
    """Insert explicit missing rows for absent grid intervals (off-grid rows are kept as they are)."""
    if frame.height < 2:
        return frame
    first, last = frame["time"].min(), frame["time"].max()
    if not isinstance(first, dt.datetime) or not isinstance(last, dt.datetime):
        return frame
    if (last - first) / step > 10_000_000:
        return frame
    # Fast path: every (unique) time on the grid and as many rows as grid points -> nothing is missing.
    step_us = step // dt.timedelta(microseconds=1)
    epoch = _epoch_us(frame["time"])
    if (
        step_us > 0
        and frame.height == (last - first) // step + 1
        and _strictly_increasing(frame["time"])
        and bool(np.all((epoch - epoch.min()) % step_us == 0))
    ):
        return frame
    missing = _missing_grid(epoch, step_us) if step_us > 0 and not frame["time"].null_count() else None
    if missing is None:
        grid = pl.DataFrame(
            {"time": pl.datetime_range(first, last, step, time_unit="us", time_zone="UTC", eager=True)}
        )
        missing = grid.join(frame.select("time"), on="time", how="anti")
    if missing.height == 0:
        return frame
    return pl.concat([frame, missing], how="diagonal").sort("time")


def _epoch_us(times: pl.Series) -> np.ndarray:
    """``times.dt.epoch("us")`` as a numpy array, for a time column without nulls (every ``Series``
    time is one). A microsecond column is viewed as its integers, zero-copy: the polars expression cost
    about 50 us per call on a week of minutes, and ``_regular`` asks for it per series."""
    us = us_view(times)
    return us if us is not None else times.dt.epoch("us").to_numpy()


def _missing_grid(epoch: np.ndarray, step_us: int) -> pl.DataFrame:
    """The grid times from the first time to the last, every ``step_us`` microseconds, that no row has
    (``epoch``: the rows' times in microseconds, no nulls), as a ``time`` frame in time order.

    The grid times ``datetime_range`` gives, minus an anti-join with the rows, by marking the on-grid
    rows' grid indices in a boolean array: a minute series with a gap cost 1.2 ms for the range and
    the hash join, 0.3 ms this way (238 series on bench city, 32 points x 30 days)."""
    times = epoch
    first = int(times.min())
    offsets = times - first
    on_grid = offsets[offsets % step_us == 0] // step_us
    present = np.zeros((int(times.max()) - first) // step_us + 1, dtype=bool)
    present[on_grid] = True
    absent = first + np.flatnonzero(~present).astype(np.int64) * step_us
    return pl.DataFrame({"time": pl.Series("time", absent, dtype=pl.Int64).cast(pl.Datetime("us", "UTC"))})


def _strictly_increasing(times: pl.Series) -> bool:
    """Sorted with no repeated time (cheap: one comparison of neighbours in numpy, no hashing; the
    polars diff cost three expression calls per series built)."""
    if times.len() < 2:
        return True
    if times.null_count():
        return False
    if isinstance(times.dtype, pl.Datetime):
        t = times.to_numpy()  # datetime64, zero-copy
        return bool(np.all(t[1:] > t[:-1]))
    return bool((times.diff().drop_nulls() > dt.timedelta(0)).all())


def _minute_step(times: pl.Series) -> dt.timedelta | None:
    """The median step between consecutive times (None when it is not positive).

    numpy on a microsecond column without nulls (what ``_build`` passes): polars' median of the
    durations is the float median of their microseconds, truncated to a whole microsecond, which
    ``int(np.median(...))`` reproduces for the positive medians returned (three polars calls per minute
    series before)."""
    view = us_view(times)
    if view is not None and times.len() > 1:
        median_us = float(np.median(np.diff(view)))
        if not median_us >= 1.0:  # no whole positive microsecond (polars truncates: None below)
            return None
        return dt.timedelta(microseconds=int(median_us))
    diffs = times.diff().drop_nulls()
    if diffs.len() == 0:
        return None
    median = diffs.median()
    if not isinstance(median, dt.timedelta) or median <= dt.timedelta(0):
        return None
    return median


def split_contiguous(frame: pl.DataFrame, keys: Sequence[str]) -> dict[tuple[Any, ...], pl.DataFrame]:
    """``frame.partition_by(keys, as_dict=True, maintain_order=True)``, by zero-copy slices when every
    key combination occupies one contiguous run of rows (a sorted frame; copying every group out of a
    chunk of points cost as much as a rule); otherwise by ``partition_by``. Same groups, same order."""
    if frame.height == 0:
        return {}
    starts, heads = _key_runs(frame, keys)
    if len(set(heads)) != len(heads):
        return {
            tuple(k): part
            for k, part in frame.partition_by(list(keys), as_dict=True, maintain_order=True).items()
        }
    ends = [*starts[1:], frame.height]
    return {head: frame.slice(a, b - a) for head, a, b in zip(heads, starts, ends, strict=True)}


def _key_runs(frame: pl.DataFrame, keys: Sequence[str]) -> tuple[list[int], list[tuple[Any, ...]]]:
    """The first row of every run of rows with equal ``keys`` (a null equal to a null) and the keys of
    each run, in row order (a non-empty frame)."""
    first = pl.int_range(pl.len()) == 0
    changed = pl.any_horizontal(first, *(pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys))
    starts: list[int] = frame.select(changed.arg_true())[:, 0].to_list()
    return starts, frame.select(keys)[starts].rows()


_SERIES_KEYS = ("code", "kind", "source")


def _series_sorted(frame: pl.DataFrame) -> bool:
    """Whether ``frame`` is in the order ``sort("code", "kind", "source", "time")`` gives it, with no
    two rows tied on those keys (so the sort could not reorder anything): no nulls in them, each
    (code, kind, source) one run of rows, the runs in increasing key order, times strictly increasing
    within a run."""
    if frame.height < 2:
        return True
    if any(frame[c].null_count() for c in (*_SERIES_KEYS, "time")):
        return False
    marks = frame.select(
        pl.any_horizontal(*(pl.col(k) != pl.col(k).shift(1) for k in _SERIES_KEYS))
        .fill_null(True)
        .alias("start"),
        (pl.col("time") > pl.col("time").shift(1)).alias("later"),
    )
    start = marks["start"]
    if not bool((start | marks["later"]).all()):
        return False
    heads = frame.select(_SERIES_KEYS)[start.arg_true()].rows()
    # Python compares str by code point, the order polars sorts UTF-8 strings in
    return all(a < b for a, b in itertools.pairwise(heads))


def epoch_us(t: dt.datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (polars' ``dt.epoch("us")``)."""
    return (t - _EPOCH) // dt.timedelta(microseconds=1)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PointData:
    """The readings of one point, prepared once and shared by all rules (built by ``screen_point``)."""

    def __init__(self, frame: pl.DataFrame, context: PointContext) -> None:
        self.context = context
        frame = with_converted(frame, context)
        # a store read is sorted already (by mn, code, kind, source, time): checking is cheaper than
        # sorting again (measured on a minute month of one point, 343,000 rows: 13 -> 1.5 CPU-ms)
        self.frame = frame if _series_sorted(frame) else frame.sort("code", "kind", "source", "time")
        self._cache: dict[tuple[str, str, str], Series | None] = {}
        self._sources: dict[tuple[str, str], str | None] = {}
        self._lists: dict[tuple[str, str, str], tuple[list[dt.datetime], list[float]]] = {}
        # One pass splits the sorted frame into (code, kind, source) runs of rows: building a series then
        # touches only its own rows (a zero-copy slice) instead of filtering the whole point-window, or
        # its (code, kind) part by source, again for every series a rule asks for; the sources present
        # come from the same pass instead of a unique() per part.
        self._parts: dict[tuple[str, str], pl.DataFrame] = {}
        self._source_parts: dict[tuple[str, str, Any], pl.DataFrame] = {}
        self._present: dict[tuple[str, str], list[Any]] = {}
        if self.frame.height:
            starts, heads = _key_runs(self.frame, _SERIES_KEYS)
            ends = [*starts[1:], self.frame.height]
            spans: dict[tuple[str, str], tuple[int, int]] = {}
            for (code, kind, source), a, b in zip(heads, starts, ends, strict=True):
                key = (str(code), str(kind))
                self._source_parts[(*key, source)] = self.frame.slice(a, b - a)
                self._present.setdefault(key, []).append(source)
                spans[key] = (spans.get(key, (a, b))[0], b)  # the frame is sorted: a part is one run
            self._parts = {key: self.frame.slice(a, b - a) for key, (a, b) in spans.items()}
        self.codes: tuple[str, ...] = tuple(sorted({code for code, _ in self._parts}))
        self._states: pl.DataFrame | None = None

    @property
    def profile(self) -> PointProfile | None:
        """The point's calibration (None: rules use their constants)."""
        return self.context.profile

    def states(self) -> pl.DataFrame:
        """Hourly operating states (``hour``, ``state``: running / stopped / startup / unknown) from the
        profile's operating model applied to this window's signal; empty without a profile."""
        if self._states is None:
            profile = self.context.profile
            signal = None
            if profile is not None and profile.operating.signal is not None:
                signal = self.series(profile.operating.signal, (DataKind.MINUTE, DataKind.HOUR, DataKind.RTD))
            if profile is None or signal is None:
                self._states = pl.DataFrame(schema={"hour": pl.Datetime("us", "UTC"), "state": pl.Utf8()})
            else:
                self._states = operating_states(signal.valid.select("time", "value"), profile.operating)
        return self._states

    def state_share(self, start: dt.datetime, end: dt.datetime, state: State) -> float | None:
        """Share of the hours in [start, end) in ``state``; None when the states are unknown."""
        return self.state_shares([(start, end)], state)[0]

    def state_shares(
        self, spans: Sequence[tuple[dt.datetime, dt.datetime]], state: State
    ) -> list[float | None]:
        """``state_share`` of many spans at once: the hours whose hour starts within 59 minutes before a
        span's start up to its end, known states only (cumulative counts and binary search over the
        sorted hours, not one filter of the states per span: R01 asks for every identical run)."""
        st = self.states()
        if st.height == 0 or not spans:
            return [None] * len(spans)
        st = st.sort("hour")
        hours = st["hour"].dt.epoch("us").to_numpy()
        known = (st["state"] != State.UNKNOWN.value).fill_null(False).to_numpy()
        hit = (st["state"] == state.value).fill_null(False).to_numpy() & known
        n_known = np.concatenate(([0], np.cumsum(known)))
        n_hit = np.concatenate(([0], np.cumsum(hit)))
        lead = dt.timedelta(minutes=59)
        lo = np.searchsorted(hours, [epoch_us(a - lead) for a, _ in spans], side="left")
        hi = np.searchsorted(hours, [epoch_us(b) for _, b in spans], side="left")
        known_in = n_known[hi] - n_known[lo]
        hit_in = n_hit[hi] - n_hit[lo]
        return [float(h) / float(k) if k > 0 else None for h, k in zip(hit_in, known_in, strict=True)]

    def factor_codes(self, roles: Iterable[str]) -> list[str]:
        """Codes present in the frame that play one of the roles: pollutant, flow, auxiliary, wc."""
        wanted = set(roles)
        return [c for c in self.codes if factor_role(c, self.context) in wanted]

    def rows(self, code: str, kind: DataKind) -> pl.DataFrame | None:
        """The point's rows of one factor and data kind, every source, as received (not prepared), sorted
        by source, then time (slices of the frame sorted by code, kind, source, time)."""
        return self._parts.get((code, kind.value))

    def kinds_of(self, code: str) -> set[str]:
        return {kind for c, kind in self._parts if c == code}

    def series(self, code: str, kinds: Sequence[DataKind], source: str | None = None) -> Series | None:
        """The first of ``kinds`` that has data for ``code``, from the preferred source."""
        for kind in kinds:
            # cached under the source actually used, so a rule asking for the platform's copy by name
            # shares the series another rule got by preference (it was built twice before)
            src = source if source is not None else self._preferred_source(code, kind)
            if src is None:
                continue
            key = (code, kind.value, src)
            if key not in self._cache:
                self._cache[key] = self._build(code, kind, src)
            found = self._cache[key]
            if found is not None:
                return found
        return None

    def _preferred_source(self, code: str, kind: DataKind) -> str | None:
        """Platform > data logger > analyser among the sources holding rows of (code, kind)."""
        key = (code, kind.value)
        if key not in self._sources:
            sources = self._present.get(key)
            if not sources:
                self._sources[key] = None
            else:
                present = set(sources)
                self._sources[key] = next((s for s in SOURCE_PREFERENCE if s in present), sorted(present)[0])
        return self._sources[key]

    def valid_lists(self, series: Series) -> tuple[list[dt.datetime], list[float]]:
        """Times and values of the series' valid rows as Python lists (for bisect look-ups), cached."""
        key = (series.code, series.kind.value, series.source)
        found = self._lists.get(key)
        if found is None:
            v = series.valid
            found = (v["time"].to_list(), v["value"].to_list())
            self._lists[key] = found
        return found

    def cycles(self, code: str) -> Series | None:
        """Analyser measuring-cycle results (one row per cycle).

        The analyser's own real-time log if present; otherwise real-time values from the platform or
        logger with consecutive repeats collapsed (a water analyser's value is held between cycles).
        """
        own = self.series(code, [DataKind.RTD], source=Source.ANALYSER.value)
        if own is not None:
            return own
        rtd = self.series(code, [DataKind.RTD])
        if rtd is None:
            return None
        f = rtd.frame.filter(
            pl.col("raw").is_null()
            | (pl.col("raw") != pl.col("raw").shift(1))
            | (pl.col("flag") != pl.col("flag").shift(1))
            | pl.col("raw").shift(1).is_null()
        )
        return Series(code, DataKind.RTD, rtd.source, f, None)

    def _build(self, code: str, kind: DataKind, source: str | None) -> Series | None:
        if source is None:
            source = self._preferred_source(code, kind)
            if source is None:
                return None
        # the frame is sorted by code, kind, source: the source's rows are one slice of it
        rows = self._source_parts.get((code, kind.value, source))
        if rows is None or rows.height == 0:
            return None
        time = pl.col("time")
        if _strictly_increasing(rows["time"]):  # store reads are sorted and unique: skip the hash
            time = time.set_sorted()  # keep polars' sorted fast paths
        else:
            rows = rows.unique(subset=["time"], keep="last", maintain_order=True).sort("time")
        flag = pl.col("flag").fill_null("N")
        f = rows.select(  # _SERIES_COLUMNS
            time,
            pl.when(flag.is_in(list(SEGREGATED_FLAGS)) | pl.col("value").is_nan())
            .then(None)
            .otherwise(pl.col("value"))
            .alias("value"),
            pl.col("value").alias("raw"),
            flag.alias("flag"),
            "vmin",
            "vmax",
            "zs",
            "cou",
        )
        step: dt.timedelta | None = KIND_STEP.get(kind.value)
        if kind is DataKind.MINUTE:
            step = _minute_step(f["time"])
        if step is not None:
            f = _regular(f, step)
        return Series(code, kind, source, f, step)


def with_converted(frame: pl.DataFrame, context: PointContext) -> pl.DataFrame:
    """Flue-gas rows without a reported O2-converted value (``zs``) get one computed from the O2 of the
    same time, kind and source: ``C × (21 − ref_o2) / (21 − O2)`` (HJ 75-2017 折算浓度).

    Limits apply to the converted concentration. A logger sends it (ZsRtd, ZsAvg), but a CSV export of
    history often has the measured value and O2 only; comparing the measured value with the limit would
    judge every rule's "near the limit" on the wrong number (measured on the EPA CEMS units imported
    without it: clean point-days yellow 0.28 % → 1.56 %, clipping under the limit no longer found).
    Only pollutants of a gas point with a reference O2, only where O2 is a valid measurement (not
    segregated, below ``O2_CONVERTIBLE_BELOW``); a reported ``zs`` is never replaced, so R08's check of
    reported against recomputed values still compares what the logger sent.
    """
    ref = context.ref_o2
    if (
        context.point_type is not PointType.GAS
        or ref is None
        or frame.height == 0
        or "zs" not in frame.columns
        or frame["zs"].null_count() == 0
    ):
        return frame
    codes = frame["code"].unique().to_list()
    if O2_CODE not in codes:
        return frame
    pollutants = [c for c in codes if factor_role(c, context) == "pollutant"]
    if not pollutants:
        return frame
    need = pl.col("zs").is_null() & pl.col("value").is_not_null() & pl.col("code").is_in(pollutants)
    if not frame.select(need.any()).item():
        return frame
    keys = ["time", "kind", "source"]
    o2 = (
        frame.filter(
            (pl.col("code") == O2_CODE)
            & (pl.col("value") < O2_CONVERTIBLE_BELOW)
            & (pl.col("value") >= 0)
            & ~pl.col("flag").fill_null("N").is_in(list(SEGREGATED_FLAGS))
        )
        .select(*keys, pl.col("value").alias("_o2"))
        .unique(subset=keys, keep="last")
    )
    if o2.height == 0:
        return frame
    joined = frame.join(o2, on=keys, how="left", maintain_order="left")
    return joined.with_columns(
        pl.when(need & pl.col("_o2").is_not_null())
        .then(pl.col("value") * (21.0 - ref) / (21.0 - pl.col("_o2")))
        .otherwise(pl.col("zs"))
        .alias("zs")
    ).drop("_o2")


def factor_role(code: str, context: PointContext) -> str:
    """``wc`` (working condition), ``flow``, ``auxiliary`` or ``pollutant``."""
    if code in (WC_PRODUCTION, WC_TREATMENT) or code.startswith("wc_"):
        return "wc"
    if code in FLOW_CODES:
        return "flow"
    if code in AUXILIARY_CODES:
        return "auxiliary"
    if code in KNOWN_POLLUTANTS or context.factor(code).limit is not None:
        return "pollutant"
    return "auxiliary"


def true_runs(mask: pl.Series) -> list[tuple[int, int]]:
    """Index ranges [first, last] of consecutive True values (nulls count as False)."""
    if mask.dtype == pl.Boolean and not mask.null_count():
        m = mask.to_numpy()  # most masks: no fill or cast needed (two polars calls each, per series)
    else:
        m = mask.fill_null(False).cast(pl.Boolean).to_numpy()
    if m.size == 0 or not m.any():
        return []
    edges = np.diff(np.concatenate(([0], m.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


class Rule(ABC, Generic[P]):
    """A screening rule. Subclass ``FactorRule`` or ``PointRule``, not this.

    Class attributes every rule sets: ``code`` (``R04_post_exceedance_drop``), ``title_zh``,
    ``title_en``, ``params_model`` (a ``RuleParams`` subclass with sourced defaults), and optionally
    ``point_types`` (which point types the rule applies to) and ``context_series``.
    """

    code: ClassVar[str]
    title_zh: ClassVar[str]
    title_en: ClassVar[str]
    params_model: ClassVar[type[RuleParams]]
    point_types: ClassVar[frozenset[PointType]] = frozenset({PointType.WATER, PointType.GAS})
    context_series: ClassVar[tuple[str, ...]] = ()
    """Reading codes besides a finding's own factors that its evidence rests on (working-condition power,
    O2, flow): the series an inspector needs beside the pollutant to see the finding (e.g. R10's
    treatment-power curve). Evidence packs extract and chart them; a point without them simply lacks them."""

    @abstractmethod
    def screen(self, data: PointData, config: ScreeningConfig) -> list[Finding]:
        """Run the rule on one point (plumbing; implemented by FactorRule / PointRule)."""

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """Trigger levels from the point's clean history ``data`` (calibration.build_profile).

        Default: none (the rule keeps its constants). A calibrated rule computes its statistic per
        history unit and returns ``calibration.budget_level(...)`` results.
        """
        return []

    def finding(
        self,
        context: PointContext,
        *,
        factors: Sequence[str],
        start: dt.datetime,
        end: dt.datetime,
        severity: Severity,
        score: float,
        evidence: dict[str, Any],
        variant: str = "default",
        **message_fields: Any,
    ) -> Finding:
        """Build a finding; the explanation comes from ``messages`` (template ``self.code``/``variant``)."""
        text = messages.explain(
            self.code,
            variant,
            title=self.title_zh,
            start=cst_text(start),
            end=cst_text(end),
            factors="、".join(messages.factor_name(c) for c in factors),
            **message_fields,
        )
        evidence = {"kind": variant, **evidence}
        return Finding(
            mn=context.mn,
            rule=self.code,
            factors=tuple(factors),
            start=start,
            end=end,
            severity=severity,
            score=float(min(1.0, max(0.0, score))),
            evidence=evidence,
            explanation_zh=text,
        )


class FactorRule(Rule[P]):
    """A rule that looks at one factor at a time: write ``detect`` over one prepared ``Series``.

    ``kinds`` is the data-kind preference (the first kind with data is used); ``roles`` the factor
    roles it applies to. Parameters are resolved per factor, so they can be overridden per factor.
    """

    kinds: ClassVar[tuple[DataKind, ...]] = (DataKind.HOUR,)
    roles: ClassVar[frozenset[str]] = frozenset({"pollutant"})

    def screen(self, data: PointData, config: ScreeningConfig) -> list[Finding]:
        out: list[Finding] = []
        for code in data.factor_codes(self.roles):
            params: P = config.params_for(self, data.context, code)
            if not params.enabled:
                continue
            series = data.series(code, self.kinds)
            if series is None:
                continue
            out.extend(self.detect(series, params, data))
        return out

    @abstractmethod
    def detect(self, series: Series, params: P, data: PointData) -> list[Finding]:
        """The rule's core over one factor's series."""


class PointRule(Rule[P]):
    """A rule that needs several series of the point at once (dilution, O2, working condition)."""

    def screen(self, data: PointData, config: ScreeningConfig) -> list[Finding]:
        params: P = config.params_for(self, data.context, None)
        if not params.enabled:
            return []
        return self.detect(data, params, config)

    @abstractmethod
    def detect(self, data: PointData, params: P, config: ScreeningConfig) -> list[Finding]:
        """The rule's core over the whole point; ``config`` resolves per-factor parameters if needed."""
