"""Bad input, end to end: every class of unusable file gets its own message naming the file, exit 1, no
traceback and no output written (docs/safety.md; the zip-guard issue). Each file is made at test time.

A refusal is checked through `main` in this process (`cli`, tests/commands.py: the same message, exit code
and files as the command, without a fresh interpreter's imports each time). A real `reportgen` process
(`own_process=True`, `run_cli`) stays where the process is the point: a FIFO or a device (a hang guarded by
a timeout), a zip bomb, entity expansion or a huge inflation (a guard that regressed must exhaust a process of
its own, not the test's), the peak memory of a read, and one plain refusal per kind of file (random bytes,
text, a damaged .xlsx, an .xls calamine refuses, an .ods), so the exit status the OS sees and a stderr
without a traceback stay proven end to end. The zip-bomb timings call `read_workbook` in-process, where the
wall time of the refusal itself can be measured.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from reportgen.base.errors import InputError
from reportgen.reading.workbook import ReadLimits, read_workbook
from tests.builders import (
    EN_HEADERS,
    MAIN_NS,
    PKG_REL_NS,
    REL_NS,
    Formula,
    libreoffice_convert,
    make_workbook,
    write_parts,
    xlsx_parts,
)
from tests.commands import cli

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
OCTOBER = [
    [dt.date(2026, 10, day), channel, f"{channel} task {day}", "Ann", "", "done", None, None, 100, 2]
    for day, channel in ((1, "SEO"), (3, "SEM"), (7, "Content"), (12, "Event"), (20, "Community"))
]


# --- running the CLI ---

JsonDocument = dict[str, Any]  # what `check --json` or `build --json` wrote, as json.loads reads it


def run_cli(
    tmp_path: Path, *args: str | Path, timeout: float = 60, python: Sequence[str] = ("-m", "reportgen")
) -> subprocess.CompletedProcess[str]:
    """The CLI of this tree, in tmp_path, with no user config folder to pick a reportgen.toml from."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["XDG_CONFIG_HOME"] = str(tmp_path / "no-user-config")
    return subprocess.run(
        [sys.executable, *python, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=timeout,
    )


def cli_here(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The same command line as `run_cli`, through `main` in this process: in tmp_path, with no user config
    folder; stdout and stderr (logging included) captured, the exit code `main` returns."""
    return cli(*args, cwd=tmp_path, env={"XDG_CONFIG_HOME": str(tmp_path / "no-user-config")})


def assert_refused(
    result: subprocess.CompletedProcess[str], file: Path | str, *words: str, outputs: Sequence[Path] = ()
) -> None:
    """Exit 1, a message that names the file and says what is wrong, no traceback, nothing written."""
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert str(file) in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    for output in outputs:
        assert not output.exists(), output
        assert not list(output.parent.glob(f".{output.name}.*")), "a temporary output was left behind"


def check(
    tmp_path: Path, path: Path | str, *, own_process: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`reportgen check path`: in this process, or with `own_process` in a process of its own, killed after
    `timeout` (in this process nothing could stop a hang)."""
    if own_process:
        return run_cli(tmp_path, "check", path, timeout=timeout)
    return cli_here(tmp_path, "check", path)


def build(
    tmp_path: Path, path: Path | str, out: Path, *, own_process: bool = False
) -> subprocess.CompletedProcess[str]:
    """`reportgen build path --json out --no-pdf`: in this process, or with `own_process` in its own."""
    args = ("build", path, "--as-of", "2026-11-03", "--json", out, "--no-pdf")
    return run_cli(tmp_path, *args) if own_process else cli_here(tmp_path, *args)


# --- files made at test time ---


Member = tuple[str, bytes, int, int]  # name, raw deflate data, crc32, declared uncompressed size
Zeros = tuple[bytes, int, int]  # raw deflate data, crc32, uncompressed size


def write_zip(
    path: Path, members: Sequence[Member], declared_compressed: dict[str, int] | None = None
) -> Path:
    """A zip written byte by byte, so an entry can carry pre-deflated data and whatever sizes it declares."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        stored = (declared_compressed or {}).get(name, len(data))
        # version 2.0, no flags, deflate, 1980-01-01 00:00, crc, sizes, name length, no extra field
        fields = (20, 0, 8, 0, 0x21, crc, stored, size, len(encoded), 0)
        out += struct.pack("<I5H3I2H", 0x04034B50, *fields) + encoded + data
        # made by 2.0, the same fields, no comment, disk 0, no attributes, where the local header is
        central += struct.pack("<IH5H3I2H3H2I", 0x02014B50, 20, *fields, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    path.write_bytes(bytes(out + central + end))
    return path


def member(name: str, data: bytes) -> Member:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return (name, compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data))


def members_of(xlsx: Path) -> list[Member]:
    with zipfile.ZipFile(xlsx) as archive:
        return [member(info.filename, archive.read(info)) for info in archive.infolist()]


def deflated_zeros(mib: int, *, with_crc: bool = True) -> Zeros:
    """`mib` MiB of zeros as one raw deflate stream, made in milliseconds: after a full flush the compressor
    starts afresh, so one compressed MiB repeated is a valid stream of many."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zeros = bytes(MIB)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    if with_crc:
        for _ in range(mib):
            crc = zlib.crc32(zeros, crc)
    return block * mib + compressor.flush(), crc, mib * MIB


@pytest.fixture(scope="module")
def gib_of_zeros() -> Zeros:
    """1 GiB of zeros deflated to about 1 MiB, with its true CRC (so only the guard can object to it)."""
    return deflated_zeros(1024)


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return make_workbook(tmp_path, OCTOBER, title="Northwind — marketing ops log")


def ole2(path: Path, streams: dict[str, bytes]) -> Path:
    """A minimal but well-formed OLE2 compound file (v3, 512-byte sectors) holding the given streams.

    One FAT sector, one directory sector, each stream padded to at least 4096 bytes so that no mini stream
    is needed; the directory entries hang off the root as a chain of right siblings, in CFB name order."""
    free, end, fat_sector = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
    names = sorted(streams, key=lambda name: (len(name), name.upper()))
    assert len(names) <= 3, "one directory sector holds the root and three streams"
    fat = [fat_sector, end]  # sector 0 is the FAT, sector 1 the directory
    body = b""
    placed: dict[str, tuple[int, int]] = {}
    for name in names:
        data = streams[name].ljust(max(4096, -(-len(streams[name]) // 512) * 512), b"\0")
        first = len(fat)
        count = len(data) // 512
        fat += [*range(first + 1, first + count), end]
        placed[name] = (first, len(data))
        body += data
    fat += [free] * (128 - len(fat))

    def entry(name: str, kind: int, *, child: int = free, right: int = free, start: int = end, size: int = 0):
        raw = name.encode("utf-16-le") + b"\0\0"
        return (
            raw.ljust(64, b"\0")
            + struct.pack("<HBB3I", len(raw), kind, 1, free, right, child)
            + bytes(36)
            + struct.pack("<IQ", start, size)
        )

    directory = entry("Root Entry", 5, child=1 if names else free)
    for index, name in enumerate(names):
        right = index + 2 if index + 1 < len(names) else free
        directory += entry(name, 2, right=right, start=placed[name][0], size=placed[name][1])
    directory = directory.ljust(512, b"\0")
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<9I", 0, 1, 1, 0, 4096, end, 0, end, 0)
        + struct.pack("<I", 0)
        + struct.pack("<108I", *([free] * 108))
    )
    assert len(header) == 512
    path.write_bytes(header + struct.pack("<128I", *fat) + directory + body)
    return path


# --- not a regular file, or no file at all ---


def test_missing_path_is_named(tmp_path: Path) -> None:
    path = tmp_path / "no-such-book.xlsx"
    out = tmp_path / "out.json"
    assert_refused(check(tmp_path, path), path, "no such file")
    assert_refused(build(tmp_path, path, out), path, "no such file", outputs=[out])


def test_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "book.xlsx"
    folder.mkdir()
    assert_refused(check(tmp_path, folder), folder, "this is a folder, not a workbook")


def test_pipe_is_refused_without_hanging(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this platform")
    fifo = tmp_path / "book.xlsx"
    os.mkfifo(fifo)  # nobody writes to it: opening it to read would block forever
    result = check(tmp_path, fifo, own_process=True, timeout=20)  # a hang ends at the timeout
    assert_refused(result, fifo, "not a regular file")


def test_device_is_refused(tmp_path: Path) -> None:
    if not Path("/dev/null").exists():
        pytest.skip("no /dev/null on this platform")
    assert_refused(check(tmp_path, "/dev/null", own_process=True), "/dev/null", "not a regular file")


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"")
    assert_refused(check(tmp_path, path), path, "the file is empty")


# --- not a workbook ---


def test_random_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_bytes(random.Random(20261103).randbytes(64 * 1024))
    out = tmp_path / "out.json"
    # both commands in a process of their own: a refusal is exit 1 as the OS sees it (`run`'s os._exit)
    assert_refused(check(tmp_path, path, own_process=True), path, "this file is not a workbook")
    refused = build(tmp_path, path, out, own_process=True)
    assert_refused(refused, path, "this file is not a workbook", outputs=[out])


CSV_TEXT = "Date,Channel,Activity,Cost\n" + "".join(
    f"2026-10-{day:02d},SEO,Article {day},120\n" for day in range(1, 29)
)
CSV_ZH = "日期,渠道,活动,费用\n" + "".join(
    f"2026-10-{day:02d},内容,第{day}篇增长文章（软文）,1200元\n" for day in range(1, 29)
)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("log.csv", CSV_TEXT.encode("utf-8")),
        ("log-utf8-bom.csv", CSV_ZH.encode("utf-8-sig")),
        ("log-gbk.csv", CSV_ZH.encode("gbk")),
        ("notes.txt", b"Just some notes about October.\nNothing tabular here.\n"),
        ("csv-renamed.xlsx", CSV_TEXT.encode("utf-8")),
    ],
)
def test_text_and_csv_files_are_named_as_text(tmp_path: Path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = check(tmp_path, path, own_process=name == "log-gbk.csv")  # text's end-to-end case
    assert_refused(result, path, "this is a text or CSV file", "save it as .xlsx")


def test_long_utf8_csv_cut_mid_character_is_still_text(tmp_path: Path) -> None:
    """The sniffer looks at the first 4 KiB; a multi-byte character cut at that edge is still text."""
    text = "日期,渠道,活动\n"
    while len(text.encode()) < 4000:
        text += "2026-10-05,内容,增长文章\n"
    filler = "2026-10-06,SEO,"
    text += filler + "a" * (4095 - len(text.encode()) - len(filler.encode())) + "中文标题\n"
    data = (text + "2026-10-07,活动,线下沙龙\n" * 10).encode("utf-8")
    assert data[4095:4098] == "中".encode(), "the 4 KiB edge must fall inside a character"
    path = tmp_path / "long-zh.csv"
    path.write_bytes(data)
    assert_refused(check(tmp_path, path), path, "this is a text or CSV file")


def test_utf16_text_export_is_named_as_text(tmp_path: Path) -> None:
    """Excel's and WPS's "Unicode Text" export is UTF-16 with a byte-order mark."""
    path = tmp_path / "log.txt"
    path.write_bytes(CSV_ZH.replace(",", "\t").encode("utf-16"))
    assert_refused(check(tmp_path, path), path, "this is a text or CSV file")


def test_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    assert_refused(check(tmp_path, path), path, "this zip file is not a workbook")


def test_old_office_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = ole2(tmp_path / "minutes.xls", {"WordDocument": b"\xec\xa5\xc1\x00" + bytes(4000)})
    assert_refused(check(tmp_path, path), path, "an old Office file but not a workbook")


# --- damaged ---


def test_truncated_workbook_is_refused(tmp_path: Path, workbook: Path) -> None:
    data = workbook.read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out.json"
    # a damaged .xlsx's end-to-end case: check in a process of its own
    assert_refused(check(tmp_path, path, own_process=True), path, "damaged or incomplete")
    assert_refused(build(tmp_path, path, out), path, "damaged or incomplete", outputs=[out])


def test_corrupt_workbook_is_refused(tmp_path: Path, workbook: Path) -> None:
    """Bytes flipped in the middle of the worksheet's compressed data: the archive still opens, the entry
    does not inflate to what its checksum says."""
    data = bytearray(workbook.read_bytes())
    with zipfile.ZipFile(workbook) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    name_len, extra_len = struct.unpack("<HH", data[info.header_offset + 26 : info.header_offset + 30])
    start = info.header_offset + 30 + name_len + extra_len
    middle = start + info.compress_size // 2
    for index in range(middle - 8, middle + 8):
        data[index] ^= 0xFF
    path = tmp_path / "corrupt.xlsx"
    path.write_bytes(bytes(data))
    assert_refused(check(tmp_path, path), path, "damaged or incomplete")


# --- encrypted ---

PASSWORD_WORDS = ("protected with a password", "save it without a password")


def test_encrypted_ooxml_is_named_as_encrypted(tmp_path: Path) -> None:
    """What Office writes for a password-protected .xlsx: an OLE2 file with EncryptionInfo and
    EncryptedPackage streams (here with placeholder contents)."""
    info = struct.pack("<HHI", 4, 4, 0x40) + bytes(200)  # agile encryption's version header
    path = ole2(tmp_path / "locked.xlsx", {"EncryptionInfo": info, "EncryptedPackage": bytes(8000)})
    out = tmp_path / "out.json"
    assert_refused(check(tmp_path, path), path, *PASSWORD_WORDS)
    assert_refused(build(tmp_path, path, out), path, *PASSWORD_WORDS, outputs=[out])


def test_really_encrypted_xlsx_is_named_as_encrypted(tmp_path: Path, workbook: Path) -> None:
    from msoffcrypto.format import ooxml

    path = tmp_path / "locked.xlsx"
    with workbook.open("rb") as plain, path.open("wb") as locked:
        ooxml.OOXMLFile(plain).encrypt("s3cret", locked)
    assert path.read_bytes().startswith(b"\xd0\xcf\x11\xe0")
    assert_refused(check(tmp_path, path), path, *PASSWORD_WORDS)


def test_encrypted_xls_is_named_as_encrypted(tmp_path: Path) -> None:
    """A BIFF8 workbook whose globals carry an RC4 FilePass record, as Excel writes for a password."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Activities")
    for col, header in enumerate(["Date", "Channel", "Activity"]):
        sheet.write(0, col, header)
    plain = tmp_path / "plain.xls"
    book.save(str(plain))
    data = plain.read_bytes()
    # xlwt writes InterfaceHdr (E1 00, 2 bytes) then Mms (C1 00, 2 bytes) right after the first BOF: twelve
    # bytes that become one FilePass record (2F 00, 8 bytes: RC4, version 1.1, …) of the same length.
    at = data.find(b"\xe1\x00\x02\x00\xb0\x04\xc1\x00\x02\x00\x00\x00")
    assert at > 0
    filepass = struct.pack("<HHHHHH", 0x002F, 8, 1, 1, 1, 0)
    path = tmp_path / "locked.xls"
    path.write_bytes(data[:at] + filepass + data[at + 12 :])
    # the .xls's end-to-end case: calamine opens it (its PasswordError), in a process of its own
    assert_refused(check(tmp_path, path, own_process=True), path, *PASSWORD_WORDS)


def test_encrypted_ods_is_named_as_encrypted(tmp_path: Path) -> None:
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        '<manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
        '<manifest:encryption-data manifest:checksum-type="SHA256/1K" manifest:checksum="AAAA">'
        "<manifest:algorithm manifest:algorithm-name="
        '"http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="AAAA"/>'
        '<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" '
        'manifest:iteration-count="100000" manifest:salt="AAAA"/></manifest:encryption-data>'
        "</manifest:file-entry></manifest:manifest>"
    )
    path = tmp_path / "locked.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", random.Random(5).randbytes(2048), zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    assert_refused(check(tmp_path, path, own_process=True), path, *PASSWORD_WORDS)  # the .ods's case


# --- the zip guard ---


def test_zip_bomb_is_refused_fast(tmp_path: Path, workbook: Path, gib_of_zeros: Zeros) -> None:
    """A real workbook plus one part that inflates to 1 GiB of zeros from about 1 MiB. Inflating it all takes
    seconds; the guard must stop long before that."""
    path = write_zip(tmp_path / "bomb.xlsx", [*members_of(workbook), ("xl/media/image1.png", *gib_of_zeros)])
    assert path.stat().st_size < 2 * MIB
    started = time.perf_counter()
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    elapsed = time.perf_counter() - started
    assert refused.value.code == "zip_ratio"
    assert elapsed < 1.0, f"the bomb took {elapsed:.2f} s to refuse"

    out = tmp_path / "out.json"
    words = ("xl/media/image1.png", "inflates more than 100 times", "refused as unsafe")
    assert_refused(check(tmp_path, path, own_process=True), path, *words)  # a bomb: never in this process
    assert_refused(build(tmp_path, path, out, own_process=True), path, *words, outputs=[out])


def test_bomb_inside_the_worksheet_is_refused_fast(
    tmp_path: Path, workbook: Path, gib_of_zeros: Zeros
) -> None:
    """The worksheet part itself is the bomb: the extent scan that runs on it must not slow the refusal."""
    members = [member for member in members_of(workbook) if member[0] != "xl/worksheets/sheet1.xml"]
    path = write_zip(tmp_path / "bomb.xlsx", [*members, ("xl/worksheets/sheet1.xml", *gib_of_zeros)])
    started = time.perf_counter()
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    elapsed = time.perf_counter() - started
    assert refused.value.code == "zip_ratio"
    assert elapsed < 1.0, f"the bomb took {elapsed:.2f} s to refuse"


def test_bigger_bomb_is_refused_fast(tmp_path: Path, workbook: Path) -> None:
    """4 GiB of zeros from 4 MiB: 100 times the declared compressed size is past the total limit, so a
    guard that only compares with the entry's declared size inflates 400 MB before it says no."""
    zeros = deflated_zeros(4095, with_crc=False)  # the guard must stop long before a checksum is reached
    path = write_zip(tmp_path / "bomb.xlsx", [*members_of(workbook), ("xl/media/image1.png", *zeros)])
    started = time.perf_counter()
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    elapsed = time.perf_counter() - started
    assert refused.value.code in ("zip_ratio", "zip_total")
    assert elapsed < 1.0, f"the bomb took {elapsed:.2f} s to refuse"


@pytest.mark.parametrize("lie", ["small uncompressed size", "huge compressed size"])
def test_declared_sizes_are_not_trusted(
    tmp_path: Path, workbook: Path, gib_of_zeros: Zeros, lie: str
) -> None:
    """A bomb whose headers lie: 1 KiB declared for 1 GiB of output, or a compressed size of 50 MiB that
    would make 1 GiB look like 20:1."""
    data, crc, size = gib_of_zeros
    name = "xl/media/image1.png"
    if lie == "small uncompressed size":
        path = write_zip(tmp_path / "bomb.xlsx", [*members_of(workbook), (name, data, crc, 1024)])
    else:
        path = write_zip(
            tmp_path / "bomb.xlsx", [*members_of(workbook), (name, data, crc, size)], {name: 50 * MIB}
        )
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(name)
    assert info.file_size < 100 * info.compress_size, "by its declared sizes alone the entry looks harmless"
    started = time.perf_counter()
    with pytest.raises(InputError) as refused:
        read_workbook(path)
    elapsed = time.perf_counter() - started
    assert refused.value.code in ("zip_ratio", "corrupt", "zip_overlap")
    assert elapsed < 1.0, f"the bomb took {elapsed:.2f} s to refuse"


def test_ods_mimetype_bomb_is_refused_fast(tmp_path: Path, gib_of_zeros: Zeros) -> None:
    """The first thing read to tell an .ods is its mimetype entry: reading it must not inflate it whole."""
    content = b'<?xml version="1.0"?><office:document-content/>'
    path = write_zip(
        tmp_path / "bomb.ods",
        [("mimetype", *gib_of_zeros), member("content.xml", content)],
    )
    started = time.perf_counter()
    with pytest.raises(InputError):
        read_workbook(path)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"the bomb took {elapsed:.2f} s to refuse"


def test_total_inflated_size_is_limited(tmp_path: Path, workbook: Path) -> None:
    """Every part inflates modestly (random bytes do not compress), but together they pass the total."""
    path = tmp_path / "big.xlsx"
    noise = random.Random(1).randbytes(2 * MIB)
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        target.writestr("xl/media/image1.png", noise, zipfile.ZIP_STORED)
    assert read_workbook(path).activities.name == "Activities", "within the default limits it reads"
    with pytest.raises(InputError) as refused:
        read_workbook(path, ReadLimits(max_total_bytes=MIB))
    assert refused.value.code == "zip_total"
    assert "more than 1 MB" in refused.value.message()
    assert str(path) in refused.value.message()


def test_too_many_entries_are_refused_before_zipfile_reads_them(tmp_path: Path, workbook: Path) -> None:
    """60,001 parts: refused from the end-of-directory record, before zipfile builds an object per entry."""
    path = write_zip(
        tmp_path / "many.xlsx",
        [*members_of(workbook), *(member(f"customXml/item{index}.xml", b"<x/>") for index in range(60_000))],
    )
    count = len(members_of(workbook)) + 60_000
    assert_refused(
        check(tmp_path, path, own_process=True), path, f"holds {count} parts", "more than the 60000", "unsafe"
    )
    with pytest.raises(InputError) as refused:
        read_workbook(path, ReadLimits(max_entries=100))
    assert refused.value.code == "zip_entries" and refused.value.params["count"] == count


def test_overlapping_entries_are_refused(tmp_path: Path, workbook: Path) -> None:
    """A non-recursive zip bomb's trick: many directory entries inflating one shared kernel. Each alone passes
    the ratio; together they would inflate the kernel once per entry."""
    kernel = member("xl/media/image1.png", bytes(30 * MIB))
    path = write_zip(tmp_path / "overlap.xlsx", [*members_of(workbook), kernel])
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    entries, size, offset = struct.unpack_from("<HII", data, end + 10)
    last = data.rfind(b"PK\x01\x02", offset, end)  # the kernel's directory record
    record = bytes(data[last:end])
    copies = [record.replace(b"image1.png", f"image{index:01d}.png".encode()) for index in range(2, 10)]
    extra = b"".join(copies)
    trailer = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, entries + 8, entries + 8, size + len(extra), offset, 0
    )
    path.write_bytes(bytes(data[:end]) + extra + trailer)
    with zipfile.ZipFile(path) as archive:
        assert len({info.header_offset for info in archive.infolist()}) == entries, (
            "the copies share one kernel"
        )
    words = ("overlap", "xl/media/image", "refused as unsafe")
    assert_refused(check(tmp_path, path, own_process=True), path, *words)  # inflation: its own process


def test_duplicate_entry_names_are_refused(tmp_path: Path, workbook: Path) -> None:
    path = tmp_path / "dup.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
        with pytest.warns(UserWarning, match="Duplicate name"):
            target.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    assert_refused(check(tmp_path, path), path, "holds the part xl/worksheets/sheet1.xml twice", "unsafe")


# --- sheets ---


def test_row_limit_from_config_names_limit_and_count(tmp_path: Path) -> None:
    rows = [
        [dt.date(2026, 10, 1 + index % 28), "SEO", f"Article {index}", "Ann", "", "done", None, None, 10, 1]
        for index in range(120)
    ]
    path = make_workbook(tmp_path, rows)
    (tmp_path / "reportgen.toml").write_text("[limits]\nmax_rows = 100\n", encoding="utf-8")
    result = check(tmp_path, path)
    assert_refused(result, path, "sheet Activities", "more than the limit of 100")
    assert "has 120 rows" in result.stderr or "has 121 rows" in result.stderr, result.stderr


def test_row_limit_is_not_hit_below_it(tmp_path: Path) -> None:
    """The control for the test above: the same config accepts a sheet within the limit."""
    path = make_workbook(tmp_path, OCTOBER * 4)
    (tmp_path / "reportgen.toml").write_text("[limits]\nmax_rows = 100\n", encoding="utf-8")
    result = check(tmp_path, path)
    assert result.returncode == 0, result.stderr
    assert "Activities: 20;" in result.stdout


MEASURED = """
import re, sys
from pathlib import Path
from reportgen.apps.cli import main
code = main(sys.argv[1:])
# VmHWM: the peak resident size of this process image (getrusage's ru_maxrss would also count the pytest
# process this one was forked from, since Linux keeps it across exec)
peak = re.search(r"VmHWM:\\s*(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
sys.stderr.write(f"\\npeak-rss-kib={peak}\\n")
raise SystemExit(code)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="peak memory is read from Linux's /proc")
def test_stray_far_cell_is_ignored_without_allocating_the_gap(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, OCTOBER)
    book = openpyxl.load_workbook(path)
    book["Activities"]["XFD1048576"] = "stray"
    book.save(path)
    out = tmp_path / "out.json"

    result = run_cli(tmp_path, "check", path, "--json", "--as-of", "2026-11-03", python=("-c", MEASURED))
    assert "Traceback" not in result.stderr
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    peak_mib = int(result.stderr.rsplit("peak-rss-kib=", 1)[1]) / 1024
    assert peak_mib < 300, f"reading a 5-row sheet peaked at {peak_mib:.0f} MiB"
    findings = json.loads(result.stdout)["findings"]
    stray = [finding for finding in findings if finding["cell"] == "XFD1048576"]
    assert stray and stray[0]["severity"] == "warning" and stray[0]["sheet"] == "Activities", findings
    assert "XFD1048576" in stray[0]["message"]

    result = build(tmp_path, path, out, own_process=True)  # what reading the gap would cost: not this process
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text("utf-8"))
    assert figures["totals"]["activities"] == len(OCTOBER)
    assert figures["totals"]["cost"] == 100 * len(OCTOBER)


@pytest.mark.skipif(sys.platform != "linux", reason="peak memory is read from Linux's /proc")
def test_declared_dimension_is_not_trusted(tmp_path: Path, workbook: Path) -> None:
    """The sheet's <dimension> says A1:XFD1048576 (seventeen billion cells); its cells are a few rows."""
    path = tmp_path / "lying.xlsx"
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
                assert count == 1
            target.writestr(info.filename, data)
    result = run_cli(tmp_path, "check", path, "--as-of", "2026-11-03", python=("-c", MEASURED))
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert f"Activities: {len(OCTOBER)};" in result.stdout
    peak_mib = int(result.stderr.rsplit("peak-rss-kib=", 1)[1]) / 1024
    assert peak_mib < 300, f"reading a 5-row sheet peaked at {peak_mib:.0f} MiB"


# --- the same data in every format: a stray far cell, '\' names, repetitive text (issue 19, gaps 2 and 6) ---


def figures_of(tmp_path: Path, path: Path) -> JsonDocument:
    """`build --json --no-pdf`'s figures, without the workbook's own name; in a process of its own (stray far
    cells, 10,000 sheets, a 50 MB cell: what a reader that regressed would cost is not this process's)."""
    out = tmp_path / f"{path.name}.json"
    result = build(tmp_path, path, out, own_process=True)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    figures = json.loads(out.read_text("utf-8"))
    figures.pop("workbook")
    return figures


def measured_check(tmp_path: Path, path: Path) -> tuple[JsonDocument, float]:
    """`check --json` in a process that reports its peak memory: its document (without the workbook's name)
    and the peak in MiB."""
    result = run_cli(tmp_path, "check", path, "--json", "--as-of", "2026-11-03", python=("-c", MEASURED))
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    found = json.loads(result.stdout)
    found.pop("workbook")
    return found, int(result.stderr.rsplit("peak-rss-kib=", 1)[1]) / 1024


def xlsx_with(tmp_path: Path, cells: dict[str, object], name: str = "book.xlsx") -> Path:
    path = make_workbook(tmp_path, OCTOBER, name=name)
    book = openpyxl.load_workbook(path)
    for address, value in cells.items():
        book["Activities"][address] = value
    book.save(path)
    return path


def xlwt_copy(path: Path, rows: Sequence[Sequence[object]], extra: dict[tuple[int, int], object]) -> Path:
    """The rows (and cells at 0-based positions) written by xlwt, as old Excel saves an .xls."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    sheet = book.add_sheet("Activities")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    for (r, c), value in extra.items():
        sheet.write(r, c, value)
    book.save(str(path))
    return path


@pytest.mark.skipif(sys.platform != "linux", reason="peak memory is read from Linux's /proc")
@pytest.mark.parametrize(
    ("maker", "far"),
    [
        ("xlwt .xls", "IV65536"),
        ("LibreOffice .xls", "IV65536"),
        ("LibreOffice .ods", "IV65536"),
        ("LibreOffice .ods", "XFD1048576"),
    ],
)
def test_stray_far_cell_in_xls_and_ods_reads_like_the_xlsx(tmp_path: Path, maker: str, far: str) -> None:
    """One stray cell far from five rows cost about 1.2 GB as .xls or .ods (XFD1048576 in an .ods was refused
    as damaged): now the used range is what is read, in the memory the .xlsx needs, with the same review."""
    twin = xlsx_with(tmp_path, {far: "stray"})
    if maker == "xlwt .xls":
        letters = far.rstrip("0123456789")
        position = (int(far[len(letters) :]) - 1, openpyxl.utils.column_index_from_string(letters) - 1)
        path = xlwt_copy(tmp_path / "book.xls", [EN_HEADERS, *OCTOBER], {position: "stray"})
    else:
        path = libreoffice_convert(twin, maker.rsplit(".", 1)[1], tmp_path / "converted")

    expected, _ = measured_check(tmp_path, twin)
    found, peak_mib = measured_check(tmp_path, path)
    assert found == expected
    stray = [finding for finding in found["findings"] if finding["cell"] == far]
    assert [(item["sheet"], item["severity"]) for item in stray] == [("Activities", "warning")]
    assert peak_mib < 300, f"reading a 5-row {maker} peaked at {peak_mib:.0f} MiB"
    assert figures_of(tmp_path, path) == figures_of(tmp_path, twin)


def test_xls_whose_dimensions_record_lies_reads_like_the_xlsx(tmp_path: Path) -> None:
    """DIMENSIONS declaring 4 billion rows made calamine reserve room for them and abort the process."""
    path = xlwt_copy(tmp_path / "book.xls", [EN_HEADERS, *OCTOBER], {})
    data = bytearray(path.read_bytes())
    at = data.find(struct.pack("<HH", 0x0200, 14))
    assert at > 0, "xlwt writes a 14-byte DIMENSIONS record"
    data[at + 4 : at + 16] = struct.pack("<IIHH", 0, 0xFFFFFFF0, 0, 256)
    path.write_bytes(bytes(data))
    assert figures_of(tmp_path, path) == figures_of(tmp_path, make_workbook(tmp_path, OCTOBER))


@pytest.mark.parametrize("stray", [False, True])
def test_xlsx_with_backslash_names_reads_like_the_normal_one(tmp_path: Path, stray: bool) -> None:
    r"""`xl\worksheets\sheet1.xml`, as some exporters write it (Excel and calamine read it). With a stray cell
    the data block is read by openpyxl, which needs the names as zipfile knows them."""
    normal = xlsx_with(tmp_path, {"XFD1048576": "stray"} if stray else {})
    path = tmp_path / "exported.xlsx"
    with zipfile.ZipFile(normal) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename.replace("/", "\\"), source.read(info))
    with zipfile.ZipFile(path) as archive:
        assert "xl\\worksheets\\sheet1.xml" in archive.namelist()
    assert figures_of(tmp_path, path) == figures_of(tmp_path, normal)
    checked = [run_cli(tmp_path, "check", book, "--json", "--as-of", "2026-11-03") for book in (path, normal)]
    assert [result.returncode for result in checked] == [0, 0], checked[0].stderr
    exported, expected = (json.loads(result.stdout) for result in checked)
    assert exported["findings"] == expected["findings"] and exported["counts"] == expected["counts"]


def test_sheet_of_repeated_text_that_compresses_past_100_to_1_builds(tmp_path: Path) -> None:
    """A 2 MB sheet of the same long text in every row inflates more than 100 times its stored size, like a
    zip bomb's ratio; below the 32 MiB grace the ratio is not held against it."""
    text = "Weekly community Q&A, same agenda and the same answers as last week. " * 100
    rows = [[dt.date(2026, 10, 5), "Community", text, "Ann", "", "done", None, None, 10, 1]] * 250
    path = write_parts(tmp_path / "qa.xlsx", xlsx_parts([("Activities", [EN_HEADERS, *rows])]))
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    assert info.file_size > 1.5 * MIB and info.file_size > 100 * info.compress_size
    figures = figures_of(tmp_path, path)
    assert figures["totals"]["activities"] == 250
    assert figures["totals"]["cost"] == 2500


# --- hostile input: each gets a clear error or a correct review (issue 19, gap 11) ---


LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
)


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "[Content_Types].xml"])
def test_billion_laughs_in_an_xlsx_part_is_refused(tmp_path: Path, part: str) -> None:
    parts = xlsx_parts([("Activities", [EN_HEADERS, *OCTOBER])])
    text = parts[part].decode().replace("?>", "?>" + LAUGHS, 1)
    parts[part] = text.replace("SEO task 1", "&lol9;").encode()
    path = write_parts(tmp_path / "laughs.xlsx", parts)
    out = tmp_path / "out.json"
    words = (part, "declares its own XML entities", "refused as unsafe")
    # entity expansion: in a process of its own, which a guard that regressed would exhaust, not this one
    assert_refused(check(tmp_path, path, own_process=True, timeout=30), path, *words)
    assert_refused(build(tmp_path, path, out, own_process=True), path, *words, outputs=[out])


