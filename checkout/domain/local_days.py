"""Local days in the merchant's timezone, as UTC ranges the store can be queried with.

A shop owner counts takings by their own calendar ("today" starts at midnight in
Kolkata, not in UTC), while the store keeps UTC. Every console period is therefore a
half-open UTC range [start, end) computed here; no query asks the database to do
timezone arithmetic (the nx-27017 test server ignores `$dateToString`'s timezone).

Days partition time: the end of a day is the start of the next, so a moment falls in
exactly one day even across a DST change. A local midnight that a DST jump skips
resolves to the instant of the jump (PEP 495, fold=0).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "LocalDayError",
    "Period",
    "day_of",
    "day_period",
    "days_span",
    "last_days",
    "month_of",
    "parse_day",
    "to_local",
    "week_of",
    "zone",
]

_DAY_RE: Final = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


class LocalDayError(ValueError):
    """A day or timezone the console refuses; the message is fit to show a person."""


@dataclass(frozen=True)
class Period:
    """Local days `first`..`last` (inclusive) and their UTC range [start, end)."""

    first: date
    last: date
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@lru_cache(maxsize=32)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise LocalDayError(f"unknown timezone {name!r}") from None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise LocalDayError("a moment must carry its timezone")
    return moment.astimezone(UTC)


def to_local(moment: datetime, tz_name: str) -> datetime:
    """`moment` on the merchant's wall clock, for showing it (never for a query)."""
    return _aware(moment).astimezone(zone(tz_name))


def days_span(first: date, last: date, tz_name: str) -> Period:
    """Local days `first` to `last` inclusive: from the first's midnight to the day after last."""
    if last < first:
        raise LocalDayError("the last day comes before the first")
    tz = zone(tz_name)
    return Period(first, last, _midnight(first, tz), _midnight(last + timedelta(days=1), tz))


def day_period(day: date, tz_name: str) -> Period:
    return days_span(day, day, tz_name)


def day_of(moment: datetime, tz_name: str) -> date:
    """The local day whose range holds `moment` (its wall-clock date, but for DST overlaps)."""
    moment = _aware(moment)
    tz = zone(tz_name)
    day = moment.astimezone(tz).date()
    if moment < _midnight(day, tz):
        return day - timedelta(days=1)
    if moment >= _midnight(day + timedelta(days=1), tz):
        return day + timedelta(days=1)
    return day


def week_of(moment: datetime, tz_name: str) -> Period:
    """The local week (Monday to Sunday) holding `moment`."""
    day = day_of(moment, tz_name)
    monday = day - timedelta(days=day.weekday())
    return days_span(monday, monday + timedelta(days=6), tz_name)


def month_of(moment: datetime, tz_name: str) -> Period:
    """The local calendar month holding `moment`."""
    day = day_of(moment, tz_name)
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return days_span(first, following - timedelta(days=1), tz_name)


def last_days(moment: datetime, tz_name: str, count: int) -> list[Period]:
    """The `count` local days ending with the one holding `moment`, oldest first."""
    if count < 1:
        raise LocalDayError("count must be at least 1")
    today = day_of(moment, tz_name)
    return [day_period(today - timedelta(days=back), tz_name) for back in range(count - 1, -1, -1)]


def parse_day(text: str) -> date:
    """A day written YYYY-MM-DD, and nothing else (no time, no other calendar's digits)."""
    found = _DAY_RE.fullmatch(text.strip()) if len(text) <= 12 else None
    if found is None:
        raise LocalDayError("must be a day written YYYY-MM-DD")
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise LocalDayError("is not a day of the calendar") from None
