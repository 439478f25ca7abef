"""Message catalogues: every user-visible sentence lives in reportgen/messages/<lang>.toml under a stable
code.

They sit at the bottom layer because every layer speaks to the user, errors included."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

Lang = Literal["en", "zh"]
LANGUAGES: tuple[str, ...] = ("en", "zh")
DEFAULT_LANG: Lang = "en"


def language(*choices: str | None) -> Lang:
    """The first of `choices` that is a language reportgen speaks, else English: the one fallback rule for
    the command line's --lang, a config's `[email] language`, a workbook's headers and a job's setting."""
    for choice in choices:
        if choice in LANGUAGES:
            return cast(Lang, choice)
    return DEFAULT_LANG


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Flat code → template map for one language; templates use str.format fields."""

    lang: str
    templates: dict[str, str]

    def text(self, code: str, **params: Any) -> str:
        """The sentence `code` with its fields filled; about exactly one thing (`count` == 1) it is the
        `<code>_one` form where the catalogue has one ("1 recipient"), the one plural rule of both languages
        (Chinese needs none)."""
        if params.get("count") == 1 and f"{code}_one" in self.templates:
            code = f"{code}_one"
        template = self.templates.get(code)
        if template is None:
            raise KeyError(f"message {code!r} is missing from messages/{self.lang}.toml")
        return template.format(**params)


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        code = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, code + "."))
        else:
            flat[code] = str(value)
    return flat


@cache
def catalogue(lang: str) -> Catalogue:
    """The catalogue for `lang` (en or zh)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    source = resources.files("reportgen").joinpath("messages", f"{lang}.toml").read_text("utf-8")
    return Catalogue(lang, _flatten(tomllib.loads(source)))
