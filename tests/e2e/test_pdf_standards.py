"""The archival and accessible PDF, read back with pypdf: `build --pdfa` (PDF/A-3b), `--pdfua` (PDF/UA-1),
both, and `[pdf] standard` in reportgen.toml; the default PDF keeps none of it and its pages do not change.

What is checked is what a validator reads first: the XMP identification, the output intent, fonts all
embedded, the associated files and their relationship, the structure tree (document language, title, headings
in order, table headers, every figure with its alternate text). veraPDF, the reference validator, is a Java
program that none of the registries this project installs from (PyPI, Debian, npm) carries."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from reportgen.base.config import load_config
from reportgen.figures.document import FIGURES_ATTACHMENT
from reportgen.pipeline.archiving import with_trends
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.render import chart_alts
from tests.commands import rendering_warnings
from tests.golden import page_texts
from tests.pdfobjects import pdf_array, pdf_dict, pdf_stream

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
MONTH = "2026-10"
AS_OF = "2026-11-03"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def build(sample: str, folder: Path, *options: str) -> Path:
    name = "-".join([sample, *(option.strip("-") for option in options if option.startswith("--"))])
    pdf = folder / f"{name}.pdf"
    command = [sys.executable, "-m", "reportgen", "build", str(SAMPLES / f"{sample}.xlsx"), "--month", MONTH]
    command += ["--as-of", AS_OF, "-o", str(pdf), *options]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=folder)
    assert result.returncode == 0, result.stderr
    warned = [line for line in rendering_warnings(result.stderr) if "WARNING: Location" not in line]
    assert warned == [], result.stderr  # no renderer warning
    return pdf


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], Path]]:
    """northwind-en plain, --pdfa, --pdfua, and both with the workbook; xinghe-zh plain and both."""
    folder = tmp_path_factory.mktemp("standards")
    built = {}
    for sample, variants in (
        ("northwind-en", ((), ("--pdfa",), ("--pdfua",), ("--pdfa", "--pdfua", "--embed-source"))),
        ("xinghe-zh", ((), ("--pdfa", "--pdfua", "--embed-source"))),
    ):
        for options in variants:
            built[(sample, " ".join(options))] = build(sample, folder, *options)
    yield built


BOTH = "--pdfa --pdfua --embed-source"


def xmp(reader: pypdf.PdfReader) -> str:
    metadata = pdf_dict(reader.trailer["/Root"]).get("/Metadata")
    return metadata.get_object().get_data().decode("utf-8") if metadata is not None else ""


def xmp_ids(reader: pypdf.PdfReader) -> dict[str, str]:
    text = xmp(reader)
    found = dict(re.findall(r'(pdf(?:a|ua)id:\w+)="([^"]*)"', text))
    found.update(re.findall(r"<(pdf(?:a|ua)id:\w+)>([^<]*)<", text))
    return found


def fonts_of(resources: Any, seen: set[int]) -> Iterator[DictionaryObject]:
    """Every font a page's resources use, through its form XObjects (the charts) and patterns too."""
    if resources is None:
        return
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        yield font.get_object()
    for group in ("/XObject", "/Pattern"):
        for reference in (resources.get(group) or {}).values():
            number = reference.idnum if isinstance(reference, IndirectObject) else id(reference)
            if number in seen:
                continue
            seen.add(number)
            yield from fonts_of(reference.get_object().get("/Resources"), seen)


def embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # drawn from content streams, nothing to embed
    described = pdf_dict(pdf_array(font["/DescendantFonts"])[0]) if "/DescendantFonts" in font else font
    descriptor = pdf_dict(described["/FontDescriptor"])
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def associated(reader: pypdf.PdfReader) -> list[tuple[str, str, str, bytes]]:
    """The catalogue's associated files: name, AFRelationship, MIME type, bytes."""
    files = []
    for reference in pdf_array(pdf_dict(reader.trailer["/Root"]).get("/AF", ArrayObject())):
        spec = pdf_dict(reference)
        stream = pdf_stream(pdf_dict(spec["/EF"])["/F"])
        files.append(
            (str(spec["/UF"]), str(spec["/AFRelationship"]), str(stream["/Subtype"]), stream.get_data())
        )
    return files


