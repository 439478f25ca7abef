"""The one family of user-facing errors; the CLI turns them into exit codes and messages."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reportgen.messages import Catalogue


class ExitCode(IntEnum):
    """Process exit statuses promised by SPEC's command-line contract."""

    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    DELIVERY_FAILED = 3


def joined_lists(params: dict[str, Any], words: Catalogue) -> dict[str, Any]:
    """Message parameters with each list joined the language's way ("A, B" or "A、B")."""
    return {
        name: words.text("where.list").join(value) if isinstance(value, list | tuple) else value
        for name, value in params.items()
    }


class ReportgenError(Exception):
    """A problem the user can fix; carries its exit code and renders its own message."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def message(self, lang: str | None = None) -> str:
        """The message in `lang`; None means the error's own language, else English."""
        return str(self)


class InputError(ReportgenError):
    """The input cannot be used. The sentence comes from the catalogue (`error.<code>`), so it
    exists in every language; the location (file, sheet, cell) is prefixed the same way for all.

    `lang` is the language of the sheet the error concerns, when it is known (raised after the header row
    was read): the message uses it unless the user asked for a language. A list parameter is joined the
    language's way; an `expect` parameter names an `expect.<code>` phrase of the catalogue, given to the
    sentence as `expected`."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(
        self,
        file: str | Path | None,
        code: str,
        *,
        sheet: str | None = None,
        cell: str | None = None,
        lang: str | None = None,
        **params: Any,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.code = code
        self.sheet = sheet
        self.cell = cell
        self.lang = lang
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        from reportgen.messages import catalogue

        words = catalogue(lang or self.lang or "en")
        params = joined_lists(self.params, words)
        if "expect" in params:
            params["expected"] = words.text(f"expect.{params.pop('expect')}", **params)
        where = [self.file] if self.file else []
        if self.sheet:
            where.append(words.text("where.sheet", sheet=self.sheet))
        if self.cell:
            where.append(words.text("where.cell", cell=self.cell))
        problem = words.text(f"error.{self.code}", **params)
        if not where:
            return problem
        return words.text("where.located", where=words.text("where.separator").join(where), problem=problem)


class UsageError(ReportgenError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message())

    def message(self, lang: str | None = None) -> str:
        from reportgen.messages import catalogue

        return catalogue(lang or "en").text(f"usage.{self.code}", **self.params)
