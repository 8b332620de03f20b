"""The typed request context handed to every resolver (``strawberry.Info[HubContext, None]``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

import strawberry
from starlette.requests import Request

from app.auth import Principal
from app.db import RequestSession
from app.errors import Unauthenticated
from app.ratelimit import RequestCost
from app.security import IdentityVault
from app.services.known_youths import KnownYouths
from app.settings import Settings
from graphql_schema.loaders import Loaders


@dataclass
class HubContext:
    request: Request
    db: RequestSession
    settings: Settings
    vault: IdentityVault
    principal: Principal | None
    loaders: Loaders
    request_id: str
    # The process's cache of youths known to exist (app/services/known_youths.py).
    known_youths: KnownYouths | None = None
    # Bulk input lists taken out of graphql-core's coercion, by variable name (graphql_schema/bulk.py).
    raw_inputs: dict[str, list[Any]] = field(default_factory=dict)
    # What the request cost, charged to its client once answered (app/admission.py).
    cost: RequestCost = field(default_factory=RequestCost)

    def require_principal(self) -> Principal:
        if self.principal is None:
            raise Unauthenticated("missing or unknown API key: send Authorization: Bearer <key>")
        return self.principal


Info: TypeAlias = strawberry.Info[HubContext, None]
