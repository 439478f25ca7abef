"""Alembic migrations of the archive, one file per schema revision."""
