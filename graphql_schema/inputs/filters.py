"""Filters of the lists. Filters narrow within the caller's scope; they never widen it."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_schema.types.enums import OutcomeStage, RiskReason


@strawberry.input(description="Narrows a list of wishes.")
class WishFilter:
    submitted_from: datetime | None = strawberry.field(default=None, description="Submitted at or after.")
    submitted_to: datetime | None = strawberry.field(default=None, description="Submitted before.")
    uai: str | None = strawberry.field(default=None, description="Wishes for this CFA.")
    stage: OutcomeStage | None = strawberry.field(default=None, description="Wishes at this stage.")
    outcome_changed_since: datetime | None = strawberry.field(
        default=None,
        description="Only wishes whose outcome changed after this instant: portals sync incrementally.",
    )


@strawberry.input(description="Narrows a list of youths at risk.")
class AtRiskFilter:
    reasons: list[RiskReason] | None = strawberry.field(default=None, description="Any of these reasons.")
    departments: list[str] | None = strawberry.field(
        default=None, description="Within the adviser's departments only."
    )


@strawberry.input(description="Narrows headcounts.")
class HeadcountFilter:
    regions: list[str] | None = strawberry.field(default=None, description="Region codes.")
    departments: list[str] | None = strawberry.field(default=None, description="Department codes.")
    uais: list[str] | None = strawberry.field(default=None, description="CFAs.")
    certifications: list[str] | None = strawberry.field(default=None, description="Certification codes.")


@strawberry.input(description="Narrows a list of offers.")
class OfferFilter:
    regions: list[str] | None = strawberry.field(default=None, description="Region codes.")
    departments: list[str] | None = strawberry.field(default=None, description="Department codes.")
    certification: str | None = strawberry.field(default=None, description="A certification code.")
    uai: str | None = strawberry.field(default=None, description="A CFA.")
    with_vacancies_only: bool | None = strawberry.field(
        default=None, description="Only offers with places left, for youths without a solution."
    )
