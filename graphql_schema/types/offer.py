"""Training offers with capacities (version 2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import strawberry

from graphql_schema.context import Info
from graphql_schema.types.cfa import Certification, Cfa, load_certification, load_certifications, load_cfa, load_cfas
from graphql_schema.types.pagination import PageInfo
from graphql_schema.types.reference import Department, load_department


@dataclass(frozen=True)
class OfferPreloaded:
    """What a list of offers resolved once for all its items."""

    cfas: dict[str, Cfa]
    certifications: dict[str, Certification]
    departments: dict[str, Department]


@strawberry.type(description="A training offer of a CFA, with its capacity. Readable by every role.")
class Offer:
    id: strawberry.ID = strawberry.field(description="The hub's id of the offer.")
    offer_ref: str = strawberry.field(description="The CFA software's own key for the offer.")
    title: str | None = strawberry.field(description="Intitulé de la formation, as the CFA's software sent it.")
    siret: str | None = strawberry.field(description="SIRET of the place where the training takes place.")
    session_start: date | None = strawberry.field(description="Start of the training session.")
    session_end: date | None = strawberry.field(description="End of the training session.")
    capacity: int | None = strawberry.field(description="Capacité d'accueil, as the CFA declared it.")
    revised_capacity: int | None = strawberry.field(
        description="Capacity revised by the authorities (e.g. sanitary rules); overrides `capacity` when set."
    )
    enrolled: int = strawberry.field(
        description="Youths of this intake: REGISTERED, APPRENTICE or CONTRACT_BROKEN today at this CFA and certification,"
        " who entered (first REGISTERED or APPRENTICE there) during this offer's session, from 30 days before its start"
        " (its school year when it has no dates); each youth in one offer only, the latest session started. Small counts"
        " protected for every role but ADMIN: a multiple of 5, 1 to 4 shown as 0 (statistical disclosure control)."
    )
    parcoursup_id: str | None = strawberry.field(description="Parcoursup formation id (g_ta_cod).")
    affelnet_id: str | None = strawberry.field(description='Affelnet offer: "<académie>/<code>".')
    updated_at: datetime = strawberry.field(description="Last change of the offer.")
    uai: strawberry.Private[str]
    certification_code: strawberry.Private[str]
    department_code: strawberry.Private[str]
    shown_vacancies: strawberry.Private[int | None]  # from the enrolled shown (app/services/disclosure.py)

    @classmethod
    def from_row(cls, row: Mapping[str, Any], preloaded: OfferPreloaded | None = None) -> Offer:
        return cls(
            preloaded=preloaded,
            id=strawberry.ID(str(row["id"])), offer_ref=row["offer_ref"], title=row["title"], siret=row["siret"],
            session_start=row["session_start"], session_end=row["session_end"],
            capacity=row["capacity"], revised_capacity=row["revised_capacity"], enrolled=row["enrolled"],
            shown_vacancies=row["vacancies"],
            parcoursup_id=row["parcoursup_id"], affelnet_id=row["affelnet_id"], updated_at=row["updated_at"],
            uai=row["uai"], certification_code=row["certification_code"], department_code=row["department_code"],
        )

    @strawberry.field(description="(revisedCapacity ?? capacity) - enrolled (as shown), never below 0; null when no"
                      " capacity is known.")
    def vacancies(self) -> int | None:
        return self.shown_vacancies

    preloaded: strawberry.Private[OfferPreloaded | None] = None

    # Sync resolvers answering from what a list preloaded, else the loader's awaitable (see Wish).
    @strawberry.field(description="The CFA giving the training.")
    def cfa(self, info: Info) -> Cfa:
        return self.preloaded.cfas[self.uai] if self.preloaded else load_cfa(info, self.uai)  # type: ignore[return-value]

    @strawberry.field(description="The certification prepared.")
    def certification(self, info: Info) -> Certification:
        if self.preloaded:
            return self.preloaded.certifications[self.certification_code]
        return load_certification(info, self.certification_code)  # type: ignore[return-value]

    @strawberry.field(description="Where the training takes place.")
    def department(self, info: Info) -> Department:
        if self.preloaded:
            return self.preloaded.departments[self.department_code]
        return load_department(info, self.department_code)  # type: ignore[return-value]

    @staticmethod
    async def preload(info: Info, rows: list[Any]) -> OfferPreloaded:
        loaders = info.context.loaders
        departments = sorted({row["department_code"] for row in rows})
        return OfferPreloaded(
            cfas=await load_cfas(info, (row["uai"] for row in rows)),
            certifications=await load_certifications(info, (row["certification_code"] for row in rows)),
            departments={d: Department.from_row(r) for d, r in zip(departments, await loaders.department_by_code.load_many(departments))},
        )


@strawberry.type(description="An edge of an offer list.")
class OfferEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this edge.")
    node: Offer = strawberry.field(description="The offer.")


@strawberry.type(description="A page of offers.")
class OfferConnection:
    edges: list[OfferEdge] = strawberry.field(description="The page.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")
    total_count: int = strawberry.field(description="All offers matching, over every page.")
