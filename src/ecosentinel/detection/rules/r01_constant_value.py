"""R01 constant value / narrow band (恒值、小幅波动)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import FactorRule, PointData, Series, epoch_us, true_runs
from ecosentinel.detection.calibration import budget_level
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import PointType
from ecosentinel.detection.findings import Finding, Severity, iso, num
from ecosentinel.detection.messages import calibration_text, kind_name
from ecosentinel.detection.profile import CalibratedLevel, PointProfile, State, quantum_of
from ecosentinel.detection.rules._common import (
    cst_wall,
    equal_runs,
    fmt,
    identical_runs,
    measured_only,
    output_step,
    serves_no_falsifier,
    upper_limit,
)
from ecosentinel.readings import CST, DataKind, Source


class ConstantValueParams(RuleParams):
    """Thresholds of R01. [V] = published source, [P] = proposed default (research notes §1 R1)."""

    min_identical_hours: float = 24.0
    """[P] identical consecutive valid values over at least this many hours (gas hourly data)."""
    min_identical_cycles: int = 6
    """[P] identical consecutive analyser cycles (water analysers)."""
    min_steps_above_zero: float = 10.0
    """[P] ignore identical runs at values below this many resolution steps (integer-output ultra-low
    emitters, research notes R1 false-positive trap); the band and detection-limit checks cover them."""
    band_fraction: float = 0.02
    """[V] MEP 2012 field guide §7: data varying within 2% of the range for a long time."""
    band_hours: float = 72.0
    """[P] how long the 2%-of-range band must last."""
    dl_multiple: float = 2.0
    """[P] values held within [0, k·DL] count as 'around the detection limit' (MEP 2012 guide §7)."""
    dl_hours: float = 72.0
    """[P] how long values must stay near the detection limit."""
    min_coverage: float = 0.75
    """[P] share of a band window that must hold valid values (missing data never proves a band)."""
    own_variability_fraction: float = 0.1
    """[P] trap guard for the 2%-of-range band: the window's spread must also be at most this share of
    the factor's own median 72-h spread, so a point whose level is always low relative to its range
    (ultra-low emitters) is not flagged for being itself."""
    dl_min_typical_multiple: float = 3.0
    # The band check also skips windows whose maximum is within k x DL or below min_steps_above_zero
    # resolution steps: a band at that level cannot be told from an honest clean source.
    """[P] trap guard for the detection-limit check: only for points whose median level is at least this
    multiple of k x DL (a point that always reads near DL is an ultra-low emitter, not a fraud)."""
    calibrated_floor_hours: float = 4.0
    """[P] per-point calibration (profile): the identical-run level is never below this many hours, nor
    below ``calibrated_floor_values`` reported values, nor below ``min_identical_cycles`` measuring
    cycles of the point's analyser (its held runs)."""
    calibrated_floor_values: int = 24
    """[P] nor below this many consecutive reported values: research notes R1 "≥24 identical valid
    hourly values", read as a count, so 24 h of hourly data and 24 min of minute data (where the 4 h
    floor holds). Measured: with 12 values the Beijing series (a design background) got 12 more
    identical-run findings on CO quantised to 100 than with the 24 h constant."""
    calibrated_ceiling_hours: float = 168.0
    """[P] nor above a week: a history with a stuck analyser must not switch the rule off."""
    alone_ratio: float = 2.0
    """[P] an identical run of one factor that no other factor of the point shares, on a point whose own
    history holds stuck stretches (its calibrated level is above the floor: a sticky instrument), is
    medium only when it lasts at least this multiple of that level, and low (a clue: a stuck analyser
    or a logger repeating its last value looks the same) when shorter or when the point has no history.
    On a point whose history shows no stuck stretch (level at the floor) it stays medium/high.
    Measured in bench detect: stuck stretches of 50-185 h on a real effluent analyser and a flow meter
    repeating one value for 148 h made 13.8 % and 7.5 % of clean point-days yellow."""
    motive_fraction: float = 0.5
    """[P] a lone run of a factor whose clean history (the profile's maximum) never reached this share of
    its emission limit serves no falsifier either: nothing near the limit was there to hide, so the run
    is a clue (an instrument stuck or a probe fouled; the bureau still sees it, low). Measured in bench
    detect: a real Tilburg nitrate probe (limit 15 mg/L, its month's maximum 5.6) held 0.62 mg/L for 20 h
    and 1.19 for 15 h while NH4 moved, the only clean yellow days left on that background. A frozen
    factor that does approach its limit, or two factors frozen together, stay evidence."""
    window_history_days: float = 7.0
    """[P] a point without a profile is judged on the rest of the screening window instead, when it
    holds at least this many days of valid values of the factor (measured in bench detect: a Tilburg
    flow meter with no history held one full-precision value for 24 h, a first in its 29 other days,
    and stayed a clue)."""
    window_max_held_share: float = 0.05
    """[P] ... and only for a continuous instrument: at most this share of its other valid values repeat
    the previous one (measured in bench detect: a real effluent NH3-N analyser whose window showed no
    run over 23 h stuck for 71 h; its history holds 50-185 h runs, and it repeats a third of its
    values)."""
    window_max_run_cycles: float = 3.0
    """[P] ... or an analyser that holds each result for its measuring cycle (the window's median run
    of equal values, longer than one reporting step) whose longest other run in the window is at most
    this many cycles: it never repeated a result more than that, so a run of ``min_identical_cycles``
    cycles or more is unlike it (judged on max(floor, that many cycles)). Measured in bench detect:
    Tilburg's NH4 analyser holding each 60-minute result showed no run over 2 cycles in its first
    two weeks, and an injected 8-hour freeze there stayed a clue without a profile; the real effluent
    analyser above repeats results for 23 h in its window (11 of its 2-hour cycles) and keeps the clue."""
    sticky_fraction: float = 0.5
    """[P] a history whose budget quantile of daily longest runs reaches this share of the floor holds
    long runs of its own even though its level is the floor: the instrument does repeat itself (a
    coarse output step on a steady source), so a lone run is judged by ``alone_ratio`` as on a sticky
    instrument, not as a first. Measured in bench detect: US NOx rounded to a 10 mg/m3 step (a
    low-resolution analyser) held one value 14 h within a month, then 25-29 h; with the floor (24 h)
    read as "never stuck", those made 8 clean point-days yellow."""
    clue_score: float = 0.7
    """[P] the score of an unshared run judged low: weight 0.4 x 0.7 = 0.28 stays under yellow (0.3)
    alone; with another rule's finding on the day it adds up."""
    explained_score: float = 0.3
    """[P] the score of a run the finding explains itself as serving no falsifier (held above the limit
    or the point's maximum, or on a factor that never came near its limit: an instrument to check, not a
    falsification): weight 0.4 x 0.3 = 0.12, so with one other low clue of the day it stays green
    (measured through import and screen: a real nitrate sensor stuck at 1.2 mg/L for days, limit 15,
    beside a monthly bunching clue made four clean Tilburg minute point-days yellow)."""
    shared_overlap: float = 0.5
    """[P] another factor of the point (O2 included) identical over at least this share of the run:
    several analysers do not stick at once, a frozen logger output or a bottle on the sampling line
    does (the run is then judged on the threshold alone, as before)."""
    stopped_share: float = 0.5
    """[P] a run during which the source was stopped for at least this share of hours (operating state
    from the profile: power, flow, temperature or O2) is not a finding: a stopped source reads flat."""


