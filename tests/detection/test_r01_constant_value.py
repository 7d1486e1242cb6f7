import datetime as dt

import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType, screen_point
from ecosentinel.detection.calibration import build_profile, with_profile
from ecosentinel.detection.findings import Finding
from ecosentinel.detection.profile import PointProfile
from ecosentinel.detection.rules.r01_constant_value import ConstantValueParams
from tests.detection.helpers import HOUR, MINUTE, T0, Case, check_case, frame, series, wavy

WATER = PointContext(
    mn="MN0001",
    point_type=PointType.WATER,
    factors={"w01018": FactorSpec(limit=50, range_high=200, detection_limit=4)},
)
GAS = PointContext(
    mn="MN0001", point_type=PointType.GAS, factors={"a21026": FactorSpec(limit=35, range_high=100)}
)


def _with_constant(n: int, lo: int, hi: int, value: float, base: float = 30) -> list[float | None]:
    values = wavy(n, base, 8)
    for i in range(lo, hi):
        values[i] = value
    return values


CASES: list[Case] = [
    {
        "id": "catch: 30 identical hourly COD values",
        "frame": frame(series("w01018", _with_constant(120, 40, 70, 31.0))),
        "context": WATER,
        "expect": 1,
        "variant": "identical",
        "windows": [(T0 + 40 * HOUR, T0 + 70 * HOUR)],
    },
    {
        "id": "clean: fluctuating COD",
        "frame": frame(series("w01018", wavy(200, 30, 8))),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "missing: a gap in the middle breaks the run into two short runs",
        "frame": frame(
            series(
                "w01018",
                [*_with_constant(120, 40, 70, 31.0)[:55], None, *_with_constant(120, 40, 70, 31.0)[56:]],
            )
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "calibration flag: a constant value held by the logger during C is not a finding",
        "frame": frame(
            series("w01018", _with_constant(120, 40, 70, 31.0), flags={i: "C" for i in range(40, 70)})
        ),
        "context": WATER,
        "expect": 0,
    },
    {
        "id": "trap: ultra-low SO2 at integer resolution is not an identical run",
        "frame": frame(series("a21026", [2.0] * 30 + [3.0, 2.0, 4.0, 1.0] * 5 + [2.0] * 30)),
        "context": GAS,
        "params": {"band_hours": 1000},
        "expect": 0,
    },
    {
        "id": "catch: narrow band within 2% of range for 80 hours",
        "frame": frame(
            series("w01018", [*wavy(40, 30, 8), *[20 + 0.3 * (i % 5) for i in range(80)], *wavy(40, 30, 8)])
        ),
        "context": WATER,
        "expect": 1,
        "variant": "narrow_band",
    },
    {
        "id": "catch: 80 hours near the detection limit",
        "frame": frame(
            series("w01018", [*wavy(100, 30, 8), *[5.0 + (i % 4) for i in range(80)], *wavy(100, 30, 8)])
        ),
        "context": WATER,
        "params": {"band_fraction": 0.001},
        "expect": 1,
        "variant": "near_detection_limit",
    },
    {
        "id": "trap: a point that always reads near its detection limit is an ultra-low emitter",
        "frame": frame(series("w01018", [5.0 + (i % 4) for i in range(200)])),
        "context": WATER,
        "params": {"band_fraction": 0.001},
        "expect": 0,
    },
    {
        "id": "catch: analyser cycles identical 8 times",
        "frame": frame(
            series("w01018", wavy(48, 30, 8)),
            series(
                "w01018",
                [*wavy(10, 30, 8), *[27.5] * 8, *wavy(10, 30, 8)],
                kind="rtd",
                source="analyser",
                step=60 * MINUTE,
            ),
        ),
        "context": WATER,
        "expect": 1,
        "variant": "identical_cycles",
    },
    {
        "id": "override: a point-level threshold of 48 h silences a 30 h run",
        "frame": frame(series("w01018", _with_constant(120, 40, 70, 31.0))),
        "context": WATER,
        "params": {"min_identical_hours": 48},
        "expect": 0,
    },
    {
        "id": "missing: a lost analyser cycle splits 8 identical cycles into runs of 4 and 3",
        "frame": frame(
            series("w01018", wavy(48, 30, 8)),
            series(
                "w01018",
                [*wavy(10, 30, 8), *[27.5] * 4, None, *[27.5] * 3, *wavy(10, 30, 8)],
                kind="rtd",
                source="analyser",
                step=60 * MINUTE,
            ),
        ),
        "context": WATER,
        "expect": 0,
        "variant": "identical_cycles",
    },
    {
        "id": "calibration flag: M-flagged (maintenance) hours cut an 80-hour band to 40 hours",
        "frame": frame(
            series(
                "w01018",
                [*wavy(40, 30, 8), *[20 + 0.3 * (i % 5) for i in range(80)], *wavy(40, 30, 8)],
                flags={i: "M" for i in range(80, 120)},
            )
        ),
        "context": WATER,
        "expect": 0,
        "variant": "narrow_band",
    },
]


# --- per-point calibration (profile from the point's own history) ------------------------------------

NOX = PointContext(
    mn="MN0001", point_type=PointType.GAS, factors={"a21002": FactorSpec(limit=100, range_high=500)}
)
M_HIST_N = 14 * 1440
"""Two weeks of minute history just before T0 (continuous NOx analyser, never two equal minutes)."""


def _nox_minutes(n: int, start: dt.datetime) -> list[float | None]:
    return [60.0 + 0.1 * ((i * 7) % 113) for i in range(n)]


NOX_HISTORY = series(
    "a21002",
    _nox_minutes(M_HIST_N, T0 - M_HIST_N * MINUTE),
    start=T0 - M_HIST_N * MINUTE,
    step=MINUTE,
    kind="minute",
)
NOX_PROFILE = build_profile(frame(NOX_HISTORY), NOX)
# window: one day of minutes, 8 hours (480 minutes) identical from 06:00 UTC
NOX_DAY = [*_nox_minutes(360, T0), *[65.3] * 480, *_nox_minutes(600, T0)]


def _held(n_hours: int, cycle: int, long_runs: dict[int, int]) -> list[float | None]:
    """Hourly values of an analyser that measures every ``cycle`` hours and holds the result; runs at
    ``long_runs`` (start hour -> length) hold longer (honest stuck stretches in the history)."""
    out: list[float | None] = []
    i = 0
    k = 0
    while i < n_hours:
        length = long_runs.get(i, cycle)
        out.extend([round(1.0 + 0.37 * ((k * 5) % 11), 2)] * length)
        i += length
        k += 1
    return out[:n_hours]


NH3 = PointContext(
    mn="MN0001", point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=5, range_high=20)}
)
# 60 days of history: the analyser holds each result 4 h; three honest stuck stretches of 40-60 h
HELD_HISTORY = series(
    "w21003",
    _held(1440, 4, {200: 40, 700: 60, 1100: 48}),
    start=T0 - 1440 * HOUR,
)
HELD_PROFILE = build_profile(frame(HELD_HISTORY), NH3)


