"""Who am I."""

from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.types.client import Client
from graphql_schema.types.enums import Portal, Role


async def me(info: Info) -> Client:
    principal = info.context.require_principal()
    return Client(
        id=strawberry.ID(str(principal.client_id)),
        name=principal.name,
        role=Role(principal.role),
        portal=Portal(principal.portal) if principal.portal else None,
        departments=sorted(principal.departments) if principal.departments is not None else None,
        created_at=principal.created_at,
        revoked_at=None,
    )
