"""R12 bunching just below the limit (贴限排放): a weak prior that raises other rules' weight."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.config import RuleParams
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.rules._common import fmt, pct
from ecosentinel.readings import CST, DataKind


class BunchingParams(RuleParams):
    """Thresholds of R12 (research notes §1 R12: share test and Saez/Kleven-style excess mass)."""

    band: float = 0.1
    """[P] research notes R12(c): compare [0.9L, L) with (L, 1.1L]; also the excluded band of the fit."""
    bin_width: float = 0.02
    """[P] histogram bin width as a share of the limit."""
    fit_span: float = 0.5
    """[P] the counterfactual is fitted on [L(1 - band - span), L(1 - band)) and (L(1 + band), L(1 + band
    + span)]."""
    degree: int = 2
    """[P] polynomial degree of the counterfactual histogram."""
    min_values: int = 96
    """[P] a month needs at least four days of valid hourly values."""
    min_below: int = 15
    """[P] and at least this many values in [0.9L, L)."""
    min_excess: float = 0.5
    """[P] observed count in [0.9L, L) at least 1.5 x the counterfactual."""
    min_z: float = 3.0
    """[P] and (observed - expected) / sqrt(expected) at least 3 (Poisson)."""
    min_share_ratio: float = 2.0
    """[P] and at least twice as many values in [0.9L, L) as in (L, 1.1L]."""


class BunchingRule(FactorRule[BunchingParams]):
    """Catches data held just under the emission limit (贴限排放): values that would exceed the limit are
    reported slightly below it, so they pile up in [0.9L, L) and leave a hole in (L, 1.1L].

    Source: research notes R12 (share in [0.9L, L) vs (L, 1.1L]; bunching estimator: fit a polynomial to
    the histogram excluding [L - δ, L + δ] and report the excess mass; Ghanem & Zhang 2014 and Chen et
    al. 2013 found the same discontinuity at the API 100 cut-off in city air-quality reports); the 2026
    CNKI paper on 贴限排放 cited there. Per China-Standard-Time month of valid hourly values. Trap:
    dosing reagent to sit just under a limit is legal, so this is a prior only: always low severity.
    """

    code = "R12_bunching"
    title_zh = "贴限排放"
    title_en = "Bunching below the limit"
    params_model = BunchingParams
    kinds = (DataKind.HOUR,)

    def detect(self, series: Series, params: BunchingParams, data: PointData) -> list[Finding]:
        spec = data.context.factor(series.code)
        limit = spec.limit
        if limit is None or limit <= 0 or spec.limit_low is not None:  # no bunching test on a band (pH)
            return []
        valid = series.valid.select("time", "value").with_columns(
            pl.col("time").dt.convert_time_zone(CST.key).dt.strftime("%Y-%m").alias("month")
        )
        out: list[Finding] = []
        for (month,), part in valid.group_by("month", maintain_order=True):
            if part.height >= params.min_values:
                found = self._month(series, part, str(month), limit, params, data)
                if found is not None:
                    out.append(found)
        return out

    def _month(
        self, s: Series, part: pl.DataFrame, month: str, limit: float, p: BunchingParams, data: PointData
    ) -> Finding | None:
        x = part["value"].to_numpy() / limit
        below = int(((x >= 1 - p.band) & (x < 1)).sum())
        above = int(((x > 1) & (x <= 1 + p.band)).sum())
        if below < p.min_below or below < p.min_share_ratio * above:
            return None
        expected = _counterfactual(x, p)
        excess = (below - expected) / expected if expected > 0 else math.inf
        z = (below - expected) / math.sqrt(max(expected, 1.0))
        if excess < p.min_excess or z < p.min_z:
            return None
        in_band = part.filter(pl.col("value").is_between((1 - p.band) * limit, limit, closed="left"))
        start, end = in_band["time"][0], in_band["time"][-1]
        evidence: dict[str, Any] = {
            "window": [iso(start), iso(end)],
            "month": month,
            "data_kind": s.kind.value,
            "limit": limit,
            "valid_values": part.height,
            "below_band": [round((1 - p.band) * limit, 4), limit],
            "below_count": below,
            "above_count": above,
            "expected_below": round(expected, 2),
            "excess_mass": None if math.isinf(excess) else round(excess, 4),
            "z": round(z, 3),
            "threshold": {
                "min_excess": p.min_excess,
                "min_z": p.min_z,
                "min_share_ratio": p.min_share_ratio,
            },
            "comparison": "count in [0.9L, L) vs polynomial counterfactual fitted outside [0.9L, 1.1L]",
        }
        return self.finding(
            data.context,
            factors=[s.code],
            start=start,
            end=end,
            severity=Severity.LOW,
            score=0.2 + 0.15 * min(1.0, z / (3 * p.min_z)),
            evidence=evidence,
            limit=fmt(limit),
            low=fmt((1 - p.band) * limit),
            high=fmt((1 + p.band) * limit),
            below=below,
            above=above,
            expected=fmt(round(expected, 1)),
            excess_pct="∞" if math.isinf(excess) else pct(excess),
            z=fmt(round(z, 1)),
        )


def _counterfactual(x: np.ndarray[Any, Any], p: BunchingParams) -> float:
    """Expected count in [1 - band, 1) from a polynomial fitted to the histogram outside the band."""
    lo, hi = 1 - p.band - p.fit_span, 1 + p.band + p.fit_span
    edges = np.arange(lo, hi + p.bin_width / 2, p.bin_width)
    counts, _ = np.histogram(x, bins=edges)
    centres = (edges[:-1] + edges[1:]) / 2
    outside = (centres < 1 - p.band) | (centres > 1 + p.band)
    if outside.sum() <= p.degree:
        return 0.0
    coef = np.polyfit(centres[outside], counts[outside], p.degree)
    inside = (centres >= 1 - p.band) & (centres < 1)
    return float(np.clip(np.polyval(coef, centres[inside]), 0.0, None).sum())
