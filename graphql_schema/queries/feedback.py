"""myRejections: a client's own rejected records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.services import feedback
from graphql_schema.arguments import After, First, page_size
from graphql_schema.context import Info
from graphql_schema.types.batch import RecordError, Rejection, RejectionConnection, RejectionEdge
from graphql_schema.types.pagination import PageInfo


async def my_rejections(
    info: Info,
    since: Annotated[datetime | None, strawberry.argument(description="Only rejections received after this instant.")] = None,
    first: First = 50,
    after: After = None,
) -> RejectionConnection:
    page = await feedback.rejections(info.context.db, info.context.require_principal(), since, page_size(info, first), after)
    edges = [
        RejectionEdge(
            cursor=cursor,
            node=Rejection(
                received_at=row.received_at,
                operation=row.operation,
                error=RecordError(index=row.record_index, ref=row.ref, field=row.field, code=row.code, message=row.message),
            ),
        )
        for row, cursor in zip(page.rows, page.cursors)
    ]
    return RejectionConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None),
        total_count=page.total or 0,  # not computed when not asked for
    )
