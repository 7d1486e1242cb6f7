"""Table-driven tests of R09 (strategic gaps): gaps judged by their association with the level over the
month (binomial test against the base rate of gaps after low values and the point's history), at hour
and minute resolution, with the flagged window asserted."""

import datetime as dt

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType, screen_point
from ecosentinel.detection.calibration import build_profile, with_profile
from ecosentinel.detection.context import MARK_SCHEMA, WINDOW_SCHEMA
from tests.detection.helpers import HOUR, MINUTE, MN, T0, Case, check_case, frame, replaced, series, wavy

WATER = PointContext(mn=MN, point_type=PointType.WATER, factors={"w01018": FactorSpec(limit=50)})
MONTH = 720
LEVEL = wavy(MONTH, 30, 6)
HIGH_THEN_GAP = replaced(replaced(LEVEL, range(400, 403), 55.0), range(403, 407), None)
GAP = [(T0 + 403 * HOUR, T0 + 407 * HOUR)]


def _marked(factor: str | None) -> PointContext:
    """WATER with an approved fault mark over the gap (hours 402-408), of ``factor`` or the whole point."""
    marks = pl.DataFrame(
        {
            "mn": [MN],
            "start": [T0 + 402 * HOUR],
            "end": [T0 + 408 * HOUR],
            "kind": ["fault"],
            "factor": [factor],
        },
        schema=MARK_SCHEMA,
    )
    return PointContext(
        mn=MN, point_type=PointType.WATER, factors={"w01018": FactorSpec(limit=50)}, data_marks=marks
    )


# the same point, but it loses data every day at ordinary levels (a flaky link): base rate trap
FLAKY = replaced(HIGH_THEN_GAP, [i for d in range(30) if d != 16 for i in (24 * d + 5, 24 * d + 6)], None)

# minute data: ten days, one 3-hour exceedance, then 90 minutes silent
M_N = 14_400
M_LEVEL = wavy(M_N, 30, 6)
M_HIGH_THEN_GAP = replaced(replaced(M_LEVEL, range(9000, 9180), 56.0), range(9180, 9270), None)
M_GAP = [(T0 + 9180 * MINUTE, T0 + 9270 * MINUTE)]

# 90 days of clean history just before a 3-day window that holds the gap
HISTORY = series("w01018", wavy(2160, 30, 6), start=T0 - 2160 * HOUR)
WINDOW_3D = replaced(replaced(wavy(72, 30, 6), range(20, 23), 55.0), range(23, 27), None)
FLAKY_HISTORY = series(
    "w01018",
    replaced(wavy(504, 30, 6), [i for d in range(21) for i in (24 * d + 5, 24 * d + 6, 24 * d + 15)], None),
    start=T0 - 504 * HOUR,
)

# the exceedance is on record around the gap: over the limit for hours before and after it
ON_RECORD = replaced(replaced(LEVEL, range(396, 412), 55.0), range(403, 407), None)
M_ON_RECORD = replaced(replaced(M_LEVEL, range(9000, 9450), 56.0), range(9180, 9270), None)