def test_billion_laughs_in_an_ods_is_refused(tmp_path: Path) -> None:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?>{LAUGHS}'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>'
        '<table:table table:name="Activities"><table:table-row><table:table-cell office:value-type="string">'
        "<text:p>&lol9;</text:p></table:table-cell></table:table-row></table:table>"
        "</office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "laughs.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    result = check(tmp_path, path, own_process=True, timeout=30)
    assert_refused(result, path, "content.xml", "declares its own XML entities")


def test_workbook_of_10000_sheets_gets_its_review(tmp_path: Path) -> None:
    """Ten thousand sheets (the activity sheet in the middle, found by its name) read like the one sheet."""
    sheets: list[tuple[str, Sequence[Sequence[object]]]] = [
        (f"Week {index}", [["Notes"], [f"week {index}"]]) for index in range(1, 10_000)
    ]
    sheets.insert(5_000, ("Activities", [EN_HEADERS, *OCTOBER]))
    path = write_parts(tmp_path / "weeks.xlsx", xlsx_parts(sheets))
    single = write_parts(tmp_path / "single.xlsx", xlsx_parts([("Activities", [EN_HEADERS, *OCTOBER])]))
    assert figures_of(tmp_path, path) == figures_of(tmp_path, single)


@pytest.mark.skipif(sys.platform != "linux", reason="peak memory is read from Linux's /proc")
def test_cell_of_50_mb_is_cut_to_what_excel_holds(tmp_path: Path) -> None:
    """50 MB of text in one cell (varied words: it compresses like prose). Excel holds 32,767 characters in a
    cell; the rest is left out and the cell named, and the review is the one of the same rows."""
    words = [
        f"{word}{number}" for word in ("growth", "webinar", "launch", "partner") for number in range(250)
    ]
    pick = random.Random(19).choice
    text = " ".join(pick(words) for _ in range(6_000_000))[: 50 * MIB]
    rows = [list(row) for row in OCTOBER]
    rows[1][2] = text
    path = write_parts(tmp_path / "long.xlsx", xlsx_parts([("Activities", [EN_HEADERS, *rows])]))
    found, peak_mib = measured_check(tmp_path, path)
    long = [finding for finding in found["findings"] if finding["cell"] == "C3"]
    assert [(item["sheet"], item["severity"]) for item in long] == [("Activities", "warning")]
    assert "52,428,800 characters" in long[0]["message"] and "32,767" in long[0]["message"]
    assert peak_mib < 600, f"a 50 MB cell peaked at {peak_mib:.0f} MiB"
    figures = figures_of(tmp_path, path)
    plain = figures_of(
        tmp_path, write_parts(tmp_path / "plain.xlsx", xlsx_parts([("Activities", [EN_HEADERS, *OCTOBER])]))
    )
    assert figures["totals"] == plain["totals"]


