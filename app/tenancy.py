"""The second wall: during a portal's or an adviser's reads, the transaction takes the role
``hub_tenant`` with its tenant set, so that PostgreSQL's row-level security (migration 0012) shows
only the tenant's rows even if a query forgot its filter.

``SET LOCAL`` (it cannot outlive the transaction, even if the request fails) and ``RESET ROLE``
when the reads are done, so that what the request does next (its audit entry, other fields) runs
as the hub again."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable

from app.db import RequestSession


@contextlib.asynccontextmanager
async def as_portal(db: RequestSession, portal: str) -> AsyncIterator[None]:
    await db.fetch("SELECT set_config('hub.portal', $1, true)", portal)
    async with _tenant(db):
        yield


@contextlib.asynccontextmanager
async def as_departments(db: RequestSession, departments: Iterable[str]) -> AsyncIterator[None]:
    await db.fetch("SELECT set_config('hub.departments', $1, true)", ",".join(sorted(departments)))
    async with _tenant(db):
        yield


@contextlib.asynccontextmanager
async def _tenant(db: RequestSession) -> AsyncIterator[None]:
    await db.run("SET LOCAL ROLE hub_tenant")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # an aborted transaction drops it with its rollback
            await db.run("RESET ROLE")
