"""A page of a cursor-paginated list, as services hand it to the API layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row


@dataclass(frozen=True)
class Page:
    rows: list[Row[Any]]
    cursors: list[str]
    has_next: bool
    total: int | None  # None when the caller did not ask for it
