"""The appendices read like the rest of the review: a cell column cites its cell as appendix B and the
"Easily overlooked" boxes do (sheet and cell, "Activities!A172", not a bare "A172"), and a finding's dates
are written as the body writes dates (Nov 12, 2026; 2026年11月12日), not ISO. The JSON keeps ISO."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from reportgen.base.config import Config
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.context import build_context
from reportgen.wording.documents import figures_document
from reportgen.wording.format import Formatter

ROOT = Path(__file__).resolve().parents[3]
AS_OF = dt.date(2026, 11, 3)
SAMPLES = {"en": "northwind-en.xlsx", "zh": "xinghe-zh.xlsx"}
ISO = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def fmt_list(lang: str) -> str:
    """How the review joins names in a list (", ")."""
    return Formatter(lang, "$").words.text("where.list")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_cell_column_names_the_sheet_as_appendix_b_does(lang: str) -> None:
    checked = check_workbook(ROOT / "samples" / SAMPLES[lang], Config(), AS_OF)
    context = build_context(build_review(checked, "2026-10", AS_OF, lang), None)
    sheet = f"{checked.sheet}!"
    cited = {
        "appendix A": [row.cell for row in context.appendix.activities],
        "appendix B": [row.cell for row in context.appendix.findings if row.cell.startswith(sheet)],
        "misses": [miss.cell for miss in context.execution.misses],
        "lessons": [
            cell for lesson in context.conclusion.lessons for cell in lesson.cells.split(fmt_list(lang))
        ],
    }
    assert all(cited.values()), cited
    for part, cells in cited.items():
        bare = [cell for cell in cells if not re.fullmatch(re.escape(sheet) + r"[A-Z]{1,3}\d+", cell)]
        assert not bare, (part, bare)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_appendix_b_writes_a_findings_dates_as_the_body_does_and_the_json_keeps_iso(lang: str) -> None:
    checked = check_workbook(ROOT / "samples" / SAMPLES[lang], Config(), AS_OF)
    review = build_review(checked, "2026-10", AS_OF, lang)
    fmt = Formatter(lang, checked.currency)
    messages = [row.message for row in build_context(review, None).appendix.findings]
    done_late = [message for message in messages if fmt.date(dt.date(2026, 11, 12)) in message]
    assert done_late and fmt.date(AS_OF) in done_late[0], messages
    # ISO stays only where a sentence shows what to type in the workbook ("Write a date such as 2026-10-05")
    assert not [message for message in messages if ISO.search(message.replace("2026-10-05", ""))], messages
    document = figures_document(review)
    json_messages = [finding["message"] for finding in document["findings"]]
    assert any("2026-11-12" in message and "2026-11-03" in message for message in json_messages)
