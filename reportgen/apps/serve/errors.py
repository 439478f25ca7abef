"""The page's own refusal: a request answered with a catalogue message (`web.<code>`) and a 4xx status."""

from __future__ import annotations

from typing import Any


class PageError(Exception):
    """A request the page answers with a message (`web.<code>` of the catalogue) and a 4xx status."""

    def __init__(self, status: int, code: str, **params: Any) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.params = params
