"""Request bodies are read whole, bounded and on time, before anything else of the hub runs.

A body is the client's to send at its own pace; the hub's resources (a database connection, a
worker's memory) are not. So the body is read first, by this middleware, outside everything that
touches the database: a client trickling a body holds a socket and at most its limit in memory,
never a pooled connection. Three limits, each a setting:

- size, by path: ``HUB_MAX_BODY_BYTES`` for /graphql, ``HUB_MAX_IMPORT_BYTES`` for /imports/…,
  64 KB elsewhere. A declared ``Content-Length`` over it is refused before reading; a chunked
  body as soon as it passes it (413 ``PAYLOAD_TOO_LARGE``), not once it was read into memory;
- pace: the whole body must have arrived ``HUB_BODY_TIMEOUT_S`` seconds after the request
  started, plus one second for every ``HUB_BODY_MIN_BYTES_PER_S`` bytes received (408
  ``BODY_TOO_SLOW``): a slow but steady upload of a big file goes through, a trickle does not;
- shape, for /graphql: one JSON object (a list is ``BATCHING_NOT_SUPPORTED``, anything else
  ``BAD_REQUEST``, both 400).

The body is then handed on as one message (and kept in the request's state as ``body``).
"""

from __future__ import annotations

import asyncio
import json
import re
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

OTHER_PATHS_MAX_BYTES = 64 * 1024


class BodyReader:
    def __init__(self, app: ASGIApp, *, graphql_bytes: int, import_bytes: int, timeout_s: float, min_bytes_per_s: int):
        self.app = app
        self.graphql_bytes = graphql_bytes
        self.import_bytes = import_bytes
        self.timeout_s = timeout_s
        self.min_bytes_per_s = min_bytes_per_s

    def limit(self, path: str) -> int:
        if path == "/graphql":
            return self.graphql_bytes
        if path.startswith("/imports/"):
            return self.import_bytes
        return OTHER_PATHS_MAX_BYTES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await refuse(send, 413, "PAYLOAD_TOO_LARGE", f"the request body is over {limit:,} bytes")
            return
        body = bytearray()
        started = time.monotonic()
        while True:
            left = started + self.timeout_s + len(body) / self.min_bytes_per_s - time.monotonic()
            try:
                if left <= 0:
                    raise TimeoutError
                async with asyncio.timeout(left):
                    message = await receive()
            except TimeoutError:
                await refuse(send, 408, "BODY_TOO_SLOW", f"the request body did not arrive in time (at least"
                             f" {self.min_bytes_per_s:,} bytes a second after the first {self.timeout_s:g} s); nothing was read")
                return
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > limit:
                await refuse(send, 413, "PAYLOAD_TOO_LARGE", f"the request body is over {limit:,} bytes")
                return
            if not message.get("more_body", False):
                break
        if scope["path"] == "/graphql" and scope["method"] == "POST":
            first = _first_byte(body)
            if first == b"[":
                await refuse(send, 400, "BATCHING_NOT_SUPPORTED", "send one operation per request, not a list")
                return
            if first != b"{":
                await refuse(send, 400, "BAD_REQUEST", 'the body is a JSON object: {"query": "…", "variables": {…}}')
                return
        data = bytes(body)
        scope.setdefault("state", {})["body"] = data
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": data, "more_body": False}

        await self.app(scope, replay, send)


_WHITESPACE = re.compile(rb"[ \t\r\n]*")


def _first_byte(body: bytearray) -> bytes:
    """The body's first byte that is not JSON whitespace (b"" when none), without copying it."""
    start = _WHITESPACE.match(body).end()  # type: ignore[union-attr]  # always matches
    return bytes(body[start:start + 1])


async def refuse(send: Send, status: int, code: str, message: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """A coded JSON error in the GraphQL error shape, with its HTTP status."""
    payload = json.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": payload})
