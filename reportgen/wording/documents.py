"""The JSON documents in the review's language: the figures as figures/document.py writes them, with the
sentences they carry (a finding's, what decided a row's mapping) worded here."""

from __future__ import annotations

from typing import Any

from reportgen.base.catalogue import catalogue
from reportgen.figures import document
from reportgen.figures.review import Checked, Review
from reportgen.wording.text import finding_message, source_text


def texts(lang: str) -> document.Texts:
    """The sentences a document carries, in `lang`."""
    words = catalogue(lang)
    return document.Texts(
        finding=lambda finding: finding_message(finding, words),
        source=lambda source: source_text(source, words),
    )


def figures_document(review: Review) -> dict[str, Any]:
    """The whole `build --json` document (figures/document.py), in the review's language."""
    return document.figures_document(review, texts(review.lang))


def findings_document(checked: Checked, lang: str) -> dict[str, Any]:
    """What `check --json` prints (figures/document.py), in `lang`."""
    return document.findings_document(checked, lang, texts(lang))
