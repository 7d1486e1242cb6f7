"""R20 flat value while the working condition varies (工况波动而监测值恒定)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.config import RuleParams
from ecosentinel.detection.context import FLOW_CODES, GAS_FLOW, WATER_FLOW, WC_PRODUCTION, PointType
from ecosentinel.detection.findings import Finding, Severity, iso, num
from ecosentinel.detection.messages import factor_name, kind_name
from ecosentinel.detection.profile import quantum_of, us_view
from ecosentinel.detection.rules._common import WC_KINDS, equal_runs, fmt, pct, serves_no_falsifier
from ecosentinel.readings import DataKind


class FlatWhileWorkingParams(RuleParams):
    """Thresholds of R20. Every time threshold is a multiple of the point's own hold times, so it means
    the same for minute data, hourly data and analysers that hold a result for one or several hours."""

    hold_multiple: float = 3.0
    """[P] a run is long when it lasts this many times the point's own 95th-percentile run (the longest
    value holds the point's analyser and data path produce honestly)."""
    min_cycles: float = 6.0
    """[P] and at least this many of the point's measuring cycles (research notes R1: six identical
    analyser cycles). The cycle is the median over the window's CST days of each day's median run
    (``_cycle_s``): each day counts once, so a day of minute jitter (a replayed day with noise, a
    narrow band: 800 one-minute runs against twelve 2-hour holds a day) does not make a 2-hour analyser's
    cycle one minute and its other days' honest repeats of three or four equal results long."""
    min_hours: float = 2.0
    """[P] and at least this long in absolute time (a few minutes of repeats say nothing)."""
    min_wc_spread: float = 0.05
    """[P] the working condition (production power, else flow) over the run spans at least this share of
    its median ((p90 - p10) / median): the process changed while the value did not. 0.15 missed half of
    the 8-hour freezes injected on the EPA CEMS units, whose load often moves by 5-15 % only; 0.03 made no
    clean point-day yellow there either (the run length vs the point's own runs carries the evidence)."""
    strong_wc_spread: float = 0.3
    """[P] spread from which the finding is strong (high) when the condition is production power or,
    for flue gas, its own load."""
    strong_hold_multiple: float = 6.0
    """[P] and the run lasts this many times the own 95th-percentile run."""
    min_runs: int = 20
    """[P] the point's own run statistics need at least this many runs in the window."""
    min_operating_share: float = 0.9
    """[P] share of the run during which the process is on (condition above 10 % of its 95th percentile):
    a stopped plant may hold a value legitimately."""
    motive_fraction: float = 0.5
    """[P] as R01: a held value of a factor whose clean history never reached this share of its limit,
    or held at or above the limit or the history's maximum, serves no falsifier (``serves_no_falsifier``)."""
    explained_score: float = 0.3
    """[P] as R01: such a run is a clue of weight 0.4 x 0.3, which with one other low clue stays green."""
    min_steps_above_zero: float = 10.0
    """[P] as R01: a value fewer than this many reporting steps (the point's own quantum) above zero
    cannot show a load change (an integer-reported SO2 of 3 mg/m3 stays 3 whatever the load: simulated
    clean flue-gas stations were yellow on such runs)."""


