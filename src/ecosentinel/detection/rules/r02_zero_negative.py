"""R02 zero or negative values while operating (零值/负值)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import FactorRule, PointData, Series, true_runs
from ecosentinel.detection.calibration import budget_level
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import FLOW_CODES, GAS_FLOW, WATER_FLOW, WC_PRODUCTION
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.messages import calibration_text
from ecosentinel.detection.profile import CalibratedLevel, PointProfile
from ecosentinel.detection.rules._common import fmt, operating_state, output_step, pct
from ecosentinel.readings import CST, DataKind


class ZeroNegativeParams(RuleParams):
    """Thresholds of R02 (research notes §1 R2)."""

    max_value: float = 0.0
    """[V] Wu et al. 2022 drop 'negative values and zeros not recorded as outage status': value <= this."""
    min_hours: float = 2.0
    """[P] shortest run that counts; shorter runs look like purge / back-flush cycles (the R2 trap)."""
    on_fraction: float = 0.2
    """[P] production counts as on above this share of its 95th-percentile power."""
    on_floor_kw: float = 1.0
    """[P] and above this absolute power."""
    align_minutes: float = 60.0
    """How far back a working-condition or flow value may be matched to a reading."""
    min_operating_share: float = 0.5
    """[P] share of the run's rows during which the process must be shown running."""
    high_ratio: float = 2.0
    """[P] with production power on, a run of at least this multiple of the point's zero-run level (the
    rule's ``min_hours`` without a profile) is high; shorter runs are medium."""
    calibrated_margin_hours: float = 1.0
    """[P] per-point calibration (statistic ``zero_run_hours``: per clean history day, the longest run
    of zero or negative flag-N values): where no power or flow shows the process running, a run longer
    than the history's quantile at the budget plus this margin (and at least ``min_hours``) is
    'unlike this point' and medium instead of low. An analyser that never reads zero in a month does
    not start reading zero for hours while the plant runs; one whose history holds such runs (a plant
    that stops without flagging F) stays a clue. Where only the discharge flow shows the process
    running, a run no longer than that level is a clue too: an effluent that nitrifies to below the
    analyser's step reads zero for hours while it flows, and did so in the point's history (measured on
    the real Tilburg effluent with NH4 reported in 0.1 mg/L steps: 2-5 hour zero runs at mid-day made
    10 % of clean point-days yellow). Production power keeps every run evidence (medium or high)."""
    min_negative_hours: int = 2
    """[P] ... unless at least this many clock hours of the run hold a negative value (hours, so that it
    means the same for minute and hourly data) and the history never held one
    (profile minimum >= 0): a meter or analyser whose month shows exact zeros (pump pauses, a plant
    nitrifying to nothing) but never a negative value has not read below zero before, and a one-way
    flow meter or a concentration below zero has no physical meaning (measured in bench detect: the
    real Tilburg inflow, Danish inflow and Chinese effluent series hold exact zeros and no negative
    value at all; injected zero/negative runs on the Tilburg 2022 flow stayed clues beside its 5-hour
    zero runs)."""
    min_level_steps: float = 3.0
    """[P] zeros are evidence only from an analyser that reads clearly above zero: when the factor's
    median valid value over the window is at most this many of its output steps (the reporting quantum,
    from the profile or the window), a zero is a reading below one step and the run is a clue (low),
    unless its negative values are new for the point. Measured: the real Beijing and Tilburg series
    rounded to a coarse power-of-ten step (SO2 to 10 ug/m3, nitrate to 1 mg/L) read zero for hours
    every night and made 17-37 % of clean point-days yellow."""
    one_step_share: float = 0.05
    """[P] ... or when at least this share of its positive values read one output step: zeros are then the
    next reading down (measured on the real Tilburg effluent with NH4 reported in 0.1 mg/L steps, median
    six steps: 2-5 hour zero runs while it flowed made 2 of 42 clean point-days yellow)."""
    below_step_score: float = 0.1
    """[P] the score of such a run (the weakest clue: 0.04 of weight at low severity, which does not
    make a yellow day with any other single clue)."""
    window_history_days: float = 7.0
    """[P] a point without a profile (or whose history was too short for a level) is judged on the rest
    of the screening window instead: a zero run is unlike it when the window's other valid values of the
    factor span at least this many CST days and none of them is zero or negative; its negative values
    are new when none of them is negative (measured in bench detect: a flow meter's first screened
    month, with no history, read -0.01 to -0.05 for 5 of 6 hours while its 29 other days never went
    below zero, and stayed a clue)."""

    window_ratio: float = 2.0
    """[P] ... and for zeros judged on the window (no level from a history) the run must last at least
    this multiple of ``min_hours``: a window is thinner evidence than a month of history, and a run at
    the rule's constant itself is what an analyser does now and then (measured in bench detect: a real
    effluent NH3-N analyser with too short a history for a level read zero for 2 h on a clean day)."""

    catchup_hours: float = 12.0
    """[P] a flow that read zero and then, within this many hours, carried at least the volume it missed
    on top of its usual level (``catchup_share``) was stopped and held its water back (a pumping
    station that stopped and then pumped its wet well empty): the volume is on record, which serves no
    falsifier, so such a zero run is a clue (low). Measured on the real Tilburg 2022 inflow: 5 hours at
    zero, then 10 hours near 3,000 m3/h against a usual 1,100, made a clean day yellow."""
    catchup_share: float = 1.0
    """[P] the excess volume after the run, as a share of the usual level times the run's duration."""
    catchup_start_hours: float = 2.0
    """[P] ... and the catch-up starts at once: within this many hours after the run the flow reaches
    ``catchup_rise`` x its usual level (pumps restarting on a full wet well). A storm that arrives later
    is not the held-back water (measured on the Danish inflow: an injected zero run, the usual flow for
    two hours, then a storm at three times it)."""
    catchup_rise: float = 1.3
    """[P] the rise that starts a catch-up, as a multiple of the usual level."""
    catchup_baseline_hours: float = 24.0
    """[P] the usual level: the median positive flow of this many hours before the run, or the last
    positive flow before it when that is higher."""


