"""When the cycle acts, as pure functions of the schedule and a moment passed in (never the clock): the run
of a month (its day, or the month's last day when shorter; its time in the configured zone, across DST), the
month a run reviews (the one just ended), the reminder before it and its cut-off (the daily retries up to
it are `decide.py`'s)."""

from __future__ import annotations

import calendar
import datetime as dt

from reportgen.base.config import ScheduleSettings, local_zone


def zone_of(settings: ScheduleSettings) -> dt.tzinfo:
    """The schedule's zone, else this machine's."""
    return local_zone(settings.timezone)


def day_in(year: int, month: int, day: int) -> dt.date:
    """`day` of the month, or its last day when the month is shorter (31 in April is the 30th)."""
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def local_moment(day: dt.date, time: dt.time, zone: dt.tzinfo) -> dt.datetime:
    """`time` on `day` in `zone` as an aware moment. A time the clocks skip (02:30 when they spring forward)
    is the moment just after the gap; a time they pass twice (falling back) is its first occurrence."""
    naive = dt.datetime.combine(day, time)
    first = naive.replace(tzinfo=zone, fold=0)
    # In a gap, fold=0 reads the wall time with the offset from before it (PEP 495): as a real moment that
    # is the same distance past the gap's start, e.g. 03:30 for 02:30 when 02:00 becomes 03:00.
    return first.astimezone(dt.UTC).astimezone(zone)


def run_of(year: int, month: int, settings: ScheduleSettings) -> dt.datetime:
    """The scheduled run in (year, month)."""
    return local_moment(day_in(year, month, settings.day), settings.time, zone_of(settings))


def next_run(after: dt.datetime, settings: ScheduleSettings) -> dt.datetime:
    """The first scheduled run strictly after `after`."""
    local = after.astimezone(zone_of(settings))
    year, month = local.year, local.month
    for _ in range(3):
        candidate = run_of(year, month, settings)
        if candidate > after:
            return candidate
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise AssertionError("a monthly run exists within three months")


def previous_run(before: dt.datetime, settings: ScheduleSettings) -> dt.datetime:
    """The last scheduled run at or before `before`."""
    local = before.astimezone(zone_of(settings))
    year, month = local.year, local.month
    for _ in range(3):
        candidate = run_of(year, month, settings)
        if candidate <= before:
            return candidate
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    raise AssertionError("a monthly run exists within three months")


def reviewed_month(run: dt.datetime, settings: ScheduleSettings) -> str:
    """The month a run reviews: the one just ended, in the schedule's zone ('2026-10' for a run on Nov 3)."""
    local = run.astimezone(zone_of(settings))
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year:04d}-{month:02d}"


def reminder_of(run: dt.datetime, settings: ScheduleSettings) -> dt.datetime | None:
    """When the team is reminded that the run is coming (None without a lead time)."""
    if settings.remind_days == 0:
        return None
    local = run.astimezone(zone_of(settings))
    day = local.date() - dt.timedelta(days=settings.remind_days)
    return local_moment(day, settings.time, zone_of(settings))


def deadline_of(run: dt.datetime, settings: ScheduleSettings) -> dt.date:
    """The last day a reminder tells the team: the cut-off day of the run's month."""
    local = run.astimezone(zone_of(settings))
    return day_in(local.year, local.month, settings.cutoff_day)
