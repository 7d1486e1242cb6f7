"""Optional generic baselines for ``bench detect``: PyOD ECOD and ADTK, when installed (``.[bench]``).

Both see what the robust z baseline sees: the hourly platform series of every non-working-condition
factor (minute data averaged to hours when a point has no hour rows), rows flagged C/M/D/F/P/B dropped.
A point-day is flagged when at least ``MIN_HOURS`` (2) of its hours are anomalous, as for robust z.
Parameters were fixed before any run and are not tuned on the benchmark:

* ``ecod``: PyOD ``ECOD(contamination=0.01)`` (parameter-free empirical-CDF outlier score; the 1 %
  contamination is an alarm budget an analyst might pick), fitted on the point's own segment, one row
  per hour with every factor as a column (hours with a missing factor take the factor's median).
* ``adtk``: per factor, ADTK ``PersistAD(window=24, c=3.0, side="both")`` (value far from the previous
  day's median, in IQR units) or ``LevelShiftAD(window=5, c=6.0, side="both")`` (the level-shift
  example of the ADTK documentation) on the regular hourly series.

ADTK 0.6.2 (the last release, 2020) fails on pandas 3 (it writes NaN into boolean frames); the
``bench`` extra therefore pins pandas below 3.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import warnings
from typing import Any

import numpy as np
import polars as pl

from ecosentinel.bench.detect_corpus import PointRun
from ecosentinel.bench.detect_metrics import Detection
from ecosentinel.detection.base import SEGREGATED_FLAGS
from ecosentinel.readings import CST

MIN_HOURS = 2
HOUR = dt.timedelta(hours=1)


def availability() -> dict[str, str | None]:
    """Per optional baseline: None when it runs here, else why not (one line)."""
    out: dict[str, str | None] = {}
    for name, modules in (("ecod", ("pyod", "sklearn")), ("adtk", ("adtk", "pandas"))):
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if missing:
            out[name] = f"not installed ({', '.join(missing)}; pip install -e '.[bench]')"
            continue
        try:
            if name == "ecod":
                from pyod.models.ecod import ECOD  # noqa: F401
            else:
                import pandas as pd

                if int(pd.__version__.split(".")[0]) >= 3:
                    out[name] = f"ADTK 0.6 fails on pandas {pd.__version__} (needs pandas < 3)"
                    continue
                from adtk.detector import PersistAD  # noqa: F401
        except Exception as exc:  # an import failing for any reason means the baseline cannot run
            out[name] = f"import failed: {type(exc).__name__}: {exc}"[:160]
            continue
        out[name] = None
    return out


def hourly_wide(run: PointRun) -> pl.DataFrame:
    """time + one column per factor, hourly, valid values only (null where missing)."""
    frame = run.frame.filter(~pl.col("code").str.starts_with("wc_"))
    hourly = frame.filter((pl.col("kind") == "hour") & (pl.col("source") == "platform"))
    if hourly.height == 0:
        hourly = frame.filter(pl.col("kind") == "minute").with_columns(pl.col("time").dt.truncate("1h"))
    valid = hourly.filter(~pl.col("flag").fill_null("N").is_in(list(SEGREGATED_FLAGS))).filter(
        pl.col("value").is_not_null() & pl.col("value").is_not_nan()
    )
    if valid.height == 0:
        return pl.DataFrame({"time": pl.Series([], dtype=pl.Datetime("us", "UTC"))})
    wide = (
        valid.group_by("time", "code")
        .agg(pl.col("value").mean())
        .pivot(on="code", index="time", values="value")
    )
    return wide.sort("time")


def _detection(times: list[dt.datetime]) -> Detection:
    if not times:
        return Detection(flagged=frozenset())
    days = pl.Series(times, dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(CST.key).dt.date()
    counts = days.value_counts()
    flagged = frozenset(counts.filter(pl.col("count") >= MIN_HOURS)[days.name].to_list())
    return Detection(flagged=flagged, hits=tuple((t, t + HOUR) for t in times))


def ecod_detection(run: PointRun, contamination: float = 0.01) -> Detection:
    from pyod.models.ecod import ECOD

    wide = hourly_wide(run)
    codes = [c for c in wide.columns if c != "time"]
    if wide.height < 48 or not codes:
        return Detection(flagged=frozenset())
    x = wide.select(codes).to_numpy().astype(np.float64)
    med = np.nanmedian(x, axis=0)
    x = np.where(np.isfinite(x), x, np.where(np.isfinite(med), med, 0.0))
    model: Any = ECOD(contamination=contamination)
    model.fit(x)
    labels = np.asarray(model.labels_)
    times = [t for t, lab in zip(wide["time"].to_list(), labels, strict=True) if lab == 1]
    return _detection(times)


def adtk_detection(run: PointRun) -> Detection:
    import pandas as pd
    from adtk.data import validate_series
    from adtk.detector import LevelShiftAD, PersistAD

    wide = hourly_wide(run)
    codes = [c for c in wide.columns if c != "time"]
    if wide.height < 48 or not codes:
        return Detection(flagged=frozenset())
    index = pd.DatetimeIndex(wide["time"].dt.replace_time_zone(None).to_list())
    anomalous: set[dt.datetime] = set()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for code in codes:
            s = pd.Series(wide[code].to_numpy().astype(np.float64), index=index).asfreq("h")
            if s.notna().sum() < 48:
                continue
            s = validate_series(s)
            hits = None
            for det in (PersistAD(window=24, c=3.0, side="both"), LevelShiftAD(window=5, c=6.0, side="both")):
                try:
                    a = det.fit_detect(s)
                except Exception:  # ADTK raises when a window has no spread (flat series): no anomaly
                    continue
                a = a.fillna(False).astype(bool)
                hits = a if hits is None else (hits | a)
            if hits is None:
                continue
            for t in hits[hits].index:
                anomalous.add(t.to_pydatetime().replace(tzinfo=dt.UTC))
    return _detection(sorted(anomalous))
