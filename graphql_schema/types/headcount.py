"""Pilots' aggregates: headcounts against capacities. Never a person."""

from __future__ import annotations

from datetime import date

import strawberry


@strawberry.type(description="Headcounts of one group on one date, against capacities.")
class HeadcountRow:
    key: str = strawberry.field(
        description='The region or department code, the UAI, the certification code, or "FR".'
    )
    label: str = strawberry.field(description="A name for people.")
    registered: int = strawberry.field(description="Inscrits sans contrat.")
    apprentices: int = strawberry.field(description="Apprentis.")
    contract_broken: int = strawberry.field(description="Rupturants.")
    dropped_out: int = strawberry.field(description="Abandons (over the school year of `on`).")
    capacity: int | None = strawberry.field(description="Sum of effective capacities of the offers in the row.")
    vacancies: int | None = strawberry.field(description="Places left: capacity minus enrolled, never below 0.")
    over_capacity: bool = strawberry.field(description="Enrolled > effective capacity.")
    rule_version: str = strawberry.field(
        description="The version of the status rules (thresholds) that produced the figures."
    )


@strawberry.type(description="The headcount rows at one date of a series.")
class HeadcountPoint:
    on: date = strawberry.field(description="The date of the point.")
    rows: list[HeadcountRow] = strawberry.field(description="One row per group.")
