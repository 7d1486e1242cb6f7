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
from ecosentinel.bench.detect_metrics import ALERT_LADDER, Detection, label_days
from ecosentinel.detection import ScreeningConfig, point_day_warnings, screen_point
from ecosentinel.detection.base import KIND_STEP, SEGREGATED_FLAGS
from ecosentinel.detection.scoring import Colour
from ecosentinel.readings import CST
from ecosentinel.simulator.models import Label

HOUR = dt.timedelta(hours=1)


def rules_detection(
    run: PointRun, config: ScreeningConfig | None = None, online: frozenset[str] = frozenset()
) -> Detection:
    """Screen the point with every rule; flagged = yellow or red point-days (screening.scoring).

    Labels of the ``online`` scenario types that the full screening detected are replayed as the
    platform meets them in operation (``online_alert``), for their time to detection."""
    findings = screen_point(run.frame, run.context, config)
    warnings = point_day_warnings(findings, {run.context.mn: run.context}, config)
    flagged = frozenset(w.day for w in warnings if w.colour is not Colour.GREEN)
    red = frozenset(w.day for w in warnings if w.colour is Colour.RED)
    by_rule: dict[str, set[dt.date]] = defaultdict(set)
    for w in warnings:
        for f in w.findings:
            by_rule[f.rule.split("_", 1)[0]].add(w.day)
    alerts: dict[tuple[str, dt.datetime], float] = {}
    for label in run.labels:
        if label.scenario in online and label_days(label)[0] & flagged:
            hours = online_alert(run, label, config)
            if hours is not None:
                alerts[(label.scenario, label.start)] = hours
    return Detection(
        flagged=flagged,
        hits=tuple((f.start, f.end) for f in findings),
        by_rule={k: frozenset(v) for k, v in by_rule.items()},
        red=red,
        alerts=alerts,
    )


def online_alert(run: PointRun, label: Label, config: ScreeningConfig | None = None) -> float | None:
    """Hours from the label's start to the first screening pass, at label start + k hours (k on
    ``ALERT_LADDER``) over the rows received by then (an hour value exists once its hour has ended, a
    minute value once its minute has), that makes a label day yellow or red with a finding overlapping
    the label. None when no pass on the ladder does (the caller falls back to the finding's end)."""
    positive = label_days(label)[0]
    kind_step = pl.col("kind").replace_strict(
        KIND_STEP, default=dt.timedelta(minutes=1), return_dtype=pl.Duration("us")
    )
    frame = run.frame.with_columns((pl.col("time") + kind_step).alias("_complete"))
    last = frame["_complete"].max()
    for k in ALERT_LADDER:
        now = label.start + dt.timedelta(hours=k)
        seen = frame.filter(pl.col("_complete") <= now).drop("_complete")
        findings = [
            f for f in screen_point(seen, run.context, config) if f.start < label.end and f.end > label.start
        ]
        if findings:
            warnings = point_day_warnings(findings, {run.context.mn: run.context}, config)
            if any(w.colour is not Colour.GREEN and w.day in positive for w in warnings):
                return float(k)
        if isinstance(last, dt.datetime) and now >= last:
            break
    return None


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
