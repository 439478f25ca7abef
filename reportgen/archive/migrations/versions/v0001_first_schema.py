"""The first schema: reviews and their versions, builds, sends and their deliveries, events.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("workbook_name", sa.String(1000), nullable=False),
        sa.Column("workbook_sha256", sa.String(64), nullable=False),
        sa.Column("workbook", sa.LargeBinary, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_reviews"),
        sa.UniqueConstraint("team", "month", "version", name="uq_reviews_version"),
    )
    op.create_table(
        "builds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("review_id", sa.Integer, nullable=False),
        sa.Column("lang", sa.String(5), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("pdf_path", sa.String(4000), nullable=False),
        sa.Column("kpis", sa.JSON, nullable=False),
        sa.Column("figures", sa.LargeBinary, nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("infos", sa.Integer, nullable=False),
        sa.Column("reportgen_version", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_builds"),
        sa.ForeignKeyConstraint(["review_id"], ["reviews.id"], name="fk_builds_review_id_reviews"),
    )
    op.create_index("ix_builds_review_id", "builds", ["review_id"])
    op.create_index("ix_builds_pdf_sha256", "builds", ["pdf_sha256"])
    op.create_table(
        "sends",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("build_id", sa.Integer, nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("pdf_name", sa.String(1000), nullable=False),
        sa.Column("subject", sa.String(2000), nullable=True),
        sa.Column("message_id", sa.String(500), nullable=True),
        sa.Column("recipients", sa.JSON, nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sends"),
        sa.ForeignKeyConstraint(["build_id"], ["builds.id"], name="fk_sends_build_id_builds"),
    )
    op.create_index("ix_sends_build_id", "sends", ["build_id"])
    op.create_index("ix_sends_pdf_sha256", "sends", ["pdf_sha256"])
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("send_id", sa.Integer, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("reply", sa.String(1000), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(["send_id"], ["sends.id"], name="fk_deliveries_send_id_sends"),
    )
    op.create_index("ix_deliveries_send_id", "deliveries", ["send_id"])
    live = sa.text("state IN ('claimed', 'accepted')")
    op.create_index(
        "uq_deliveries_once",
        "deliveries",
        ["pdf_sha256", "address"],
        unique=True,
        sqlite_where=live,
        postgresql_where=live,
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("team", sa.String(200), nullable=True),
        sa.Column("month", sa.String(7), nullable=True),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_team", "events", ["team"])


def downgrade() -> None:
    op.drop_table("events")
    op.drop_index("uq_deliveries_once", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_table("sends")
    op.drop_table("builds")
    op.drop_table("reviews")
