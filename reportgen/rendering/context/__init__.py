# mypy: disallow-any-explicit, disallow-any-generics, disallow-untyped-defs
"""What the review page shows, typed: one frozen dataclass per section, each made by one small function from
the `Review`. Every number is formatted here, per locale, with Babel; every sentence comes from the catalogue.
Cell text is kept as plain strings that the template escapes, never put into an attribute, a URL or a style.

The template reads these attributes by name (`review.execution.misses`, `miss.decision`), so a misspelt name
fails mypy here or StrictUndefined there, instead of printing nothing.

The figures come made: every count, rate, change and "is it late" is the figures layer's (the `Review`,
figures/claims.py, kpis.py, trends.py, metrics.py); the modules here choose, bound and write them. One entry
point, `build_context`; a module per part of the page: `cover`, `sections` (the four numbered ones),
`conclusion`, `appendix`, `changes` (a revision's page), and `common` (what they share: bounded cell text,
cell references, each section's frame)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reportgen import __version__
from reportgen.base import vocab
from reportgen.base.catalogue import Catalogue
from reportgen.base.model import Finding as ModelFinding
from reportgen.base.model import Principle
from reportgen.figures.changes import Revision
from reportgen.figures.review import Review, team_name
from reportgen.rendering.context.appendix import AppendixContext, appendix_context
from reportgen.rendering.context.appendix import table_name as table_name  # where the complete table goes
from reportgen.rendering.context.changes import RevisionContext, revision_context
from reportgen.rendering.context.common import (
    CELL_LINES,
    CELL_WIDTH,
    TEAM_WIDTH,
    Cells,
    Clip,
    SectionFrame,
    commentary_notes,
    section_frame,
)
from reportgen.rendering.context.conclusion import ConclusionContext, conclusion_context
from reportgen.rendering.context.cover import CoverContext, cover_context, takeaway_texts, trend_note
from reportgen.rendering.context.sections import (
    ConnectionContext,
    DeferredPayoffContext,
    ExecutionContext,
    LayeredContext,
    connection_context,
    deferred_payoff_context,
    execution_context,
    layered_context,
)
from reportgen.wording.format import Formatter

SECTION_ORDER: tuple[Principle, ...] = (
    Principle.CONNECTION,
    Principle.EXECUTION,
    Principle.DEFERRED_PAYOFF,
    Principle.LAYERED,
)


@dataclass(frozen=True, slots=True)
class ReviewContext:
    """The whole page: every section's context, already formatted; `charts` (name → image URL) is filled in by
    the caller with `dataclasses.replace` once it knows how the images travel (PDF fetcher or data: URLs)."""

    lang: str
    words: Catalogue
    team: str
    month: str
    month_label: str
    title: str
    generator: str
    cover: CoverContext
    connection: ConnectionContext
    execution: ExecutionContext
    deferred_payoff: DeferredPayoffContext
    layered: LayeredContext
    conclusion: ConclusionContext
    appendix: AppendixContext
    charts: Mapping[str, str] = field(default_factory=dict)
    revision: RevisionContext | None = None  # a revised review's page of changes
    cut_note: str = ""  # where the full text of a cut cell is; each part that cut one shows it


def build_context(
    review: Review,
    team: str | None,
    extra_findings: Sequence[ModelFinding] = (),
    stem: str = "review",
    revision: Revision | None = None,
) -> ReviewContext:
    """The page's context for one review. `extra_findings` are those found while rendering (glyphs); `stem`
    names the complete activity table the appendix points to when it is cut."""
    fmt = Formatter(review.lang, review.checked.currency)
    checked = review.checked
    findings = [*review.findings, *extra_findings]
    # one clip per part of the page: a part that cut a cell's text says where the full text is
    clips = {part: Clip() for part in (*vocab.COMMENTARY_SECTIONS, "takeaways", "appendix", "findings")}
    notes = commentary_notes(review, clips)
    cells = Cells(review)
    takeaways = takeaway_texts(review, fmt, clips["takeaways"])  # on the cover and in the conclusion
    frames = {
        principle: section_frame(
            principle, number, review, notes[principle.value], fmt, clips[principle.value]
        )
        for number, principle in enumerate(SECTION_ORDER, start=1)
    }
    cover = dataclasses.replace(
        cover_context(review, findings, notes["intro"], takeaways, tuple(frames.values()), fmt),
        revised=fmt.words.text("review.revised", date=fmt.date(revision.replaces_sent_on.date()))
        if revision
        else "",
        trend_note=trend_note(review, fmt),
    )
    # one line: the cover's title and atop every page (a title cell's line breaks are spaces there anyway)
    team_shown = clips["intro"](" ".join(team_name(checked, team).split()), TEAM_WIDTH, 1)
    connection = connection_context(review, frames[Principle.CONNECTION], fmt, clips["connection"])
    execution = execution_context(review, frames[Principle.EXECUTION], cells, fmt, clips["execution"])
    deferred_payoff = deferred_payoff_context(review, frames[Principle.DEFERRED_PAYOFF], fmt)
    layered = layered_context(review, frames[Principle.LAYERED], cells, fmt, clips["layered"])
    conclusion = conclusion_context(review, notes["conclusion"], takeaways, cells, fmt, clips["conclusion"])
    table = table_name(stem, review.month)
    appendix = appendix_context(review, findings, table, cells, fmt, clips["appendix"], clips["findings"])
    changes = revision_context(revision, fmt) if revision else None
    cut = any(clip.cut for clip in clips.values()) or (changes is not None and changes.cut)
    return ReviewContext(
        lang=review.lang,
        words=fmt.words,
        team=team_shown,
        month=review.month,
        month_label=fmt.month(review.month),
        title=fmt.words.text("review.title"),
        generator=f"reportgen {__version__}",
        cover=dataclasses.replace(cover, cut=clips["intro"].cut or clips["takeaways"].cut),
        connection=dataclasses.replace(connection, frame=with_cut(connection.frame, clips)),
        execution=dataclasses.replace(execution, frame=with_cut(execution.frame, clips)),
        deferred_payoff=dataclasses.replace(deferred_payoff, frame=with_cut(deferred_payoff.frame, clips)),
        layered=dataclasses.replace(layered, frame=with_cut(layered.frame, clips)),
        conclusion=dataclasses.replace(conclusion, cut=clips["conclusion"].cut or clips["takeaways"].cut),
        # a cut text also makes the complete table travel with the PDF, whatever the number of rows
        appendix=dataclasses.replace(appendix, table_attached=appendix.table_attached or cut),
        revision=changes,
        cut_note=fmt.words.text(
            "review.cut_note", width=CELL_WIDTH, wide=CELL_WIDTH // 2, lines=CELL_LINES, name=table
        )
        if cut
        else "",
    )


def with_cut(frame: SectionFrame, clips: Mapping[str, Clip]) -> SectionFrame:
    """A section's frame, marked when its clip cut a cell's text (in its table, notes or overlooked box)."""
    return dataclasses.replace(frame, cut=clips[frame.key].cut)
