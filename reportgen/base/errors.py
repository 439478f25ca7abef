"""The one family of user-facing errors (every exception type a user may see); each front end turns them into
exit codes and messages at one place."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path
from typing import Any

from reportgen.base.catalogue import Catalogue, catalogue, language


class ExitCode(IntEnum):
    """Process exit statuses promised by docs/cli.md ("Exit status")."""

    OK = 0
    BAD_INPUT = 1
    USAGE = 2
    DELIVERY_FAILED = 3
    ARCHIVE_FAILED = 4  # the archive could not be read or written; what was built is kept
    QUEUE_FAILED = 5  # the queue (Redis, reportgen[queue]) could not be used; nothing was enqueued
    INTERRUPTED = 130  # stopped by Ctrl-C (128 + SIGINT, as shells report it)


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
        words = catalogue(language(lang, self.lang))
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
        return catalogue(language(lang)).text(f"usage.{self.code}", **self.params)


class DeliveryError(ReportgenError):
    """The review was not (or not wholly) delivered; the PDF stays at `pdf_path`, which the message names.

    `stage` is where it failed (connect, starttls, login, size, sender, data, partial, ...), `server_reply`
    the server's answer quoted as it came, `refused` each refused address with its answer."""

    exit_code = ExitCode.DELIVERY_FAILED

    def __init__(
        self,
        pdf_path: str | Path | None,
        stage: str,
        server_reply: str | None = None,
        *,
        refused: dict[str, str] | None = None,
        failures: Sequence[tuple[str, DeliveryError]] = (),
        lang: str | None = None,
        **params: Any,
    ) -> None:
        self.pdf_path = Path(pdf_path) if pdf_path is not None else None  # None: a notice, nothing kept
        self.stage = stage
        self.server_reply = server_reply
        self.refused = dict(refused or {})
        self.failures = tuple(failures)  # several targets' own failures, each with its target's label
        self.lang = lang
        self.params = params
        self.next_step: tuple[str, dict[str, Any]] | None = None  # what to run once it can be reached
        super().__init__(self.message("en"))

    def then(self, code: str, **params: Any) -> DeliveryError:
        """The same failure, ending with what to do next (`code` of the catalogue, with `params`)."""
        self.next_step = (code, params)
        self.args = (self.message("en"),)
        return self

    def message(self, lang: str | None = None) -> str:
        words = catalogue(language(lang, self.lang))
        if self.pdf_path is None:
            return self.reason(lang)
        return self.reason(lang) + "\n" + words.text("delivery.kept", path=str(self.pdf_path))

    def reason(self, lang: str | None = None) -> str:
        """What went wrong and each refused address, without where the PDF is (serve offers its download)."""
        words = catalogue(language(lang, self.lang))
        params = joined_lists(self.params, words)
        code = f"delivery.{self.stage}"  # a `variant` (e.g. "unsigned") picks a wording of the same failure
        if f"{code}_{self.params.get('variant')}" in words.templates:
            code = f"{code}_{self.params['variant']}"
        if self.failures:
            lines = self.composed(words, params, lang)
        else:
            lines = [words.text(code, reply=self.server_reply or "", **params)]
        lines += [
            words.text("delivery.refused_address", address=address, reply=reply)
            for address, reply in self.refused.items()
            # a bot's refusal: its sentence names the bot and quotes the answer already
            if not (address == self.params.get("target") and reply == self.server_reply)
        ]
        if self.next_step is not None:
            lines.append(words.text(self.next_step[0], **self.next_step[1]))
        return "\n".join(lines)

    def composed(self, words: Catalogue, params: dict[str, Any], lang: str | None) -> list[str]:
        """Whom a delivery reached and each target's failure, every address and bot named once: one failure
        after what was delivered on one line ("delivered to a; not delivered to b: it reads zh, …"), several
        (or none delivered) one a line below."""
        items = [failure.naming(label, words.lang) for label, failure in self.failures]
        if len(items) == 1 and self.params.get("delivered"):
            return [words.text(f"delivery.{self.stage}_single", reason=items[0], **params)]
        code = f"delivery.{self.stage}" if self.params.get("delivered") else f"delivery.{self.stage}_none"
        head = words.text(code, **params)
        return [head, *(textwrap.indent(item, "  ") for item in items)]

    def naming(self, label: str, lang: str | None = None) -> str:
        """The reason as one target's part of a composed message: as it stands when it names its target
        (a bot, a reader without a copy in their language) or lists each refused address, else after the
        target's label (the mail's addresses)."""
        reason = self.reason(lang)
        if "target" in self.params or self.refused:
            return reason
        words = catalogue(language(lang, self.lang))
        return words.text("delivery.target_reason", target=label, reason=reason)


