"""Alembic migrations of the hub (dated files); reference data in reference/."""
