"""CFAs and certifications: public referential, readable by every role."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.identifiers import Invalid, check_certification, check_uai
from app.services import cfas as cfa_service
from graphql_schema.arguments import After, First, page_size
from graphql_schema.context import Info
from graphql_schema.types.cfa import Certification, Cfa
from graphql_schema.types.pagination import PageInfo


@strawberry.type(description="An edge of a CFA list.")
class CfaEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this edge.")
    node: Cfa = strawberry.field(description="The CFA.")


@strawberry.type(description="A page of CFAs, in UAI order.")
class CfaConnection:
    edges: list[CfaEdge] = strawberry.field(description="The page.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")
    total_count: int = strawberry.field(description="All CFAs, over every page.")


async def cfa(
    info: Info, uai: Annotated[str, strawberry.argument(description="UAI; case and spaces are forgiven.")]
) -> Cfa | None:
    normalised = check_uai(uai)
    if isinstance(normalised, Invalid):
        return None
    row = await info.context.loaders.cfa_by_uai.load(normalised)
    return None if row is None else Cfa.from_row(row)


async def cfas(info: Info, first: First = 50, after: After = None) -> CfaConnection:
    page = await cfa_service.cfa_page(info.context.db, page_size(info, first), after)
    edges = [CfaEdge(cursor=cursor, node=Cfa.from_row(row)) for row, cursor in zip(page.rows, page.cursors)]
    return CfaConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None),
        total_count=page.total or 0,  # not computed when not asked for
    )


async def certification(
    info: Info,
    code: Annotated[str, strawberry.argument(description="CFD or RNCP code; normalised (e.g. 'rncp 34.567').")],
) -> Certification | None:
    checked = check_certification(code)
    if isinstance(checked, Invalid):
        return None
    row = await info.context.loaders.certification_by_code.load(checked.code)
    return None if row is None else Certification.from_row(row)
