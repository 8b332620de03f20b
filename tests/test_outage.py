"""The database going away and coming back: the hub says so with a code (503 on /readyz, a coded
error on /graphql, nothing half-done) and recovers by itself, without a restart."""

from __future__ import annotations

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.db import Database, make_engine
from app.domain.actors import Role
from app.main import create_app
from app.migrate import upgrade
from app.services import clients
from app.settings import Environment, Settings


def asyncpg_args(url: str) -> dict:
    parsed = make_url(url)
    return {"user": parsed.username, "password": parsed.password, "port": parsed.port, "database": parsed.database,
            "host": dict(parsed.query).get("host") or parsed.host}


async def outage(base_url: str, name: str, down: bool) -> None:
    connection = await asyncpg.connect(**asyncpg_args(base_url))
    try:
        await connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {"false" if down else "true"}')
        if down:
            await connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name)
    finally:
        await connection.close()


async def hub_of_its_own(url: str) -> tuple[Database, object, dict[str, str]]:
    """A migrated database with an ADMIN, an app on it and the headers of that ADMIN's key."""
    settings = Settings(env=Environment.TEST, database_url=url, migrate_on_start=False)
    database = Database(make_engine(url, settings))
    await upgrade(database.engine)
    db = database.session()
    admin = await clients.create_client(db, settings.key_pepper.get_secret_value(), name="admin", role=Role.ADMIN)
    await db.commit()
    await db.close()
    return database, create_app(settings, database), {"Authorization": f"Bearer {admin.api_key}"}


async def test_the_hub_answers_503_while_the_database_is_away_and_recovers(fresh_database_url, base_database_url):
    database, app, headers = await hub_of_its_own(fresh_database_url)
    name = make_url(fresh_database_url).database
    query = {"query": "{ me { name } }"}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
            assert (await client.post("/graphql", json=query, headers=headers)).json() == {"data": {"me": {"name": "admin"}}}
            await outage(base_database_url, name, down=True)
            try:
                ready = await client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["reason"] == "database unreachable"
                answer = await client.post("/graphql", json=query, headers=headers)
                assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
                assert answer.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"
                assert "data" not in answer.json()
            finally:
                await outage(base_database_url, name, down=False)
            assert (await client.get("/readyz")).status_code == 200  # no restart
            assert (await client.post("/graphql", json=query, headers=headers)).json() == {"data": {"me": {"name": "admin"}}}
    finally:
        await database.dispose()


async def test_a_pooled_connection_that_died_while_idle_is_replaced_before_use(fresh_database_url, base_database_url):
    """Connections idle for over IDLE_BEFORE_PING_S are pinged at checkout: one the server closed
    meanwhile (a restart, an idle timeout) is dropped and another opened, and the request
    succeeds; busy connections skip the ping."""
    import asyncio

    from app.db import IDLE_BEFORE_PING_S

    database, app, headers = await hub_of_its_own(fresh_database_url)
    name = make_url(fresh_database_url).database
    query = {"query": "{ me { name } }"}
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as client:
            assert (await client.post("/graphql", json=query, headers=headers)).json() == {"data": {"me": {"name": "admin"}}}
            connection = await asyncpg.connect(**asyncpg_args(base_database_url))
            try:
                killed = await connection.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", name
                )
            finally:
                await connection.close()
            assert killed >= 1
            await asyncio.sleep(IDLE_BEFORE_PING_S + 0.2)
            for _ in range(3):
                answer = await client.post("/graphql", json=query, headers=headers)
                assert answer.status_code == 200 and answer.json() == {"data": {"me": {"name": "admin"}}}
    finally:
        await database.dispose()
