"""Youths at risk in an adviser's territory, audited.

Scope first, filters after: an ADVISER reads only the spans of risk whose territory is one of its
departments (ADMIN: every one); a filter on departments keeps those of its departments that it
names, and a department outside the scope simply matches nothing, so that the answer never tells
what lies outside. Every answer writes the audit log with the youth ids returned, in the request's
transaction: if the audit cannot be written, the answer is not sent.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import date
from typing import Any

from app import tenancy
from app.auth import Principal
from app.db import RequestSession
from app.domain.dates import today as france_today
from app.domain.risk import Reason
from app.errors import BadInput
from app.repositories.feedback import FeedbackRepository
from app.repositories.risks import RiskQuery, RiskRepository
from app.services.arguments import departments_argument
from app.services.pagination import Page, page_of, position

CURSOR = "at-risk"


def query_for(
    principal: Principal, on: date | None, departments: Sequence[str] | None, reasons: Sequence[str] | None,
) -> RiskQuery:
    wanted = None if departments is None else frozenset(departments_argument(departments, "filter.departments"))
    if reasons is not None:
        unknown = [r for r in reasons if r not in Reason.__members__]
        if unknown:
            raise BadInput("filter.reasons: unknown reason", field="filter.reasons", reason="INVALID_REASON")
    return RiskQuery.readable_by(principal.scope, on or france_today(), wanted,
                                 tuple(reasons) if reasons is not None else None)


def decode_after(after: str | None) -> tuple[date, int] | None:
    return position(CURSOR, after, lambda since, youth_id: (date.fromisoformat(since), int(youth_id)), 2)


async def page(
    db: RequestSession, principal: Principal, query: RiskQuery, first: int, after: str | None, request_id: str | None,
    *, with_total: bool = True,
) -> Page:
    repository = RiskRepository(db)
    rows: list[Any]
    total: int | None
    if query.departments is not None and not query.departments:
        rows, total = [], 0
    else:
        async with _walled(db, principal, query):
            rows = await repository.page(query, decode_after(after), first + 1)
            total = await repository.count(query) if with_total else None
    page = page_of(rows, first, CURSOR, lambda row: (row["since"].isoformat(), row["youth_id"]), total)
    await audit(db, principal, "atRiskYouths", page.rows, request_id)
    return page


async def chunks(
    db: RequestSession, principal: Principal, query: RiskQuery, operation: str, request_id: str | None, size: int,
) -> AsyncIterator[list[Any]]:
    """Every youth at risk of ``query``, ``size`` at a time (an export): each chunk audited and
    committed before it is handed on, an empty answer audited once."""
    if query.departments is not None and not query.departments:
        await audit(db, principal, operation, [], request_id)
        await db.commit()
        return
    repository = RiskRepository(db)
    after = None
    while True:
        async with _walled(db, principal, query):
            rows = await repository.page(query, after, size)
        if rows or after is None:
            await audit(db, principal, operation, rows, request_id)
            await db.commit()
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        after = (rows[-1]["since"], rows[-1]["youth_id"])


def _walled(db: RequestSession, principal: Principal, query: RiskQuery) -> AbstractAsyncContextManager[None]:
    """The database's per-department wall around a read of youths, when the scope has one."""
    if principal.scope.walled_to_departments and query.departments is not None:
        return tenancy.as_departments(db, query.departments)
    return contextlib.nullcontext()


async def last_steps(db: RequestSession, youth_ids: Sequence[int], on: date) -> dict[int, Any]:
    return {row["youth_id"]: row for row in await RiskRepository(db).last_steps(youth_ids, on)}


async def audit(db: RequestSession, principal: Principal, operation: str, rows: Sequence[Any], request_id: str | None) -> None:
    """Every answer, even an empty one: who asked, when, and which youths it returned."""
    await FeedbackRepository(db).audit(principal.client_id, operation, [row["youth_id"] for row in rows], [], request_id)
