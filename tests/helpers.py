"""Test helpers: a GraphQL caller over HTTP and a SQL statement counter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class Gql:
    """Posts a GraphQL operation with variables and a key; returns the decoded JSON body."""

    def __init__(self, http: httpx.AsyncClient):
        self.http = http

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def data(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> dict[str, Any]:
        """The ``data`` of a call that must have no error."""
        body = await self(query, variables, key=key)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def error(self, query: str, variables: dict[str, Any] | None = None, *, key: str | None = None) -> dict[str, Any]:
        """The single error of a call that must fail."""
        body = await self(query, variables, key=key)
        assert body.get("errors"), body
        assert len(body["errors"]) == 1, body["errors"]
        return body["errors"][0]


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def on_execute(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        self.on_statement(statement)

    def on_statement(self, statement: str) -> None:
        # Savepoints are the test harness's transaction, not the application's work.
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
            self.statements.append(statement)

    def reset(self) -> None:
        self.statements.clear()

    @property
    def count(self) -> int:
        return len(self.statements)


@dataclass
class AdminClient:
    row: Any
    key: str
    principal: Any
