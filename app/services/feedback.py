"""What a client's rejected records were, newest first, so that it can correct its data."""

from __future__ import annotations

from datetime import datetime

from app.auth import Principal
from app.db import RequestSession
from app.domain.cursors import CursorError, decode_cursor, encode_cursor
from app.errors import BadInput
from app.repositories.feedback import FeedbackRepository
from app.services.pagination import Page

CURSOR = "rejection"


async def rejections(db: RequestSession, principal: Principal, since: datetime | None, first: int, after: str | None) -> Page:
    position = None
    if after is not None:
        try:
            at, row_id = decode_cursor(CURSOR, after, 2)
            position = (datetime.fromisoformat(at), int(row_id))
        except (CursorError, ValueError, TypeError):
            raise BadInput("after: the cursor is not one this list gave", field="after", reason="INVALID_CURSOR") from None
    repository = FeedbackRepository(db)
    rows = await repository.rejections_page(principal.client_id, since, position, first + 1)
    total = await repository.count_rejections(principal.client_id, since)
    page = rows[:first]
    return Page(
        rows=page,
        cursors=[encode_cursor(CURSOR, row.received_at.isoformat(), row.id) for row in page],
        has_next=len(rows) > first,
        total=total,
    )
