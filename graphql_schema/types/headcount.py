"""Pilots' aggregates: headcounts against capacities. Never a person."""

from __future__ import annotations

from datetime import date
from typing import Any

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
    suppressed: bool = strawberry.field(
        description="Statistical disclosure control: in CFA and CERTIFICATION rows seen by a PILOT, a count from 1 to "
        "4 is shown as 0 and the row is flagged; `suppressedFields` names those counts."
    )
    suppressed_fields: list[str] = strawberry.field(
        description="The counts shown as 0 because they were from 1 to 4 (registered, apprentices, contractBroken, droppedOut)."
    )

    @classmethod
    def from_row(cls, row: Any) -> HeadcountRow:
        camel = {"contract_broken": "contractBroken", "dropped_out": "droppedOut"}
        return cls(
            key=row.key, label=row.label, registered=row.registered, apprentices=row.apprentices,
            contract_broken=row.contract_broken, dropped_out=row.dropped_out, capacity=row.capacity,
            vacancies=row.vacancies, over_capacity=row.over_capacity, rule_version=row.rule_version,
            suppressed=row.suppressed, suppressed_fields=[camel.get(name, name) for name in row.suppressed_fields],
        )


@strawberry.type(description="The headcount rows at one date of a series.")
class HeadcountPoint:
    on: date = strawberry.field(description="The date of the point.")
    rows: list[HeadcountRow] = strawberry.field(description="One row per group.")
