"""Assessment periods: quarters (``2026Q3``) and months (``2026-09``) in China Standard Time."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ecosentinel.errors import ValidationError
from ecosentinel.om import messages
from ecosentinel.readings import CST

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True)
class Period:
    """A named half-open interval [start, end) of CST calendar time (aware datetimes)."""

    name: str
    start: dt.datetime
    end: dt.datetime

    @property
    def first_day(self) -> dt.date:
        return self.start.astimezone(CST).date()

    @property
    def last_day(self) -> dt.date:
        return (self.end.astimezone(CST) - dt.timedelta(days=1)).date()


def _month_start(year: int, month: int) -> dt.datetime:
    while month > 12:
        year, month = year + 1, month - 12
    return dt.datetime(year, month, 1, tzinfo=CST)


def parse_quarter(value: str) -> Period:
    """``2026Q3`` → 2026-07-01 00:00 CST … 2026-10-01 00:00 CST."""
    match = _QUARTER.match(value.strip().upper())
    if match is None:
        raise ValidationError(messages.BAD_QUARTER.format(value=value), location="quarter")
    year, quarter = int(match.group(1)), int(match.group(2))
    first = 3 * (quarter - 1) + 1
    return Period(f"{year}Q{quarter}", _month_start(year, first), _month_start(year, first + 3))


def parse_period(value: str) -> Period:
    """A quarter (``2026Q3``) or a month (``2026-09``)."""
    text = value.strip().upper()
    if _QUARTER.match(text):
        return parse_quarter(text)
    match = _MONTH.match(text)
    if match is None:
        raise ValidationError(messages.BAD_PERIOD.format(value=value), location="period")
    year, month = int(match.group(1)), int(match.group(2))
    return Period(f"{year}-{month:02d}", _month_start(year, month), _month_start(year, month + 1))


def current_quarter(now: dt.datetime | None = None) -> Period:
    """The quarter that contains ``now`` (default: the present)."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone(CST)
    return parse_quarter(f"{local.year}Q{(local.month - 1) // 3 + 1}")


def previous_quarter(now: dt.datetime | None = None) -> Period:
    """The last complete quarter before ``now``."""
    return current_quarter(current_quarter(now).start - dt.timedelta(seconds=1))
