"""What a client's rejected records were, newest first, so that it can correct its data."""

from __future__ import annotations

from datetime import datetime

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