def structure(reader: pypdf.PdfReader) -> list[DictionaryObject]:
    """The structure elements in reading order (depth first)."""
    elements: list[DictionaryObject] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if not isinstance(node, DictionaryObject):
            return
        if "/S" in node:
            elements.append(node)
        kids = node.get("/K")
        for kid in kids if isinstance(kids, ArrayObject) else [kids] if kids is not None else []:
            if isinstance(kid, IndirectObject):
                walk(kid)

    walk(pdf_dict(reader.trailer["/Root"])["/StructTreeRoot"])
    return elements


def figures_json(reader: pypdf.PdfReader) -> Any:
    return json.loads(reader.attachments[FIGURES_ATTACHMENT][0])


def test_the_default_pdf_keeps_no_standard(pdfs: dict[tuple[str, str], Path]) -> None:
    for sample in ("northwind-en", "xinghe-zh"):
        reader = pypdf.PdfReader(pdfs[(sample, "")])
        root = pdf_dict(reader.trailer["/Root"])
        assert "/StructTreeRoot" not in root and "/OutputIntents" not in root and "/AF" not in root
        assert not xmp_ids(reader)
        assert list(reader.attachments) == [FIGURES_ATTACHMENT]


@pytest.mark.parametrize("options", ["--pdfa", BOTH])
def test_pdfa_3b_identification_output_intent_and_embedded_fonts(
    pdfs: dict[tuple[str, str], Path], options: str
) -> None:
    for sample in ("northwind-en", "xinghe-zh") if options == BOTH else ("northwind-en",):
        reader = pypdf.PdfReader(pdfs[(sample, options)])
        ids = xmp_ids(reader)
        assert (ids["pdfaid:part"], ids["pdfaid:conformance"]) == ("3", "B")
        assert reader.pdf_header == "%PDF-1.7"
        intents = pdf_array(pdf_dict(reader.trailer["/Root"])["/OutputIntents"])
        assert len(intents) == 1 and pdf_dict(intents[0])["/S"] == "/GTS_PDFA1"
        profile = pdf_stream(pdf_dict(intents[0])["/DestOutputProfile"])
        assert profile["/N"] == 3 and profile.get_data()[36:40] == b"acsp"  # an ICC profile, RGB
        assert reader.trailer.get("/ID") is not None and "/Encrypt" not in reader.trailer
        seen: set[int] = set()
        fonts = [font for page in reader.pages for font in fonts_of(page.get("/Resources"), seen)]
        assert fonts and all(embedded(font) for font in fonts), [f.get("/BaseFont") for f in fonts]


def test_associated_files_carry_their_relationship(pdfs: dict[tuple[str, str], Path]) -> None:
    plain = figures_json(pypdf.PdfReader(pdfs[("northwind-en", "")]))
    only = associated(pypdf.PdfReader(pdfs[("northwind-en", "--pdfa")]))
    assert [(name, relation, mime) for name, relation, mime, _ in only] == [
        (FIGURES_ATTACHMENT, "/Data", "/application/json")
    ]
    assert json.loads(only[0][3]) == plain  # the figures are the same document with or without PDF/A
    for sample in ("northwind-en", "xinghe-zh"):
        reader = pypdf.PdfReader(pdfs[(sample, BOTH)])
        files = {name: (relation, mime, data) for name, relation, mime, data in associated(reader)}
        assert sorted(files) == sorted([FIGURES_ATTACHMENT, f"{sample}.xlsx"])  # each once
        assert files[f"{sample}.xlsx"] == (
            "/Source",
            "/" + XLSX,
            files[f"{sample}.xlsx"][2],
        )
        assert files[f"{sample}.xlsx"][2] == (SAMPLES / f"{sample}.xlsx").read_bytes()
        assert json.loads(files[FIGURES_ATTACHMENT][2]) == figures_json(pypdf.PdfReader(pdfs[(sample, "")]))
        assert figures_json(reader) == figures_json(pypdf.PdfReader(pdfs[(sample, "")]))  # what send reads