class ZeroNegativeRule(FactorRule[ZeroNegativeParams]):
    """Catches analysers blocked, bypassed or zeroed while the plant is producing: concentration reported
    as zero or negative with flag N although production power (or discharge flow) shows the process
    running. A genuine outage must be flagged F (HJ 212), so an unflagged zero is not 'stopped'.

    Source: Wu et al. 2022, ACS Environ. Au (national CEMS cleaning drops negative values and zeros not
    recorded as outage); BRIEF line 4; seed 000 point 9 (start/stop facilities and watch the data).
    Severity is high when power shows production, medium when only flow does, low when nothing does.
    """

    code = "R02_zero_negative"
    title_zh = "运行期间零值或负值"
    title_en = "Zero or negative while operating"
    params_model = ZeroNegativeParams
    context_series = (WC_PRODUCTION, WATER_FLOW, GAS_FLOW)
    kinds = (DataKind.HOUR, DataKind.MINUTE)
    roles = frozenset({"pollutant", "flow"})
    """A discharge or flue-gas flow meter reading zero or negative as well (variant ``flow``): a sewage
    plant's inflow or a stack's flow does not stop while the process runs. Where production power is
    metered, zero flow while it runs is R11's (zero flow while producing); here the flow is judged on its
    own history, never on itself as the operating basis."""

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """``zero_run_hours`` per factor: the longest zero-or-negative run of each clean history day."""
        out = []
        for code in data.factor_codes(self.roles):
            p: ZeroNegativeParams = config.params_for(self, data.context, code)
            s = data.series(code, self.kinds)
            if s is None or not p.enabled or s.n_valid == 0:
                continue
            f = s.frame.select("time", "value")
            step = s.step or dt.timedelta(0)
            longest: dict[dt.date, float] = {
                d: 0.0 for d in s.valid["time"].dt.convert_time_zone(CST.key).dt.date().unique().to_list()
            }
            times = f["time"].to_list()
            for a, b in true_runs((f["value"] <= p.max_value).fill_null(False)):
                hours = (times[b] + step - times[a]).total_seconds() / 3600
                day = times[a].astimezone(CST).date()
                longest[day] = max(longest.get(day, 0.0), hours)
            level = budget_level(
                "R02",
                "zero_run_hours",
                code,
                list(longest.values()),
                budget=budget,
                floor=p.min_hours,
                default=p.min_hours,
                margin=p.calibrated_margin_hours,
                ceiling=None,
                profile=profile,
            )
            if level is not None:
                out.append(level)
        return out

    def detect(self, series: Series, params: ZeroNegativeParams, data: PointData) -> list[Finding]:
        f = series.frame.select("time", "value")
        is_flow = series.code in FLOW_CODES
        mask = f["value"] <= params.max_value
        runs = true_runs(mask)
        if not runs:
            return []
        state, basis = operating_state(
            data,
            f.select("time"),
            params.on_fraction,
            params.on_floor_kw,
            dt.timedelta(minutes=params.align_minutes),
            use_flow=not is_flow,
        )
        if is_flow and basis == "power":
            return []  # R11 judges flow against the production power meter
        step = series.step or dt.timedelta(0)
        calibrated = data.profile.level("R02", "zero_run_hours", series.code) if data.profile else None
        out_step = output_step(series, data)
        below_step = _below_step(series, out_step, params)
        out = []
        for a, b in runs:
            rows = f.slice(a, b - a + 1)
            start, end = rows["time"][0], rows["time"][-1] + step
            if (end - start) < dt.timedelta(hours=params.min_hours):
                continue
            op = state.filter(pl.col("time").is_between(start, rows["time"][-1]))["operating"]
            known = op.drop_nulls()
            if known.len() and known.mean() < params.min_operating_share:  # type: ignore[operator]
                continue  # the process really was stopped
            level_hours = calibrated.level if calibrated is not None else params.min_hours
            negatives = _new_negatives(rows, series, data, params)
            if basis == "power" and known.len():
                # high from twice the point's own level (or the rule's constant): two hourly zeros at
                # the threshold itself stay medium (measured in bench detect: one 2-hour zero on a
                # real CEMS unit while it ran made a clean day red on its own)
                long_run = end - start >= dt.timedelta(hours=params.high_ratio * level_hours)
                severity = Severity.HIGH if long_run else Severity.MEDIUM
                operating = "同期生产设施用电处于运行水平"
            elif basis == "flow" and known.len():
                severity, operating = Severity.MEDIUM, "同期排放流量大于零"
                if (
                    calibrated is not None
                    and (calibrated.quantile or 0.0) > 0
                    and end - start <= dt.timedelta(hours=calibrated.level)
                ):
                    # a point whose own history holds zero runs this long (an effluent nitrifying to
                    # below the analyser's step) is not zeroed by this one: a clue
                    severity = Severity.LOW
                    operating += messages.R02_USUAL_RUN.format(
                        calibration=calibration_text(calibrated, "小时", params.min_hours).rstrip("。")
                    )
            elif calibrated is not None and end - start > dt.timedelta(hours=calibrated.level):
                severity = Severity.MEDIUM
                operating = (
                    "数据未标记停运（F），且如此长的零值在该点位自身历史中从未出现（"
                    + calibration_text(calibrated, "小时", params.min_hours).rstrip("。")
                    + "）"
                )
            elif negatives is not None:
                severity, operating = Severity.MEDIUM, negatives
            elif (
                calibrated is None
                and end - start >= dt.timedelta(hours=params.window_ratio * params.min_hours)
                and (first := _first_zeros(rows, series, params)) is not None
            ):
                severity, operating = Severity.MEDIUM, first
            else:
                severity, operating = Severity.LOW, "数据未标记停运（F）"
            caught_up = (
                _caught_up(f, start, end, step, params)
                if is_flow and negatives is None and severity is Severity.MEDIUM
                else None
            )
            if caught_up is not None:
                severity = Severity.LOW
                operating += messages.R02_CAUGHT_UP.format(
                    hours=fmt(params.catchup_hours), excess=fmt(caught_up[0]), missed=fmt(caught_up[1])
                )
            under_step = (below_step or _between_one_steps(f, a, b, out_step)) if negatives is None else None
            if under_step is not None:
                # a reading below one output step explains the zeros: the weakest clue, which does not
                # add up with another rule's clue to a yellow day (measured on the real Tilburg minute
                # series rounded to 0.1 mg/L: such a run beside a low R04 drop made 31 % of clean
                # point-days yellow)
                severity = Severity.LOW
                operating = operating + under_step
            vmin = float(rows["value"].min())  # type: ignore[arg-type]
            hours = (end - start).total_seconds() / 3600
            out.append(
                self.finding(
                    data.context,
                    factors=[series.code],
                    start=start,
                    end=end,
                    severity=severity,
                    score=params.below_step_score
                    if under_step is not None
                    else {Severity.HIGH: 0.8, Severity.MEDIUM: 0.6, Severity.LOW: 0.35}[severity]
                    + 0.2 * min(1.0, hours / 24),
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": series.kind.value,
                        "count": rows.height,
                        "min": vmin,
                        "values": rows["value"].head(24).to_list(),
                        "threshold": params.max_value,
                        "operating_basis": basis,
                        "caught_up": None
                        if caught_up is None
                        else {"excess_volume": caught_up[0], "missed_volume": caught_up[1]},
                        "calibration": calibrated.evidence() if calibrated is not None else None,
                        "comparison": "value <= threshold with flag N while the process runs",
                    },
                    variant="flow" if is_flow else "default",
                    count=rows.height,
                    vmin=fmt(vmin),
                    operating=operating,
                )
            )
        return out


