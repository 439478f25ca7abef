"""Rewrite the golden page texts (tests/e2e/golden/) after a deliberate change to the review's layout or
wording: builds the four sample reviews as tests/e2e/test_page_text.py does and writes each page's text.

    .venv/bin/python tools/golden_pages.py

It prints which pages changed; read `git diff tests/e2e/golden` before committing and name the change in the
commit message.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/ is a package of the repository

from tests.golden import CASES, ROOT, build, format_pages, golden_file, page_texts, parse_pages  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        for sample, lang in CASES:
            pages = page_texts(build(sample, lang, Path(folder)))
            target = golden_file(sample, lang)
            before = parse_pages(target.read_text("utf-8")) if target.is_file() else []
            changed = [
                number
                for number in range(1, max(len(pages), len(before)) + 1)
                if pages[number - 1 : number] != before[number - 1 : number]
            ]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(format_pages(pages), "utf-8")
            status = f"pages changed: {', '.join(map(str, changed))}" if changed else "unchanged"
            print(f"{target.relative_to(ROOT)}: {len(pages)} pages, {status}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
