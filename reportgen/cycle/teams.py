"""One team, one identity: the name a user types, resolved to the review's team and the schedule's key.

A team has two names. The review's (the team its workbook names, "Northwind Growth Team") is what the archive
files its reviews, approvals and history under; the schedule's key is its workbook's stem ("northwind-en"),
what `[schedule]` builds for. Every command and page takes either, in any case: `resolve_team` finds the
team in the schedule (`teams_of`) and in what the archive remembers (reviews and their workbooks, approvals,
the runs that built), and answers a name it does not know with the known teams in words.

Call it from the front ends (apps/), before anything else is done with the name; cycle/runs.py must not
import this module (this module reads the schedule's teams from it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reportgen.archive.records import TeamAlias
from reportgen.base.catalogue import Catalogue, catalogue, language
from reportgen.base.config import Config
from reportgen.base.errors import InputError
from reportgen.cycle.names import first_owners, fold
from reportgen.cycle.runs import teams_of

if TYPE_CHECKING:  # the store loads SQLAlchemy: only a command that opens the archive pays for it
    from reportgen.archive.store import Archive


@dataclass(frozen=True, slots=True)
class TeamName:
    """A team as every command and page names it.

    `review`: the review's team, as the archive stores its reviews, approvals and events (the workbook's stem
    for a scheduled team that has built nothing yet); `key`: the schedule's key (its workbook's stem) when
    the schedule builds for the team, else None; `aliases`: every name it is known by, `review` first;
    `owned`: the names a role may name it by (docs/department.md): its review's, and each workbook stem or
    schedule key the archive paired with this team before any other (None: `review`, `key` and `aliases`,
    for a team made by hand). A renamed copy of another team's workbook adds its stem to `aliases` (the team
    is found by it), never to `owned`."""

    review: str
    key: str | None
    aliases: tuple[str, ...]
    owned: tuple[str, ...] | None = field(default=None, compare=False)

    def role_names(self) -> set[str]:
        """The names (folded) a role covers this team by."""
        names = self.owned if self.owned is not None else (*self.aliases, *([self.key] if self.key else []))
        return {fold(name) for name in (self.review, *names)}

    def __str__(self) -> str:
        return self.review


def in_words(items: Sequence[str], words: Catalogue) -> str:
    """A list as a sentence says it: "A", "A and B", "A, B and C" (or 甲、乙和丙)."""
    if len(items) <= 1:
        return "".join(items)
    return words.text("where.list").join(items[:-1]) + words.text("teams.and") + items[-1]


class UnknownTeam(InputError):
    """A name that is neither a review's team nor a schedule's key: the message lists the known teams."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(None, "unknown_team", name=name, known=tuple(known))

    def __reduce__(self) -> tuple[Any, ...]:  # the message is rebuilt, not the catalogue's `error.` code
        return (UnknownTeam, (self.params["name"], self.params["known"]))

    def message(self, lang: str | None = None) -> str:
        words = catalogue(language(lang, self.lang))
        known: tuple[str, ...] = self.params["known"]
        if not known:
            return words.text("teams.unknown_none", name=self.params["name"])
        return words.text("teams.unknown", name=self.params["name"], teams=in_words(known, words))


def resolve_team(archive: Archive, config: Config, name: str) -> TeamName:
    """The team `name` means: a review's team or a workbook's stem (the schedule's key), in any case.

    The schedule's teams (`config.schedule`, none without one) and the archive's records say which names
    belong together; a review's team wins over a stem that happens to be spelt the same, and the newest
    record wins where two disagree. A name nobody knows is an `UnknownTeam` (an InputError, exit 1) whose
    message lists the known teams in words, in the user's language."""
    pairs = archive.team_names()
    keys = [team.key for team in teams_of(config.schedule, archive.runs())] if config.schedule else []
    wanted = fold(name)
    review = _review_named(wanted, pairs) or _review_aliased(wanted, pairs)
    if review is None:
        key = next((key for key in keys if fold(key) == wanted), None)
        if key is None:
            raise UnknownTeam(name.strip(), known_teams(pairs, keys))
        return TeamName(key, key, (key,))
    return _team(review, pairs, keys)


def known_teams(pairs: Sequence[TeamAlias], keys: Sequence[str]) -> list[str]:
    """Each team once, by its review's name with its schedule key or stem after it where that differs
    ("Northwind Growth Team (northwind-en)"), then the schedule's keys that built nothing yet; sorted."""
    shown: dict[str, str] = {}
    for pair in reversed(pairs):  # oldest first: the newest alias wins
        if pair.review is not None:
            alias = pair.alias if pair.alias and fold(pair.alias) != fold(pair.review) else None
            if alias or pair.review not in shown:
                shown[pair.review] = f"{pair.review} ({alias})" if alias else pair.review
    named = {fold(pair.alias) for pair in pairs if pair.review is not None and pair.alias}
    named |= {fold(review) for review in shown}
    lone = {pair.alias for pair in pairs if pair.review is None and pair.alias} | set(keys)
    teams = list(shown.values()) + [key for key in lone if fold(key) not in named]
    return sorted(teams, key=fold)


def _review_named(wanted: str, pairs: Sequence[TeamAlias]) -> str | None:
    return next((pair.review for pair in pairs if pair.review and fold(pair.review) == wanted), None)


def _review_aliased(wanted: str, pairs: Sequence[TeamAlias]) -> str | None:
    return next(
        (pair.review for pair in pairs if pair.review and pair.alias and fold(pair.alias) == wanted), None
    )


def _team(review: str, pairs: Sequence[TeamAlias], keys: Sequence[str]) -> TeamName:
    aliases = [pair.alias for pair in pairs if pair.review == review and pair.alias]  # newest first
    owners = first_owners(pairs)
    owned = [alias for alias in aliases if owners.get(fold(alias)) == review]
    folded_keys = {fold(key): key for key in keys}
    key = next((folded_keys[fold(alias)] for alias in owned if fold(alias) in folded_keys), None)
    if key is None and fold(review) in folded_keys:
        key = folded_keys[fold(review)]
    names = dict.fromkeys([review, *([key] if key else []), *aliases])
    return TeamName(review, key, tuple(names), tuple(dict.fromkeys([review, *owned])))
