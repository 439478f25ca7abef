"""End to end: `reportgen build --json` on the sample workbooks against the independent oracle.

The workbooks are generated into a temporary folder by samples/make_samples.py (never the committed copies)
with samples/reportgen.toml beside them. Every expected figure comes from tests/oracle.py, which computes it
from the generator's clean data as docs/metrics.md defines it; nothing here is hard-coded.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-03"
LANGS = ("en", "zh")
MONTHS = ("2026-10", "2026-09")
CASES = [(lang, month) for lang in LANGS for month in MONTHS]


def _load_oracle():
    name = "reportgen_e2e_oracle"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "oracle.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


oracle = _load_oracle()
samples = oracle.samples


# ------------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "samples" / "make_samples.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    shutil.copy(ROOT / "samples" / "reportgen.toml", folder / "reportgen.toml")
    return folder


@pytest.fixture(scope="module")
def build(sample_dir, tmp_path_factory):
    """build(lang, month) -> the --json document, one CLI run per (lang, month)."""
    cache: dict[tuple[str, str], dict] = {}

    def run(lang: str, month: str) -> dict:
        if (lang, month) not in cache:
            tmp_path = tmp_path_factory.mktemp(f"build-{lang}-{month}")
            out = tmp_path / "f.json"
            workbook = sample_dir / samples.SAMPLES[lang].filename
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
            cmd = [
                sys.executable,
                "-m",
                "reportgen",
                "build",
                str(workbook),
                "--month",
                month,
                "--as-of",
                AS_OF,
                "--json",
                str(out),
                "--no-pdf",  # the figures only; tests/e2e/test_pdf.py reads the PDF back
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=600)
            if proc.returncode != 0:
                pytest.fail(
                    f"{' '.join(cmd)} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\n"
                    f"stderr:\n{proc.stderr[-3000:]}"
                )
            cache[(lang, month)] = json.loads(out.read_text(encoding="utf-8"))
        return cache[(lang, month)]

    return run


# ----------------------------------------------------------------------------------------------- comparing


def _money(value) -> float:
    return round(float(value), 2)


def _same_number(expected, got) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False
    return _money(expected) == _money(got)


def _same_rate(expected, got) -> bool:
    if expected is None or got is None:
        return expected is None and got is None
    if isinstance(got, bool) or not isinstance(got, int | float):
        return False
    return got == pytest.approx(expected, rel=1e-9, abs=1e-12)


class Diff:
    """Collects every disagreement so one failing run reports all of them."""

    def __init__(self, where: str):
        self.where = where
        self.lines: list[str] = []

    def number(self, path: str, expected, got) -> None:
        if not _same_number(expected, got):
            self.lines.append(f"{path}: expected {_show(expected)}, got {got!r}")

    def rate(self, path: str, expected, got) -> None:
        if not _same_rate(expected, got):
            self.lines.append(f"{path}: expected {expected!r}, got {got!r}")

    def equal(self, path: str, expected, got) -> None:
        if expected != got:
            self.lines.append(f"{path}: expected {expected!r}, got {got!r}")

    def check(self) -> None:
        if self.lines:
            pytest.fail(
                f"{self.where}: {len(self.lines)} disagreement(s) with the oracle\n  "
                + "\n  ".join(self.lines),
                pytrace=False,
            )


def _show(value) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


def compare_totals(diff: Diff, exp: dict, got: dict, prefix: str = "") -> None:
    totals = got.get("totals") or {}
    diff.equal(f"{prefix}month", exp["month"], got.get("month"))
    for key in ("activities", "done", "cancelled", "in_progress", "planned", "delayed"):
        diff.equal(f"{prefix}totals.{key}", exp["totals"][key], totals.get(key))
    diff.number(f"{prefix}totals.cost", exp["totals"]["cost"], totals.get("cost"))
    for metric in oracle.METRICS:
        diff.number(f"{prefix}totals.{metric}", exp["totals"][metric], totals.get(metric))
        integral = exp["totals"][metric] == exp["totals"][metric].to_integral_value()
        if integral and isinstance(totals.get(metric), float):  # "Metric numbers are JSON ints when integral"
            diff.lines.append(f"{prefix}totals.{metric}: integral value as a float {totals[metric]!r}")


def compare_rates(diff: Diff, exp: dict, got: dict, prefix: str = "") -> None:
    for key in ("completion_rate", "on_time_rate", "goal_coverage", "goal_cost_coverage"):
        if key not in got:
            diff.lines.append(f"{prefix}{key}: missing")
            continue
        diff.rate(f"{prefix}{key}", exp[key], got[key])


def compare_goals(diff: Diff, exp: dict, got: dict, prefix: str = "") -> None:
    got_goals = {g.get("id"): g for g in got.get("goals") or []}
    diff.equal(f"{prefix}goals ids", sorted(g["id"] for g in exp["goals"]), sorted(got_goals, key=str))
    for g in exp["goals"]:
        mine = got_goals.get(g["id"])
        if mine is None:
            continue
        p = f"{prefix}goals[{g['id']}]"
        diff.equal(f"{p}.name", g["name"], mine.get("name"))
        diff.equal(f"{p}.metric", g["metric"], mine.get("metric"))
        diff.number(f"{p}.target", g["target"], mine.get("target"))
        diff.number(f"{p}.actual", g["actual"], mine.get("actual"))
        diff.rate(f"{p}.attainment", g["attainment"], mine.get("attainment"))
        diff.equal(f"{p}.activities", g["activities"], mine.get("activities"))
        diff.number(f"{p}.cost", g["cost"], mine.get("cost"))


def compare_principles(diff: Diff, exp: dict, got: dict, prefix: str = "") -> None:
    principles = got.get("principles") or {}
    diff.equal(f"{prefix}principles keys", sorted(oracle.PRINCIPLES), sorted(principles))
    for key, e in exp["principles"].items():
        g = principles.get(key) or {}
        diff.equal(f"{prefix}principles.{key}.activities", e["activities"], g.get("activities"))
        diff.equal(f"{prefix}principles.{key}.done", e["done"], g.get("done"))
        diff.number(f"{prefix}principles.{key}.cost", e["cost"], g.get("cost"))


def compare_channels(diff: Diff, exp: dict, got: dict, prefix: str = "") -> None:
    channels = got.get("channels") or {}
    diff.equal(f"{prefix}channels keys", sorted(exp["channels"]), sorted(channels))
    for key, e in exp["channels"].items():
        g = channels.get(key) or {}
        p = f"{prefix}channels.{key}"
        diff.equal(f"{p}.activities", e["activities"], g.get("activities"))
        diff.equal(f"{p}.done", e["done"], g.get("done"))
        diff.number(f"{p}.cost", e["cost"], g.get("cost"))
        for metric in oracle.METRICS:
            if (
                metric in g
            ):  # the contract lists a channel's metrics without saying which; those present must agree
                diff.number(f"{p}.{metric}", e[metric], g[metric])


def compare_owners(diff: Diff, exp: dict, got: dict, prefix: str = "") -> None:
    owners = {}
    for entry in got.get("owners") or []:
        owner = entry.get("owner")
        if owner in owners:
            diff.lines.append(f"{prefix}owners: {owner!r} listed twice")
        owners[owner] = entry
    diff.equal(f"{prefix}owners", sorted(exp["owners"], key=str), sorted(owners, key=str))
    for owner, e in exp["owners"].items():
        g = owners.get(owner) or {}
        p = f"{prefix}owners[{owner!r}]"
        diff.equal(f"{p}.activities", e["activities"], g.get("activities"))
        diff.equal(f"{p}.done", e["done"], g.get("done"))
        diff.number(f"{p}.cost", e["cost"], g.get("cost"))


COMPARE_ALL = (
    compare_totals,
    compare_rates,
    compare_goals,
    compare_principles,
    compare_channels,
    compare_owners,
)


# ---------------------------------------------------------------------------------------------- the figures


@pytest.mark.parametrize(("lang", "month"), CASES)
def test_document_header(build, lang, month):
    got = build(lang, month)
    info = samples.SAMPLES[lang]
    diff = Diff(f"{lang} {month}")
    diff.equal("schema_version", 1, got.get("schema_version"))
    diff.equal("month", month, got.get("month"))
    diff.equal("as_of", AS_OF, got.get("as_of"))
    diff.equal("lang", lang, got.get("lang"))  # --lang defaults to the language of the sheet's headers
    diff.equal("currency", info.currency, got.get("currency"))  # the symbol most money cells use
    diff.equal("team", info.team, got.get("team"))  # the title above the header, up to the dash
    diff.check()


@pytest.mark.parametrize(("lang", "month"), CASES)
@pytest.mark.parametrize("compare", COMPARE_ALL, ids=lambda f: f.__name__.removeprefix("compare_"))
def test_figures(build, lang, month, compare):
    diff = Diff(f"{lang} {month}")
    compare(diff, oracle.figures(lang, month), build(lang, month))
    diff.check()


@pytest.mark.parametrize(("lang", "month"), CASES)
@pytest.mark.parametrize("compare", COMPARE_ALL, ids=lambda f: f.__name__.removeprefix("compare_"))
def test_previous(build, lang, month, compare):
    exp = oracle.figures(lang, month)["previous"]
    got = build(lang, month).get("previous")
    diff = Diff(f"{lang} {month} previous ({exp['month']})")
    if not isinstance(got, dict):
        pytest.fail(f"{lang} {month}: previous is {got!r}, expected the figures of {exp['month']}")
    compare(diff, exp, got, "previous.")
    diff.check()


@pytest.mark.parametrize(("lang", "month"), CASES)
def test_activity_mapping(build, lang, month):
    """Every activity of the month, in the appendix, with the goal and principle the oracle maps it to."""
    expected = oracle.activities(lang, month)
    sheet = samples.SAMPLES[lang].activities_sheet
    got = {}
    diff = Diff(f"{lang} {month} activities")
    for a in build(lang, month).get("activities") or []:
        got[a.get("row")] = a
        diff.equal(f"row {a.get('row')} sheet", sheet, a.get("sheet"))
    diff.equal("rows of the month", sorted(expected), sorted(got, key=lambda r: (r is None, r)))
    for row, e in expected.items():
        a = got.get(row)
        if a is None:
            continue
        for key in ("date", "channel", "owner", "status", "goal", "principle"):
            diff.equal(f"row {row} ({e['activity']!r}) {key}", e[key], a.get(key))
    diff.check()


@pytest.mark.parametrize("lang", LANGS)
def test_config_rules_are_named(build, lang):
    """A row a reportgen.toml rule decided says so, by the rule's name."""
    decided = oracle.config_decided(lang)
    assert decided, "the sample must have rows decided by a reportgen.toml rule"
    diff = Diff(f"{lang} decided by reportgen.toml")
    for month in MONTHS:
        rows = {a.get("row"): a for a in build(lang, month).get("activities") or []}
        for row, what, name in decided:
            if row in rows:
                by = str(rows[row].get(f"{what}_decided_by"))
                if name not in by:
                    diff.lines.append(
                        f"row {row} {what}_decided_by: expected it to name rule {name!r}, got {by!r}"
                    )
    diff.check()


