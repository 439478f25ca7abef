"""The one Jinja environment (autoescape, StrictUndefined) for the review, the mail body and the serve page,
and where their templates and stylesheets are found."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import jinja2


def templates_folder() -> Path:
    """The bundled templates: inside the package when installed from a wheel, beside it in a checkout."""
    packaged = Path(str(resources.files("reportgen"))) / "templates"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "templates"


def environment(override: Path | None = None) -> jinja2.Environment:
    """Autoescaping, strict environment; an override folder (--templates) is searched first."""
    folders = [str(override)] if override else []
    folders.append(str(templates_folder()))
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
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
