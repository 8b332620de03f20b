"""Bulk mutations served from graphql-core's coerced variables, without strawberry's typed
argument conversion.

Strawberry turns each input record into a typed object: for 2,000 StepInputs that costs about
300 ms against 36 ms for graphql-core's own coercion (measured here; PERFORMANCE.md saw the same
ratio). graphql-core has already checked every type, enum and scalar of the input by then, so the
service validates the plain dicts (keyed by the contract's field names) in one loop.

The schema keeps the strawberry field (its type, description and permission); only the
graphql-core resolver is replaced, and it enforces the same permission first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from graphql import GraphQLResolveInfo

from app.errors import BadInput
from graphql_schema.context import HubContext
from graphql_schema.permissions import RoleIn, roles_of

RawHandler = Callable[[HubContext, Sequence[Mapping[str, Any]]], Awaitable[Any]]


def install(strawberry_schema: Any, handlers: Mapping[str, RawHandler]) -> None:
    mutation = strawberry_schema.get_type_by_name("Mutation")
    graphql_fields = strawberry_schema._schema.mutation_type.fields
    for name, handler in handlers.items():
        declared = next(f for f in mutation.fields if strawberry_schema.config.name_converter.from_field(f) == name)
        roles = next(r for r in (roles_of(e) for e in declared.extensions) if r)
        graphql_fields[name].resolve = _resolver(handler, RoleIn(roles))


def _resolver(handler: RawHandler, permission: RoleIn) -> Callable[..., Awaitable[Any]]:
    async def resolve(root: Any, info: GraphQLResolveInfo, input: list[Mapping[str, Any]]) -> Any:
        permission.has_permission(root, info)
        context: HubContext = info.context
        limit = context.settings.max_batch_size
        if not 1 <= len(input) <= limit:
            raise BadInput(
                f"input: from 1 to {limit} records a call, got {len(input)}; nothing was stored",
                field="input",
                reason="BATCH_SIZE",
            )
        return await handler(context, input)

    return resolve
