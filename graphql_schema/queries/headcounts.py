"""headcounts and headcountSeries: PILOT (in scope) and ADMIN. Never a person."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry

from app.domain.dates import today as france_today
from app.services import conversion as conversion_service
from app.services import coverage as coverage_service
from app.services import headcounts as service
from app.services.territory import Filter
from graphql_schema.arguments import selects
from graphql_schema.context import Info
from graphql_schema.inputs.filters import HeadcountFilter
from graphql_schema.types.enums import HeadcountDimension, Interval, Portal
from graphql_schema.types.headcount import ConversionRow, CoverageRow, HeadcountPoint, HeadcountRow


def _filter(filter: HeadcountFilter | None) -> Filter:
    if filter is None:
        return Filter()
    return Filter(
        regions=filter.regions, departments=filter.departments, uais=filter.uais, certifications=filter.certifications
    )


async def headcounts(
    info: Info,
    group_by: Annotated[HeadcountDimension, strawberry.argument(description="How rows are grouped.")],
    on: Annotated[date | None, strawberry.argument(description="The date; default today.")] = None,
    filter: HeadcountFilter | None = None,
) -> list[HeadcountRow]:
    context = info.context
    (rows,) = await service.series(
        context.db, context.require_principal(), [on or france_today()], group_by.name, _filter(filter),
        context.settings.rule_version, with_vacancies=selects(info, "vacancies") or selects(info, "overCapacity"),
        with_labels=selects(info, "label"),
    )
    return [HeadcountRow.from_row(row) for row in rows]


async def headcount_series(
    info: Info,
    from_: Annotated[date, strawberry.argument(name="from", description="First date of the series.")],
    to: Annotated[date, strawberry.argument(description="Last date of the series.")],
    interval: Annotated[Interval, strawberry.argument(description="Week or month ends; at most 60 points.")],
    group_by: Annotated[HeadcountDimension, strawberry.argument(description="How rows are grouped.")],
    filter: HeadcountFilter | None = None,
) -> list[HeadcountPoint]:
    context = info.context
    points = service.series_points(from_, to, interval.name)
    if not points:
        return []
    answer = await service.series(
        context.db, context.require_principal(), points, group_by.name, _filter(filter), context.settings.rule_version,
        with_vacancies=selects(info, "rows", "vacancies") or selects(info, "rows", "overCapacity"),
        with_labels=selects(info, "rows", "label"),
    )
    return [HeadcountPoint(on=point, rows=[HeadcountRow.from_row(r) for r in rows]) for point, rows in zip(points, answer)]


async def wish_conversion(
    info: Info,
    group_by: Annotated[HeadcountDimension, strawberry.argument(description="How rows are grouped (the wished CFA's place).")],
    filter: HeadcountFilter | None = None,
    portal: Annotated[Portal | None, strawberry.argument(description="One portal's wishes; default both.")] = None,
    submitted_from: Annotated[
        datetime | None, strawberry.argument(description="Wishes submitted at or after this instant.")] = None,
    submitted_to: Annotated[datetime | None, strawberry.argument(description="Wishes submitted before this instant.")] = None,
) -> list[ConversionRow]:
    context = info.context
    rows = await conversion_service.conversion(
        context.db, context.require_principal(), group_by.name, _filter(filter),
        portal=None if portal is None else portal.value, submitted_from=submitted_from, submitted_to=submitted_to,
    )
    return [ConversionRow.from_row(row) for row in rows]


async def transmission_coverage(
    info: Info,
    group_by: Annotated[HeadcountDimension, strawberry.argument(
        description="How rows are grouped: NATIONAL, REGION, DEPARTMENT or CFA (by the CFA's department).")],
    on: Annotated[date | None, strawberry.argument(description="The date; default today.")] = None,
    filter: HeadcountFilter | None = None,
) -> list[CoverageRow]:
    context = info.context
    rows = await coverage_service.coverage(
        context.db, context.require_principal(), on or france_today(), group_by.name, _filter(filter))
    return [CoverageRow.from_row(row) for row in rows]
