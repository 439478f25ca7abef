"""Every sentence exists in both languages with the same fields, and every code the package uses exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from reportgen.messages import LANGUAGES, catalogue

PACKAGE = Path(__file__).resolve().parents[2] / "reportgen"


def fields(template: str) -> set[str]:
    return {name.split("!")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogues_have_the_same_codes_and_fields() -> None:
    english, chinese = (catalogue(lang).templates for lang in LANGUAGES)
    assert set(english) == set(chinese)
    for code in english:
        assert fields(english[code]) == fields(chinese[code]), code


def test_every_code_used_in_the_package_is_in_the_catalogue() -> None:
    source = "\n".join(path.read_text("utf-8") for path in PACKAGE.rglob("*.py"))
    templates = catalogue("en").templates
    findings = set(re.findall(r'Finding\(\s*"(\w+)"', source)) | set(re.findall(r'bad\(\s*"(\w+)"', source))
    errors = set(re.findall(r'InputError\(\s*[\w.]+,\s*"(\w+)"', source))
    usages = set(re.findall(r'UsageError\(\s*"(\w+)"', source))
    unreadable = set(re.findall(r'Unreadable\(\s*"(\w+)"', source))
    assert findings and errors and usages and unreadable
    missing = (
        {f"finding.{code}" for code in findings | unreadable}
        | {f"error.{code}" for code in errors}
        | {f"usage.{code}" for code in usages}
    ) - set(templates)
    assert not missing
