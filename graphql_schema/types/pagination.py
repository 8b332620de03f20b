"""Cursor pagination: page info and the connections of the contract."""

from __future__ import annotations

import strawberry


@strawberry.type(description="Where a page stands in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="True when another page follows.")
    end_cursor: str | None = strawberry.field(
        description="Pass it as `after` to get the next page; null on an empty page."
    )
