"""Regions, académies and departments (read-only reference data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select

from app.models import Department, Region
from app.models.base import table_of
from app.repositories.base import Repository

region_t = table_of(Region)
department_t = table_of(Department)


class ReferenceRepository(Repository):
    async def regions_by_codes(self, codes: Sequence[str]) -> list[Row[Any]]:
        statement = select(region_t.c.code, region_t.c.name).where(region_t.c.code.in_(list(codes)))
        return list((await self.db.execute(statement)).all())

    async def all_departments(self) -> list[Row[Any]]:
        statement = select(department_t.c.code, department_t.c.name, department_t.c.region_code)
        return list((await self.db.execute(statement)).all())

    async def departments_by_codes(self, codes: Sequence[str]) -> list[Row[Any]]:
        statement = select(
            department_t.c.code, department_t.c.name, department_t.c.region_code
        ).where(department_t.c.code.in_(list(codes)))
        return list((await self.db.execute(statement)).all())

    async def department_codes_of_regions(self, region_codes: Sequence[str]) -> list[str]:
        statement = (
            select(department_t.c.code)
            .where(department_t.c.region_code.in_(list(region_codes)))
            .order_by(department_t.c.code)
        )
        return list((await self.db.execute(statement)).scalars())
