"""A role granted by a workbook's name covers the team that name belonged to first, never a team whose copy
someone later builds under it (docs/department.md, Accounts and roles): through `reportgen serve` with
accounts, a lead of `harbor` (Harbor's workbook) is refused Northwind's page, PDF and Approve after a head
builds a renamed copy of Northwind's workbook as harbor.xlsx; a workbook legitimately renamed keeps its
team's lead."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reportgen.apps.serve.app import ServeOptions, Server
from reportgen.archive.accounts import Accounts, Grant, Role
from reportgen.archive.records import BuildRecord
from reportgen.archive.store import Archive, open_archive
from reportgen.base.config import ArchiveSettings, ServeSettings, load_config
from tests.e2e.webserver import SAMPLES

AS_OF = dt.date(2026, 11, 3)
BASE = "http://127.0.0.1:8000"
MONTH = "2026-10"
NORTHWIND = "Northwind Growth Team"
DAY = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
PASSWORD = "harbor lead password"


def record(archive: Archive, team: str, workbook: str, at: dt.datetime) -> int:
    archive.clock = lambda: at
    digest = hashlib.sha256(f"{team}{workbook}{at}".encode()).hexdigest()
    pdf = b"%PDF-1.7 fake\n" + digest.encode()
    recorded = archive.record_build(
        BuildRecord(
            team=team, month=MONTH, lang="en", as_of=AS_OF, workbook_name=workbook, workbook_sha256=digest,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(), pdf_path=Path(f"/reviews/{digest[:8]}.pdf"),
            kpis={}, figures=b"{}", errors=0, pdf=pdf,
        )
    )  # fmt: skip
    return recorded.build_id


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[TestClient, int]]:
    """Northwind (northwind.xlsx, later renamed northwind-en.xlsx) and Harbor (harbor.xlsx) each built; then
    a head builds a copy of Northwind's workbook saved as harbor.xlsx, and Northwind's draft waits."""
    url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    archive = open_archive(ArchiveSettings(url=url))
    try:
        record(archive, NORTHWIND, "northwind.xlsx", DAY - dt.timedelta(days=40))
        record(archive, "Harbor", "harbor.xlsx", DAY - dt.timedelta(days=35))
        record(archive, NORTHWIND, "northwind-en.xlsx", DAY - dt.timedelta(days=5))  # renamed
        copy = record(archive, NORTHWIND, "harbor.xlsx", DAY)  # the renamed copy
        pdf = archive.pdf_of(copy)
        archive.request_approval(
            copy, NORTHWIND, "northwind-en", MONTH, hashlib.sha256(pdf.data).hexdigest(), pdf.pdf_path, "head"
        )
        accounts = Accounts(archive)
        accounts.add("chen", PASSWORD, [Grant("harbor", Role.LEAD)])
        accounts.add("wu", PASSWORD, [Grant("northwind", Role.LEAD)])
    finally:
        archive.close()
    config = load_config(SAMPLES / "reportgen.toml")
    config = dataclasses.replace(
        config, archive=ArchiveSettings(url=url), serve=ServeSettings(auth="accounts")
    )
    server = Server(ServeOptions(as_of=AS_OF), config)
    with TestClient(server.app(), base_url=BASE) as client:
        yield client, copy


def sign_in(client: TestClient, name: str) -> None:
    page = client.get("/signin")
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found, page.text
    answer = client.post(
        "/signin",
        data={"name": name, "password": PASSWORD, "token": found.group(1), "next": "/"},
        headers={"Origin": BASE},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def team_token(client: TestClient, name: str) -> str:
    page = client.get("/team", params={"name": name})
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def test_a_renamed_copy_does_not_give_the_lead_of_its_file_name_another_team(
    seeded: tuple[TestClient, int],
) -> None:
    client, copy = seeded
    sign_in(client, "chen")  # lead:harbor, Harbor's workbook
    assert client.get("/team", params={"name": "Harbor"}).status_code == 200
    home = client.get("/", params={"month": MONTH})
    assert home.status_code == 200 and "Harbor" in home.text and NORTHWIND not in home.text
    assert client.get("/team", params={"name": NORTHWIND}).status_code == 403
    assert client.get("/team", params={"name": "northwind-en"}).status_code == 403
    pdf = client.get("/team/pdf", params={"name": NORTHWIND, "build": str(copy)})
    assert pdf.status_code == 403
    token = team_token(client, "Harbor")
    approve = client.post(
        "/team/approve",
        data={"team": NORTHWIND, "month": MONTH, "token": token},
        headers={"Origin": BASE},
        follow_redirects=False,
    )
    assert approve.status_code == 403


def test_a_workbook_renamed_keeps_its_lead(seeded: tuple[TestClient, int]) -> None:
    client, _ = seeded
    sign_in(client, "wu")  # lead:northwind, the name Northwind's workbook had first
    assert client.get("/team", params={"name": NORTHWIND}).status_code == 200
    assert client.get("/team", params={"name": "Harbor"}).status_code == 403