class BatchIncomplete(ReportgenError):
    """Some workbooks got no review (exit 1) or were not mailed (exit 3); raised after all were tried."""

    def __init__(self, exit_code: ExitCode, failed: int, not_sent: int, total: int) -> None:
        self.exit_code = exit_code
        self.counts = {"failed": failed, "not_sent": not_sent, "total": total}
        super().__init__(self.message())

    def message(self, lang: str | None = None) -> str:
        code = "batch.summary_failed" if self.exit_code == ExitCode.BAD_INPUT else "batch.summary_not_sent"
        return catalogue(language(lang)).text(code, **self.counts)


class RunFailed(ReportgenError):
    """A scheduled team's run made on request (`schedule run-now`) that recorded a failed delivery: its
    sentence, already in the reader's language, with the delivery's exit status, so that whoever (or
    whatever script) asked sees it failed; the next tick tries again as the sentence says."""

    exit_code = ExitCode.DELIVERY_FAILED

    def __init__(self, sentence: str) -> None:
        self.sentence = sentence
        super().__init__(sentence)

    def message(self, lang: str | None = None) -> str:
        return self.sentence


class ArchiveError(ReportgenError):
    """The archive could not be opened, read or written (`archive.<code>` of the catalogue). It names the
    archive (a PostgreSQL url with its password hidden) and, when a build or a send was under way, what was
    kept: the outputs are already written, only the record of them is missing."""

    exit_code = ExitCode.ARCHIVE_FAILED

    def __init__(self, code: str, *, archive: str, detail: str = "", kept: tuple[Path, ...] = ()) -> None:
        self.code = code
        self.archive = archive
        self.detail = detail
        self.kept = kept
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        words = catalogue(language(lang))
        lines = [words.text(f"archive.{self.code}", archive=self.archive, detail=self.detail)]
        lines += [words.text("archive.kept", path=str(path)) for path in self.kept]
        return "\n".join(lines)

    def keeping(self, *paths: Path) -> ArchiveError:
        """The same error, naming outputs already written that the archive could not record."""
        return ArchiveError(self.code, archive=self.archive, detail=self.detail, kept=(*self.kept, *paths))


class QueueError(ReportgenError):
    """The queue could not be used (`queue.<code>` of the catalogue): Redis unreachable, the optional extra
    missing, or an answer that did not come in time. It names the url with its password hidden."""

    exit_code = ExitCode.QUEUE_FAILED

    def __init__(self, code: str, *, url: str = "", detail: str = "", **params: Any) -> None:
        self.code = code
        self.url = url
        self.detail = detail
        self.params = params
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        words = catalogue(language(lang))
        return words.text(f"queue.{self.code}", url=self.url, detail=self.detail, **self.params)


class RemoteError(ReportgenError):
    """A user's error met on a queue's worker (a bad workbook, a mail refused), carried back as its sentence
    in each language ("" for the error's own) with its exit code."""

    def __init__(self, messages: dict[str, str], exit_code: int) -> None:
        self.messages = dict(messages)
        self.exit_code = ExitCode(exit_code)
        super().__init__(self.message("en"))

    def message(self, lang: str | None = None) -> str:
        return self.messages.get(lang or "", self.messages.get("", self.messages.get("en", "")))
