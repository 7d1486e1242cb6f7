"""Readings CSV import refuses times beyond the future tolerance or before the earliest date (issue 12)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ecosentinel.config import DataTimeSettings
from ecosentinel.readings import CST, DataKind
from ecosentinel.store.importer import ImportFileError, read_readings_csv
from ecosentinel.store.timecheck import time_refusal

MN = "33040000000001"
HEADER = "mn,time,kind,code,value,flag\n"
NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=CST)
POLICY = DataTimeSettings(future_tolerance_s=600.0)


def write(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "readings.csv"
    path.write_text(HEADER + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def test_rows_in_the_future_or_before_2000_are_refused_with_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            f"{MN},2026-06-01T12:10:00,hour,w01018,1,N",  # exactly at the tolerance: accepted
            f"{MN},2999-01-01T00:00:00,hour,w01018,1,N",
            f"{MN},2026-06-01T12:10:01,minute,w01018,1,N",  # one second beyond
            f"{MN},1999-12-31T23:59:59,day,w01018,1,N",
        ],
    )
    with pytest.raises(ImportFileError) as info:
        read_readings_csv(path, known_mns={MN}, data_time=POLICY, now=NOW)
    assert info.value.count == 3
    locations = [e.location for e in info.value.errors]
    assert locations == [f"{path}:3:2", f"{path}:4:2", f"{path}:5:2"]
    assert "未来" in str(info.value.errors[0])
    assert "最早" in str(info.value.errors[2])


def test_old_history_within_the_earliest_date_is_imported(tmp_path: Path) -> None:
    # no age limit for imports: a year-old minute series is history, not a live upload
    path = write(tmp_path, [f"{MN},2025-05-01T08:00:00,minute,w01018,1,N"])
    frame = read_readings_csv(path, known_mns={MN}, data_time=POLICY, now=NOW)
    assert frame.height == 1


@pytest.mark.parametrize(
    ("t", "kind", "reason"),
    [
        (NOW + dt.timedelta(seconds=600), DataKind.MINUTE, None),
        (NOW + dt.timedelta(seconds=601), DataKind.MINUTE, "time: future"),
        (dt.datetime(2999, 1, 1, tzinfo=CST), DataKind.HOUR, "time: future"),
        (dt.datetime(1999, 12, 31, 23, 59, 59, tzinfo=CST), DataKind.DAY, "time: too old"),
        (NOW - dt.timedelta(days=7, seconds=1), DataKind.RTD, "time: too old"),
        (NOW - dt.timedelta(days=6), DataKind.RTD, None),
        (NOW - dt.timedelta(days=401), DataKind.MINUTE, "time: too old"),
        (NOW - dt.timedelta(days=3000), DataKind.HOUR, None),  # no age limit for hourly data by default
    ],
)
def test_time_policy(t: dt.datetime, kind: DataKind, reason: str | None) -> None:
    refusal = time_refusal(t, POLICY, NOW, kind)
    assert (None if refusal is None else refusal.reason) == reason
