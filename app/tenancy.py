"""The second wall: during a portal's or an adviser's reads, the transaction takes the role
``hub_tenant`` with its tenant set, so that PostgreSQL's row-level security (migration 0012) shows
only the tenant's rows even if a query forgot its filter.

The wall stands in front of the statements asked for inside the block, and only those: the
session puts the transaction behind it (``SET LOCAL``, which cannot outlive the transaction) and
back (``RESET ROLE``) statement by statement (app/db.py, RequestSession.walled), so that sibling
resolvers' statements, interleaved with these, run as the hub."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

from app.db import RequestSession


@contextlib.asynccontextmanager
async def as_portal(db: RequestSession, portal: str) -> AsyncIterator[None]:
    async with db.walled("hub.portal", portal):
        yield


@contextlib.asynccontextmanager
async def as_departments(db: RequestSession, departments: Iterable[str]) -> AsyncIterator[None]:
    async with db.walled("hub.departments", ",".join(sorted(departments))):
        yield
