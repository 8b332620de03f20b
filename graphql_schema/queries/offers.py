"""offers: any role; filters narrow by place, certification and CFA; vacancies today."""

from __future__ import annotations

from app.services import offers as offer_service
from graphql_schema.arguments import After, First, page_size
from graphql_schema.context import Info
from graphql_schema.inputs.filters import OfferFilter
from graphql_schema.types.offer import Offer, OfferConnection, OfferEdge
from graphql_schema.types.pagination import PageInfo


async def offers(info: Info, filter: OfferFilter | None = None, first: First = 50, after: After = None) -> OfferConnection:
    context = info.context
    f = filter or OfferFilter()
    page = await offer_service.page(
        context.db, context.require_principal(), regions=f.regions, departments=f.departments,
        certification=f.certification, uai=f.uai, with_vacancies_only=bool(f.with_vacancies_only),
        first=page_size(info, first), after=after,
    )
    preloaded = await Offer.preload(info, page.rows)
    return OfferConnection(
        edges=[OfferEdge(cursor=c, node=Offer.from_row(row, preloaded)) for row, c in zip(page.rows, page.cursors)],
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None),
        total_count=page.total or 0,  # not computed when not asked for
    )
