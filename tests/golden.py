"""Golden page texts: the words on every page of the four sample reviews (both samples, both review
languages), as the CLI builds them. tests/e2e/test_page_text.py compares a fresh build with them page by page;
tools/golden_pages.py rewrites them after a deliberate change to the page's layout or wording.

The oracle tests check the numbers; these files catch what they cannot: a sentence reworded, a table that
moved to another page, a line that now wraps. Each line is kept with its runs of spaces collapsed, so a new
pypdf that spaces words differently does not read as a change of the review."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pypdf

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "e2e" / "golden"
SAMPLES = ("northwind-en", "xinghe-zh")
LANGS = ("en", "zh")
CASES = tuple((sample, lang) for sample in SAMPLES for lang in LANGS)
MONTH = "2026-10"
AS_OF = "2026-11-03"
PAGE_MARK = re.compile(r"^=== page (\d+) of (\d+) ===$", re.MULTILINE)


def golden_file(sample: str, lang: str) -> Path:
    return GOLDEN / f"{sample}-{lang}.txt"


def build(sample: str, lang: str, folder: Path) -> Path:
    """The review as the README builds it: `reportgen build samples/<sample>.xlsx` (its reportgen.toml beside
    it), the month and as-of date fixed, in `lang`, its figures JSON beside the PDF; returns the PDF.
    tests/e2e/test_page_text.py runs this same command through tests/sample_builds.py, which builds each
    review once for every module that reads it."""
    pdf = folder / f"{sample}-{lang}.pdf"
    command = [
        sys.executable,
        "-m",
        "reportgen",
        "build",
        str(ROOT / "samples" / f"{sample}.xlsx"),
        "--month",
        MONTH,
        "--as-of",
        AS_OF,
        "--lang",
        lang,
        "-o",
        str(pdf),
        "--json",
        str(pdf.with_suffix(".json")),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=folder)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stderr}")
    return pdf


def page_texts(pdf: Path) -> list[str]:
    """Each page's text (pypdf), every line with its runs of whitespace collapsed and its ends stripped."""
    return [
        "\n".join(" ".join(line.split()) for line in (page.extract_text() or "").splitlines())
        for page in pypdf.PdfReader(pdf).pages
    ]


def format_pages(pages: list[str]) -> str:
    return "".join(f"=== page {number} of {len(pages)} ===\n{text}\n" for number, text in enumerate(pages, 1))


def parse_pages(document: str) -> list[str]:
    """The pages of a golden file, exactly as `format_pages` wrote them."""
    parts = PAGE_MARK.split(document)
    # parts: text before the first mark (empty), then (number, total, text) for each page
    pages = [parts[index + 2] for index in range(1, len(parts) - 2, 3)]
    return [text.removeprefix("\n").removesuffix("\n") for text in pages]
