"""Every build keeps its own PDF's bytes in the archive (schema 0004), on SQLite and PostgreSQL: any version
comes back byte for byte after a later one wrote over its file, a rebuild of the very same bytes stores them
once, bytes that no longer match their SHA-256 are refused, and a build recorded before the archive kept PDFs
says where its PDF was written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from reportgen.archive.records import BuildRecord
from reportgen.archive.schema import builds
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import ArchiveSettings
from reportgen.base.errors import ArchiveError, ExitCode, InputError
from reportgen.figures.document import dumps
from reportgen.pipeline.mailing import recorded_pdf

NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)
PATH = Path("/reviews/northwind-en-2026-11.pdf")  # every version of the month is written here


@pytest.fixture
def archive(archive_url: str) -> Iterator[Archive]:
    opened = open_archive(ArchiveSettings(url=archive_url), clock=lambda: NOW)
    yield opened
    opened.close()


def pdf(text: str) -> bytes:
    """A PDF's bytes (their content does not matter to the archive), with a NUL and high bytes in them."""
    return b"%PDF-1.7\n\x00\xff\xfe" + text.encode() + b"\n%%EOF\n"


def record(data: bytes | None, workbook_sha: str = "a" * 64, *, pdf_sha: str | None = None) -> BuildRecord:
    return BuildRecord(
        team="Northwind",
        month="2026-11",
        lang="en",
        as_of=dt.date(2026, 12, 3),
        workbook_name="northwind.xlsx",
        workbook_sha256=workbook_sha,
        pdf_sha256=pdf_sha or hashlib.sha256(data or b"").hexdigest(),
        pdf_path=PATH,
        kpis={"month": "2026-11", "leads": 1},
        figures=dumps({"month": "2026-11"}),
        pdf=data,
    )


def stored_bytes(archive: Archive) -> dict[int, bytes | None]:
    """Each build's own `pdf` column, as the database holds it."""
    with archive.engine.connect() as connection:
        rows = connection.execute(sa.select(builds.c.id, builds.c.pdf).order_by(builds.c.id)).all()
    return {row.id: None if row.pdf is None else bytes(row.pdf) for row in rows}


def test_each_version_keeps_its_own_bytes_though_both_were_written_to_one_path(archive: Archive) -> None:
    first, second = pdf("version one"), pdf("version two")
    v1 = archive.record_build(record(first, "a" * 64))
    v2 = archive.record_build(record(second, "b" * 64))
    assert (v1.version, v2.version) == (1, 2)
    kept = archive.pdf_of(team="Northwind", month="2026-11", version=1)
    assert kept.data == first and kept.build_id == v1.build_id and kept.pdf_path == PATH
    assert (kept.team, kept.month, kept.version, kept.lang) == ("Northwind", "2026-11", 1, "en")
    assert kept.built_at == NOW
    assert archive.pdf_of(team="Northwind", month="2026-11").data == second  # no version: the newest
    assert archive.pdf_of(v1.build_id).data == first and archive.pdf_of(v2.build_id).data == second
    assert [build.pdf_kept for version in archive.versions() for build in version.builds] == [True, True]


def test_a_rebuild_of_the_very_same_bytes_stores_them_once_and_still_gives_them(archive: Archive) -> None:
    data = pdf("the same review")
    first = archive.record_build(record(data))
    again = archive.record_build(record(data))  # the same workbook built again: the same PDF
    other = archive.record_build(record(pdf("built in another language")))
    held = stored_bytes(archive)
    assert held[first.build_id] == data and held[again.build_id] is None  # once per SHA-256
    assert held[other.build_id] is not None
    assert archive.pdf_of(again.build_id).data == data
    assert all(build.pdf_kept for build in archive.versions()[0].builds)


def test_bytes_that_no_longer_match_their_sha256_are_refused(archive: Archive) -> None:
    built = archive.record_build(record(pdf("honest")))
    with archive.engine.begin() as connection:
        connection.execute(builds.update().where(builds.c.id == built.build_id).values(pdf=pdf("tampered")))
    with pytest.raises(ArchiveError) as caught:
        archive.pdf_of(built.build_id)
    assert caught.value.code == "pdf_damaged" and caught.value.exit_code == ExitCode.ARCHIVE_FAILED
    assert f"build {built.build_id}" in caught.value.message("en")
    assert "SHA-256" in caught.value.message("zh")


def test_bytes_that_are_not_the_recorded_pdf_are_never_recorded(archive: Archive) -> None:
    with pytest.raises(ValueError, match="SHA-256"):
        archive.record_build(record(pdf("one"), pdf_sha="0" * 64))
    assert archive.versions() == []


