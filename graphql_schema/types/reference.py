"""Regions and departments (INSEE reference data)."""

from __future__ import annotations

from typing import Any

import strawberry

from graphql_schema.context import Info


@strawberry.type(description="A French region (or overseas collectivity), by INSEE code.")
class Region:
    code: str = strawberry.field(description='INSEE region code, e.g. "11" (Île-de-France), "94" (Corse).')
    name: str = strawberry.field(description="Official name.")

    @classmethod
    def from_row(cls, row: Any) -> Region:
        return cls(code=row.code, name=row.name)


@strawberry.type(description="A département (or overseas collectivity), by INSEE code.")
class Department:
    code: str = strawberry.field(description='INSEE department code: "75", "2A", "971".')
    name: str = strawberry.field(description="Official name.")
    region_code: strawberry.Private[str]

    @strawberry.field(description="The region the department belongs to.")
    async def region(self, info: Info) -> Region:
        return Region.from_row(await info.context.loaders.region_by_code.load(self.region_code))

    @classmethod
    def from_row(cls, row: Any) -> Department:
        return cls(code=row.code, name=row.name, region_code=row.region_code)


async def load_department(info: Info, code: str) -> Department:
    return Department.from_row(await info.context.loaders.department_by_code.load(code))
