"""R18 reported hourly (daily) values that are not the mean of their own minute (hourly) data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.detection.base import FactorRule, PointData, Series
from ecosentinel.detection.config import RuleParams
from ecosentinel.detection.findings import Finding, Severity, cst_text, iso
from ecosentinel.detection.rules._common import fmt, pct
from ecosentinel.detection.rules.r13_digit_test import resolution_of
from ecosentinel.readings import CST, DataKind


class HourlyMismatchParams(RuleParams):
    """Thresholds of R18 (HJ 75-2017 / HJ 356-2019 data validity: hourly and daily means are computed
    from the valid values of the period [M])."""

    min_valid_minutes: int = 45
    """[M] HJ 75-2017: a valid hour needs at least 45 minutes of valid data; hours with fewer valid
    minutes are not compared (their hourly value may legitimately be invalid or substituted)."""
    min_valid_hours: int = 20
    """[M] HJ 75 / HJ 356: a valid day needs at least 20 valid hours."""
    rel_tolerance: float = 0.02
    """[P] relative tolerance on top of the rounding tolerance (the mean of rounded minute values)."""
    resolution_multiple: float = 1.0
    """Rounding tolerance in reporting-resolution steps of the compared series."""
    min_periods: int = 1
    """[P] one mismatched hour is already a recomputation failure; findings group them per CST day."""


class HourlyMismatchRule(FactorRule[HourlyMismatchParams]):
    """Catches hourly values rewritten after the fact (数采仪或平台改写小时数据): the reported hourly value
    (kind=hour) differs from the mean of the valid minute values of that hour; likewise a daily value
    that is not the mean of its valid hourly values.

    Source: HJ 212-2017 (minute, hourly and daily data of one logger are aggregates of each other);
    HJ 75-2017 / HJ 356-2019 validity rules (only valid data enter a mean) [M]; seed 000 point 5 (the
    data must agree along the chain); BRIEF line 2. Minutes flagged C/M/D/F/P/B are left out of the mean,
    as the standards require. Both series come from the same source (platform preferred).
    Severity: high when the reported value hides an exceedance that the minute data show, medium when
    it is lower than the minute mean, low when higher (an error rather than an advantage).
    """

    code = "R18_hourly_mismatch"
    title_zh = "小时值与分钟数据不符"
    title_en = "Hourly value does not match its minute data"
    params_model = HourlyMismatchParams
    kinds = (DataKind.HOUR,)
    roles = frozenset({"pollutant", "flow", "auxiliary"})

    def detect(self, series: Series, params: HourlyMismatchParams, data: PointData) -> list[Finding]:
        out: list[Finding] = []
        minutes = data.series(series.code, [DataKind.MINUTE], source=series.source)
        if minutes is not None and minutes.n_valid:
            out.extend(self._compare(series, minutes, "1h", params.min_valid_minutes, "hour", params, data))
        day = data.series(series.code, [DataKind.DAY], source=series.source)
        if day is not None and day.n_valid:
            out.extend(self._compare(day, series, "1d", params.min_valid_hours, "day", params, data))
        return out

    def _compare(
        self,
        reported: Series,
        parts: Series,
        every: str,
        min_valid: int,
        variant: str,
        p: HourlyMismatchParams,
        data: PointData,
    ) -> list[Finding]:
        period = dt.timedelta(hours=1) if every == "1h" else dt.timedelta(days=1)
        res = max(resolution_of(reported.valid["value"]), resolution_of(parts.valid["value"]))
        tol_abs = p.resolution_multiple * res
        if every == "1h" and _hours_agree(reported.valid, parts.valid, min_valid, tol_abs, p.rel_tolerance):
            return []
        valid = parts.valid.select("time", "value")
        if every == "1d":
            # Daily values are stamped at 00:00 China Standard Time.
            key = pl.col("time").dt.convert_time_zone(CST.key).dt.truncate("1d").dt.convert_time_zone("UTC")
        else:
            key = pl.col("time").dt.truncate("1h")
        means = valid.group_by(key.alias("time")).agg(
            pl.col("value").mean().alias("expected"), pl.len().alias("n_valid")
        )
        # the comparison as one lazy query, collected once: the same steps as an eager chain, without a
        # polars call each (the group-by stays eager: lazily it cost three times as much)
        joined = (
            reported.valid.lazy()
            .select("time", pl.col("value").alias("reported"))
            .join(means.lazy(), on="time", how="inner")
            .filter(pl.col("n_valid") >= min_valid)
            .with_columns((pl.col("reported") - pl.col("expected")).alias("diff"))
            .with_columns(
                (pl.col("diff").abs() > tol_abs + p.rel_tolerance * pl.col("expected").abs()).alias("bad")
            )
            .filter(pl.col("bad"))
            .sort("time")
            .collect()
        )
        if joined.height < p.min_periods:
            return []
        limit = data.context.factor(reported.code).limit
        by_day = joined.with_columns(
            pl.col("time").dt.convert_time_zone(CST.key).dt.date().alias("day")
        ).partition_by("day", maintain_order=True)
        out = []
        for rows in by_day:
            out.append(self._finding(reported, rows, period, variant, limit, tol_abs, p, data))
        return out

    def _finding(
        self,
        reported: Series,
        rows: pl.DataFrame,
        period: dt.timedelta,
        variant: str,
        limit: float | None,
        tol_abs: float,
        p: HourlyMismatchParams,
        data: PointData,
    ) -> Finding:
        lower = rows.filter(pl.col("diff") < 0)
        hidden = (
            rows.filter((pl.col("reported") < limit) & (pl.col("expected") >= limit))
            if limit is not None
            else rows.clear()
        )
        worst = rows.sort(pl.col("diff").abs(), descending=True).row(0, named=True)
        start, end = rows["time"][0], rows["time"][-1] + period
        if hidden.height:
            severity, score = Severity.HIGH, 0.85 + 0.1 * min(1.0, hidden.height / 4)
        elif lower.height * 2 > rows.height:
            severity, score = Severity.MEDIUM, 0.55 + 0.2 * min(1.0, rows.height / 8)
        else:
            severity, score = Severity.LOW, 0.3 + 0.1 * min(1.0, rows.height / 8)
        expected = float(worst["expected"])
        diff_pct = abs(worst["diff"]) / abs(expected) if expected else 0.0
        evidence: dict[str, Any] = {
            "window": [iso(start), iso(end)],
            "data_kind": reported.kind.value,
            "source": reported.source,
            "periods": [
                {
                    "time": iso(t),
                    "reported": r,
                    "mean_of_valid": round(e, 4),
                    "n_valid": n,
                }
                for t, r, e, n in rows.select("time", "reported", "expected", "n_valid").iter_rows()
            ][:48],
            "count": rows.height,
            "lower_count": lower.height,
            "hidden_exceedances": hidden.height,
            "limit": limit,
            "threshold": {"abs": tol_abs, "rel": p.rel_tolerance},
            "comparison": "|reported - mean of valid parts| > abs + rel x |mean|",
        }
        return self.finding(
            data.context,
            factors=[reported.code],
            start=start,
            end=end,
            severity=severity,
            score=score,
            evidence=evidence,
            variant=variant,
            count=rows.height,
            example_time=cst_text(worst["time"]),
            reported=fmt(worst["reported"]),
            n_valid=worst["n_valid"],
            expected=fmt(round(expected, 4)),
            direction="上报值偏低" if worst["diff"] < 0 else "上报值偏高",
            diff_pct=pct(diff_pct),
            limit_text=(
                f"；其中{hidden.height}个时段按{'分钟' if variant == 'hour' else '小时'}数据计算已超过"
                f"排放限值{fmt(limit)}，上报值却低于限值"
                if hidden.height
                else ""
            ),
        )


_HOUR_US = 3_600_000_000
_MARGIN = 1e-9
"""Relative margin of ``_hours_agree`` for the rounding of its means against polars' (a mean of n
values differs by about n x 2.2e-16 of the values' magnitude between summation orders)."""