class ConstantValueRule(FactorRule[ConstantValueParams]):
    """Catches a sample tube put in a bottle of clean water or standard solution (挂瓶/挂桶), a frozen or
    preset data-logger output, a data-hold function, or a stable diluted sample.

    Source: MEP 2012 污染源自动监控设施现场监督检查技术指南 §7 ("数据长期在检出限附近波动", "长期在某一
    固定值附近小幅波动", "长期在量程2%范围内变化"); seed 000 point 4 and BRIEF (constant values).
    Three checks per factor: (a) a run of exactly equal valid values; (b) a rolling (max − min) within
    2% of the filed range; (c) values held within k × detection limit. Flagged and missing values break
    runs and do not count toward a band's coverage.
    """

    code = "R01_constant_value"
    title_zh = "恒值或小幅波动"
    title_en = "Constant value or narrow band"
    params_model = ConstantValueParams
    kinds = (DataKind.MINUTE, DataKind.HOUR)
    roles = frozenset({"pollutant", "flow"})

    def detect(self, series: Series, params: ConstantValueParams, data: PointData) -> list[Finding]:
        series = measured_only(series)
        out = self._identical(series, params, data)
        if data.context.point_type is PointType.WATER:
            cycles = data.series(series.code, [DataKind.RTD], source=Source.ANALYSER.value)
            if cycles is not None:
                out.extend(self._identical_cycles(cycles, params, data))
        covered = [(f.start, f.end) for f in out]
        spec = data.context.factor(series.code)
        if spec.span:
            width = params.band_fraction * spec.span
            typical = self._typical_spread(series, params.band_hours)
            if typical is not None:
                width = min(width, params.own_variability_fraction * typical)
            out.extend(self._band(series, params, data, width=width, covered=covered))
        if spec.detection_limit:
            median = series.valid["value"].median()
            usual = float(median) if isinstance(median, int | float) else 0.0
            # with an output step above k x DL the only reading near the detection limit is zero (a
            # reading below one step): R02's business, and nothing the near-DL check could tell apart
            # (measured in bench detect: Beijing CO rounded to 1000 ug/m3 with DL 100 read 0 for 73 h of
            # clean air, a near-DL clue beside R02's zeros that made clean days yellow)
            coarse = output_step(series, data) > params.dl_multiple * spec.detection_limit
            if (
                usual >= params.dl_min_typical_multiple * params.dl_multiple * spec.detection_limit
                and not coarse
            ):
                out.extend(self._near_dl(series, params, data, spec.detection_limit, covered))
        return out

    def _runs(
        self, s: Series, p: ConstantValueParams, data: PointData
    ) -> list[tuple[dt.datetime, dt.datetime, int, float]]:
        """Identical runs (start, end, count, value) that may be evidence: >= 2 values, above the
        resolution and detection-limit guards, not zero or negative (R02's business; a stopped source
        reads 0) and not during a stop (operating state from the profile)."""
        runs = identical_runs(s.frame, 2)
        step = s.step or dt.timedelta(0)
        profiled = data.profile.factor(s.code) if data.profile else None
        resolution = profiled.quantum if profiled is not None else quantum_of(s.frame["value"])
        dl = data.context.factor(s.code).detection_limit
        kept = []
        for start, last, n, value in runs.select("start", "last", "n", "value").iter_rows():
            if value <= 0:
                continue
            if resolution > 0 and abs(value) < p.min_steps_above_zero * resolution:
                continue
            if dl is not None and abs(value) <= p.dl_multiple * dl:
                # at the detection limit an honest clean source reads one value for days (Beijing SO2 at
                # 2 with DL 3: 63 identical-run findings); the near-DL check's business, as for the band
                continue
            kept.append((start, last + step, int(n), float(value)))
        # runs while the source was stopped for most of them (profile's operating state) are not
        # evidence: a stopped source reads flat (all runs' shares in one pass). Except where the state is
        # read from this very factor: a frozen value cannot testify that the source stopped (measured in
        # bench detect: a WWTP inflow frozen at 0.4 x its mean for 8 h read as 'stopped' by a flow-based
        # state whose on-level it fell under, while the aeration kept running)
        if data.profile is not None and data.profile.operating.signal == s.code:
            return kept
        shares = data.state_shares([(a, b) for a, b, _, _ in kept], State.STOPPED)
        return [
            run for run, share in zip(kept, shares, strict=True) if share is None or share < p.stopped_share
        ]

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """Level of ``identical_run_hours`` per factor: the longest evidence-grade identical run of each
        clean history day, its quantile at the budget (calibration.upper_quantile) plus one measuring
        cycle, between the floor (calibrated_floor_hours, calibrated_floor_values steps,
        min_identical_cycles cycles: the largest) and calibrated_ceiling_hours. Runs held at the
        history's maximum or at or over the limit are left out: a meter stuck high or saturated serves no
        falsifier and is no evidence in a window (``_common.serves_no_falsifier``), so it does not set
        the level for the runs that are (measured in bench detect: the Tilburg 2022 inflow meter held its
        full-scale 23,703 m3/h for 148 h, which set the month's level at the 168 h ceiling and hid a
        24-hour frozen flow in the month before it)."""
        out = []
        for code in data.factor_codes(self.roles):
            p: ConstantValueParams = config.params_for(self, data.context, code)
            s = data.series(code, self.kinds)
            fp = profile.factor(code)
            if s is None or fp is None or not p.enabled:
                continue
            s = measured_only(s)
            step_h = (fp.step_seconds or 3600.0) / 3600
            cycle = fp.cycle_hours or step_h
            longest: dict[dt.date, float] = {
                d: 0.0 for d in s.valid["time"].dt.convert_time_zone(CST.key).dt.date().unique().to_list()
            }
            limit, top = upper_limit(data.context.factor(code)), fp.maximum
            for start, end, _, value in self._runs(s, p, data):
                if (top is not None and value >= top) or (limit is not None and value >= limit):
                    # held at the top of the history (a meter stuck high or saturated) or over the limit:
                    # no evidence in a window (serves_no_falsifier), and not this instrument's usual holding
                    continue
                hours = (end - start).total_seconds() / 3600
                day, last = _cst_day(start), _cst_day(end - dt.timedelta(microseconds=1))
                while day <= last:
                    if day in longest:
                        longest[day] = max(longest[day], hours)
                    day += dt.timedelta(days=1)
            level = budget_level(
                "R01",
                "identical_run_hours",
                code,
                list(longest.values()),
                budget=budget,
                floor=max(_floor_hours(p, step_h), p.min_identical_cycles * cycle),
                default=p.min_identical_hours,
                margin=cycle,
                ceiling=p.calibrated_ceiling_hours,
                profile=profile,
            )
            if level is not None:
                out.append(level)
        return out

    def _shared_with(
        self, code: str, start: dt.datetime, end: dt.datetime, p: ConstantValueParams, data: PointData
    ) -> list[str]:
        """Other factors of the point (pollutants, flow, O2) identical over ``shared_overlap`` of
        [start, end)."""
        out = []
        need = p.shared_overlap * (end - start)
        for other in data.factor_codes(("pollutant", "flow", "auxiliary")):
            if other == code:
                continue
            s = data.series(other, self.kinds)
            if s is None:
                continue
            step = s.step or dt.timedelta(0)
            runs = identical_runs(measured_only(s).frame, 2)
            for a, last in runs.select("start", "last").iter_rows():
                overlap = min(end, last + step) - max(start, a)
                if overlap >= need:
                    out.append(other)
                    break
        return out

    def _identical(self, s: Series, p: ConstantValueParams, data: PointData) -> list[Finding]:
        calibrated = data.profile.level("R01", "identical_run_hours", s.code) if data.profile else None
        default_level = calibrated.level if calibrated is not None else p.min_identical_hours
        sticky = calibrated is not None and _sticky(calibrated, p)
        resolution = quantum_of(s.frame["value"])
        runs = self._runs(s, p, data)
        step_h = (s.step or dt.timedelta(hours=1)).total_seconds() / 3600
        floor = _floor_hours(p, step_h)
        out = []
        window: _Window | None = None
        for start, end, n, value in runs:
            duration = end - start
            if duration < dt.timedelta(hours=min(default_level, floor)):
                continue
            window_other = None
            hours_level = default_level
            if calibrated is None:
                # no history: the rest of the window may stand in for it (a continuous instrument that
                # never sticks there is judged on the calibration floor, as a history like it would be)
                window = window or _Window.of(s)
                window_other = self._window_longest(window, p, runs, start, end, floor, step_h)
                hours_level = window_other[2] if window_other is not None else default_level
            threshold = dt.timedelta(hours=hours_level)
            if duration < threshold:
                continue
            ratio = duration / threshold
            explained = False
            shared = self._shared_with(s.code, start, end, p, data)
            if shared:
                severity = Severity.HIGH if ratio >= 3 else Severity.MEDIUM
                alone = ""
            elif (reason := serves_no_falsifier(s.code, value, data, p.motive_fraction)) is not None:
                # a lone value held above the limit or above everything the point reported before
                # serves no falsifier (it reports more, not less): an instrument stuck or saturated;
                # nor does one of a factor that never came near its limit (nothing to hide)
                severity = Severity.LOW
                alone = messages.R01_UNSHARED + reason
                explained = True
            elif calibrated is not None and calibrated.level <= calibrated.floor and not sticky:
                # the point's own history shows no stuck stretch (its level is the floor): a first one,
                # as long as this, is unlike this instrument and stays evidence
                severity = Severity.HIGH if ratio >= 3 else Severity.MEDIUM
                alone = messages.R01_ALONE_NEVER
            elif window_other is not None:
                # no history yet, but the rest of this window (a week or more of this instrument)
                # holds no run near the floor: judged as a history that shows no stuck stretch
                severity = Severity.HIGH if ratio >= 3 else Severity.MEDIUM
                alone = messages.R01_ALONE_WINDOW.format(days=window_other[0], hours=fmt(window_other[1]))
            elif calibrated is not None and ratio >= p.alone_ratio:
                severity = Severity.MEDIUM
                alone = messages.R01_ALONE_LONG.format(ratio=fmt(round(ratio, 1)))
            elif calibrated is not None and sticky:
                severity = Severity.LOW
                alone = messages.R01_ALONE_STICKY.format(hours=fmt(round(calibrated.quantile or 0.0, 1)))
            else:
                severity = Severity.LOW
                alone = messages.R01_ALONE
            # a clue stays under yellow on its own (LOW weight 0.4 x score < yellow_at 0.3)
            score = 0.5 + 0.5 * min(1.0, (ratio - 1) / 2)
            if severity is Severity.LOW:
                score = min(score, p.explained_score if explained else p.clue_score)
            out.append(
                self.finding(
                    data.context,
                    factors=[s.code],
                    start=start,
                    end=end,
                    severity=severity,
                    score=score,
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": s.kind.value,
                        "value": value,
                        "count": n,
                        "hours": num(duration.total_seconds() / 3600, 2),
                        "threshold_hours": num(hours_level, 3),
                        "shared_with": shared,
                        "alone_ratio": None if shared else p.alone_ratio,
                        "resolution": resolution,
                        "calibration": calibrated.evidence() if calibrated is not None else None,
                        "window_longest_other_hours": None if window_other is None else window_other[1],
                        "comparison": "identical consecutive flag-N values for >= threshold_hours "
                        "(the point's calibrated level when it has a profile)",
                    },
                    variant="identical",
                    kind=_kind_zh(s.kind),
                    count=n,
                    value=fmt(value),
                    hours=fmt(duration.total_seconds() / 3600),
                    threshold=fmt(round(hours_level, 2)),
                    calibration=(
                        messages.R01_WINDOW_LEVEL.format(hours=fmt(hours_level))
                        if window_other is not None
                        else calibration_text(calibrated, "小时", p.min_identical_hours)
                    ),
                    shared=messages.r01_shared_text(shared) if shared else alone,
                )
            )
        return out

    def _window_longest(
        self,
        w: _Window,
        p: ConstantValueParams,
        runs: list[tuple[dt.datetime, dt.datetime, int, float]],
        start: dt.datetime,
        end: dt.datetime,
        floor: float,
        step_h: float,
    ) -> tuple[int, float, float] | None:
        """For a point without a profile: (days, hours, level hours) when the window outside
        [start, end) holds at least ``window_history_days`` days of valid values of an instrument that
        does not stick there (as a profile whose level is the floor would show), else None:

        * a continuous instrument (at most ``window_max_held_share`` repeated values) whose longest
          identical run plus one reporting step stays under the floor: judged on the floor;
        * an analyser holding each result for its cycle (median run of equal values) whose longest other
          run is at most ``window_max_run_cycles`` cycles: judged on max(floor, min_identical_cycles
          cycles), as its calibration would be.

        Coarse steps (a median run of one step) and sticky analysers need their history."""
        ia, ib = w.valid_cut(start, end)
        if (ia + w.n_valid - ib) * step_h < 24 * p.window_history_days:
            return None
        days = w.days_outside(ia, ib)
        if w.held_share_outside(ia, ib) > p.window_max_held_share:
            return self._window_held(w, p, start, end, days, floor, step_h)
        other = [(b - a).total_seconds() / 3600 for a, b, _, _ in runs if b <= start or a >= end]
        longest = max(other, default=0.0)
        if longest + step_h > floor:
            return None
        return days, round(longest, 2), floor

    def _window_held(
        self,
        w: _Window,
        p: ConstantValueParams,
        start: dt.datetime,
        end: dt.datetime,
        days: int,
        floor: float,
        step_h: float,
    ) -> tuple[int, float, float] | None:
        """``_window_longest`` for an analyser that holds its results: runs of equal values in
        consecutive grid rows outside [start, end) (a missing row or the judged run ends one)."""
        runs = w.held_runs_outside(start, end)
        if runs.size == 0:
            return None
        cycle_rows, longest_rows = float(np.median(runs)), float(runs.max())
        if cycle_rows <= 1:
            return None  # coarse steps, not a measuring cycle
        cycle, longest = cycle_rows * step_h, longest_rows * step_h
        if longest > p.window_max_run_cycles * cycle:
            return None  # it repeats results for longer in its window: a sticky analyser
        return days, round(longest, 2), max(floor, p.min_identical_cycles * cycle)

    def _identical_cycles(self, s: Series, p: ConstantValueParams, data: PointData) -> list[Finding]:
        runs = identical_runs(s.frame, p.min_identical_cycles)
        out = []
        for start, end, n, value in runs.select("start", "last", "n", "value").iter_rows():
            out.append(
                self.finding(
                    data.context,
                    factors=[s.code],
                    start=start,
                    end=end,
                    severity=Severity.HIGH if n >= 2 * p.min_identical_cycles else Severity.MEDIUM,
                    score=0.6 + 0.4 * min(1.0, (n / p.min_identical_cycles - 1)),
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": "analyser_cycles",
                        "value": value,
                        "count": n,
                        "threshold_cycles": p.min_identical_cycles,
                        "comparison": "identical consecutive analyser cycle results >= threshold_cycles",
                    },
                    variant="identical_cycles",
                    count=n,
                    value=fmt(value),
                    threshold=p.min_identical_cycles,
                )
            )
        return out

    def _typical_spread(self, s: Series, hours: float) -> float | None:
        """Median rolling (max - min) of the factor over windows of ``hours``."""
        if s.n_valid < 2:
            return None
        rolled = (
            s.frame.select("time", "value")
            .rolling(index_column="time", period=dt.timedelta(hours=hours))
            .agg((pl.col("value").max() - pl.col("value").min()).alias("spread"))
        )
        m = rolled["spread"].median()
        return float(m) if isinstance(m, int | float) and m > 0 else None

    def _windows(
        self, s: Series, hours: float, coverage: float, keep: pl.Expr
    ) -> list[tuple[dt.datetime, dt.datetime, float, float, int]]:
        """Maximal intervals made of rolling windows of ``hours`` whose stats satisfy ``keep``."""
        period = dt.timedelta(hours=hours)
        step = s.step or _median_step(s)
        if step is None or s.frame.height < 2:
            return []
        expected = period / step
        f = s.frame.select("time", "value")
        rolled = f.rolling(index_column="time", period=period).agg(
            pl.col("value").max().alias("hi"),
            pl.col("value").min().alias("lo"),
            pl.col("value").count().alias("n"),
        )
        first = f["time"][0]
        rolled = rolled.with_columns(
            (
                (pl.col("time") - period + step >= first)
                & (pl.col("n") >= coverage * expected)
                & pl.col("hi").is_not_null()
                & keep
            ).alias("ok")
        )
        out = []
        for a, b in true_runs(rolled["ok"]):
            window = rolled.slice(a, b - a + 1)
            start = window["time"][0] - period + step
            end = window["time"][-1] + step
            inside = f.filter(pl.col("time").is_between(start, end, closed="left"))["value"]
            out.append((start, end, float(inside.min()), float(inside.max()), int(inside.count())))  # type: ignore[arg-type]
        return out

    def _band(
        self,
        s: Series,
        p: ConstantValueParams,
        data: PointData,
        width: float,
        covered: list[tuple[dt.datetime, dt.datetime]],
    ) -> list[Finding]:
        spec = data.context.factor(s.code)
        out = []
        keep = (pl.col("hi") - pl.col("lo")) <= width
        floor = p.min_steps_above_zero * quantum_of(s.frame["value"])
        if spec.detection_limit:
            floor = max(floor, p.dl_multiple * spec.detection_limit)
        for start, end, lo, hi, n in self._windows(s, p.band_hours, p.min_coverage, keep):
            if any(a <= start and end <= b for a, b in covered):
                continue
            if hi <= floor:
                continue  # a band at resolution / detection-limit level: the near-DL check's business
            if _stopped(data, start, end, p):
                continue
            hours = (end - start).total_seconds() / 3600
            shared = hours >= 2 * p.band_hours and bool(self._shared_with(s.code, start, end, p, data))
            # an unshared band that serves no falsifier (over the limit or the history's maximum, or of a
            # factor never near its limit) is an instrument to check, as an identical run is
            reason = None if shared else serves_no_falsifier(s.code, hi, data, p.motive_fraction)
            out.append(
                self.finding(
                    data.context,
                    factors=[s.code],
                    start=start,
                    end=end,
                    # a band no other factor shares is a clue, as an unshared identical run is
                    severity=Severity.MEDIUM if shared else Severity.LOW,
                    score=p.explained_score
                    if reason is not None
                    else 0.4 + 0.3 * min(1.0, hours / p.band_hours - 1),
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": s.kind.value,
                        "min": lo,
                        "max": hi,
                        "count": n,
                        "band": num(hi - lo),
                        "range": [spec.range_low or 0.0, spec.range_high],
                        "threshold": num(width),
                        "comparison": f"rolling {p.band_hours} h (max - min) <= {p.band_fraction} x range",
                    },
                    variant="narrow_band",
                    hours=fmt(hours),
                    band=fmt(hi - lo),
                    span=fmt(spec.span or 0.0),
                    fraction=fmt(p.band_fraction * 100),
                    threshold=fmt(p.band_hours),
                    no_falsifier="" if reason is None else messages.NO_FALSIFIER_BUT + reason,
                )
            )
        return out

    def _near_dl(
        self,
        s: Series,
        p: ConstantValueParams,
        data: PointData,
        dl: float,
        covered: list[tuple[dt.datetime, dt.datetime]],
    ) -> list[Finding]:
        out = []
        keep = pl.col("hi") <= p.dl_multiple * dl
        for start, end, lo, hi, n in self._windows(s, p.dl_hours, p.min_coverage, keep):
            if any(a <= start and end <= b for a, b in covered) or _stopped(data, start, end, p):
                continue
            hours = (end - start).total_seconds() / 3600
            out.append(
                self.finding(
                    data.context,
                    factors=[s.code],
                    start=start,
                    end=end,
                    severity=Severity.LOW,
                    score=0.35,
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": s.kind.value,
                        "min": lo,
                        "max": hi,
                        "count": n,
                        "detection_limit": dl,
                        "threshold": num(p.dl_multiple * dl),
                        "comparison": f"rolling {p.dl_hours} h max <= {p.dl_multiple} x detection limit",
                    },
                    variant="near_detection_limit",
                    hours=fmt(hours),
                    dl=fmt(dl),
                    k=fmt(p.dl_multiple),
                    vmax=fmt(hi),
                    threshold=fmt(p.dl_hours),
                )
            )
        return out


