"""Shared arguments and their checks (page sizes, batch sizes)."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from app.errors import BadInput
from graphql_schema.context import HubContext, Info

First = Annotated[int | None, strawberry.argument(description="Page size, from 1 to 500 (default 50).")]
After = Annotated[
    str | None, strawberry.argument(description="Opaque cursor: the `endCursor` of the previous page.")
]


DEFAULT_PAGE_SIZE = 50


def page_size(info: Info, first: int | None) -> int:
    limit = info.context.settings.max_page_size
    if first is None:
        return min(DEFAULT_PAGE_SIZE, limit)
    if not 1 <= first <= limit:
        raise BadInput(f"first: from 1 to {limit}, got {first}", field="first", reason="PAGE_SIZE")
    return first


def batch_of(context: HubContext, records: list[Any]) -> list[Any]:
    """The records of a bulk call: 1 to ``max_batch_size`` of them, and as many in all the bulk
    calls of one request (five aliased recordSteps of 2,000 would otherwise store 10,000); they
    count in the request's cost (app/ratelimit.py)."""
    limit = context.settings.max_batch_size
    if not 1 <= len(records) <= limit:
        raise BadInput(
            f"input: from 1 to {limit} records a call, got {len(records)}; nothing was stored",
            field="input",
            reason="BATCH_SIZE",
        )
    cost = context.cost
    if cost.records + len(records) > limit:
        raise BadInput(
            f"input: at most {limit} records a request, bulk calls together; this one brings the request to"
            f" {cost.records + len(records)}; nothing was stored",
            field="input",
            reason="BATCH_SIZE",
        )
    cost.records += len(records)
    return records


def selects(info: Info, *path: str) -> bool:
    """Whether the operation asks for this field's subfield at ``path`` (names, through fragments
    too): a page's ``totalCount`` (a count over every matching row) is computed only when asked,
    and what a page preloads for its items only when they ask for it."""

    def walk(selections: list[Any], names: tuple[str, ...]) -> bool:
        for selection in selections:
            if isinstance(selection, SelectedField) and selection.name == names[0]:
                if len(names) == 1 or walk(selection.selections, names[1:]):
                    return True
            elif isinstance(selection, (FragmentSpread, InlineFragment)) and walk(selection.selections, names):
                return True
        return False

    return any(walk(field.selections, path) for field in info.selected_fields)
