"""A page of a cursor-paginated list, as services hand it to the API layer, and the two halves
every list shares: the position a client's ``after`` cursor stands for, and "one more row" to
know whether a next page exists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from app.domain.cursors import CursorError, decode_cursor, encode_cursor
from app.errors import BadInput

T = TypeVar("T")


@dataclass(frozen=True)
class Page:
    rows: list[Any]  # asyncpg records or SQLAlchemy rows, read by column name
    cursors: list[str]
    has_next: bool
    total: int | None  # None when the caller did not ask for it


def position(kind: str, after: str | None, parse: Callable[..., T], arity: int = 1) -> T | None:
    """Where ``after`` (a cursor this list gave: ``kind``, ``arity`` values) says the page
    starts, as ``parse(*values)`` makes it; None without a cursor. Any other cursor, or values
    ``parse`` refuses, is BAD_USER_INPUT (INVALID_CURSOR)."""
    if after is None:
        return None
    try:
        return parse(*decode_cursor(kind, after, arity))
    except (CursorError, ValueError, TypeError):
        raise BadInput("after: the cursor is not one this list gave", field="after", reason="INVALID_CURSOR") from None


def page_of(
    rows: Sequence[Any], first: int, kind: str, key: Callable[[Any], tuple[Any, ...]], total: int | None
) -> Page:
    """The page of ``first`` rows out of ``rows`` (read with one more, to know whether a next
    page exists), each with its cursor (``kind`` and the values ``key`` gives)."""
    page = list(rows[:first])
    return Page(rows=page, cursors=[encode_cursor(kind, *key(row)) for row in page], has_next=len(rows) > first,
                total=total)
