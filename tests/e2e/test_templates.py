"""`build --templates DIR`: the folder's own files (a logo, an imported stylesheet, a font) load; a file its
templates name but the folder lacks stops the build (exit 1, the file named, no PDF); nothing outside the
folder loads. Real builds through the command line, PDFs read back with pypdf."""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from reportgen.base.errors import ExitCode
from reportgen.rendering.templates import templates_folder
from tests.builders import OCTOBER_ROWS, make_workbook
from tests.commands import rendering_warnings, run

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-03"
ZH_HEADERS = ["日期", "渠道", "活动", "负责人", "目标", "状态", "截止日期", "完成日期", "成本", "线索"]
LOGO_SIZE = (37, 23)  # sizes no chart or font has, so the PDF's images can be told apart
MARK_SIZE = (19, 41)


def bundled(name: str) -> str:
    return (templates_folder() / name).read_text("utf-8")


def brand_folder(tmp_path: Path, css_extra: str, *, imports: str = "") -> Path:
    """A --templates folder whose review.css is the bundled one plus `css_extra` (and `imports` on top)."""
    folder = tmp_path / "brand"
    folder.mkdir()
    (folder / "review.css").write_text(f"{imports}\n{bundled('review.css')}\n{css_extra}\n", "utf-8")
    return folder


def png(path: Path, size: tuple[int, int]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 30, 30)).save(path)
    return path


def image_sizes(pdf: Path) -> list[tuple[int, int]]:
    sizes = []
    for page in pypdf.PdfReader(pdf).pages:
        for image in page.images:
            assert image.image is not None, image.name  # pypdf decoded it
            sizes.append(image.image.size)
    return sizes


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return make_workbook(tmp_path, OCTOBER_ROWS)


def test_a_missing_image_stops_the_build_naming_the_file_and_writes_no_pdf(
    workbook: Path, tmp_path: Path
) -> None:
    folder = brand_folder(tmp_path, '.cover-title::before { content: url("logo.png"); }')
    pdf = tmp_path / "out" / "review.pdf"
    pdf.parent.mkdir()
    result = run("build", workbook, "--as-of", AS_OF, "-o", pdf, "--templates", folder)
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    assert f"reportgen: {folder}: the review's templates name logo.png, which this folder does not have" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not list(tmp_path.glob("**/*.pdf"))


def test_the_message_is_in_the_reviews_language(tmp_path: Path) -> None:
    workbook = make_workbook(tmp_path, OCTOBER_ROWS, ZH_HEADERS, sheet="活动")
    folder = brand_folder(tmp_path, "", imports='@import "fonts/brand.css";')
    result = run("build", workbook, "--as-of", AS_OF, "--templates", folder)
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    assert "报告模板引用了 fonts/brand.css，但该文件夹中找不到" in result.stderr
    assert not list(tmp_path.glob("**/*.pdf"))


def test_files_inside_the_folder_load_and_the_logo_is_embedded(workbook: Path, tmp_path: Path) -> None:
    """The stylesheet's logo, an imported stylesheet in a subfolder naming its own image, and an image the
    overriding review.html names: all resolve inside the folder."""
    folder = brand_folder(
        tmp_path,
        '.cover-title::before { content: url("logo.png"); }',
        imports='@import "parts/extra.css";',
    )
    png(folder / "logo.png", LOGO_SIZE)
    (folder / "parts").mkdir()
    (folder / "parts" / "extra.css").write_text(".cover-month { color: #123456; }\n", "utf-8")
    png(folder / "img" / "mark.png", MARK_SIZE)
    html = bundled("review.html")
    assert html.count("<body>") == 1
    (folder / "review.html").write_text(
        html.replace("<body>", '<body>\n<img src="img/mark.png" alt="">'), "utf-8"
    )
    pdf = tmp_path / "review.pdf"
    result = run("build", workbook, "--as-of", AS_OF, "-o", pdf, "--templates", folder)
    assert result.returncode == ExitCode.OK, result.stderr
    assert rendering_warnings(result.stderr) == []  # everything named was found
    sizes = image_sizes(pdf)
    assert LOGO_SIZE in sizes and MARK_SIZE in sizes


def test_nothing_outside_the_folder_loads(workbook: Path, tmp_path: Path) -> None:
    """A path out of the folder, a symlink out of it, an absolute path, a web address and a data: URL are all
    refused, named, and stop the build, though the files exist."""
    outside = png(tmp_path / "secret.png", LOGO_SIZE)
    folder = brand_folder(
        tmp_path,
        "\n".join(
            (
                '.cover-title::before { content: url("../secret.png"); }',
                '.cover-title::after { content: url("linked.png"); }',
                f'.cover-month::before {{ content: url("{outside.as_uri()}"); }}',
                '.cover-month::after { content: url("http://127.0.0.1:9/x.png"); }',
                '.cover-kicker::before { content: url("data:image/png;base64,iVBORw0KGgo="); }',
            )
        ),
    )
    (folder / "linked.png").symlink_to(outside)
    pdf = tmp_path / "review.pdf"
    result = run("build", workbook, "--as-of", AS_OF, "-o", pdf, "--templates", folder)
    assert result.returncode == ExitCode.BAD_INPUT, result.stderr
    message = next(line for line in result.stderr.splitlines() if line.startswith("reportgen: "))
    assert "which reportgen does not load" in message
    for named in (str(outside), str(folder / "linked.png"), "http://127.0.0.1:9/x.png", "data:image/png"):
        assert named in message, named
    assert not pdf.exists()


def test_the_bundled_templates_log_no_warning(tmp_path: Path) -> None:
    """The Chinese sample (every section, charts, fonts) with the bundled templates: -v logs its stages and
    not one warning."""
    pdf = tmp_path / "review.pdf"
    result = run(
        "-v",
        "build",
        ROOT / "samples" / "xinghe-zh.xlsx",
        "--month",
        "2026-10",
        "--as-of",
        AS_OF,
        "--config",
        ROOT / "samples" / "reportgen.toml",
        "-o",
        pdf,
    )
    assert result.returncode == ExitCode.OK, result.stderr
    assert re.search(r"^INFO reportgen\.rendering\.pdf: pdf: \d+\.\d\d s", result.stderr, re.M)
    assert rendering_warnings(result.stderr) == []
    assert pdf.read_bytes().startswith(b"%PDF")
