"""The one family of user-facing errors; the CLI turns them into exit codes and messages."""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path
from typing import Any


class ExitCode(IntEnum):
    """Process exit statuses promised by SPEC's command-line contract."""

    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    DELIVERY_FAILED = 3


class ReportgenError(Exception):
    """A problem the user can fix; carries its exit code and renders its own message."""

    exit_code: ExitCode = ExitCode.BAD_INPUT

    def message(self, lang: str = "en") -> str:
        return str(self)


class InputError(ReportgenError):
    """The input cannot be used. The sentence comes from the catalogue (`error.<code>`), so it
    exists in every language; the location (file, sheet, cell) is prefixed the same way for all."""

    exit_code = ExitCode.BAD_INPUT

    def __init__(
        self,
        file: str | Path | None,
        code: str,
        *,
        sheet: str | None = None,
        cell: str | None = None,
        **params: Any,
    ) -> None:
        self.file = str(file) if file is not None else None
        self.code = code
        self.sheet = sheet
        self.cell = cell
        self.params = params
        super().__init__(self.message())

    def message(self, lang: str = "en") -> str:
        from reportgen.messages import catalogue

        words = catalogue(lang)
        where = [self.file] if self.file else []
        if self.sheet:
            where.append(words.text("where.sheet", sheet=self.sheet))
        if self.cell:
            where.append(words.text("where.cell", cell=self.cell))
        problem = words.text(f"error.{self.code}", **self.params)
        return f"{', '.join(where)}: {problem}" if where else problem


class UsageError(ReportgenError):
    """The command line asks for something that cannot be done as asked."""

    exit_code = ExitCode.USAGE

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.message())

    def message(self, lang: str = "en") -> str:
        from reportgen.messages import catalogue

        return catalogue(lang).text(f"usage.{self.code}", **self.params)
