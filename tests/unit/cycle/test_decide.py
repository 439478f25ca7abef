"""`cycle.decide`, the logic every tick runs, branch by branch: a pure function of the moment, the schedule,
the attempts recorded and the workbook's fingerprint, so every input is built here and nothing reads the
clock. Then properties over any schedule and any moment: no run for a month already sent, and one tick never
acts twice for one team and month, a late first attempt that failed included."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reportgen.archive.records import RunRecord
from reportgen.base.config import ScheduleSettings
from reportgen.base.states import RunState
from reportgen.cycle.calendar import previous_run, reviewed_month
from reportgen.cycle.decide import REMIND_AHEAD, Decision, ahead, decide, tick_moment
from reportgen.figures.metrics import shift_month

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
RUN = dt.datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)  # November's run: it reviews October
OCTOBER = "2026-10"
DEADLINE = dt.date(2026, 11, 10)
OLD, NEW = "a" * 64, "b" * 64  # two workbooks' SHA-256

_ids = itertools.count(1)


def schedule(**changes: object) -> ScheduleSettings:
    base: dict[str, object] = {
        "workbooks": Path("team.xlsx"),
        "day": 3,
        "time": dt.time(9, 0),
        "timezone": "Asia/Shanghai",
        "remind_days": 2,
        "cutoff_day": 10,
    }
    return ScheduleSettings(**{**base, **changes})  # type: ignore[arg-type]


def attempt(
    due_at: dt.datetime,
    state: str,
    sha: str | None = OLD,
    *,
    month: str = OCTOBER,
    kind: str = "run",
    team: str = "team",
    made_at: dt.datetime | None = None,
    decided: Decision | None = None,
) -> RunRecord:
    """A recorded attempt; `made_at` when it was made (its archive clock), by default its moment; `decided`
    the decision it carried out, whose tick the record keeps as `cycle.runs.perform` records it."""
    detail = {
        "kind": kind,
        "workbook": "team.xlsx",
        "workbook_sha256": sha,
        **(decided.recorded if decided else {}),
    }
    made = made_at or due_at
    return RunRecord(next(_ids), team, month, due_at, "host:1", state, detail, made, made)


def at(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


# --- run, "due": the month's first attempt ---


def test_the_first_tick_at_the_scheduled_moment_runs_the_month_just_ended() -> None:
    assert decide(RUN, schedule(), [], OLD) == Decision("run", OCTOBER, RUN, DEADLINE, "due")


def test_a_late_first_attempt_is_keyed_by_the_scheduled_moment_not_the_tick() -> None:
    decision = decide(at(5, 14, 30), schedule(), [], OLD)
    assert decision == Decision("run", OCTOBER, RUN, DEADLINE, "due")  # the lease's key is the run's moment


def test_a_machine_off_for_months_catches_up_once_for_the_latest_month_even_past_the_cutoff() -> None:
    back = at(
        20, 8, 0, month=12
    )  # off since September; December's run (Dec 3) and its cut-off (Dec 10) passed
    decision = decide(back, schedule(), [], None)
    assert decision == Decision("run", "2026-11", at(3, month=12), dt.date(2026, 12, 10), "due")


def test_a_first_run_is_missed_only_once_its_moment_has_passed_with_nothing_tried() -> None:
    """`missed` is what `schedule next` and a first start tell the lead: the run day went by unmade."""
    assert not decide(RUN, schedule(), [], OLD).missed(RUN)  # at its very moment: due, not missed
    assert decide(RUN, schedule(), [], OLD).missed(RUN + dt.timedelta(minutes=1))
    assert decide(at(5), schedule(), [], OLD).missed(at(5))  # two days late
    tried = [attempt(RUN, RunState.FAILED)]
    assert not decide(at(5), schedule(), tried, NEW).missed(at(5))  # a retry, not a missed day
    assert not decide(at(5), schedule(), [attempt(RUN, RunState.SENT)], OLD).missed(at(5))  # done


def test_a_first_attempt_is_due_without_a_workbook_too() -> None:
    assert decide(RUN, schedule(), [], None).kind == "run"  # the run then reminds the team (runs.perform)


def test_attempts_of_other_months_and_the_reminder_ahead_do_not_count_as_this_months() -> None:
    others = [
        attempt(at(3, month=10), RunState.SENT, month="2026-09"),  # last month, sent
        attempt(at(1), RunState.REMINDED, month=OCTOBER, kind=REMIND_AHEAD),  # this month's reminder ahead
        attempt(at(1), RunState.SENT, team="team", month="2026-11"),  # next month: run-now, say
    ]
    assert decide(at(4), schedule(), others, OLD) == Decision("run", OCTOBER, RUN, DEADLINE, "due")


# --- wait, "done": the month needs nothing more ---


@pytest.mark.parametrize("state", [RunState.SENT, RunState.AWAITING_APPROVAL])
def test_a_month_sent_or_awaiting_approval_waits_whatever_else_happened(state: RunState) -> None:
    attempts = [
        attempt(RUN, RunState.FAILED),
        attempt(at(4), state),
        attempt(at(5), RunState.FAILED, NEW),  # a later failure (the approved send's own run, say)
    ]
    for now in (at(6), at(6, 8, 0), at(20)):  # the next tick, before its time, past the cut-off
        decision = decide(now, schedule(), attempts, NEW)
        assert (decision.kind, decision.reason, decision.month) == ("wait", "done", OCTOBER)


def test_a_wait_carries_the_tick_moment_and_the_deadline() -> None:
    decision = decide(at(6, 15, 0), schedule(), [attempt(RUN, RunState.SENT)], OLD)
    assert decision == Decision("wait", OCTOBER, at(6), DEADLINE, "done")


# --- wait, "past_cutoff" ---


def test_after_the_cutoff_day_nothing_is_retried_even_a_failure_with_a_new_workbook() -> None:
    attempts = [attempt(RUN, RunState.FAILED, OLD)]
    decision = decide(at(11), schedule(), attempts, NEW)
    assert decision == Decision("wait", OCTOBER, at(11), DEADLINE, "past_cutoff")


def test_the_cutoff_day_itself_is_still_retried() -> None:
    decision = decide(at(10), schedule(), [attempt(RUN, RunState.FAILED)], OLD)
    assert decision == Decision("run", OCTOBER, at(10), DEADLINE, "retry")


def test_the_cutoff_is_read_in_the_schedules_zone() -> None:
    # 16:30 UTC on the 10th is 00:30 on the 11th in Shanghai: past the cut-off there
    now = dt.datetime(2026, 11, 10, 16, 30, tzinfo=dt.UTC)
    assert decide(now, schedule(), [attempt(RUN, RunState.FAILED)], NEW).reason == "past_cutoff"


# --- wait, "tried_today" ---


def test_a_tick_already_tried_today_waits_even_after_a_failure_with_a_new_workbook() -> None:
    attempts = [attempt(RUN, RunState.REMINDED), attempt(at(5), RunState.FAILED, OLD)]
    decision = decide(at(5, 17, 0), schedule(), attempts, NEW)
    assert decision == Decision("wait", OCTOBER, at(5), DEADLINE, "tried_today")


def test_the_first_attempt_at_the_scheduled_moment_counts_as_todays() -> None:
    decision = decide(at(3, 23, 59), schedule(), [attempt(RUN, RunState.FAILED)], NEW)
    assert (decision.kind, decision.reason, decision.due_at) == ("wait", "tried_today", RUN)


def test_a_tick_before_the_time_of_day_belongs_to_the_day_before() -> None:
    attempts = [attempt(RUN, RunState.REMINDED), attempt(at(5), RunState.FAILED)]
    decision = decide(at(6, 8, 59), schedule(), attempts, NEW)  # the 6th's tick is at 09:00
    assert decision == Decision("wait", OCTOBER, at(5), DEADLINE, "tried_today")


# --- run, "retry" ---


def test_a_failed_attempt_is_retried_at_the_next_tick_with_the_same_workbook() -> None:
    decision = decide(at(4), schedule(), [attempt(RUN, RunState.FAILED, OLD)], OLD)
    assert decision == Decision("run", OCTOBER, at(4), DEADLINE, "retry")


@pytest.mark.parametrize(
    ("state", "before", "now"),
    [
        (RunState.REMINDED, None, NEW),  # the workbook was missing and has come
        (RunState.REMINDED, OLD, NEW),  # it was last month's and has changed
        (RunState.DRAFT_ERRORS, OLD, NEW),  # the errors were fixed
        (RunState.REJECTED, OLD, NEW),  # the lead turned the draft down; a new workbook came
        (RunState.CLAIMED, OLD, NEW),  # an attempt whose service died
        (RunState.REMINDED, OLD, None),  # the workbook is gone: the run reminds again
    ],
)
def test_a_changed_workbook_is_retried_at_the_next_tick(
    state: RunState, before: str | None, now: str | None
) -> None:
    decision = decide(at(7, 12, 0), schedule(), [attempt(RUN, state, before)], now)
    assert decision == Decision("run", OCTOBER, at(7), DEADLINE, "retry")


def test_a_retry_keeps_its_wall_time_across_a_dst_change() -> None:
    settings = schedule(timezone="America/New_York", day=12, cutoff_day=20)
    first = dt.datetime(2027, 3, 12, 9, 0, tzinfo=NEW_YORK)  # clocks go forward on March 14
    now = dt.datetime(2027, 3, 15, 13, 30, tzinfo=dt.UTC)  # 09:30 EDT
    decision = decide(now, settings, [attempt(first, RunState.FAILED, month="2027-02")], OLD)
    assert (decision.kind, decision.reason) == ("run", "retry")
    assert decision.due_at == dt.datetime(2027, 3, 15, 9, 0, tzinfo=NEW_YORK)
    assert decision.due_at.utcoffset() == dt.timedelta(hours=-4)


def test_a_late_first_attempt_that_failed_is_not_retried_at_the_same_tick() -> None:
    now = at(5)  # two days late: the machine was off on the 3rd
    first = decide(now, schedule(), [], OLD)
    assert (first.kind, first.reason, first.due_at) == ("run", "due", RUN)
    again = decide(now, schedule(), [attempt(first.due_at, RunState.FAILED, made_at=now, decided=first)], OLD)
    assert again.kind == "wait"


# --- wait, "unchanged" ---


@pytest.mark.parametrize(
    ("state", "sha"),
    [
        (RunState.REMINDED, OLD),  # reminded about last month's workbook; still the same one
        (RunState.REMINDED, None),  # still no workbook
        (RunState.DRAFT_ERRORS, OLD),  # errors not fixed yet
        (RunState.REJECTED, OLD),  # rejected; no new workbook yet
        (RunState.CLAIMED, OLD),  # the service died mid-run; nothing new to build
    ],
)
def test_an_unchanged_workbook_waits(state: RunState, sha: str | None) -> None:
    decision = decide(at(7), schedule(), [attempt(RUN, state, sha)], sha)
    assert decision == Decision("wait", OCTOBER, at(7), DEADLINE, "unchanged")


def test_the_latest_attempt_decides_in_whatever_order_they_come() -> None:
    older_failure = attempt(RUN, RunState.FAILED, OLD)
    later_reminder = attempt(at(4), RunState.REMINDED, OLD)
    for attempts in ([older_failure, later_reminder], [later_reminder, older_failure]):
        assert decide(at(6), schedule(), attempts, OLD).reason == "unchanged"


# --- ahead: the reminder before the next run ---


def test_the_reminder_ahead_is_due_from_its_day_for_the_coming_month() -> None:
    now = at(1, 9, 0)  # two days before November's run
    expected = Decision(REMIND_AHEAD, OCTOBER, at(1), DEADLINE)
    assert ahead(now, schedule(), []) == expected
    assert ahead(at(2, 18, 0), schedule(), []) == expected  # a late tick still sends it


def test_no_reminder_ahead_before_its_day_without_a_lead_time_or_once_sent() -> None:
    assert ahead(at(1, 8, 59), schedule(), []) is None
    assert ahead(at(2), schedule(remind_days=0), []) is None
    assert ahead(at(2), schedule(), [attempt(at(1), RunState.REMINDED, kind=REMIND_AHEAD)]) is None


# --- properties: any schedule, any moment ---

ZONES = [
    "UTC",
    "Asia/Shanghai",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",  # a half-hour DST change
    "Asia/Kathmandu",  # a +05:45 offset
    "America/Santiago",  # DST in the southern summer, changed at midnight
    "Pacific/Apia",  # skipped a whole day in 2011
]
SHAS = [None, OLD, NEW]

schedules = st.builds(
    lambda day, hour, minute, zone, remind, cutoff: schedule(
        day=day, time=dt.time(hour, minute), timezone=zone, remind_days=remind, cutoff_day=max(cutoff, day)
    ),
    st.integers(1, 31),
    st.integers(0, 23),
    st.sampled_from([0, 15, 30, 59]),
    st.sampled_from(ZONES),
    st.integers(0, 27),
    st.integers(1, 31),
)
moments = st.datetimes(
    min_value=dt.datetime(2010, 1, 1), max_value=dt.datetime(2035, 12, 31), timezones=st.just(dt.UTC)
)


@st.composite
def histories(draw: st.DrawFn, settings: ScheduleSettings, now: dt.datetime) -> list[RunRecord]:
    """Attempts of the months around the one `now` reviews, at moments around its run and its ticks."""
    latest = previous_run(now, settings)
    month = reviewed_month(latest, settings)
    anchors = [latest, tick_moment(now, settings)]
    found = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["run", REMIND_AHEAD]))
        states = list(RunState) if kind == "run" else [RunState.REMINDED, RunState.FAILED, RunState.CLAIMED]
        due_at = draw(st.sampled_from(anchors)) + dt.timedelta(days=draw(st.integers(-40, 1)))
        found.append(
            attempt(
                due_at,
                draw(st.sampled_from(states)),
                draw(st.sampled_from(SHAS)),
                month=shift_month(month, draw(st.integers(-1, 1))),
                kind=kind,
            )
        )
    return found


def sent(attempts: list[RunRecord], month: str) -> bool:
    return any(
        a.month == month and a.state == RunState.SENT and a.detail.get("kind") != REMIND_AHEAD
        for a in attempts
    )


@given(data=st.data(), settings=schedules, now=moments, sha=st.sampled_from(SHAS))
def test_no_run_for_a_month_already_sent(
    data: st.DataObject, settings: ScheduleSettings, now: dt.datetime, sha: str | None
) -> None:
    attempts = data.draw(histories(settings, now))
    if data.draw(st.booleans()):  # half the time this month was sent, at any of its attempts
        month = reviewed_month(previous_run(now, settings), settings)
        when = previous_run(now, settings) + dt.timedelta(days=data.draw(st.integers(0, 30)))
        attempts.insert(data.draw(st.integers(0, len(attempts))), attempt(when, RunState.SENT, month=month))
    decision = decide(now, settings, attempts, sha)
    if sent(attempts, decision.month):
        assert decision.kind == "wait" and decision.reason == "done"


@given(data=st.data(), settings=schedules, now=moments, sha=st.sampled_from(SHAS))
def test_one_tick_never_acts_twice_for_one_team_and_month(
    data: st.DataObject, settings: ScheduleSettings, now: dt.datetime, sha: str | None
) -> None:
    attempts = data.draw(histories(settings, now))
    reminder = ahead(now, settings, attempts)
    decision = decide(now, settings, attempts, sha)
    acting = [d for d in (reminder, decision) if d is not None and d.kind in ("run", REMIND_AHEAD)]
    assert len({d.month for d in acting}) == len(acting)  # the reminder and the run: two months
    # The same tick once more (a second service, a tick fired twice), after the first's attempts were
    # recorded, however they ended: nothing more for those months.
    outcome = data.draw(st.sampled_from(list(RunState)))
    recorded = list(attempts)
    if reminder is not None:
        recorded.append(
            attempt(
                reminder.due_at, RunState.REMINDED, sha, month=reminder.month, kind=REMIND_AHEAD, made_at=now
            )
        )
    if decision.kind == "run":
        recorded.append(
            attempt(decision.due_at, outcome, sha, month=decision.month, made_at=now, decided=decision)
        )
    again = decide(now, settings, recorded, sha)
    assert ahead(now, settings, recorded) is None
    if decision.kind == "run":
        assert again.kind == "wait"
