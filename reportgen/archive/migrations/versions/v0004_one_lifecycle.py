"""One lifecycle per team and month: every send says whose it was (management's review, or a draft for the
approver), every build keeps its own PDF's bytes, and an approval says who decided it and how many errors
its draft had.

Sends recorded so far are management's, except the drafts: a send of a draft's PDF to its approver alone, and
a send of a run's error draft (its PDF and its one address, as the run recorded them).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sends", sa.Column("audience", sa.String(20), nullable=False, server_default="management"))
    op.add_column("builds", sa.Column("pdf", sa.LargeBinary, nullable=True))
    op.add_column("approvals", sa.Column("decided_by", sa.String(320), nullable=True))
    op.add_column("approvals", sa.Column("errors", sa.Integer, nullable=False, server_default="0"))
    connection = op.get_bind()
    drafts: set[tuple[str, str]] = set()  # (pdf_sha256, the one address it went to)
    for pdf_sha256, approver in connection.execute(sa.text("SELECT pdf_sha256, approver FROM approvals")):
        drafts.add((pdf_sha256, approver.strip().casefold()))
    builds_by_path: dict[str, str] = {
        path: sha for path, sha in connection.execute(sa.text("SELECT pdf_path, pdf_sha256 FROM builds"))
    }
    for state, detail in connection.execute(sa.text("SELECT state, detail FROM runs")):
        values = _json(detail)
        to, pdf = values.get("to"), values.get("pdf")
        if state == "draft_errors" and isinstance(to, str) and isinstance(pdf, str) and pdf in builds_by_path:
            drafts.add((builds_by_path[pdf], to.strip().casefold()))
    for send_id, pdf_sha256, recipients in connection.execute(
        sa.text("SELECT id, pdf_sha256, recipients FROM sends")
    ).all():
        addresses = _json(recipients)
        if isinstance(addresses, list) and len(addresses) == 1 and (pdf_sha256, addresses[0]) in drafts:
            connection.execute(
                sa.text("UPDATE sends SET audience = 'approver' WHERE id = :id"), {"id": send_id}
            )


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def downgrade() -> None:
    # plain ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch would copy and drop `builds` and
    # `sends`, which other tables' foreign keys name
    op.drop_column("approvals", "errors")
    op.drop_column("approvals", "decided_by")
    op.drop_column("builds", "pdf")
    op.drop_column("sends", "audience")
