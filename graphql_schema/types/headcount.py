"""Pilots' aggregates: headcounts against capacities. Never a person."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from strawberry.utils.str_converters import to_camel_case


def api_names(fields: list[str]) -> list[str]:
    """The services' names of suppressed counts as the API names its fields (contract_broken:
    contractBroken), the way strawberry names them."""
    return [to_camel_case(name) for name in fields] if fields else []


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
        description="Statistical disclosure control: every count a PILOT reads is a multiple of 5 (the nearest), a "
        "count from 1 to 4 shown as 0 and the row flagged; `suppressedFields` names those counts. Vacancies come "
        "from the shown counts."
    )
    suppressed_fields: list[str] = strawberry.field(
        description="The counts shown as 0 because they were from 1 to 4 (registered, apprentices, contractBroken, droppedOut)."
    )

    @classmethod
    def from_row(cls, row: Any) -> HeadcountRow:
        return cls(
            key=row.key, label=row.label, registered=row.registered, apprentices=row.apprentices,
            contract_broken=row.contract_broken, dropped_out=row.dropped_out, capacity=row.capacity,
            vacancies=row.vacancies, over_capacity=row.over_capacity, rule_version=row.rule_version,
            suppressed=row.suppressed,
            suppressed_fields=api_names(row.suppressed_fields),
        )


@strawberry.type(description="The headcount rows at one date of a series.")
class HeadcountPoint:
    on: date = strawberry.field(description="The date of the point.")
    rows: list[HeadcountRow] = strawberry.field(description="One row per group.")


@strawberry.type(description="v2: what became of the wishes, by place: the pilots' conversion of wishes into apprenticeships.")
class ConversionRow:
    key: str = strawberry.field(
        description='The wished CFA\'s region or department, the wished UAI or certification, or "FR".'
    )
    label: str = strawberry.field(description="A name for people.")
    wishes: int = strawberry.field(description="Wishes (vœux) submitted in the window.")
    handled: int = strawberry.field(description="Wishes with an outcome beyond NO_NEWS (vœux exploités).")
    handled_by_wished_cfa: int = strawberry.field(description="Wishes the wished CFA itself reported a step for.")
    registered: int = strawberry.field(description="Outcome REGISTERED.")
    apprentices: int = strawberry.field(description="Outcome APPRENTICE, any match.")
    apprentices_as_wished: int = strawberry.field(description="Outcome APPRENTICE at the wished CFA and certification.")
    left: int = strawberry.field(description="Outcome LEFT.")
    suppressed: bool = strawberry.field(
        description="Statistical disclosure control: for a PILOT every count is a multiple of 5, from 1 to 4 shown as 0 "
        "and flagged here; `suppressedFields` names those counts."
    )
    suppressed_fields: list[str] = strawberry.field(description="The counts shown as 0 because they were from 1 to 4.")

    @classmethod
    def from_row(cls, row: Any) -> ConversionRow:
        return cls(
            key=row.key, label=row.label, wishes=row.wishes, handled=row.handled,
            handled_by_wished_cfa=row.handled_by_wished_cfa, registered=row.registered, apprentices=row.apprentices,
            apprentices_as_wished=row.apprentices_as_wished, left=row.left, suppressed=row.suppressed,
            suppressed_fields=api_names(row.suppressed_fields),
        )


@strawberry.type(description="v2: transmission coverage: how much of a territory's CFAs send their data.")
class CoverageRow:
    key: str = strawberry.field(description='The region or department code, the UAI, or "FR".')
    label: str = strawberry.field(description="A name for people.")
    cfas: int = strawberry.field(description="CFAs known to the hub in the row.")
    consenting: int = strawberry.field(description="Of which consent is given.")
    transmitting: int = strawberry.field(description="Of which a record was received in the 30 days up to `on`.")
    apprentices: int = strawberry.field(
        description="Apprentices on `on` in the transmitting CFAs (small counts protected as in headcounts)."
    )
    suppressed: bool = strawberry.field(description="The apprentices count is from 1 to 4, shown as 0 (for a PILOT).")
    suppressed_fields: list[str] = strawberry.field(description="The counts shown as 0 because they were from 1 to 4.")

    @classmethod
    def from_row(cls, row: Any) -> CoverageRow:
        return cls(key=row.key, label=row.label, cfas=row.cfas, consenting=row.consenting, transmitting=row.transmitting,
                   apprentices=row.apprentices, suppressed=row.suppressed, suppressed_fields=api_names(row.suppressed_fields))
