"""Engine, per-request session and the ASGI middleware that opens and closes it.

One ``AsyncSession`` per request. Sibling resolvers run concurrently, so every statement goes
through :class:`RequestSession`, which serialises them with a lock. The session never commits
by itself: the GraphQL transaction extension decides after the operation.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import Executable, Result, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from app.repositories.session import ENTER_WALL, LEAVE_WALL, OPEN_TRANSACTION, REPLICA_CAUGHT_UP
from app.settings import Settings

log = logging.getLogger("hub.db")
T = TypeVar("T")

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


def make_engine(url: str, settings: Settings, *, pgbouncer: bool | None = None) -> AsyncEngine:
    """The hub's engine for ``url``. Through PgBouncer in transaction mode (``pgbouncer``,
    default ``HUB_DB_PGBOUNCER``) no named prepared statement may outlive a transaction and only
    ``application_name`` may be sent at startup: the statement timeout and ``jit = off`` are then
    the database role's settings (docs/scaling.md)."""
    pgbouncer = settings.db_pgbouncer if pgbouncer is None else pgbouncer
    server_settings = {"application_name": "hub"}
    connect_args: dict[str, Any] = {"server_settings": server_settings}
    if pgbouncer:
        # asyncpg: no statement cache (unnamed statements); SQLAlchemy's own prepared statements
        # get unique names and no cache either (SQLAlchemy's asyncpg dialect, "Prepared
        # Statement Name with PGBouncer").
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = lambda: f"__hub_{uuid.uuid4().hex}__"
        url = make_url(url).update_query_dict({"prepared_statement_cache_size": "0"}).render_as_string(hide_password=False)
    else:
        # Short statements only: compiling a plan (JIT) costs more than running it, and a cost
        # estimate inflated by stale statistics would trigger it.
        server_settings["jit"] = "off"
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        connect_args=connect_args,
        hide_parameters=True,  # a failed statement's error never shows its values (logs: app/logs.py)
    )
    _ping_when_idle(engine)
    return engine


