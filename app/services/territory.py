"""The territory an aggregate covers: the reader's scope narrowed by a filter of regions,
departments, CFAs and certifications (headcounts, series, wish conversion, coverage). Filters
narrow, never widen; an unknown region or department is refused naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.db import RequestSession
from app.domain.identifiers import Invalid, check_certification
from app.errors import BadInput
from app.repositories.headcounts import HeadcountRepository
from app.repositories.reference import ReferenceRepository
from app.services.arguments import departments_argument, uai_argument

DIMENSIONS = ("NATIONAL", "REGION", "DEPARTMENT", "CFA", "CERTIFICATION")  # how aggregates' rows are grouped


@dataclass(frozen=True)
class Filter:
    """HeadcountFilter as the API layer hands it over."""

    regions: Sequence[str] | None = None
    departments: Sequence[str] | None = None
    uais: Sequence[str] | None = None
    certifications: Sequence[str] | None = None


@dataclass(frozen=True)
class Territory:
    departments: frozenset[str] | None  # None: everywhere
    uais: list[str] | None
    certifications: list[str] | None

    @property
    def nowhere(self) -> bool:
        """Whether the scope and the filter leave no department at all."""
        return self.departments is not None and not self.departments


async def territory(db: RequestSession, within: frozenset[str] | None, wanted: Filter, field: str = "filter") -> Territory:
    """``within`` (the reader's departments; None: national) narrowed by ``wanted``."""
    departments = within
    reference = ReferenceRepository(db)
    if wanted.departments is not None:
        codes = departments_argument(wanted.departments, f"{field}.departments")
        known = {row.code for row in await reference.departments_by_codes(sorted(codes))}
        if codes - known:
            raise BadInput(f"{field}.departments: no department has the code {sorted(codes - known)[0]}",
                           field=f"{field}.departments", reason="UNKNOWN_DEPARTMENT")
        departments = frozenset(codes) if departments is None else departments & codes
    if wanted.regions is not None:
        regions = {r.strip() for r in wanted.regions}
        known = {row.code for row in await reference.regions_by_codes(sorted(regions))}
        if regions - known:
            raise BadInput(f"{field}.regions: no region has the code {sorted(regions - known)[0]}",
                           field=f"{field}.regions", reason="UNKNOWN_REGION")
        in_regions = frozenset(await reference.department_codes_of_regions(sorted(regions)))
        departments = in_regions if departments is None else departments & in_regions
    uais = None if wanted.uais is None else [uai_argument(raw, f"{field}.uais") for raw in wanted.uais]
    certifications = None
    if wanted.certifications is not None:
        certifications = []
        for raw in wanted.certifications:
            checked = check_certification(raw)
            if isinstance(checked, Invalid):
                raise BadInput(f"{field}.certifications: {checked.message}", field=f"{field}.certifications",
                               reason=checked.code)
            certifications.append(checked.code)
    return Territory(departments, uais, certifications)


async def labels(db: RequestSession, group_by: str, keys: Sequence[str]) -> dict[str, str]:
    """A name for people of each row's key: France, the region's, the department's, the CFA's or
    the certification's."""
    if group_by == "NATIONAL":
        return {"FR": "France"}
    kind = {"REGION": "region", "DEPARTMENT": "department", "CFA": "uai", "CERTIFICATION": "certification"}[group_by]
    return await HeadcountRepository(db).labels(kind, sorted(keys))
