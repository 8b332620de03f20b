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
    async with _tenant(db, "hub.portal", portal):
        yield


@contextlib.asynccontextmanager
async def as_departments(db: RequestSession, departments: Iterable[str]) -> AsyncIterator[None]:
    async with _tenant(db, "hub.departments", ",".join(sorted(departments))):
        yield


@contextlib.asynccontextmanager
async def _tenant(db: RequestSession, setting: str, value: str) -> AsyncIterator[None]:
    # set_config('role', ..., true) is SET LOCAL ROLE, in the same statement as the tenant
    await db.fetch("SELECT set_config($1, $2, true), set_config('role', 'hub_tenant', true)", setting, value)
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # an aborted transaction drops it with its rollback
            await db.run("RESET ROLE")
