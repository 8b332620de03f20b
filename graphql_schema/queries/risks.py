"""atRiskYouths: ADVISER (its departments only) and ADMIN; audited."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.services import risks
from graphql_schema.arguments import After, First, page_size, selects
from graphql_schema.context import Info
from graphql_schema.inputs.filters import AtRiskFilter
from graphql_schema.types.cfa import load_cfas
from graphql_schema.types.enums import RiskReason
from graphql_schema.types.pagination import PageInfo
from graphql_schema.types.path import AtRiskConnection, AtRiskEdge, AtRiskYouth, StatusEvent, Youth
from graphql_schema.types.reference import Department

_REASONS = {member.value: member for member in RiskReason}


async def at_risk_youths(
    info: Info,
    filter: AtRiskFilter | None = None,
    on: Annotated[date | None, strawberry.argument(description="The date of evaluation; default today.")] = None,
    first: First = 50,
    after: After = None,
) -> AtRiskConnection:
    context = info.context
    principal = context.require_principal()
    query = risks.query_for(
        principal, on,
        filter.departments if filter is not None else None,
        [r.value for r in filter.reasons] if filter is not None and filter.reasons is not None else None,
    )
    page = await risks.page(
        context.db, principal, query, page_size(info, first), after, context.request_id,
        with_total=selects(info, "totalCount"),
    )
    steps = await risks.last_steps(context.db, [row["youth_id"] for row in page.rows], query.on) if page.rows else {}
    codes = sorted({row["department_code"] for row in page.rows})
    departments = dict(zip(codes, await context.loaders.department_by_code.load_many(codes)))
    edges = []
    for row, cursor in zip(page.rows, page.cursors):
        step = steps.get(row["youth_id"])
        node = AtRiskYouth(
            youth=Youth.of(row["youth_id"]),
            reasons=[_REASONS[reason] for reason in row["reasons"]],
            since=row["since"],
            last_step=None if step is None else StatusEvent.from_row(step),
            department_code=row["department_code"],
            preloaded_department=Department.from_row(departments[row["department_code"]]),
        )
        edges.append(AtRiskEdge(cursor=cursor, node=node))
    # What the page's items would each load, loaded at once when asked for (plain completion
    # then answers the whole page: graphql_schema/execution.py).
    if selects(info, "edges", "node", "youth", "ine"):
        await Youth.preload_ines(info, [edge.node.youth for edge in edges])
    last = [edge.node.last_step for edge in edges if edge.node.last_step is not None]
    if last and selects(info, "edges", "node", "lastStep", "cfa"):
        cfas = await load_cfas(info, (step.uai for step in last))
        for step in last:
            step.preloaded_cfa = cfas[step.uai]
    return AtRiskConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.cursors[-1] if page.cursors else None),
        total_count=page.total or 0,  # not computed when not asked for
    )
