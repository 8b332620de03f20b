"""Alembic environment, async.

Run from the application (``hub migrate``, start-up, tests): the caller passes a connection in
``config.attributes["connection"]``. Run from the ``alembic`` command line: the URL comes from
the hub's settings (``HUB_DATABASE_URL``, else the embedded PostgreSQL).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection, pool
from sqlalchemy.ext.asyncio import create_async_engine

import app.models as models

target_metadata = models.metadata


def _configure_and_run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_url() -> None:
    from app.db import resolve_database_url
    from app.settings import get_settings

    engine = create_async_engine(resolve_database_url(get_settings()), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_configure_and_run)
        await connection.commit()
    await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_with_url())
    else:
        _configure_and_run(connection)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `hub migrate`")
run_migrations_online()