def _caught_up(
    f: pl.DataFrame, start: dt.datetime, end: dt.datetime, step: dt.timedelta, p: ZeroNegativeParams
) -> tuple[float, float] | None:
    """(excess volume after the run, volume missed during it) when the flow carried at least
    ``catchup_share`` of what it missed on top of its usual level within ``catchup_hours`` after the
    zero run [start, end); None otherwise (or without a usual level before the run). Volumes in the
    flow's unit times hours."""
    hours = step.total_seconds() / 3600 if step else 1.0
    before = f.filter(
        pl.col("time").is_between(start - dt.timedelta(hours=p.catchup_baseline_hours), start, closed="left")
        & (pl.col("value") > 0)
    )["value"]
    if before.len() == 0:
        return None
    # the flow it would have carried: its usual level, or the level it had just before the run when
    # that was higher (a zero in the middle of a storm: the storm's flow after it is no catch-up;
    # measured on the Danish inflow, an injected zero run at 4,260 m3/h of a rising storm)
    usual = max(float(before.median()), float(before[-1]))  # type: ignore[arg-type]
    missed = usual * (end - start).total_seconds() / 3600
    after = f.filter(
        pl.col("time").is_between(end, end + dt.timedelta(hours=p.catchup_hours), closed="left")
    )["value"].drop_nulls()
    excess = float(((after - usual).clip(lower_bound=0.0)).sum()) * hours
    if missed <= 0 or excess < p.catchup_share * missed:
        return None
    first = f.filter(
        pl.col("time").is_between(end, end + dt.timedelta(hours=p.catchup_start_hours), closed="left")
    )["value"].drop_nulls()
    if first.len() == 0 or float(first.max()) < p.catchup_rise * usual:  # type: ignore[arg-type]
        return None
    return round(excess, 1), round(missed, 1)


