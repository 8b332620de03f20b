"""Bearer key → :class:`Principal`: who calls, with which role and which scope."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from app import ratelimit
from app.db import RequestSession
from app.domain.actors import Portal, Role
from app.domain.scope import Scope
from app.repositories.clients import ClientRepository
from app.security import hash_api_key, keys_match, looks_like_api_key
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Principal:
    client_id: uuid.UUID
    name: str
    role: Role
    portal: Portal | None
    departments: frozenset[str] | None  # None: national scope
    created_at: datetime
    key_id: uuid.UUID
    last_write_lsn: str | None = None  # see ApiClient.last_write_lsn
    scope: Scope = field(init=False, repr=False, compare=False)  # what it may read, made once

    def __post_init__(self) -> None:
        object.__setattr__(self, "scope", Scope(self.role, self.portal, self.departments))


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def authenticate(
    db: RequestSession, pepper: str, authorization: str | None, *, settings: Settings | None = None
) -> Principal | None:
    """The principal of a valid, unrevoked, unexpired key; None for anything else. With
    ``settings``, the request's token is taken from the client's rate-limit bucket by the same
    statement (RateLimited when none is left)."""
    token = bearer_token(authorization)
    if token is None or not looks_like_api_key(token):
        return None
    return await admit_key(db, hash_api_key(pepper, token), settings)


async def admit_key(db: RequestSession, presented: bytes, settings: Settings | None, cost: float = 1.0) -> Principal | None:
    """The principal of the key whose keyed hash is ``presented`` (one indexed look-up); with
    ``settings``, ``cost`` tokens taken from its client's bucket by the same statement
    (RateLimited when it went below zero)."""
    row = await ClientRepository(db).admit(presented, ratelimit.bucket(settings, cost) if settings is not None else None)
    if row is None or not keys_match(row["key_hash"], presented):
        return None
    if settings is not None:
        ratelimit.check(row["tokens"], settings, row["client_id"])
    return Principal(
        client_id=row["client_id"],
        name=row["name"],
        role=Role(row["role"]),
        portal=Portal(row["portal"]) if row["portal"] else None,
        departments=frozenset(row["departments"]) if row["departments"] is not None else None,
        created_at=row["created_at"],
        key_id=row["key_id"],
        last_write_lsn=row["last_write_lsn"],
    )
