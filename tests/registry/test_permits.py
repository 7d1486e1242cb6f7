"""Permit networking gaps (应装尽装、联网), the pre-issuance check, QC per term and comparison-test
tolerances (HJ 355 water, HJ 75 gas), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from ecosentinel.errors import ValidationError
from ecosentinel.readings import READING_SCHEMA
from ecosentinel.registry.models import Point
from ecosentinel.registry.permits import (
    check_permits,
    judge_comparison,
    pre_issuance_check,
    record_comparison_test,
)
from ecosentinel.store.base import MeasurementStore
from tests.registry.sample import WATER_MN, load_sample

NOW = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
PERMIT = "91330400MA2B00001P001V"


def readings(rows: list[tuple[str, str, float | None, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "mn": WATER_MN,
                "code": code,
                "kind": "hour",
                "time": NOW - dt.timedelta(hours=int(hours_ago)),
                "source": "platform",
                "value": value,
                "vmin": None,
                "vmax": None,
                "cou": None,
                "zs": None,
                "flag": flag,
            }
            for hours_ago, code, value, flag in rows
        ],
        schema=READING_SCHEMA,
    )


def test_permit_gaps_name_each_unmet_requirement(
    db_session: Session, store: MeasurementStore, tmp_path: Path
) -> None:
    load_sample(db_session, tmp_path)
    # COD sent valid data 3 h ago; NH3-N only flagged data; DW002 has no point at all
    store.append(
        readings([("3", "w01018", 42.0, "N"), ("2", "w21003", 1.0, "D"), ("30", "w21003", 1.1, "N")])
    )
    (check,) = check_permits(db_session, store, now=NOW)
    reasons = sorted((g.outlet, g.factor, g.reason) for g in check.gaps)
    assert reasons == [
        ("DW001", "w21003", "no_factor"),
        ("DW001", "w21003", "no_valid_data"),
        ("DW002", "w01018", "no_point"),
    ]
    assert not check.ok
    assert any("未安装自动监测设备" in g.reason_zh for g in check.gaps)
    # no comparison test yet in the permit term
    assert {(g.outlet, g.factor, g.reason) for g in check.qc_gaps} == {
        ("DW001", "w01018", "no_qc"),
        ("DW001", "w21003", "no_qc"),
    }
    decision = pre_issuance_check(db_session, store, PERMIT, now=NOW)
    assert decision.issuable is False
    assert len(decision.reasons) == 3

    # a day later nothing was sent: COD is now a networking gap too
    (later,) = check_permits(db_session, store, now=NOW + dt.timedelta(days=1))
    assert ("DW001", "w01018", "no_data") in {(g.outlet, g.factor, g.reason) for g in later.gaps}

    point = db_session.scalars(sa.select(Point).where(Point.mn == WATER_MN)).one()
    record_comparison_test(
        db_session,
        point=point,
        factor_code="w01018",
        tested_on=dt.date(2025, 3, 1),
        manual_value=50,
        online_value=60,
    )
    db_session.commit()
    (check,) = check_permits(db_session, store, now=NOW)
    assert ("DW001", "w01018", "no_qc") not in {(g.outlet, g.factor, g.reason) for g in check.qc_gaps}


def test_pre_issuance_yes_when_every_requirement_is_networked(
    db_session: Session, store: MeasurementStore, tmp_path: Path
) -> None:
    load_sample(db_session, tmp_path)
    db_session.execute(
        sa.text("DELETE FROM permit_requirement WHERE outlet_code = 'DW002' OR factor_code = 'w21003'")
    )
    db_session.commit()
    store.append(readings([("1", "w01018", 42.0, "N")]))
    decision = pre_issuance_check(db_session, store, PERMIT, now=NOW)
    assert decision.issuable is True
    assert decision.reasons == []


CASES = [
    # factor, manual, online, passed, relative, allowed
    ("w01018", 20.0, 24.9, True, False, 5.0),  # COD < 30: ±5 mg/L
    ("w01018", 20.0, 25.5, False, False, 5.0),
    ("w01018", 50.0, 64.0, True, True, 0.30),  # 30-60: ±30 %
    ("w01018", 80.0, 97.0, False, True, 0.20),  # 60-100: ±20 %
    ("w01018", 200.0, 229.0, True, True, 0.15),  # >= 100: ±15 %
    ("w21003", 1.0, 1.35, False, False, 0.3),  # NH3-N < 2: ±0.3
    ("w21003", 10.0, 11.4, True, True, 0.15),
    ("w01001", 7.0, 7.5, True, False, 0.5),  # pH ±0.5
    ("a19001", 4.0, 5.2, False, False, 1.0),  # O2 <= 5 %: ±1.0
    ("a34013", 8.0, 12.0, True, False, 5.0),  # PM <= 10 mg/m3: ±5
    ("a21026", 200.0, 250.0, True, False, 20 * 64.06 / 22.4),  # SO2 143-714 mg/m3: ±20 μmol/mol
    ("a21026", 100.0, 135.0, False, True, 0.30),  # SO2 57-143 mg/m3 (20-50 μmol/mol): ±30 %
]


@pytest.mark.parametrize(("factor", "manual", "online", "passed", "relative", "allowed"), CASES)
def test_comparison_tolerances(
    factor: str, manual: float, online: float, passed: bool, relative: bool, allowed: float
) -> None:
    verdict = judge_comparison(factor, manual, online)
    assert verdict.passed is passed
    assert verdict.relative is relative
    assert verdict.allowed == pytest.approx(allowed)
    assert verdict.basis.startswith("HJ")


def test_comparison_without_tolerance_is_refused() -> None:
    with pytest.raises(ValidationError):
        judge_comparison("w99999", 1.0, 1.0)
