"""Sentences about single things: a data-quality finding, what decided a row's mapping. Used by the JSON
documents, the review, `check`, the mail refusal and the page, so each is worded once."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterable

from reportgen.base.catalogue import LANGUAGES, Catalogue, catalogue
from reportgen.base.model import Finding, Source
from reportgen.figures.review import errors_of

# a finding's dates, kept as ISO text (reading/normalize.py)
DATE_PARAMS = ("date", "due", "done_on", "as_of")


def finding_message(finding: Finding, words: Catalogue, date: Callable[[dt.date], str] | None = None) -> str:
    """The finding's sentence in `words`' language, its field and date-order keys named in that language;
    with `date` (the review's Formatter.date), its dates as the review writes them, not ISO: the JSON,
    `check` and the mail keep the sentence as it always read."""
    params = dict(finding.params)
    if date is not None:
        for name in DATE_PARAMS:
            if isinstance(params.get(name), str):
                with contextlib.suppress(ValueError):  # not a date after all: quoted as it is
                    params[name] = date(dt.date.fromisoformat(params[name]))
    if "field" in params:
        params["field"] = words.templates.get(f"field.{params['field']}", params["field"])
    if "section" in params:  # a part of the review, as its heading names it
        params["section"] = words.templates.get(f"review.section.{params['section']}", params["section"])
    if "order" in params:
        params["order"] = words.templates.get(f"date_order.{params['order']}", params["order"])
    return words.text(f"finding.{finding.code}", **params)


ErrorLines = tuple[tuple[str, str], ...]  # each error finding as (its cell, its sentence)


def finding_lines(findings: Iterable[Finding], words: Catalogue) -> tuple[str, ...]:
    """Each finding as a line of watch's .log (severity, cell, sentence, tab-separated), all in `words`'
    language: the run's, wherever the build ran."""
    return tuple(
        "\t".join(
            (words.text(f"severity.{finding.severity.value}"), finding.where, finding_message(finding, words))
        )
        for finding in findings
    )


def finding_lines_in_each_language(findings: Iterable[Finding]) -> dict[str, tuple[str, ...]]:
    """`finding_lines` in every language reportgen speaks: a worker's answer, for a run in any of them."""
    kept = tuple(findings)
    return {lang: finding_lines(kept, catalogue(lang)) for lang in LANGUAGES}


def error_sentences(findings: Iterable[Finding]) -> dict[str, ErrorLines]:
    """Each error finding as (its cell, its sentence), in every language reportgen speaks: whoever is told
    about the cells (the approver's draft) reads each cell's error in their own language, which need not be
    the review's."""
    errors = errors_of(findings)
    return {
        lang: tuple((finding.where or "?", finding_message(finding, catalogue(lang))) for finding in errors)
        for lang in LANGUAGES
    }


def source_text(source: Source, words: Catalogue, short: bool = False) -> str:
    """What decided a mapping, as a phrase in the review's language ('default for channel SEO'); `short` drops
    what the appendix row already shows (the channel, the row's own cell)."""
    if short:
        detail = source.detail.rsplit("!", 1)[-1] if source.kind == "cell" else source.detail
        return words.text(f"source_short.{source.kind}", detail=detail, number=source.number)
    detail = words.text(f"channel.{source.detail}") if source.kind == "channel_default" else source.detail
    return words.text(f"source.{source.kind}", detail=detail, number=source.number)


def department_name(name: str | None, words: Catalogue) -> str:
    """The department as the roll-up names it, on its cover and in its mails' subjects: `[department] name`,
    else the catalogue's ("Marketing department")."""
    return name or words.text("rollup.default_department")
