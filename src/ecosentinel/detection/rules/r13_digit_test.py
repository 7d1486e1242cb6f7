"""R13 digit tests: last-digit uniformity and rounding heaping (末位数字检验、取整堆积)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
from scipy import stats  # type: ignore[import-untyped]

from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.config import RuleParams
from ecosentinel.detection.findings import Finding, Severity, iso
from ecosentinel.detection.messages import kind_name
from ecosentinel.detection.profile import quantum_of, us_view
from ecosentinel.detection.rules._common import CST_FIXED_FROM, CST_OFFSET, cst_wall, fmt, pct
from ecosentinel.readings import DataKind


def resolution_of(values: pl.Series, share: float = 0.995) -> float:
    """Reporting resolution down to 0.0001 (``profile.quantum_of``); share 0.995 = the resolution of
    (almost) every value, share 0.5 = the resolution most values have."""
    return quantum_of(values, share, finest=0.0001)


_CST_OFFSET_US = CST_OFFSET // dt.timedelta(microseconds=1)


def _cst_months(times: pl.Series) -> np.ndarray:
    """The China Standard Time month of each time as year x 100 + month (``cst_wall``'s
    ``dt.year() * 100 + dt.month()``).

    numpy on aware UTC microsecond times from ``CST_FIXED_FROM`` on (UTC + 8 hours, as ``cst_wall``
    computes them), cast to whole months: the polars path took five expression calls per series
    (the zone arithmetic, year, month and the two operators). Other times take ``cst_wall``."""
    view = us_view(times)
    earliest = times.min()
    if (
        view is not None
        and getattr(times.dtype, "time_zone", None) == "UTC"
        and isinstance(earliest, dt.datetime)
        and earliest >= CST_FIXED_FROM
    ):
        us = view + _CST_OFFSET_US
        months = us.view("datetime64[us]").astype("datetime64[M]").view(np.int64)  # since 1970-01
        out: np.ndarray = (months // 12 + 1970) * 100 + months % 12 + 1
        return out
    wall = cst_wall(times)
    return np.asarray((wall.dt.year() * 100 + wall.dt.month()).to_numpy())


class DigitTestParams(RuleParams):
    """Thresholds of R13 (research notes §1 R13: Stoerk 2016; de Marchi & Hamilton 2006)."""

    min_values: int = 200
    """[P] a month needs at least this many valid values for a digit test."""
    min_span_units: float = 50.0
    """[P] instrument-resolution guard: the 5-95% spread of the values must cover at least this many
    resolution steps, so that the last digit cycles freely (values of 1-9 at integer output are not
    tested: their last digit is the value itself)."""
    finest_resolution: float = 0.001
    """Values quantised finer than this are computed (unit conversions such as ppb x 2.86, averages),
    not instrument readings: HJ 212-2017 concentration fields carry at most 3 decimals. Not tested."""
    min_units: float = 100.0
    """[P] only values of at least 100 resolution steps (three significant digits) enter the test: the
    last digit of a small number is the number itself and follows the shape of the distribution, not
    the instrument (standard practice of last-digit tests)."""
    alpha: float = 1e-4
    """[P] significance of the chi-square (uniform last digit) and of the 0/5 heaping test; strict
    because a month of minute data has tens of thousands of values."""
    min_effect: float = 0.3
    """[P] effect size w = sqrt(chi2 / n) at least Cohen's 'medium' 0.3, so a large sample alone never
    makes a finding. Measured on the real Beijing series: readings converted from ppb and rounded
    (x 1.88 for NO2) leave w of 0.2-0.25 in honest data; invented digits give w near 1."""
    dominant_share: float = 0.5
    """[P] instrument-resolution guard: digits are read at the coarsest power of ten of which at least
    half of the values are whole multiples (the resolution most values have). Series that mix
    precisions (integers plus unrounded unit conversions, seen in the Beijing data) are not mistaken
    for rounding heaping; the price is that rounding more than half of the values to whole units
    reads as an integer-resolution instrument."""
    heaping_share: float = 0.3
    """[P] last digits 0 and 5 together at or above this share (20% expected) are rounding heaping."""


class DigitTestRule(FactorRule[DigitTestParams]):
    """Catches hand-typed or invented values (人工编造、修改数据): people favour some final digits and
    round to 0 or 5, while an analyser's last digit is close to uniform.

    Source: research notes R13 (last-digit chi-square and rounding heaping on raw readings: Stoerk 2016,
    Atmos. Env. 127; de Marchi & Hamilton 2006, J Risk Uncertainty 32). Core, per China-Standard-Time
    month of the rawest data sent (analyser cycles / real-time, else minute, else hourly values, held
    repeats counted once): the last digit at the reporting resolution; chi-square against uniform;
    heaping when 0 and 5 carry the excess. Guard: the instrument resolution (values that span few
    resolution steps are skipped). A weak statistical clue: low severity alone.
    """

    code = "R13_digit_test"
    title_zh = "末位数字异常"
    title_en = "Digit test"
    params_model = DigitTestParams
    kinds = (DataKind.RTD, DataKind.MINUTE, DataKind.HOUR)
    roles = frozenset({"pollutant", "flow"})

    def detect(self, series: Series, params: DigitTestParams, data: PointData) -> list[Finding]:
        if series.kind is DataKind.RTD:
            cycles = data.cycles(series.code)
            series = cycles if cycles is not None else series
        valid = series.valid
        if valid.height == 0:
            return []
        # Valid rows are in time order, so a CST month is one contiguous slice: month bounds and parts
        # come from index arithmetic instead of two group-bys per factor.
        months = _cst_months(valid["time"])
        values = valid["value"].to_numpy()
        edges = np.flatnonzero(months[1:] != months[:-1]) + 1
        starts = np.concatenate(([0], edges))
        ends = np.concatenate((edges, [months.size]))
        # A water analyser's result is held between cycles (minute data repeat it 60 times): one
        # reading, counted once. Consecutive repeats are collapsed for every data kind.
        keep = np.concatenate(([True], values[1:] != values[:-1]))
        # The window of a month: its valid readings, from the first to the end of the last (held repeats
        # included: they are readings of that month too).
        step = series.step or dt.timedelta(0)
        times = valid["time"]
        out: list[Finding] = []
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
            part = values[a:b][keep[a:b]]
            if part.size < params.min_values:
                continue
            key = int(months[a])
            month = f"{key // 100:04d}-{key % 100:02d}"
            window = (times[a], times[b - 1] + step)
            found = self._month(series, pl.Series("value", part), month, window, params, data)
            if found is not None:
                out.append(found)
        return out

    def _month(
        self,
        s: Series,
        part: pl.Series,
        month: str,
        window: tuple[dt.datetime, dt.datetime],
        p: DigitTestParams,
        data: PointData,
    ) -> Finding | None:
        res = resolution_of(part, p.dominant_share)
        if res < p.finest_resolution * (1 - 1e-9):
            return None
        units = np.rint(part.to_numpy() / res).astype(np.int64)
        units = units[np.abs(units) >= p.min_units]
        if units.size < p.min_values:
            return None
        lo, hi = np.quantile(units, [0.05, 0.95])
        if hi - lo < p.min_span_units:
            return None
        digits = np.abs(units) % 10
        counts = np.bincount(digits, minlength=10)
        n = int(counts.sum())
        chi2, p_value = stats.chisquare(counts)
        effect = math.sqrt(float(chi2) / n)
        heap = float(counts[0] + counts[5]) / n
        heap_p = float(stats.binomtest(int(counts[0] + counts[5]), n, 0.2, alternative="greater").pvalue)
        is_heap = heap >= p.heaping_share and heap_p < p.alpha
        if not is_heap and (float(p_value) >= p.alpha or effect < p.min_effect):
            return None
        start, end = window
        top = int(np.argmax(counts))
        variant = "heaping" if is_heap else "last_digit"
        evidence = {
            "window": [iso(start), iso(end)],
            "month": month,
            "data_kind": s.kind.value,
            "count": n,
            "resolution": res,
            "digit_counts": [int(c) for c in counts],
            "chi2": round(float(chi2), 3),
            "p_value": float(p_value),
            "effect_w": round(effect, 4),
            "heaping_share": round(heap, 4),
            "heaping_p_value": heap_p,
            "threshold": {"alpha": p.alpha, "min_effect": p.min_effect, "heaping_share": p.heaping_share},
            "comparison": "chi-square of last digits vs uniform: p < alpha and w >= min_effect; "
            "or share of 0/5 >= heaping_share with binomial p < alpha",
        }
        return self.finding(
            data.context,
            factors=[s.code],
            start=start,
            end=end,
            severity=Severity.LOW,
            score=0.25 + 0.15 * min(1.0, effect / 0.5),
            evidence=evidence,
            variant=variant,
            kind=kind_name(s.kind.value),
            count=n,
            resolution=fmt(res),
            chi2=fmt(round(float(chi2), 1)),
            p=f"{float(p_value if variant == 'last_digit' else heap_p):.1e}",
            effect=fmt(round(effect, 3)),
            top=top,
            top_pct=pct(counts[top] / n),
            heap_pct=pct(heap),
        )
