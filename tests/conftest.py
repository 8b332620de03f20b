"""Test fixtures: one migrated database per run, one rolled-back transaction per test.

The database is the embedded PostgreSQL (``pgserver``, in ``.hub/test``) unless
``HUB_TEST_DATABASE_URL`` names a server; either way a fresh database is created for the run
and dropped after it. Requests go through HTTP with httpx's ASGI transport.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.db import Database, make_engine
from app.migrate import upgrade
from app.settings import Environment, Settings
from tests.helpers import AdminClient, Gql, QueryCounter

ROOT = Path(__file__).resolve().parent.parent


def server_url() -> str:
    """A URL to a maintenance database on the test server."""
    url = os.environ.get("HUB_TEST_DATABASE_URL")
    if url:
        return url
    from app.embedded import embedded_database_url

    return embedded_database_url(ROOT / ".hub" / "test", database="postgres")


async def create_database(base_url: str, name: str) -> str:
    import asyncpg

    url = make_url(base_url)
    connection = await asyncpg.connect(**_asyncpg_args(url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_database(base_url: str, name: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(**_asyncpg_args(make_url(base_url)))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def _asyncpg_args(url: object) -> dict[str, object]:
    query = dict(url.query)  # type: ignore[attr-defined]
    return {
        "user": url.username,  # type: ignore[attr-defined]
        "password": url.password,  # type: ignore[attr-defined]
        "host": query.get("host") or url.host,  # type: ignore[attr-defined]
        "port": url.port,  # type: ignore[attr-defined]
        "database": url.database,  # type: ignore[attr-defined]
    }


@pytest.fixture(scope="session")
def base_database_url() -> str:
    return server_url()


@pytest.fixture(scope="session")
async def database_url(base_database_url: str) -> AsyncIterator[str]:
    name = f"hub_test_{uuid.uuid4().hex[:10]}"
    url = await create_database(base_database_url, name)
    yield url
    await drop_database(base_database_url, name)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # Scenarios send hundreds of requests with one key (or none): the rate limits have tests of their own.
    return Settings(env=Environment.TEST, database_url=database_url, migrate_on_start=False, rate_limit_burst=1_000_000,
                    anonymous_burst=1_000_000, refusal_delay_s=0.0)  # the pause before a 429: tests/test_admission.py


@pytest.fixture(scope="session")
async def engine(settings: Settings, database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url, settings)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        yield connection
        await transaction.rollback()


@pytest.fixture
def database(engine: AsyncEngine, connection: AsyncConnection) -> Database:
    return Database(engine, bind=connection)


@pytest.fixture
def queries(engine: AsyncEngine) -> Iterator[QueryCounter]:
    """Every statement the test's requests send: SQLAlchemy's, and those the bulk paths run on
    the driver directly."""
    from app.db import driver_statement_listeners

    counter = QueryCounter()
    event.listen(engine.sync_engine, "before_cursor_execute", counter.on_execute)
    driver_statement_listeners.append(counter.on_statement)
    yield counter
    driver_statement_listeners.remove(counter.on_statement)
    event.remove(engine.sync_engine, "before_cursor_execute", counter.on_execute)


@pytest.fixture
async def http(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    from app.main import create_app

    app = create_app(settings, database)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> Gql:
    return Gql(http)


@pytest.fixture
async def admin(database: Database) -> AdminClient:
    from app.auth import Principal
    from app.domain.actors import Role
    from tests.factories import new_client

    row, key = await new_client(database, Role.ADMIN, name="test admin")
    principal = Principal(
        client_id=row.id, name=row.name, role=Role.ADMIN, portal=None, departments=None,
        created_at=row.created_at, key_id=row.id,
    )
    return AdminClient(row=row, key=key, principal=principal)


@pytest.fixture
async def fresh_database_url(base_database_url: str) -> AsyncIterator[str]:
    """An empty database of its own (not migrated), dropped after the test: for tests that run
    real transactions or other processes."""
    name = f"hub_t_{uuid.uuid4().hex[:10]}"
    url = await create_database(base_database_url, name)
    yield url
    await drop_database(base_database_url, name)


@pytest.fixture
async def own_database(fresh_database_url: str, settings: Settings) -> AsyncIterator[Any]:
    """Makes the test's own migrated database with a real pool (no test transaction): for tests
    that run real transactions or processes. ``await own_database(**changes)`` gives (settings
    with those changes, Database); it is disposed of after the test."""
    made: list[Database] = []

    async def make(**changes: Any) -> tuple[Settings, Database]:
        own = settings.model_copy(update={"database_url": fresh_database_url, **changes})
        database = Database(make_engine(fresh_database_url, own))
        await upgrade(database.engine)
        made.append(database)
        return own, database

    yield make
    for database in made:
        await database.dispose()