def _window_with_run(length: int) -> list[float | None]:
    values = _held(320, 4, {})
    return [*values[:100], *[3.33] * length, *values[100 + length :]]


POWER = series("wc_prod_kw", [500.0] * 48 + [0.0] * 72 + [500.0] * 120, start=T0 - 48 * HOUR)

CALIBRATED_CASES: list[Case] = [
    {
        "id": "catch: minute data, 8 h of identical NOx minutes against the point's own level (profile)",
        "frame": frame(series("a21002", NOX_DAY, step=MINUTE, kind="minute")),
        "context": with_profile(NOX, NOX_PROFILE),
        "expect": 1,
        "variant": "identical",
        "windows": [(T0 + 360 * MINUTE, T0 + 840 * MINUTE)],
    },
    {
        "id": "clean: minute data, the same 8 h without a profile stay under the 24 h default",
        "frame": frame(series("a21002", NOX_DAY, step=MINUTE, kind="minute")),
        "context": NOX,
        "expect": 0,
    },
    {
        "id": "trap: an analyser that holds its value 4 h and was stuck 60 h in its history: 50 h is usual",
        "frame": frame(series("w21003", _window_with_run(50))),
        "context": with_profile(NH3, HELD_PROFILE),
        "expect": 0,
        "variant": "identical",
    },
    {
        "id": "catch: the same analyser held 200 h: beyond its calibrated level (the one-week ceiling)",
        "frame": frame(series("w21003", _window_with_run(200))),
        "context": with_profile(NH3, HELD_PROFILE),
        "expect": 1,
        "variant": "identical",
        "windows": [(T0 + 100 * HOUR, T0 + 300 * HOUR)],
    },
    {
        "id": "trap: the same analyser held 150 h: within what its stuck-prone history predicts",
        "frame": frame(series("w21003", _window_with_run(150))),
        "context": with_profile(NH3, HELD_PROFILE),
        "expect": 0,
        "variant": "identical",
    },
    {
        "id": "trap: substitute data (flag S) held 48 h is never evidence by itself",
        "frame": frame(
            series("a21026", _with_constant(120, 40, 88, 31.0), flags={i: "S" for i in range(40, 88)})
        ),
        "context": GAS,
        "expect": 0,
        "variant": "identical",
    },
    {
        "id": "trap: a value held 30 h while the production meter shows the plant stopped (profile)",
        "frame": frame(
            series("a21026", _with_constant(120, 20, 50, 31.0)),
            series("wc_prod_kw", [500.0] * 12 + [0.0] * 48 + [500.0] * 60),
        ),
        "context": with_profile(GAS, build_profile(frame(POWER), GAS)),
        "expect": 0,
        "variant": "identical",
    },
    {
        "id": "catch: the same 30 h held while the plant runs (profile)",
        "frame": frame(
            series("a21026", _with_constant(120, 20, 50, 31.0)), series("wc_prod_kw", [500.0] * 120)
        ),
        "context": with_profile(GAS, build_profile(frame(POWER), GAS)),
        "expect": 1,
        "variant": "identical",
        "windows": [(T0 + 20 * HOUR, T0 + 50 * HOUR)],
    },
    {
        "id": "clean: a flow at exactly zero for days (a stop; zero while operating is R02's)",
        "frame": frame(series("w00000", [*wavy(24, 30, 8), *[0.0] * 72, *wavy(24, 30, 8)])),
        "context": WATER,
        "expect": 0,
    },
]
CASES.extend(CALIBRATED_CASES)