def test_cell_of_50_mb_of_one_repeated_phrase_is_refused_as_a_bomb(tmp_path: Path) -> None:
    """The same 50 MB made of one phrase repeated inflates about 400 times its stored size past the 32 MiB
    grace: that is a zip bomb's shape, and it is refused as one, the part named."""
    rows = [list(row) for row in OCTOBER]
    rows[1][2] = ("Weekly community Q&A " * 2_600_000)[: 50 * MIB]
    path = write_parts(tmp_path / "long.xlsx", xlsx_parts([("Activities", [EN_HEADERS, *rows])]))
    words = ("xl/worksheets/sheet1.xml", "inflates more than 100 times", "refused as unsafe")
    assert_refused(check(tmp_path, path, own_process=True, timeout=60), path, *words)  # 50 MB inflated


def test_formulas_that_read_another_workbook_use_the_saved_values(tmp_path: Path) -> None:
    """Cost cells computed from Budget.xlsx: the values Excel saved are read, the cell and file are named,
    and the other workbook is never opened (it does not exist here)."""
    rows: list[list[object]] = [list(row) for row in OCTOBER]
    rows[0][8] = Formula("[1]Budget!B2", 100)
    rows[3][8] = Formula("'[1]Budget 2026'!B5", 100)
    parts = xlsx_parts([("Activities", [EN_HEADERS, *rows])])
    parts["xl/externalLinks/externalLink1.xml"] = (
        f'<?xml version="1.0"?><externalLink xmlns="{MAIN_NS}"><externalBook xmlns:r="{REL_NS}" r:id="rId1"/>'
        "</externalLink>"
    ).encode()
    parts["xl/externalLinks/_rels/externalLink1.xml.rels"] = (
        f'<?xml version="1.0"?><Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" '
        f'Type="{REL_NS}/externalLinkPath" Target="file:///C:\\Finance\\Budget.xlsx" TargetMode="External"/>'
        "</Relationships>"
    ).encode()
    path = write_parts(tmp_path / "linked.xlsx", parts)
    plain = write_parts(tmp_path / "plain.xlsx", xlsx_parts([("Activities", [EN_HEADERS, *OCTOBER])]))
    figures = figures_of(tmp_path, path)
    expected = figures_of(tmp_path, plain)
    assert figures["totals"] == expected["totals"] and figures["totals"]["cost"] == 500
    linked = [finding for finding in figures["findings"] if finding["code"] == "external_formulas"]
    assert [(item["sheet"], item["cell"], item["severity"]) for item in linked] == [
        ("Activities", "I2", "warning")
    ]
    assert "2 cells" in linked[0]["message"] and "Budget.xlsx" in linked[0]["message"]