def test_a_build_recorded_before_the_archive_kept_pdfs_names_the_file_it_was_written_to(
    archive: Archive,
) -> None:
    old = archive.record_build(record(None, pdf_sha=hashlib.sha256(pdf("before 0004")).hexdigest()))
    (version,) = archive.versions()
    assert version.builds[0].pdf_kept is False
    with pytest.raises(InputError) as caught:
        archive.pdf_of(team="Northwind", month="2026-11", version=1)
    assert caught.value.code == "pdf_not_kept" and caught.value.exit_code == ExitCode.BAD_INPUT
    for lang in ("en", "zh"):
        assert str(PATH) in caught.value.message(lang)
    # the same bytes built again now: that build's copy serves the old record too
    archive.record_build(record(pdf("before 0004")))
    assert archive.pdf_of(old.build_id).data == pdf("before 0004")


def test_what_the_archive_does_not_have_is_said(archive: Archive) -> None:
    with pytest.raises(InputError) as caught:
        archive.pdf_of(team="Northwind", month="2026-11")
    assert caught.value.code == "pdf_no_review"
    archive.record_build(record(pdf("one"), "a" * 64))
    archive.record_build(record(pdf("two"), "b" * 64))
    with pytest.raises(InputError) as caught:
        archive.pdf_of(team="Northwind", month="2026-11", version=7)
    assert caught.value.code == "pdf_no_version" and "(its versions: 1, 2)" in caught.value.message("en")
    with pytest.raises(InputError) as caught:
        archive.pdf_of(999)
    assert caught.value.code == "pdf_no_build"


def test_a_pdf_written_over_since_is_sent_from_the_archives_copy_under_its_own_name(
    archive: Archive, tmp_path: Path
) -> None:
    approved, later = pdf("the approved draft"), pdf("a later version")
    path = tmp_path / "northwind-en-2026-11.pdf"
    path.write_bytes(approved)
    built = archive.record_build(dataclasses.replace(record(approved), pdf_path=path))
    sha = hashlib.sha256(approved).hexdigest()
    with recorded_pdf(archive, built.build_id, path, sha) as intact:
        assert intact == path  # the file still is that PDF: it is sent itself
    path.write_bytes(later)  # the next version of the month, written to the same path
    with recorded_pdf(archive, built.build_id, path, sha) as copy:
        assert copy is not None and copy != path and copy.name == path.name
        assert copy.read_bytes() == approved
    assert not copy.exists() and path.read_bytes() == later  # the copy is gone; the later version untouched
    with recorded_pdf(archive, built.build_id, path, "f" * 64) as neither:  # not the bytes the archive has
        assert neither is None
    path.unlink()
    with recorded_pdf(archive, built.build_id, path, sha) as copy:  # the file gone: the same
        assert copy is not None and copy.read_bytes() == approved


def test_a_pdf_written_over_that_the_archive_never_kept_is_none(archive: Archive, tmp_path: Path) -> None:
    path = tmp_path / "review.pdf"
    path.write_bytes(pdf("later"))
    old = archive.record_build(record(None, pdf_sha="e" * 64))
    with recorded_pdf(archive, old.build_id, path, "e" * 64) as found:
        assert found is None


def test_a_version_is_given_in_its_own_language_not_as_the_readers_copy_built_after_it(
    archive: Archive,
) -> None:
    """An English review built for a reader of Chinese is recorded twice: the review, then its Chinese copy.
    `history show --pdf`, the history table and the roll-up took the newest build, the copy, as the review
    (a lead got the Chinese PDF back; the roll-up's appendix pointed at `….zh.pdf`). A later rebuild of the
    same version in both languages still gives the English one."""
    for day in (
        2,
        3,
    ):  # built on Nov 2, and again by the schedule on Nov 3: each time the review, then the copy
        for lang in ("en", "zh"):
            data = pdf(f"{lang} {day}")
            path = PATH.with_name(f"northwind-en-2026-11.{lang}.pdf") if lang == "zh" else PATH
            archive.record_build(dataclasses.replace(record(data), lang=lang, pdf_path=path,
                                                     as_of=dt.date(2026, 12, day)))  # fmt: skip
    given = archive.pdf_of(team="Northwind", month="2026-11")
    assert (given.lang, given.data) == ("en", pdf("en 3"))
    (document,) = archive.month_documents("Northwind", "2026-11")
    assert document["lang"] == "en" and Path(document["pdf_path"]) == PATH
    assert set(document["takeaways"]) <= {"en", "zh"}
    (version,) = archive.versions("Northwind", "2026-11")
    assert version.own_build is not None and version.own_build.lang == "en"
    assert version.builds[0].lang == "zh"  # the newest build is the copy, which none of the above gave
