"""Alembic's environment: migrations run on the connection reportgen hands over (`Config.attributes`), never
on a url of their own, so the same code migrates SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context

from reportgen.archive.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
    include_name=lambda name, type_, parent: type_ != "table" or not str(name).startswith("apscheduler"),
)
with context.begin_transaction():
    context.run_migrations()