# ---------------------------------------------------------------------------------------------- the findings


_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def _split_ref(finding: dict) -> tuple[str | None, str | None]:
    sheet, cell = finding.get("sheet"), finding.get("cell")
    if isinstance(cell, str) and "!" in cell:
        ref_sheet, cell = cell.rsplit("!", 1)
        sheet = ref_sheet.strip("'")
    return sheet, (cell.replace("$", "").upper() if isinstance(cell, str) else None)


def _row_of(cell: str | None) -> int | None:
    m = _CELL.match(cell or "")
    return int(m.group(2)) if m else None


def _reports(finding: dict, mess) -> bool:
    if finding.get("severity") != mess.severity:
        return False
    sheet, cell = _split_ref(finding)
    if sheet != mess.sheet:
        return False
    if cell is None:  # a row-level finding without a cell may still name the row in its message
        return mess.whole_row and re.search(rf"\b{mess.row}\b", str(finding.get("message", ""))) is not None
    if mess.whole_row:
        return _row_of(cell) == mess.row
    return cell == mess.cell


MESS_MONTHS = ("2026-08", "2026-09", "2026-10")


@pytest.mark.parametrize("lang", LANGS)
def test_deliberate_mess_is_reported(build, lang):
    """Every deliberately bad cell is reported by the review of the month its row belongs to."""
    findings = [f for month in MESS_MONTHS for f in build(lang, month).get("findings") or []]
    diff = Diff(f"{lang} findings")
    for mess in samples.sample_mess(lang):
        if mess.severity is None:
            continue
        if not any(_reports(f, mess) for f in findings):
            near = [
                f
                for f in findings
                if _split_ref(f)[0] == mess.sheet and _row_of(_split_ref(f)[1]) == mess.row
            ]
            diff.lines.append(
                f"{mess.kind} at {mess.sheet}!{mess.cell} ({mess.written!r}): expected a "
                f"{mess.severity} finding{' on that row' if mess.whole_row else ''}; "
                f"findings on row {mess.row}: {near!r}"
            )
    diff.check()


