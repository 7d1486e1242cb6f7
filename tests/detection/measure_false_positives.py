"""Measure the screening rules' false-positive rates on real, presumed-honest public series.

Reads the data where they live (never copies them into the repo):

* Beijing multi-site air quality (12 ambient stations, hourly, 2013-03..2017-02; UCI, CC BY 4.0 [M]):
  SO2, NO2, CO, PM2.5 mapped to flue-gas factor codes. Ambient, not stacks, so only the generic rules
  apply (R01 constant / band / near-DL, R02 zero, R03 over-range / piling, R04 drop after exceedance on
  hourly data, R09 gaps after exceedances). Limits are GB 3095-2012 grade II hourly values (PM2.5:
  the 24-h value 75, on purpose a harsh test for R04/R09 because Beijing exceeded it often).
* Danish WWTP hourly inflow (DHI WaterBench, CC BY-NC 4.0): a real flow series for R01 on flow.

Every finding on these series is counted as a false positive (an upper bound: the data are not known to
be clean). Run::

    .venv/bin/python -m tests.detection.measure_false_positives [--data /work/shared/data]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections import Counter
from pathlib import Path

import polars as pl

from ecosentinel.detection import FactorSpec, PointContext, PointType, score_days, screen_point
from ecosentinel.detection.findings import Finding
from ecosentinel.readings import CST, READING_SCHEMA

BEIJING = {  # column -> (code, limit, range_high, detection_limit)
    "SO2": ("a21026", 500.0, 1000.0, 3.0),
    "NO2": ("a21004", 200.0, 500.0, 2.0),
    "CO": ("a21005", 10000.0, 20000.0, 100.0),
    "PM2.5": ("a34013", 75.0, 1000.0, 3.0),
}
RULES = ["R01", "R02", "R03", "R04", "R09", "R16"]


def _readings(mn: str, code: str, times: pl.Series, values: pl.Series) -> pl.DataFrame:
    n = len(times)
    return pl.DataFrame(
        {
            "mn": [mn] * n,
            "code": [code] * n,
            "kind": ["hour"] * n,
            "time": times,
            "source": ["platform"] * n,
            "value": values,
            "vmin": [None] * n,
            "vmax": [None] * n,
            "cou": [None] * n,
            "zs": [None] * n,
            "flag": ["N"] * n,
        },
        schema=READING_SCHEMA,
    ).filter(pl.col("value").is_not_null())


def beijing(data: Path) -> list[tuple[pl.DataFrame, PointContext, int]]:
    """(frame, context, factor-days) per station."""
    out = []
    for path in sorted((data / "beijing-multisite-aq").glob("PRSA_Data_*.csv")):
        raw = pl.read_csv(path, null_values="NA", infer_schema=False).with_columns(
            pl.col(["year", "month", "day", "hour"]).cast(pl.Int32), pl.col(list(BEIJING)).cast(pl.Float64)
        )
        station = str(raw["station"][0])
        times = (
            raw.select(pl.datetime("year", "month", "day", "hour", time_zone=CST.key).alias("t"))["t"]
            .dt.convert_time_zone("UTC")
            .dt.cast_time_unit("us")
        )
        parts = [
            _readings(station, code, times, raw[col].cast(pl.Float64))
            for col, (code, _, _, _) in BEIJING.items()
        ]
        ctx = PointContext(
            mn=station,
            point_type=PointType.GAS,
            enterprise_id=station,
            factors={
                code: FactorSpec(limit=lim, range_high=hi, detection_limit=dl)
                for code, lim, hi, dl in BEIJING.values()
            },
        )
        days = raw.height / 24 * len(BEIJING)
        out.append((pl.concat(parts), ctx, int(days)))
    return out


def wwtp(data: Path) -> tuple[pl.DataFrame, PointContext, int]:
    raw = pl.read_csv(data / "dk-wwtp-inflow" / "wwtp.csv", separator=";")
    times = raw["datetime"].str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC").dt.cast_time_unit("us")
    frame = _readings("DK-WWTP", "w00000", times, raw["flow"].cast(pl.Float64))
    ctx = PointContext(
        mn="DK-WWTP", point_type=PointType.WATER, factors={"w00000": FactorSpec(range_high=5000.0)}
    )
    return frame, ctx, raw.height // 24


def _flagged_days(findings: list[Finding]) -> set[tuple[str, tuple[str, ...], dt.date]]:
    days = set()
    for f in findings:
        d = f.start.astimezone(CST).date()
        last = f.end.astimezone(CST).date()
        while d <= last:
            days.add((f.mn, f.factors, d))
            d += dt.timedelta(days=1)
    return days


def report(name: str, sets: list[tuple[pl.DataFrame, PointContext, int]], rules: list[str]) -> list[Finding]:
    total_days = sum(d for _, _, d in sets)
    every: list[Finding] = []
    print(f"\n## {name}: {len(sets)} point(s), {total_days} factor-days\n")
    print(
        "| rule | variant | findings | flagged factor-days | rate (% of factor-days) | per 1000 factor-days |"
    )
    print("|---|---|---:|---:|---:|---:|")
    per_rule: dict[str, list[Finding]] = {r: [] for r in rules}
    for frame, ctx, _ in sets:
        for rule in rules:
            found = screen_point(frame, ctx, rules=[rule])
            per_rule[rule].extend(found)
    for rule, found in per_rule.items():
        every.extend(found)
        variants = Counter(str(f.evidence.get("kind")) for f in found) or Counter({"-": 0})
        for variant, count in sorted(variants.items()):
            subset = [f for f in found if str(f.evidence.get("kind")) == variant] if count else []
            days = len(_flagged_days(subset))
            print(
                f"| {rule} | {variant} | {count} | {days} | {100 * days / total_days:.3f} | "
                f"{1000 * count / total_days:.2f} |"
            )
    scores = score_days(every, [ctx for _, ctx, _ in sets]).filter(pl.col("level") == "point")
    point_days = sum(d for _, _, d in sets) // max(1, len(BEIJING) if name.startswith("Beijing") else 1)
    colours = Counter(scores["colour"].to_list())
    print(
        f"\nPoint-days with a warning colour (of ~{point_days} point-days): "
        + ", ".join(f"{c} {n} ({100 * n / point_days:.2f}%)" for c, n in sorted(colours.items()))
    )
    return every


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data"))
    parser.add_argument("--examples", type=int, default=0, help="print this many example explanations")
    args = parser.parse_args(argv)
    found = report("Beijing ambient (hourly SO2, NO2, CO, PM2.5)", beijing(args.data), RULES)
    found += report("Danish WWTP inflow (hourly flow)", [wwtp(args.data)], ["R01"])
    for f in found[: args.examples]:
        print("\n-", f.explanation_zh)
    return 0


if __name__ == "__main__":
    sys.exit(main())
