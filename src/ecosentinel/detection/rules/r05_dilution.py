"""R05 dilution: all water pollutants fall by a common factor (稀释：暗管注水、采样管转接自来水、挂瓶)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule, true_runs
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import WATER_FLOW, EventType, PointType
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.rules._common import fmt, mean_of, pct
from ecosentinel.readings import CST, DataKind

_EVENTS = frozenset(
    {
        EventType.DOOR_OPEN.value,
        EventType.CAMERA_MOVED.value,
        EventType.VIDEO_LOST.value,
        EventType.CAMERA_OFFLINE.value,
    }
)


class DilutionParams(RuleParams):
    """Thresholds of R05 (research notes §1 R5)."""

    factors: tuple[str, ...] = ("w01018", "w21003", "w21011", "w21001")
    """Pollutants whose joint fall is dilution (COD, NH3-N, TP, TN)."""
    min_factors: int = 2
    """At least this many of them must have data."""
    baseline_hours: float = 24.0
    """[P] baseline: median of the previous 24 hours."""
    operating_flow_fraction: float = 0.2
    """[P] hours with flow at or above this share of its p95 are operating hours (the baseline's hours;
    the R02/R10 production-power share)."""
    drop_ratio: float = 0.5
    """[P] every factor at or below this share of its baseline."""
    ratio_tolerance: float = 0.25
    """[P] 'ratios kept': every factor's ratio within +/-25% of the factors' median ratio."""
    min_hours: float = 2.0
    """[P] shortest diluted run."""
    flow_keep: float = 0.7
    """[P] flow at or above this share of its baseline: not a shutdown (night-shutdown trap)."""
    storm_flow_rise: float = 1.3
    """[P] flow up by this factor: storm / combined-sewer look-alike (trap), reported low."""
    night_ratio: float = 0.5
    """[P] research R5(c): night/day median ratio below this with no production reason."""
    min_rows_per_period: int = 4
    """Night and day medians need at least this many valid hours each."""
    event_minutes: float = 30.0
    """[P] R15 link: door / camera events within this many minutes of the step."""


class DilutionRule(PointRule[DilutionParams]):
    """Catches dilution of the sample or the discharge: a hidden pipe injecting tap water into the
    outfall channel (暗管注水), the sampling tube switched to a tap-water hose at night (采样管转接自来水)
    or a bottle on the sampling tube (挂瓶). Dilution divides every pollutant by the same factor, so
    their ratios stay constant; a real change in the process moves them differently.

    Source: seed 004 (Jiaxing 2022: PVC pipe injecting tap water into the discharge channel; a dyeing
    plant that discharged only at night with the sampling tube switched to a tap-water hose and the
    camera turned away); research notes R5 (65 publicised cases, 30 of 39 water cases interfered with
    the sample). Two checks: a step below the 24-h baseline, and a night/day drop. Traps: a night
    shutdown lowers flow too (not flagged); rain in combined sewers raises flow (reported low).
    """

    code = "R05_dilution"
    title_zh = "样品稀释"
    title_en = "Dilution"
    params_model = DilutionParams
    point_types = frozenset({PointType.WATER})

    def detect(self, data: PointData, params: DilutionParams, config: ScreeningConfig) -> list[Finding]:
        codes = [c for c in params.factors if data.series(c, (DataKind.HOUR,)) is not None]
        if len(codes) < params.min_factors:
            return []
        wide = self._wide(data, [*codes, WATER_FLOW])
        flow = WATER_FLOW if WATER_FLOW in wide.columns else None
        out = self._steps(data, params, wide, codes, flow)
        out.extend(self._nights(data, params, wide, codes, flow))
        return out

    def _wide(self, data: PointData, codes: list[str]) -> pl.DataFrame:
        wide: pl.DataFrame | None = None
        for code in codes:
            s = data.series(code, (DataKind.HOUR,))
            if s is None:
                continue
            part = s.frame.select("time", pl.col("value").alias(code))
            wide = part if wide is None else wide.join(part, on="time", how="full", coalesce=True)
        assert wide is not None
        return wide.sort("time")

    def _steps(
        self, data: PointData, p: DilutionParams, wide: pl.DataFrame, codes: list[str], flow: str | None
    ) -> list[Finding]:
        window = dt.timedelta(hours=p.baseline_hours)
        base_cols = [*codes, *([flow] if flow else [])]
        # baseline over operating hours only: a day-shift plant's idle nights pull a plain 24-h median
        # down (measured: diluted day hours of a simulated electroplating plant were 0.5x the plain
        # median but 0.35x its operating level)
        operating = pl.lit(True)
        if flow:
            high = wide[flow].drop_nulls().quantile(0.95)
            if high is not None and high > 0:
                operating = pl.col(flow).is_null() | (pl.col(flow) >= p.operating_flow_fraction * high)
        w = wide.with_columns(
            [
                pl.when(operating)
                .then(pl.col(c))
                .otherwise(None)
                .rolling_median_by("time", window_size=window, closed="left")
                .alias(f"{c}_base")
                for c in base_cols
            ]
        ).with_columns([(pl.col(c) / pl.col(f"{c}_base")).alias(f"{c}_r") for c in base_cols])
        ratios = [pl.col(f"{c}_r") for c in codes]
        med = pl.concat_list(ratios).list.drop_nulls().list.median()
        present = pl.sum_horizontal([r.is_not_null().cast(pl.Int32) for r in ratios])
        # Factors missing or flagged at that hour are left out; the rest must all agree.
        ok = (
            (present >= p.min_factors)
            & pl.all_horizontal([r.is_null() | (r <= p.drop_ratio) for r in ratios])
            & pl.all_horizontal([r.is_null() | ((r - med).abs() <= p.ratio_tolerance * med) for r in ratios])
        )
        if flow:
            ok = ok & (pl.col(f"{flow}_r").is_null() | (pl.col(f"{flow}_r") >= p.flow_keep))
        w = w.with_columns(ok.fill_null(False).alias("diluted"), med.alias("med"))
        out = []
        for a, b in true_runs(w["diluted"]):
            rows = w.slice(a, b - a + 1)
            start, end = rows["time"][0], rows["time"][-1] + dt.timedelta(hours=1)
            if end - start < dt.timedelta(hours=p.min_hours):
                continue
            per = {c: m for c in codes if (m := mean_of(rows[f"{c}_r"])) is not None}
            flow_r = mean_of(rows[f"{flow}_r"]) if flow else None
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "baseline": {c: rows[f"{c}_base"][0] for c in per},
                "during_mean": {c: mean_of(rows[c]) for c in per},
                "ratios": {c: round(v, 4) for c, v in per.items()},
                "flow_ratio": None if flow_r is None else round(flow_r, 4),
                "threshold": {"drop_ratio": p.drop_ratio, "ratio_tolerance": p.ratio_tolerance},
                "comparison": "every factor <= drop_ratio x its 24 h median, ratios within tolerance",
            }
            out.append(self._make(data, p, list(per), start, end, per, flow_r, evidence, "step"))
        return out

    def _nights(
        self, data: PointData, p: DilutionParams, wide: pl.DataFrame, codes: list[str], flow: str | None
    ) -> list[Finding]:
        local = wide.with_columns(pl.col("time").dt.convert_time_zone(CST.key).alias("local"))
        local = local.with_columns(
            pl.col("local").dt.hour().alias("h"),
            (pl.col("local") + dt.timedelta(hours=2)).dt.date().alias("night_of"),
        ).with_columns(
            pl.when((pl.col("h") >= 22) | (pl.col("h") < 6))
            .then(pl.lit("night"))
            .when((pl.col("h") >= 8) & (pl.col("h") < 20))
            .then(pl.lit("day"))
            .otherwise(None)
            .alias("period")
        )
        cols = [*codes, *([flow] if flow else [])]
        agg = (
            local.filter(pl.col("period").is_not_null())
            .group_by("night_of", "period")
            .agg(
                *[pl.col(c).median().alias(c) for c in cols],
                *[pl.col(c).count().alias(f"{c}_n") for c in codes],
                pl.col("time").min().alias("start"),
                pl.col("time").max().alias("last"),
            )
        )
        nights = agg.filter(pl.col("period") == "night")
        days = agg.filter(pl.col("period") == "day")
        joined = nights.join(days, on="night_of", suffix="_day").sort("night_of")
        out = []
        for row in joined.iter_rows(named=True):
            if any(
                (row[f"{c}_n"] or 0) < p.min_rows_per_period
                or (row[f"{c}_n_day"] or 0) < p.min_rows_per_period
                for c in codes
            ):
                continue
            per: dict[str, float] = {}
            for c in codes:
                night, day = row[c], row[f"{c}_day"]
                if night is None or day is None or day <= 0:
                    break
                per[c] = night / day
            if len(per) < len(codes):
                continue
            med = sorted(per.values())[len(per) // 2]
            if any(r > p.night_ratio for r in per.values()) or any(
                abs(r - med) > p.ratio_tolerance * med for r in per.values()
            ):
                continue
            flow_r = None
            if flow and row[flow] is not None and row[f"{flow}_day"]:
                flow_r = row[flow] / row[f"{flow}_day"]
                if flow_r < p.flow_keep:
                    continue  # night shutdown: less water, not diluted water
            start, end = row["start"], row["last"] + dt.timedelta(hours=1)
            evidence: dict[str, Any] = {
                "window": [iso(start), iso(end)],
                "night_median": {c: row[c] for c in codes},
                "day_median": {c: row[f"{c}_day"] for c in codes},
                "ratios": {c: round(v, 4) for c, v in per.items()},
                "flow_ratio": None if flow_r is None else round(flow_r, 4),
                "threshold": {"night_ratio": p.night_ratio, "ratio_tolerance": p.ratio_tolerance},
                "comparison": "night/day median <= night_ratio for all factors, ratios kept",
            }
            out.append(self._make(data, p, codes, start, end, per, flow_r, evidence, "night"))
        return out

    def _make(
        self,
        data: PointData,
        p: DilutionParams,
        codes: list[str],
        start: dt.datetime,
        end: dt.datetime,
        per: dict[str, float],
        flow_r: float | None,
        evidence: dict[str, Any],
        variant: str,
    ) -> Finding:
        events = data.context.events_near(start, start, dt.timedelta(minutes=p.event_minutes), _EVENTS)
        evidence["events"] = [
            {"time": iso(t), "type": ty} for t, ty in events.select("time", "type").iter_rows()
        ]
        mean_r = sum(per.values()) / len(per)
        if flow_r is not None and flow_r >= p.storm_flow_rise:
            severity, score = Severity.LOW, 0.3
            flow_text = f"但同期流量上升至{pct(flow_r)}%，也可能是降雨进入合流管网"
        elif flow_r is None:
            severity, score = Severity.MEDIUM, 0.55
            flow_text = "（无流量数据可供核对）"
        else:
            severity, score = Severity.MEDIUM, 0.65
            flow_text = f"同期流量为基线的{pct(flow_r)}%，排水量并未减少"
        if events.height and severity is not Severity.LOW:
            severity, score = Severity.HIGH, 0.9
        event_text = (
            f"；下降前后{fmt(p.event_minutes)}分钟内有{events.height}次站房门禁或视频异常事件"
            if events.height
            else ""
        )
        return self.finding(
            data.context,
            factors=codes,
            start=start,
            end=end,
            severity=severity,
            score=score,
            evidence=evidence,
            variant=variant,
            ratio_pct=pct(mean_r),
            ratios="、".join(pct(per[c]) + "%" for c in codes),
            flow_text=flow_text,
            event_text=event_text,
        )
