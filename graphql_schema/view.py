"""The HTTP view of the GraphQL endpoint: builds the typed context for each request."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL

from graphql_schema.context import HubContext
from graphql_schema.loaders import Loaders


class HubGraphQL(GraphQL):
    async def get_context(self, request: Request, response: Response | Any = None) -> HubContext:
        from app.auth import authenticate

        state = request.app.state
        db = request.scope["state"]["db"]
        settings = state.settings
        principal = await authenticate(
            db, settings.key_pepper.get_secret_value(), request.headers.get("authorization")
        )
        return HubContext(
            request=request,
            db=db,
            settings=settings,
            vault=state.vault,
            principal=principal,
            loaders=Loaders(db, state.vault),
            request_id=request.scope["state"]["request_id"],
        )