def test_macro_enabled_workbook_gets_its_review_and_its_macros_are_not_run(tmp_path: Path) -> None:
    parts = xlsx_parts([("Activities", [EN_HEADERS, *OCTOBER])], macros=True)
    parts["xl/vbaProject.bin"] = ole2(
        tmp_path / "vba.bin", {"VBA": b"Sub Auto_Open()\r\nEnd Sub\r\n"}
    ).read_bytes()
    path = write_parts(tmp_path / "macros.xlsm", parts)
    plain = write_parts(tmp_path / "plain.xlsx", xlsx_parts([("Activities", [EN_HEADERS, *OCTOBER])]))
    figures = figures_of(tmp_path, path)
    notes = [finding for finding in figures.pop("findings") if finding["code"] == "macros_ignored"]
    assert len(notes) == 1 and notes[0]["severity"] == "info" and "never runs them" in notes[0]["message"]
    expected = figures_of(tmp_path, plain)
    expected.pop("findings")
    for document in (figures, expected):  # the note is the one finding more: the quality claim counts it
        document["claims"] = [claim for claim in document["claims"] if claim["code"] != "quality"]
    assert figures == expected


def test_no_activity_sheet_is_named(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    goals = book.active
    assert goals is not None
    goals.title = "Goals"
    goals.append(["ID", "Name", "Metric", "Target"])
    old = book.create_sheet("Archive")
    old.append(["Date", "Channel", "Activity"])
    old.sheet_state = "hidden"
    path = tmp_path / "book.xlsx"
    book.save(path)
    assert_refused(check(tmp_path, path), path, "no sheet named Activities or 活动", "Goals, Archive")


def test_missing_required_column_names_sheet_and_cell(tmp_path: Path) -> None:
    headers = ["Date", "Owner", "Activity", "Status"]
    rows = [[dt.date(2026, 10, 5), "Ann", "Post", "done"]]
    path = make_workbook(tmp_path, rows, headers, sheet="活动", title="Team log")
    out = tmp_path / "out.json"
    words = ("sheet 活动", "cell A3", "no column for Channel / 渠道")
    assert_refused(check(tmp_path, path), path, *words)
    assert_refused(build(tmp_path, path, out), path, *words, outputs=[out])


def test_sheet_without_header_row_is_named(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, [["just", "some", "words"]] * 3, ["Notes", "More", "Text"])
    words = ("sheet Activities", "no header row found", "Date / 日期, Channel / 渠道, Activity / 活动")
    assert_refused(check(tmp_path, path), path, *words)


def test_empty_activity_sheet_is_named(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    path = tmp_path / "book.xlsx"
    book.save(path)
    assert_refused(check(tmp_path, path), path, "sheet Activities", "the activity sheet is empty")


def test_header_without_rows_is_named_as_such(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, [[], ["Total", None, None, None, None, None, None, None, 0, 0]])
    out = tmp_path / "out.json"
    words = ("sheet Activities", "has a header row but no activity under it")
    result = build(tmp_path, path, out)
    assert_refused(result, path, *words, outputs=[out])
    assert "see the findings above" not in result.stderr


def test_every_row_rejected_names_the_first_cells(tmp_path: Path) -> None:
    rows = [["someday", "SEO", f"Task {index}", "Ann", "", "done", None, None, 1, 1] for index in range(7)]
    path = make_workbook(tmp_path, rows)
    words = (
        "sheet Activities",
        "no row of the activity sheet could be used",
        "(first: A2, A3, A4, A5, A6, …)",
    )
    assert_refused(check(tmp_path, path), path, *words)


def test_error_on_a_chinese_sheet_carries_its_language(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path, [["某天", "SEO", "任务", "张三"]], ["日期", "渠道", "活动", "负责人"], sheet="活动"
    )
    result = check(tmp_path, path)
    assert_refused(result, path)
    assert "工作表 活动" in result.stderr or "sheet 活动" in result.stderr


def test_error_on_a_chinese_sheet_is_told_in_chinese(tmp_path: Path) -> None:
    path = make_workbook(
        tmp_path, [["某天", "SEO", "任务", "张三"]], ["日期", "渠道", "活动", "负责人"], sheet="活动"
    )
    result = check(tmp_path, path)
    assert_refused(result, path, "，工作表 活动：活动表中没有一行可用")
    english = cli_here(tmp_path, "check", path, "--lang", "en")
    assert_refused(english, path, ", sheet 活动: no row of the activity sheet could be used")


def test_unusable_optional_sheets_do_not_stop_the_review(tmp_path: Path) -> None:
    path = make_workbook(tmp_path, OCTOBER, goals=[], goal_headers=())
    book = openpyxl.load_workbook(path)
    book.create_sheet("Rules").append(["a note, not a header"])
    book.save(path)
    out = tmp_path / "out.json"
    result = build(tmp_path, path, out, own_process=True)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text("utf-8"))
    assert figures["totals"]["activities"] == len(OCTOBER) and figures["goals"] == []
    sheet_errors = {(f["sheet"], f["code"]) for f in figures["findings"] if f["severity"] == "error"}
    assert sheet_errors == {("Goals", "sheet_empty"), ("Rules", "sheet_no_header")}


# --- config and command line ---


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[channels]\ncompounding = 5\n", "'channels.compounding' is 5"),
        ('[channels]\ncompounding = "seo"\n', "'channels.compounding' is \"seo\""),
        ('[[rules]]\nkeyword = ["a", "b"]\ngoal = "G1"\n', "'rules[1].keyword'"),
        ('[[rules]]\nname = 3\nchannel = "seo"\ngoal = "G1"\n', "'rules[1].name' is 3"),
    ],
)
def test_config_value_of_the_wrong_type_is_named(tmp_path: Path, workbook: Path, text: str, key: str) -> None:
    config = tmp_path / "reportgen.toml"
    config.write_text(text, encoding="utf-8")
    assert_refused(check(tmp_path, workbook), config, key, "expected")


def test_invalid_toml_config_is_named(tmp_path: Path, workbook: Path) -> None:
    config = tmp_path / "reportgen.toml"
    config.write_text('team = "Northwind\n[limits\n', encoding="utf-8")
    assert_refused(check(tmp_path, workbook), config, "not valid TOML", "line 1")


def test_unknown_config_key_is_named(tmp_path: Path, workbook: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('team = "Northwind"\ncurrenncy = "¥"\n', encoding="utf-8")
    result = cli_here(tmp_path, "check", workbook, "--config", config)
    assert_refused(result, config, "unknown key 'currenncy'", "currency")


def test_bad_month_is_a_usage_error(tmp_path: Path, workbook: Path) -> None:
    out = tmp_path / "out.json"
    result = cli_here(tmp_path, "build", workbook, "--month", "2026-13", "--json", out)
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    assert "--month must look like 2026-10" in result.stderr and "2026-13" in result.stderr
    assert not out.exists()


def test_output_in_missing_folder_is_refused(tmp_path: Path, workbook: Path) -> None:
    out = tmp_path / "missing" / "out.json"
    result = build(tmp_path, workbook, out)
    assert_refused(result, out, "the output cannot be written")
    assert not out.parent.exists()
