"""``create_app()``: the Starlette application — routes, middleware, lifespan.

Run it with ``hub serve`` or ``uvicorn app.main:create_app --factory``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import exports
from app.admission import Admission, Doorkeeper, Gate
from app.bodies import BodyReader, refuse
from app.db import Database, SessionMiddleware, make_engine, migration_engine, resolve_database_url
from app.migrate import current_revision, head_revision, upgrade
from app.security import IdentityVault
from app.services.derivation import backlog, set_aside_count
from app.services.known_youths import KnownYouths
from app.settings import Derivation, Settings, get_settings

log = logging.getLogger("hub")
access = logging.getLogger("hub.access")


class RequestIdMiddleware:
    """Gives each HTTP request an id (or keeps a sane incoming one) and returns it in a header."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 40 else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # One line per request: who, what, how it ended; the path without its query string.
            access.info("request", extra={
                "request_id": request_id, "client_id": state.get("client_id"), "operation": state.get("operation"),
                "method": scope["method"], "path": scope["path"], "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            })


STATIC = Path(__file__).resolve().parent / "static"


async def dashboard(request: Request) -> FileResponse:
    """The pilots' dashboard (static page; it reads the API with the key the pilot types in)."""
    return FileResponse(STATIC / "dashboard" / "index.html", headers={
        "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:",
        "Cache-Control": "no-cache",
    })


async def healthz(request: Request) -> JSONResponse:
    """The process is up (liveness)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the migrations' head (readiness)."""
    database: Database = request.app.state.database
    expected = head_revision()
    try:
        async with database.sessionmaker() as session:
            current = await current_revision(await session.connection())
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not returned
        log.warning("readiness check failed: %s", type(exc).__name__)
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, status_code=503)
    if current != expected:
        return JSONResponse(
            {"status": "unavailable", "reason": f"schema at {current}, expected {expected}"},
            status_code=503,
        )
    body: dict[str, object] = {"status": "ready", "revision": current}
    settings: Settings = request.app.state.settings
    # how far the derived reads lag the facts (docs/ingestion.md), and the youths whose
    # derivation failed and were set aside: informative, never 503 (the rest is served)
    db = database.session()
    try:
        derivation: dict[str, object] = {"setAside": await set_aside_count(db)}
        if settings.derivation == Derivation.DEFERRED:
            queued, oldest = await backlog(db)
            derivation |= {"queued": queued, "oldestSeconds": round(oldest or 0.0, 1)}
    finally:
        await db.close()
    body["derivation"] = derivation
    return JSONResponse(body)


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    """Build the hub. With ``database`` given (tests), the app uses it and manages nothing."""
    from graphql_schema.schema import build_schema
    from graphql_schema.view import HubGraphQL

    settings = settings or get_settings()
    settings.check_production()
    if database is None:  # a served hub (each uvicorn worker builds its app): JSON logs
        from app import logs

        logs.configure(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if database is not None:
            yield
            return
        url = resolve_database_url(settings)
        if settings.migrate_on_start:
            migrations = migration_engine(settings, url)
            try:
                await upgrade(migrations)
            finally:
                await migrations.dispose()
        read_engine = make_engine(settings.database_read_url, settings) if settings.database_read_url else None
        owned = Database(make_engine(url, settings), read_engine=read_engine)
        app.state.database = owned
        # Everything alive now (the schema, the ORM's and the libraries' objects: some 130,000)
        # lives as long as the process: frozen out of the cyclic collector's way, they are not
        # walked again by each full collection that 2,000-record batches trigger (ingestion:
        # about 12% less hub CPU, measured with bench/ingest.py).
        gc.collect()
        gc.freeze()
        # A 2,000-record batch allocates some 100,000 short-lived objects, freed by their
        # reference counts: with a young generation of 10,000 instead of 700, most are gone
        # before a collection would walk them (validation loop: 4.50 -> 4.25 µs a record).
        gc.set_threshold(10_000, 10, 10)
        from app.services.derivation import Deriver, Sweeper

        deriver = None
        if settings.derivation == Derivation.DEFERRED:
            deriver = Deriver(owned, settings)
            deriver.start()
        sweeper = Sweeper(owned, settings)  # outcomes a rule changes on a day (app/services/outcomes.py)
        sweeper.start()
        try:
            yield
        finally:
            await sweeper.stop()
            if deriver is not None:
                await deriver.stop()
            await owned.dispose()

    graphql = HubGraphQL(
        build_schema(settings),
        graphql_ide="graphiql" if settings.is_development else None,
        allow_queries_via_get=False,
        multipart_uploads_enabled=False,
    )
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/exports/wishes.csv", exports.wishes_csv, methods=["GET"]),
            Route("/exports/at-risk.csv", exports.at_risk_csv, methods=["GET"]),
            Route("/exports/headcounts.csv", exports.headcounts_csv, methods=["GET"]),
            Route("/exports/conversion.csv", exports.conversion_csv, methods=["GET"]),
            Route("/dashboard", dashboard, methods=["GET"]),
            Mount("/dashboard/static", StaticFiles(directory=STATIC / "dashboard"), name="dashboard-static"),
            Route("/imports/offers", exports.offers_import, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    # Outermost first: the request id; what /graphql accepts; the refusals that need no database
    # (rate limits known in the process); the body, read whole before anything touches the
    # database; the request's time limit; its session; its key's look-up and rate.
    doorkeeper = Doorkeeper(settings)
    app.add_middleware(Admission, doorkeeper=doorkeeper)
    app.add_middleware(SessionMiddleware)
    app.add_middleware(RequestTimeout, seconds=settings.request_timeout_s)
    app.add_middleware(BodyReader, graphql_bytes=settings.max_body_bytes, import_bytes=settings.max_import_bytes,
                       timeout_s=settings.body_timeout_s, min_bytes_per_s=settings.body_min_bytes_per_s)
    app.add_middleware(Gate, doorkeeper=doorkeeper)
    app.add_middleware(GraphQLGuard, ide=settings.is_development)
    app.add_middleware(RequestIdMiddleware)
    app.state.settings = settings
    app.state.known_youths = KnownYouths()  # youths known to exist, for deferred batches
    app.state.vault = IdentityVault(
        settings.identity_hash_key.get_secret_value().encode(), settings.encryption_key_bytes
    )
    if database is not None:
        app.state.database = database
    return app


class RequestTimeout:
    """Cuts a request that runs longer than ``request_timeout_s`` (504 REQUEST_TIMEOUT; its
    transaction is rolled back with its session). Streamed exports are not cut once they have
    started sending."""

    def __init__(self, app: ASGIApp, seconds: float):
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        task = asyncio.ensure_future(self.app(scope, receive, watch))
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done or started:
            await task
            return
        task.cancel()
        # Answered at once; the request's statement in flight, if any, still runs to its end (its
        # session carries statements through cancellation) before the session is closed.
        await refuse(send, 504, "REQUEST_TIMEOUT", f"the request took over {self.seconds:g} s and was stopped; nothing was saved")
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


class GraphQLGuard:
    """What /graphql accepts, refused with a coded JSON error before anything else runs: POST with
    ``application/json`` only (a form or text/plain body could come from another site: CSRF). The
    body's size and shape are the BodyReader's (app/bodies.py)."""

    def __init__(self, app: ASGIApp, ide: bool = False):
        self.app = app
        self.ide = ide  # development: GET with Accept: text/html serves GraphiQL

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if self.ide and scope["method"] == "GET" and b"text/html" in headers.get(b"accept", b""):
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await refuse(send, 405, "METHOD_NOT_ALLOWED", "POST the operation as a JSON body", [(b"allow", b"POST")])
            return
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"application/json":
            await refuse(send, 415, "UNSUPPORTED_MEDIA_TYPE", "the body must be application/json")
            return
        await self.app(scope, receive, send)
