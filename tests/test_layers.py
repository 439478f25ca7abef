"""The layers hold (import-linter's contracts in pyproject.toml), and the contracts really catch a breach: an
upward import, an import between two front ends, and two modules that import each other, each added to a copy
of the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports run in `project`, on the reportgen package found there (not the installed one)."""
    environment = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=project, env=environment, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The package and pyproject.toml, copied so a test can break them."""
    shutil.copytree(ROOT / "reportgen", tmp_path / "reportgen", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_line(module: Path, line: str) -> None:
    module.write_text(module.read_text("utf-8") + f"\n{line}\n", "utf-8")


def test_the_package_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_layers(project_copy: Path) -> None:
    add_line(project_copy / "reportgen/base/model.py", "from reportgen.rendering import charts  # noqa")
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert "Layers: each imports only the layers below it BROKEN" in result.stdout
    assert "reportgen.base.model -> reportgen.rendering.charts" in result.stdout


def test_one_front_end_importing_another_breaks_their_independence(project_copy: Path) -> None:
    add_line(project_copy / "reportgen/apps/watch.py", "from reportgen.apps import batch  # noqa")
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert "never import each other BROKEN" in result.stdout


def test_two_modules_importing_each_other_break_the_no_cycle_contract(project_copy: Path) -> None:
    # overlooked already imports metrics: metrics importing overlooked closes a circle inside one layer
    add_line(
        project_copy / "reportgen/figures/metrics.py", "from reportgen.figures import overlooked  # noqa"
    )
    result = lint_imports(project_copy)
    assert result.returncode != 0
    assert "No cycles" in result.stdout and "BROKEN" in result.stdout
