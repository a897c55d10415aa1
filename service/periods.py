"""Reporting periods: quarters, half-years, years, months, or explicit dates, on Vietnam's
calendar.

The Front reports every quarter (quý), half-year (6 tháng) and year (năm); a period is the
whole local days from ``first`` to ``last`` inclusive, in Vietnam time (UTC+7, no daylight
saving since 1975), so an item received at 23:30 on 30/6 belongs to the first half-year
even though it is 16:30 UTC.

>>> p = parse_period("2026-Q3")
>>> p.first.isoformat(), p.last.isoformat()
('2026-07-01', '2026-09-30')
>>> parse_period("2026-H1").last.isoformat()
'2026-06-30'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

from service.errors import ValidationFailed

VIETNAM = timezone(timedelta(hours=7), "ICT")
_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<q>[Qq][1-4])|(?P<h>[Hh][12])|(?P<m>\d{2})))?$")
MIN_YEAR, MAX_YEAR = 2000, 2100


class InvalidPeriod(ValidationFailed):
    code, title = "invalid_period", "Invalid reporting period"


@dataclass(frozen=True)
class Period:
    label: str
    kind: str  # quarter, half, year, month, range
    first: date
    last: date  # inclusive

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC: midnight in Vietnam of ``first`` and of the day after ``last``."""
        start = datetime.combine(self.first, time(), VIETNAM).astimezone(UTC)
        end = datetime.combine(self.last + timedelta(days=1), time(), VIETNAM).astimezone(UTC)
        return start, end

    def contains(self, moment: datetime) -> bool:
        start, end = self.bounds_utc()
        return start <= as_utc(moment) < end

    def to_dict(self) -> dict:
        return {"label": self.label, "kind": self.kind, "from": self.first.isoformat(),
                "to": self.last.isoformat(), "timezone": "Asia/Ho_Chi_Minh (UTC+07:00)"}


def as_utc(moment: datetime) -> datetime:
    """Aware datetimes as they are; naive ones are read as UTC (how the database returns
    them on SQLite, where they are stored in UTC)."""
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_date(moment: datetime) -> date:
    """The calendar day in Vietnam of a stored timestamp."""
    return as_utc(moment).astimezone(VIETNAM).date()


def parse_period(text: str) -> Period:
    """``2026-Q3``, ``2026-H1``, ``2026``, ``2026-07``; anything else is an
    :class:`InvalidPeriod` naming the accepted forms."""
    m = _PATTERN.match((text or "").strip())
    if not m:
        raise InvalidPeriod(f"{text!r} is not a period: use YYYY-Qn (quý), YYYY-Hn (6 tháng), "
                            "YYYY (năm), YYYY-MM (tháng), or from and to dates")
    year = int(m["year"])
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidPeriod(f"year {year} is outside {MIN_YEAR}–{MAX_YEAR}")
    if m["q"]:
        q = int(m["q"][1])
        first = date(year, 3 * q - 2, 1)
        return Period(f"{year}-Q{q}", "quarter", first, _month_end(year, 3 * q))
    if m["h"]:
        h = int(m["h"][1])
        return Period(f"{year}-H{h}", "half", date(year, 6 * h - 5, 1), _month_end(year, 6 * h))
    if m["m"]:
        month = int(m["m"])
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"month {month} does not exist")
        return Period(f"{year}-{month:02d}", "month", date(year, month, 1), _month_end(year, month))
    return Period(str(year), "year", date(year, 1, 1), date(year, 12, 31))


def period_between(first: date | str, last: date | str) -> Period:
    """An explicit period, both days included."""
    first, last = _as_day(first, "from"), _as_day(last, "to")
    if last < first:
        raise InvalidPeriod(f"to ({last}) is before from ({first})")
    if not (MIN_YEAR <= first.year and last.year <= MAX_YEAR):
        raise InvalidPeriod(f"dates must lie in {MIN_YEAR}–{MAX_YEAR}")
    return Period(f"{first.isoformat()}..{last.isoformat()}", "range", first, last)


def resolve_period(period: str | None, first: date | str | None, last: date | str | None) -> Period:
    """Exactly one way of naming the period: ``period``, or both ``from`` and ``to``."""
    if period and (first or last):
        raise InvalidPeriod("give either period or from/to, not both")
    if period:
        return parse_period(period)
    if first and last:
        return period_between(first, last)
    if first or last:
        raise InvalidPeriod("give both from and to")
    raise InvalidPeriod("a period is required: period=2026-Q3 (or 2026-H1, 2026, 2026-07), "
                        "or from=YYYY-MM-DD&to=YYYY-MM-DD")


def _as_day(value: date | str, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidPeriod(f"{name}={value!r} is not a date (YYYY-MM-DD)") from None


def _month_end(year: int, month: int) -> date:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return nxt - timedelta(days=1)
