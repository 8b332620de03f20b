"""Engine, per-request session and the ASGI middleware that opens and closes it.

One ``AsyncSession`` per request. Sibling resolvers run concurrently, so every statement goes
through :class:`RequestSession`, which serialises them with a lock. The session never commits
by itself: the GraphQL transaction extension decides after the operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Executable, Result
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from app.settings import Settings

# Called with the text of every statement run on the driver directly (RequestSession.fetch and
# run), which SQLAlchemy's events do not see: statement counters and tracing hook in here.
driver_statement_listeners: list[Callable[[str], None]] = []


# SQLSTATEs of a database that is not there (starting, shutting down, refusing connections).
_UNAVAILABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300", "55000", "08000", "08003", "08006", "08001", "08004"})


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached now (as opposed to a bug or bad data)."""
    import asyncpg
    from sqlalchemy.exc import DBAPIError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (OSError, PoolTimeout, asyncpg.exceptions.ConnectionDoesNotExistError,
                                asyncpg.exceptions.InterfaceError)):
            return True
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if getattr(current, "sqlstate", None) in _UNAVAILABLE_STATES:
            return True
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__
    return False


def resolve_database_url(settings: Settings) -> str:
    """``HUB_DATABASE_URL`` when set; otherwise start the embedded PostgreSQL."""
    if settings.database_url:
        return settings.database_url
    from app.embedded import embedded_database_url

    return embedded_database_url(settings.data_dir)


def make_engine(url: str, settings: Settings) -> AsyncEngine:
    return create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        connect_args={
            "server_settings": {
                "application_name": "hub",
                # Short statements only: compiling a plan (JIT) costs more than running it, and a
                # cost estimate inflated by stale statistics would trigger it.
                "jit": "off",
                "statement_timeout": str(settings.db_statement_timeout_ms),
            }
        },
    )


class Database:
    """What a running hub needs of its store: an engine and a session factory.

    ``bind`` lets tests run every request inside one outer transaction (each commit becomes a
    savepoint release) that they roll back afterwards.
    """

    def __init__(self, engine: AsyncEngine, *, bind: AsyncConnection | None = None):
        self.engine = engine
        if bind is None:
            self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        else:
            self.sessionmaker = async_sessionmaker(
                bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )

    def session(self) -> RequestSession:
        return RequestSession(self.sessionmaker())

    async def dispose(self) -> None:
        await self.engine.dispose()


class RequestSession:
    """One request's session, safe for concurrent resolvers (statements take a lock)."""

    def __init__(self, session: AsyncSession):
        self.session = session
        self.lock = asyncio.Lock()
        self.wrote = False

    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | list[Mapping[str, Any]] | None = None
    ) -> Result[Any]:
        async with self.lock:
            return await self.session.execute(statement, params)

    async def driver_connection(self) -> Any:
        """The asyncpg connection under the session, inside the session's transaction, for COPY
        and the bulk statements; hold ``lock`` while using it."""
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        # SQLAlchemy's asyncpg adapter opens the database transaction lazily, at its first
        # statement: make sure it is open before statements bypass the adapter.
        if getattr(raw.dbapi_connection, "_transaction", None) is None:
            await connection.exec_driver_sql("SELECT 1")
        return raw.driver_connection

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        """Rows (asyncpg records) of one statement run on the driver: the bulk paths, whose
        thousands of result rows and array parameters need no ORM processing."""
        for listener in driver_statement_listeners:
            listener(query)
        async with self.lock:
            driver = await self.driver_connection()
            return await driver.fetch(query, *args)

    async def run(self, query: str, *args: Any) -> None:
        """One statement run on the driver, its result discarded."""
        for listener in driver_statement_listeners:
            listener(query)
        async with self.lock:
            driver = await self.driver_connection()
            await driver.execute(query, *args)

    async def copy(self, table: str, records: list[tuple[Any, ...]], columns: Sequence[str]) -> None:
        """COPY rows into a table on the driver (binary), inside the session's transaction."""
        for listener in driver_statement_listeners:
            listener(f"COPY {table}")
        async with self.lock:
            driver = await self.driver_connection()
            await driver.copy_records_to_table(table, records=records, columns=list(columns))

    async def commit(self) -> None:
        async with self.lock:
            await self.session.commit()

    async def rollback(self) -> None:
        async with self.lock:
            await self.session.rollback()

    async def close(self) -> None:
        await self.session.close()


class SessionMiddleware:
    """Pure ASGI middleware: one session per HTTP request, closed when the response is sent."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        database: Database = scope["app"].state.database
        session = database.session()
        scope.setdefault("state", {})["db"] = session
        started = False

        async def watch(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            from app.ratelimit import RateLimited

            if isinstance(exc, RateLimited) and not started:
                await _send_error(send, 429, "RATE_LIMITED", str(exc), [(b"retry-after", str(exc.retry_after).encode())])
                return
            if started or not is_unavailable(exc):
                raise
            # The database went away: a coded answer, and the pool reconnects by itself later.
            await _send_error(send, 503, "SERVICE_UNAVAILABLE", "the database is unavailable; retry in a few seconds",
                              [(b"retry-after", b"5")])
        finally:
            try:
                await session.close()
            except Exception as exc:  # closing a session whose connection died
                if not is_unavailable(exc):
                    raise


async def _send_error(send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]]) -> None:
    import json

    body = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})
