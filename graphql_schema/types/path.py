"""A youth's path: status events, the youth, and youths at risk."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, cast

import strawberry

from app.domain.dates import today as france_today
from graphql_schema.context import Info
from graphql_schema.execution import NOT_LOADED, PRELOADED
from graphql_schema.types.cfa import Certification, Cfa, load_certification, load_cfa
from graphql_schema.types.enums import PathStatus, RiskReason, Step
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
    contract_end: date | None = strawberry.field(description="End of the apprenticeship contract: planned, or actual when it ended early.")
    uai: strawberry.Private[str]
    certification_code: strawberry.Private[str | None]
    preloaded_cfa: strawberry.Private[Any] = NOT_LOADED  # set by lists that load their steps' CFAs at once

    @strawberry.field(description="The CFA that reported the step.", metadata={PRELOADED: "preloaded_cfa"})
    async def cfa(self, info: Info) -> Cfa:
        if self.preloaded_cfa is not NOT_LOADED:
            return cast(Cfa, self.preloaded_cfa)
        return await load_cfa(info, self.uai)

    @strawberry.field(description="The certification the step is about.")
    async def certification(self, info: Info) -> Certification | None:
        if self.certification_code is None:
            return None
        return await load_certification(info, self.certification_code)

    @classmethod
    def from_row(cls, row: Any) -> StatusEvent:
        """From a step_event row: an SQLAlchemy row or an asyncpg record."""
        m = row._mapping if hasattr(row, "_mapping") else row
        return cls(
            step=Step(m["step"]),
            effective_date=m["effective_date"],
            received_at=m["received_at"],
            contract_start=m["contract_start"],
            contract_end=m["contract_end"],
            uai=m["uai"],
            certification_code=m["certification_code"],
        )


@strawberry.type(description="A youth's indicator status on a date, from the path timeline.")
class Situation:
    status: PathStatus = strawberry.field(description="Apprenti, inscrit sans contrat, rupturant, abandon or fin de formation.")
    since: date = strawberry.field(description="First day of this status.")
    until: date | None = strawberry.field(description="First day of the next status, when one is already known.")
    cause: str = strawberry.field(
        description="REPORTED (a step), or the rule that set it (status rules 2027.1): REGISTERED_TOO_LONG, "
        "BROKEN_TOO_LONG, CONTRACT_ENDED (ended early: a rupturant), CONTRACT_COMPLETED, BROKEN_AT_COMPLETION (a "
        "rupture within the completion window), BROKEN_BY_REGISTRATION (registered again after a contract there), "
        "REGISTRATION_GOES_ON (the same registration at another certification of the CFA)."
    )
    rule_version: str = strawberry.field(description="The version of the status rules that produced it.")
    uai: strawberry.Private[str]
    certification_code: strawberry.Private[str]

    @strawberry.field(description="The CFA of the step that set the status.")
    async def cfa(self, info: Info) -> Cfa:
        return await load_cfa(info, self.uai)

    @strawberry.field(description="The certification of the step that set the status.")
    async def certification(self, info: Info) -> Certification:
        return await load_certification(info, self.certification_code)


def sees_ine(info: Info) -> bool:
    """Whether the caller may read INEs (ADVISER in scope, ADMIN)."""
    principal = info.context.principal
    return principal is not None and principal.scope.sees_ine


@strawberry.type(description="A youth, pseudonymous: no name, no address, never the NIR. Every read is audited.")
class Youth:
    id: strawberry.ID = strawberry.field(description="The hub's pseudonymous id of the youth.")
    youth_id: strawberry.Private[int]
    preloaded_ine: strawberry.Private[Any] = NOT_LOADED  # set by :meth:`preload_ines`

    @strawberry.field(
        description="Identifiant National Élève: shown to ADVISER (in scope) and ADMIN, never to PILOT; "
        "the NIR is never returned to anyone.",
        metadata={PRELOADED: "preloaded_ine"},
    )
    async def ine(self, info: Info) -> str | None:
        if self.preloaded_ine is not NOT_LOADED:
            return cast(str | None, self.preloaded_ine)
        if not sees_ine(info):
            return None
        return await info.context.loaders.ine_by_youth.load(self.youth_id)

    @staticmethod
    async def preload_ines(info: Info, youths: list[Youth]) -> None:
        """The INEs of a page of youths, decrypted at once (None for a caller who may not see them)."""
        ines = await info.context.loaders.ine_by_youth.load_many([y.youth_id for y in youths]) if sees_ine(info) else None
        for index, youth in enumerate(youths):
            youth.preloaded_ine = None if ines is None else ines[index]

    @strawberry.field(description="The youth's steps as stored, every CFA included, oldest first (effective date, then arrival).")
    async def history(self, info: Info) -> list[StatusEvent]:
        rows = await info.context.loaders.steps_by_youth.load(self.youth_id)
        return [StatusEvent.from_row(row) for row in rows]

    @strawberry.field(description="The youth's indicator status on a date (default today); null before any status step.")
    async def situation(
        self, info: Info, on: Annotated[date | None, strawberry.argument(description="The date; default today.")] = None
    ) -> Situation | None:
        found = await info.context.loaders.situation_by_youth_day.load((self.youth_id, on or france_today()))
        if found is None:
            return None
        segment, rule_version = found
        return Situation(
            status=PathStatus(segment.status), since=segment.start, until=segment.end, cause=segment.cause,
            rule_version=rule_version, uai=segment.uai, certification_code=segment.certification,
        )

    @classmethod
    def of(cls, youth_id: int) -> Youth:
        return cls(id=strawberry.ID(str(youth_id)), youth_id=youth_id)


@strawberry.type(description="A youth an adviser should contact, and why.")
class AtRiskYouth:
    youth: Youth = strawberry.field(description="The youth.")
    reasons: list[RiskReason] = strawberry.field(description="Every reason that holds on the date asked.")
    since: date = strawberry.field(description="Date from which the youth is at risk.")
    last_step: StatusEvent | None = strawberry.field(
        description="The youth's latest step on the date asked (effective date, then arrival), if any."
    )
    department_code: strawberry.Private[str]
    preloaded_department: strawberry.Private[Any] = NOT_LOADED

    @strawberry.field(
        description="The territory that the youth is attached to: the youth's residence department when a portal or "
        "CFA gave it (the latest given by the date asked), else the CFA of the last step, else the wished CFA.",
        metadata={PRELOADED: "preloaded_department"},
    )
    def department(self, info: Info) -> Department:
        if self.preloaded_department is not NOT_LOADED:
            return cast(Department, self.preloaded_department)
        return load_department(info, self.department_code)  # type: ignore[return-value]


@strawberry.type(description="An edge of an at-risk list.")
class AtRiskEdge:
    cursor: str = strawberry.field(description="Opaque cursor of this edge.")
    node: AtRiskYouth = strawberry.field(description="The youth at risk.")


@strawberry.type(description="A page of youths at risk, ordered by `since` then id.")
class AtRiskConnection:
    edges: list[AtRiskEdge] = strawberry.field(description="The page.")
    page_info: PageInfo = strawberry.field(description="Where the page stands.")
    total_count: int = strawberry.field(description="All youths at risk matching, over every page.")
