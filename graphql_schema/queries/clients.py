"""Who am I."""

from __future__ import annotations

from graphql_schema.context import Info
from graphql_schema.types.client import Client


async def me(info: Info) -> Client:
    principal = info.context.require_principal()
    return Client(
        id=str(principal.client_id),
        name=principal.name,
        role=principal.role.value,
        portal=principal.portal.value if principal.portal else None,
        departments=sorted(principal.departments) if principal.departments is not None else None,
        created_at=principal.created_at,
        revoked_at=None,
    )
