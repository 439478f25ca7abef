"""Delivery targets: the once-only ledger is kept per target kind (mail today; chat webhooks next) and
address or endpoint. Every delivery recorded so far was a mail: its target is "mail".

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LIVE = sa.text("state IN ('claimed', 'accepted')")


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("target", sa.String(20), nullable=False, server_default="mail"))
    op.drop_index("uq_deliveries_once", table_name="deliveries")
    op.create_index(
        "uq_deliveries_once",
        "deliveries",
        ["pdf_sha256", "target", "address"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("uq_deliveries_once", table_name="deliveries")
    op.execute(sa.text("DELETE FROM deliveries WHERE target <> 'mail'"))
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("target")
    op.create_index(
        "uq_deliveries_once",
        "deliveries",
        ["pdf_sha256", "address"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
