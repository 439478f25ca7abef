"""The review at a glance, as every delivery shows it: read back from the figures document `build` embedded
in the PDF (`mail`: the cards, takeaways and data-quality line already in the review's words), so a mail and
a chat card tell the same story as the PDF they come with, whichever process delivers it."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from reportgen.base.catalogue import catalogue, language
from reportgen.base.errors import InputError
from reportgen.figures.document import FIGURES_ATTACHMENT


@dataclass(frozen=True, slots=True)
class CardLine:
    """One KPI card: "Leads", "1,240", "+12 (+8%)", its tone (good/bad/neutral) and note."""

    label: str
    value: str
    delta: str = ""
    tone: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """What a delivery says about one review PDF. `reportgen` False: a PDF reportgen did not make (its file
    name stands for the team, and there are no cards). `rollup`: the department's roll-up, whose mail and
    card headings say so."""

    lang: str
    team: str
    month: str
    kpis: tuple[CardLine, ...] = ()
    takeaways: tuple[str, ...] = ()
    revised: str = ""  # "Revised — replaces the review sent on …", or ""
    data_quality: str = ""
    file_name: str = "review.pdf"
    reportgen: bool = False
    rollup: bool = False  # the department's roll-up (`team` then names the department), not a team's review
    # the cells of the month's error findings, as the figures inside the PDF list them: `send` refuses on
    # them as `build --email` does
    error_cells: tuple[str, ...] = ()


def heading(summary: ReviewSummary) -> str:
    """The chat card's heading (and the post's subject in the archive): the team and the month, or the
    department's roll-up named as one."""
    words = catalogue(summary.lang)
    if not summary.month:
        return summary.team
    if summary.rollup:
        return words.text("chat.rollup_title", department=summary.team, month=summary.month)
    return words.text("chat.title", team=summary.team, month=summary.month)


def read_summary(pdf: bytes) -> dict[str, Any] | None:
    """The figures document `build` embedded in the PDF, or None for a PDF reportgen did not make."""
    attached = _attached_figures(pdf)
    if attached is None:
        return None
    try:
        document = json.loads(attached)
    except ValueError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("mail"), dict):
        return None
    return document


@lru_cache(maxsize=8)
def _attached_figures(pdf: bytes) -> bytes | None:
    """The figures attachment's bytes. Kept for the last few PDFs: a send reads one PDF for its refusal, its
    language and every target's message (70 ms of parsing each time for a sample review)."""
    from pypdf import PdfReader

    try:
        attached = PdfReader(io.BytesIO(pdf)).attachments.get(FIGURES_ATTACHMENT)
    except Exception:  # any PDF at all may be sent: one pypdf cannot read is simply not reportgen's
        return None
    return bytes(attached[0]) if attached else None


def read_pdf(pdf_path: Path) -> bytes:
    """The file's bytes, refused (naming it) when it is missing, unreadable or not a PDF."""
    try:
        data = pdf_path.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(pdf_path, "missing") from exc
    except IsADirectoryError as exc:
        raise InputError(pdf_path, "send_not_pdf") from exc
    except OSError as exc:
        raise InputError(pdf_path, "unreadable", detail=exc.strerror or str(exc)) from exc
    if not data.startswith(b"%PDF-"):
        raise InputError(pdf_path, "send_not_pdf")
    try:
        pdf_path.name.encode("utf-8")  # the archive, the mail and the chats carry the name as text
    except UnicodeEncodeError as exc:
        raise InputError(pdf_path, "name_not_utf8") from exc
    return data


def summarize(data: bytes, file_name: str, lang: str | None = None) -> ReviewSummary:
    """The summary of a PDF's bytes; `lang` when the reader's language is known (else the review's)."""
    document = read_summary(data)
    mail = document["mail"] if document else {}
    return ReviewSummary(
        lang=language(lang, document.get("lang") if document else None),
        team=_one_line(mail.get("team")) or _one_line(Path(file_name).stem),
        month=_one_line(mail.get("month_label")),
        kpis=tuple(_cards(mail.get("kpis"))),
        takeaways=tuple(_one_line(text) for text in _texts(mail.get("takeaways"))),
        revised=_one_line(mail.get("revised")),
        data_quality=_one_line(mail.get("data_quality")),
        file_name=_one_line(file_name) or "review.pdf",
        reportgen=document is not None,
        rollup=document is not None and document.get("kind") == "rollup",
        error_cells=tuple(
            finding_where(finding)
            for finding in (document.get("findings") or [] if document else [])
            if isinstance(finding, dict) and finding.get("severity") == "error"
        ),
    )


def finding_where(finding: dict[str, Any]) -> str:
    """Where a finding of a figures document is: `sheet!cell`, or the sheet when it names no cell."""
    return f"{finding['sheet']}!{finding['cell']}" if finding.get("cell") else str(finding.get("sheet", "?"))


def _one_line(text: Any) -> str:
    return " ".join(str(text or "").split())


def _texts(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _cards(value: Any) -> list[CardLine]:
    return [
        CardLine(*(_one_line(card.get(key)) for key in ("label", "value", "delta", "tone", "note")))
        for card in (value if isinstance(value, list) else [])
        if isinstance(card, dict)
    ]
