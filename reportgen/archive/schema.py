"""The archive's tables (SQLAlchemy Core). Alembic's migrations in `migrations/` create and change them; this
module is what the code reads and writes, and a test checks the two agree on both back ends.

- `reviews`: one row per version of a team's month: a new workbook (another SHA-256) for the same team and
  month is the next version. Its workbook bytes only with `[archive] keep_workbooks = true`.
- `builds`: each PDF made of a version (a language, an as-of date), with the figures it showed.
- `sends`: each attempt to mail a PDF; `deliveries`: one row per recipient of it. A partial unique index
  lets at most one delivery of one PDF to one address be under way or done (`claimed`, `accepted`), so two
  processes can never both mail it: the second one's claim fails on the constraint, not on a check. A send's
  `plan` (revision 0007) keeps whom it left out and why: had the PDF already, in doubt, no copy in their
  language; and whether it was a --resend.
- `events`: every state the cycle reached, in order, for `reportgen history`.
- `runs`: each scheduled attempt of a team's month, claimed under a unique constraint (the lease), so two
  schedule services never both act on one; `approvals`: a draft waiting for the lead, and the decision.
- `users`, `roles`, `sessions`, `login_attempts` (revision 0005): who may sign in to serve, what each may do
  for which team, the sessions signed in (so signing out ends one for good) and the attempts that lock an
  account or an address out. Only an argon2id hash of a password and a SHA-256 of a session's key are kept.
"""

from __future__ import annotations

import sqlalchemy as sa

from reportgen.base.states import LIVE_DELIVERIES, DeliveryState, RunState

SCHEMA_REVISION = "0007"  # Alembic's head: the schema this code reads and writes
# every revision this code can upgrade from, oldest first
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

reviews = sa.Table(
    "reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("team", sa.String(200), nullable=False),
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("workbook_name", sa.String(1000), nullable=False),
    sa.Column("workbook_sha256", sa.String(64), nullable=False),
    sa.Column("workbook", sa.LargeBinary, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("team", "month", "version", name="uq_reviews_version"),
)

builds = sa.Table(
    "builds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("review_id", sa.Integer, sa.ForeignKey("reviews.id"), nullable=False, index=True),
    sa.Column("lang", sa.String(5), nullable=False),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("pdf_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("pdf_path", sa.String(4000), nullable=False),
    sa.Column("kpis", sa.JSON, nullable=False),  # the month's headline figures, for trends
    sa.Column("figures", sa.LargeBinary, nullable=False),  # the figures document, zlib-compressed JSON
    sa.Column("errors", sa.Integer, nullable=False),
    sa.Column("warnings", sa.Integer, nullable=False),
    sa.Column("infos", sa.Integer, nullable=False),
    sa.Column("reportgen_version", sa.String(40), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("pdf", sa.LargeBinary, nullable=True),  # the PDF's own bytes: each version keeps its own
)

sends = sa.Table(
    "sends",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("build_id", sa.Integer, sa.ForeignKey("builds.id"), nullable=True, index=True),
    sa.Column("pdf_sha256", sa.String(64), nullable=False, index=True),
    sa.Column("pdf_name", sa.String(1000), nullable=False),
    sa.Column("subject", sa.String(2000), nullable=True),
    sa.Column("message_id", sa.String(500), nullable=True),
    sa.Column("recipients", sa.JSON, nullable=False),  # the envelope this send was asked to reach
    sa.Column("result", sa.String(20), nullable=False),  # a SendOutcome
    sa.Column("detail", sa.Text, nullable=True),  # the failure, as the user was told it
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    # whose copy this was (an Audience): management's review, or a draft for the approver
    sa.Column("audience", sa.String(20), nullable=False, server_default="management"),
    # who it left out and why, and whether it was a --resend (revision 0007; NULL before): records.SendPlan
    sa.Column("plan", sa.JSON, nullable=True),
)

DELIVERY_STATES = tuple(DeliveryState)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("send_id", sa.Integer, sa.ForeignKey("sends.id"), nullable=False, index=True),
    sa.Column("pdf_sha256", sa.String(64), nullable=False),
    sa.Column("target", sa.String(20), nullable=False, server_default="mail"),  # a Target's kind
    sa.Column("address", sa.String(320), nullable=False),  # the target's key: a mail's addr-spec, case-folded
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("reply", sa.String(1000), nullable=True),  # the server's answer for a refused address
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # its send's audience: the approver's draft and management's copy of one PDF are two deliveries
    sa.Column("audience", sa.String(20), nullable=False, server_default="management"),
)
# at most one delivery of a PDF to an address of a target kind, for one audience, under way or done: the
# duplicate guard, kept by the database
sa.Index(
    "uq_deliveries_once",
    deliveries.c.pdf_sha256,
    deliveries.c.target,
    deliveries.c.address,
    deliveries.c.audience,
    unique=True,
    sqlite_where=deliveries.c.state.in_(LIVE_DELIVERIES),
    postgresql_where=deliveries.c.state.in_(LIVE_DELIVERIES),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("team", sa.String(200), nullable=True, index=True),
    sa.Column("month", sa.String(7), nullable=True),
    sa.Column("version", sa.Integer, nullable=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

# --- the monthly cycle (revision 0002) ---

RUN_STATES = tuple(RunState)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("team", sa.String(200), nullable=False),  # the schedule's name for it: the workbook's stem
    sa.Column("month", sa.String(7), nullable=False),  # the month reviewed
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),  # the moment this attempt was for
    sa.Column("holder", sa.String(200), nullable=False),  # which service claimed it (host and process)
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    # the lease: one attempt per team, month and moment, however many services try (a constraint, not a check)
    sa.UniqueConstraint("team", "month", "due_at", name="uq_runs_lease"),
)

approvals = sa.Table(
    "approvals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("build_id", sa.Integer, sa.ForeignKey("builds.id"), nullable=False, index=True),
    sa.Column("team", sa.String(200), nullable=False),  # the review's team
    sa.Column("schedule_team", sa.String(200), nullable=False),  # the schedule's name for it
    sa.Column("month", sa.String(7), nullable=False),
    sa.Column("pdf_sha256", sa.String(64), nullable=False),
    sa.Column("pdf_path", sa.String(4000), nullable=False),
    sa.Column("approver", sa.String(320), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),  # an ApprovalState
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("decided_by", sa.String(320), nullable=True),  # who approved or rejected it
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),  # the draft's errors of its month
)

# --- accounts of serve's department page (revision 0005) ---

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),  # case-folded: how one signs in
    sa.Column("password_hash", sa.String(300), nullable=False),  # argon2id, with its own salt and costs
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

roles = sa.Table(
    "roles",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("team", sa.String(200), nullable=False),  # a team's name or workbook stem; "*": every team
    sa.Column("role", sa.String(10), nullable=False),  # head, lead or viewer
    sa.UniqueConstraint("user_id", "team", name="uq_roles_user_team"),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 of the cookie's key, never the key
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("address", sa.String(64), nullable=False),  # the client address it was made from
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),  # signed out, password changed, removed
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, index=True),  # as typed (case-folded), known or not
    sa.Column("address", sa.String(64), nullable=False, index=True),
    sa.Column("outcome", sa.String(10), nullable=False),  # ok, failed, locked (refused unread)
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)
