"""Which team a name means, below the schedule's machinery (cycle/teams.py resolves names for the commands
with it; cycle/lifecycle.py finds the review's team of a schedule key the archive knows only from builds
made outside the schedule)."""

from __future__ import annotations

from collections.abc import Sequence

from reportgen.archive.records import TeamAlias


def fold(name: str) -> str:
    """How two names are compared: trimmed, case-folded."""
    return name.strip().casefold()


def first_owners(pairs: Sequence[TeamAlias]) -> dict[str, str]:
    """Whose each name is (folded name: review's team), for roles: a review's name is its own team's; any
    other name (a workbook's stem, a schedule key) is the team the archive first paired it with, however
    many teams were built under it since (a renamed copy of a workbook, built by a head or on the command
    line, changes nothing)."""
    owners = {fold(pair.review): pair.review for pair in pairs if pair.review}
    firsts: dict[str, TeamAlias] = {}
    for pair in pairs:
        if pair.review and pair.alias and fold(pair.alias) not in owners:
            seen = firsts.get(fold(pair.alias))
            if seen is None or (pair.first or pair.at) < (seen.first or seen.at):
                firsts[fold(pair.alias)] = pair
    return owners | {name: pair.review for name, pair in firsts.items() if pair.review}
