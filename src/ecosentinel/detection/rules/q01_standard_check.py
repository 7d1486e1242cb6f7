"""Q01 standard-sample check out of tolerance (标样核查不合格)."""

from __future__ import annotations

from typing import Any

import polars as pl

from ecosentinel.detection.base import PointData, PointRule
from ecosentinel.detection.config import RuleParams, ScreeningConfig
from ecosentinel.detection.findings import Finding, Severity, iso


class StandardCheckParams(RuleParams):
    """Thresholds of Q01 (HJ 355-2019 / HJ 356-2019 standard-solution check)."""

    tolerance: float = 0.10
    """[M] HJ 355-2019: a standard-solution check within ±10 % relative error passes."""
    high_error: float = 0.20
    """[P] off by more than twice the tolerance: high severity."""


def _num(x: float) -> str:
    return f"{x:g}"


class StandardCheckRule(PointRule[StandardCheckParams]):
    """Catches an analyser whose standard-sample check fails: after the check the data since the last
    passing check are invalid, and a check far off is a sign the analyser was adjusted by hand.

    Source: seed 003 (dynamic control uploads the analysers' standard-sample checks); HJ 355-2019 (standard
    solution check ±10 %); research notes (/work/shared/domain/detection-research.md). Reads the point's
    ``standard_checks`` (standard concentration and the analyser's measurement) from its context, not a
    series: one finding per failed check, medium, high above ``high_error``.
    """

    code = "Q01_standard_check"
    title_zh = "标准样品核查超出允许误差"
    title_en = "Standard-sample check out of tolerance"
    params_model = StandardCheckParams

    def detect(self, data: PointData, params: StandardCheckParams, config: ScreeningConfig) -> list[Finding]:
        checks = data.context.standard_checks.filter(
            pl.col("standard_value").is_not_null()
            & (pl.col("standard_value") != 0)
            & pl.col("measured_value").is_not_null()
        )
        out: list[Finding] = []
        for row in checks.sort("time").iter_rows(named=True):
            error = (row["measured_value"] - row["standard_value"]) / row["standard_value"]
            if abs(error) <= params.tolerance + 1e-12:
                continue
            t = row["time"]
            high = abs(error) > params.high_error
            evidence: dict[str, Any] = {
                "window": [iso(t), iso(t)],
                "factor": row["factor"],
                "standard_value": row["standard_value"],
                "measured_value": row["measured_value"],
                "relative_error": round(error, 6),
                "threshold": {"tolerance": params.tolerance, "high": params.high_error},
                "comparison": "|measured - standard| / standard > tolerance (HJ 355-2019)",
                "source": row["source"],
            }
            out.append(
                self.finding(
                    data.context,
                    factors=[row["factor"]],
                    start=t,
                    end=t,
                    severity=Severity.HIGH if high else Severity.MEDIUM,
                    score=0.8 if high else 0.55,
                    evidence=evidence,
                    standard=_num(row["standard_value"]),
                    measured=_num(row["measured_value"]),
                    error=_num(round(error * 100, 1)),
                    tolerance=_num(params.tolerance * 100),
                )
            )
        return out
