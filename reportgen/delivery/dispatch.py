"""Whether a built review may go out: refused while its month has error findings (the cells named) unless
the sender insists. The one decision every front end meets before it delivers (`deliver_once` for a review
built here, the queue's batches for one built on a worker, the cycle to choose a draft over management)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportgen.base.config import EmailSettings
from reportgen.base.errors import DeliveryError
from reportgen.base.model import Finding
from reportgen.figures.review import error_cells, shown_cells


def sender_insists(email: EmailSettings, force: bool = False) -> bool:
    """Whether a review whose month has errors goes out as it is: `--force` on the command (build --email,
    send), or `send_with_errors = true` in [email] for every front end (batch, watch, serve, the queue)."""
    return force or email.send_with_errors


def errors_refusal(
    pdf_path: Path, cells: Sequence[str], *, force: bool, count: int | None = None, lang: str | None = None
) -> DeliveryError | None:
    """The refusal to deliver a review whose month has errors at `cells` (None: it may go), unless forced;
    `count` when `cells` were already cut to the ones shown (a queue worker's answer)."""
    count = len(cells) if count is None else count
    if not count or force:
        return None
    return DeliveryError(pdf_path, "check_errors", count=count, cells=shown_cells(cells), lang=lang)


def refuse_on_errors(
    pdf_path: Path, findings: Sequence[Finding], *, force: bool, lang: str | None = None
) -> None:
    """Refuse to deliver a review whose month has error findings, naming their cells, unless forced."""
    refusal = errors_refusal(pdf_path, error_cells(findings), force=force, lang=lang)
    if refusal is not None:
        raise refusal
