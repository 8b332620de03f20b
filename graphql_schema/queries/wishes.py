"""wishes, wish (PORTAL: its own, audited) and wishOutcomeSummary (PORTAL, PILOT in scope)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services import wishes
from app.services.wishes import WishFilterValues
from graphql_schema.arguments import After, First, page_size, selects
from graphql_schema.context import Info
from graphql_schema.inputs.filters import WishFilter
from graphql_schema.types.enums import OutcomeMatch, OutcomeStage
from graphql_schema.types.pagination import PageInfo
from graphql_schema.types.wish import OutcomeCount, Wish, WishConnection, WishEdge


def filter_values(filter: WishFilter | None) -> WishFilterValues | None:
    if filter is None:
        return None
    return WishFilterValues(
        submitted_from=filter.submitted_from, submitted_to=filter.submitted_to, uai=filter.uai,
        stage=None if filter.stage is None else filter.stage.value, outcome_changed_since=filter.outcome_changed_since,
    )


async def wishes_(info: Info, filter: WishFilter | None = None, first: First = 50, after: After = None) -> WishConnection:
    context = info.context
    page = await wishes.page(
        context.db, context.require_principal(), filter_values(filter), page_size(info, first), after, context.request_id,
        with_total=selects(info, "totalCount"),
    )
    preloaded = await Wish.preload(info, page.rows)
    return WishConnection(
        edges=[WishEdge(cursor=cursor, node=Wish.from_row(row, preloaded)) for row, cursor in zip(page.rows, page.cursors)],
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None),
        total_count=page.total or 0,  # not computed when not asked for
    )


async def wish(
    info: Info, portal_wish_id: Annotated[str, strawberry.argument(description="The portal's id of the wish.")]
) -> Wish | None:
    context = info.context
    row = await wishes.one(context.db, context.require_principal(), portal_wish_id, context.request_id)
    return None if row is None else Wish.from_row(row, await Wish.preload(info, [row]))


async def wish_outcome_summary(info: Info, filter: WishFilter | None = None) -> list[OutcomeCount]:
    context = info.context
    rows = await wishes.summary(context.db, context.require_principal(), filter_values(filter))
    return [
        OutcomeCount(stage=OutcomeStage(row.stage), match=None if row.match is None else OutcomeMatch(row.match),
                     count=row.wishes)
        for row in rows
    ]
