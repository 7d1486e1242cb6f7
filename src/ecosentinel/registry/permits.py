"""Permits and networking (seed 003): 应装尽装、联网 checks, the pre-issuance check, quality control per
permit term, and comparison tests (比对监测) judged against the HJ 354/355 (water) and HJ 75 (gas)
tolerances.

Tolerances are those recorded in /work/shared/domain/detection-research.md (HJ 355-2019 Table 1 for
water; HJ 75-2017 relative-accuracy rows for gas). The particulate rows between 10 and 200 mg/m³ are the
HJ 75-2017 table as remembered (the note lists only its ends) and are marked so in ``TOLERANCES``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ecosentinel.errors import NotFoundError, ValidationError
from ecosentinel.readings import CST
from ecosentinel.registry import messages
from ecosentinel.registry.enums import PermitStatus
from ecosentinel.registry.models import ComparisonTest, Device, Enterprise, Factor, Outlet, Permit, Point
from ecosentinel.store.base import MeasurementStore

logger = logging.getLogger(__name__)

RECENT = dt.timedelta(hours=24)
"""[P] "sent valid data recently": at least one valid value of the factor within this window."""


# --------------------------------------------------------------------------------- comparison tests


@dataclass(frozen=True, slots=True)
class Band:
    """One tolerance row: applies when the reference value is < ``below`` (None = no upper end)."""

    below: float | None
    allowed: float
    relative: bool  # True: |online - manual| / manual <= allowed; False: |online - manual| <= allowed


# μmol/mol -> mg/m³ at standard state: M / 22.4 (domain notes, "mg/m3 = M/22.4 × μmol/mol")
_SO2 = 64.06 / 22.4
_NO2 = 46.01 / 22.4

TOLERANCES: dict[str, tuple[str, tuple[Band, ...]]] = {
    # water, HJ 355-2019 Table 1 (actual-sample comparison)
    "w01018": (
        "HJ 355-2019 表1 化学需氧量",
        (Band(30, 5, False), Band(60, 0.30, True), Band(100, 0.20, True), Band(None, 0.15, True)),
    ),
    "w21003": ("HJ 355-2019 表1 氨氮", (Band(2, 0.3, False), Band(None, 0.15, True))),
    "w21011": ("HJ 355-2019 表1 总磷", (Band(0.4, 0.06, False), Band(None, 0.15, True))),
    "w21001": ("HJ 355-2019 表1 总氮", (Band(2, 0.3, False), Band(None, 0.15, True))),
    "w01001": ("HJ 355-2019 表1 pH", (Band(None, 0.5, False),)),
    "w01010": ("HJ 355-2019 表1 水温", (Band(None, 0.5, False),)),
    "w00000": ("HJ 355-2019 流量比对", (Band(None, 0.10, True),)),
    # flue gas, HJ 75-2017 (relative accuracy rows; gas limits converted from μmol/mol to mg/m³)
    "a21026": (
        "HJ 75-2017 二氧化硫",
        (
            Band(20 * _SO2, 6 * _SO2, False),
            Band(50 * _SO2, 0.30, True),
            Band(250 * _SO2, 20 * _SO2, False),
            Band(None, 0.15, True),
        ),
    ),
    "a21002": (
        "HJ 75-2017 氮氧化物（以NO2计）",
        (
            Band(20 * _NO2, 6 * _NO2, False),
            Band(50 * _NO2, 0.30, True),
            Band(250 * _NO2, 20 * _NO2, False),
            Band(None, 0.15, True),
        ),
    ),
    "a34013": (
        "HJ 75-2017 颗粒物",  # 10-200 mg/m³ rows as remembered from the standard's table
        (
            Band(10, 5, False),
            Band(20, 6, False),
            Band(50, 0.30, True),
            Band(100, 0.25, True),
            Band(200, 0.20, True),
            Band(None, 0.15, True),
        ),
    ),
    "a19001": ("HJ 75-2017 氧气", (Band(5, 1.0, False), Band(None, 0.15, True))),
    "a01011": ("HJ 75-2017 流速", (Band(10, 0.12, True), Band(None, 0.10, True))),
    "a01012": ("HJ 75-2017 烟温", (Band(None, 3.0, False),)),
}
"""Factor code -> (basis, tolerance rows by the manual (reference) value)."""


@dataclass(frozen=True, slots=True)
class Judgement:
    """The verdict on one comparison pair."""

    passed: bool
    error: float  # absolute (unit of the factor) or relative (share), as ``relative`` says
    relative: bool
    allowed: float
    basis: str

    @property
    def error_kind(self) -> str:
        return "relative" if self.relative else "absolute"

    @property
    def text_zh(self) -> str:
        if self.relative:
            detail = f"相对误差 {self.error * 100:.1f}%（允许 ±{self.allowed * 100:g}%）"
        else:
            detail = f"绝对误差 {self.error:.3g}（允许 ±{self.allowed:.3g}）"
        return f"{'合格' if self.passed else '不合格'}：{detail}，依据 {self.basis}"


def judge_comparison(factor_code: str, manual: float, online: float) -> Judgement:
    """Judge an online value against the manual reference by the factor's tolerance row."""
    entry = TOLERANCES.get(factor_code)
    if entry is None:
        raise ValidationError(messages.COMPARISON_NO_TOLERANCE.format(code=factor_code))
    basis, bands = entry
    band = next(b for b in bands if b.below is None or manual < b.below)
    if band.relative:
        if manual == 0:
            raise ValidationError(messages.COMPARISON_ZERO)
        error = (online - manual) / manual
    else:
        error = online - manual
    passed = abs(error) <= band.allowed + 1e-9
    return Judgement(passed, error, band.relative, band.allowed, basis)