# A pooled connection idle for longer than this is pinged before use. SQLAlchemy's pre-ping
# costs three round trips (BEGIN, a ping, ROLLBACK) on every checkout, twice a request; under
# load connections come back within milliseconds. A connection that died meanwhile (the
# database restarted) fails its request with 503 and makes the pool recycle all the others.
IDLE_BEFORE_PING_S = 1.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    pool = engine.sync_engine.pool
    dialect = engine.sync_engine.dialect

    @event.listens_for(pool, "connect")
    def _connected(dbapi_connection: Any, record: Any) -> None:
        record.info["hub_idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["hub_idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if time.monotonic() - record.info.get("hub_idle_since", 0.0) < IDLE_BEFORE_PING_S:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool drops it and checks out another
            raise DisconnectionError("a pooled connection did not answer its ping") from error


def migration_engine(settings: Settings, url: str) -> AsyncEngine:
    """Where migrations run: ``HUB_DATABASE_MIGRATE_URL`` when set (straight to PostgreSQL),
    else the hub's own URL, which must not go through PgBouncer's transaction pooling."""
    if settings.database_migrate_url:
        return make_engine(settings.database_migrate_url, settings, pgbouncer=False)
    if settings.db_pgbouncer:
        raise RuntimeError(
            "HUB_DB_PGBOUNCER is set: migrations need a direct connection; set HUB_DATABASE_MIGRATE_URL,"
            " or HUB_MIGRATE_ON_START=false and run `hub migrate` with a direct HUB_DATABASE_URL"
        )
    return make_engine(url, settings)


class Database:
    """What a running hub needs of its store: an engine and a session factory, and optionally a
    replica's engine for read-only operations.

    ``bind`` lets tests run every request inside one outer transaction (each commit becomes a
    savepoint release) that they roll back afterwards.
    """

    def __init__(self, engine: AsyncEngine, *, bind: AsyncConnection | None = None, read_engine: AsyncEngine | None = None):
        self.engine = engine
        self.read_engine = read_engine
        if bind is None:
            self.sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
        else:
            self.sessionmaker = async_sessionmaker(
                bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
        self.read_sessionmaker = async_sessionmaker(read_engine, expire_on_commit=False) if read_engine else None

    def session(self) -> RequestSession:
        return RequestSession(self.sessionmaker(), self.read_sessionmaker)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not None:
            await self.read_engine.dispose()


def _announce(query: str) -> None:
    """Tell the statement listeners (counters, tracing) of a statement run on the driver."""
    for listener in driver_statement_listeners:
        listener(query)


class AttributeRecord(asyncpg.Record):  # type: ignore[misc]  # asyncpg ships no types
    """An asyncpg record whose columns read as attributes too."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _observed(task: asyncio.Task[Any]) -> None:
    """Retrieve the outcome of a statement whose caller was cancelled (nobody else will)."""
    if not task.cancelled() and task.exception() is not None:
        log.debug("a statement whose caller was cancelled failed: %s", type(task.exception()).__name__)


# The row-level-security wall of the code running now (app/tenancy.py): (setting, value) of a
# tenant, or None. A context variable, so that a resolver's wall is its own and not its siblings'.
_WALL: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("hub_wall", default=None)


class SessionClosed(RuntimeError):
    """A statement asked of a request's session after the request ended."""


class RequestSession:
    """One request's session, safe for concurrent resolvers (statements take a lock).

    A statement runs to its end even when the resolver awaiting it is cancelled: graphql-core
    cancels the sibling fields of one whose error nulls their parent (a forbidden root field
    among others), and a statement cut halfway leaves the connection, and with it the request's
    transaction, unusable. Commit, rollback and close take the lock too, so they wait for a
    statement in flight.

    Each statement runs behind the row-level-security wall of the code that asked for it
    (:meth:`walled`): the session switches the transaction's role to ``hub_tenant`` with the
    tenant's setting, or back, before a statement whose wall differs from the last one's. Sibling
    resolvers interleave their statements, so a wall set for a region of one resolver would also
    stand in front of the others' statements (and be left standing by a cancelled resolver).

    With a replica configured, a read-only operation may call :meth:`read_from_replica`: its
    statements then run on a session of the replica, while :meth:`primary` still reaches the
    primary for the few writes a read makes (the audit log). Commit and rollback end both.
    """

    def __init__(self, session: AsyncSession, replica_factory: Callable[[], AsyncSession] | None = None):
        self.session = session  # the primary's
        self.lock = asyncio.Lock()
        self.wrote = False
        self._replica_factory = replica_factory
        self._replica: AsyncSession | None = None
        self._target = session
        self._primary_view: RequestSession | None = None
        self.closed = False
        self._wall: tuple[str, str] | None = None  # the wall the transaction stands behind now

    @contextlib.asynccontextmanager
    async def walled(self, setting: str, value: str) -> AsyncIterator[None]:
        """Statements asked for inside run as ``hub_tenant`` with ``setting`` = ``value`` (SET
        LOCAL: it cannot outlive the transaction); the others, the hub's own, as before."""
        token = _WALL.set((setting, value))
        try:
            yield
        finally:
            _WALL.reset(token)

    async def _behind(self, wall: tuple[str, str] | None) -> None:
        """Put the transaction behind ``wall`` (None: none) if it is not there already."""
        if wall == self._wall:
            return
        driver, _ = await self._open(OPEN_TRANSACTION)
        if wall is None:
            await driver.execute(LEAVE_WALL)
        else:
            await driver.fetch(ENTER_WALL, *wall)
        self._wall = wall

    async def _atomic(self, work: Callable[[], Awaitable[T]], *, walled: bool = True) -> T:
        """``work`` under the lock, carried to its end even if the caller is cancelled meanwhile
        (the caller still sees its cancellation), behind its caller's wall unless ``walled`` is
        false; refused once the session is closed."""
        if self.closed:
            raise SessionClosed("this request has ended: its session takes no more statements")
        return await self._carried(work, walled)

    async def _carried(self, work: Callable[[], Awaitable[T]], walled: bool) -> T:
        task = asyncio.ensure_future(self._locked(work, walled=walled))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(_observed)
            raise

    async def _locked(self, work: Callable[[], Awaitable[T]], *, walled: bool = True) -> T:
        async with self.lock:
            if walled:
                await self._behind(_WALL.get())
            return await work()

    @property
    def has_replica(self) -> bool:
        return self._replica_factory is not None

    @property
    def on_replica(self) -> bool:
        return self._replica is not None

    async def read_from_replica(self, after_lsn: str | None) -> bool:
        """Run the rest of this request's statements on the replica, if it has replayed the WAL
        up to ``after_lsn`` (the caller's last write; None: no write to wait for). False, and
        nothing changes, when it has not or cannot be reached: the primary answers."""
        if self._replica_factory is None:
            return False
        replica = self._replica_factory()
        try:
            connection = await replica.connection()
            raw: Any = (await connection.get_raw_connection()).driver_connection  # asyncpg's, untyped
            await connection.exec_driver_sql(OPEN_TRANSACTION)  # opens the transaction the reads share
            caught_up = await raw.fetchval(REPLICA_CAUGHT_UP, after_lsn)
        except Exception as error:  # noqa: BLE001 - a replica that cannot answer: the primary does
            await replica.close()
            if not is_unavailable(error) and not isinstance(error, OSError):
                raise
            log.warning("read replica unavailable (%s): the primary answers", type(error).__name__)
            return False
        if not caught_up:
            await replica.close()
            return False
        self._replica = self._target = replica
        return True

    def primary(self) -> RequestSession:
        """This request's primary session, whatever the reads use (shares the lock)."""
        if self._replica is None:
            return self
        if self._primary_view is None:
            view = RequestSession(self.session)
            view.lock = self.lock
            self._primary_view = view
        return self._primary_view

    async def execute(
        self, statement: Executable, params: Mapping[str, Any] | list[Mapping[str, Any]] | None = None
    ) -> Result[Any]:
        return await self._atomic(lambda: self._target.execute(statement, params))

    async def driver_connection(self) -> Any:
        """The asyncpg connection under the session, inside the session's transaction, for COPY
        and the bulk statements; hold ``lock`` while using it."""
        return (await self._open(OPEN_TRANSACTION))[0]

    async def _open(self, opening: str) -> tuple[Any, bool]:
        """(driver connection, whether ``opening`` ran): SQLAlchemy's asyncpg adapter opens the
        database transaction lazily, at its first statement; ``opening`` (no parameter) is that
        statement when none is open yet, so that statements bypassing the adapter run inside it."""
        connection = await self._target.connection()
        raw = await connection.get_raw_connection()
        if getattr(raw.dbapi_connection, "_transaction", None) is None:
            await connection.exec_driver_sql(opening)
            return raw.driver_connection, True
        return raw.driver_connection, False

    async def fetch(self, query: str, *args: Any, record_class: type[asyncpg.Record] | None = None) -> list[Any]:
        """Rows (asyncpg records, or ``record_class``: e.g. AttributeRecord for callers that read
        rows as SQLAlchemy's) of one statement run on the driver: the bulk paths, whose thousands
        of result rows and array parameters need no ORM processing."""
        _announce(query)

        async def work() -> list[Any]:
            driver = await self.driver_connection()
            rows: list[Any] = await driver.fetch(query, *args, record_class=record_class)
            return rows

        return await self._atomic(work)

    async def fetch_outside_transaction(self, query: str, *args: Any) -> list[Any]:
        """Rows of one statement run on the primary's driver connection without opening the
        session's transaction when none is open yet: the statement is then a transaction of its
        own, committed when it ends (a request's key look-up and rate limit, before its work).
        Inside an open transaction (tests bind every session to one), it runs there."""
        _announce(query)

        async def work() -> list[Any]:
            connection = await self.session.connection()
            driver: Any = (await connection.get_raw_connection()).driver_connection  # asyncpg's, untyped
            rows: list[Any] = await driver.fetch(query, *args)
            return rows

        return await self._atomic(work, walled=False)

    async def run(self, query: str, *args: Any) -> None:
        """One statement run on the driver, its result discarded."""
        _announce(query)

        async def work() -> None:
            driver = await self.driver_connection()
            await driver.execute(query, *args)

        await self._atomic(work)

    async def begin_with(self, query: str) -> None:
        """Run ``query`` (no parameter, result discarded) as the statement that opens the
        transaction, or in the open one: a round trip less than opening it first."""
        _announce(query)

        async def work() -> None:
            driver, ran = await self._open(query)
            if not ran:  # the transaction was open already
                await driver.execute(query)

        await self._atomic(work)

    async def copy(self, table: str, records: list[tuple[Any, ...]], columns: Sequence[str]) -> None:
        """COPY rows into a table on the driver (binary), inside the session's transaction."""
        _announce(f"COPY {table}")

        async def work() -> None:
            driver = await self.driver_connection()
            await driver.copy_records_to_table(table, records=records, columns=list(columns))

        await self._atomic(work)

    async def commit(self) -> None:
        async def work() -> None:
            if self._wall is not None:  # under a test's outer transaction, SET LOCAL outlives this one
                await self._behind(None)
            await self.session.commit()
            if self._replica is not None:
                await self._replica.commit()

        await self._atomic(work, walled=False)

    async def rollback(self) -> None:
        async def work() -> None:
            self._wall = None  # undone with the transaction (or the test's savepoint)
            await self.session.rollback()
            if self._replica is not None:
                await self._replica.rollback()

        await self._atomic(work, walled=False)

    async def close(self) -> None:
        """End the session (after any statement in flight); it takes no statement afterwards."""
        if self.closed:
            return
        self.closed = True

        async def work() -> None:
            try:
                await self.session.close()
            finally:
                if self._replica is not None:
                    await self._replica.close()

        await self._carried(work, walled=False)


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
            if started or not is_unavailable(exc):
                raise
            # The database went away: a coded answer, and the pool reconnects by itself later.
            from app.bodies import refuse

            await refuse(send, 503, "SERVICE_UNAVAILABLE", "the database is unavailable; retry in a few seconds",
                              [(b"retry-after", b"5")])
        finally:
            try:
                await session.close()
            except Exception as exc:  # closing a session whose connection died
                if not is_unavailable(exc):
                    raise
