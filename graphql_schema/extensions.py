"""Schema extensions: the transaction decision and the error shape.

GraphQL turns exceptions into ``errors`` with HTTP 200, so the commit is decided here, after
the operation: a mutation with any error rolls back (all or nothing per call); a query commits
(its audit rows) unless something unexpected happened. If the commit itself fails, the answer
is replaced by an error: nothing is acknowledged that was not stored.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.db import is_unavailable
from app.errors import ErrorCode, HubError, ServiceUnavailable
from app.services.clients import note_write

log = logging.getLogger("hub.graphql")


def is_expected(error: GraphQLError) -> bool:
    """A hub error, or a request error found before any resolver ran (parse, validation,
    variable coercion: those have no path)."""
    return isinstance(error.original_error, HubError) or error.original_error is None or error.path is None


def operation_label(execution_context: Any) -> str | None:
    """The operation's name, else its root fields (``recordSteps``, ``cfas+me``): never a value."""
    if execution_context.operation_name:
        label: str = execution_context.operation_name[:80]
        return label
    document = execution_context.graphql_document
    if document is None:
        return None
    names = []
    for definition in document.definitions:
        for selection in getattr(getattr(definition, "selection_set", None), "selections", ()):
            name = getattr(getattr(selection, "name", None), "value", None)
            if name:
                names.append(name)
    return "+".join(names)[:80] or None


class TransactionExtension(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        yield
        context = self.execution_context.context
        db = getattr(context, "db", None)
        if db is None:
            return
        try:
            context.request.scope["state"]["operation"] = operation_label(self.execution_context)
        except (RuntimeError, AttributeError):  # no document: it did not parse
            pass
        result = self.execution_context.result
        errors = list(getattr(result, "errors", None) or [])
        try:
            is_mutation = self.execution_context.operation_type == OperationType.MUTATION
        except RuntimeError:  # the document did not parse: nothing ran
            is_mutation = False
        if result is None or (errors and is_mutation) or not all(is_expected(e) for e in errors):
            await db.rollback()
            return
        try:
            await db.commit()
            principal = getattr(context, "principal", None)
            if is_mutation and db.has_replica and principal is not None:
                await note_write(db, principal.client_id)
        except Exception:
            log.exception("commit failed", extra={"request_id": context.request_id})
            await db.rollback()
            # Strawberry returns the result object it holds: change it in place.
            result.data = None
            result.errors = [
                GraphQLError(
                    "the hub could not store the result of this operation; nothing was saved",
                    original_error=ServiceUnavailable("commit failed"),
                )
            ]


class ReadReplicaRouting(SchemaExtension):
    """With ``HUB_DATABASE_READ_URL``, a query runs on the replica once the replica has replayed
    the caller's last write (else on the primary: read-your-writes); mutations stay on the
    primary. Authentication and the rate limit, which write, ran on the primary before."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context.context
        db = getattr(context, "db", None)
        principal = getattr(context, "principal", None)
        if db is not None and db.has_replica and principal is not None and not db.on_replica:
            try:
                is_query = self.execution_context.operation_type == OperationType.QUERY
            except RuntimeError:
                is_query = False
            if is_query:
                await db.read_from_replica(principal.last_write_lsn)
        yield


_TOO_COMPLEX = ("exceeds maximum operation depth", "aliases found. Allowed", "Token limit exceeded", "estimated cost",
                "Syntax Error: Document contains more than")


def _validation_code(error: GraphQLError) -> str:
    if any(marker in error.message for marker in _TOO_COMPLEX):
        return "QUERY_TOO_COMPLEX"
    if "introspection is disabled" in error.message.lower() or "__schema" in error.message:
        return "INTROSPECTION_DISABLED"
    if error.message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if error.message.startswith("Variable '$") or "got invalid value" in error.message:
        return str(ErrorCode.BAD_USER_INPUT)
    if "Expected value of type" in error.message or "Enum '" in error.message or "Value cannot represent" in error.message:
        return str(ErrorCode.BAD_USER_INPUT)
    return "GRAPHQL_VALIDATION_FAILED"


class ErrorShapeExtension(SchemaExtension):
    """Every error gets ``extensions.code``; unexpected ones are masked, with the request id."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", None)
        result.errors = [shape_error(error, request_id) for error in result.errors]


def shape_error(error: GraphQLError, request_id: str | None) -> GraphQLError:
    """The client's view of an error: a code always; a mask over anything unexpected."""
    original = error.original_error
    if isinstance(original, HubError):
        extensions = original.extensions()
        message = original.message
    elif original is not None and is_unavailable(original):
        extensions = {"code": str(ErrorCode.SERVICE_UNAVAILABLE), "requestId": request_id or ""}
        message = "the database is unavailable; retry in a few seconds"
    elif original is None or error.path is None:
        extensions = {**(error.extensions or {})}
        extensions.setdefault("code", _validation_code(error))
        message = error.message
    else:
        extensions = {"code": str(ErrorCode.INTERNAL_SERVER_ERROR), "requestId": request_id or ""}
        message = f"internal error; quote request id {request_id} to the operator"
    return GraphQLError(
        message, nodes=error.nodes, source=error.source, positions=error.positions,
        path=error.path, original_error=None, extensions=extensions,
    )
