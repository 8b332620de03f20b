"""API clients and new keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from graphql_schema.types.enums import Portal, Role


@strawberry.type(description="An API client: one role, one scope. Seen by itself (`me`) and by ADMIN.")
class Client:
    id: strawberry.ID = strawberry.field(description="The client's id (a UUID), e.g. for `setCfaConsent`.")
    name: str = strawberry.field(description="A name for people (the vendor, the portal, the service).")
    role: Role = strawberry.field(description="What the client may do.")
    portal: Portal | None = strawberry.field(description="PORTAL clients: which portal.")
    departments: list[str] | None = strawberry.field(
        description="ADVISER and regional PILOT scope (department codes); null = national."
    )
    created_at: datetime = strawberry.field(description="When the client was created.")
    revoked_at: datetime | None = strawberry.field(
        description="When the client was revoked (its keys stopped working); null while active."
    )

    @classmethod
    def from_row(cls, row: Any) -> Client:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            role=Role(row.role),
            portal=Portal(row.portal) if row.portal else None,
            departments=list(row.departments) if row.departments is not None else None,
            created_at=row.created_at,
            revoked_at=getattr(row, "revoked_at", None),
        )


@strawberry.type(description="A client just created, with its API key.")
class NewClient:
    client: Client = strawberry.field(description="The new client.")
    api_key: str = strawberry.field(
        description="The key, shown once: the hub keeps only a keyed hash of it. Send it as "
        "`Authorization: Bearer <key>`."
    )