@pytest.mark.parametrize("lang", LANGS)
def test_no_error_on_clean_cells(build, lang):
    """Errors point only at the deliberately bad cells: every other value of the sample is readable."""
    messy_rows = {(m.sheet, m.row) for m in samples.sample_mess(lang) if m.severity == "error"}
    diff = Diff(f"{lang} findings")
    for f in build(lang, "2026-10").get("findings") or []:
        if f.get("severity") != "error":
            continue
        sheet, cell = _split_ref(f)
        if cell is not None and (sheet, _row_of(cell)) not in messy_rows:
            diff.lines.append(f"unexpected error at {sheet}!{cell}: {f.get('message')!r}")
    diff.check()


def test_each_month_reports_its_own_findings(build):
    """A month's review lists its rows' findings and the sheet-wide ones, and counts the rest: October's bad
    date at A224 is not August's problem, and nothing is lost (listed + elsewhere is the same every month)."""
    for lang in LANGS:
        documents = {month: build(lang, month) for month in MESS_MONTHS}
        rows = {
            month: {activity["row"] for activity in document["activities"]}
            for month, document in documents.items()
        }
        for month, document in documents.items():
            for finding in document["findings"]:
                on_rows = finding["cell"] and finding["sheet"] == document["activities"][0]["sheet"]
                row = _row_of(finding["cell"]) if on_rows else None
                others = [other for other, numbers in rows.items() if other != month and row in numbers]
                assert not others, f"{month} lists {finding['cell']}, a row of {others}"
        totals = {len(d["findings"]) + d["findings_elsewhere"] for d in documents.values()}
        assert len(totals) == 1, totals


