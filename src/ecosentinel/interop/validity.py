"""Validity and completeness statistics per point and factor, per day and month; offline and missing-data
alarms (数据传输率、有效率、捕获率).

Counted on hourly data (CN 2061, the platform's copy) in China Standard Time days:

- expected (应传输小时数): 24 per day, fewer for today (the hours already ended) and none before the day the
  point was registered;
- received (实际传输小时数): hours with a reading of the factor, whatever its flag;
- valid (有效小时数): received hours flagged ``N`` (normal) — maintenance, calibration, fault, stop,
  manual values, over-range and communication-fault hours are not valid data;
- transmission rate (传输率) = received / expected; valid-data rate (有效率) = valid / received;
  capture rate (捕获率) = valid / expected.

Operating rate (运转率) = operating hours / expected hours, where the operating hours are the expected
hours minus the *down* hours: expected hours whose reading of the factor is flagged ``F`` (stopped, 停运),
``D`` (fault, 故障) or ``P`` (power failure), or that an approved data mark of kind fault (故障), stop (停运)
or shutdown (停机) of the point or of the factor overlaps. An hour with no reading and no such mark counts
as operating: nothing says the equipment was down (the missing hour lowers the transmission rate instead).

A month is the sum of its days' counts (rates from the sums, not averages of daily rates).

Exceedance hours (超标小时) are valid hours beyond the factor's registered limits; an hour under an approved
data mark (:mod:`interop.marks`) is counted apart (``exceeded_marked``) and not as an exceedance.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa
from openpyxl import Workbook
from sqlalchemy.orm import Session, selectinload

from ecosentinel.errors import ValidationError
from ecosentinel.interop import messages
from ecosentinel.interop.marks import approved_periods, covers, marked_share
from ecosentinel.readings import CST, DataKind, Source
from ecosentinel.registry.models import Point
from ecosentinel.store.base import MeasurementStore

VALID_FLAGS = frozenset({"N"})
DOWN_FLAGS = frozenset({"F", "D", "P"})
"""Flags of an hour the monitoring equipment was not running (stopped, fault, power failure)."""
DOWN_MARK_KINDS = frozenset({"fault", "stop", "shutdown"})
"""Approved mark kinds whose hours count as not running (运转率)."""
MAX_DAYS = 366


@dataclass(frozen=True)
class ValidityRow:
    mn: str
    point_name: str
    code: str
    period: str  # "2026-12-05" (day) or "2026-12" (month)
    expected: int
    received: int
    valid: int
    exceeded: int = 0  # valid hours beyond the factor's limits, not under an approved mark
    exceeded_marked: int = 0  # such hours under an approved data mark: excluded from the exceedance count
    down: int = 0  # expected hours flagged F/D/P or under an approved fault/stop/shutdown mark

    @property
    def operating(self) -> int:
        """Operating hours (运转小时): expected hours the equipment was not known to be down."""
        return max(0, self.expected - self.down)

    @property
    def operating_rate(self) -> float | None:
        return None if self.expected == 0 else self.operating / self.expected

    @property
    def transmission_rate(self) -> float | None:
        return None if self.expected == 0 else min(1.0, self.received / self.expected)

    @property
    def valid_rate(self) -> float | None:
        return None if self.received == 0 else self.valid / self.received

    @property
    def capture_rate(self) -> float | None:
        return None if self.expected == 0 else min(1.0, self.valid / self.expected)


def _expected_hours(day: dt.date, now: dt.datetime, registered: dt.date | None) -> int:
    if registered is not None and day < registered:
        return 0
    start = dt.datetime.combine(day, dt.time(), CST)
    end = start + dt.timedelta(days=1)
    now = now.astimezone(CST)
    if now >= end:
        return 24
    if now <= start:
        return 0
    return int((now - start).total_seconds() // 3600)


def statistics(
    session: Session,
    store: MeasurementStore,
    *,
    start: dt.date,
    end: dt.date,
    mns: list[str] | None = None,
    period: str = "day",
    now: dt.datetime | None = None,
) -> list[ValidityRow]:
    """Per point, registered factor and day (or month) in ``[start, end]`` (CST dates, inclusive)."""
    if end < start:
        raise ValidationError("结束日期不能早于开始日期", location="end")
    if (end - start).days >= MAX_DAYS:
        raise ValidationError(f"统计区间不能超过 {MAX_DAYS} 天", location="end")
    if period not in ("day", "month"):
        raise ValidationError("统计周期应为 day 或 month", location="period")
    now = now or dt.datetime.now(dt.UTC)
    query = sa.select(Point).options(selectinload(Point.factors)).order_by(Point.mn)
    if mns is not None:
        query = query.where(Point.mn.in_(mns))
    points = list(session.scalars(query))
    if not points:
        return []
    t0 = dt.datetime.combine(start, dt.time(), CST).astimezone(dt.UTC)
    t1 = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), CST).astimezone(dt.UTC)
    frame = store.read_window(
        start=t0, end=t1, mns=[p.mn for p in points], kinds=[DataKind.HOUR], sources=[Source.PLATFORM]
    )
    counts: dict[tuple[str, str, dt.date], tuple[int, int]] = {}
    exceed: dict[tuple[str, str, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    limits = {
        (p.mn, f.code): (f.limit_low, f.limit_high)
        for p in points
        for f in p.factors
        if f.limit_low is not None or f.limit_high is not None
    }
    marked = approved_periods(session, [p.mn for p in points], t0, t1)
    # hour indices (0-23, CST) of each point-factor-day the equipment was down
    down: dict[tuple[str, str, dt.date], set[int]] = defaultdict(set)
    for point in points:
        codes_of_point = [f.code for f in point.factors]
        for period_ in marked.get(point.mn, []):
            if period_.kind not in DOWN_MARK_KINDS:
                continue
            codes = codes_of_point if period_.factor_code is None else [period_.factor_code]
            hour = max(period_.start, t0).replace(minute=0, second=0, microsecond=0)
            while hour < min(period_.end, t1):
                local = hour.astimezone(CST)
                for code in codes:
                    down[(point.mn, code, local.date())].add(local.hour)
                hour += dt.timedelta(hours=1)
    if not frame.is_empty():
        stopped = frame.filter(pl.col("flag").is_in(list(DOWN_FLAGS)))
        for mn, code, time in stopped.select("mn", "code", "time").iter_rows():
            local = time.astimezone(CST)
            down[(mn, code, local.date())].add(local.hour)
        valid_rows = frame.filter(pl.col("flag").is_in(list(VALID_FLAGS)) & pl.col("value").is_not_null())
        for mn, code, time, value in valid_rows.select("mn", "code", "time", "value").iter_rows():
            low, high = limits.get((mn, code), (None, None))
            if (high is not None and value > high) or (low is not None and value < low):
                day = time.astimezone(CST).date()
                under_mark = covers(marked.get(mn, []), code, time, dt.timedelta(hours=1))
                exceed[(mn, code, day)][1 if under_mark else 0] += 1
        daily = (
            frame.with_columns(pl.col("time").dt.convert_time_zone("Asia/Shanghai").dt.date().alias("day"))
            .group_by(["mn", "code", "day"])
            .agg(
                pl.col("time").n_unique().alias("received"),
                pl.col("time").filter(pl.col("flag").is_in(list(VALID_FLAGS))).n_unique().alias("valid"),
            )
        )
        for mn, code, day, received, valid in daily.iter_rows():
            counts[(mn, code, day)] = (int(received), int(valid))
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    rows: list[ValidityRow] = []
    for point in points:
        registered = point.created_at.astimezone(CST).date() if point.created_at else None
        codes = [f.code for f in point.factors] or sorted({c for (m, c, _d) in counts if m == point.mn})
        for code in codes:
            sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
            for day in days:
                received, valid = counts.get((point.mn, code, day), (0, 0))
                over, over_marked = exceed.get((point.mn, code, day), (0, 0))
                key = day.isoformat() if period == "day" else day.strftime("%Y-%m")
                acc = sums[key]
                expected = _expected_hours(day, now, None if received else registered)
                acc[0] += expected
                acc[1] += received
                acc[2] += valid
                acc[3] += over
                acc[4] += over_marked
                # the expected hours of a day are its first ``expected`` hours
                acc[5] += sum(1 for h in down.get((point.mn, code, day), ()) if h < expected)
            for key, (expected, received, valid, over, over_marked, down_hours) in sums.items():
                rows.append(
                    ValidityRow(
                        point.mn,
                        point.name,
                        code,
                        key,
                        expected,
                        received,
                        valid,
                        over,
                        over_marked,
                        down_hours,
                    )
                )
    return rows


@dataclass(frozen=True)
class Alarm:
    kind: str  # "offline" | "missing" | "marks"
    mn: str
    point_name: str
    code: str | None
    period: str | None
    detail: str


def alarms(
    session: Session,
    store: MeasurementStore,
    *,
    now: dt.datetime | None = None,
    offline_after: dt.timedelta = dt.timedelta(hours=1),
    min_transmission: float = 0.9,
    days: int = 7,
    max_marked_share: float = 0.3,
    min_marked_exceedances: int = 3,
    mns: list[str] | None = None,
) -> list[Alarm]:
    """Offline points (no data for ``offline_after``), points whose data marks cover more than
    ``max_marked_share`` of the last 30 days (abuse of marks), and point-factor-days of the last ``days``
    complete days whose transmission rate is below ``min_transmission``.

    A second abuse signal (also kind ``marks``): over the last ``days`` complete days, a point-factor
    with at least ``min_marked_exceedances`` exceedance hours under approved marks and no more exceedance
    hours outside them. The marks then fall on the exceedances themselves, and those hours were
    transmitted flagged ``N`` (normal), which a device under maintenance or in fault would not send.
    """
    now = now or dt.datetime.now(dt.UTC)
    query = sa.select(Point).where(Point.active.is_(True)).order_by(Point.mn)
    if mns is not None:  # e.g. one station's page
        query = query.where(Point.mn.in_(mns))
    points = list(session.scalars(query))
    latest = store.latest()
    last: dict[str, dt.datetime] = {}
    for mn, _kind, time in latest.select("mn", "kind", "time").iter_rows():
        if mn not in last or time > last[mn]:
            last[mn] = time
    out: list[Alarm] = []
    for point in points:
        seen = last.get(point.mn)
        if seen is None or now - seen > offline_after:
            since = "从未上报数据" if seen is None else f"最近数据 {seen.astimezone(CST):%Y-%m-%d %H:%M}"
            out.append(Alarm("offline", point.mn, point.name, None, None, f"离线：{since}"))
    for point in points:
        share = marked_share(session, point.mn, since=now - dt.timedelta(days=30), until=now)
        if share > max_marked_share:
            out.append(
                Alarm(
                    "marks",
                    point.mn,
                    point.name,
                    None,
                    None,
                    f"标记异常：近 30 天 {share:.0%} 的时段被标记（超过 {max_marked_share:.0%}）",
                )
            )
    today = now.astimezone(CST).date()
    rows = statistics(
        session,
        store,
        start=today - dt.timedelta(days=days),
        end=today - dt.timedelta(days=1),
        mns=[p.mn for p in points],
        now=now,
    )
    hidden: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    names = {p.mn: p.name for p in points}
    for row in rows:
        acc = hidden[(row.mn, row.code)]
        acc[0] += row.exceeded
        acc[1] += row.exceeded_marked
    for (mn, code), (unmarked, marked_hours) in sorted(hidden.items()):
        if marked_hours >= min_marked_exceedances and marked_hours >= unmarked:
            detail = messages.ALARM_MARKED_EXCEEDANCES.format(
                days=days, code=code, marked=marked_hours, unmarked=unmarked
            )
            out.append(Alarm("marks", mn, names[mn], code, None, detail))
    for row in rows:
        rate = row.transmission_rate
        if rate is not None and rate < min_transmission:
            out.append(
                Alarm(
                    "missing",
                    row.mn,
                    row.point_name,
                    row.code,
                    row.period,
                    f"数据缺失：传输率 {rate:.0%}（{row.received}/{row.expected} 小时）",
                )
            )
    return out


HEADERS = (
    "点位MN",
    "点位名称",
    "因子",
    "统计期",
    "应传输",
    "实际传输",
    "有效",
    "传输率",
    "有效率",
    "捕获率",
    "超标小时",
    "标记剔除的超标小时",
    "停运故障小时",
    "运转小时",
    "运转率",
)


def workbook(rows: list[ValidityRow]) -> bytes:
    """The statistics as an Excel workbook (one sheet, Chinese headers, rates as percentages)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "有效性统计"
    sheet.append(list(HEADERS))
    for r in rows:
        sheet.append(
            [
                r.mn,
                r.point_name,
                r.code,
                r.period,
                r.expected,
                r.received,
                r.valid,
                r.transmission_rate,
                r.valid_rate,
                r.capture_rate,
                r.exceeded,
                r.exceeded_marked,
                r.down,
                r.operating,
                r.operating_rate,
            ]
        )
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=10):
        for cell in row:
            cell.number_format = "0.0%"
    for row in sheet.iter_rows(min_row=2, min_col=15, max_col=15):
        for cell in row:
            cell.number_format = "0.0%"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