def _stopped(data: PointData, start: dt.datetime, end: dt.datetime, p: ConstantValueParams) -> bool:
    """Whether the source was stopped for most of [start, end) (profile's operating state)."""
    share = data.state_share(start, end, State.STOPPED)
    return share is not None and share >= p.stopped_share


def _floor_hours(p: ConstantValueParams, step_h: float) -> float:
    """The identical-run floor in hours for a series reported every ``step_h`` hours: at least
    ``calibrated_floor_hours`` and ``calibrated_floor_values`` reported values (a holding analyser's
    calibration adds its measuring cycles)."""
    return max(p.calibrated_floor_hours, p.calibrated_floor_values * step_h)


def _cst_day(t: dt.datetime) -> dt.date:
    return t.astimezone(CST).date()


def _median_step(s: Series) -> dt.timedelta | None:
    diffs = s.frame["time"].diff().drop_nulls()
    m = diffs.median() if diffs.len() else None
    return m if isinstance(m, dt.timedelta) and m > dt.timedelta(0) else None


def _kind_zh(kind: DataKind) -> str:
    return kind_name(kind.value)


@dataclass(frozen=True, slots=True)
class _Window:
    """One series of the screening window, read once for R01's window check of every identical run
    (the rest of the window outside each run): a point without a profile asked for it per run, with a
    filter, a time-zone conversion and a run-length pass each time (2.4 of 8.4 CPU-s of all rules on
    bench city, 16 points x 30 days of minute data). Cumulative counts answer the same questions per run
    in O(1) (days, held share) or O(runs of the series) (held runs)."""

    valid_us: np.ndarray[Any, Any]
    """Times of the valid values (microseconds since the epoch, sorted)."""
    day_starts: np.ndarray[Any, Any]
    """Cumulative count of CST-day changes among the valid values (1 at the first value)."""
    day: np.ndarray[Any, Any]
    held_cum: np.ndarray[Any, Any]
    """``held_cum[i]``: valid values 1..i equal to the previous valid value (by difference, as
    ``_common.held_share``)."""
    values: np.ndarray[Any, Any]
    grid_us: np.ndarray[Any, Any]
    """Times of every grid row (valid or not)."""
    seg_start: np.ndarray[Any, Any]
    seg_end: np.ndarray[Any, Any]
    """Grid-row runs of one equal valid value (a missing row ends a run): [start, end) row indexes."""

    @property
    def n_valid(self) -> int:
        return int(self.valid_us.size)

    @staticmethod
    def of(s: Series) -> _Window:
        valid = s.valid
        values = valid["value"].cast(pl.Float64).to_numpy()
        day = cst_wall(valid["time"]).dt.date().cast(pl.Int32).to_numpy()
        changes = np.concatenate(([1], (day[1:] != day[:-1]).astype(np.int64))) if day.size else day
        with np.errstate(all="ignore"):  # inf - inf is no hold, as in polars' diff() == 0
            held = (values[1:] - values[:-1]) == 0
        held_cum = np.concatenate(([0], np.cumsum(held, dtype=np.int64))) if values.size else values
        grid = s.frame.select("time", "value")
        # PointData segregates NaN already; read as missing here too, so the runs are always found
        found = equal_runs(grid["value"].cast(pl.Float64).fill_nan(None))
        assert found is not None
        _, heads, tails = found
        return _Window(
            valid_us=valid["time"].dt.epoch("us").to_numpy(),
            day_starts=np.cumsum(changes) if day.size else day,
            day=day,
            held_cum=held_cum,
            values=values,
            grid_us=grid["time"].dt.epoch("us").to_numpy(),
            seg_start=heads,
            seg_end=tails + 1,
        )

    def valid_cut(self, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
        """Valid-value indexes [ia, ib) of the values inside [start, end)."""
        a, b = epoch_us(start), epoch_us(end)
        return int(np.searchsorted(self.valid_us, a, "left")), int(np.searchsorted(self.valid_us, b, "left"))

    def days_outside(self, ia: int, ib: int) -> int:
        """Distinct CST days of the valid values outside [ia, ib)."""
        n = self.n_valid
        before = int(self.day_starts[ia - 1]) if ia > 0 else 0
        after = int(self.day_starts[n - 1] - self.day_starts[ib]) + 1 if ib < n else 0
        shared = ia > 0 and ib < n and self.day[ia - 1] == self.day[ib]
        return before + after - int(shared)

    def held_share_outside(self, ia: int, ib: int) -> float:
        """``_common.held_share`` of the valid values outside [ia, ib), read as one sequence."""
        n = self.n_valid
        m = ia + n - ib
        if m < 2:
            return 0.0
        held = int(self.held_cum[ia - 1]) if ia > 0 else 0
        if ib < n:
            held += int(self.held_cum[n - 1] - self.held_cum[ib])
        if ia > 0 and ib < n:
            with np.errstate(all="ignore"):
                held += int(self.values[ib] - self.values[ia - 1] == 0)
        return held / (m - 1)

    def held_runs_outside(self, start: dt.datetime, end: dt.datetime) -> np.ndarray[Any, Any]:
        """Lengths (rows) of the runs of equal valid values in consecutive grid rows, the rows inside
        [start, end) cut out (a run across the cut counts as its two pieces)."""
        ja = int(np.searchsorted(self.grid_us, epoch_us(start), "left"))
        jb = int(np.searchsorted(self.grid_us, epoch_us(end), "left"))
        s0, e0 = self.seg_start, self.seg_end
        left = np.minimum(e0, ja) - s0
        right = e0 - np.maximum(s0, jb)
        return np.concatenate((left[(s0 < ja) & (left > 0)], right[(e0 > jb) & (right > 0)]))


def _sticky(calibrated: CalibratedLevel, p: ConstantValueParams) -> bool:
    """The point's history repeats one value for long stretches of its own: its budget quantile of daily
    longest identical runs reaches ``sticky_fraction`` of the floor."""
    return calibrated.quantile is not None and calibrated.quantile >= p.sticky_fraction * calibrated.floor