def _strip(findings) -> list:
    return sorted(json.dumps(f, sort_keys=True, ensure_ascii=False) for f in findings or [])


# -------------------------------------------------------------------------- the workbook holds what we think

CHANNEL_WORDS = {  # what people type -> channel key (docs/workbook.md "Channels normalise to")
    "seo": "seo",
    "sem": "sem",
    "content": "content",
    "article": "content",
    "event": "event",
    "webinar": "event",
    "community": "community",
    "user ops": "user_ops",
    "partnership": "partnership",
    "bd": "partnership",
    "投放": "sem",
    "竞价": "sem",
    "文章": "content",
    "公众号": "content",
    "软文": "content",
    "内容": "content",
    "会议": "event",
    "直播": "event",
    "线下活动": "event",
    "微信群": "community",
    "社群": "community",
    "用户运营": "user_ops",
    "商务": "partnership",
    "合作": "partnership",
    "podcast": "other",
    "播客": "other",
}
STATUS_WORDS = {
    "done": "done",
    "in progress": "in_progress",
    "planned": "planned",
    "cancelled": "cancelled",
    "delayed": "delayed",
    "完成": "done",
    "已完成": "done",
    "进行中": "in_progress",
    "计划中": "planned",
    "待办": "planned",
    "取消": "cancelled",
    "延期": "delayed",
}


@pytest.mark.parametrize("lang", LANGS)
def test_sample_workbook_holds_the_oracle_data(sample_dir, lang):
    """Read the generated workbook back with python-calamine: every cell is what the oracle assumes."""
    python_calamine = pytest.importorskip("python_calamine")
    info = samples.SAMPLES[lang]
    book = python_calamine.CalamineWorkbook.from_path(str(sample_dir / info.filename))
    grid = book.get_sheet_by_name(info.activities_sheet).to_python(skip_empty_area=False)
    columns = samples.COLUMNS
    written = {(m.row, m.field): m.written for m in samples.sample_mess(lang) if m.field}
    diff = Diff(f"{lang} {info.activities_sheet}")

    def cell(row: int, name: str):
        line = grid[row - 1] if row - 1 < len(grid) else []
        i = columns.index(name)
        value = line[i] if i < len(line) else ""
        return None if value == "" else value

    diff.equal("header", list(samples.HEADERS[lang]), [cell(samples.HEADER_ROW, c) for c in columns])
    for r in samples.sample_rows(lang):
        for name in columns:
            got = cell(r.excel_row, name)
            if (r.excel_row, name) in written and name not in ("due", "done_on"):
                diff.equal(f"{name} {r.excel_row}", written[(r.excel_row, name)], got)
                continue
            exp = getattr(r, name)
            if name == "channel":
                ok = CHANNEL_WORDS.get(str(got).strip().casefold()) == exp
            elif name == "status":
                ok = STATUS_WORDS.get(str(got).strip().casefold()) == exp
            elif isinstance(exp, date):
                ok = (got.date() if isinstance(got, datetime) else got) == exp or got == exp.isoformat()
            elif isinstance(exp, Decimal):
                ok = isinstance(got, int | float) and Decimal(str(got)) == exp
            else:
                ok = got == exp
            if not ok:
                diff.lines.append(f"{name} {r.excel_row}: expected {exp!r}, got {got!r}")
    diff.check()
