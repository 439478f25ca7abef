"""Where review.css lets a section break across pages, read back from a small page laid out by WeasyPrint
with the bundled stylesheet: the misses table keeps its "… and N more" note, but the section's end (trend
lines, the lead's note, the "Easily overlooked" box) does not drag the table's last row and the note to the
next page and leave a gap; and a tall row splits instead of moving whole."""

from __future__ import annotations

import datetime as dt
import io

import pypdf

from reportgen.rendering.pdf import STYLESHEET_URL, bundled_assets, render_pdf
from reportgen.rendering.templates import stylesheet


def pages(body: str) -> list[str]:
    html = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<link rel="stylesheet" href="{STYLESHEET_URL}"></head><body>{body}</body></html>'
    )
    data, warnings = render_pdf(html, bundled_assets(stylesheet(), {}), dt.date(2026, 11, 3))
    assert not warnings, warnings
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def section(space_mm: int, decisions: list[str]) -> str:
    """Section 2 as execution.html lays it out, after `space_mm` of other content."""
    rows = "".join(
        f"<tr><td>Miss{number}</td><td>delayed</td><td>Ann</td><td>{decision}</td><td class='cell'>"
        f"Activities!S{number}</td></tr>"
        for number, decision in enumerate(decisions, 1)
    )
    return f"""<section class="section" id="execution"><h2>Execution</h2>
      <div style="height: {space_mm}mm"></div>
      <h3>Misses</h3>
      <table class="data fixed misses">
        <colgroup><col class="activity"><col class="status"><col class="owner"><col class="decision">
        <col class="cell"></colgroup>
        <thead><tr><th>Activity</th><th>Status</th><th>Owner</th><th>Decision</th><th>Cell</th></tr></thead>
        <tbody>{rows}</tbody></table>
      <p class="note">MoreNote: and 10 more.</p>
      <div class="trend-lines"><figure class="trend-line"><div style="height: 30mm"></div>
        <figcaption>TrendCaption</figcaption></figure></div>
      <blockquote class="lead-note"><p>LeadNote</p><p>The two SEM pauses were my call.</p></blockquote>
      <aside class="overlooked"><h3>Easily overlooked</h3><ul><li>BoxItem one</li><li>BoxItem two</li></ul>
      </aside></section>"""


def test_the_sections_end_moves_alone_and_the_misses_note_stays_with_its_table() -> None:
    laid = pages(section(150, ["Holding budget", "none recorded", "Moved to Q4"]))
    assert len(laid) == 2, laid
    first, second = laid
    for word in ("Miss1", "Miss2", "Miss3", "MoreNote"):
        assert word in first, (word, laid)
    assert "TrendCaption" in second and "BoxItem" in second, laid
    assert not second.lstrip().startswith("Easily overlooked"), laid  # the box still never starts a page


def test_a_tall_miss_splits_rather_than_leave_its_page_half_empty() -> None:
    tall = " ".join(f"Line{number} of the decision, written out at length." for number in range(24))
    first, *rest = pages(section(160, ["Holding budget", tall]))
    assert "Miss2" in first and "Line0" in first, first  # the tall row starts where there is room
    assert rest and "Line23" in "".join(rest)
