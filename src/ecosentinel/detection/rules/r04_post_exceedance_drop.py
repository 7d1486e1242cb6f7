"""R04 sudden drop after an exceedance, and extra analyser cycles (超标后突降、加测)."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import SEGREGATED_FLAGS, FactorRule, PointData, Series
from ecosentinel.detection.calibration import MIN_HISTORY_UNITS, budget_level_low, upper_quantile
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import FLOW_CODES, EventType, PointType
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.messages import calibration_text, factor_name
from ecosentinel.detection.profile import CalibratedLevel, PointProfile
from ecosentinel.detection.rules._common import compared_values, fmt, measured_only, pct
from ecosentinel.readings import CST, DataKind

_SUSPECT_EVENTS = frozenset(
    {
        EventType.DOOR_OPEN.value,
        EventType.CAMERA_MOVED.value,
        EventType.VIDEO_LOST.value,
        EventType.CAMERA_OFFLINE.value,
    }
)


class PostExceedanceDropParams(RuleParams):
    """Thresholds of R04 (research notes §1 R4; no official threshold exists)."""

    exceed_fraction: float = 0.9
    """[P] a cycle counts as an exceedance at or above this share of the limit."""
    drop_ratio: float = 0.5
    """[P] alpha: the drop cycle is below alpha x the exceeding cycle."""
    within_cycles: int = 2
    """[P] the drop must come within this many valid cycles."""
    max_gap_hours: float = 2.0
    """The drop must come within this time of the exceeding cycle."""
    extra_cycles_allowed: int = 1
    """[P] cycles per clock hour above schedule + this are 'extra' (manual re-runs)."""
    co_factor_drop: float = 0.7
    """[P] if most other factors also fall below this share, it is a shock load or dilution, not R04."""
    storm_flow_rise: float = 1.5
    """[P] if flow rises by this factor at the drop, treat it as storm dilution (trap)."""
    calibration_guard_hours: float = 1.0
    """The first cycle within this time after a C/M flag or O&M record is not suspicious (trap)."""
    event_minutes: float = 30.0
    """[P] door / camera events within this many minutes of the drop corroborate it (R15)."""
    rebound_fraction: float = 0.8
    """[P] the concentration 'rebounds' when a later value returns to this share of the peak: water in
    the cup lowers one result, the effluent itself is still high."""
    rebound_within: int = 3
    """[P] values after the drop in which the rebound must come."""
    require_rebound_on_hourly: bool = True
    """[P] on hourly data (no cycles) require the rebound: a weather front or a load change stays low
    (trap measured on the Beijing series)."""
    collapse_cycles: int = 2
    """[P] 'collapse': this many measuring cycles right after the exceeding one must all sit near zero
    (issue 17: one cycle over the limit, then two cycles near zero = water in the sample cup). The
    exceeding cycle must be the first of its episode: a real exceedance lasts several cycles and may
    then fall fast (Tilburg NH4 3.95, 4.55 -> 0.34, 0.03 mg/L with a 4 mg/L limit)."""
    collapse_exceed_fraction: float = 1.0
    """[P] the collapse starts from a cycle over the limit itself (the scenario's 'one cycle over the
    limit'); 0.9 x limit let Beijing PM2.5 washouts from 70-72 ug/m3 (limit 75) to the 3 ug/m3 floor make
    clean point-days yellow in bench detect."""
    collapse_ratio: float = 0.2
    """[P] 'near zero' is judged against the point's own level: each collapsed cycle is at most this
    share of the median of the ``level_cycles`` cycles before the peak (and of the peak itself). A real
    exceedance washes out through intermediate values and does not fall far below where it started
    (measured on the Tilburg NH4 storm peaks, 9.9 -> 8.9 -> 5.8 -> 1.9 from a pre-peak level of 0.3)."""
    co_collapse_ratio: float = 0.25
    """[P] another pollutant at or below this share of its pre-peak level over the low stretch means the
    whole stream changed (dilution, stop): not a sample-cup re-run."""
    stop_flow_fraction: float = 0.2
    """[P] flow at or below this share of its pre-peak level over the low stretch is a stop (Tilburg:
    inflow 1900 -> 117-303 m3/h while NH4 fell from 3.8 to 0.1 mg/L)."""
    flow_baseline_hours: float = 24.0
    """[P] the storm / stop test compares the flow over the low stretch with its median over this many
    hours before the peak (measured in bench detect: Tilburg's inflow pumps pause for an hour at night
    (1,700 -> 100 m3/h); with a pause among the six cycles before a peak, the ordinary flow after it
    read as a 1.6-2.1 x storm and explained away 2 of 6 injected sample-cup drops)."""
    max_collapse_cycles: int = 24
    """[P] the values must come back above 'near zero' within this many cycles (a day at 60-min cycles):
    a longer near-zero stretch is a stop or an outage, not a re-run (R02 judges zeros while operating).
    6 missed a real night on Tilburg NH4, where the value stays at 0.1-0.5 mg/L for hours."""
    level_cycles: int = 6
    """Cycles before the peak whose median is the point's own level."""
    notch_ratio: float = 0.3
    """[P] a 'notch': the collapsed cycles may sit up to this share of the pre-peak level when the very
    next cycle after them is back at the level (``notch_return_fraction``). Water in the sample cup lowers
    the cycles measured on it and the analyser then reads the effluent again; a real exceedance that
    washes out settles at a new, lower level instead of returning to the old one."""
    notch_return_fraction: float = 0.7
    """[P] 'back at the level': the first cycle after the low ones is at least this share of the
    pre-peak level."""
    calibrated_floor_ratio: float = 0.2
    """[P] per-point calibration of ``collapse_ratio`` (statistic ``collapse_ratio``: per clean history
    day, the deepest fall of ``collapse_cycles`` consecutive cycles below the median of the
    ``level_cycles`` before them): the calibrated ratio is never below ``collapse_ratio`` itself. The
    statistic is a dip at any time, while the rule needs a dip right after the first cycle over the
    limit, which is far rarer: a history with deep natural dips (Beijing NO2 washouts: 0.03-0.16) says
    little about dips after a spike, so calibration only widens 'near zero' for a point that never dips
    (measured: with a floor of 0.05 Beijing lost both of its caught injections and kept 22 of its 25
    clean R04 days) ..."""
    calibrated_ceiling_ratio: float = 0.5
    """[P] ... nor above ``drop_ratio``: a point that never dips in its history is judged on 'below half
    its own level', not on any shallow dip."""
    calibrated_margin: float = 0.9
    """[P] the calibrated ratio is 0.9 x the history's lower quantile at the budget (strictly deeper than
    the deepest natural dip the budget allows)."""
    spike_ratio: float = 0.15
    """[P] 'spike': when the pre-peak level does not make the cycles after the peak 'near zero' (a low
    level, or a notch that does not come straight back), they still collapse when each of the next
    ``collapse_cycles`` is at most this share of the peak itself: a fall of 85 % or more in one cycle,
    held for two. A washout passes through intermediate values (measured on the clean backgrounds: no
    first cycle over 0.9 x limit of the Tilburg NH4 analyser, hourly or minute, was followed by two at
    <= 0.2 of it; the Chinese effluent analyser's isolated spikes were, which its calibration catches).
    Calibrated per point (statistic ``spike_ratio``: per clean history day the deepest such fall after
    a first cycle over exceed_fraction x limit, 1 on days without one), at most this constant. Wastewater
    points only: ambient and stack monitors show lone one-hour plumes (Beijing PM2.5 9 -> 224 -> 30)."""
    spike_floor_ratio: float = 0.02
    """[P] a calibrated spike ratio below this means the point's own history falls that deep after its
    peaks (analyser spikes): the spike test is off for that point."""
    spike_back_multiple: float = 2.0
    """[P] after a spike's low cycles the values count as back once a cycle reaches this multiple of the
    highest low one (within ``max_collapse_cycles``): 'near zero' for a spike is a share of the peak,
    which may sit above the point's usual level, so 'back above near zero' would never come (measured
    in bench detect: an effluent analyser at 1.01 mg/L, one cycle at 8.05, two at 0.19-0.20, then 1.01
    again, with the usual level 0.2-0.3: the values never passed 0.15 x the peak again and the drop was
    not reported). A stop stays at its floor and never comes back."""
    min_quanta: float = 2.0
    """'Near zero' (collapse_ratio x level) must span at least this many of the series' own quantisation
    steps: at an analyser's floor (a plant that nitrifies to ~0) 'near zero' says nothing."""


class PostExceedanceDropRule(FactorRule[PostExceedanceDropParams]):
    """Catches water injected into the analyser's sample cup after an exceedance and the measurement
    re-started (取样杯注水、重新做样) to pull the hourly mean under the limit.

    Source: seed 004 (Jiaxing, Feb 2022: a dyeing plant's COD kept dropping suddenly; video showed a
    person filling the TOC analyser's sample cup after exceedances, then re-running); research notes R4.
    Core: cycle k >= 0.9 x limit, then within 2 cycles a result < 0.5 x cycle k. Not flagged when the
    drop follows a calibration / maintenance flag or O&M record, when most other factors fall too
    (shock load, dilution: R05) or when flow surges (storm). Severity rises with corroboration: the
    hourly mean lands under the limit, more cycles in that hour than scheduled, a door / camera event.
    Runs on analyser cycles when sent; on hourly values otherwise (weaker, stated in the evidence).
    """

    code = "R04_post_exceedance_drop"
    title_zh = "超标后突降"
    title_en = "Sudden drop after an exceedance"
    params_model = PostExceedanceDropParams
    kinds = (DataKind.HOUR, DataKind.MINUTE, DataKind.RTD)

    def detect(self, series: Series, params: PostExceedanceDropParams, data: PointData) -> list[Finding]:
        spec = data.context.factor(series.code)
        if spec.limit is None or spec.limit <= 0:
            return []
        # substitute (S) and over-range (T) values are never evidence (EPA Part 75 substitutes hold the
        # maximum potential value for hours, then measured values resume far below it)
        series = measured_only(series)
        cycles = data.cycles(series.code)
        if cycles is None and spec.cycles_per_hour:
            cycles = _minute_cycles(data, series.code)
        source_kind = "analyser_cycles"
        if cycles is None or cycles.n_valid < 3:
            cycles, source_kind = series, series.kind.value
        else:
            cycles = measured_only(cycles)
        out = self._collapses(series, params, data, spec.limit)
        peaks = {f.start for f in out}
        out.extend(
            f
            for f in self._drops(cycles, source_kind, series, params, data, spec.limit, spec.cycles_per_hour)
            if not any(abs(f.start - t) <= dt.timedelta(hours=2) for t in peaks)
        )
        if source_kind == "analyser_cycles" and spec.cycles_per_hour:
            taken = {f.evidence.get("hour") for f in out}
            out.extend(self._extra_cycles(cycles, params, data, spec.cycles_per_hour, taken))
        return out

    def calibrate(
        self, data: PointData, config: ScreeningConfig, profile: PointProfile, budget: float
    ) -> list[CalibratedLevel]:
        """``collapse_ratio`` per factor with a limit: how deep the point's own cycles dip below their
        recent level in its clean history (per CST day, the deepest dip), at the budget's lower quantile
        x calibrated_margin, between calibrated_floor_ratio and calibrated_ceiling_ratio. A base-load
        stack whose NOx never leaves 60 % of its level is then judged on 'below half its level'; a
        point with deep natural dips keeps the rule's constant (calibrated_floor_ratio)."""
        out = []
        for code in data.factor_codes(self.roles):
            p: PostExceedanceDropParams = config.params_for(self, data.context, code)
            s = data.series(code, self.kinds)
            spec = data.context.factor(code)
            if s is None or not p.enabled or spec.limit is None or spec.limit <= 0:
                continue
            cycles = _held_cycles(measured_only(s))
            spike = budget_level_low(
                "R04",
                "spike_ratio",
                code,
                _spike_units(cycles, p, spec.limit),
                budget=budget,
                floor=p.spike_floor_ratio,
                default=p.spike_ratio,
                factor_margin=p.calibrated_margin,
                profile=profile,
            )
            if spike is not None:
                out.append(spike)
            units = _dip_units(cycles, p)
            if len(units) < MIN_HISTORY_UNITS:
                continue
            q = math.exp(-upper_quantile([-math.log(max(1e-6, x)) for x in units], budget))
            level = min(p.calibrated_ceiling_ratio, max(p.calibrated_floor_ratio, q * p.calibrated_margin))
            out.append(
                CalibratedLevel(
                    "R04",
                    "collapse_ratio",
                    code,
                    level,
                    q,
                    p.calibrated_floor_ratio,
                    p.collapse_ratio,
                    budget,
                    len(units),
                    (iso(profile.start), iso(profile.end)),
                    p.calibrated_ceiling_ratio,
                )
            )
        return out

    def _drops(
        self,
        cycles: Series,
        source_kind: str,
        hourly: Series,
        p: PostExceedanceDropParams,
        data: PointData,
        limit: float,
        scheduled: float | None,
    ) -> list[Finding]:
        ctx = data.context
        allf = cycles.frame.select("time", "value", "flag")
        valid = allf.filter(pl.col("value").is_not_null())
        if valid.height < 2:
            return []
        # numbers in numpy, Python objects only for the rare hits: converting a month of minute times
        # and values to lists took half of R04's time on bench city (1.2 of 2.4 CPU-s, 16 points)
        values = valid["value"].to_numpy()
        starts = np.flatnonzero(values[:-1] >= p.exceed_fraction * limit)
        if starts.size == 0:
            return []  # no value near the limit to drop from: the times and flags are not needed
        t_us = valid["time"].dt.epoch("us").to_numpy()
        n = values.size
        guard = dt.timedelta(hours=p.calibration_guard_hours)
        guard_us = guard // dt.timedelta(microseconds=1)
        gap_us = dt.timedelta(hours=p.max_gap_hours) // dt.timedelta(microseconds=1)
        flagged_us = np.sort(
            allf.filter(pl.col("flag").is_in(list(SEGREGATED_FLAGS - {"F"})))["time"]
            .dt.epoch("us")
            .to_numpy()
        )
        out: list[Finding] = []
        after_hit = 0
        for k in starts.tolist():
            if k < after_hit:
                continue  # inside the previous drop
            vk = valid["value"][k]
            hit = None
            for j in range(k + 1, min(n, k + 1 + p.within_cycles)):
                if t_us[j] - t_us[k] > gap_us:
                    break
                if values[j] < p.drop_ratio * vk:
                    hit = j
                    break
            if hit is None:
                continue
            tk, tj, vj = valid["time"][k], valid["time"][hit], valid["value"][hit]
            later = values[hit + 1 : hit + 1 + p.rebound_within]
            rebound = bool((later >= p.rebound_fraction * vk).any())
            after_hit = hit + 1
            if source_kind != "analyser_cycles" and p.require_rebound_on_hourly and not rebound:
                continue
            first_flag = int(np.searchsorted(flagged_us, t_us[k] - guard_us, "left"))
            if (first_flag < flagged_us.size and flagged_us[first_flag] <= t_us[hit]) or ctx.om_overlapping(
                tk, tj, guard
            ).height:
                continue
            if self._explained_by_others(data, hourly.code, tk, tj, p):
                continue
            hour_start = _clock_hour(tj)
            in_hour = valid.filter(
                pl.col("time").is_between(hour_start, hour_start + dt.timedelta(hours=1), closed="left")
            )
            hour_mean = self._hour_mean(hourly, hour_start) if source_kind == "analyser_cycles" else vj
            if hour_mean is None:
                hour_mean = float(in_hour["value"].mean())  # type: ignore[arg-type]
            # cycles in the clock hour of the drop, or in the hour that starts at the exceedance (a
            # re-run straddles the clock hour as often as not)
            from_peak = valid.filter(
                pl.col("time").is_between(tk, tk + dt.timedelta(hours=1), closed="left")
            ).height
            n_cycles = max(in_hour.height, from_peak)
            extra = (
                scheduled is not None
                and source_kind == "analyser_cycles"
                and n_cycles > scheduled + p.extra_cycles_allowed
            )
            events = ctx.events_near(tk, tj, dt.timedelta(minutes=p.event_minutes), _SUSPECT_EVENTS)
            reasons: list[str] = []
            score, severity = 0.4, Severity.LOW
            if hour_mean < limit:
                reasons.append(f"该小时均值{fmt(hour_mean)}因此低于限值")
                score, severity = 0.6, Severity.MEDIUM
            if rebound:
                reasons.append("随后浓度又回升到峰值水平")
            if extra:
                reasons.append(f"一小时内测量{n_cycles}次，多于备案的每小时{fmt(scheduled)}次")
            if events.height:
                reasons.append(f"前后{fmt(p.event_minutes)}分钟内有{events.height}次门禁或视频异常事件")
            if extra or events.height:
                score, severity = 0.85 + 0.05 * (bool(extra) + bool(events.height)), Severity.HIGH
            else:
                # research notes R4: a drop alone needs a re-run (extra cycles) or an event; without one it
                # is a clue (low). Measured: real storm peaks on the Tilburg NH4 analyser (9.9 -> 8.9 ->
                # 5.8 -> 1.9 mg/L, 60-min cycles) made 18 % of its clean point-days yellow at medium. A
                # collapse far below the pre-peak level is the 'collapse' variant (medium) instead.
                severity, score = Severity.LOW, min(score, 0.6)
            if source_kind != "analyser_cycles":
                # research notes R4: the drop alone is not enough; it needs extra cycles or a manual
                # trigger, which hourly data cannot show. Low (a clue that adds to others): as medium it
                # made 1.2 % of the Beijing point-days yellow (PM2.5 172 -> 3 -> back, sensor glitches)
                severity = Severity.LOW
                score = min(score, 0.6)
            evidence: dict[str, Any] = {
                "window": [iso(tk), iso(tj)],
                "data_kind": source_kind,
                "peak": {"time": iso(tk), "value": vk},
                "after": {"time": iso(tj), "value": vj},
                "ratio": round(vj / vk, 4),
                "limit": limit,
                "threshold": {"exceed_fraction": p.exceed_fraction, "drop_ratio": p.drop_ratio},
                "hour": iso(hour_start),
                "hour_mean": round(hour_mean, 4),
                "cycles_in_hour": n_cycles if source_kind == "analyser_cycles" else None,
                "scheduled_cycles_per_hour": scheduled,
                "events": [
                    {"time": iso(t), "type": ty} for t, ty in events.select("time", "type").iter_rows()
                ],
                "rebound": rebound,
                "comparison": "value_k >= exceed_fraction x limit and value_j < drop_ratio x value_k",
            }
            out.append(
                self.finding(
                    ctx,
                    factors=[hourly.code],
                    start=tk,
                    end=tj,
                    severity=severity,
                    score=score,
                    evidence=evidence,
                    variant="drop",
                    peak_time=cst_text(tk),
                    peak=fmt(vk),
                    limit=fmt(limit),
                    peak_pct=pct(vk / limit),
                    drop_time=cst_text(tj),
                    after=fmt(vj),
                    ratio_pct=pct(vj / vk),
                    extra=("，" + "，".join(reasons)) if reasons else "",
                    why="而同期其他因子和流量没有相应变化，也没有校准或运维记录",
                )
            )
        return out

    def _collapses(
        self, series: Series, p: PostExceedanceDropParams, data: PointData, limit: float
    ) -> list[Finding]:
        """One measuring cycle over the limit followed by ``collapse_cycles`` cycles near zero.

        Works on the series' own measuring cycles: hourly values (minute data are averaged per clock
        hour first, as the platform does) with consecutive equal values merged into one cycle, so an
        analyser that holds its result for 60 minutes or several hours gives one cycle per measurement
        whatever the data resolution. 'Near zero' is relative to the point's own pre-peak level.
        """
        cyc = _held_cycles(series)
        if len(cyc) < p.level_cycles + 2:
            return []
        # the scan below starts only at a cycle over collapse_exceed_fraction x limit: without one, it
        # finds nothing, and the quantum and the flagged times (three polars calls) are not needed
        peak = p.collapse_exceed_fraction * limit
        if all(v < peak for _, _, v in cyc[p.level_cycles : len(cyc) - 1]):  # (NaN is not below: scanned)
            return []
        quantum = _quantum(series)
        flagged = series.frame.filter(pl.col("flag").is_in(list(SEGREGATED_FLAGS - {"F"})))["time"].to_list()
        guard = dt.timedelta(hours=p.calibration_guard_hours)
        out: list[Finding] = []
        n = p.collapse_cycles
        k = p.level_cycles
        calibrated = data.profile.level("R04", "collapse_ratio", series.code) if data.profile else None
        ratio = calibrated.level if calibrated is not None else p.collapse_ratio
        spiked = data.profile.level("R04", "spike_ratio", series.code) if data.profile else None
        spike_ratio = spiked.level if spiked is not None else p.spike_ratio
        if (
            spiked is not None
            and spiked.quantile is not None
            and spiked.quantile * p.calibrated_margin < p.spike_floor_ratio
        ) or data.context.point_type is not PointType.WATER:
            # the point's own history falls this deep after its peaks; or not a wastewater analyser
            # (the sample cup is a batch analyser's; ambient and stack monitors show lone one-hour plumes:
            # measured on the Beijing PM2.5 series, 9 -> 224 -> 30 ug/m3 with no other factor moving)
            spike_ratio = 0.0
        while k < len(cyc) - 1:
            t_peak, t_peak_end, v_peak = cyc[k]
            if v_peak < p.collapse_exceed_fraction * limit or (
                cyc[k - 1][1] == t_peak and cyc[k - 1][2] >= p.exceed_fraction * limit
            ):
                k += 1  # not an exceedance, or not its first cycle (a real episode lasts cycles)
                continue
            before = sorted(v for _, _, v in cyc[k - p.level_cycles : k])
            level = before[len(before) // 2]
            cycle_len = t_peak_end - t_peak
            near_zero = ratio * min(level, v_peak)
            lows, t_prev, j, back = _low_stretch(cyc, k, near_zero, n, cycle_len)
            notch = False
            if not lows or t_prev - t_peak_end < n * cycle_len:
                # a notch: the cycles right after the peak sit at most notch_ratio of the level, and the
                # values come straight back to that level after them (a washout settles lower instead)
                notch_zero = max(near_zero, p.notch_ratio * min(level, v_peak))
                lows, t_prev, j, back = _low_stretch(cyc, k, notch_zero, n, cycle_len)
                notch = (
                    bool(lows)
                    and back is not None
                    and back == j
                    and cyc[back][0] == t_prev
                    and cyc[back][2] >= p.notch_return_fraction * level
                )
                if notch:
                    near_zero = notch_zero
                else:
                    lows, t_prev, j, back = _low_stretch(cyc, k, near_zero, n, cycle_len)
            spike = False
            if spike_ratio > 0 and (not lows or t_prev - t_peak_end < n * cycle_len):
                # a spike: the next cycles fall to at most spike_ratio of the peak itself (the level
                # before was too low, or too noisy, for 'near zero' to say it)
                spike_zero = max(near_zero, spike_ratio * v_peak)
                found = _low_stretch(cyc, k, spike_zero, n, cycle_len)
                if found[0] and found[1] - t_peak_end >= n * cycle_len:
                    lows, t_prev, j, back = found
                    near_zero, spike = spike_zero, True
                    rise = p.spike_back_multiple * max(v for _, _, v in lows)
                    back = next((m for m in range(j, len(cyc)) if cyc[m][2] > min(rise, spike_zero)), None)
            low_time = t_prev - t_peak_end
            if (
                near_zero < p.min_quanta * quantum
                or level >= limit
                or not lows
                or low_time < n * cycle_len
                or back is None
                or cyc[back][0] - t_peak_end > p.max_collapse_cycles * cycle_len
            ):
                k += 1
                continue
            t_end = t_prev
            k = j
            if (
                any(t_peak - guard <= t <= t_end for t in flagged)
                or data.context.om_overlapping(t_peak, t_end, guard).height
            ):
                continue
            level_start = cyc[k - p.level_cycles][0]
            own_ratio = max(v for _, _, v in lows) / level
            # the values come straight back to the level: a cause in the stream itself (storm, dilution)
            # must have ended by then too, or it does not explain the notch
            returned = (
                (cyc[back][0], cyc[back][1])
                if cyc[back][0] == t_prev and cyc[back][2] >= p.notch_return_fraction * level
                else None
            )
            explained, checked, unrecovered = self._co_collapse(
                data, series.code, level_start, t_peak, t_peak_end, t_end, own_ratio, p, returned
            )
            if explained:
                continue
            others_text = (
                f"期间{'、'.join(factor_name(c) for c in checked)}没有相应变化"
                if checked
                else "本点位没有流量或其他因子数据可供核对"
            )
            if unrecovered:
                others_text = messages.R04_NOT_RECOVERED.format(
                    factors="、".join(factor_name(u["factor"]) for u in unrecovered),
                    back_time=cst_text(cyc[back][0]),
                    back=fmt(cyc[back][2]),
                )
            after = cyc[back][2]
            low_max = max(v for _, _, v in lows)
            events = data.context.events_near(
                t_peak, t_end, dt.timedelta(minutes=p.event_minutes), _SUSPECT_EVENTS
            )
            severity, score = Severity.MEDIUM, 0.65
            reasons = []
            if notch:
                reasons.append(messages.R04_NOTCH.format(back=fmt(after), level=fmt(level)))
            if events.height:
                severity, score = Severity.HIGH, 0.9
                reasons.append(f"前后{fmt(p.event_minutes)}分钟内有{events.height}次门禁或视频异常事件")
            cycle_minutes = cycle_len / dt.timedelta(minutes=1)
            evidence: dict[str, Any] = {
                "window": [iso(t_peak), iso(t_end)],
                "data_kind": series.kind.value,
                "cycle_minutes": cycle_minutes,
                "peak": {"time": iso(t_peak), "value": v_peak},
                "collapsed": [{"time": iso(t), "value": v} for t, _, v in lows],
                "level_before": level,
                "after": after,
                "limit": limit,
                "threshold": {
                    "collapse_exceed_fraction": p.collapse_exceed_fraction,
                    "collapse_ratio": round(ratio, 4),
                    "near_zero": round(near_zero, 4),
                    "notch_ratio": p.notch_ratio,
                    "notch_return_fraction": p.notch_return_fraction,
                    "spike_ratio": round(spike_ratio, 4),
                },
                "notch": notch,
                "spike": spike,
                "calibration": calibrated.evidence() if calibrated is not None else None,
                "spike_calibration": spiked.evidence() if spiked is not None else None,
                "events": [
                    {"time": iso(t), "type": ty} for t, ty in events.select("time", "type").iter_rows()
                ],
                "checked_factors": checked,
                "stream_change_not_recovered": unrecovered,
                "comparison": "peak cycle >= collapse_exceed_fraction x limit, next cycles <= "
                "collapse_ratio x min(pre-peak median, peak)",
            }
            out.append(
                self.finding(
                    data.context,
                    factors=[series.code],
                    start=t_peak,
                    end=t_end,
                    severity=severity,
                    score=score,
                    evidence=evidence,
                    variant="spike" if spike else "collapse",
                    cycle_minutes=fmt(cycle_minutes),
                    peak_time=cst_text(t_peak),
                    peak=fmt(v_peak),
                    limit=fmt(limit),
                    peak_pct=pct(v_peak / limit),
                    n_low=fmt(low_time / cycle_len),
                    lows="、".join(fmt(v) for _, _, v in lows),
                    low_pct=pct(low_max / level),
                    level=fmt(level),
                    after=fmt(after),
                    extra=("，" + "，".join(reasons)) if reasons else "",
                    others=others_text,
                    calibration=(
                        calibration_text(spiked, "", p.spike_ratio)
                        if spike
                        else calibration_text(calibrated, "", p.collapse_ratio)
                    ),
                    peak_low_pct=pct(low_max / v_peak),
                    spike_pct=pct(spike_ratio),
                )
            )
        return out

    def _co_collapse(
        self,
        data: PointData,
        code: str,
        level_start: dt.datetime,
        t_peak: dt.datetime,
        low_start: dt.datetime,
        low_end: dt.datetime,
        own_ratio: float,
        p: PostExceedanceDropParams,
        returned: tuple[dt.datetime, dt.datetime] | None = None,
    ) -> tuple[bool, list[str], list[dict[str, Any]]]:
        """(explained, factors checked, stream changes that did not end when the values came back).

        Explained when the stream itself changed over the low stretch: another pollutant collapses too,
        to at most ``co_collapse_ratio`` of its own pre-peak level (dilution, shutdown); flow (against
        its median over ``flow_baseline_hours`` before the peak) stops; or flow rises enough to explain
        the fall by storm dilution (mixing with clean water lowers a concentration by at most the flow
        ratio, so a fall to ``own_ratio`` needs flow x 1/own_ratio; half of that is accepted). Half-way
        falls of a second factor are ordinary co-movement (Beijing SO2 at 3-8 ug/m3 halves from one
        hour to the next).

        ``returned`` is the cycle right after the low ones when the values came straight back to the
        pre-peak level there. A collapse or a storm surge of the stream explains the low cycles only if
        it has ended by then: one cause acts on every analyser and lasts as long as it lasts, so a
        concentration back at its level while the same flow is still surging, or while the other
        pollutant is still collapsed, was not lowered by it (measured in bench detect on Tilburg
        minute data: an injected sample-cup notch during a storm, flow 5,100 m3/h through the notch and
        the return, and one during a real nitrate fall that lasted hours past the return, were both
        explained away). A stopped flow keeps explaining (its values mean nothing)."""
        checked: list[str] = []
        unrecovered: list[dict[str, Any]] = []
        for other in data.factor_codes({"pollutant", "flow"}):
            if other == code:
                continue
            s = data.series(other, (DataKind.HOUR, DataKind.MINUTE))
            if s is None:
                continue
            v = s.valid
            # flow is compared with its usual level over the day before the peak: the few cycles before
            # it may hold a pump pause, which made the ordinary flow after it look like a storm
            since = t_peak - dt.timedelta(hours=p.flow_baseline_hours) if other in FLOW_CODES else level_start
            before = _median_over(v, (since, t_peak))
            during = _median_over(v, (low_start, low_end))
            if before is None or during is None or before <= 0:
                continue
            checked.append(other)
            if other in FLOW_CODES:
                if during <= p.stop_flow_fraction * before:
                    return True, checked, unrecovered
                storm = max(p.storm_flow_rise, 0.5 / max(own_ratio, 1e-9)) * before
                if during < storm:
                    continue
                at = _median_over(v, returned)
                still = at if at is not None and at >= storm else None
            elif during <= p.co_collapse_ratio * before:
                at = _median_over(v, returned)
                still = at if at is not None and at <= p.co_collapse_ratio * before else None
            else:
                continue
            if still is None:
                # the change ended when the values came back (or there is no return cycle to judge)
                return True, checked, unrecovered
            unrecovered.append({"factor": other, "before": before, "during": during, "at_return": still})
        return False, checked, unrecovered

    def _hour_mean(self, hourly: Series, hour_start: dt.datetime) -> float | None:
        row = hourly.frame.filter(pl.col("time") == hour_start)
        if row.height == 0 or row["value"][0] is None:
            return None
        return float(row["value"][0])

    def _explained_by_others(
        self, data: PointData, code: str, tk: dt.datetime, tj: dt.datetime, p: PostExceedanceDropParams
    ) -> bool:
        """True when other factors fall together (shock load / dilution) or flow surges (storm)."""
        falls: list[bool] = []
        for other in data.factor_codes({"pollutant", "flow"}):
            if other == code:
                continue
            s = data.series(other, (DataKind.HOUR, DataKind.MINUTE))
            if s is None:
                continue
            lookup = data.valid_lists(s)
            before = _value_at(lookup, tk - dt.timedelta(hours=1))  # the hour before the peak
            after = _value_at(lookup, tj)
            if before is None or after is None or before <= 0:
                continue
            if other in FLOW_CODES:
                if after >= p.storm_flow_rise * before:
                    return True
                continue
            falls.append(after < p.co_factor_drop * before)
        return bool(falls) and sum(falls) > len(falls) / 2

    def _extra_cycles(
        self,
        cycles: Series,
        p: PostExceedanceDropParams,
        data: PointData,
        scheduled: float,
        taken: set[Any],
    ) -> list[Finding]:
        restarts = _restart_cycles(cycles, data, dt.timedelta(hours=p.calibration_guard_hours))
        valid = cycles.valid.filter(~pl.col("time").is_in(restarts.implode())).with_columns(
            pl.col("time").dt.truncate("1h").alias("hour")
        )
        per_hour = valid.group_by("hour").agg(pl.len().alias("n"), pl.col("value")).sort("hour")
        out = []
        allowed = scheduled + p.extra_cycles_allowed
        for hour, n, vals in per_hour.iter_rows():
            if n <= allowed or iso(hour) in taken:
                continue
            end = hour + dt.timedelta(hours=1)
            out.append(
                self.finding(
                    data.context,
                    factors=[cycles.code],
                    start=hour,
                    end=end,
                    severity=Severity.LOW,
                    score=0.3 + 0.1 * min(3.0, n - allowed),
                    evidence={
                        "window": [iso(hour), iso(end)],
                        "data_kind": "analyser_cycles",
                        "count": n,
                        "values": vals,
                        "scheduled_cycles_per_hour": scheduled,
                        "threshold": allowed,
                        "comparison": "cycles in the clock hour > scheduled + extra_cycles_allowed",
                    },
                    variant="extra_cycles",
                    count=n,
                    scheduled=fmt(scheduled),
                    allowed=fmt(allowed),
                )
            )
        return out


def _restart_cycles(cycles: Series, data: PointData, guard: dt.timedelta) -> pl.Series:
    """Times of the analyser's restart runs, which are not re-runs: the first valid cycle after a C/M/D
    flagged stretch, and the first within ``guard`` after an O&M record ends (after a cleaning or a
    calibration the analyser measures at once, then the schedule goes on; measured on the demo, where
    every maintenance visit made a 2-cycle hour on a 2-hourly TP/TN analyser)."""
    frame = cycles.frame.select(
        "time",
        pl.col("value").is_not_null().alias("ok"),
        pl.col("flag").is_in(list(SEGREGATED_FLAGS - {"F"})).fill_null(False).alias("flagged"),
    )
    times = frame.filter(pl.col("ok") & pl.col("flagged").shift(1).fill_null(False))["time"].to_list()
    valid = frame.filter(pl.col("ok"))["time"]
    for end in data.context.om_records["end"].to_list():
        first = valid.filter((valid >= end) & (valid <= end + guard))
        if first.len():
            times.append(first[0])
    return pl.Series("time", times, dtype=cycles.frame.schema["time"])


def _minute_cycles(data: PointData, code: str) -> Series | None:
    """Cycle results read off minute data of a cycling analyser (a minute shows the last result, held).

    Used when no real-time / analyser log is sent but the filed measuring interval says the analyser
    cycles. Only valid minutes count and consecutive equal values collapse into one result, so a
    calibration in between (flag C) does not look like an extra cycle.
    """
    minute = data.series(code, (DataKind.MINUTE,))
    if minute is None:
        return None
    prev_valid = pl.col("value").forward_fill().shift(1)
    prev_flag = pl.col("flag").shift(1)
    f = minute.frame.filter(
        pl.when(pl.col("value").is_null())
        .then(prev_flag.is_null() | (pl.col("flag") != prev_flag))
        .otherwise(prev_valid.is_null() | (pl.col("value") != prev_valid))
    )
    return Series(code, DataKind.RTD, minute.source, f, None)


def _next_cycles_max(
    cyc: list[tuple[dt.datetime, dt.datetime, float]], k: int, n: int
) -> tuple[float, int] | None:
    """The largest value over the ``n`` cycle lengths after cycle ``k`` (contiguous cycles; equal
    results are one held cycle) and the index after them; None when a gap or the end of the data comes
    first."""
    t1 = cyc[k][1]
    horizon = t1 + n * (t1 - cyc[k][0])
    j, t, top = k + 1, t1, 0.0
    while j < len(cyc) and cyc[j][0] == t and t < horizon:
        top = max(top, cyc[j][2])
        t = cyc[j][1]
        j += 1
    return None if t < horizon else (top, j)


def _dip_units(cyc: list[tuple[dt.datetime, dt.datetime, float]], p: PostExceedanceDropParams) -> list[float]:
    """Per CST day of the history, the deepest dip: after each cycle (the would-be peak), the largest
    value over the next ``collapse_cycles`` of its cycle lengths (contiguous cycles; equal results are
    one held cycle, as ``_collapses`` reads them), over the median of the ``level_cycles`` cycles before
    it; taken where the values come back above the dip within ``max_collapse_cycles`` cycle lengths (a
    longer low stretch is a stop, which the rule does not judge either)."""
    n, m = p.collapse_cycles, p.level_cycles
    deepest: dict[dt.date, float] = {}
    for k in range(m, len(cyc) - 1):
        t0, t1, _ = cyc[k]
        length = t1 - t0
        after = _next_cycles_max(cyc, k, n)
        if after is None:
            continue
        dip, j = after
        before = sorted(v for _, _, v in cyc[k - m : k])
        level = before[len(before) // 2]
        horizon = t1 + p.max_collapse_cycles * length
        if level <= 0 or not any(c[2] > dip and c[0] <= horizon for c in cyc[j : j + p.max_collapse_cycles]):
            continue
        day = t1.astimezone(CST).date()
        deepest[day] = min(deepest.get(day, float("inf")), dip / level)
    return [min(1.0, r) for r in deepest.values()]


def _spike_units(
    cyc: list[tuple[dt.datetime, dt.datetime, float]], p: PostExceedanceDropParams, limit: float
) -> list[float]:
    """Per CST day of the history, the deepest fall after a first cycle at or over exceed_fraction x
    limit (the cycle before it under that): the largest of the next ``collapse_cycles`` contiguous
    cycles over the peak; 1 on days with no such peak (every day with cycles is a unit)."""
    high = p.exceed_fraction * limit
    n = p.collapse_cycles
    deepest: dict[dt.date, float] = {}
    for k, (t0, _, v) in enumerate(cyc):
        day = t0.astimezone(CST).date()
        deepest.setdefault(day, 1.0)
        if v < high or v <= 0 or (k and cyc[k - 1][1] == t0 and cyc[k - 1][2] >= high):
            continue
        after = _next_cycles_max(cyc, k, n)
        if after is not None:
            deepest[day] = min(deepest[day], after[0] / v)
    return [min(1.0, r) for r in deepest.values()]


def _held_cycles(series: Series) -> list[tuple[dt.datetime, dt.datetime, float]]:
    """(start, end, value) of each measuring cycle: hourly values (clock-hour means of minute data),
    compared with the limit as the O2-converted value where sent, consecutive equal values merged.
    A missing hour ends a cycle."""
    f = compared_values(series.frame).select("time", "value")
    step = series.step or dt.timedelta(hours=1)
    if series.kind is DataKind.MINUTE:
        f = (
            f.group_by_dynamic("time", every="1h")
            .agg(pl.col("value").mean(), pl.col("value").count().alias("n"))
            .filter(pl.col("n") >= 45)  # HJ 75 [M]: a valid hour needs 45 valid minutes
            .select("time", "value")
        )
        step = dt.timedelta(hours=1)
    elif series.kind is not DataKind.HOUR:
        return []
    out: list[tuple[dt.datetime, dt.datetime, float]] = []
    for t, v in f.iter_rows():
        if v is None:
            continue
        v = float(v)
        if out and out[-1][2] == v and out[-1][1] == t:
            out[-1] = (out[-1][0], t + step, v)
        else:
            out.append((t, t + step, v))
    return out


def _quantum(series: Series) -> float:
    """The series' own quantisation step: the smallest gap between distinct valid values (0.01 for an
    analyser that reports two decimals; tiny for averaged or pre-cleaned data)."""
    u = series.valid["value"].unique().sort().to_numpy()
    if u.size < 2:
        return 0.0
    gaps = u[1:] - u[:-1]
    gaps = gaps[gaps > 1e-9]
    return float(gaps.min()) if gaps.size else 0.0


def _clock_hour(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _value_at(lookup: tuple[list[dt.datetime], list[float]], t: dt.datetime) -> float | None:
    """Last valid value at or before ``t`` (within 2 h)."""
    times, values = lookup
    i = bisect.bisect_right(times, t) - 1
    if i < 0 or t - times[i] > dt.timedelta(hours=2):
        return None
    return float(values[i])


def _median_over(valid: pl.DataFrame, span: tuple[dt.datetime, dt.datetime] | None) -> float | None:
    """Median of a factor's valid values over ``[span)`` (None without a span or values)."""
    if span is None:
        return None
    at = valid.filter(pl.col("time").is_between(span[0], span[1], closed="left"))["value"].median()
    return float(at) if isinstance(at, int | float) else None


def _low_stretch(
    cyc: list[tuple[dt.datetime, dt.datetime, float]],
    k: int,
    near_zero: float,
    n: int,
    cycle_len: dt.timedelta,
) -> tuple[list[tuple[dt.datetime, dt.datetime, float]], dt.datetime, int, int | None]:
    """The low stretch after peak cycle ``k``: the cycles within ``n`` cycle lengths after it,
    contiguous and all at most ``near_zero`` (lows, end of the last low, index after them, index of the
    first later cycle above ``near_zero`` or None)."""
    t_peak_end = cyc[k][1]
    j, t_prev = k + 1, t_peak_end
    while (
        j < len(cyc)
        and cyc[j][0] == t_prev
        and cyc[j][2] <= near_zero
        and t_prev < t_peak_end + n * cycle_len
    ):
        t_prev = cyc[j][1]
        j += 1
    back = next((m for m in range(j, len(cyc)) if cyc[m][2] > near_zero), None)
    return cyc[k + 1 : j], t_prev, j, back