def test_r01_calibrated_level_comes_from_the_history_and_is_stated() -> None:
    level = HELD_PROFILE.level("R01", "identical_run_hours", "w21003")
    assert level is not None
    assert level.floor == 24.0  # 6 cycles of the 4-h measuring cycle
    assert level.quantile is not None
    # three stuck stretches in 60 days: the exponential tail puts the budget's quantile beyond a week,
    # and the ceiling keeps such a history from switching the rule off
    assert level.quantile > 168.0
    assert level.level == 168.0
    assert HELD_PROFILE.factors["w21003"].cycle_hours == 4.0
    assert HELD_PROFILE.factors["w21003"].quantum == 0.01
    [f] = [
        x
        for x in screen_point(frame(series("w21003", _window_with_run(200))), with_profile(NH3, HELD_PROFILE))
        if x.rule.startswith("R01")
    ]
    assert f.evidence["calibration"]["statistic"] == "identical_run_hours"
    assert f.evidence["threshold_hours"] == pytest.approx(level.level, abs=1e-3)
    assert "该点位自身标定值" in f.explanation_zh
    assert "误报预算0.002" in f.explanation_zh
    assert "上限168小时" in f.explanation_zh
    assert f.evidence["calibration"]["ceiling"] == 168.0


def test_r01_uncalibrated_explanation_names_the_default() -> None:
    [f] = check_case("R01", CASES[0])
    assert "规则默认值24小时" in f.explanation_zh


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r01_cases(case: Case) -> None:
    check_case("R01", case)


def test_r01_identical_evidence_and_window() -> None:
    found = check_case("R01", CASES[0])
    f = found[0]
    assert f.evidence["count"] == 30
    assert f.evidence["value"] == 31.0
    assert f.end - f.start == dt.timedelta(hours=30)
    assert "31" in f.explanation_zh
    assert "2024-03-03 00:00至2024-03-04 06:00" in f.explanation_zh  # 00:00 UTC + 40 h, shown in CST


# One factor frozen, no other factor with it (a stuck analyser looks the same): a clue (low, under
# yellow alone); two factors frozen over the same hours: medium (analysers do not stick together); one
# factor frozen for twice the point's calibrated level: medium even alone.
TWO = PointContext(
    mn="MN0001",
    point_type=PointType.WATER,
    factors={"w01018": FactorSpec(limit=50, range_high=200), "w21003": FactorSpec(limit=5, range_high=20)},
)
FROZEN = (40, 70)  # 30 hours


