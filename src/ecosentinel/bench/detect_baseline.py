"""Detectors compared by the accuracy benchmark: the screening rules and a generic robust z-score.

The baseline is what a user without domain rules might pick: per factor, on the hourly platform
series, a trailing rolling median and MAD over ``window_hours`` (7 days, at least a day of valid data),
the modified z-score ``0.6745·(x − median)/MAD`` (Iglewicz & Hoaglin), anomalous when ``|z| > 3.5``.
A point-day is flagged when any factor has at least ``min_hours`` anomalous hours that day. Rows flagged
C/M/D/F/P/B are dropped first (the baseline is given the flags' meaning; it would be worse without).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import polars as pl

from ecosentinel.bench.detect_corpus import PointRun
from ecosentinel.bench.detect_metrics import Detection
from ecosentinel.detection import ScreeningConfig, point_day_warnings, screen_point
from ecosentinel.detection.base import SEGREGATED_FLAGS
from ecosentinel.detection.scoring import Colour
from ecosentinel.readings import CST

HOUR = dt.timedelta(hours=1)


def rules_detection(run: PointRun, config: ScreeningConfig | None = None) -> Detection:
    """Screen the point with every rule; flagged = yellow or red point-days (screening.scoring)."""
    findings = screen_point(run.frame, run.context, config)
    warnings = point_day_warnings(findings, {run.context.mn: run.context}, config)
    flagged = frozenset(w.day for w in warnings if w.colour is not Colour.GREEN)
    red = frozenset(w.day for w in warnings if w.colour is Colour.RED)
    by_rule: dict[str, set[dt.date]] = defaultdict(set)
    for w in warnings:
        for f in w.findings:
            by_rule[f.rule.split("_", 1)[0]].add(w.day)
    return Detection(
        flagged=flagged,
        hits=tuple((f.start, f.end) for f in findings),
        by_rule={k: frozenset(v) for k, v in by_rule.items()},
        red=red,
    )


def robust_z_detection(
    run: PointRun, *, window_hours: int = 168, threshold: float = 3.5, min_hours: int = 2
) -> Detection:
    """Rolling median/MAD modified z-score per factor on hourly data (minute data averaged if no hourly)."""
    frame = run.frame.filter(~pl.col("code").str.starts_with("wc_"))
    hourly = frame.filter((pl.col("kind") == "hour") & (pl.col("source") == "platform"))
    if hourly.height == 0:
        hourly = (
            frame.filter(pl.col("kind") == "minute")
            .filter(~pl.col("flag").is_in(list(SEGREGATED_FLAGS)))
            .group_by("code", pl.col("time").dt.truncate("1h"))
            .agg(pl.col("value").mean(), pl.lit("N").alias("flag"))
        )
    valid = hourly.filter(~pl.col("flag").fill_null("N").is_in(list(SEGREGATED_FLAGS))).filter(
        pl.col("value").is_not_null() & pl.col("value").is_not_nan()
    )
    scored = (
        valid.sort("code", "time")
        .with_columns(
            pl.col("value").rolling_median(window_size=window_hours, min_samples=24).over("code").alias("med")
        )
        .with_columns((pl.col("value") - pl.col("med")).abs().alias("dev"))
        .with_columns(
            pl.col("dev").rolling_median(window_size=window_hours, min_samples=24).over("code").alias("mad")
        )
        .with_columns((0.6745 * pl.col("dev") / pl.max_horizontal(pl.col("mad"), pl.lit(1e-9))).alias("z"))
        .filter(pl.col("z") > threshold)
        .with_columns(pl.col("time").dt.convert_time_zone(CST.key).dt.date().alias("day"))
    )
    counts = scored.group_by("code", "day").len()
    flagged = frozenset(counts.filter(pl.col("len") >= min_hours)["day"].to_list())
    hits = tuple((t, t + HOUR) for t in scored["time"].to_list())
    return Detection(flagged=flagged, hits=hits)
