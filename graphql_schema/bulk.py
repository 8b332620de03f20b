"""Bulk mutations: their records reach the service as the client sent them, validated there in
one loop, record by record.

Two costs are avoided. Strawberry turns each input record into a typed object: for 2,000
StepInputs that costs about 300 ms. graphql-core's own coercion of the variables still costs
about 36 ms per 2,000 records, and one malformed record (a bad date string) fails the whole call.
So, for a variable of a bulk type (``[StepInput!]!``), :class:`RawBulkInputs` takes the JSON list
out of the variables before graphql-core coerces them, and the resolver hands it to the service,
which checks every field of every record itself (types, required fields, unknown fields, enum
values, dates) and reports each bad record with its index, field and code: the contract's
"per-record problems inside a batch are not GraphQL errors". Records written inline in the
document (no variable) arrive coerced by graphql-core; the service accepts both forms.

The schema keeps the strawberry field (its type, description and permission); only the
graphql-core resolver is replaced, and it enforces the same permission first.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import asyncpg
from graphql import (
    DocumentNode,
    GraphQLResolveInfo,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    OperationDefinitionNode,
    TypeNode,
    VariableNode,
)
from sqlalchemy.exc import DBAPIError
from strawberry.extensions import SchemaExtension

from graphql_schema.arguments import batch_of
from graphql_schema.context import HubContext
from graphql_schema.permissions import Policed

RawHandler = Callable[[HubContext, Sequence[Mapping[str, Any]]], Awaitable[Any]]
# Deadlock and serialisation failures between concurrent batches on the same youths: the whole
# call is rolled back and run again, a few times, before the error reaches the client.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 4


def sqlstate(error: Exception) -> str | None:
    """The SQLSTATE of a database error, raised through SQLAlchemy or by the driver directly."""
    original = error.orig if isinstance(error, DBAPIError) else error
    return getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)


BULK_INPUT_TYPES = frozenset({"StepInput", "WishInput", "OfferInput"})


def _bulk_type(node: TypeNode) -> bool:
    """``[X!]!`` with X a bulk input type."""
    return (
        isinstance(node, NonNullTypeNode)
        and isinstance(node.type, ListTypeNode)
        and isinstance(node.type.type, NonNullTypeNode)
        and isinstance(node.type.type.type, NamedTypeNode)
        and node.type.type.type.name.value in BULK_INPUT_TYPES
    )


def bulk_variables(document: DocumentNode) -> frozenset[str]:
    """The names of the document's variables of a bulk type (``[StepInput!]!``, …)."""
    return frozenset(
        variable.variable.name.value
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        for variable in definition.variable_definitions or ()
        if _bulk_type(variable.type)
    )


class RawBulkInputs(SchemaExtension):
    """Moves list variables of bulk input types out of graphql-core's coercion (see above)."""

    def on_execute(self) -> Any:
        context = self.execution_context
        variables = context.variables
        document = context.graphql_document
        if variables and document is not None:
            for definition in document.definitions:
                if not isinstance(definition, OperationDefinitionNode):
                    continue
                if context.operation_name and (definition.name is None or definition.name.value != context.operation_name):
                    continue
                for variable in definition.variable_definitions or ():
                    name = variable.variable.name.value
                    value = variables.get(name)
                    if isinstance(value, list) and _bulk_type(variable.type):
                        context.context.raw_inputs[name] = value
                        variables[name] = []
        yield


def _records(info: GraphQLResolveInfo[Any], coerced: list[Any]) -> list[Any]:
    for argument in info.field_nodes[0].arguments or ():
        if argument.name.value == "input" and isinstance(argument.value, VariableNode):
            raw: list[Any] | None = info.context.raw_inputs.get(argument.value.name.value)
            if raw is not None:
                return raw
    return coerced


def install(strawberry_schema: Any, handlers: Mapping[str, RawHandler]) -> None:
    graphql_fields = strawberry_schema._schema.mutation_type.fields
    for name, handler in handlers.items():
        graphql_fields[name].resolve = _resolver(handler, Policed())


def _resolver(handler: RawHandler, permission: Policed) -> Callable[..., Awaitable[Any]]:
    async def resolve(root: Any, info: GraphQLResolveInfo[Any], input: list[Mapping[str, Any]]) -> Any:
        permission.has_permission(root, info)
        context: HubContext = info.context
        input = batch_of(context, _records(info, input))
        return await retrying(context, lambda: handler(context, input))

    return resolve


async def retrying(context: HubContext, work: Callable[[], Awaitable[Any]]) -> Any:
    """``work`` (a mutation, the request's only write), again from a rolled-back transaction when
    PostgreSQL chose it as a deadlock's victim or a serialization failure (at most ATTEMPTS times)."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return await work()
        except (DBAPIError, asyncpg.PostgresError) as error:
            if sqlstate(error) not in RETRYABLE_SQLSTATES or attempt == ATTEMPTS:
                raise
            await context.db.rollback()
            await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")