def review_of(sample: str, lang: str) -> Any:
    config = load_config(SAMPLES / "reportgen.toml")
    checked = check_workbook(SAMPLES / f"{sample}.xlsx", config, dt.date.fromisoformat(AS_OF))
    return with_trends(build_review(checked, MONTH, dt.date.fromisoformat(AS_OF), lang, config), {})


@pytest.mark.parametrize(
    ("sample", "options", "lang"),
    [("northwind-en", "--pdfua", "en"), ("northwind-en", BOTH, "en"), ("xinghe-zh", BOTH, "zh-CN")],
)
def test_pdfua_tags_language_title_headings_tables_and_figures(
    pdfs: dict[tuple[str, str], Path], sample: str, options: str, lang: str
) -> None:
    reader = pypdf.PdfReader(pdfs[(sample, options)])
    root = pdf_dict(reader.trailer["/Root"])
    assert xmp_ids(reader)["pdfuaid:part"] == "1"
    assert root["/Lang"] == lang and bool(pdf_dict(root["/MarkInfo"])["/Marked"])
    assert bool(pdf_dict(root["/ViewerPreferences"])["/DisplayDocTitle"])
    title = reader.metadata.title if reader.metadata else None
    assert title and f">{title}<" in xmp(reader).replace("&amp;", "&")  # dc:title, what a reader announces
    elements = structure(reader)
    kinds = [str(element["/S"]) for element in elements]
    headings = [int(kind[2]) for kind in kinds if re.fullmatch(r"/H[1-6]", kind)]
    assert headings[0] == 1 and all(b <= a + 1 for a, b in zip(headings, headings[1:], strict=False))
    assert kinds.count("/Table") >= 5 and kinds.count("/TH") >= kinds.count("/Table")
    headers = {str(element["/ID"]) for element in elements if element["/S"] == "/TH"}
    cells = [element for element in elements if element["/S"] == "/TD"]
    assert cells and all(
        {str(header) for header in pdf_array(pdf_dict(cell["/A"])["/Headers"])} <= headers
        for cell in cells
        if "/Headers" in pdf_dict(cell["/A"])
    )
    assert (
        sum(1 for cell in cells if pdf_dict(cell["/A"]).get("/Headers")) > len(cells) / 2
    )  # data cells name headers
    alts = [str(element.get("/Alt", "")) for element in elements if element["/S"] == "/Figure"]
    expected = chart_alts(review_of(sample, "zh" if lang == "zh-CN" else "en"))
    assert alts and all(alts) and set(alts) <= set(expected.values()), alts
    sections = ("goal_attainment", "channel_mix", "status_by_channel", "compounding")
    assert all(expected[name] in alts for name in sections)  # each section's chart, with its words
    assert len(alts) >= len(sections) + 6  # and the six KPI cards' sparklines


def test_tagging_and_pdfa_leave_the_pages_as_they_were(pdfs: dict[tuple[str, str], Path]) -> None:
    for sample in ("northwind-en", "xinghe-zh"):
        assert page_texts(pdfs[(sample, BOTH)]) == page_texts(pdfs[(sample, "")])
    assert page_texts(pdfs[("northwind-en", "--pdfa")]) == page_texts(pdfs[("northwind-en", "")])


def test_the_config_asks_for_the_standards(tmp_path: Path) -> None:
    config = tmp_path / "reportgen.toml"
    config.write_text(
        (SAMPLES / "reportgen.toml").read_text("utf-8") + '\n[pdf]\nstandard = ["pdf/a-3b", "pdf/ua-1"]\n',
        "utf-8",
    )
    pdf = build("northwind-en", tmp_path, "--config", str(config))
    reader = pypdf.PdfReader(pdf)
    ids = xmp_ids(reader)
    assert (ids["pdfaid:part"], ids["pdfuaid:part"]) == ("3", "1")
    assert [name for name, *_ in associated(reader)] == [FIGURES_ATTACHMENT]  # no embed_source: no workbook
