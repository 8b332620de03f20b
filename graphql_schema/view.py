"""The HTTP view of the GraphQL endpoint: builds the typed context for each request."""

from __future__ import annotations

import orjson
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse, process_result
from strawberry.types import ExecutionResult

from app.bodies import refuse
from app.ratelimit import RequestCost
from graphql_schema.context import HubContext
from graphql_schema.extensions import shape_error
from graphql_schema.loaders import Loaders

_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}


class HubGraphQL(GraphQL[HubContext, None]):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Strawberry answers a request it cannot take (a body that is not JSON, no query, …)
        with plain text: here the coded JSON error every other refusal has."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as problem:
            code = _CODES.get(problem.status_code, "BAD_REQUEST")
            await refuse(send, problem.status_code, code, problem.reason)
            return
        await response(scope, receive, send)

    # orjson: a 2,000-record batch (600 KB) decodes in a third of the standard library's time,
    # and pages of results encode several times faster. Its JSONDecodeError is a
    # json.JSONDecodeError, which strawberry answers with 400.
    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        """Errors raised before the operation ran (e.g. a syntax error caught by the parser
        cache) skip the schema extensions: give them their code here too."""
        if result.errors:
            request_id = request.scope.get("state", {}).get("request_id")
            result.errors = [
                error if (error.extensions or {}).get("code") else shape_error(error, request_id)
                for error in result.errors
            ]
        return process_result(result)

    async def get_context(  # type: ignore[override]  # HTTP only: no WebSocket reaches the hub
        self, request: Request, response: Response | None = None
    ) -> HubContext:
        state = request.app.state
        request_state = request.scope["state"]
        db = request_state["db"]
        principal = request_state.get("principal")
        return HubContext(
            request=request,
            db=db,
            settings=state.settings,
            vault=state.vault,
            principal=principal,  # admitted by app/admission.py
            loaders=Loaders(db, state.vault, principal),
            request_id=request_state["request_id"],
            known_youths=state.known_youths,
            cost=request_state.get("cost") or RequestCost(),
        )
