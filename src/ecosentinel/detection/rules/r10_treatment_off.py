"""R10 treatment facility off while emissions look normal; declared stopped but running (标停未停)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection import messages
from ecosentinel.detection.base import PointData, PointRule, Series, true_runs
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.context import WATER_FLOW, WC_PRODUCTION, WC_TREATMENT
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.rules._common import (
    WC_KINDS,
    align,
    fmt,
    may_align_at_least,
    mean_of,
    measured_only,
    power_on_threshold,
)
from ecosentinel.readings import DataKind


class TreatmentOffParams(RuleParams):
    """Thresholds of R10 (research notes §1 R10)."""

    on_fraction: float = 0.2
    """[P] production is on above this share of its 95th-percentile power."""
    on_floor_kw: float = 1.0
    """[P] and above this absolute power."""
    off_fraction: float = 0.1
    """[P] treatment is off below this share of its 95th-percentile power."""
    min_minutes: float = 15.0
    """[P] research R10: production on and treatment off for at least 15 min."""
    align_minutes: float = 60.0
    """How far back a power or concentration value may be matched."""


class TreatmentOffRule(PointRule[TreatmentOffParams]):
    """Catches emissions data that stay normal while the treatment facility is switched off (治理设施
    停运而数据正常: the data cannot be real), and a point flagged F (stopped) while production power shows
    the plant running (标停未停).

    Source: seed 004 (Jiaxing: electricity monitoring of 9,564 production and 3,375 treatment facilities);
    seed 000 point 9 (start and stop treatment facilities and watch the data); research notes R10
    (state machine; 2026 CNKI paper on 标停未停). Working-condition series are readings with codes
    ``wc_prod_kw`` and ``wc_treat_kw`` on the point's MN; a wastewater point with a treatment meter but no
    production meter is judged on its discharge flow (measured values only) instead. Traps: standby or
    redundant trains and mis-mapped meters (check the registry's meter mapping before acting).
    """

    code = "R10_treatment_off"
    title_zh = "治理设施停运或标停未停"
    title_en = "Treatment off while emissions look normal"
    params_model = TreatmentOffParams
    context_series = (WC_PRODUCTION, WC_TREATMENT)

    def detect(self, data: PointData, params: TreatmentOffParams, config: ScreeningConfig) -> list[Finding]:
        tol = dt.timedelta(minutes=params.align_minutes)
        treat = data.series(WC_TREATMENT, WC_KINDS)
        metered = treat is not None and treat.n_valid > 0
        prod = data.series(WC_PRODUCTION, WC_KINDS)
        if prod is None or prod.n_valid == 0:
            # no production meter (a sewage plant, an enterprise with only its treatment metered): the
            # discharge flow is the production that the treatment must run for
            flow = data.series(WATER_FLOW, (DataKind.MINUTE, DataKind.HOUR))
            if not metered or flow is None or flow.n_valid == 0:
                return []
            basis = measured_only(flow)
            # discharging = at least on_fraction of the typical (median) non-zero flow: a p95 'on' level
            # would be set by storms (Tilburg 2022: p95 23,700 m3/h, the meter's ceiling; median 1,800)
            typical = basis.valid.filter(pl.col("value") > 0)["value"].median()
            if not isinstance(typical, int | float):
                return []
            on = max(params.on_floor_kw, params.on_fraction * float(typical))
            return self._treatment_off(data, params, basis, on, tol)
        on = power_on_threshold(prod, params.on_fraction, params.on_floor_kw)
        out: list[Finding] = []
        if metered:
            out.extend(self._treatment_off(data, params, prod, on, tol))
        out.extend(self._declared_stopped(data, params, on, tol))
        return out

    def _treatment_off(
        self,
        data: PointData,
        p: TreatmentOffParams,
        prod: Series,
        on: float,
        tol: dt.timedelta,
    ) -> list[Finding]:
        """Runs of ``prod`` (production power, or the discharge flow without a production meter) at or
        above ``on`` while the treatment power is below ``off_fraction`` x its 95th percentile."""
        treat = data.series(WC_TREATMENT, WC_KINDS)
        assert treat is not None
        by_flow = prod.code == WATER_FLOW
        q = treat.valid["value"].quantile(0.95)
        off = p.off_fraction * float(q) if q is not None else 0.0
        step = treat.step
        low = _at_most(treat.frame["value"], off)
        if low is not None and not may_align_at_least(treat.frame["time"], low, prod, on):
            return []  # no low treatment power while producing: no run to report
        f = align(treat.frame.select("time", pl.col("value").alias("treat")), prod, "prod", tol)
        f = f.with_columns(((pl.col("prod") >= on) & (pl.col("treat") <= off)).fill_null(False).alias("bad"))
        out = []
        for a, b in true_runs(f["bad"]):
            rows = f.slice(a, b - a + 1)
            start, end = rows["time"][0], rows["time"][-1] + (step or dt.timedelta(0))
            minutes = (end - start).total_seconds() / 60
            if minutes < p.min_minutes:
                continue
            conc: dict[str, float] = {}
            over: list[str] = []
            for code in data.factor_codes({"pollutant"}):
                s = data.series(code, (DataKind.MINUTE, DataKind.HOUR, DataKind.RTD))
                if s is None:
                    continue
                window = s.frame.filter(pl.col("time").is_between(start - tol, end, closed="left"))
                m = mean_of(window["value"])
                if m is None:
                    continue
                conc[code] = m
                limit = data.context.factor(code).limit
                if limit is not None and m >= limit:
                    over.append(code)
            if not conc:
                if not data.factor_codes({"pollutant"}):
                    # a point monitoring no pollutant (flow only): the facility was off while producing
                    # or discharging, a violation to check on site, but no data shows it was hidden
                    # (yellow at most); pollutant data that are missing or flagged then claim nothing
                    out.append(self._unchecked(data, prod, rows, start, end, minutes, on, off, by_flow))
                continue
            normal = not over
            factors = sorted(conc)
            evidence: dict[str, Any] = {
                **_running_evidence(prod.code, rows, start, end, minutes, on, off, by_flow),
                "concentration_mean": {c: round(v, 4) for c, v in conc.items()},
                "limits": {c: data.context.factor(c).limit for c in factors},
                "comparison": "production >= on and treatment <= off for >= min_minutes",
            }
            out.append(
                self.finding(
                    data.context,
                    factors=factors,
                    start=start,
                    end=end,
                    severity=Severity.HIGH if normal else Severity.MEDIUM,
                    score=(0.85 if normal else 0.55) + 0.1 * min(1.0, minutes / 240),
                    evidence=evidence,
                    variant="treatment_off_flow" if by_flow else "treatment_off",
                    prod=fmt(mean_of(rows["prod"])),
                    basis=messages.r10_basis(
                        True,
                        prod=fmt(mean_of(rows["prod"])),
                        prod_on=fmt(on),
                        unit=data.context.factor(prod.code).unit or "",
                    ),
                    treat=fmt(mean_of(rows["treat"])),
                    treat_off=fmt(off),
                    minutes=fmt(minutes),
                    conc="、".join(f"{fmt(v)}" for v in conc.values()),
                    conc_text="均低于排放限值，与治理设施停运的实际不符" if normal else "已超过排放限值",
                )
            )
        return out

    def _unchecked(
        self,
        data: PointData,
        prod: Series,
        rows: pl.DataFrame,
        start: dt.datetime,
        end: dt.datetime,
        minutes: float,
        on: float,
        off: float,
        by_flow: bool,
    ) -> Finding:
        """Treatment off while producing or discharging on a point with no pollutant data then."""
        level = mean_of(rows["prod"])
        unit = data.context.factor(prod.code).unit or ""
        return self.finding(
            data.context,
            factors=[prod.code],
            start=start,
            end=end,
            severity=Severity.MEDIUM,
            score=0.5 + 0.1 * min(1.0, minutes / 240),
            evidence={
                **_running_evidence(prod.code, rows, start, end, minutes, on, off, by_flow),
                "concentration_mean": {},
                "comparison": "production >= on and treatment <= off for >= min_minutes, no pollutant data",
            },
            variant="treatment_off_unchecked",
            basis=messages.r10_basis(by_flow, prod=fmt(level), prod_on=fmt(on), unit=unit),
            treat=fmt(mean_of(rows["treat"])),
            treat_off=fmt(off),
            minutes=fmt(minutes),
        )

    def _declared_stopped(
        self, data: PointData, p: TreatmentOffParams, on: float, tol: dt.timedelta
    ) -> list[Finding]:
        prod = data.series(WC_PRODUCTION, WC_KINDS)
        assert prod is not None
        out = []
        for code in data.factor_codes({"pollutant", "flow"}):
            s = data.series(code, (DataKind.MINUTE, DataKind.HOUR))
            if s is None:
                continue
            stopped = (s.frame["flag"] == "F").fill_null(False).to_numpy()
            if not may_align_at_least(s.frame["time"], stopped, prod, on):
                continue  # no row flagged stopped while producing
            f = align(s.frame.select("time", "flag"), prod, "prod", tol)
            f = f.with_columns(
                ((pl.col("flag") == "F") & (pl.col("prod") >= on)).fill_null(False).alias("bad")
            )
            for a, b in true_runs(f["bad"]):
                rows = f.slice(a, b - a + 1)
                start, end = rows["time"][0], rows["time"][-1] + (s.step or dt.timedelta(0))
                minutes = (end - start).total_seconds() / 60
                if minutes < p.min_minutes:
                    continue
                out.append(
                    self.finding(
                        data.context,
                        factors=[code],
                        start=start,
                        end=end,
                        severity=Severity.HIGH,
                        score=0.8 + 0.15 * min(1.0, minutes / 480),
                        evidence={
                            "window": [iso(start), iso(end)],
                            "data_kind": s.kind.value,
                            "minutes": round(minutes, 1),
                            "rows": rows.height,
                            "production_kw": mean_of(rows["prod"]),
                            "threshold": {"production_on_kw": round(on, 3)},
                            "comparison": "flag F while production >= on for >= min_minutes",
                        },
                        variant="declared_stopped",
                        prod=fmt(mean_of(rows["prod"])),
                        prod_on=fmt(on),
                        minutes=fmt(minutes),
                    )
                )
        return out


def _at_most(values: pl.Series, level: float) -> np.ndarray | None:
    """``(values <= level).fill_null(False)`` as a numpy mask for a Float64 series without NaN (None
    otherwise: polars orders NaN above every value, numpy does not)."""
    if values.dtype != pl.Float64:
        return None
    v = values.to_numpy()  # nulls as NaN
    if np.count_nonzero(np.isnan(v)) != values.null_count():
        return None
    with np.errstate(invalid="ignore"):
        return v <= level


def _running_evidence(
    basis: str,
    rows: pl.DataFrame,
    start: dt.datetime,
    end: dt.datetime,
    minutes: float,
    on: float,
    off: float,
    by_flow: bool,
) -> dict[str, Any]:
    """The evidence every treatment-off finding carries: its window, what showed the source running
    (production power, or the discharge flow without a production meter) and the treatment power."""
    return {
        "window": [iso(start), iso(end)],
        "minutes": round(minutes, 1),
        "production_basis": basis,
        "production_kw" if not by_flow else "discharge_flow": mean_of(rows["prod"]),
        "treatment_kw": mean_of(rows["treat"]),
        "threshold": {
            "production_on_kw" if not by_flow else "discharge_on": round(on, 3),
            "treatment_off_kw": round(off, 3),
        },
    }
