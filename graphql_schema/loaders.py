"""Per-request DataLoaders (aiodataloader), named ``<entity>_by_<key>``.

Built anew for each request: a loader kept across requests would leak one client's rows to
another. Each batch is one ``IN (...)`` query, answered in key order. Loaders answer rows (what
the services give); the types make their objects from them, so no loader imports a type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from functools import cached_property
from typing import Any, TypeVar

from aiodataloader import DataLoader

from app.auth import Principal
from app.db import RequestSession
from app.domain.actors import Role
from app.domain.scope import Scope
from app.security import IdentityVault
from app.services import coverage, offers, reference, wishes, youths

K = TypeVar("K")
V = TypeVar("V")


def _loader(db: RequestSession, fetch: Callable[[RequestSession, Sequence[K]], Awaitable[list[V]]]) -> DataLoader[K, V]:
    async def batch(keys: list[K]) -> list[V]:
        return await fetch(db, keys)

    return DataLoader(batch_load_fn=batch)


class Loaders:
    def __init__(self, db: RequestSession, vault: IdentityVault, principal: Principal | None = None):
        self._db = db
        self._vault = vault
        self._principal = principal  # the caller (None before authentication: then nothing is read)

    @cached_property
    def region_by_code(self) -> DataLoader[str, Any]:
        return _loader(self._db, reference.regions)

    @cached_property
    def department_by_code(self) -> DataLoader[str, Any]:
        return _loader(self._db, reference.departments)

    @cached_property
    def cfa_by_uai(self) -> DataLoader[str, Any]:
        return _loader(self._db, reference.cfas)

    @cached_property
    def certification_by_code(self) -> DataLoader[str, Any]:
        return _loader(self._db, reference.certifications)

    @cached_property
    def steps_by_youth(self) -> DataLoader[int, Any]:
        return _loader(self._db, youths.histories)

    @cached_property
    def situation_by_youth_day(self) -> DataLoader[tuple[int, date], Any]:
        return _loader(self._db, youths.situations)

    @cached_property
    def ine_by_youth(self) -> DataLoader[int, str | None]:
        vault = self._vault

        async def fetch(db: RequestSession, ids: Sequence[int]) -> list[str | None]:
            return await youths.ines(db, vault, ids)

        return _loader(self._db, fetch)

    @cached_property
    def history_by_wish(self) -> DataLoader[int, Any]:
        return _loader(self._db, wishes.histories)

    @cached_property
    def offer_by_id(self) -> DataLoader[int, Any]:
        scope = self._principal.scope if self._principal else Scope(Role.PILOT)  # never exact without a caller

        async def fetch(db: RequestSession, ids: Sequence[int]) -> list[Any]:
            return await offers.by_ids(db, scope, ids)

        return _loader(self._db, fetch)

    @cached_property
    def transmission_by_uai(self) -> DataLoader[str, Any]:
        """A CFA's transmission, or None where the caller may not read it (app/services/coverage.py)."""
        principal = self._principal

        async def fetch(db: RequestSession, uais: Sequence[str]) -> list[Any]:
            if principal is None:
                return [None] * len(uais)
            return await coverage.transmissions(db, principal, uais)

        return _loader(self._db, fetch)
