"""What a team's cycle should do at a tick, as a pure function of the moment, the schedule, the workbook's
fingerprint and the attempts already recorded: remind ahead of the run, run (build, then draft or send),
or wait. The same inputs give the same answer on every machine, so two services ticking together ask for
the same attempt, and the archive's lease lets only one of them make it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from reportgen.archive.records import RunRecord
from reportgen.base.config import ScheduleSettings
from reportgen.base.states import RunState
from reportgen.cycle.calendar import (
    deadline_of,
    local_moment,
    next_run,
    previous_run,
    reminder_of,
    reviewed_month,
    zone_of,
)

DONE = (RunState.SENT, RunState.AWAITING_APPROVAL)  # the month needs nothing more from the schedule
RETRIED = (RunState.FAILED,)  # tried again at the next tick, whatever the workbook
REMIND_AHEAD = "remind_ahead"
TICK_KEY = "tick_at"  # in an attempt's detail: the tick it was made at (its lease key may be earlier)


@dataclass(frozen=True, slots=True)
class Decision:
    """`kind`: run | remind_ahead | wait; `month` the month reviewed; `due_at` the attempt's moment (the
    lease's key), `deadline` the last day the run waits for a workbook; `tick_at` the tick that decided it
    (later than `due_at` for a late first attempt), recorded with the attempt as `TICK_KEY`."""

    kind: str
    month: str
    due_at: dt.datetime
    deadline: dt.date
    reason: str = ""
    tick_at: dt.datetime | None = field(default=None, compare=False)

    @property
    def recorded(self) -> dict[str, str]:
        """What the attempt's record keeps of the decision, beside its moment."""
        return {TICK_KEY: (self.tick_at or self.due_at).isoformat()}

    def missed(self, now: dt.datetime) -> bool:
        """The month's first run is due from a moment already past: its run day went by with nothing tried
        (the schedule makes only what comes after its start, so someone must be told)."""
        return self.kind == "run" and self.reason == "due" and self.due_at < now


def tick_moment(now: dt.datetime, settings: ScheduleSettings) -> dt.datetime:
    """The latest daily moment (the schedule's time of day) at or before `now`: the nominal time of a tick,
    the same for every service that runs it, late or not."""
    zone = zone_of(settings)
    today = now.astimezone(zone).date()
    moment = local_moment(today, settings.time, zone)
    return moment if moment <= now else local_moment(today - dt.timedelta(days=1), settings.time, zone)


def decide(
    now: dt.datetime,
    settings: ScheduleSettings,
    attempts: Sequence[RunRecord],
    workbook_sha256: str | None,
) -> Decision:
    """`attempts`: this team's recorded attempts (any month). A month's run is due from its scheduled moment;
    it is made once even when the machine was off past the cut-off (caught up once), and after that
    retried daily until the cut-off when the workbook changed or the last try failed."""
    due_at = tick_moment(now, settings)
    latest = previous_run(now, settings)
    month = reviewed_month(latest, settings)
    deadline = deadline_of(latest, settings)
    this_month = [
        attempt
        for attempt in attempts
        if attempt.month == month and attempt.detail.get("kind") != REMIND_AHEAD
    ]
    if any(attempt.state in DONE for attempt in this_month):
        return Decision("wait", month, due_at, deadline, "done")
    if not this_month:  # the first attempt is keyed by the scheduled moment, however late it is made
        return Decision("run", month, latest, deadline, "due", tick_at=due_at)
    if now.astimezone(zone_of(settings)).date() > deadline:
        return Decision("wait", month, due_at, deadline, "past_cutoff")
    last = max(this_month, key=lambda attempt: (attempt.due_at, attempt.run_id))
    if tried_at(last) >= due_at:
        return Decision("wait", month, due_at, deadline, "tried_today")
    if last.state in RETRIED or last.detail.get("workbook_sha256") != workbook_sha256:
        return Decision("run", month, due_at, deadline, "retry", tick_at=due_at)
    return Decision("wait", month, due_at, deadline, "unchanged")


def tried_at(attempt: RunRecord) -> dt.datetime:
    """The tick an attempt was made at: a late first attempt's lease key is the scheduled moment, days
    before the tick that made it, and that tick must not make a second attempt of the month."""
    recorded = attempt.detail.get(TICK_KEY)
    if not isinstance(recorded, str):  # recorded before ticks were kept
        return attempt.due_at
    return max(attempt.due_at, dt.datetime.fromisoformat(recorded))


def ahead(now: dt.datetime, settings: ScheduleSettings, attempts: Sequence[RunRecord]) -> Decision | None:
    """The reminder before the next run, when its day has come and it was not sent yet."""
    coming = next_run(now, settings)
    reminder = reminder_of(coming, settings)
    upcoming = reviewed_month(coming, settings)
    if reminder is None or reminder > now or _reminded(attempts, upcoming):
        return None
    return Decision(REMIND_AHEAD, upcoming, reminder, deadline_of(coming, settings))


def _reminded(attempts: Sequence[RunRecord], month: str) -> bool:
    return any(attempt.month == month and attempt.detail.get("kind") == REMIND_AHEAD for attempt in attempts)
