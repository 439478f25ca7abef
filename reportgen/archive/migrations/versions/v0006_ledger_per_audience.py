"""The once-only ledger per audience: a draft to the approver and management's copy of the same PDF are two
deliveries, so an approver who is also one of management's recipients (a head who approves the roll-up and
reads it) gets management's copy once approved instead of "already sent". Every delivery recorded so far
takes its send's audience.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

LIVE = sa.text("state IN ('claimed', 'accepted')")


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("audience", sa.String(20), nullable=False, server_default="management"))
    op.execute(
        sa.text(
            "UPDATE deliveries SET audience = "
            "(SELECT sends.audience FROM sends WHERE sends.id = deliveries.send_id)"
        )
    )
    op.drop_index("uq_deliveries_once", table_name="deliveries")
    op.create_index(
        "uq_deliveries_once",
        "deliveries",
        ["pdf_sha256", "target", "address", "audience"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    """Back to one live delivery per PDF, target and address: a draft's delivery that management's copy of
    the same PDF followed is closed (superseded), so the older index can hold."""
    op.drop_index("uq_deliveries_once", table_name="deliveries")
    op.execute(
        sa.text(
            "UPDATE deliveries SET state = 'superseded' WHERE audience <> 'management' "
            "AND state IN ('claimed', 'accepted') AND EXISTS (SELECT 1 FROM deliveries AS later "
            "WHERE later.pdf_sha256 = deliveries.pdf_sha256 AND later.target = deliveries.target "
            "AND later.address = deliveries.address AND later.audience = 'management' "
            "AND later.state IN ('claimed', 'accepted'))"
        )
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("audience")
    op.create_index(
        "uq_deliveries_once",
        "deliveries",
        ["pdf_sha256", "target", "address"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
