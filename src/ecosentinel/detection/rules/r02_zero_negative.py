"""R02 zero or negative values while operating (零值/负值)."""

from __future__ import annotations

import datetime as dt

import polars as pl

from ecosentinel.detection.base import FactorRule, PointData, Series, true_runs
from ecosentinel.detection.config import RuleParams
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.rules._common import fmt, operating_state
from ecosentinel.readings import DataKind


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
    kinds = (DataKind.HOUR, DataKind.MINUTE)

    def detect(self, series: Series, params: ZeroNegativeParams, data: PointData) -> list[Finding]:
        f = series.frame.select("time", "value")
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
        )
        step = series.step or dt.timedelta(0)
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
            if basis == "power" and known.len():
                severity, operating = Severity.HIGH, "同期生产设施用电处于运行水平"
            elif basis == "flow" and known.len():
                severity, operating = Severity.MEDIUM, "同期排放流量大于零"
            else:
                severity, operating = Severity.LOW, "数据未标记停运（F）"
            vmin = float(rows["value"].min())  # type: ignore[arg-type]
            hours = (end - start).total_seconds() / 3600
            out.append(
                self.finding(
                    data.context,
                    factors=[series.code],
                    start=start,
                    end=end,
                    severity=severity,
                    score={Severity.HIGH: 0.8, Severity.MEDIUM: 0.6, Severity.LOW: 0.35}[severity]
                    + 0.2 * min(1.0, hours / 24),
                    evidence={
                        "window": [iso(start), iso(end)],
                        "data_kind": series.kind.value,
                        "count": rows.height,
                        "min": vmin,
                        "values": rows["value"].head(24).to_list(),
                        "threshold": params.max_value,
                        "operating_basis": basis,
                        "comparison": "value <= threshold with flag N while the process runs",
                    },
                    count=rows.height,
                    vmin=fmt(vmin),
                    operating=operating,
                )
            )
        return out