def _nh3(n: int, frozen: bool) -> list[float | None]:
    values: list[float | None] = [round(2.0 + 0.4 * (((i * 7) % 11) - 5) / 5, 2) for i in range(n)]
    if frozen:
        for i in range(*FROZEN):
            values[i] = 2.21
    return values


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("nh3_frozen", "severity"), [(False, "low"), (True, "medium")], ids=["alone", "shared"]
)
def test_r01_identical_run_alone_is_a_clue_shared_is_evidence(
    minute: bool, nh3_frozen: bool, severity: str
) -> None:
    cod = _with_constant(120, *FROZEN, 31.0)
    nh3 = _nh3(120, nh3_frozen)
    if minute:
        cod, nh3 = [v for v in cod for _ in range(60)], [v for v in nh3 for _ in range(60)]
        kw: dict[str, object] = {"step": MINUTE, "kind": "minute"}
    else:
        kw = {}
    found = check_case(
        "R01",
        {
            "id": "COD frozen 30 h",
            "frame": frame(series("w01018", cod, **kw), series("w21003", nh3, **kw)),  # type: ignore[arg-type]
            "context": TWO,
            "expect": 2 if nh3_frozen else 1,
            "variant": "identical",
            "severity": severity,
            "windows": [(T0 + FROZEN[0] * HOUR, T0 + FROZEN[1] * HOUR)] * (2 if nh3_frozen else 1),
        },
    )
    cod_finding = next(f for f in found if f.factors == ("w01018",))
    if nh3_frozen:
        assert cod_finding.evidence["shared_with"] == ["w21003"]
        assert "多台仪器不会同时卡滞" in cod_finding.explanation_zh
    else:
        assert cod_finding.evidence["shared_with"] == []
        assert cod_finding.score <= 0.7  # a clue stays under yellow alone
        assert "此项仅作提示" in cod_finding.explanation_zh


STEADY_PROFILE = build_profile(frame(series("w21003", _nh3(720, False), start=T0 - 720 * HOUR)), NH3)


def _sticky_history(value: float = 2.17) -> list[float | None]:
    """30 days of the continuous analyser with three honest stuck stretches of 30 h (at a usual level)."""
    values = _nh3(720, False)
    for a in (100, 340, 580):
        values[a : a + 30] = [value] * 30
    return values


STICKY_PROFILE = build_profile(frame(series("w21003", _sticky_history(), start=T0 - 720 * HOUR)), NH3)


def test_r01_runs_stuck_at_the_top_of_the_history_do_not_set_its_level() -> None:
    """A meter stuck high or saturated (held at the history's maximum) serves no falsifier: those runs are
    no evidence in a window, and they do not raise the level the point's other runs are judged by."""
    sticky = STICKY_PROFILE.level("R01", "identical_run_hours", "w21003")
    assert sticky is not None
    assert sticky.level > sticky.floor
    saturated = build_profile(frame(series("w21003", _sticky_history(2.77), start=T0 - 720 * HOUR)), NH3)
    level = saturated.level("R01", "identical_run_hours", "w21003")
    assert level is not None
    assert level.level == level.floor


# the same analyser with a limit of 4 mg/L: its history (1.6-2.4, up to 2.77 when stuck) comes within
# 60-70 % of the limit, so a frozen value may hide something (with the limit of 5 it never reached half
# of it: see test_r01_lone_run_of_a_factor_never_near_its_limit_is_a_clue)
NH3_TIGHT = PointContext(
    mn="MN0001", point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=4, range_high=20)}
)


