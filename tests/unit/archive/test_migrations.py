"""Alembic's migrations on both back ends: up from an empty database, up from the first schema, down one step
and up again; the head is the revision the code expects, and the tables the migrations make are the tables
the code reads and writes (autogenerate finds nothing to do)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from reportgen.archive import store
from reportgen.archive.schema import KNOWN_REVISIONS, SCHEMA_REVISION, metadata
from reportgen.base.config import ArchiveSettings
from tests.servers import PostgresCluster

FIRST = KNOWN_REVISIONS[0]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'archive.sqlite3'}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres")
        url = cluster.new_database()
    made = store._engine(sa.make_url(url), url)
    request.addfinalizer(made.dispose)
    return made


def revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def tables(engine: sa.Engine) -> set[str]:
    with engine.connect() as connection:
        return set(sa.inspect(connection).get_table_names()) - {"alembic_version"}


def test_the_code_expects_alembics_head_and_knows_every_revision(engine: sa.Engine) -> None:
    with engine.connect() as connection:
        scripts = ScriptDirectory.from_config(store.alembic_config(connection))
    assert scripts.get_current_head() == SCHEMA_REVISION
    assert [script.revision for script in reversed(list(scripts.walk_revisions()))] == list(KNOWN_REVISIONS)


def test_upgrade_from_an_empty_database_makes_the_tables_the_code_uses(engine: sa.Engine) -> None:
    store.upgrade(engine, "test")
    assert revision(engine) == SCHEMA_REVISION
    assert tables(engine) == set(metadata.tables)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_upgrade_from_the_first_schema_and_downgrade_one_step(engine: sa.Engine) -> None:
    store.upgrade(engine, "test", FIRST)
    assert revision(engine) == FIRST
    store.upgrade(engine, "test")
    assert revision(engine) == SCHEMA_REVISION
    store.downgrade(engine, "test", "-1")
    below = KNOWN_REVISIONS[KNOWN_REVISIONS.index(SCHEMA_REVISION) - 1] if len(KNOWN_REVISIONS) > 1 else None
    assert revision(engine) == below
    if below is None:
        assert tables(engine) == set()
    store.upgrade(engine, "test")
    assert revision(engine) == SCHEMA_REVISION


def test_opening_an_archive_at_an_older_revision_migrates_it(engine: sa.Engine, tmp_path: Path) -> None:
    store.upgrade(engine, "test", FIRST)
    url = engine.url.render_as_string(hide_password=False)
    store.open_archive(ArchiveSettings(url=url)).close()
    assert revision(engine) == SCHEMA_REVISION


def test_the_delivery_ledger_keeps_todays_mail_rows_and_claims_per_target_kind(engine: sa.Engine) -> None:
    """0003: every delivery recorded before is a mail; an address is claimed once per PDF and target kind, so
    a chat endpoint and a mail address never stand in each other's way, and a mail is still once only."""
    store.upgrade(engine, "test", "0002")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO sends (id, pdf_sha256, pdf_name, recipients, result, started_at) "
                "VALUES (1, 'abc', 'r.pdf', '[]', 'sent', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO deliveries (send_id, pdf_sha256, address, state, updated_at) "
                "VALUES (1, 'abc', 'boss@example.com', 'accepted', CURRENT_TIMESTAMP)"
            )
        )
    store.upgrade(engine, "test")
    with engine.begin() as connection:
        assert connection.execute(sa.text("SELECT target FROM deliveries")).scalars().all() == ["mail"]
        insert = sa.text(
            "INSERT INTO deliveries (send_id, pdf_sha256, target, address, state, updated_at) "
            "VALUES (1, 'abc', :target, 'boss@example.com', 'claimed', CURRENT_TIMESTAMP)"
        )
        connection.execute(insert, {"target": "feishu"})  # another kind: its own claim
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"target": "mail"})  # the same mail again: the guard refuses
    store.downgrade(engine, "test", "0002")  # down again: the mail row stays, the other kind's goes
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT address FROM deliveries")).scalars().all() == [
            "boss@example.com"
        ]


