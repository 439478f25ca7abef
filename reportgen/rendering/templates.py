"""The one Jinja environment (autoescape, StrictUndefined) for the review, the mail body and the serve page,
and where their templates and stylesheets are found."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2


def templates_folder() -> Path:
    """The bundled templates: inside the package when installed from a wheel, beside it in a checkout."""
    packaged = Path(str(resources.files("reportgen"))) / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


def environment(override: Path | None = None) -> jinja2.Environment:
    """Autoescaping, strict environment; an override folder (--templates) is searched first. That one is
    made anew for each page: a file added to the folder while serve runs must shadow the bundled one, which a
    kept environment would go on serving."""
    return _environment(str(override), str(templates_folder())) if override else _bundled()


@lru_cache(maxsize=1)
def _bundled() -> jinja2.Environment:
    """The bundled templates' environment, one per process: a template is compiled once, not for every
    build and mail of a batch, a worker, serve or the schedule (44 ms each for the mail's). Jinja still
    reloads a template whose file changed."""
    return _environment(str(templates_folder()))


def _environment(*folders: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(list(folders)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def stylesheet(override: Path | None = None) -> str:
    """review.css from the override folder if it has one, else the bundled one."""
    for folder in ([override] if override else []) + [templates_folder()]:
        candidate = folder / "review.css"
        if candidate.is_file():
            return candidate.read_text("utf-8")
    raise FileNotFoundError("review.css")