@pytest.mark.parametrize(
    ("profile", "hours", "severity", "text"),
    [
        (STEADY_PROFILE, 30, "medium", "从未出现过"),  # a history without stuck stretches: unlike it
        (STICKY_PROFILE, 160, "low", "此项仅作提示"),  # a sticky instrument: a clue
        (STICKY_PROFILE, 290, "medium", "倍"),  # a sticky instrument, but twice its level
    ],
    ids=["never-stuck", "sticky-short", "sticky-twice"],
)
def test_r01_lone_run_judged_on_the_points_own_stuck_history(
    profile: PointProfile, hours: int, severity: str, text: str
) -> None:
    level = profile.level("R01", "identical_run_hours", "w21003")
    assert level is not None
    if profile is STEADY_PROFILE:
        assert level.level == pytest.approx(level.floor)
    else:
        assert level.level > level.floor
        assert level.level <= hours * (2 if severity == "low" else 1)
    values = _nh3(360, False)
    values[40 : 40 + hours] = [2.13] * hours  # a usual level of this analyser (history 1.6-2.4)
    found = check_case(
        "R01",
        {
            "id": f"NH3-N held {hours} h",
            "frame": frame(series("w21003", values)),
            "context": with_profile(NH3_TIGHT, profile),
            "expect": 1,
            "variant": "identical",
            "severity": severity,
            "windows": [(T0 + 40 * HOUR, T0 + (40 + hours) * HOUR)],
        },
    )
    assert text in found[0].explanation_zh


# 80 hours near the detection limit (DL 4, k x DL = 8) between ordinary COD. Reported to 1 mg/L they read
# 5-8: a near-DL window. Reported in steps of 10 mg/L the same hours read 0, the only reading under 8 at
# that step: a zero run (R02's business), not something the near-DL check can tell apart.
@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize("coarse", [False, True], ids=["step-1", "step-10"])
def test_r01_near_detection_limit_needs_an_output_step_under_the_band(minute: bool, coarse: bool) -> None:
    ordinary = [
        round(v / 10) * 10.0 if coarse else float(round(v)) for v in wavy(100, 30, 8) if v is not None
    ]
    low = [0.0 if coarse else 5.0 + (i % 4) for i in range(80)]
    values = [*ordinary, *low, *ordinary]
    per = 60 if minute else 1
    kw: dict[str, object] = {"step": MINUTE, "kind": "minute"} if minute else {}
    step = MINUTE if minute else HOUR
    found = check_case(
        "R01",
        {
            "id": f"80 h near the detection limit, output step {10 if coarse else 1}",
            "frame": frame(series("w01018", [v for v in values for _ in range(per)], **kw)),  # type: ignore[arg-type]
            "context": WATER,
            "params": {"band_fraction": 0.001},
            "expect": 0 if coarse else 1,
            "variant": "near_detection_limit",
            "windows": [] if coarse else [(T0 + 100 * per * step, T0 + 180 * per * step)],
        },
    )
    assert all(f.evidence["kind"] != "near_detection_limit" for f in found) if coarse else found


def _one_identical_run(
    values: list[float | None],
    kw: dict[str, object],
    context: PointContext,
    severity: str,
    window: tuple[dt.timedelta, dt.timedelta],
) -> list[Finding]:
    """Screen the NH3-N series with R01: one identical run of ``severity`` on ``window`` (offsets from T0)."""
    return check_case(
        "R01",
        {
            "id": f"NH3-N held over {window}, {severity}",
            "frame": frame(series("w21003", values, **kw)),  # type: ignore[arg-type]
            "context": context,
            "expect": 1,
            "variant": "identical",
            "severity": severity,
            "windows": [(T0 + window[0], T0 + window[1])],
        },
    )