class FlatWhileWorkingRule(FactorRule[FlatWhileWorkingParams]):
    """Catches a frozen, preset or replayed-as-constant concentration while the process visibly changes:
    a stack's NOx or a wastewater COD cannot stay exactly equal for hours while the load or the flow
    swings. Physically grounded (a concentration responds to the working condition), unlike R01 which
    judges the length of a run alone.

    Source: research notes R1 (flat line: frozen DAS output, data-hold function; false-positive trap: an
    analyser that holds its value between cycles) and R10 (working-condition meters); issue 17 (8 hours
    of identical NOx minute values while load varies were not found). Per factor, minute data first:
    runs of exactly equal valid values longer than max(hold_multiple x the point's own 95th-percentile
    run, min_cycles x its own cycle (the median over its days of each day's median run), min_hours),
    during which production power (or, without a meter, the discharge flow) stays on and varies by at
    least min_wc_spread.
    """

    code = "R20_flat_while_working"
    title_zh = "工况波动而监测值恒定"
    title_en = "Flat value while the working condition varies"
    params_model = FlatWhileWorkingParams
    context_series = (WC_PRODUCTION, WATER_FLOW, GAS_FLOW)
    kinds = (DataKind.MINUTE, DataKind.HOUR)
    roles = frozenset({"pollutant"})
    point_types = frozenset({PointType.WATER, PointType.GAS})

    def detect(self, series: Series, params: FlatWhileWorkingParams, data: PointData) -> list[Finding]:
        wc, wc_code = _working_condition(data)
        if wc is None or wc_code is None or series.step is None:
            return []
        if _no_long_run(series, params):
            return []
        runs = _runs(series)
        if runs.height < params.min_runs:
            return []
        durations = runs["duration_s"]
        p95 = float(durations.quantile(0.95) or 0.0)
        cycle = _cycle_s(runs["start"].dt.epoch("us").to_numpy(), durations.to_numpy())
        threshold_s = max(params.hold_multiple * p95, params.min_cycles * cycle, params.min_hours * 3600.0)
        long = runs.filter(pl.col("duration_s") >= threshold_s)
        if long.height == 0:
            return []
        quantum = quantum_of(series.valid["value"])
        long = long.filter(pl.col("value").abs() >= params.min_steps_above_zero * quantum)
        if long.height == 0:
            return []
        on = float(wc.valid["value"].quantile(0.95) or 0.0) * 0.1
        out: list[Finding] = []
        for start, end, value, n, duration_s in long.select(
            "start", "end", "value", "n", "duration_s"
        ).iter_rows():
            w = wc.valid.filter(pl.col("time").is_between(start, end, closed="left"))["value"]
            if w.len() < 3:
                continue
            operating = float((w > on).mean() or 0.0)  # type: ignore[arg-type]
            median = float(w.median() or 0.0)  # type: ignore[arg-type]
            if operating < params.min_operating_share or median <= 0:
                continue
            p10, p90 = float(w.quantile(0.1) or 0.0), float(w.quantile(0.9) or 0.0)
            spread = (p90 - p10) / median
            if spread < params.min_wc_spread:
                continue
            strong = (
                wc_code == WC_PRODUCTION
                and spread >= params.strong_wc_spread
                and duration_s >= params.strong_hold_multiple * max(p95, 1.0)
            )
            reason = serves_no_falsifier(series.code, value, data, params.motive_fraction)
            if reason is not None:
                # held above the limit or the history's maximum, or never near the limit: an instrument
                # to check, a weak clue (as R01 judges the same run)
                severity, score = Severity.LOW, params.explained_score
            elif strong:
                severity, score = Severity.HIGH, 0.9
            elif wc_code == WC_PRODUCTION or data.context.point_type is PointType.GAS:
                severity, score = Severity.MEDIUM, 0.6  # power, or flue-gas flow (follows the load)
            else:
                # wastewater flow only: a held analyser value does not follow the flow, and real effluent
                # analysers stick for days (cn-effluent: 41-70 h runs while flow varied made 5.4 % of its
                # clean point-days yellow at medium), so this is a clue for R01 and the analyst
                severity, score = Severity.LOW, 0.5
            hours = duration_s / 3600.0
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "data_kind": series.kind.value,
                "value": value,
                "count": n,
                "hours": round(hours, 2),
                "own_run_p95_minutes": round(p95 / 60.0, 1),
                "own_cycle_minutes": round(cycle / 60.0, 1),
                "threshold_minutes": round(threshold_s / 60.0, 1),
                "working_condition": wc_code,
                "wc_min": num(float(w.min())),  # type: ignore[arg-type]
                "wc_max": num(float(w.max())),  # type: ignore[arg-type]
                "wc_spread": round(spread, 4),
                "threshold": {
                    "hold_multiple": params.hold_multiple,
                    "min_cycles": params.min_cycles,
                    "min_wc_spread": params.min_wc_spread,
                },
                "comparison": "identical run >= max(hold_multiple x own p95 run, min_cycles x own cycle "
                "(median over CST days of the day's median run), min_hours) while (p90 - p10)/median of "
                "the working condition >= min_wc_spread",
            }
            out.append(
                self.finding(
                    data.context,
                    factors=[series.code],
                    start=start,
                    end=end,
                    severity=severity,
                    score=score,
                    evidence=evidence,
                    kind=kind_name(series.kind.value),
                    count=n,
                    value=fmt(value),
                    hours=fmt(round(hours, 1)),
                    p95=fmt(round(p95 / 60.0, 1)),
                    multiple=fmt(round(duration_s / max(p95, 1.0), 1)),
                    wc=factor_name(wc_code),
                    wc_min=fmt(float(w.min())),  # type: ignore[arg-type]
                    wc_max=fmt(float(w.max())),  # type: ignore[arg-type]
                    spread=pct(spread),
                    no_falsifier="" if reason is None else messages.NO_FALSIFIER_BUT + reason,
                )
            )
        return out


def _working_condition(data: PointData) -> tuple[Series | None, str | None]:
    """Production power when metered, else the point's discharge flow."""
    for code in (WC_PRODUCTION, *sorted(FLOW_CODES)):
        s = data.series(code, WC_KINDS)
        if s is not None and s.n_valid:
            return s, code
    return None, None


def _runs(series: Series) -> pl.DataFrame:
    """Runs of exactly equal consecutive valid values: run (its number), start, end (last row + step),
    value, n, duration_s.

    A missing or segregated (flagged) row ends a run; a run at zero is a stop (R02's business), not kept.
    """
    found = _runs_numpy(series)
    return found if found is not None else _runs_polars(series)