def _below_step(series: Series, step: float, p: ZeroNegativeParams) -> str | None:
    """Why the factor's zeros are readings below one output ``step`` (the Chinese clause), or None: its
    median valid value is at most ``min_level_steps`` steps, or at least ``one_step_share`` of its
    positive values read one step (the next reading down is zero). None for unquantised values."""
    values = series.valid["value"]
    median = values.median()
    if not step or not isinstance(median, int | float):
        return None
    if median <= p.min_level_steps * step:
        return messages.R02_BELOW_STEP.format(step=fmt(step), median=fmt(median), k=fmt(p.min_level_steps))
    positive = values.filter(values > 0)
    one_step = positive.filter(positive <= 1.5 * step).len() / positive.len() if positive.len() else 0.0
    if one_step >= p.one_step_share:
        return messages.R02_ONE_STEP.format(step=fmt(step), share=pct(one_step))
    return None


def _between_one_steps(f: pl.DataFrame, a: int, b: int, step: float) -> str | None:
    """Why the zero run of rows ``a``..``b`` is the next reading down (the Chinese clause), or None: the
    readings just before and just after it are one output step. A value that drifts to one step and on
    below half of it reads zero at that step, and back (measured in bench detect: Beijing NO2 rounded to
    10 ug/m3 read 10, then 0 for 4-6 h of clean air, then 10: first zero runs of the point's history made
    clean days yellow); a zero cut into a usual level has usual neighbours."""
    if step <= 0 or a == 0 or b + 1 >= f.height:
        return None
    before, after = f["value"][a - 1], f["value"][b + 1]
    if before is None or after is None or not (0 < before <= 1.5 * step and 0 < after <= 1.5 * step):
        return None
    return messages.R02_ONE_STEP_AROUND.format(step=fmt(step), before=fmt(before), after=fmt(after))


