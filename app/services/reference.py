"""Look-ups of reference data, CFAs, certifications and clients by key, for batch loaders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from app.db import RequestSession
from app.repositories.certifications import CertificationRepository
from app.repositories.cfas import CfaRepository
from app.repositories.reference import ReferenceRepository


def _in_key_order(rows: list[Row[Any]], keys: Sequence[Any], attribute: str) -> list[Row[Any] | None]:
    by_key = {getattr(row, attribute): row for row in rows}
    return [by_key.get(key) for key in keys]


async def regions(db: RequestSession, codes: Sequence[str]) -> list[Row[Any] | None]:
    return _in_key_order(await ReferenceRepository(db).regions_by_codes(codes), codes, "code")


async def departments(db: RequestSession, codes: Sequence[str]) -> list[Row[Any] | None]:
    return _in_key_order(await ReferenceRepository(db).departments_by_codes(codes), codes, "code")


async def cfas(db: RequestSession, uais: Sequence[str]) -> list[Row[Any] | None]:
    return _in_key_order(await CfaRepository(db).by_uais(uais), uais, "uai")


async def certifications(db: RequestSession, codes: Sequence[str]) -> list[Row[Any] | None]:
    return _in_key_order(await CertificationRepository(db).by_codes(codes), codes, "code")