def _hours_agree(
    reported: pl.DataFrame, parts: pl.DataFrame, min_valid: int, tol_abs: float, rel: float
) -> bool:
    """True only when provably no compared hour of ``reported`` (valid hourly rows) differs from the mean
    of its valid minutes ``parts`` by more than the tolerance; False when it cannot tell.

    Why: nearly every hour agrees, and the exact comparison (a polars group-by of the minutes, then a
    join, two filters, arithmetic and a sort) cost about 0.8 ms per factor, of which almost all is
    polars' fixed cost per call on a few hundred rows. Here the same test runs in numpy over the sorted
    minutes (hours are contiguous runs of them), with the threshold lowered by a margin far above the
    difference between numpy's and polars' rounding of a mean, so that an hour near the threshold
    falls through to the exact comparison, which alone decides every finding."""
    rt, pt = reported["time"], parts["time"]
    for t in (rt, pt):
        if not (
            isinstance(t.dtype, pl.Datetime) and t.dtype.time_unit == "us" and t.dtype.time_zone == "UTC"
        ):
            return False
        if t.null_count():
            return False
    if reported["value"].dtype != pl.Float64 or parts["value"].dtype != pl.Float64:
        return False
    rep, v = reported["value"].to_numpy(), parts["value"].to_numpy()
    if v.size == 0 or rep.size == 0:
        return True  # no hour to compare (the join is empty)
    if not (np.isfinite(rep).all() and np.isfinite(v).all()):
        return False  # NaN / inf compare differently in polars: let it decide
    hours = pt.to_numpy().view(np.int64) // _HOUR_US * _HOUR_US  # dt.truncate("1h") in UTC
    if not bool(np.all(hours[1:] >= hours[:-1])):
        return False
    starts = np.flatnonzero(np.concatenate(([True], hours[1:] != hours[:-1])))
    keys = hours[starts]
    counts = np.diff(np.append(starts, hours.size))
    mean = np.add.reduceat(v, starts) / counts
    mean_abs = np.add.reduceat(np.abs(v), starts) / counts
    times = rt.to_numpy().view(np.int64)
    at = np.minimum(np.searchsorted(keys, times), keys.size - 1)
    hit = (keys[at] == times) & (counts[at] >= min_valid)
    rep, g = rep[hit], at[hit]
    limit = tol_abs + rel * np.abs(mean[g])
    margin = _MARGIN * (np.abs(rep) + mean_abs[g] + tol_abs) + 1e-300
    return not bool(np.any(np.abs(rep - mean[g]) > limit - margin))
