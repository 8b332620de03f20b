"""Contract fields whose issue has not landed yet: present so clients can be generated, they
answer a NOT_IMPLEMENTED error naming the field."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.errors import NotImplementedYet
from graphql_schema.context import Info
from graphql_schema.inputs.filters import HeadcountFilter
from graphql_schema.types.enums import HeadcountDimension, Interval
from graphql_schema.types.headcount import HeadcountPoint, HeadcountRow


def _not_yet(info: Info) -> NotImplementedYet:
    return NotImplementedYet(f"{info.field_name} is not implemented yet in this version of the hub")


async def headcounts(
    info: Info,
    group_by: Annotated[HeadcountDimension, strawberry.argument(description="How rows are grouped.")],
    on: Annotated[date | None, strawberry.argument(description="The date; default today.")] = None,
    filter: HeadcountFilter | None = None,
) -> list[HeadcountRow]:
    raise _not_yet(info)


async def headcount_series(
    info: Info,
    from_: Annotated[date, strawberry.argument(name="from", description="First date of the series.")],
    to: Annotated[date, strawberry.argument(description="Last date of the series.")],
    interval: Annotated[Interval, strawberry.argument(description="Week or month ends; at most 60 points.")],
    group_by: Annotated[HeadcountDimension, strawberry.argument(description="How rows are grouped.")],
    filter: HeadcountFilter | None = None,
) -> list[HeadcountPoint]:
    raise _not_yet(info)


