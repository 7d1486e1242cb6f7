"""Quarterly assessment end to end on both databases, with hand-computed inputs and score."""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy.orm import Session

from ecosentinel.audit.models import AuditEntry
from ecosentinel.auth.service import SYSTEM
from ecosentinel.detection.context import OM_SCHEMA, WINDOW_SCHEMA
from ecosentinel.evaluation import om_assessment
from ecosentinel.om import service
from ecosentinel.om.context import maintenance_windows_frame, om_records_frame
from ecosentinel.om.enums import RecordKind, ViolationKind
from ecosentinel.om.models import MaintenanceRecord
from ecosentinel.om.schemas import RecordIn, ViolationIn
from ecosentinel.readings import DataKind, Reading, readings_frame
from ecosentinel.registry.models import ComparisonTest, MaintenanceWindow
from ecosentinel.screening.models import ScreeningFinding
from ecosentinel.store.base import MeasurementStore
from tests.om.helpers import MN_A, MN_B, cst, make_registry

NOW = cst(2026, 10, 15, 12)


def _hours(store: MeasurementStore, mn: str, count: int, bad: set[int]) -> None:
    """``count`` hourly COD values from 2026-09-30 00:00 CST; the hours in ``bad`` flagged D (fault)."""
    start = cst(2026, 9, 30)
    store.append(
        readings_frame(
            [
                Reading(
                    mn=mn,
                    code="w01018",
                    kind=DataKind.HOUR,
                    time=start + dt.timedelta(hours=h),
                    value=40.0,
                    flag="D" if h in bad else "N",
                )
                for h in range(count)
            ]
        )
    )


def _record(session: Session, point_id: int, staff_id: int, ended: dt.datetime, filed: dt.datetime) -> None:
    service.create_record(
        session,
        SYSTEM,
        RecordIn(
            point_id=point_id,
            kind=RecordKind.CLEANING,
            started_at=ended - dt.timedelta(hours=1),
            ended_at=ended,
            staff_id=staff_id,
        ),
        now=filed,
    )


def test_rate_quarter_hand_computed(db_session: Session, store: MeasurementStore) -> None:
    ids = make_registry(db_session)
    # Agency A: point 1 assigned from 2026-09-30 → 24 expected hours in 2026Q3; 20 received, 2 of them faulty.
    _hours(store, MN_A, 20, bad={3, 4})
    _hours(store, MN_B, 24, bad=set())
    # Two records: one filed an hour after the visit (timely), one filed three days later (late).
    _record(db_session, ids.point_1, ids.staff_a, cst(2026, 9, 30, 10), cst(2026, 9, 30, 11))
    _record(db_session, ids.point_1, ids.staff_a, cst(2026, 9, 30, 14), cst(2026, 10, 3, 14))
    db_session.add_all(
        [
            ComparisonTest(
                point_id=ids.point_1,
                factor_code="w01018",
                tested_on=dt.date(2026, 9, 30),
                manual_value=40,
                online_value=41,
                passed=True,
                error=0.025,
                error_kind="relative",
                allowed=0.1,
                basis="HJ 355",
            ),
            ComparisonTest(
                point_id=ids.point_1,
                factor_code="w01018",
                tested_on=dt.date(2026, 9, 30),
                manual_value=40,
                online_value=60,
                passed=False,
                error=0.5,
                error_kind="relative",
                allowed=0.1,
                basis="HJ 355",
            ),
        ]
    )
    # Agency B: perfect data but a confirmed falsification by its staff in the quarter → veto.
    service.create_violation(
        db_session,
        SYSTEM,
        ViolationIn(
            agency_id=ids.agency_b,
            kind=ViolationKind.FALSIFICATION,
            confirmed_at=cst(2026, 9, 30, 20),
            description="运维人员修改仪器斜率",
            staff_id=ids.staff_b,
            reference="嘉环罚〔2026〕12号",
        ),
    )
    # One stored screening finding on agency A's point inside the quarter, one on the same point before it
    # (not counted) and none on B's: the real query, not a stand-in.
    for fingerprint, start in (("in-quarter", cst(2026, 9, 30, 3)), ("before-quarter", cst(2026, 6, 30, 3))):
        db_session.add(
            ScreeningFinding(
                fingerprint=fingerprint,
                mn=MN_A,
                enterprise_id=None,
                rule="R01",
                factors=["w01018"],
                start=start,
                end=start + dt.timedelta(hours=6),
                severity="high",
                severity_rank=3,
                score=0.9,
                title_zh="恒值",
                explanation_zh="恒值",
                evidence="{}",
            )
        )
    db_session.flush()

    rows = om_assessment.rate_quarter(db_session, store, "2026q3", principal=SYSTEM, now=NOW)
    db_session.commit()

    by_agency = {r.agency_id: r for r in rows}
    a = by_agency[ids.agency_a]
    assert (a.expected_hours, a.received_hours, a.valid_hours) == (24, 20, 18)
    assert (a.records, a.timely_records, a.comparison_tests, a.comparison_passed, a.findings) == (
        2,
        1,
        2,
        1,
        1,
    )
    # valid of received (interop validity): 20/24*30 + 18/20*30 + 1/2*15 + 1/2*15 + (1 - 1*2/10)*10
    # = 25 + 27 + 7.5 + 7.5 + 8 = 75
    assert a.score == 75.0
    assert (a.grade, a.veto, a.rank) == ("C", False, 1)
    b = by_agency[ids.agency_b]
    assert (b.expected_hours, b.received_hours, b.valid_hours) == (24, 24, 24)
    assert (b.score, b.grade, b.veto, b.rank) == (0.0, "D", True, 2)
    assert b.veto_reason is not None
    assert "嘉环罚〔2026〕12号" in b.veto_reason
    assert all(not r.published for r in rows)

    # Stored per quarter: recomputing replaces, never duplicates.
    again = om_assessment.rate_quarter(db_session, store, "2026Q3", principal=SYSTEM, now=NOW)
    assert sorted(r.id for r in again) == sorted(r.id for r in rows)
    assert db_session.query(AuditEntry).filter(AuditEntry.entity == "om_assessment").count() == 2


