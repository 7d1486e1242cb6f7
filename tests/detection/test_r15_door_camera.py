"""Table-driven tests of R15 (door / camera events with no O&M record, level shifts around them)."""

import datetime as dt
from collections.abc import Sequence

import polars as pl
import pytest

from ecosentinel.detection import FactorSpec, PointContext, PointType
from ecosentinel.detection.context import EVENT_SCHEMA, OM_SCHEMA
from tests.detection.helpers import MINUTE, MN, T0, Case, check_case, frame, replaced, scaled, series, wavy

FACTORS = {"w01018": FactorSpec(limit=100), "w21003": FactorSpec(limit=15)}
N = 30
COD, NH3 = wavy(N, 60, 8), wavy(N, 8, 1, 5)
TAP = range(15, 23)  # 23:00-07:00 CST: the sample tube in a tap-water hose
NIGHT = 14 * 60 + 18  # minutes after T0: 22:18 CST
DAY = 3 * 60  # 11:00 CST


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def events(*items: tuple[int, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mn": [MN] * len(items),
            "time": [at(m) for m, _ in items],
            "type": [t for _, t in items],
        },
        schema=EVENT_SCHEMA,
    )


TAP_EVENTS = events((NIGHT, "camera_moved"), (NIGHT + 7, "door_open"), (NIGHT + 10, "door_close"))
OM = pl.DataFrame(
    {
        "mn": [MN],
        "start": [T0 + dt.timedelta(minutes=DAY - 10)],
        "end": [T0 + dt.timedelta(minutes=DAY + 50)],
        "kind": ["maintenance"],
        "person": ["李四"],
    },
    schema=OM_SCHEMA,
)


def ctx(ev: pl.DataFrame, om: pl.DataFrame | None = None) -> PointContext:
    return PointContext(
        mn=MN,
        point_type=PointType.WATER,
        factors=FACTORS,
        events=ev,
        om_records=om if om is not None else pl.DataFrame(schema=OM_SCHEMA),
    )


def water(
    cod: Sequence[float | None] = COD, nh3: Sequence[float | None] = NH3, flags: dict[int, str] | None = None
) -> pl.DataFrame:
    return frame(series("w01018", cod, flags=flags), series("w21003", nh3, flags=flags))


