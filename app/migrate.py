"""Alembic, driven from the application: upgrade, downgrade, current revision, drift check.

Migrations run on a connection the caller passes (the async pattern of Alembic's cookbook),
under a Postgres advisory lock so that several hub processes starting together migrate once.
"""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import migrations as _migrations_package
from app.repositories.session import MIGRATION_LOCK, MIGRATION_UNLOCK

_MIGRATIONS = Path(_migrations_package.__file__).resolve().parent
_LOCK_ID = 7_420_001  # arbitrary, constant: the hub's migration lock


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.set_main_option(
        "file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"
    )
    config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str | None:
    """The migrations' head (read once per process: /readyz asks it at every probe)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def _run(engine: AsyncEngine, action: str, revision: str) -> None:
    async with engine.connect() as connection:
        # A migration may rewrite big tables (a backfill): the requests' statement timeout does
        # not apply to it. The lock is a session lock: it outlives a failed transaction, and is
        # released after the rollback so that the migration's own error is the one raised.
        await connection.execute(text("SET statement_timeout = 0"))
        await connection.execute(text(MIGRATION_LOCK), {"id": _LOCK_ID})
        await connection.commit()
        try:
            await connection.run_sync(_sync_action, action, revision)
            await connection.commit()
        except BaseException:
            await connection.rollback()
            raise
        finally:
            await connection.execute(text(MIGRATION_UNLOCK), {"id": _LOCK_ID})
            await connection.execute(text("RESET statement_timeout"))  # the pooled connection serves requests next
            await connection.commit()


def _sync_action(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config(connection)
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    await _run(engine, "downgrade", revision)


async def current_revision(connection: AsyncConnection) -> str | None:
    def _current(sync_connection: Connection) -> str | None:
        return MigrationContext.configure(sync_connection).get_current_revision()

    return await connection.run_sync(_current)


async def schema_drift(engine: AsyncEngine) -> list[object]:
    """What ``alembic check`` would report: differences between the models and the database."""
    import app.models as models

    def _compare(sync_connection: Connection) -> list[object]:
        context = MigrationContext.configure(
            sync_connection, opts={"compare_type": True, "compare_server_default": False}
        )
        return list(compare_metadata(context, models.metadata))

    async with engine.connect() as connection:
        return await connection.run_sync(_compare)
