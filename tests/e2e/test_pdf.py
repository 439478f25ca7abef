"""The review as a manager gets it: real PDFs built by the CLI from both samples in both languages.

They are read back with pypdf. Expected words come from the catalogues and expected numbers from the figures
JSON of the same build (which tests/e2e/test_figures.py checks against the oracle)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from reportgen.base.catalogue import catalogue
from reportgen.base.config import Config
from reportgen.pipeline.build import build_review, check_workbook, render_review
from tests.builders import make_workbook
from tests.commands import run
from tests.pdfobjects import pdf_array, pdf_dict
from tests.sample_builds import sample_build

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = {"en": "northwind-en.xlsx", "zh": "xinghe-zh.xlsx"}
MONTH = "2026-10"
AS_OF = "2026-11-03"


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    subprocess.run(
        [sys.executable, str(ROOT / "samples" / "make_samples.py"), str(folder)],
        check=True,
        capture_output=True,
    )
    shutil.copy(ROOT / "samples" / "reportgen.toml", folder / "reportgen.toml")
    return folder


@pytest.fixture(scope="module")
def built(
    sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], tuple[Path, dict[str, object]]]:
    """Each sample in each review language: the PDF and the figures JSON of the same build, `reportgen build
    <sample> --month --as-of --lang -o --json` (tests/sample_builds.py: the same command on the same files
    that test_page_text.py reads is built once a run)."""
    results = {}
    for sheet_lang, name in SAMPLES.items():
        for lang in ("en", "zh"):
            done = sample_build(tmp_path_factory, sample_dir / name, "--lang", lang)
            results[(sheet_lang, lang)] = (done.pdf, done.figures)
    return results


def text_of(pdf: Path) -> list[str]:
    return [page.extract_text() or "" for page in pypdf.PdfReader(pdf).pages]


def squash(text: str) -> str:
    """Text without spaces and line breaks: extraction breaks lines wherever the layout does."""
    return "".join(text.split())


CASES = [(sheet, lang) for sheet in SAMPLES for lang in ("en", "zh")]


@pytest.mark.parametrize(("sheet", "lang"), CASES)
def test_every_section_heading_is_there_in_the_review_language(built, sheet: str, lang: str) -> None:
    pdf, _ = built[(sheet, lang)]
    text = squash("".join(text_of(pdf)))
    words = catalogue(lang)
    for key in (
        "connection",
        "execution",
        "deferred_payoff",
        "layered",
        "conclusion",
        "appendix_activities",
        "appendix_findings",
    ):
        assert squash(words.text(f"review.section.{key}")) in text, key
    other = catalogue("zh" if lang == "en" else "en")
    assert squash(other.text("review.section.execution")) not in text  # no mixed-language page


@pytest.mark.parametrize(("sheet", "lang"), CASES)
def test_cover_kpis_equal_the_figures(built, sheet: str, lang: str) -> None:
    pdf, figures = built[(sheet, lang)]
    cover = squash(text_of(pdf)[0])
    totals = figures["totals"]
    assert isinstance(totals, dict)
    assert f"{totals['activities']:,}" in cover
    for rate in ("completion_rate", "on_time_rate", "goal_coverage"):
        value = figures[rate]
        assert isinstance(value, float)
        assert f"{round(value * 100)}%" in cover or f"{value * 100:.1f}%" in cover, rate
    assert f"{round(totals['cost']):,}" in cover


@pytest.mark.parametrize(("sheet", "lang"), CASES)
def test_appendix_lists_every_activity_by_its_cell(built, sheet: str, lang: str) -> None:
    pdf, figures = built[(sheet, lang)]
    activities = figures["activities"]
    assert isinstance(activities, list) and 0 < len(activities) <= 300
    text = squash("".join(text_of(pdf)))
    appendix = text[text.index(squash(catalogue(lang).text("review.section.appendix_activities"))) :]
    for activity in activities:
        assert activity["cell"] in appendix, activity["cell"]


def test_chinese_is_text_and_the_fonts_are_embedded_subsets(built) -> None:
    pdf, figures = built[("zh", "zh")]
    text = squash("".join(text_of(pdf)))
    assert str(figures["team"]) in text
    assert "星河增长团队" in text and squash(catalogue("zh").text("review.easily_overlooked")) in text
    reader = pypdf.PdfReader(pdf)
    fonts = {}
    for page in reader.pages:
        for reference in pdf_dict(pdf_dict(page["/Resources"])["/Font"]).values():
            font = pdf_dict(reference)
            descriptor = pdf_dict(pdf_dict(pdf_array(font["/DescendantFonts"])[0])["/FontDescriptor"])
            fonts[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts and all(fonts.values()), fonts
    assert all("+" in name for name in fonts)  # subset tag: only the glyphs used travel
    assert pdf.stat().st_size < 2_000_000


@pytest.mark.usefixtures("no_render_memo")  # a second layout, not a recalled one
def test_same_inputs_give_the_same_bytes(sample_dir: Path, built) -> None:
    pdf, _ = built[("en", "en")]
    again = sample_dir / "again.pdf"
    result = run(
        "build",
        sample_dir / SAMPLES["en"],
        "--month",
        MONTH,
        "--as-of",
        AS_OF,
        "--lang",
        "en",
        "-o",
        again,
        cwd=sample_dir,
    )
    assert result.returncode == 0, result.stderr
    assert again.read_bytes() == pdf.read_bytes()


def test_rendering_logs_no_warnings(sample_dir: Path) -> None:
    as_of = dt.date.fromisoformat(AS_OF)
    checked = check_workbook(sample_dir / SAMPLES["zh"], Config(), as_of)
    rendered = render_review(build_review(checked, MONTH, as_of, None), Config())
    assert rendered.warnings == []


def test_cell_text_is_data_never_markup_or_a_url(tmp_path: Path) -> None:
    hostile = '<img src="file:///etc/hostname"><link rel=stylesheet href="http://127.0.0.1:9/x.css">'
    rows = [
        [dt.date(2026, 10, 1), "SEO", hostile, "Ann", "", "Done", None, None, 10, 1],
        [dt.date(2026, 10, 2), "Event", "Webinar {{ 7*7 }}", "<b>Bo</b>", "", "Delayed", None, None, 5, 1],
    ]
    path = make_workbook(tmp_path, rows)
    pdf = tmp_path / "hostile.pdf"
    result = run("build", path, "--as-of", AS_OF, "-o", pdf, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = squash("".join(text_of(pdf)))
    assert squash('<img src="file:///etc/hostname">') in text  # shown literally
    assert "{{7*7}}" in text and "<b>Bo</b>" in text
    hostname = Path("/etc/hostname")
    if hostname.exists() and hostname.read_text().strip():
        assert hostname.read_text().strip() not in text


def test_fetcher_refuses_everything_but_bundled_assets() -> None:
    from reportgen.rendering.pdf import RefusedFetch, bundled_assets, make_fetcher

    fetcher = make_fetcher(bundled_assets("p { color: red }", {}))
    assert fetcher.fetch("reportgen:review.css").read() == b"p { color: red }"
    for url in (
        "file:///etc/hostname",
        "http://127.0.0.1:9/x.png",
        "https://example.invalid/a.css",
        "data:text/css,p{}",
        "reportgen:../../etc/hostname",
    ):
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)


@pytest.mark.usefixtures("no_render_memo")  # the layout itself is under test: never a recalled one
def test_writing_a_pdf_leaves_no_copy_of_the_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint copies each @font-face font into a temp folder only its finalizer removes; with the
    collector paused (as a build has it) and no finalizer run (a batch's build process ends with os._exit),
    each build left 18 MB behind."""
    import gc
    import tempfile

    from weasyprint.text import fonts as weasyprint_fonts

    from reportgen.rendering.pdf import FONTS, SCHEME, bundled_assets, render_pdf

    copies: list[Path] = []

    def recorded_mkdtemp(*args: str, **kwargs: str) -> str:
        copies.append(Path(tempfile.mkdtemp(*args, **kwargs)))
        return str(copies[-1])

    monkeypatch.setattr(weasyprint_fonts, "mkdtemp", recorded_mkdtemp)
    faces = "".join(
        f"@font-face {{ font-family: F{i}; src: url({SCHEME}fonts/{name}) }}" for i, name in enumerate(FONTS)
    )
    html = f"<html><head><style>{faces} p {{ font-family: F0 }}</style></head><body><p>季度 review</p></body>"
    gc.disable()
    try:
        data, _ = render_pdf(html, bundled_assets("", {}), dt.date(2026, 11, 3))
        (page,) = pypdf.PdfReader(io.BytesIO(data)).pages
        faces_used = pdf_dict(pdf_dict(page["/Resources"])["/Font"]).values()
        fonts = [str(pdf_dict(font)["/BaseFont"]) for font in faces_used]
        assert any(font.endswith("+F0") for font in fonts), fonts  # set in the @font-face, from the copy
        assert copies and not any(copy.exists() for copy in copies)
    finally:
        gc.enable()
        for copy in copies:  # the test's own clean-up when it fails
            shutil.rmtree(copy, ignore_errors=True)