def water_minutes(tap_from: int | None = None) -> pl.DataFrame:
    """Minute data of both factors (each hourly level with minute noise); from minute ``tap_from`` on, 10%."""
    n = N * 60
    out = []
    for code, hourly in (("w01018", COD), ("w21003", NH3)):
        values = [(hourly[i // 60] or 0.0) + 0.05 * (i % 7) for i in range(n)]
        if tap_from is not None:
            values = [v * 0.1 if tap_from <= i < tap_from + 8 * 60 else v for i, v in enumerate(values)]
        out.append(series(code, values, step=MINUTE, kind="minute"))
    return frame(*out)


CASES: list[Case] = [
    {
        "id": "catch: camera turned and door opened at night, then COD and NH3-N fall to 10%",
        "frame": water(scaled(COD, TAP, 0.1), scaled(NH3, TAP, 0.1)),
        "context": ctx(TAP_EVENTS),
        "expect": 1,
        "severity": "high",
        "windows": [(at(NIGHT), at(NIGHT + 10))],  # camera turned 22:18 until the door closed 22:28
    },
    {
        "id": "catch: minute data, camera turned and door opened at night, the minutes after fall to 10%",
        "frame": water_minutes(tap_from=NIGHT + 12),
        "context": ctx(TAP_EVENTS),
        "expect": 1,
        "severity": "high",
        "windows": [(at(NIGHT), at(NIGHT + 10))],
    },
    {
        "id": "catch: minute data unchanged around the night camera turn: only a clue (low)",
        "frame": water_minutes(),
        "context": ctx(TAP_EVENTS),
        "expect": 1,
        "severity": "low",
        "windows": [(at(NIGHT), at(NIGHT + 10))],
    },
    {
        "id": "catch: camera offline at night, data unchanged: low (an event alone is a weak clue)",
        "frame": water(),
        "context": ctx(events((NIGHT, "camera_offline"))),
        "expect": 1,
        "severity": "low",
        "windows": [(at(NIGHT), at(NIGHT))],  # a lone event: its moment
    },
    {
        "id": "catch: door opened by day with no record, data unchanged: low",
        "frame": water(),
        "context": ctx(events((DAY, "door_open"))),
        "expect": 1,
        "severity": "low",
        "windows": [(at(DAY), at(DAY))],
    },
    {
        "id": "catch: two separate episodes are two findings",
        "frame": water(),
        "context": ctx(events((DAY, "door_open"), (DAY + 180, "video_lost"))),
        "expect": 2,
        "windows": [(at(DAY), at(DAY)), (at(DAY + 180), at(DAY + 180))],
    },
    {
        "id": "catch: camera offline for 40 minutes by day: the window spans the outage, until back online",
        "frame": water(),
        "context": ctx(events((DAY, "camera_offline"), (DAY + 40, "camera_online"))),
        "expect": 1,
        "severity": "low",
        "windows": [(at(DAY), at(DAY + 40))],
    },
    {
        "id": "catch: a door closing 20 minutes before it opens ended an earlier visit: not in the window",
        "frame": water(),
        "context": ctx(events((DAY - 20, "door_close"), (DAY, "door_open"), (DAY + 15, "door_close"))),
        "expect": 1,
        "severity": "low",
        "windows": [(at(DAY), at(DAY + 15))],
    },
    {
        "id": "clean: door opened by day within an O&M record",
        "frame": water(),
        "context": ctx(events((DAY + 20, "door_open")), OM),
        "expect": 0,
    },
    {
        "id": "clean: only door-close and camera-online events",
        "frame": water(),
        "context": ctx(events((DAY, "door_close"), (NIGHT, "camera_online"))),
        "expect": 0,
    },
    {
        "id": "missing: no data after the night event, so no shift is claimed (low, not high)",
        "frame": water(replaced(COD, range(15, N), None), replaced(NH3, range(15, N), None)),
        "context": ctx(events((NIGHT + 7, "door_open"))),
        "expect": 1,
        "severity": "low",
        "windows": [(at(NIGHT + 7), at(NIGHT + 7))],
    },
    {
        # a day-shift plant's flow rises ninefold at start-up while the camera is offline: production,
        # not a swapped sample (the analysers read the same water)
        "id": "trap: only the flow shifts across a camera outage (production starting): low",
        "frame": frame(
            series("w01018", COD),
            series("w21003", NH3),
            series("w00000", [4.0 if i < 15 else 37.0 for i in range(N)]),
        ),
        "context": ctx(events((NIGHT + 7, "door_open"))),
        "expect": 1,
        "severity": "low",
        "windows": [(at(NIGHT + 7), at(NIGHT + 7))],
    },
    {
        "id": "calibration flag: the low values after the night event are C-flagged, not a shift",
        "frame": water(scaled(COD, TAP, 0.1), scaled(NH3, TAP, 0.1), flags={i: "C" for i in TAP}),
        "context": ctx(events((NIGHT + 7, "door_open"))),
        "expect": 1,
        "severity": "low",
        "windows": [(at(NIGHT + 7), at(NIGHT + 7))],
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_r15_cases(case: Case) -> None:
    check_case("R15", case)


def test_r15_tap_water_evidence() -> None:
    f = check_case("R15", CASES[0])[0]
    assert f.factors == ("w01018", "w21003")
    assert f.evidence["night"] is True
    assert f.evidence["camera_event"] is True
    assert [e["type"] for e in f.evidence["events"]] == ["camera_moved", "door_open", "door_close"]
    assert f.evidence["level_shifts"]["w01018"]["ratio"] == pytest.approx(0.1, abs=0.02)
    assert "摄像头被转动" in f.explanation_zh
    assert "夜间" in f.explanation_zh


def test_r15_no_shift_evidence_when_data_missing() -> None:
    f = check_case("R15", CASES[10])[0]
    assert f.evidence["level_shifts"] == {}
    assert f.factors == ()


def test_r15_minute_shift_read_off_the_minutes() -> None:
    f = check_case("R15", CASES[1])[0]
    assert f.factors == ("w01018", "w21003")
    assert f.evidence["level_shifts"]["w21003"]["ratio"] == pytest.approx(0.1, abs=0.02)
