"""Whether a built review may go out: refused while its workbook has error findings (the cells named) unless
the sender insists. The one decision `build --email`, batch, watch and serve share before they mail."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportgen.base.config import EmailSettings
from reportgen.base.errors import DeliveryError
from reportgen.base.model import Finding
from reportgen.delivery.message import resolve_recipients
from reportgen.figures.review import errors_of

CELLS_SHOWN = 10


def refuse_on_errors(
    pdf_path: Path, findings: Sequence[Finding], *, force: bool, lang: str | None = None
) -> None:
    """Refuse to mail a review whose workbook has error findings, naming their cells, unless forced."""
    errors = errors_of(findings)
    if not errors or force:
        return
    cells = [finding.where or "?" for finding in errors]
    shown = cells[:CELLS_SHOWN] + (["…"] if len(cells) > CELLS_SHOWN else [])
    raise DeliveryError(pdf_path, "check_errors", count=len(errors), cells=shown, lang=lang)


def check_can_send(settings: EmailSettings) -> None:
    """Refuse `--email` before any build when the config cannot send (no sender, no or bad recipients)."""
    resolve_recipients(settings, (), ())
