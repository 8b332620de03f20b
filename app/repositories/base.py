"""Base of the repositories: the request's session, whose lock serialises statements, and the
builder of numbered parameters for statements whose conditions depend on the call."""

from __future__ import annotations

from typing import Any

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
