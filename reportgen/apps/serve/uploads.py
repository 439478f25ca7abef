"""One uploaded workbook (`Upload`) and the names it goes by: the one shown, the download's, the header's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from reportgen.apps.serve.builds import BuiltReview, CheckedUpload
from reportgen.pipeline.mailing import SendResult

NAME_LIMIT = 120


@dataclass
class Upload:
    """One uploaded workbook: its folder (a random name) and the name the user knows it by (shown only)."""

    id: str
    folder: Path
    shown_name: str
    last_used: float  # the server's clock at the last request that touched it: retention counts from here
    checked: CheckedUpload
    built: BuiltReview | None = None
    sent: SendResult | None = None  # the last send of the review built now: the mail's part
    posted: tuple[str, ...] = ()  # and the chat bots it reached ("board-feishu (feishu)")
    busy: int = 0  # builds and sends under way: the sweeper leaves it alone meanwhile
    owner: str | None = None  # with accounts: who uploaded it; only they see its pages

    @property
    def workbook(self) -> Path:
        return self.folder / "workbook"


def shown_file_name(raw: str) -> str:
    """The uploaded file's name as it may be shown: its last path part, no control characters, bounded."""
    name = re.split(r"[\\/]", raw)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    if len(name) > NAME_LIMIT:
        name = name[: NAME_LIMIT - 1] + "…"
    return name or "workbook"


def shown_stem(shown_name: str) -> str:
    """The uploaded file's name without its extension: `build`'s stem for the PDF, the team's name when
    neither the config nor the sheet gives one."""
    return shown_name.rsplit(".", 1)[0] if "." in shown_name[1:] else shown_name


def content_disposition(name: str) -> str:
    """An attachment header with an ASCII fallback and the real name as RFC 5987 `filename*`."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    if not fallback[:1].isalpha():  # a name with no ASCII stem: still a name the reader recognises
        fallback = f"review-{fallback}" if fallback else "review.pdf"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