def test_veto_counts_only_in_its_quarter(db_session: Session, store: MeasurementStore) -> None:
    ids = make_registry(db_session)
    service.create_violation(
        db_session,
        SYSTEM,
        ViolationIn(
            agency_id=ids.agency_b,
            kind=ViolationKind.FALSIFICATION,
            confirmed_at=cst(2026, 10, 2),
            description="下季度确认",
        ),
    )
    rows = om_assessment.rate_quarter(db_session, store, "2026Q3", principal=SYSTEM, now=NOW)
    assert all(not r.veto for r in rows)
    # A rule breach is not a falsification: no veto.
    service.create_violation(
        db_session,
        SYSTEM,
        ViolationIn(
            agency_id=ids.agency_a,
            kind=ViolationKind.RULE_BREACH,
            confirmed_at=cst(2026, 9, 30, 9),
            description="未按规定巡检",
        ),
    )
    rows = om_assessment.rate_quarter(db_session, store, "2026Q3", principal=SYSTEM, now=NOW)
    assert all(not r.veto for r in rows)


def test_context_frames(db_session: Session) -> None:
    ids = make_registry(db_session)
    _record(db_session, ids.point_1, ids.staff_a, cst(2026, 9, 30, 10), cst(2026, 9, 30, 11))
    db_session.add(
        MaintenanceWindow(
            mn=MN_B,
            start=cst(2026, 9, 30, 8).astimezone(dt.UTC),
            end=cst(2026, 9, 30, 12).astimezone(dt.UTC),
            reason="更换泵管",
        )  # stored as UTC
    )
    db_session.commit()
    start, end = cst(2026, 9, 30), cst(2026, 10, 1)
    records = om_records_frame(db_session, [MN_A, MN_B], start, end)
    assert records.schema == pl.Schema(OM_SCHEMA)
    assert records.rows() == [
        (
            MN_A,
            cst(2026, 9, 30, 9).astimezone(dt.UTC),
            cst(2026, 9, 30, 10).astimezone(dt.UTC),
            "cleaning",
            "张运维",
        )
    ]
    assert om_records_frame(db_session, [MN_B], start, end).height == 0
    assert om_records_frame(db_session, None, cst(2026, 10, 1), cst(2026, 10, 2)).height == 0
    windows = maintenance_windows_frame(db_session, None, start, end)
    assert windows.schema == pl.Schema(WINDOW_SCHEMA)
    assert windows.rows() == [
        (MN_B, cst(2026, 9, 30, 8).astimezone(dt.UTC), cst(2026, 9, 30, 12).astimezone(dt.UTC))
    ]


def test_record_is_audited_with_filer(db_session: Session) -> None:
    ids = make_registry(db_session)
    _record(db_session, ids.point_1, ids.staff_a, cst(2026, 9, 30, 10), cst(2026, 9, 30, 11))
    db_session.commit()
    record = db_session.query(MaintenanceRecord).one()
    assert (record.agency_id, record.staff_name, record.created_by) == (ids.agency_a, "张运维", "system")
    entry = db_session.query(AuditEntry).filter(AuditEntry.entity == "om_record").one()
    assert entry.entity_id == str(record.id)
    assert "张运维" in entry.summary
