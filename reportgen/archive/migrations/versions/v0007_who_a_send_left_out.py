"""Who a send left out, and why: the addresses that had this PDF already (and since when), those an earlier
send left without an answer or another send was at, the readers of a language no copy was built in, and
whether it was a --resend. `reportgen history` tells a repeat from a failure with it, and names whoever was
skipped. Sends recorded before have none (NULL): history then says what it can from the deliveries.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ALTER TABLE (SQLite 3.35+, PostgreSQL): a batch would copy and drop `sends`, which the
    # deliveries' foreign key names
    op.add_column("sends", sa.Column("plan", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("sends", "plan")
