"""CFAs and certifications."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry

from graphql_schema.context import Info
from graphql_schema.types.enums import CertificationKind
from graphql_schema.types.reference import Department, Region, load_department


@strawberry.type(description="v2: what a CFA's software has sent lately.")
class Transmission:
    last_received_at: datetime | None = strawberry.field(description="The last step or offer received for this CFA.")
    steps_last_30_days: int = strawberry.field(description="Steps accepted (stored) in the 30 days up to today.")
    rejected_last_30_days: int = strawberry.field(description="Steps rejected in the same days.")
    vendors: list[str] = strawberry.field(description="Names of the vendors authorised to write for it.")

    @classmethod
    def from_row(cls, row: Any) -> Transmission:
        return cls(last_received_at=row.last_received_at, steps_last_30_days=row.steps_last_30_days,
                   rejected_last_30_days=row.rejected_last_30_days, vendors=list(row.vendors))


@strawberry.type(description="A CFA (centre de formation d'apprentis). Readable by every role.")
class Cfa:
    uai: str = strawberry.field(
        description='Unité Administrative Immatriculée, 7 characters + check letter, e.g. "0751234J".'
    )
    siret: str | None = strawberry.field(description="SIRET of the establishment (14 digits), when known.")
    name: str = strawberry.field(description="Name of the CFA.")
    consent_given: bool = strawberry.field(
        description="The CFA agreed that its data is transmitted; without it, no step or offer of "
        "the CFA is accepted. v2: a formateur that made no decision of its own follows its responsible's "
        "(and the vendors its responsible authorised write for it)."
    )
    department_code: strawberry.Private[str]
    responsible_uai: strawberry.Private[str | None]

    @strawberry.field(description="v2: the organisme responsable (gestionnaire) of this CFA formateur; null when it is "
                      "its own.")
    async def responsible(self, info: Info) -> Cfa | None:
        return None if self.responsible_uai is None else await load_cfa(info, self.responsible_uai)

    @strawberry.field(description="The department where the CFA is registered.")
    async def department(self, info: Info) -> Department:
        return await load_department(info, self.department_code)

    @strawberry.field(description="The region of the CFA's department.")
    async def region(self, info: Info) -> Region:
        department = await info.context.loaders.department_by_code.load(self.department_code)
        return Region.from_row(await info.context.loaders.region_by_code.load(department.region_code))

    @strawberry.field(description="v2: what the CFA's software has sent lately: ADMIN, PILOT (in scope), the CFA's "
                      "authorised vendors; null for other roles.")
    async def transmission(self, info: Info) -> Transmission | None:
        row = await info.context.loaders.transmission_by_uai.load(self.uai)
        return None if row is None else Transmission.from_row(row)

    @classmethod
    def from_row(cls, row: Any) -> Cfa:
        return cls(
            uai=row.uai,
            siret=row.siret,
            name=row.name,
            consent_given=row.consent_given,
            department_code=row.department_code,
            responsible_uai=row.responsible_uai,
        )


async def load_cfa(info: Info, uai: str) -> Cfa:
    return Cfa.from_row(await info.context.loaders.cfa_by_uai.load(uai))


async def load_cfas(info: Info, uais: Iterable[str]) -> dict[str, Cfa]:
    """The CFAs a list names, loaded at once (UAI -> Cfa), for lists that preload their items'."""
    keys = sorted(set(uais))
    return {uai: Cfa.from_row(row) for uai, row in zip(keys, await info.context.loaders.cfa_by_uai.load_many(keys))}


@strawberry.type(description="A certification (diplôme or titre) in the CFD or RNCP referential.")
class Certification:
    code: str = strawberry.field(description='CFD (8 characters) or "RNCP" + digits.')
    kind: CertificationKind = strawberry.field(description="The referential of the code.")
    title: str = strawberry.field(
        description="Title (intitulé); for an unverified certification, the code itself until the "
        "referential names it."
    )
    level: int | None = strawberry.field(description="Level: 3 (CAP) ... 7 (master).")
    verified: bool = strawberry.field(
        description="True once registered in the referential by an ADMIN; false for a valid code "
        "first seen in a step or a wish."
    )

    @classmethod
    def from_row(cls, row: Any) -> Certification:
        return cls(
            code=row.code,
            kind=CertificationKind(row.kind),
            title=row.title,
            level=row.level,
            verified=row.verified,
        )


async def load_certification(info: Info, code: str) -> Certification:
    return Certification.from_row(await info.context.loaders.certification_by_code.load(code))


async def load_certifications(info: Info, codes: Iterable[str]) -> dict[str, Certification]:
    """The certifications a list names, loaded at once (code -> Certification)."""
    keys = sorted(set(codes))
    loaded = await info.context.loaders.certification_by_code.load_many(keys)
    return {code: Certification.from_row(row) for code, row in zip(keys, loaded)}
