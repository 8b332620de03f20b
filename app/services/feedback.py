"""What a client's rejected records were, newest first, so that it can correct its data."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.auth import Principal
from app.db import RequestSession
from app.repositories.feedback import FeedbackRepository
from app.services.pagination import Page, page_of, position

CURSOR = "rejection"


async def rejections(db: RequestSession, principal: Principal, since: datetime | None, first: int, after: str | None) -> Page:
    start = position(CURSOR, after, lambda at, row_id: (datetime.fromisoformat(at), int(row_id)), 2)
    repository = FeedbackRepository(db)
    rows = await repository.rejections_page(principal.client_id, since, start, first + 1)
    total = await repository.count_rejections(principal.client_id, since)
    return page_of(rows, first, CURSOR, lambda row: (row.received_at.isoformat(), row.id), total)


async def audit_entries(
    db: RequestSession, *, client_id: uuid.UUID | None, youth_id: int | None, since: datetime | None, limit: int
) -> list[Any]:
    """Who read which youths' data, newest first (``hub audit``)."""
    return await FeedbackRepository(db).audit_entries(client_id=client_id, youth_id=youth_id, since=since, limit=limit)
