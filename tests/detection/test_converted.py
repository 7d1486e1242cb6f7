"""Flue-gas rows without a reported O2-converted value: the platform converts them (HJ 75-2017)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType, ScreeningConfig, screen_point
from ecosentinel.detection.base import with_converted
from tests.detection.helpers import HOUR, MINUTE, MN, T0, frame, replaced, series, wavy

GAS = PointContext(
    mn=MN,
    point_type=PointType.GAS,
    factors={"a21002": FactorSpec(limit=100), "a34013": FactorSpec(limit=10)},
    ref_o2=6.0,
)


def test_converted_where_the_logger_sent_none() -> None:
    f = frame(
        series("a21002", [100.0, 100.0, 100.0, 100.0, None]),
        series("a34013", [4.0, 4.0, 4.0, 4.0, 4.0], zs=[7.0, 7.0, 7.0, 7.0, 7.0]),
        series("a19001", [6.0, 11.0, 20.8, 9.0, 11.0], flags={3: "C"}),
    )
    got = with_converted(f, GAS).sort("code", "time")
    zs = {code: got.filter(pl.col("code") == code)["zs"].to_list() for code in ("a21002", "a34013", "a19001")}
    # 100 x (21 - 6) / (21 - 11) = 150; no conversion in air (O2 20.8) nor from an O2 under calibration
    assert zs["a21002"] == [100.0, 150.0, None, None, None]
    assert zs["a34013"] == [7.0] * 5  # reported values are kept, even where they disagree
    assert zs["a19001"] == [None] * 5  # O2 itself is not converted


@pytest.mark.parametrize(
    "context",
    [
        PointContext(
            mn=MN, point_type=PointType.WATER, factors={"a21002": FactorSpec(limit=100)}, ref_o2=6.0
        ),
        PointContext(mn=MN, point_type=PointType.GAS, factors={"a21002": FactorSpec(limit=100)}),
    ],
    ids=["water point", "no reference O2"],
)
def test_nothing_converted_without_a_gas_point_and_its_reference_o2(context: PointContext) -> None:
    f = frame(series("a21002", [100.0, 100.0]), series("a19001", [11.0, 11.0]))
    assert with_converted(f, context).equals(f)


SO2_GAS = PointContext(mn=MN, point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35)}, ref_o2=6.0)
HIDDEN_AT = (10, 30, 50)
"""Hours at which SO2 is over its limit, converted (40 mg/m3 at 6 % O2), but not measured (26.7 at 11 %)."""


def _flags_after_exceedances(step: dt.timedelta, kind: str) -> pl.DataFrame:
    """Three calibration / maintenance flags, each right after an hour over the limit (R16's pattern)."""
    per_hour = int(HOUR / step)
    hourly = replaced(wavy(72, 20.0, 4.0), list(HIDDEN_AT), 40.0)
    measured = [(v or 0.0) / 1.5 for v in hourly for _ in range(per_hour)]  # (21 - 6) / (21 - 11) = 1.5
    flagged = {11: "C", 31: "C", 51: "M"}
    flags = [flagged.get(i // per_hour, "N") for i in range(len(measured))]
    return frame(
        series("a21026", measured, step=step, kind=kind, flags=flags),
        series("a19001", [11.0] * len(measured), step=step, kind=kind),
    )


@pytest.mark.parametrize(("step", "kind"), [(HOUR, "hour"), (MINUTE, "minute")], ids=["hour", "minute"])
def test_a_limit_is_judged_on_the_converted_value(step: dt.timedelta, kind: str) -> None:
    f = _flags_after_exceedances(step, kind)
    found = screen_point(f, SO2_GAS, ScreeningConfig(), rules=["R16_flag_abuse"])
    assert [(x.start, x.end) for x in found] == [(T0 + 51 * HOUR, T0 + 52 * HOUR)]
    assert found[0].evidence["kind"] == "flag_near_exceedance"
    # the same numbers reported by a logger with its converted values (ZsRtd) give the same finding
    reported = f.with_columns(
        pl.when(pl.col("code") == "a21026").then(pl.col("value") * 1.5).otherwise(None).alias("zs")
    )
    again = screen_point(reported, SO2_GAS, ScreeningConfig(), rules=["R16_flag_abuse"])
    assert [(x.start, x.end) for x in again] == [(x.start, x.end) for x in found]
    # and without the O2 to convert with, the measured value is under the limit: nothing to see
    no_o2 = f.filter(pl.col("code") != "a19001")
    assert screen_point(no_o2, SO2_GAS, ScreeningConfig(), rules=["R16_flag_abuse"]) == []
