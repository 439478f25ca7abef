"""Make the review's fonts: Noto Sans SC Regular and Bold, subset from Debian's fonts-noto-cjk.

Run once by a maintainer (`apt-get install fonts-noto-cjk`, then `python tools/make_fonts.py`, about 4
minutes); the results are committed under reportgen/assets/fonts/ with the OFL licence, so no machine needs a
system CJK font. The subset keeps the SC face's Latin, punctuation, currency and arrows plus every CJK Unified
Ideograph (U+4E00–U+9FFF), so any Chinese a team types renders; the review's glyph check reports the rest.

It also writes `codepoints.json` beside them: the characters the fonts draw, as ranges, which a build reads
instead of decoding the font's character map (a quarter of a second of every build);
tests/unit/rendering/test_codepoints.py checks it against the fonts. `--codepoints` writes only that file,
from the fonts already there.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

SOURCE = Path("/usr/share/fonts/opentype/noto")
TARGET = Path(__file__).resolve().parent.parent / "reportgen" / "assets" / "fonts"
FACE = "Noto Sans CJK SC"
RANGES = (
    (0x0020, 0x007E),  # Basic Latin
    (0x00A0, 0x017F),  # Latin-1 and Latin Extended-A (¥ £ © ± × ÷ é …)
    (0x02C6, 0x02DD),  # spacing modifiers
    (0x0391, 0x03C9),  # Greek (Δ, µ)
    (0x2000, 0x206F),  # General Punctuation (— – ‘ ’ “ ” … ‰)
    (0x20A0, 0x20CF),  # Currency symbols (€ ₩ ₹)
    (0x2100, 0x214F),  # Letterlike (№ ™)
    (0x2190, 0x21FF),  # Arrows (↑ ↓ → ←)
    (0x2200, 0x22FF),  # Mathematical operators (− ≤ ≥)
    (0x2460, 0x24FF),  # Enclosed numbers (① ②)
    (0x2500, 0x25FF),  # Box drawing and geometric shapes (■ ▲ ▼ ●)
    (0x2600, 0x26FF),  # Misc symbols (★ ☆ ✓ where present)
    (0x2700, 0x27BF),  # Dingbats (✓ ✔ ✗)
    (0x3000, 0x303F),  # CJK Symbols and Punctuation (、。《》「」【】)
    (0x3200, 0x32FF),  # Enclosed CJK
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # Halfwidth and Fullwidth forms (，：（）￥)
)


def sc_face(collection_path: Path) -> TTFont:
    """The Simplified Chinese face of a Noto Sans CJK collection."""
    for font in TTCollection(str(collection_path)).fonts:
        if font["name"].getDebugName(1) == FACE:
            return font
    raise SystemExit(f"{collection_path} has no {FACE} face")


def make(weight: str, target: Path) -> Path:
    font = sc_face(SOURCE / f"NotoSansCJK-{weight}.ttc")
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False  # print and screen at these sizes do not need hints; they are a third of the size
    options.desubroutinize = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[code for start, end in RANGES for code in range(start, end + 1)])
    subsetter.subset(font)
    out = target / f"NotoSansSC-{weight}.otf"
    font.save(str(out))
    return out


def codepoint_ranges(font_path: Path) -> list[list[int]]:
    """The characters a font draws, as inclusive [first, last] ranges in order."""
    font = TTFont(str(font_path), lazy=True)
    try:
        codes = sorted(font.getBestCmap())
    finally:
        font.close()
    ranges: list[list[int]] = []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return ranges


def write_codepoints(target: Path) -> Path:
    """codepoints.json for the fonts in `target`, which must draw the same characters (both weights)."""
    regular, bold = (codepoint_ranges(target / f"NotoSansSC-{weight}.otf") for weight in ("Regular", "Bold"))
    if regular != bold:
        raise SystemExit("the two weights draw different characters: the review's glyph check needs one set")
    out = target / "codepoints.json"
    out.write_text(json.dumps({"fonts": "NotoSansSC", "ranges": regular}, separators=(",", ":")) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=Path, default=TARGET)
    parser.add_argument("--codepoints", action="store_true", help="only write codepoints.json")
    args = parser.parse_args()
    args.target.mkdir(parents=True, exist_ok=True)
    if not args.codepoints:
        for weight in ("Regular", "Bold"):
            out = make(weight, args.target)
            print(f"{out}: {out.stat().st_size / 1e6:.1f} MB")
    print(write_codepoints(args.target))


if __name__ == "__main__":
    main()