def _first_zeros(rows: pl.DataFrame, series: Series, p: ZeroNegativeParams) -> str | None:
    """Why a zero run of a point with no calibrated level is unlike it (the Chinese clause), or None: the
    rest of the screening window holds at least ``window_history_days`` CST days of valid values of the
    factor and none of them is zero or negative, so the window stands in for the missing history, as it
    does for new negatives and for R01's identical runs (measured in bench detect: an effluent NH3-N
    analyser whose history had too few valid days for a level read 0.42, six hours of zeros, 0.46, and
    stayed a clue)."""
    days, low = _rest_of_window(rows, series)
    if days < p.window_history_days or low is None or low <= p.max_value:
        return None
    return messages.R02_FIRST_ZEROS_WINDOW.format(days=days, minimum=fmt(low))


def _new_negatives(rows: pl.DataFrame, series: Series, data: PointData, p: ZeroNegativeParams) -> str | None:
    """Why the run's negative values are unlike the point (its history, else the rest of the screening
    window, never held one), or None."""
    hours = rows.filter(pl.col("value") < 0)["time"].dt.truncate("1h").n_unique()
    if hours < p.min_negative_hours:
        return None
    fp = data.profile.factor(series.code) if data.profile else None
    if fp is not None:
        if fp.minimum is None or fp.minimum < 0:
            return None
        return messages.R02_NEW_NEGATIVES.format(hours=hours, minimum=fmt(fp.minimum))
    days, low = _rest_of_window(rows, series)
    if days < p.window_history_days or low is None or low < 0:
        return None
    return messages.R02_NEW_NEGATIVES_WINDOW.format(hours=hours, days=days, minimum=fmt(low))


def _rest_of_window(rows: pl.DataFrame, series: Series) -> tuple[int, float | None]:
    """The factor's valid values outside the run ``rows``, standing in for a missing history: how many CST
    days they touch and their minimum (None without one)."""
    first, last = rows["time"][0], rows["time"][-1]
    rest = series.valid.filter((pl.col("time") < first) | (pl.col("time") > last))
    days = rest["time"].dt.convert_time_zone(CST.key).dt.date().n_unique()
    low = rest["value"].min()
    return days, float(low) if isinstance(low, int | float) else None
