"""Base of the repositories: the request's session, whose lock serialises statements, the
builder of numbered parameters for statements whose conditions depend on the call, and named
rows (a repository answers NamedTuples, so that no caller reads a column by its position)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from app.db import RequestSession


class Repository:
    def __init__(self, db: RequestSession):
        self.db = db


class Params(list[Any]):
    """The parameters of a statement being built: ``params(value)`` keeps the value and answers
    its placeholder (``$1``, ``$2``…); pass the list on with ``*params``."""

    def __call__(self, value: Any) -> str:
        self.append(value)
        return f"${len(self)}"


RowT = TypeVar("RowT", bound=tuple[Any, ...])


def named(kind: type[RowT], rows: Iterable[Iterable[Any]]) -> list[RowT]:
    """``rows`` (asyncpg records, tuples) as ``kind``, a NamedTuple whose fields are the columns in
    order: read by name, at the cost of a plain tuple (no per-field argument parsing)."""
    new = tuple.__new__
    return [new(kind, row) for row in rows]