def record_comparison_test(
    session: Session,
    *,
    point: Point,
    factor_code: str,
    tested_on: dt.date,
    manual_value: float,
    online_value: float,
    unit: str | None = None,
    tester: str | None = None,
    created_by: str | None = None,
) -> ComparisonTest:
    """Judge and store one comparison test."""
    verdict = judge_comparison(factor_code, manual_value, online_value)
    test = ComparisonTest(
        point_id=point.id,
        factor_code=factor_code,
        tested_on=tested_on,
        manual_value=manual_value,
        online_value=online_value,
        unit=unit,
        passed=verdict.passed,
        error=verdict.error,
        error_kind=verdict.error_kind,
        allowed=verdict.allowed,
        basis=verdict.basis,
        tester=tester,
        created_by=created_by,
    )
    session.add(test)
    session.flush()
    return test


# --------------------------------------------------------------------------------- networking


@dataclass(frozen=True, slots=True)
class Gap:
    """One requirement of a permit that is not met, with the reason."""

    permit: str
    enterprise: str
    outlet: str
    factor: str
    reason: str  # stable code: no_outlet, no_point, inactive, no_factor, no_device, no_data, no_valid_data, …
    reason_zh: str
    mn: str | None = None


@dataclass(frozen=True, slots=True)
class PermitCheck:
    """The result of checking one permit: gaps of installation/networking and of quality control."""

    permit: str
    enterprise: str
    status: str
    requirements: int
    gaps: list[Gap] = field(default_factory=list)
    qc_gaps: list[Gap] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.gaps


def _load_permits(
    session: Session, numbers: Sequence[str] | None, enterprise_ids: set[int] | None
) -> list[Permit]:
    query = sa.select(Permit).options(selectinload(Permit.requirements), selectinload(Permit.enterprise))
    if numbers is not None:
        query = query.where(Permit.number.in_(numbers))
    if enterprise_ids is not None:
        query = query.where(Permit.enterprise_id.in_(enterprise_ids))
    return list(session.scalars(query.order_by(Permit.number)))


