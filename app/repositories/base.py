"""Base of the repositories: the request's session, whose lock serialises statements."""

from __future__ import annotations

from app.db import RequestSession


class Repository:
    def __init__(self, db: RequestSession):
        self.db = db
