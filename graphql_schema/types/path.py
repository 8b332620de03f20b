"""A youth's path: status events, the youth, and youths at risk."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graphql_schema.context import Info
from graphql_schema.types.cfa import Certification, Cfa, load_cfa, load_certification
from graphql_schema.types.enums import RiskReason, Step
from graphql_schema.types.pagination import PageInfo
from graphql_schema.types.reference import Department, load_department


@strawberry.type(description="A step of a youth's path, as a CFA reported it.")
class StatusEvent:
    step: Step = strawberry.field(description="What happened.")
    effective_date: date = strawberry.field(
        description="When it happened (the order of a path follows this date, not arrival)."
    )
    received_at: datetime = strawberry.field(description="When the hub received it.")
    contract_start: date | None = strawberry.field(description="Start of the apprenticeship contract.")
    contract_end: date | None = strawberry.field(description="Planned end of the apprenticeship contract.")
    uai: strawberry.Private[str]
    certification_code: strawberry.Private[str | None]

    @strawberry.field(description="The CFA that reported the step.")
    async def cfa(self, info: Info) -> Cfa:
        return await load_cfa(info, self.uai)

    @strawberry.field(description="The certification the step is about.")
    async def certification(self, info: Info) -> Certification | None:
        if self.certification_code is None:
            return None
        return await load_certification(info, self.certification_code)


@strawberry.type(description="A youth, pseudonymous: no name, no address, never the NIR.")
class Youth:
    id: strawberry.ID = strawberry.field(description="The hub's pseudonymous id of the youth.")
    ine: str | None = strawberry.field(
        description="Identifiant National Élève: shown to ADVISER (in scope) and never to PILOT; "
        "the NIR is never returned to anyone."
    )
    history: list[StatusEvent] = strawberry.field(description="The youth's steps, oldest first (effective date).")


@strawberry.type(description="A youth an adviser should contact, and why.")
class AtRiskYouth:
    youth: Youth = strawberry.field(description="The youth.")
    reasons: list[RiskReason] = strawberry.field(description="Every reason that holds on the date asked.")
    since: date = strawberry.field(description="Date from which the youth is at risk.")
    last_step: StatusEvent | None = strawberry.field(description="The youth's latest step, if any.")
    department_code: strawberry.Private[str]

    @strawberry.field(
        description="The territory that the youth is attached to (CFA of the last step, else the wished CFA)."
    )
    async def department(self, info: Info) -> Department:
        return await load_department(info, self.department_code)


@strawberry.type(description="An edge of an at-risk list.")
class AtRiskEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this edge.")
    node: AtRiskYouth = strawberry.field(description="The youth at risk.")


@strawberry.type(description="A page of youths at risk, ordered by `since` then id.")
class AtRiskConnection:
    edges: list[AtRiskEdge] = strawberry.field(description="The page.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")
    total_count: int = strawberry.field(description="All youths at risk matching, over every page.")