def test_drafts_recorded_before_0004_are_the_approvers_and_the_rest_managements(engine: sa.Engine) -> None:
    """0004: a send of a draft's PDF to its approver alone, or of a run's error draft to the one address the
    run names, was a draft; every other send was management's review."""
    store.upgrade(engine, "test", "0003")
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO reviews (id, team, month, version, workbook_name, workbook_sha256, created_at) "
            f"VALUES (1, 'T', '2026-10', 1, 'w.xlsx', 'w', {now})"))  # fmt: skip
        for build_id, sha in ((1, "draft"), (2, "errors")):
            connection.execute(sa.text(
                "INSERT INTO builds (id, review_id, lang, as_of, pdf_sha256, pdf_path, kpis, figures, "
                "errors, warnings, infos, reportgen_version, created_at) VALUES "
                f"(:id, 1, 'en', '2026-11-03', :sha, :path, '{{}}', :figures, 0, 0, 0, 'x', {now})"
            ), {"id": build_id, "sha": sha, "path": f"/r/{sha}.pdf", "figures": b"x"})  # fmt: skip
        connection.execute(sa.text(
            "INSERT INTO approvals (build_id, team, schedule_team, month, pdf_sha256, pdf_path, approver, "
            "state, created_at) VALUES (1, 'T', 't', '2026-10', 'draft', '/r/draft.pdf', "
            f"'Lead@example.com', 'approved', {now})"))  # fmt: skip
        connection.execute(sa.text(
            "INSERT INTO runs (team, month, due_at, holder, state, detail, started_at) VALUES "
            "('t', '2026-10', CURRENT_TIMESTAMP, 'h', 'draft_errors', :detail, CURRENT_TIMESTAMP)"
        ), {"detail": '{"to": "lead@example.com", "pdf": "/r/errors.pdf"}'})  # fmt: skip
        sends = [
            (1, "draft", '["lead@example.com"]'),  # the draft to its approver
            (2, "draft", '["boss@example.com"]'),  # the approved draft, to management
            (3, "errors", '["lead@example.com"]'),  # the error draft
            (4, "errors", '["lead@example.com", "boss@example.com"]'),  # with someone else: management's
        ]
        for send_id, sha, recipients in sends:
            connection.execute(sa.text(
                "INSERT INTO sends (id, pdf_sha256, pdf_name, recipients, result, started_at) "
                f"VALUES (:id, :sha, 'r.pdf', :recipients, 'sent', {now})"
            ), {"id": send_id, "sha": sha, "recipients": recipients})  # fmt: skip
    store.upgrade(engine, "test")
    with engine.connect() as connection:
        audiences: dict[int, str] = {
            row.id: row.audience for row in connection.execute(sa.text("SELECT id, audience FROM sends"))
        }
        assert audiences == {1: "approver", 2: "management", 3: "approver", 4: "management"}
        decided = connection.execute(sa.text("SELECT decided_by, errors FROM approvals")).one()
        assert tuple(decided) == (None, 0)
    store.downgrade(engine, "test", "0003")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM sends")).scalar_one() == 4


def test_0006_keeps_each_delivery_under_its_sends_audience_and_a_draft_no_longer_blocks_managements_copy(
    engine: sa.Engine,
) -> None:
    """0006: the ledger is per audience. A delivery recorded before takes its send's audience; afterwards
    the approver's draft and management's copy of one PDF to one address are two deliveries, each still
    once only; down again, the draft's gives way to management's."""
    store.upgrade(engine, "test", "0005")
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as connection:
        for send_id, audience in ((1, "approver"), (2, "management")):
            connection.execute(sa.text(
                "INSERT INTO sends (id, pdf_sha256, pdf_name, recipients, result, started_at, audience) "
                f"VALUES (:id, 'abc', 'r.pdf', '[]', 'sent', {now}, :audience)"
            ), {"id": send_id, "audience": audience})  # fmt: skip
        connection.execute(sa.text(
            "INSERT INTO deliveries (send_id, pdf_sha256, address, state, updated_at) "
            f"VALUES (1, 'abc', 'head@example.com', 'accepted', {now})"))  # fmt: skip
    store.upgrade(engine, "test")
    insert = sa.text(
        "INSERT INTO deliveries (send_id, pdf_sha256, target, address, state, updated_at, audience) "
        f"VALUES (2, 'abc', 'mail', 'head@example.com', 'accepted', {now}, :audience)"
    )
    with engine.begin() as connection:
        assert connection.execute(sa.text("SELECT audience FROM deliveries")).scalars().all() == ["approver"]
        connection.execute(insert, {"audience": "management"})  # management's copy after the draft
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(insert, {"audience": "management"})  # and still only once
    store.downgrade(engine, "test", "0005")
    with engine.connect() as connection:
        states = connection.execute(sa.text("SELECT send_id, state FROM deliveries ORDER BY send_id")).all()
        assert [tuple(row) for row in states] == [(1, "superseded"), (2, "accepted")]