def test_a_failed_build_leaves_no_pdf(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path, [[dt.date(2026, 10, 1), "SEO", "Page", "Ann", "", "Done", None, None, 1, 1]]
    )
    target = tmp_path / "missing-folder" / "review.pdf"
    result = run("build", path, "--as-of", AS_OF, "-o", target, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert not target.exists() and not list(tmp_path.glob("**/*.pdf"))


def test_characters_the_fonts_cannot_draw_are_a_finding_not_a_box(tmp_path: Path) -> None:
    from reportgen.rendering.pdf import drawable_codepoints

    undrawable = "🎉"
    assert ord(undrawable) not in drawable_codepoints() and ord("增") in drawable_codepoints()
    rows = [[dt.date(2026, 10, 1), "SEO", f"Launch party {undrawable}", "Ann", "", "Done", None, None, 10, 1]]
    path = make_workbook(tmp_path, rows)
    pdf = tmp_path / "glyphs.pdf"
    result = run("build", path, "--as-of", AS_OF, "-o", pdf, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    text = squash("".join(text_of(pdf)))
    assert "Launchparty?" in text and undrawable not in text
    assert "cannotdraw?" in text and "Activities!C2" in text  # the finding names the cell


def test_html_is_one_self_contained_page_with_the_same_content(sample_dir: Path, built) -> None:
    page = sample_dir / "review.html"
    result = run(
        "build",
        sample_dir / SAMPLES["zh"],
        "--month",
        MONTH,
        "--as-of",
        AS_OF,
        "--no-pdf",
        "--html",
        page,
        cwd=sample_dir,
    )
    assert result.returncode == 0, result.stderr
    html = page.read_text("utf-8")
    import re

    urls = re.findall(r'(?:src|href)="([^"#][^"]*)"', html) + re.findall(r"url\([\"']?([^)\"']*)", html)
    assert all(url.startswith("data:") for url in urls), urls  # nothing to fetch: charts and styles inlined
    assert "<style>" in html and "reportgen:" not in html
    _, figures = built[("zh", "zh")]
    for activity in figures["activities"]:
        assert activity["cell"] in html
    assert catalogue("zh").text("review.section.layered") in html


# The Commentary sheet's section words as the samples type them, and the review heading each one names.
TYPED_SECTIONS = {
    "1": "connection",
    "2": "execution",
    "3": "deferred_payoff",
    "Deferred payoff": "deferred_payoff",
    "执行": "execution",
    "Conclusion": "conclusion",
    "结论": "conclusion",
}


@pytest.mark.parametrize(("sheet", "lang"), CASES)
def test_the_leads_notes_of_the_month_stand_in_their_sections(built, sheet: str, lang: str) -> None:
    sys.path.insert(0, str(ROOT / "samples"))
    from make_samples import sample_commentary

    pdf, _ = built[(sheet, lang)]
    pages = [squash(page) for page in text_of(pdf)]
    words = catalogue(lang)
    order = ["connection", "execution", "deferred_payoff", "layered", "conclusion", "appendix_activities"]
    headings = {key: squash(words.text(f"review.section.{key}")) for key in order}
    starts = {  # the first page after the cover (whose contents list every heading) with the heading
        key: next(i for i, page in enumerate(pages) if i and headings[key] in page) for key in order
    }
    for typed, month, text in sample_commentary(sheet):
        where = [i for i, page in enumerate(pages) if squash(text)[:40] in page]
        if month not in (None, MONTH):
            assert where == [], f"a note for {month} is in the {MONTH} review"
            continue
        section = TYPED_SECTIONS[typed]
        following = order[order.index(section) + 1]
        assert where and starts[section] <= where[0] <= starts[following], (typed, where, starts)
        assert squash(words.text("review.lead_commentary")) in pages[where[0]]
