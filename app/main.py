"""``create_app()``: the Starlette application — routes, middleware, lifespan.

Run it with ``hub serve`` or ``uvicorn app.main:create_app --factory``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import exports
from app.db import Database, SessionMiddleware, make_engine, resolve_database_url
from app.migrate import head_revision, upgrade
from app.security import IdentityVault
from app.settings import Settings, get_settings

log = logging.getLogger("hub")


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
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)


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
            current = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not returned
        log.warning("readiness check failed: %s", type(exc).__name__)
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, status_code=503)
    if current != expected:
        return JSONResponse(
            {"status": "unavailable", "reason": f"schema at {current}, expected {expected}"},
            status_code=503,
        )
    return JSONResponse({"status": "ready", "revision": current})


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    """Build the hub. With ``database`` given (tests), the app uses it and manages nothing."""
    from graphql_schema.schema import schema
    from graphql_schema.view import HubGraphQL

    settings = settings or get_settings()
    settings.check_production()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if database is not None:
            yield
            return
        owned = Database(make_engine(resolve_database_url(settings), settings))
        if settings.migrate_on_start:
            await upgrade(owned.engine)
        app.state.database = owned
        try:
            yield
        finally:
            await owned.dispose()

    graphql = HubGraphQL(
        schema,
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
            Route("/dashboard", dashboard, methods=["GET"]),
            Mount("/dashboard/static", StaticFiles(directory=STATIC / "dashboard"), name="dashboard-static"),
            Route("/imports/offers", exports.offers_import, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.add_middleware(SessionMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.state.settings = settings
    app.state.vault = IdentityVault(
        settings.identity_hash_key.get_secret_value().encode(), settings.encryption_key_bytes
    )
    if database is not None:
        app.state.database = database
    return app