def _runs_polars(series: Series) -> pl.DataFrame:
    """``_runs`` by a group-by over the run numbers (the definition; ``_runs_numpy`` is checked on it)."""
    step = series.step or dt.timedelta(0)
    f = series.frame.select("time", "value").with_columns(
        (
            pl.col("value").is_null()
            | pl.col("value").shift(1).is_null()
            | (pl.col("value") != pl.col("value").shift(1))
        )
        .fill_null(True)
        .cum_sum()
        .alias("run")
    )
    return (
        f.filter(pl.col("value").is_not_null())
        .group_by("run", maintain_order=True)
        .agg(
            pl.col("time").first().alias("start"),
            (pl.col("time").last() + step).alias("end"),
            pl.col("value").first(),
            pl.len().alias("n"),
        )
        .with_columns(((pl.col("end") - pl.col("start")).dt.total_seconds()).alias("duration_s"))
        .filter(pl.col("value") != 0)
    )


def _no_long_run(series: Series, p: FlatWhileWorkingParams) -> bool:
    """True only when provably no run of ``_runs`` is long (``detect``'s threshold) or there are fewer
    than ``min_runs`` runs: ``detect`` would find nothing. False when it cannot tell.

    Why: on almost every series no run is long, and building the frame of every run (about 10,000 on a
    week of minutes) to take its quantiles cost most of the rule. Here the runs' durations come from
    ``equal_runs`` in numpy (whole seconds, as ``dt.total_seconds`` truncates them), and the threshold is
    bounded from below by an order statistic that the polars quantile cannot undercut (the 95th
    percentile ('nearest') is at least the sorted duration at the floor of its position) and by the
    cycle, computed here exactly as ``detect`` does (``_cycle_s`` on the same starts and whole-second
    durations). A series whose longest run is below that bound has no long run."""
    if p.hold_multiple < 0 or p.min_cycles < 0:
        return False
    value = series.frame["value"]
    found = equal_runs(value)
    if found is None:
        return False
    us = us_view(series.frame["time"])
    if us is None:
        return False
    _, heads, tails = found
    kept = value.to_numpy()[heads] != 0  # the runs ``_runs`` keeps: not at zero
    heads, tails = heads[kept], tails[kept]
    n = heads.size
    if n < p.min_runs:
        return True
    step_us = (series.step or dt.timedelta(0)) // dt.timedelta(microseconds=1)
    starts = us[heads]
    durations = (us[tails] + step_us - starts) // 1_000_000
    cycle = _cycle_s(starts, durations)
    durations = np.sort(durations)
    p95_low = float(durations[int(np.floor(0.95 * (n - 1)))])
    low = max(p.hold_multiple * p95_low, p.min_cycles * cycle, p.min_hours * 3600.0)
    return float(durations[-1]) < low


_DAY_US = 86_400_000_000
_CST_US = 8 * 3_600_000_000


def _cycle_s(starts_us: np.ndarray, durations_s: np.ndarray) -> float:
    """The point's measuring cycle in seconds: the median over CST days (of each run's start) of the
    day's median run duration. Each day counts once: the median over all runs is the median of whichever
    stretch makes the most runs, and one day of minute jitter makes more runs than two weeks of an
    analyser holding each result for two hours (simulated: the count median fell from 120 to 1 minute
    and 6-10 h of three to five equal honest TP results while production varied became yellow)."""
    if durations_s.size == 0:
        return 0.0
    days = (starts_us.astype(np.int64) + _CST_US) // _DAY_US
    order = np.argsort(days, kind="stable")
    days, values = days[order], durations_s[order].astype(np.float64)
    cuts = np.flatnonzero(np.diff(days)) + 1
    return float(np.median([np.median(part) for part in np.split(values, cuts)]))


def _runs_numpy(series: Series) -> pl.DataFrame | None:
    """``_runs`` from run boundaries in numpy (``_common.equal_runs``), without the group-by (a minute
    month of a varying factor is about 40,000 runs: 4.0 -> 2.0 CPU-ms per series). None (the group-by
    runs) where ``equal_runs`` declines."""
    step = series.step or dt.timedelta(0)
    value = series.frame["value"]
    found = equal_runs(value)
    if found is None:
        return None
    new, heads, tails = found
    run = np.cumsum(new, dtype=np.uint32)
    times = series.frame["time"]
    return (
        pl.DataFrame(
            {
                "run": pl.Series("run", run[heads], dtype=pl.UInt32),
                "start": times.gather(heads),
                "end": times.gather(tails) + step,
                "value": value.gather(heads),
                "n": pl.Series("n", (tails - heads + 1).astype(np.uint32), dtype=pl.UInt32),
            }
        )
        .with_columns(((pl.col("end") - pl.col("start")).dt.total_seconds()).alias("duration_s"))
        .filter(pl.col("value") != 0)
    )
