"""The monthly cycle: scheduled runs under a lease, and the lead's approvals.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("team", "month", "due_at", name="uq_runs_lease"),
    )
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("build_id", sa.Integer, nullable=False),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("schedule_team", sa.String(200), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("pdf_path", sa.String(4000), nullable=False),
        sa.Column("approver", sa.String(320), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_approvals"),
        sa.ForeignKeyConstraint(["build_id"], ["builds.id"], name="fk_approvals_build_id_builds"),
    )
    op.create_index("ix_approvals_build_id", "approvals", ["build_id"])


def downgrade() -> None:
    op.drop_index("ix_approvals_build_id", table_name="approvals")
    op.drop_table("approvals")
    op.drop_table("runs")
