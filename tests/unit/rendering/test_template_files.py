"""What the PDF's fetcher serves from a --templates folder: its own regular files, and nothing that leads
out of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reportgen.rendering.pdf import (
    MissingFile,
    RefusedFetch,
    Unloaded,
    bundled_assets,
    folder_file,
    make_fetcher,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    inside = tmp_path / "brand"
    (inside / "img").mkdir(parents=True)
    (inside / "img" / "logo.png").write_bytes(b"logo")
    (tmp_path / "secret.txt").write_text("secret")
    (inside / "out.png").symlink_to(tmp_path / "secret.txt")
    (inside / "in.png").symlink_to(inside / "img" / "logo.png")
    return inside.resolve()


def test_files_inside_the_folder_are_served_by_their_file_url(folder: Path) -> None:
    assert folder_file(folder, (folder / "img" / "logo.png").as_uri()).read_bytes() == b"logo"
    assert folder_file(folder, (folder / "in.png").as_uri()) == folder / "img" / "logo.png"  # a link within
    assert folder_file(folder, f"file://localhost{folder}/img/logo.png").name == "logo.png"


def test_a_file_the_folder_lacks_is_missing_named_relative_to_it(folder: Path) -> None:
    for url, name in (
        ((folder / "img" / "nope.png").as_uri(), "img/nope.png"),
        ((folder / "img").as_uri(), "img"),  # a folder is no file
    ):
        with pytest.raises(MissingFile) as caught:
            folder_file(folder, url)
        assert caught.value.name == name


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "{folder}/../secret.txt",
        "{folder}/out.png",  # a symlink out of the folder
        "{folder}/img/%00.png",
        "file://example.com{folder}/img/logo.png",
        "file:img/logo.png",
        "http://127.0.0.1:9/logo.png",
        "data:image/png;base64,AAAA",
        "reportgen:../../etc/hostname",
    ],
)
def test_everything_else_is_refused_and_not_as_missing(folder: Path, url: str) -> None:
    url = url.format(folder=folder.as_uri() if url.startswith("{folder}") else folder)
    with pytest.raises(RefusedFetch) as caught:
        folder_file(folder, url)
    assert not isinstance(caught.value, MissingFile)


def test_the_fetcher_notes_what_it_could_not_serve_and_serves_the_folders_stylesheet_under_its_url(
    folder: Path,
) -> None:
    (folder / "review.css").write_text("p {}")
    unloaded = Unloaded()
    fetcher = make_fetcher(bundled_assets("p {}", {}, folder), unloaded)
    stylesheet = fetcher.fetch("reportgen:review.css")
    assert stylesheet.url == (folder / "review.css").as_uri()  # so url("logo.png") resolves in the folder
    assert fetcher.fetch((folder / "img" / "logo.png").as_uri()).read() == b"logo"
    for url in ((folder / "gone.png").as_uri(), (folder / "out.png").as_uri(), "https://example.invalid/a"):
        with pytest.raises(RefusedFetch):
            fetcher.fetch(url)
    assert unloaded.missing == ["gone.png"]
    assert unloaded.refused == [str(folder / "out.png"), "https://example.invalid/a"]


def test_without_a_folder_no_file_is_served(folder: Path) -> None:
    unloaded = Unloaded()
    fetcher = make_fetcher(bundled_assets("p {}", {}), unloaded)
    assert fetcher.fetch("reportgen:review.css").url == "reportgen:review.css"
    with pytest.raises(RefusedFetch):
        fetcher.fetch((folder / "img" / "logo.png").as_uri())
    assert unloaded.refused == [str(folder / "img" / "logo.png")] and unloaded.missing == []
