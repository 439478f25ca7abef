"""The roll-up's appendix quotes each team's review in the roll-up's own language: the English roll-up never
shows a team's takeaway in Chinese because its latest build was the Chinese copy; a team whose review was
not built in the roll-up's language says so. The archive's side (each language's first takeaway of a
version): archive/test_store.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from reportgen.base.config import Config
from reportgen.figures.rollup import TeamSource, TeamStatus, rollup
from reportgen.pipeline.build import build_review, check_workbook
from reportgen.rendering.rollup import rollup_context
from reportgen.wording.documents import figures_document
from tests.builders import OCTOBER_ROWS, make_workbook

AS_OF = dt.date(2026, 11, 3)


def document(folder: Path) -> dict[str, Any]:
    folder.mkdir()
    checked = check_workbook(make_workbook(folder, OCTOBER_ROWS), Config(), AS_OF)
    return figures_document(build_review(checked, "2026-10", AS_OF, "en", Config()))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_team_is_quoted_in_the_rollups_language(tmp_path: Path, lang: str) -> None:
    figures = document(tmp_path / "a")
    both = TeamSource("Alpha", TeamStatus.DELIVERED, figures, version=1, delivered=True,
                      takeaways={"en": "EN takeaway of Alpha", "zh": "阿尔法的中文要点"})  # fmt: skip
    chinese_only = TeamSource("Beta", TeamStatus.DELIVERED, figures, version=1, delivered=True,
                              takeaways={"zh": "贝塔的中文要点"})  # fmt: skip
    appendix = rollup_context(rollup("M", "2026-10", [both, chinese_only]), Config(), lang)[0]["appendix"]
    quoted = {line.team: line.takeaway for line in appendix}
    if lang == "en":
        assert quoted == {
            "Alpha": "EN takeaway of Alpha",
            "Beta": "— (the team's review was not built in English)",
        }
    else:
        assert quoted == {"Alpha": "阿尔法的中文要点", "Beta": "贝塔的中文要点"}