def _valid_factors(
    store: MeasurementStore, mns: set[str], now: dt.datetime, recent: dt.timedelta
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(mn, code) pairs with any data and with valid data (value present, flag N) in [now - recent, now)."""
    if not mns:
        return set(), set()
    frame = store.read_window(start=now - recent, end=now, mns=sorted(mns))
    if frame.height == 0:
        return set(), set()
    seen = frame.select("mn", "code").unique()
    valid = (
        frame.filter(pl.col("value").is_not_null() & (pl.col("flag") == "N")).select("mn", "code").unique()
    )
    return set(seen.iter_rows()), set(valid.iter_rows())


def check_permits(
    session: Session,
    store: MeasurementStore,
    *,
    numbers: Sequence[str] | None = None,
    enterprise_ids: set[int] | None = None,
    now: dt.datetime | None = None,
    recent: dt.timedelta = RECENT,
) -> list[PermitCheck]:
    """Check every requirement of the permits (all, or those named / of these enterprises).

    A requirement (outlet, factor) is met when the outlet is registered, has an active monitoring point
    that registers the factor and a device measuring it, and the point sent a valid value of the factor
    within ``recent`` before ``now`` (应装尽装、联网). Quality control: at least one comparison test of
    the factor at that point within the permit's term, and at least one that passed.
    """
    now = now or dt.datetime.now(dt.UTC)
    permits = _load_permits(session, numbers, enterprise_ids)
    if numbers is not None:
        missing = sorted(set(numbers) - {p.number for p in permits})
        if missing:
            raise NotFoundError(messages.PERMIT_NOT_FOUND.format(number="、".join(missing)))
    ent_ids = {p.enterprise_id for p in permits}
    outlets = {
        (o.enterprise_id, o.code): o
        for o in session.scalars(
            sa.select(Outlet).where(Outlet.enterprise_id.in_(ent_ids)).options(selectinload(Outlet.point))
        )
    }
    point_ids = {o.point_id for o in outlets.values() if o.point_id is not None}
    factors = {
        (pid, code)
        for pid, code in session.execute(
            sa.select(Factor.point_id, Factor.code).where(Factor.point_id.in_(point_ids))
        )
    }
    devices: set[tuple[int, str]] = set()
    for pid, codes in session.execute(
        sa.select(Device.point_id, Device.factor_codes).where(Device.point_id.in_(point_ids))
    ):
        devices |= {(pid, c) for c in codes or [] if c}
    mns = {o.point.mn for o in outlets.values() if o.point is not None}
    seen, valid = _valid_factors(store, mns, now, recent)
    tests: dict[tuple[int, str], list[ComparisonTest]] = {}
    for test in session.scalars(sa.select(ComparisonTest).where(ComparisonTest.point_id.in_(point_ids))):
        tests.setdefault((test.point_id, test.factor_code), []).append(test)
    hours = f"{recent.total_seconds() / 3600:g}"
    results: list[PermitCheck] = []
    for permit in permits:
        ent = permit.enterprise.name
        check = PermitCheck(permit.number, ent, permit.status, len(permit.requirements))
        if not permit.requirements:
            check.gaps.append(
                Gap(permit.number, ent, "", "", "no_requirements", messages.GAP_NO_REQUIREMENTS)
            )
        for req in permit.requirements:
            gap = functools.partial(Gap, permit.number, ent, req.outlet_code, req.factor_code)
            outlet = outlets.get((permit.enterprise_id, req.outlet_code))
            if outlet is None:
                check.gaps.append(gap("no_outlet", messages.GAP_NO_OUTLET.format(outlet=req.outlet_code)))
                continue
            point = outlet.point
            if point is None:
                check.gaps.append(gap("no_point", messages.GAP_NO_POINT.format(outlet=req.outlet_code)))
                continue
            fmt = {"outlet": req.outlet_code, "mn": point.mn, "factor": req.factor_code, "hours": hours}
            if not point.active:
                check.gaps.append(gap("inactive", messages.GAP_INACTIVE.format(**fmt), point.mn))
                continue
            if (point.id, req.factor_code) not in factors:
                check.gaps.append(gap("no_factor", messages.GAP_NO_FACTOR.format(**fmt), point.mn))
            elif (point.id, req.factor_code) not in devices:
                check.gaps.append(gap("no_device", messages.GAP_NO_DEVICE.format(**fmt), point.mn))
            if (point.mn, req.factor_code) not in seen:
                check.gaps.append(gap("no_data", messages.GAP_NO_DATA.format(**fmt), point.mn))
            elif (point.mn, req.factor_code) not in valid:
                check.gaps.append(gap("no_valid_data", messages.GAP_NO_VALID_DATA.format(**fmt), point.mn))
            in_term = [
                t
                for t in tests.get((point.id, req.factor_code), [])
                if (permit.valid_from is None or t.tested_on >= permit.valid_from)
                and (permit.valid_to is None or t.tested_on <= permit.valid_to)
            ]
            if not in_term:
                check.qc_gaps.append(gap("no_qc", messages.GAP_NO_QC.format(**fmt), point.mn))
            elif not any(t.passed for t in in_term):
                check.qc_gaps.append(gap("qc_failed", messages.GAP_QC_FAILED.format(**fmt), point.mn))
        results.append(check)
    return results


@dataclass(frozen=True, slots=True)
class PreIssuance:
    """Whether a permit may be issued, with the reasons (seed 003: networked monitoring first)."""

    permit: str
    enterprise: str
    issuable: bool
    summary_zh: str
    reasons: list[str]


def pre_issuance_check(
    session: Session,
    store: MeasurementStore,
    number: str,
    *,
    now: dt.datetime | None = None,
    recent: dt.timedelta = RECENT,
) -> PreIssuance:
    """Yes/no for issuing (or renewing) the permit: every required outlet/factor installed and networked."""
    (check,) = check_permits(session, store, numbers=[number], now=now, recent=recent)
    issuable = check.ok
    return PreIssuance(
        permit=check.permit,
        enterprise=check.enterprise,
        issuable=issuable,
        summary_zh=messages.PRE_ISSUE_OK if issuable else messages.PRE_ISSUE_NO,
        reasons=[g.reason_zh for g in check.gaps],
    )


def permit_term_active(permit: Permit, day: dt.date | None = None) -> bool:
    """Whether an issued permit is in force on ``day`` (default today, China Standard Time)."""
    day = day or dt.datetime.now(CST).date()
    if permit.status != PermitStatus.ISSUED.value:
        return False
    return (permit.valid_from is None or permit.valid_from <= day) and (
        permit.valid_to is None or day <= permit.valid_to
    )


def enterprise_of_permit(session: Session, number: str) -> Enterprise:
    """The enterprise a permit belongs to, or NotFoundError."""
    permit = session.scalars(sa.select(Permit).where(Permit.number == number)).one_or_none()
    if permit is None:
        raise NotFoundError(messages.PERMIT_NOT_FOUND.format(number=number))
    return permit.enterprise
