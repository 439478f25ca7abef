"""The cycle's calendar, table-driven: month ends, day 31, DST changes in the configured zone, a machine off
for two months. Every moment is passed in; nothing reads the clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reportgen.base.config import ScheduleSettings
from reportgen.cycle.calendar import (
    day_in,
    deadline_of,
    next_run,
    previous_run,
    reminder_of,
    reviewed_month,
    run_of,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def schedule(**changes: object) -> ScheduleSettings:
    settings = ScheduleSettings(workbooks=Path("team.xlsx"), timezone="Asia/Shanghai")
    return ScheduleSettings(**{**{name: getattr(settings, name) for name in settings.__slots__}, **changes})


@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [
        (2027, 2, 31, dt.date(2027, 2, 28)),  # runs on the last day in shorter months
        (2028, 2, 31, dt.date(2028, 2, 29)),  # a leap year's February
        (2027, 4, 31, dt.date(2027, 4, 30)),
        (2027, 4, 30, dt.date(2027, 4, 30)),
        (2027, 2, 29, dt.date(2027, 2, 28)),
        (2027, 1, 3, dt.date(2027, 1, 3)),
    ],
)
def test_the_day_of_a_month(year: int, month: int, day: int, expected: dt.date) -> None:
    assert day_in(year, month, day) == expected


@pytest.mark.parametrize(
    ("zone", "day", "time", "expected_local", "expected_offset_hours"),
    [
        # New York springs forward on 2027-03-14 at 02:00: 02:30 does not exist, the run is just after the gap
        ("America/New_York", 14, dt.time(2, 30), dt.datetime(2027, 3, 14, 3, 30), -4),
        ("America/New_York", 14, dt.time(9, 0), dt.datetime(2027, 3, 14, 9, 0), -4),
        ("America/New_York", 13, dt.time(9, 0), dt.datetime(2027, 3, 13, 9, 0), -5),
        ("Europe/Berlin", 28, dt.time(2, 30), dt.datetime(2027, 3, 28, 3, 30), 2),  # Berlin's gap
        ("Asia/Shanghai", 14, dt.time(2, 30), dt.datetime(2027, 3, 14, 2, 30), 8),  # no DST at all
    ],
)
def test_a_run_in_march_across_the_spring_gap(
    zone: str, day: int, time: dt.time, expected_local: dt.datetime, expected_offset_hours: int
) -> None:
    run = run_of(2027, 3, schedule(timezone=zone, day=day, time=time))
    assert run.replace(tzinfo=None) == expected_local
    assert run.utcoffset() == dt.timedelta(hours=expected_offset_hours)


def test_a_time_passed_twice_when_clocks_fall_back_is_its_first_occurrence() -> None:
    run = run_of(2027, 11, schedule(timezone="America/New_York", day=7, time=dt.time(1, 30)))
    assert run.replace(tzinfo=None) == dt.datetime(2027, 11, 7, 1, 30)
    assert run.utcoffset() == dt.timedelta(hours=-4)  # still daylight time: the first 01:30
    assert run.astimezone(dt.UTC) == dt.datetime(2027, 11, 7, 5, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("after", "day", "expected"),
    [
        (
            dt.datetime(2026, 11, 3, 8, 59, tzinfo=SHANGHAI),
            3,
            dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI),
        ),
        (dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI), 3, dt.datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)),
        (
            dt.datetime(2026, 12, 31, 23, 0, tzinfo=SHANGHAI),
            3,
            dt.datetime(2027, 1, 3, 9, 0, tzinfo=SHANGHAI),
        ),
        (
            dt.datetime(2027, 1, 31, 10, 0, tzinfo=SHANGHAI),
            31,
            dt.datetime(2027, 2, 28, 9, 0, tzinfo=SHANGHAI),
        ),
        # the same instant written in UTC (01:00 UTC is 09:00 in Shanghai): already passed
        (dt.datetime(2026, 11, 3, 1, 0, tzinfo=dt.UTC), 3, dt.datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI)),
    ],
)
def test_the_next_run(after: dt.datetime, day: int, expected: dt.datetime) -> None:
    assert next_run(after, schedule(day=day)) == expected


@pytest.mark.parametrize(
    ("run", "month"),
    [
        (dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI), "2026-10"),
        (dt.datetime(2027, 1, 3, 9, 0, tzinfo=SHANGHAI), "2026-12"),  # across the year
        # 01:00 UTC on Dec 1 is already Dec 1 in Shanghai: November is the month just ended
        (dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC), "2026-11"),
    ],
)
def test_a_run_reviews_the_month_just_ended_in_the_schedules_zone(run: dt.datetime, month: str) -> None:
    assert reviewed_month(run, schedule(day=1)) == month


def test_the_reminder_comes_before_the_run_and_the_cutoff_shrinks_with_the_month() -> None:
    settings = schedule(day=3, cutoff_day=6, remind_days=2)
    run = run_of(2026, 11, settings)
    assert deadline_of(run, settings) == dt.date(2026, 11, 6)
    assert reminder_of(run, settings) == dt.datetime(2026, 11, 1, 9, 0, tzinfo=SHANGHAI)
    assert reminder_of(run, schedule(remind_days=0)) is None
    february = run_of(2027, 2, schedule(day=31, cutoff_day=31))
    assert february.day == 28 and deadline_of(february, schedule(day=31, cutoff_day=31)) == february.date()


def test_previous_run_is_at_or_before() -> None:
    settings = schedule()
    at_run = dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)
    assert previous_run(at_run, settings) == at_run
    assert previous_run(at_run - dt.timedelta(seconds=1), settings) == dt.datetime(
        2026, 10, 3, 9, 0, tzinfo=SHANGHAI
    )
    assert next_run(at_run - dt.timedelta(days=40), settings).month == 10
    assert NEW_YORK.key == "America/New_York"
