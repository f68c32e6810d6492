"""Local days: UTC bounds of the merchant's calendar, in IST and across DST changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkout.domain.local_days import (
    LocalDayError,
    day_of,
    day_period,
    days_span,
    last_days,
    month_of,
    parse_day,
    to_local,
    week_of,
)

IST = "Asia/Kolkata"
NEW_YORK = "America/New_York"  # DST: 2026-03-08 springs forward, 2026-11-01 falls back
SAO_PAULO = "America/Sao_Paulo"  # until 2019 its DST jumped at midnight: a day with no 00:00
ZONES = st.sampled_from([IST, NEW_YORK, SAO_PAULO, "Europe/London", "Pacific/Apia", "UTC"])
MOMENTS = st.datetimes(
    min_value=datetime(2010, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


def test_an_ist_day_starts_at_18_30_utc_the_evening_before() -> None:
    day = day_period(date(2026, 12, 2), IST)
    assert day.start == datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
    assert day.end == datetime(2026, 12, 2, 18, 30, tzinfo=UTC)
    assert day_of(datetime(2026, 12, 1, 18, 29, 59, tzinfo=UTC), IST) == date(2026, 12, 1)
    assert day_of(datetime(2026, 12, 1, 18, 30, tzinfo=UTC), IST) == date(2026, 12, 2)


def test_ist_week_is_monday_to_sunday_and_month_is_the_calendar_month() -> None:
    moment = datetime(2026, 12, 2, 5, 0, tzinfo=UTC)  # a Wednesday
    week = week_of(moment, IST)
    assert (week.first, week.last) == (date(2026, 11, 30), date(2026, 12, 6))
    assert week.start == datetime(2026, 11, 29, 18, 30, tzinfo=UTC)
    assert week.end == datetime(2026, 12, 6, 18, 30, tzinfo=UTC)
    month = month_of(moment, IST)
    assert (month.first, month.last) == (date(2026, 12, 1), date(2026, 12, 31))
    assert month.start == datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
    assert month.end == datetime(2026, 12, 31, 18, 30, tzinfo=UTC)
    assert month_of(datetime(2028, 2, 10, tzinfo=UTC), IST).last == date(2028, 2, 29)


def test_dst_days_are_23_and_25_hours_long() -> None:
    spring = day_period(date(2026, 3, 8), NEW_YORK)
    assert spring.start == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)
    assert spring.end - spring.start == timedelta(hours=23)
    autumn = day_period(date(2026, 11, 1), NEW_YORK)
    assert autumn.start == datetime(2026, 11, 1, 4, 0, tzinfo=UTC)
    assert autumn.end - autumn.start == timedelta(hours=25)


def test_a_skipped_midnight_starts_the_day_at_the_jump() -> None:
    # 2018-11-04: Sao Paulo went from 23:59:59 -03 straight to 01:00 -02.
    day = day_period(date(2018, 11, 4), SAO_PAULO)
    assert day.start == datetime(2018, 11, 4, 3, 0, tzinfo=UTC)
    assert day.end - day.start == timedelta(hours=23)


def test_last_days_end_today_oldest_first() -> None:
    days = last_days(datetime(2026, 12, 2, 19, 0, tzinfo=UTC), IST, 30)
    assert len(days) == 30
    assert days[-1].first == date(2026, 12, 3)  # 00:30 on the 3rd in Kolkata
    assert days[0].first == date(2026, 11, 4)
    assert all(a.end == b.start for a, b in itertools.pairwise(days))


def test_parse_day_is_strict() -> None:
    assert parse_day("2026-12-02") == date(2026, 12, 2)
    for bad in ("2026-2-1", "2026-02-30", "02-12-2026", "2026-12-02T00:00", "", "२०२६-१२-०२"):
        with pytest.raises(LocalDayError):
            parse_day(bad)


def test_refusals() -> None:
    with pytest.raises(LocalDayError):
        days_span(date(2026, 12, 2), date(2026, 12, 1), IST)
    with pytest.raises(LocalDayError):
        day_period(date(2026, 12, 2), "Mars/Olympus")
    with pytest.raises(LocalDayError):
        day_of(datetime(2026, 12, 2), IST)  # naive: which moment is it?
    with pytest.raises(LocalDayError):
        last_days(datetime(2026, 12, 2, tzinfo=UTC), IST, 0)


@given(MOMENTS, ZONES)
def test_every_moment_is_inside_its_own_day(moment: datetime, tz: str) -> None:
    day = day_period(day_of(moment, tz), tz)
    assert day.start <= moment < day.end
    assert day.start.tzinfo == UTC and day.end.tzinfo == UTC


@given(MOMENTS, ZONES)
def test_days_partition_time(moment: datetime, tz: str) -> None:
    today = day_of(moment, tz)
    assert day_period(today, tz).end == day_period(today + timedelta(days=1), tz).start
    hours = (day_period(today, tz).end - day_period(today, tz).start) / timedelta(hours=1)
    assert 0 <= hours <= 26  # Apia skipped a whole day in 2011


@given(MOMENTS, ZONES)
def test_week_and_month_hold_the_moment_and_its_day(moment: datetime, tz: str) -> None:
    week, month = week_of(moment, tz), month_of(moment, tz)
    assert week.contains(moment) and month.contains(moment)
    assert week.first.weekday() == 0 and (week.last - week.first).days == 6
    assert month.first.day == 1 and (month.last + timedelta(days=1)).day == 1
    assert month.first <= day_of(moment, tz) <= month.last


@given(MOMENTS, ZONES, st.integers(min_value=1, max_value=40))
def test_last_days_are_contiguous_and_end_with_today(moment: datetime, tz: str, n: int) -> None:
    days = last_days(moment, tz, n)
    assert len(days) == n and days[-1].contains(moment)
    assert all(
        a.end == b.start and a.first + timedelta(days=1) == b.first
        for a, b in itertools.pairwise(days)
    )


def test_to_local_shows_the_wall_clock() -> None:
    shown = to_local(datetime(2026, 12, 1, 18, 30, tzinfo=UTC), IST)
    assert (shown.day, shown.hour, shown.minute) == (2, 0, 0)
    assert shown.utcoffset() == timedelta(hours=5, minutes=30)