def _held_daily(days: int, per_hour: int, scale: float) -> list[float | None]:
    """``days`` of the continuous analyser that repeats one reading every day for 4-14 h x ``scale`` (a
    coarse output step on a steady source)."""
    values = _nh3(days * 24 * per_hour, False)
    for d in range(days):
        a, n = (d * 24 + 3) * per_hour, int((4 + (d * 5) % 11) * scale * per_hour)
        values[a : a + n] = [2.13] * n
    return values


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("ratio", "severity", "text"),
    [(1.2, "low", "每日最长恒值已达"), (2.2, "medium", "倍")],
    ids=["just-over-the-floor", "twice-the-floor"],
)
def test_r01_history_that_repeats_for_hours_under_the_floor_is_a_sticky_instrument(
    minute: bool, ratio: float, severity: str, text: str
) -> None:
    """A history whose longest daily runs reach half the floor (24 h on hourly data, 4 h on minute data)
    leaves the level at the floor, but this instrument does repeat itself for hours: a lone run just over
    the floor is a clue, not a first; twice the floor stays evidence."""
    step, per_hour, floor_h = (MINUTE, 60, 4.0) if minute else (HOUR, 1, 24.0)
    kw: dict[str, object] = {"step": MINUTE, "kind": "minute"} if minute else {}
    n = 30 * 24 * per_hour
    daily = _held_daily(30, per_hour, floor_h / 24)  # runs of 4-14 h a day (0.7-2.3 h on minute data)
    history = frame(series("w21003", daily, start=T0 - n * step, **kw))  # type: ignore[arg-type]
    profile = build_profile(history, NH3_TIGHT)
    level = profile.level("R01", "identical_run_hours", "w21003")
    assert level is not None
    assert level.quantile is not None
    assert level.level == pytest.approx(floor_h)
    assert 0.5 * floor_h <= level.quantile < floor_h
    run = int(ratio * floor_h * per_hour)
    values = _nh3(15 * 24 * per_hour, False)
    a = 2 * 24 * per_hour
    values[a : a + run] = [2.21] * run  # a usual level of this analyser (1.6-2.4, limit 4)
    found = _one_identical_run(
        values, kw, with_profile(NH3_TIGHT, profile), severity, (a * step, (a + run) * step)
    )
    assert text in found[0].explanation_zh
    if severity == "low":
        assert found[0].score <= ConstantValueParams().clue_score


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("held", "limit", "severity", "text"),
    [
        (3.33, 5.0, "low", "高于该点位历史最大值2.4"),
        (5.2, 5.0, "low", "不低于排放限值5"),
        (2.13, 5.0, "low", "从未接近限值"),
        (2.13, 4.0, "medium", "从未出现过"),
    ],
    ids=["above-history", "above-limit", "history-under-half-the-limit", "history-near-the-limit"],
)
def test_r01_lone_value_that_serves_no_falsifier_is_a_clue(
    minute: bool, held: float, limit: float, severity: str, text: str
) -> None:
    # a history that never stuck (1.6-2.4 mg/L) keeps a lone 30 h run medium. Held above everything the
    # point reported, or over the limit, it reports more, not less: an instrument stuck high. Of a factor
    # whose history never came within half of its limit (2.4 of 5), nothing near the limit was there to
    # hide: a probe stuck or fouled. Either way a clue only.
    per = 60 if minute else 1
    values = [v for v in _nh3(120, False) for _ in range(per)]
    values[40 * per : 70 * per] = [held] * (30 * per)
    kw = {"step": MINUTE, "kind": "minute"} if minute else {}
    context = PointContext(
        mn="MN0001", point_type=PointType.WATER, factors={"w21003": FactorSpec(limit=limit, range_high=20)}
    )
    found = _one_identical_run(
        values, kw, with_profile(context, STEADY_PROFILE), severity, (40 * HOUR, 70 * HOUR)
    )
    assert text in found[0].explanation_zh
    if severity == "low":
        # the finding explains itself as serving no falsifier: a weak clue (0.4 x 0.3), one other low clue
        # of the day leaves the day green
        assert found[0].score == ConstantValueParams().explained_score


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("days", "cycle", "sticky", "severity", "text"),
    [
        (14, 1, False, "medium", "本次筛查时段内其余"),  # a continuous instrument, two weeks: unlike itself
        (5, 1, False, "low", "此项仅作提示"),  # too short a window to say how it behaves
        (14, 4, False, "medium", "本次筛查时段内其余"),  # holds each result 4 rows, never longer
        (14, 4, True, "low", "此项仅作提示"),  # ... but repeats one for 5 cycles elsewhere: sticky
    ],
    ids=["continuous-two-weeks", "five-days", "holding-analyser", "sticky-holding-analyser"],
)
def test_r01_lone_run_without_history_judged_on_the_rest_of_the_window(
    minute: bool, days: int, cycle: int, sticky: bool, severity: str, text: str
) -> None:
    # no profile yet (a new point): a lone 30 h run is judged on the rest of the window when that holds
    # a week or more of an instrument that never repeats a value, or of an analyser that never repeats
    # a result beyond 3 of its cycles (judged on max(floor, 6 cycles)); otherwise it stays a clue
    per = 60 if minute else 1
    n = days * 24 * per
    base = _nh3(n, False)
    values = [base[(i // cycle) * cycle] for i in range(n)]
    values[40 * per : 70 * per] = [2.13] * (30 * per)
    if sticky:
        values[200 * per : 200 * per + 5 * cycle] = [1.77] * (5 * cycle)
    kw = {"step": MINUTE, "kind": "minute"} if minute else {}
    if minute and severity == "medium":
        severity = "high"
    found = check_case(
        "R01",
        {
            "id": f"NH3-N held 30 h in {days} days",
            "frame": frame(series("w21003", values, **kw)),  # type: ignore[arg-type]
            "context": NH3,
            "expect": 1,
            "variant": "identical",
            "severity": severity,
            "windows": [(T0 + 40 * HOUR, T0 + 70 * HOUR)],
        },
    )
    assert text in found[0].explanation_zh
    other = found[0].evidence["window_longest_other_hours"]
    assert (other is not None) == (severity != "low")
    if other is not None:
        # judged on the calibration floor (24 values: 24 h of hours, 4 h of minutes; six 4-row cycles
        # are no more), as a history without stuck stretches would be; 30 h is then 7.5 x the minute
        # level (high)
        assert found[0].evidence["threshold_hours"] == (4.0 if minute else 24.0)
        assert "以本次筛查时段内该仪器自身的数据判定" in found[0].explanation_zh


# A frozen flow meter on a point whose operating state is read from that very flow: the frozen value
# (0.1 x the usual inflow, under the on-level its history gives) must not make the source 'stopped' and
# excuse the run: a value cannot testify about itself.
INFLOW_HISTORY = series("w00000", wavy(30 * 24, 1000, 400), start=T0 - 30 * 24 * HOUR)
INFLOW_PROFILE = build_profile(frame(INFLOW_HISTORY), WATER)


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
def test_a_frozen_flow_is_not_excused_by_a_state_read_from_itself(minute: bool) -> None:
    assert INFLOW_PROFILE.operating.signal == "w00000"
    assert INFLOW_PROFILE.operating.on_level > 100.0
    per = 60 if minute else 1
    hourly = [100.0 if 40 <= i < 70 else v for i, v in enumerate(wavy(120, 1000, 400))]
    kw = {"step": MINUTE, "kind": "minute"} if minute else {}
    check_case(
        "R01",
        {
            "id": "flow frozen at 0.1 x its mean for 30 h (its calibrated level: 24 h)",
            "frame": frame(series("w00000", [v for v in hourly for _ in range(per)], **kw)),  # type: ignore[arg-type]
            "context": with_profile(WATER, INFLOW_PROFILE),
            "expect": 1,
            "variant": "identical",
            "windows": [(T0 + 40 * HOUR, T0 + 70 * HOUR)],
        },
    )


@pytest.mark.parametrize("minute", [False, True], ids=["hour", "minute"])
@pytest.mark.parametrize(
    ("limit", "explained"), [(40.0, False), (100.0, True)], ids=["near-limit", "never-near"]
)
def test_r01_narrow_band_of_a_factor_never_near_its_limit_is_a_weak_clue(
    minute: bool, limit: float, explained: bool
) -> None:
    # 80 hours within 2 % of the range: a clue either way; of a factor whose history (up to 38) never
    # reached half its limit (100) nothing was there to hide: an instrument to check, weight 0.4 x 0.3
    per = 60 if minute else 1
    kw = {"step": MINUTE, "kind": "minute"} if minute else {}
    context = PointContext(
        mn="MN0001",
        point_type=PointType.WATER,
        factors={"w01018": FactorSpec(limit=limit, range_high=500.0)},
    )
    history = build_profile(frame(series("w01018", wavy(720, 30, 8), start=T0 - 720 * HOUR)), context)
    band = [*wavy(40, 30, 8), *[20 + 0.3 * (i % 5) for i in range(80)], *wavy(40, 30, 8)]
    found = check_case(
        "R01",
        {
            "id": "narrow band",
            "frame": frame(series("w01018", [v for v in band for _ in range(per)], **kw)),  # type: ignore[arg-type]
            "context": with_profile(context, history),
            "expect": 1,
            "variant": "narrow_band",
            "severity": "low",
            "windows": [(T0 + 40 * HOUR, T0 + 120 * HOUR)],
        },
    )
    assert (found[0].score == ConstantValueParams().explained_score) is explained
    assert ("从未接近限值" in found[0].explanation_zh) is explained