CASES: list[Case] = [
    {
        "id": "clean: the values before and after the gap are over the limit already (hourly)",
        "frame": frame(series("w01018", ON_RECORD)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "clean: the values before and after the gap are over the limit already (minute)",
        "frame": frame(series("w01018", M_ON_RECORD, step=MINUTE, kind="minute")),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "catch: four missing hours right after an exceedance, in a month with no other gap "
        "(one month alone: a weak association, alpha_strong < p <= alpha; the gap hides >= 3 h over the "
        "limit, so it stays medium)",
        "frame": frame(series("w01018", HIGH_THEN_GAP)),
        "context": WATER,
        "expect": 1,
        "variant": "gap",
        "severity": "medium",
        "windows": GAP,
    },
    {
        "id": "missing: absent rows (never received) count as the gap",
        "frame": frame(series("w01018", HIGH_THEN_GAP).filter(pl.col("value").is_not_null())),
        "context": WATER,
        "expect": 1,
        "variant": "gap",
        "windows": GAP,
    },
    {
        "id": "catch: minute data, 90 silent minutes after a 3-hour exceedance (ten days: a low clue)",
        "frame": frame(series("w01018", M_HIGH_THEN_GAP, step=MINUTE, kind="minute")),
        "context": WATER,
        "expect": 1,
        "variant": "gap",
        "severity": "low",
        "windows": M_GAP,
    },
    {
        "id": "trap: minute data, the same gap at a point that drops out every day (no association)",
        "frame": frame(
            series(
                "w01018",
                replaced(
                    M_HIGH_THEN_GAP,
                    [i for d in range(10) if d != 6 for i in range(d * 1440 + 300, d * 1440 + 390)],
                    None,
                ),
                step=MINUTE,
                kind="minute",
            )
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "trap: gaps are common at this point at ordinary levels (base rate), the high one is chance",
        "frame": frame(series("w01018", FLAKY)),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "catch: a pattern of gaps after high values (gaps and a month pattern)",
        "frame": frame(
            series(
                "w01018",
                replaced(
                    replaced(LEVEL, [100, 250, 400, 550], 56.0),
                    [101, 102, 251, 252, 401, 402, 551, 552],
                    None,
                ),
            )
        ),
        "context": WATER,
        "expect": 1,
        "variant": "pattern",
        "windows": [(T0 + 551 * HOUR, T0 + 553 * HOUR)],
    },
    {
        "id": "clean: a gap after low values",
        "frame": frame(series("w01018", replaced(LEVEL, range(403, 407), None))),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "trap: the gap is inside a declared maintenance window",
        "frame": frame(series("w01018", HIGH_THEN_GAP)),
        "context": PointContext(
            mn=MN,
            point_type=PointType.WATER,
            factors={"w01018": FactorSpec(limit=50)},
            maintenance_windows=pl.DataFrame(
                {"mn": [MN], "start": [T0 + 402 * HOUR], "end": [T0 + 408 * HOUR]},
                schema=WINDOW_SCHEMA,
            ),
        ),
        "expect": 0,
    },
    {
        "id": "trap: the gap is inside an approved data mark of the factor (数据标记)",
        "frame": frame(series("w01018", HIGH_THEN_GAP)),
        "context": _marked("w01018"),
        "expect": 0,
    },
    {
        "id": "trap: the gap is inside an approved data mark of the whole point",
        "frame": frame(series("w01018", HIGH_THEN_GAP)),
        "context": _marked(None),
        "expect": 0,
    },
    {
        "id": "catch: a mark of another factor does not excuse this one's gap",
        "frame": frame(series("w01018", HIGH_THEN_GAP)),
        "context": _marked("w21003"),
        "expect": 1,
        "variant": "gap",
        "windows": GAP,
    },
    {
        "id": "calibration flag: the hours after the exceedance are C-flagged (R16's business)",
        "frame": frame(series("w01018", HIGH_THEN_GAP, flags={i: "C" for i in range(403, 407)})),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: the hours after the exceedance are M-flagged (declared maintenance)",
        "frame": frame(series("w01018", HIGH_THEN_GAP, flags={i: "M" for i in range(403, 407)})),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "catch: missing hours flagged D (fault) after the exceedance still count as the gap",
        "frame": frame(series("w01018", HIGH_THEN_GAP, flags={i: "D" for i in range(403, 407)})),
        "context": WATER,
        "expect": 1,
        "variant": "gap",
        "windows": GAP,
    },
    {
        "id": "catch: a 3-day window is judged with the point's gap-free history (profile): strong",
        "frame": frame(series("w01018", WINDOW_3D)),
        "context": with_profile(WATER, build_profile(frame(HISTORY), WATER)),
        "expect": 1,
        "variant": "gap",
        "severity": "high",
        "windows": [(T0 + 23 * HOUR, T0 + 27 * HOUR)],
    },
    {
        "id": "trap: the same 3-day window at a point whose history drops out three times a day",
        "frame": frame(series("w01018", WINDOW_3D)),
        "context": with_profile(WATER, build_profile(frame(FLAKY_HISTORY), WATER)),
        "expect": 0,
    },
    {
        "id": "clean: without a profile three days are too little to judge one gap",
        "frame": frame(series("w01018", WINDOW_3D)),
        "context": WATER,
        "expect": 0,
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r09_cases(case: Case) -> None:
    check_case("R09", case)


def test_r09_evidence_states_the_association_and_the_history() -> None:
    context = with_profile(WATER, build_profile(frame(HISTORY), WATER))
    [f] = [x for x in screen_point(frame(series("w01018", WINDOW_3D)), context, rules=["R09"])]
    assoc = f.evidence["association"]
    assert assoc["gaps_after_high"] == 1
    assert assoc["outages_after_high"] == 1
    assert assoc["values_high"] == 3
    assert assoc["p_value"] <= assoc["alpha_strong"]
    assert assoc["calibration"]["statistic"] == "gap_rate"
    assert assoc["calibration"]["history_units"] == 2160  # valid clock hours
    assert "2160个有效小时中中断0次" in f.explanation_zh  # the calibration period and what it showed
    assert "判定标准≤0.01" in f.explanation_zh
    assert "2024年03月内" in f.explanation_zh
    assert "2160个有效小时中中断0次" in f.explanation_zh
    assert f.start == T0 + 23 * HOUR
    assert f.end == T0 + 27 * HOUR
    assert isinstance(f.start, dt.datetime)


# Monitoring cut over each of two humps (the data comes back as the level falls, goes silent again as it
# rises), 14 days of hours or 10 days of minutes with no other gap: two separate outages, every outage of
# the month at a high level, a strong association -> each gap medium (yellow). The same gaps with the level
# staying high between them are one outage (a weak association: low clues); a point that also drops out
# at low levels keeps them low.
HUMPS = [38.0, 42.0, None, None, 40.0, 31.0, 41.0, None, None, 39.0]
"""From hour 0 of the humps: two 2-hour gaps 3 hours apart, flanks 0.76-0.84 x the limit of 50."""
ONE_EPISODE = [38.0, 42.0, None, None, 40.0, 38.0, 41.0, None, None, 39.0]


def _humps(
    n: int, at: int, humps: list[float | None], per: int, low_gaps: tuple[int, ...] = ()
) -> list[float | None]:
    """``n`` hours of the wavy level (``per`` rows an hour) with ``humps`` from hour ``at`` and 2-hour gaps
    at ordinary levels from each hour in ``low_gaps``."""
    hours = wavy(n, 30, 6)
    hours[at : at + len(humps)] = humps
    for h in low_gaps:
        hours = replaced(hours, range(h, h + 2), None)
    return [v for v in hours for _ in range(per)]


def _gap_windows(at: int) -> list[tuple[dt.datetime, dt.datetime]]:
    return [(T0 + (at + 2) * HOUR, T0 + (at + 4) * HOUR), (T0 + (at + 7) * HOUR, T0 + (at + 9) * HOUR)]


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("humps", "low_gaps", "severity", "outages"),
    [(HUMPS, (), "medium", 2), (HUMPS, (150,), "low", 2)],
    ids=["two-outages", "also-drops-out-low"],
)
def test_r09_repeated_outages_at_high_levels(
    minute: bool, humps: list[float | None], low_gaps: tuple[int, ...], severity: str, outages: int
) -> None:
    n, at = (240, 200) if minute else (336, 200)
    per, kw = (60, {"step": MINUTE, "kind": "minute"}) if minute else (1, {})
    found = check_case(
        "R09",
        {
            "id": "humps",
            "frame": frame(series("w01018", _humps(n, at, humps, per, low_gaps), **kw)),  # type: ignore[arg-type]
            "context": WATER,
            "expect": 2,
            "variant": "gap",
            "severity": severity,
            "windows": _gap_windows(at),
        },
    )
    assoc = found[0].evidence["association"]
    assert assoc["outages_after_high"] == outages
    assert assoc["outages_after_low"] == len(low_gaps)
    assert assoc["p_value"] <= assoc["alpha_strong"]
    all_high = "本月2次中断全部发生在浓度达到限值70%以上之后，浓度较低时从未中断。"
    assert (all_high in found[0].explanation_zh) == (severity == "medium")


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_r09_gaps_within_one_high_episode_are_one_outage(minute: bool) -> None:
    n, at = (240, 200) if minute else (336, 200)
    per, kw = (60, {"step": MINUTE, "kind": "minute"}) if minute else (1, {})
    data = frame(series("w01018", _humps(n, at, ONE_EPISODE, per), **kw))  # type: ignore[arg-type]
    found = [f for f in screen_point(data, WATER, rules=["R09"]) if f.evidence["kind"] == "gap"]
    assert all(f.severity.value == "low" for f in found)
    assert all(f.evidence["association"]["outages_after_high"] == 1 for f in found)


# The level that separates: each outage's own level is tried as the threshold, the exposure being the
# month's hours at or above it. A point that usually sits at 3 of its limit of 50 is cut three times in a
# month as the concentration climbs to 29 (0.58 x the limit: under the 0.7 bracket); a base-load point that
# runs at 0.76 x its limit all month (every hour over the bracket) is cut three times at 0.95 x. Both
# are strong associations (the cuts come at levels the month holds for three hours); the same points with
# their three gaps at ordinary levels are not.
CUT_AT = (100, 340, 580)


def _cuts(base: float, amp: float, flank: list[float | None], per: int) -> list[float | None]:
    hours = wavy(MONTH, base, amp)
    for at in CUT_AT:
        hours[at : at + len(flank)] = flank
    return [v for v in hours for _ in range(per)]


CLIMB = [12.0, 29.0, None, None, 27.0, 10.0]
"""Low-level point: a climb to 0.58 x the limit, 2 hours silent, 0.54 x, back down."""
NEAR_LIMIT = [44.0, 47.5, None, None, 46.0, 40.0]
"""Base-load point: a climb to 0.95 x the limit, 2 hours silent, 0.92 x, back to its level."""


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("base", "amp", "flank", "expect", "cut"),
    [
        (3.0, 1.0, CLIMB, 3, 29.0),
        (38.0, 4.0, NEAR_LIMIT, 3, 47.5),
        (3.0, 1.0, [3.0, 3.2, None, None, 3.1, 2.9], 0, None),
        (38.0, 4.0, [37.0, 37.5, None, None, 37.2, 38.0], 0, None),
    ],
    ids=["low-level-point", "base-load-point", "low-level-ordinary-gaps", "base-load-ordinary-gaps"],
)
def test_r09_association_at_the_level_that_separates(
    minute: bool, base: float, amp: float, flank: list[float | None], expect: int, cut: float | None
) -> None:
    per, kw = (60, {"step": MINUTE, "kind": "minute"}) if minute else (1, {})
    found = check_case(
        "R09",
        {
            "id": "cuts",
            "frame": frame(series("w01018", _cuts(base, amp, flank, per), **kw)),  # type: ignore[arg-type]
            "context": WATER,
            "expect": expect,
            "variant": "gap",
            "severity": "medium",
            "windows": [(T0 + (at + 2) * HOUR, T0 + (at + 4) * HOUR) for at in CUT_AT][:expect],
        },
    )
    for f in found:
        assert cut is not None
        assoc = f.evidence["association"]
        assert assoc["level_threshold"] == cut
        assert assoc["outages_after_high"] == 3
        assert assoc["values_high"] == 3  # the month's clock hours at or above the threshold
        assert assoc["p_value"] <= assoc["alpha_strong"]
        assert f"浓度达到限值{round(100 * cut / 50)}%以上的小时之后共出现3次数据中断" in f.explanation_zh
